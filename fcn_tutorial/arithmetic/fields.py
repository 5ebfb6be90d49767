"""Receptive fields: what one output unit of a stack of convolutions and poolings sees.

Introduced in ``03_pooling.ipynb``. Each layer grows the field by ``(k' - 1) * jump``
input pixels, where ``jump`` (the overall stride) is the product of the strides before
it, and ``k'`` the layer's effective kernel size (:mod:`fcn_tutorial.arithmetic.sizes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from fcn_tutorial.arithmetic.sizes import check_padding, check_positive_int, effective_kernel_size

__all__ = ["ReceptiveField", "receptive_field"]


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


def _layer_spec(layer):
    if isinstance(layer, dict):
        spec = (
            layer.get("kernel_size", 1),
            layer.get("strides", 1),
            layer.get("dilation_rate", 1),
            layer.get("padding", 0),
        )
    else:
        if len(layer) not in (1, 2, 3, 4):
            raise ValueError(
                f"a layer is (kernel_size, strides, dilation_rate[, padding]), got {layer!r}."
            )
        spec = tuple(layer) + (1, 1, 0)[len(layer) - 1 :]
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
            with an optional fourth item ``padding`` (int, ``"valid"`` or ``"same"``),
            or a dict with those keys.

    Returns:
        ReceptiveField: ``(size, jump, start)``; each layer grows the field by
        ``(k' - 1) * jump`` and multiplies the jump by its stride.

    Example:
        >>> receptive_field([(3, 1, 1), (3, 1, 1), (2, 2, 1)])
        ReceptiveField(size=6, jump=2, start=2.5)
    """
    size, jump, start = 1, 1, 0.0
    for layer in layers:
        kernel_size, strides, dilation_rate, padding = _layer_spec(layer)
        span = effective_kernel_size(kernel_size, dilation_rate)
        size += (span - 1) * jump
        start += ((span - 1) / 2 - padding) * jump
        jump *= strides
    return ReceptiveField(size, jump, start)
