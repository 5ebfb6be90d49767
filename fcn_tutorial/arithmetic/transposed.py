"""Transposed convolution along one axis: output size, crop, and the zero-insertion view.

Introduced in ``04_transposed_convolution.ipynb``. A transposed convolution
(``keras.layers.Conv2DTranspose``) first stamps a scaled copy of the kernel for every
input pixel, ``s`` apart, onto a canvas of ``F`` pixels, then crops it; ``a`` is
``output_padding``, extra zeros at the end (``i``, ``k'``, ``s``, ``p`` as in
:mod:`fcn_tutorial.arithmetic.sizes`)::

    canvas            F  = (i - 1) * s + k'
    "valid"           o  = F + a              (a defaults to max(k', s) - k')
    int p             o  = F + a - 2p         (crop p on each side)
    "same"            o  = i * s              (a None)
                      o  = (i - 1) * s + k' % 2 + a

It is the same as inserting ``s - 1`` zeros between the input pixels, padding by
``k' - 1 - crop`` and running an ordinary stride-1 convolution with the kernel flipped.
"""

from __future__ import annotations

from typing import NamedTuple

from fcn_tutorial.arithmetic.sizes import (
    check_padding,
    check_positive_int,
    conv_output_size,
    effective_kernel_size,
    same_padding,
)

__all__ = [
    "TransposedConv",
    "transposed_conv_geometry",
    "transposed_conv_output_size",
    "transposed_equivalent",
]


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
    check_positive_int("input_size", input_size, "an image has at least one pixel.")
    check_positive_int("strides", strides, "use strides=1 to stamp at every position.")
    check_padding(padding)
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
