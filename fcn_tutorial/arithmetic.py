"""Convolution arithmetic: output sizes and receptive fields, in pure Python.

Every size the tutorial states is computed here and checked against the real
Keras layers in ``tests/test_arithmetic.py``. This module imports no Keras and no
NumPy, so a learner can read it as a page of formulas.

Introduced in ``02_convolution.ipynb`` (output sizes), ``03_pooling.ipynb``
(receptive fields), ``04_transposed_convolution.ipynb`` (transposed convolution) and
``05_transfer_learning.ipynb`` (VGG16 stage by stage, classifier and convolutionalized).

The formulas, for one spatial axis with input size ``i``, kernel size ``k``,
stride ``s``, dilation ``d`` and explicit padding ``p`` on each side::

    effective kernel  k' = d * (k - 1) + 1
    "valid" / int p   o  = floor((i + 2p - k') / s) + 1
    "same"            o  = ceil(i / s)

A transposed convolution (``keras.layers.Conv2DTranspose``) first stamps a scaled copy
of the kernel for every input pixel, ``s`` apart, onto a canvas of ``F`` pixels, then
crops it; ``a`` is ``output_padding``, extra zeros at the end::

    canvas            F  = (i - 1) * s + k'
    "valid"           o  = F + a              (a defaults to max(k', s) - k')
    int p             o  = F + a - 2p         (crop p on each side)
    "same"            o  = i * s              (a None)
                      o  = (i - 1) * s + k' % 2 + a

It is the same as inserting ``s - 1`` zeros between the input pixels, padding by
``k' - 1 - crop`` and running an ordinary stride-1 convolution with the kernel flipped.
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
    "VGG16_FILTERS",
    "VGG16_HEAD",
    "vgg16_stages",
    "TransposedConv",
    "transposed_conv_geometry",
    "transposed_conv_output_size",
    "transposed_equivalent",
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


VGG16_FILTERS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
"""dict[int, int]: output channels of each VGG16 block's convolutions."""
VGG16_HEAD = (("fc1", "fc6", 4096), ("fc2", "fc7", 4096), ("predictions", "fc8", 1000))
"""tuple: VGG16's Dense layers, their names in the FCN paper, and their widths."""


def vgg16_stages(input_size: int = 224, convolutional: bool = False) -> list[dict]:
    """VGG16 stage by stage, every spatial size computed with this module's formulas.

    The sizes of ``figures/05_vgg16-architecture.png`` (``05_transfer_learning.ipynb``).

    Args:
        input_size: the square input's side.
        convolutional: ``False`` for the classifier (Flatten and three Dense layers, only
            defined at 224), ``True`` for the convolutionalized network (fc6 a 7×7 and
            fc7, fc8 1×1 valid convolutions), defined for any input of at least 224.

    Returns:
        list[dict]: one row per drawn stage: ``name`` (Keras' layer names), ``operation``
        and ``shape``, the stage's output ``(H, W, C)`` or ``(units,)``.

    Raises:
        ValueError: for a classifier at a size other than 224, or an input too small.

    Example:
        >>> vgg16_stages(500, convolutional=True)[-1]["shape"]
        (9, 9, 1000)
    """
    if not convolutional and input_size != 224:
        raise ValueError(
            f"VGG16's classifier takes 224x224 only, not {input_size}: its Dense layers fix "
            "the size. Pass convolutional=True for other sizes."
        )
    stages = [{"name": "input", "operation": "image", "shape": (input_size, input_size, 3)}]
    fields = {row["name"]: row for row in vgg16_receptive_fields(input_size)}
    for block, filters in VGG16_FILTERS.items():
        convs = [name for name in fields if name.startswith(f"block{block}_conv")]
        size = fields[convs[-1]]["output_size"]
        stages.append(
            {
                "name": f"{convs[0]}..{convs[-1].rsplit('_', 1)[1]}",
                "operation": f"{len(convs)}× conv 3×3, same, ReLU",
                "shape": (size, size, filters),
            }
        )
        size = fields[f"block{block}_pool"]["output_size"]
        stages.append(
            {
                "name": f"block{block}_pool",
                "operation": "max pool 2×2, stride 2",
                "shape": (size, size, filters),
            }
        )
    height, width, channels = stages[-1]["shape"]
    if not convolutional:
        stages.append(
            {"name": "flatten", "operation": "Flatten", "shape": (height * width * channels,)}
        )
        for name, _, units in VGG16_HEAD:
            activation = "softmax" if name == "predictions" else "ReLU"
            stages.append({"name": name, "operation": f"Dense, {activation}", "shape": (units,)})
        return stages
    # fc6 saw the whole 7×7 map at 224: as a convolution its kernel is that window.
    window = vgg16_receptive_fields(224)[-1]["output_size"]
    if height < window:
        raise ValueError(
            f"a {input_size}x{input_size} input leaves a {height}x{width} map, smaller than "
            f"fc6's {window}x{window} window: use an input of at least 224."
        )
    for (dense, name, units), kernel in zip(VGG16_HEAD, (window, 1, 1), strict=True):
        height = conv_output_size(height, kernel)
        width = conv_output_size(width, kernel)
        activation = "softmax per cell" if dense == "predictions" else "ReLU"
        stages.append(
            {
                "name": f"{name} (was {dense})",
                "operation": f"conv {kernel}×{kernel}, valid, {activation}",
                "shape": (height, width, units),
            }
        )
    return stages


