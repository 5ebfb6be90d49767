"""Transposed convolution from scratch, three ways, equal to ``keras.layers.Conv2DTranspose``;
its bilinear kernel and how many stamps land on each output pixel.

Introduced in ``04_transposed_convolution.ipynb``. The kernel is in ``Conv2DTranspose``'s
own layout, ``(kernel_h, kernel_w, out_channels, in_channels)``. The three ways, which the
tests hold equal to each other and to Keras: scatter-add
(:func:`conv2d_transpose_scatter`), the transposed matrix (:func:`conv2d_transpose_matrix`)
and zero insertion (:func:`conv2d_transpose_zero_insertion`). Every size comes from
:func:`fcn_tutorial.arithmetic.transposed_conv_geometry`.
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial import arithmetic
from fcn_tutorial.reference.convolution import conv2d, conv_matrix
from fcn_tutorial.reference.layouts import TRANSPOSED_LAYOUT, as_batch, as_kernel, as_pair

__all__ = [
    "TRANSPOSED_METHODS",
    "conv2d_transpose",
    "conv2d_transpose_scatter",
    "conv2d_transpose_matrix",
    "conv2d_transpose_zero_insertion",
    "bilinear_kernel",
    "overlap_map",
]


def _transposed_setup(x, kernel, strides, padding, output_padding, dilation_rate):
    """Batch, kernel as (kh, kw, out, in) float, and each axis' arithmetic."""
    batch, single = as_batch(x)
    kernel = as_kernel(kernel, np.float64, TRANSPOSED_LAYOUT)
    if kernel.shape[3] != batch.shape[-1]:
        raise ValueError(
            f"the kernel expects {kernel.shape[3]} input channels but x has "
            f"{batch.shape[-1]}: Conv2DTranspose's kernel is (kh, kw, out_channels, "
            "in_channels), so make kernel.shape[3] equal x.shape[-1]."
        )
    extra = (None, None) if output_padding is None else as_pair(output_padding, "output_padding")
    axes = tuple(
        arithmetic.transposed_conv_geometry(int(size), k, s, padding, a, d)
        for size, k, s, a, d in zip(
            batch.shape[1:3],
            kernel.shape[:2],
            as_pair(strides, "strides"),
            extra,
            as_pair(dilation_rate, "dilation_rate"),
        )
    )
    return batch.astype(np.float64), single, kernel, axes


def _finish(out, bias, single):
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    out = out.astype(np.float32)
    return out[0] if single else out


def conv2d_transpose_scatter(
    x, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1, bias=None
):
    """Transposed convolution as scatter-add: every input pixel stamps the kernel.

    Input pixel ``(r, c)`` adds ``x[r, c] * kernel`` to a canvas at ``(r * s, c * s)``;
    where stamps overlap they add up. The canvas is then cropped to the output (see
    :func:`arithmetic.transposed_conv_geometry`).

    Args:
        x: ``(H, W, C_in)`` or ``(N, H, W, C_in)``.
        kernel: ``(kernel_h, kernel_w, C_out, C_in)``, as ``Conv2DTranspose.kernel``; a
            2-D kernel is taken as one input and one output channel.
        strides, dilation_rate: ints or pairs.
        padding: ``"valid"``, ``"same"`` or an int (crop that many pixels each side).
        output_padding: ``None``, an int or a pair, each smaller than its stride.
        bias: optional ``(C_out,)``.

    Returns:
        ndarray: ``(N, out_h, out_w, C_out)`` float32 (no ``N`` for a single image).

    Raises:
        ValueError: for mismatched channels or arguments ``arithmetic`` rejects.

    Example:
        >>> conv2d_transpose_scatter(np.ones((2, 2, 1)), np.ones((3, 3)), strides=2)[..., 0]
        array([[1., 1., 2., 1., 1.],
               [1., 1., 2., 1., 1.],
               [2., 2., 4., 2., 2.],
               [1., 1., 2., 1., 1.],
               [1., 1., 2., 1., 1.]], dtype=float32)
    """
    batch, single, kernel, (rows, cols) = _transposed_setup(
        x, kernel, strides, padding, output_padding, dilation_rate
    )
    # The canvas reaches past the last stamp where output_padding appends zeros.
    height = max(rows.full_size, rows.crop[0] + rows.output_size)
    width = max(cols.full_size, cols.crop[0] + cols.output_size)
    canvas = np.zeros((batch.shape[0], height, width, kernel.shape[2]))
    for r in range(batch.shape[1]):
        for c in range(batch.shape[2]):
            top, left = r * rows.strides, c * cols.strides
            stamp = np.einsum("ni,hwoi->nhwo", batch[:, r, c, :], kernel)
            canvas[
                :,
                top : top + rows.span : rows.dilation_rate,
                left : left + cols.span : cols.dilation_rate,
                :,
            ] += stamp
    out = canvas[
        :,
        rows.crop[0] : rows.crop[0] + rows.output_size,
        cols.crop[0] : cols.crop[0] + cols.output_size,
        :,
    ]
    return _finish(out, bias, single)


