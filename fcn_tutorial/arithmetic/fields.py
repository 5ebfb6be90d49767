"""Receptive fields: what one output unit of a stack of convolutions and poolings sees.

Introduced in ``03_pooling.ipynb``. Each layer grows the field by ``(k' - 1) * jump``
input pixels, where ``jump`` (the overall stride) is the product of the strides before
it, and ``k'`` the layer's effective kernel size (:mod:`fcn_tutorial.arithmetic.sizes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from fcn_tutorial.arithmetic.sizes import (
    check_keys,
    check_padding,
    check_positive_int,
    effective_kernel_size,
)

__all__ = ["ReceptiveField", "receptive_field", "LAYER_KEYS"]


class ReceptiveField(NamedTuple):
    """What one output unit of a layer stack sees of the input.

    Attributes:
        size: the receptive field's width in input pixels.
        jump: distance in input pixels between neighbouring output units
            (the product of the strides: the "overall stride").
        start: input pixel index of the centre of the first output unit's field
            (pixel ``i`` is centred on ``i``; negative or fractional values mean the
            field starts in the padding or between pixels).
    """

    size: int
    jump: int
    start: float


LAYER_KEYS = ("kernel_size", "strides", "dilation_rate", "padding")
"""tuple[str]: what a layer entry of :func:`receptive_field` holds, in its tuple's order."""
_ENTRY = (
    "a tuple (kernel_size, strides, dilation_rate[, padding]) such as (3, 2, 1), or a dict "
    "such as {'kernel_size': 3, 'strides': 2}"
)


def _layer_spec(index, layer):
    if isinstance(layer, dict):
        check_keys(f"layer {index}", layer, LAYER_KEYS[:1], LAYER_KEYS[1:])
        defaults = {"strides": 1, "dilation_rate": 1, "padding": 0}
        spec = tuple({**defaults, **layer}[key] for key in LAYER_KEYS)
    elif isinstance(layer, (tuple, list)) and 1 <= len(layer) <= 4:
        spec = tuple(layer) + (1, 1, 0)[len(layer) - 1 :]
    else:
        raise ValueError(f"layer {index} is {layer!r}: a layer entry is {_ENTRY}.")
    kernel_size, strides, dilation_rate, padding = spec
    check_positive_int("strides", strides, "use strides=1 to visit every position.")
    if padding == "same":
        # For odd kernels "same" centres the window; the odd extra zero of even
        # kernels goes at the end and does not move the first centre.
        padding = (effective_kernel_size(kernel_size, dilation_rate) - 1) // 2
    elif padding == "valid":
        padding = 0
    check_padding(padding)
    return kernel_size, strides, dilation_rate, padding


def receptive_field(layers: Sequence) -> ReceptiveField:
    """Receptive field of one output unit of a stack of convolutions and poolings.

    Args:
        layers: one entry per layer, a tuple ``(kernel_size, strides, dilation_rate)``
            with an optional fourth item ``padding`` (int, ``"valid"`` or ``"same"``;
            items left off the end default to 1, 1 and 0), or a dict with those keys
            (:data:`LAYER_KEYS`), ``kernel_size`` required.

    Returns:
        ReceptiveField: ``(size, jump, start)``; each layer grows the field by
        ``(k' - 1) * jump`` and multiplies the jump by its stride.

    Raises:
        ValueError: for an entry that is neither such a tuple nor such a dict (``3``
            instead of ``(3, 1, 1)``), a dict with an unknown key (``"stride"``, the
            message naming the valid keys) or without ``kernel_size``, a non-positive
            kernel size, stride or dilation, or an unknown padding.

    Example:
        >>> receptive_field([(3, 1, 1), (3, 1, 1), (2, 2, 1)])
        ReceptiveField(size=6, jump=2, start=2.5)
    """
    if isinstance(layers, (str, bytes, dict)) or not isinstance(layers, Iterable):
        raise ValueError(
            f"layers={layers!r}: pass a list with one entry per layer, e.g. [(3, 1, 1), "
            "(2, 2, 1)] or [{'kernel_size': 3}], even for a single layer."
        )
    size, jump, start = 1, 1, 0.0
    for index, layer in enumerate(layers):
        kernel_size, strides, dilation_rate, padding = _layer_spec(index, layer)
        span = effective_kernel_size(kernel_size, dilation_rate)
        size += (span - 1) * jump
        start += ((span - 1) / 2 - padding) * jump
        jump *= strides
    return ReceptiveField(size, jump, start)
