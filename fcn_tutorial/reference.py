"""Convolution and pooling from scratch in NumPy, in Keras' layouts.

These are the slow, obvious versions that the notebooks explain and the tests hold
equal to ``keras.layers.Conv2D``, ``MaxPooling2D`` and ``AveragePooling2D``. Arrays use
Keras' layouts so a layer's weights pass straight in:

- images ``x``: ``(N, H, W, C)`` or a single ``(H, W, C)``;
- kernels: ``(kernel_h, kernel_w, in_channels, out_channels)``, as ``Conv2D.kernel``.

Like Keras (and every deep-learning library), "convolution" here is cross-correlation:
the kernel is not flipped. Introduced in ``02_convolution.ipynb`` and ``03_pooling.ipynb``.

Transposed convolution (``04_transposed_convolution.ipynb``) takes its kernel in
``Conv2DTranspose``'s own layout, ``(kernel_h, kernel_w, out_channels, in_channels)``,
and is written three ways that the tests hold equal to each other and to Keras:
scatter-add (:func:`conv2d_transpose_scatter`), the transposed matrix
(:func:`conv2d_transpose_matrix`) and zero insertion
(:func:`conv2d_transpose_zero_insertion`).

Two lessons are computed here too, for their figures: :func:`pooling_shift` (03) and
:func:`checkerboard_outputs` (04).
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial import arithmetic

__all__ = [
    "padding_amounts",
    "pad_input",
    "im2col",
    "conv2d",
    "conv_matrix",
    "max_pool2d",
    "avg_pool2d",
    "TRANSPOSED_METHODS",
    "conv2d_transpose",
    "conv2d_transpose_scatter",
    "conv2d_transpose_matrix",
    "conv2d_transpose_zero_insertion",
    "bilinear_kernel",
    "overlap_map",
    "pooling_shift",
    "checkerboard_outputs",
]


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (rows, cols), got {value!r}.")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _as_batch(x: np.ndarray) -> tuple[np.ndarray, bool]:
    x = np.asarray(x)
    if x.ndim == 3:
        return x[None], True
    if x.ndim == 4:
        return x, False
    raise ValueError(
        f"x must be (H, W, C) or (N, H, W, C), got shape {x.shape}: "
        "add a channel axis to a 2-D image with x[..., None]."
    )


_CONV_LAYOUT = "(kh, kw, in_channels, out_channels)"
_TRANSPOSED_LAYOUT = "(kh, kw, out_channels, in_channels), as Conv2DTranspose.kernel"


def _as_kernel(kernel, dtype, layout: str) -> np.ndarray:
    """A kernel as 4-D ``layout``; a 2-D one is taken as one input and one output channel."""
    kernel = np.asarray(kernel, dtype=dtype)
    if kernel.ndim == 2:
        kernel = kernel[:, :, None, None]
    if kernel.ndim != 4:
        raise ValueError(f"kernel must be {layout}, got shape {kernel.shape}.")
    return kernel


def padding_amounts(input_shape, kernel_size, strides=1, padding="valid", dilation_rate=1):
    """Zeros added before and after each spatial axis.

    Args:
        input_shape: ``(H, W)``.
        kernel_size, strides, dilation_rate: ints or pairs.
        padding: ``"valid"``, ``"same"`` or an int (zeros on every side).

    Returns:
        tuple: ``((top, bottom), (left, right))``.
    """
    kernel, steps, dilation = (
        _pair(v, n)
        for v, n in [
            (kernel_size, "kernel_size"),
            (strides, "strides"),
            (dilation_rate, "dilation_rate"),
        ]
    )
    amounts = []
    for size, k, s, d in zip(input_shape, kernel, steps, dilation):
        # Validates everything, including a kernel wider than the padded input.
        arithmetic.conv_output_size(int(size), k, s, padding, d)
        if padding == "same":
            amounts.append(arithmetic.same_padding(int(size), k, s, d))
        else:
            pad = 0 if padding == "valid" else padding
            amounts.append((pad, pad))
    return tuple(amounts)


def pad_input(x, kernel_size, strides=1, padding="valid", dilation_rate=1, value=0.0):
    """Pad the spatial axes of ``x`` as a Keras layer with these arguments would.

    Args:
        x: ``(H, W, C)`` or ``(N, H, W, C)``.
        value: the fill; pooling pads with ``-inf`` (max) so padding never wins.

    Returns:
        ndarray: ``x`` with its height and width padded, same rank and dtype family.
    """
    batch, single = _as_batch(x)
    (top, bottom), (left, right) = padding_amounts(
        batch.shape[1:3], kernel_size, strides, padding, dilation_rate
    )
    padded = np.pad(
        batch.astype(np.result_type(batch.dtype, np.float32)),
        ((0, 0), (top, bottom), (left, right), (0, 0)),
        constant_values=value,
    )
    return padded[0] if single else padded


def im2col(x, kernel_size, strides=1, padding="valid", dilation_rate=1, value=0.0):
    """Every window the kernel visits, flattened: convolution becomes one matrix product.

    Args:
        x: ``(H, W, C)`` or ``(N, H, W, C)``.

    Returns:
        patches: ``(N, out_h, out_w, kernel_h * kernel_w * C)`` (no ``N`` for a single
        image), each row ordered like ``kernel.reshape(-1, out_channels)``.

    Example:
        >>> im2col(np.arange(16.0).reshape(4, 4, 1), 3).shape
        (2, 2, 9)
    """
    batch, single = _as_batch(x)
    kernel_h, kernel_w = _pair(kernel_size, "kernel_size")
    stride_h, stride_w = _pair(strides, "strides")
    dilation_h, dilation_w = _pair(dilation_rate, "dilation_rate")
    padded = pad_input(batch, kernel_size, strides, padding, dilation_rate, value=value)
    out_h = arithmetic.conv_output_size(batch.shape[1], kernel_h, stride_h, padding, dilation_h)
    out_w = arithmetic.conv_output_size(batch.shape[2], kernel_w, stride_w, padding, dilation_w)
    taps = []
    for i in range(kernel_h):
        for j in range(kernel_w):
            # The tap (i, j) of every window at once: a strided slice of the padded input.
            top, left = i * dilation_h, j * dilation_w
            taps.append(
                padded[
                    :,
                    top : top + stride_h * (out_h - 1) + 1 : stride_h,
                    left : left + stride_w * (out_w - 1) + 1 : stride_w,
                    :,
                ]
            )
    patches = np.stack(taps, axis=3).reshape(batch.shape[0], out_h, out_w, -1)
    return patches[0] if single else patches


def conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1, bias=None):
    """2-D convolution (cross-correlation), equal to ``keras.layers.Conv2D``.

    Args:
        x: ``(H, W, C_in)`` or ``(N, H, W, C_in)`` float.
        kernel: ``(kernel_h, kernel_w, C_in, C_out)``, as ``Conv2D.kernel``; a 2-D
            kernel is taken as one input and one output channel.
        strides, dilation_rate: ints or pairs; padding: ``"valid"``, ``"same"`` or int.
        bias: optional ``(C_out,)``.

    Returns:
        ndarray: ``(N, out_h, out_w, C_out)`` float32 (no ``N`` for a single image).

    Raises:
        ValueError: when the kernel's input channels differ from ``x``'s.

    Example:
        >>> x = np.ones((5, 5, 1))
        >>> conv2d(x, np.ones((3, 3)))[..., 0]
        array([[9., 9., 9.],
               [9., 9., 9.],
               [9., 9., 9.]], dtype=float32)
    """
    kernel = _as_kernel(kernel, np.float32, _CONV_LAYOUT)
    channels = _as_batch(x)[0].shape[-1]
    if kernel.shape[2] != channels:
        raise ValueError(
            f"the kernel expects {kernel.shape[2]} input channels but x has {channels}: "
            "make kernel.shape[2] equal x.shape[-1]."
        )
    patches = im2col(x, kernel.shape[:2], strides, padding, dilation_rate)
    out = patches.astype(np.float32) @ kernel.reshape(-1, kernel.shape[3])
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float32)
    return out.astype(np.float32)


def conv_matrix(kernel, input_shape, strides=1, padding="valid", dilation_rate=1):
    """The matrix ``C`` of a convolution: ``conv2d(x).ravel() == C @ x.ravel()``.

    A convolution is linear in its input, so it *is* a (sparse, weight-shared)
    matrix. Its transpose gives the transposed convolution (``04``).

    Args:
        kernel: ``(kernel_h, kernel_w, C_in, C_out)`` or 2-D.
        input_shape: ``(H, W, C_in)`` of a single image (or ``(H, W)`` for one channel).

    Returns:
        ndarray: ``(out_h * out_w * C_out, H * W * C_in)`` float32.

    Example:
        >>> conv_matrix(np.ones((3, 3)), (4, 4)).shape
        (4, 16)
    """
    kernel = _as_kernel(kernel, np.float32, _CONV_LAYOUT)
    shape = tuple(input_shape) if len(input_shape) == 3 else (*input_shape, 1)
    # Convolving each one-hot input gives one column of the matrix.
    basis = np.eye(int(np.prod(shape)), dtype=np.float32).reshape(-1, *shape)
    columns = conv2d(basis, kernel, strides, padding, dilation_rate)
    return columns.reshape(len(basis), -1).T


def _pool(x, pool_size, strides, padding, reduce, fill):
    pool_size = _pair(pool_size, "pool_size")
    strides = pool_size if strides is None else strides
    patches = im2col(x, pool_size, strides, padding, value=fill)
    channels = np.asarray(x).shape[-1]
    windows = patches.reshape(*patches.shape[:-1], pool_size[0] * pool_size[1], channels)
    return reduce(windows, axis=-2).astype(np.float32)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling, equal to ``keras.layers.MaxPooling2D``.

    Args:
        x: ``(H, W, C)`` or ``(N, H, W, C)``.
        pool_size: int or pair; strides: defaults to ``pool_size``, as in Keras.
        padding: ``"valid"`` or ``"same"`` (padding never wins: it is ``-inf``).

    Returns:
        ndarray: the pooled maps, float32.
    """
    return _pool(x, pool_size, strides, padding, np.max, -np.inf)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling, equal to ``keras.layers.AveragePooling2D``.

    With ``padding="same"`` Keras averages only the real pixels of a window that
    hangs over the edge, so padded cells are left out of both sum and count.

    Returns:
        ndarray: the pooled maps, float32.
    """
    return _pool(x, pool_size, strides, padding, np.nanmean, np.nan)


def pooling_shift(image: np.ndarray, pool_size: int = 2) -> dict:
    """An image and the image moved one pixel right, before and after max pooling.

    The lesson of ``figures/03_pooling-shift-invariance.png`` (``03_pooling.ipynb``):
    a shift by one pixel changes most pixels but fewer values of the max-pooled map.

    Args:
        image: ``(H, W + 1)`` grey levels. The original is ``image[:, 1:]`` and the
            shifted copy ``image[:, :-1]``, so neither has an invented border column.
        pool_size: the max pooling's window and strides.

    Returns:
        dict: ``original`` and ``shifted`` ``(H, W)``, their pooled maps ``pooled`` and
        ``pooled_shifted`` (:func:`max_pool2d`, float32), and ``unchanged_pixels`` /
        ``unchanged_pooled``, the fraction of values equal in both (floats).

    Example:
        >>> result = pooling_shift(np.array([[1, 9, 2, 5, 7], [1, 9, 2, 5, 7]]))
        >>> result["pooled"], result["pooled_shifted"]
        (array([[9., 7.]], dtype=float32), array([[9., 5.]], dtype=float32))
        >>> result["unchanged_pixels"], result["unchanged_pooled"]
        (0.0, 0.5)
    """
    image = np.asarray(image)
    if image.ndim != 2 or image.shape[1] < 2:
        raise ValueError(
            f"image of shape {image.shape}: pass one (H, W + 1) grey image, e.g. "
            "to_grey(photo)[:, : W + 1]."
        )
    original, shifted = image[:, 1:], image[:, :-1]
    pooled = max_pool2d(original[..., None], pool_size)[..., 0]
    pooled_shifted = max_pool2d(shifted[..., None], pool_size)[..., 0]
    return {
        "original": original,
        "shifted": shifted,
        "pooled": pooled,
        "pooled_shifted": pooled_shifted,
        "unchanged_pixels": float(np.mean(original == shifted)),
        "unchanged_pooled": float(np.mean(pooled == pooled_shifted)),
    }


# --- Transposed convolution ------------------------------------------------------------------


def _transposed_setup(x, kernel, strides, padding, output_padding, dilation_rate):
    """Batch, kernel as (kh, kw, out, in) float, and each axis' arithmetic."""
    batch, single = _as_batch(x)
    kernel = _as_kernel(kernel, np.float64, _TRANSPOSED_LAYOUT)
    if kernel.shape[3] != batch.shape[-1]:
        raise ValueError(
            f"the kernel expects {kernel.shape[3]} input channels but x has "
            f"{batch.shape[-1]}: Conv2DTranspose's kernel is (kh, kw, out_channels, "
            "in_channels), so make kernel.shape[3] equal x.shape[-1]."
        )
    extra = (None, None) if output_padding is None else _pair(output_padding, "output_padding")
    axes = tuple(
        arithmetic.transposed_conv_geometry(int(size), k, s, padding, a, d)
        for size, k, s, a, d in zip(
            batch.shape[1:3],
            kernel.shape[:2],
            _pair(strides, "strides"),
            extra,
            _pair(dilation_rate, "dilation_rate"),
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
    kernel_h, kernel_w = _pair(kernel_size, "kernel_size")
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


def checkerboard_outputs(size: int = 8, channels: int = 4, seed: int = 0) -> dict:
    """Three kinds of small upsampling network (×4, two ×2 stages) applied to a flat image.

    The lesson of ``figures/04_checkerboard.png`` (``04_transposed_convolution.ipynb``),
    computed with this module's layers: random-initialised transposed convolutions
    (kernel 3 and kernel 4, stride 2), bilinear-initialised ones (kernel 4, stride 2)
    and nearest-neighbour resizing followed by a random 3×3 convolution, each stage
    ``padding="same"``, ``channels`` channels in between, Glorot-uniform weights.

    Returns:
        dict: name to ``(4 * size, 4 * size) float32`` output of a ``(size, size, 1)``
        image of ones.
    """
    rng = np.random.default_rng(seed)
    flat = np.ones((size, size, 1), np.float32)

    def glorot(kernel_size, fan_in, fan_out):
        limit = np.sqrt(6 / (kernel_size**2 * (fan_in + fan_out)))
        return rng.uniform(-limit, limit, (kernel_size, kernel_size, fan_in, fan_out))

    def transposed(kernel_size, init):
        x = flat
        for fan_in, fan_out in ((1, channels), (channels, 1)):
            if init == "bilinear":
                kernel = bilinear_kernel(kernel_size, fan_in, fan_out)
            else:
                # Conv2DTranspose's layout is (k, k, out, in).
                kernel = glorot(kernel_size, fan_out, fan_in)
            x = conv2d_transpose(x, kernel, 2, "same")
        return x[..., 0]

    def resize_convolve():
        x = flat
        for fan_in, fan_out in ((1, channels), (channels, 1)):
            x = x.repeat(2, axis=0).repeat(2, axis=1)
            x = conv2d(x, glorot(3, fan_in, fan_out), padding="same")
        return x[..., 0]

    outputs = {
        "transposed, random, kernel 3": transposed(3, "random"),
        "transposed, random, kernel 4": transposed(4, "random"),
        "transposed, bilinear, kernel 4": transposed(4, "bilinear"),
        "resize, then random conv 3×3": resize_convolve(),
    }
    for output in outputs.values():
        assert output.shape == (4 * size, 4 * size)
    return outputs