def conv2d_transpose_matrix(
    x, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1, bias=None
):
    """Transposed convolution as ``C.T @ x``: the transpose of a convolution's matrix.

    The convolution that takes an ``(out_h, out_w, C_out)`` image to ``x``'s shape, with
    the same kernel array read in ``Conv2D``'s layout ``(kh, kw, C_out, C_in)``, is a
    matrix ``C`` (:func:`conv_matrix`); multiplying by its transpose goes the other way.
    Hence the name. Arguments and result as :func:`conv2d_transpose_scatter`.

    Example:
        >>> y = conv2d_transpose_matrix(np.ones((2, 2, 1)), np.ones((3, 3)), strides=2)
        >>> y.shape
        (5, 5, 1)
    """
    batch, single, kernel, (rows, cols) = _transposed_setup(
        x, kernel, strides, padding, output_padding, dilation_rate
    )
    output_shape = (rows.output_size, cols.output_size, kernel.shape[2])
    matrix = conv_matrix(
        kernel,
        output_shape,
        (rows.strides, cols.strides),
        padding,
        (rows.dilation_rate, cols.dilation_rate),
    )
    # The convolution of an output-sized image has x's shape: that is what makes C.T fit.
    assert matrix.shape == (int(np.prod(batch.shape[1:])), int(np.prod(output_shape)))
    out = batch.reshape(batch.shape[0], -1) @ matrix.astype(np.float64)
    return _finish(out.reshape(batch.shape[0], *output_shape), bias, single)


def conv2d_transpose_zero_insertion(
    x, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1, bias=None
):
    """Transposed convolution as an ordinary convolution of a stretched input.

    Insert ``strides - 1`` zeros between the input pixels, pad by ``k' - 1 - crop``
    zeros (plus ``output_padding`` at the end), and slide the kernel, flipped in both
    directions and with its channel axes swapped, at stride 1 (:func:`conv2d`).
    Arguments and result as :func:`conv2d_transpose_scatter`.

    Example:
        >>> y = conv2d_transpose_zero_insertion(np.ones((2, 2, 1)), np.ones((3, 3)), 2)
        >>> y[..., 0].sum()
        np.float32(36.0)
    """
    batch, single, kernel, (rows, cols) = _transposed_setup(
        x, kernel, strides, padding, output_padding, dilation_rate
    )
    dilated = np.zeros((batch.shape[0], rows.dilated_size, cols.dilated_size, batch.shape[3]))
    dilated[:, :: rows.strides, :: cols.strides, :] = batch
    padded = np.pad(dilated, ((0, 0), rows.pad, cols.pad, (0, 0)))
    flipped = kernel[::-1, ::-1].swapaxes(2, 3)
    out = conv2d(padded, flipped, 1, "valid", (rows.dilation_rate, cols.dilation_rate))
    assert out.shape[1:3] == (rows.output_size, cols.output_size)
    return _finish(out.astype(np.float64), bias, single)


TRANSPOSED_METHODS = {
    "scatter": conv2d_transpose_scatter,
    "matrix": conv2d_transpose_matrix,
    "zero_insertion": conv2d_transpose_zero_insertion,
}
"""dict[str, callable]: the three ways to compute a transposed convolution, by name."""