# --- Transposed convolution ------------------------------------------------------------------


class TransposedConv(NamedTuple):
    """One axis of a transposed convolution, in its two equivalent views.

    Scatter view: every input pixel stamps the kernel onto a canvas, ``strides`` apart,
    and the canvas is cropped to the output. Zero-insertion view: ``inserted_zeros``
    zeros go between the input pixels, ``pad`` zeros around them, and an ordinary
    stride-1 convolution with the flipped kernel slides over the result.

    Attributes:
        input_size, kernel_size, strides, padding, output_padding, dilation_rate: the
            ``Conv2DTranspose`` arguments (``padding`` may also be an int, see
            :func:`transposed_conv_output_size`).
        span: the dilated kernel's width ``k'``.
        full_size: the canvas every stamp fits on, ``(i - 1) * s + k'``.
        crop: ``(before, after)`` canvas pixels cut from each end; a negative ``after``
            means that many zeros are appended instead (from ``output_padding``).
        output_size: the number of output pixels.
        inserted_zeros: zeros between neighbouring input pixels, ``s - 1``.
        dilated_size: the input with its zeros inserted, ``(i - 1) * s + 1``.
        pad: ``(before, after)`` zeros around the dilated input, ``k' - 1 - crop``.
        padded_size: ``dilated_size + sum(pad)``, what the stride-1 convolution sees.
    """

    input_size: int
    kernel_size: int
    strides: int
    padding: str | int
    output_padding: int | None
    dilation_rate: int
    span: int
    full_size: int
    crop: tuple[int, int]
    output_size: int
    inserted_zeros: int
    dilated_size: int
    pad: tuple[int, int]
    padded_size: int


def transposed_conv_geometry(
    input_size: int,
    kernel_size: int,
    strides: int = 1,
    padding: str | int = "valid",
    output_padding: int | None = None,
    dilation_rate: int = 1,
) -> TransposedConv:
    """Everything about one axis of ``keras.layers.Conv2DTranspose``: sizes, crop, padding.

    Keras' TensorFlow backend computes the output size with the formulas in this
    module's docstring, then runs the gradient of a convolution: ``Conv2DTranspose``
    with ``padding="same"`` is exactly the transpose of ``Conv2D(padding="same")`` on
    an ``output_size`` input, so it crops the canvas like that convolution pads it,
    the odd pixel at the end.

    Args:
        input_size: pixels along the axis.
        kernel_size: kernel taps along the axis.
        strides: distance between neighbouring stamps in the output.
        padding: ``"valid"``, ``"same"`` or an int ``p``: ``Conv2DTranspose`` with
            ``"valid"`` followed by ``Cropping2D(p)``, the transpose of
            ``ZeroPadding2D(p)`` then ``Conv2D``. ``p`` is at most ``k' - 1``.
        output_padding: extra output pixels at the end, ``0 <= a < strides``; ``None``
            for Keras' default (see the module docstring).
        dilation_rate: spacing between kernel taps.

    Returns:
        TransposedConv: sizes, crop and the zero-insertion view's padding.

    Raises:
        ValueError: for a non-positive size, kernel, stride or dilation, an unknown
            padding, ``output_padding`` outside ``0 .. strides - 1``, an int padding
            wider than ``k' - 1``, or ``"same"`` with an even kernel and
            ``output_padding=0`` (``(i - 1) * s`` outputs: one stride short, and
            Keras' TensorFlow backend fails on it).

    Example:
        >>> geometry = transposed_conv_geometry(2, 3, strides=2)
        >>> geometry.output_size, geometry.pad, geometry.padded_size
        (5, (2, 2), 7)
    """
    _check_positive_int("input_size", input_size, "an image has at least one pixel.")
    _check_positive_int("strides", strides, "use strides=1 to stamp at every position.")
    _check_padding(padding)
    span = effective_kernel_size(kernel_size, dilation_rate)
    if output_padding is not None and (
        isinstance(output_padding, bool)
        or not isinstance(output_padding, int)
        or not 0 <= output_padding < strides
    ):
        raise ValueError(
            f"output_padding must be smaller than the stride, got {output_padding!r} with "
            f"strides={strides}: use an int from 0 to {strides - 1}, or None for the default."
        )
    full_size = (input_size - 1) * strides + span
    if padding == "same":
        if output_padding is None:
            output_size = input_size * strides
        elif span % 2 == 0 and output_padding == 0:
            fix = "None" if strides == 1 else f"1 to {strides - 1}, or None"
            raise ValueError(
                f'padding="same" with an even kernel ({span} wide) and output_padding=0 '
                f"gives (i - 1) * s = {(input_size - 1) * strides} outputs, too few for "
                f"{input_size} inputs (Keras fails on it): use output_padding={fix}."
            )
        else:
            output_size = (input_size - 1) * strides + span % 2 + output_padding
        # The cropped pixels are the zeros Conv2D(padding="same") adds to this output size.
        before = same_padding(output_size, kernel_size, strides, dilation_rate)[0]
    else:
        extra = max(span, strides) - span if output_padding is None else output_padding
        before = 0 if padding == "valid" else padding
        if before > span - 1:
            raise ValueError(
                f"padding={padding} crops more than a kernel overhang ({span - 1}): use "
                f"padding from 0 to {span - 1}."
            )
        output_size = full_size + extra - 2 * before
        if output_size < 1:
            raise ValueError(
                f"padding={padding} crops all {full_size + extra} pixels of the canvas: use "
                f"padding at most {(full_size + extra - 1) // 2}."
            )
    after = full_size - before - output_size
    dilated_size = (input_size - 1) * strides + 1
    pad = (span - 1 - before, span - 1 - after)
    return TransposedConv(
        input_size=input_size,
        kernel_size=kernel_size,
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        dilation_rate=dilation_rate,
        span=span,
        full_size=full_size,
        crop=(before, after),
        output_size=output_size,
        inserted_zeros=strides - 1,
        dilated_size=dilated_size,
        pad=pad,
        padded_size=dilated_size + sum(pad),
    )


