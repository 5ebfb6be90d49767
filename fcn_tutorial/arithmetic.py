"""Convolution arithmetic: output sizes and receptive fields, in pure Python.

Every size the tutorial states is computed here and checked against the real
Keras layers in ``tests/test_arithmetic.py``. This module imports no Keras and no
NumPy, so a learner can read it as a page of formulas.

Introduced in ``02_convolution.ipynb`` (output sizes) and ``03_pooling.ipynb``
(receptive fields).

The formulas, for one spatial axis with input size ``i``, kernel size ``k``,
stride ``s``, dilation ``d`` and explicit padding ``p`` on each side::

    effective kernel  k' = d * (k - 1) + 1
    "valid" / int p   o  = floor((i + 2p - k') / s) + 1
    "same"            o  = ceil(i / s)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "effective_kernel_size",
    "conv_output_size",
    "pool_output_size",
    "same_padding",
    "ReceptiveField",
    "receptive_field",
    "VGG16_LAYERS",
    "vgg16_receptive_fields",
]


def _check_positive_int(name: str, value: int, fix: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}: {fix}")


def _check_padding(padding) -> None:
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(
                f'padding must be "valid", "same" or a non-negative int, got {padding!r}: '
                'use "valid" for no padding or "same" to keep the size (at stride 1).'
            )
    elif isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(
            f'padding must be "valid", "same" or a non-negative int, got {padding!r}: '
            "pass the number of zeros added on each side, e.g. padding=1."
        )


def effective_kernel_size(kernel_size: int, dilation_rate: int = 1) -> int:
    """Span of a dilated kernel: ``dilation_rate - 1`` holes between its taps.

    Args:
        kernel_size: taps along one axis.
        dilation_rate: spacing between taps (1 = an ordinary kernel).

    Returns:
        int: the number of input pixels the kernel spans, ``d * (k - 1) + 1``.

    Example:
        >>> effective_kernel_size(3, dilation_rate=2)
        5
    """
    _check_positive_int("kernel_size", kernel_size, "a kernel has at least one tap.")
    _check_positive_int("dilation_rate", dilation_rate, "use dilation_rate=1 for no dilation.")
    return dilation_rate * (kernel_size - 1) + 1


def same_padding(input_size: int, kernel_size: int, strides: int = 1, dilation_rate: int = 1):
    """Zeros that ``padding="same"`` adds before and after one axis.

    Keras (like TensorFlow) pads just enough for ``ceil(i / s)`` outputs and puts
    the odd zero, if any, at the end.

    Returns:
        tuple[int, int]: ``(before, after)``.

    Example:
        >>> same_padding(5, 3)
        (1, 1)
        >>> same_padding(6, 3, strides=2)
        (0, 1)
    """
    _check_positive_int("input_size", input_size, "an image has at least one pixel.")
    _check_positive_int("strides", strides, "use strides=1 to visit every position.")
    span = effective_kernel_size(kernel_size, dilation_rate)
    output_size = -(-input_size // strides)
    total = max((output_size - 1) * strides + span - input_size, 0)
    return total // 2, total - total // 2


def conv_output_size(
    input_size: int,
    kernel_size: int,
    strides: int = 1,
    padding: str | int = "valid",
    dilation_rate: int = 1,
) -> int:
    """Output size of a convolution along one axis, as ``keras.layers.Conv2D`` gives it.

    Args:
        input_size: pixels along the axis.
        kernel_size: kernel taps along the axis.
        strides: step between neighbouring windows.
        padding: ``"valid"`` (none), ``"same"`` (keep ``ceil(i / s)``), or an int:
            zeros added on each side, as ``ZeroPadding2D(p)`` then ``"valid"``.
        dilation_rate: spacing between kernel taps.

    Returns:
        int: the number of output positions.

    Raises:
        ValueError: for a non-positive size, kernel, stride or dilation, an unknown
            padding, or a kernel wider than the padded input.

    Example:
        >>> conv_output_size(5, 3)
        3
        >>> conv_output_size(5, 3, strides=2, padding=1)
        3
    """
    _check_positive_int("input_size", input_size, "an image has at least one pixel.")
    _check_positive_int("strides", strides, "use strides=1 to visit every position.")
    _check_padding(padding)
    span = effective_kernel_size(kernel_size, dilation_rate)
    if padding == "same":
        return -(-input_size // strides)
    pad = 0 if padding == "valid" else padding
    padded = input_size + 2 * pad
    if span > padded:
        raise ValueError(
            f"the kernel spans {span} pixels but the padded input has only {padded}: "
            f"use a smaller kernel_size or dilation_rate, more padding, or padding='same'."
        )
    return (padded - span) // strides + 1


def pool_output_size(
    input_size: int,
    pool_size: int,
    strides: int | None = None,
    padding: str | int = "valid",
) -> int:
    """Output size of pooling along one axis, as ``keras.layers.MaxPooling2D`` gives it.

    Pooling is a convolution whose kernel takes a max or a mean, so the arithmetic
    is the same; the only difference is Keras' default ``strides=pool_size``.

    Example:
        >>> pool_output_size(224, 2)
        112
    """
    return conv_output_size(
        input_size, pool_size, strides=pool_size if strides is None else strides, padding=padding
    )


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
    _check_positive_int("strides", strides, "use strides=1 to visit every position.")
    if padding == "same":
        # For odd kernels "same" centres the window; the odd extra zero of even
        # kernels goes at the end and does not move the first centre.
        padding = (effective_kernel_size(kernel_size, dilation_rate) - 1) // 2
    elif padding == "valid":
        padding = 0
    _check_padding(padding)
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


# VGG16's layer stack as data (Simonyan & Zisserman 2015, configuration D), the
# backbone of the FCN paper. Names match keras.applications.VGG16, and a test checks
# every kernel, stride and padding against it.
VGG16_LAYERS = tuple(
    [(f"block{b}_conv{c}", "conv", 3, 1, "same") for b, c in [(1, 1), (1, 2)]]
    + [("block1_pool", "pool", 2, 2, "valid")]
    + [(f"block2_conv{c}", "conv", 3, 1, "same") for c in (1, 2)]
    + [("block2_pool", "pool", 2, 2, "valid")]
    + [(f"block3_conv{c}", "conv", 3, 1, "same") for c in (1, 2, 3)]
    + [("block3_pool", "pool", 2, 2, "valid")]
    + [(f"block4_conv{c}", "conv", 3, 1, "same") for c in (1, 2, 3)]
    + [("block4_pool", "pool", 2, 2, "valid")]
    + [(f"block5_conv{c}", "conv", 3, 1, "same") for c in (1, 2, 3)]
    + [("block5_pool", "pool", 2, 2, "valid")]
)
"""tuple[(name, kind, kernel_size, strides, padding)]: VGG16's convolutional part."""


def vgg16_receptive_fields(input_size: int = 224) -> list[dict]:
    """Size, receptive field and overall stride after every layer of VGG16.

    Args:
        input_size: the square input's side.

    Returns:
        list[dict]: one row per layer with keys ``name``, ``kind``, ``output_size``,
        ``receptive_field``, ``jump`` and ``start``.

    Example:
        >>> vgg16_receptive_fields()[-1]["receptive_field"]
        212
    """
    rows, stack, size = [], [], input_size
    for name, kind, kernel_size, strides, padding in VGG16_LAYERS:
        size = conv_output_size(size, kernel_size, strides, padding)
        stack.append((kernel_size, strides, 1, padding))
        field = receptive_field(stack)
        rows.append(
            {
                "name": name,
                "kind": kind,
                "output_size": size,
                "receptive_field": field.size,
                "jump": field.jump,
                "start": field.start,
            }
        )
    return rows