def conv2d_transpose(
    x,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    dilation_rate=1,
    bias=None,
    method="scatter",
):
    """2-D transposed convolution, equal to ``keras.layers.Conv2DTranspose``.

    Args:
        x: ``(H, W, C_in)`` or ``(N, H, W, C_in)``.
        kernel: ``(kernel_h, kernel_w, C_out, C_in)``: ``layer.kernel`` passes straight in.
        strides, dilation_rate: ints or pairs.
        padding: ``"valid"``, ``"same"``, or an int ``p`` (``"valid"`` then
            ``Cropping2D(p)``: the transpose of ``ZeroPadding2D(p)`` then ``Conv2D``).
        output_padding: ``None`` (Keras' default), an int or a pair, below the stride.
        bias: optional ``(C_out,)``.
        method: ``"scatter"``, ``"matrix"`` or ``"zero_insertion"`` (same result).

    Returns:
        ndarray: ``(N, out_h, out_w, C_out)`` float32 (no ``N`` for a single image), the
        sizes from :func:`arithmetic.transposed_conv_output_size`.

    Raises:
        ValueError: for an unknown method, mismatched channels, or arguments that
            :func:`arithmetic.transposed_conv_geometry` rejects.

    Example:
        >>> conv2d_transpose(np.ones((3, 3, 1)), np.ones((4, 4)), 2, "same").shape
        (6, 6, 1)
    """
    if method not in TRANSPOSED_METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {list(TRANSPOSED_METHODS)}.")
    return TRANSPOSED_METHODS[method](
        x, kernel, strides, padding, output_padding, dilation_rate, bias
    )


def _bilinear_taps(size: int) -> np.ndarray:
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    return 1 - np.abs(np.arange(size) - centre) / factor


def bilinear_kernel(kernel_size, in_channels: int = 1, out_channels: int | None = None):
    """The kernel that makes a transposed convolution upsample bilinearly (FCN's init).

    FCN's ``upsample_filt``: a tent ``1 - |t - centre| / factor`` along each axis with
    ``factor = (k + 1) // 2``. With ``kernel_size = 2 * strides`` and ``padding="same"``
    a ``Conv2DTranspose`` using it interpolates linearly between input pixels.

    Args:
        kernel_size: int or pair, usually ``2 * strides``.
        in_channels: channels of the layer's input.
        out_channels: channels of its output; defaults to ``in_channels``.

    Returns:
        kernel: ``(kh, kw, out_channels, in_channels) float32``, ``Conv2DTranspose``'s
        layout, the tent on each channel pair ``(c, c)`` and zeros elsewhere, so each
        channel is upsampled on its own.

    Example:
        >>> bilinear_kernel(4)[:, :, 0, 0][0]
        array([0.0625, 0.1875, 0.1875, 0.0625], dtype=float32)
    """
    kernel_h, kernel_w = as_pair(kernel_size, "kernel_size")
    out_channels = in_channels if out_channels is None else out_channels
    if min(kernel_h, kernel_w, in_channels, out_channels) < 1:
        raise ValueError(
            f"kernel_size {kernel_size!r} and channels ({in_channels}, {out_channels}) must "
            "be positive: use kernel_size=2 * strides and the layer's channel counts."
        )
    tent = np.outer(_bilinear_taps(kernel_h), _bilinear_taps(kernel_w))
    kernel = np.zeros((kernel_h, kernel_w, out_channels, in_channels), np.float32)
    for channel in range(min(in_channels, out_channels)):
        kernel[:, :, channel, channel] = tent
    return kernel


def overlap_map(kernel_size: int, strides: int, size: int, padding="valid", output_padding=None):
    """How many kernel stamps land on each output pixel of a transposed convolution.

    Uneven counts (kernel size not a multiple of the stride) are where checkerboard
    artifacts come from (Odena et al. 2016): some output pixels get more terms.

    Args:
        kernel_size: kernel taps along each axis.
        strides: the upsampling factor.
        size: side of the square input.
        padding, output_padding: as :func:`conv2d_transpose`.

    Returns:
        counts: ``(out, out) int64``, the transposed convolution of ones by ones.

    Example:
        >>> overlap_map(3, 2, 2)
        array([[1, 1, 2, 1, 1],
               [1, 1, 2, 1, 1],
               [2, 2, 4, 2, 2],
               [1, 1, 2, 1, 1],
               [1, 1, 2, 1, 1]])
    """
    ones = np.ones((size, size, 1))
    kernel = np.ones((kernel_size, kernel_size))
    counts = conv2d_transpose_scatter(ones, kernel, strides, padding, output_padding)
    return np.rint(counts[..., 0]).astype(np.int64)