def transposed_conv_output_size(
    input_size: int,
    kernel_size: int,
    strides: int = 1,
    padding: str | int = "valid",
    output_padding: int | None = None,
    dilation_rate: int = 1,
) -> int:
    """Output size of a transposed convolution, as ``keras.layers.Conv2DTranspose`` gives it.

    Args:
        input_size: pixels along the axis.
        kernel_size: kernel taps along the axis.
        strides: distance between neighbouring stamps (the upsampling factor).
        padding: ``"valid"``, ``"same"`` (``i * s`` outputs when ``output_padding`` is
            ``None``) or an int ``p`` (``"valid"`` then ``Cropping2D(p)``).
        output_padding: extra pixels at the end, ``0 <= a < strides``, or ``None``.
        dilation_rate: spacing between kernel taps.

    Returns:
        int: the number of output pixels.

    Raises:
        ValueError: as :func:`transposed_conv_geometry`.

    Example:
        >>> transposed_conv_output_size(2, 3, strides=2)
        5
        >>> transposed_conv_output_size(3, 3, strides=2, padding="same", output_padding=0)
        5
    """
    return transposed_conv_geometry(
        input_size, kernel_size, strides, padding, output_padding, dilation_rate
    ).output_size


def transposed_equivalent(
    input_size: int,
    kernel_size: int,
    strides: int = 1,
    padding: str | int = "valid",
    dilation_rate: int = 1,
) -> TransposedConv:
    """The transposed convolution with the same connectivity as a convolution.

    A convolution takes ``input_size`` pixels to ``o``; its transpose takes ``o`` back
    to ``input_size`` (the shape, not the values) and connects the same pairs of
    pixels. The convolution-arithmetic guide's relationships (Dumoulin & Visin 2016,
    section 4) all follow: ``s - 1`` zeros inserted between the ``o`` inputs, ``k' - 1 - p``
    zeros of padding, and the ``a = (i + 2p - k') mod s`` pixels that the convolution
    never reached come back as ``output_padding`` (extra padding at the end).

    Args:
        input_size, kernel_size, strides, padding, dilation_rate: the *convolution*'s
            arguments, as :func:`conv_output_size`.

    Returns:
        TransposedConv: with ``input_size`` the convolution's output size,
        ``output_size == input_size`` of the convolution and ``output_padding`` the
        ``Conv2DTranspose`` argument that gives it (``None`` where Keras' default does).

    Raises:
        ValueError: as :func:`conv_output_size`, or for an int padding wider than
            ``k' - 1`` (some outputs would see only padding).

    Example:
        >>> equivalent = transposed_equivalent(5, 3, strides=2, padding=1)
        >>> equivalent.input_size, equivalent.inserted_zeros, equivalent.pad
        (3, 1, (1, 1))
        >>> transposed_equivalent(6, 3, strides=2, padding=1).output_padding
        1
    """
    conv_size = conv_output_size(input_size, kernel_size, strides, padding, dilation_rate)
    span = effective_kernel_size(kernel_size, dilation_rate)
    if padding == "same":
        extra = input_size - (conv_size - 1) * strides - span % 2
        output_padding = None if input_size == conv_size * strides else extra
    else:
        pad = 0 if padding == "valid" else padding
        output_padding = (input_size + 2 * pad - span) % strides
    geometry = transposed_conv_geometry(
        conv_size, kernel_size, strides, padding, output_padding, dilation_rate
    )
    # The identity this function promises; a failure here is a bug, not bad input.
    assert geometry.output_size == input_size, geometry
    return geometry
