"""Convolution and pooling from scratch in NumPy, in Keras' layouts.

These are the slow, obvious versions that the notebooks explain and the tests hold
equal to ``keras.layers.Conv2D``, ``MaxPooling2D`` and ``AveragePooling2D``. Arrays use
Keras' layouts so a layer's weights pass straight in:

- images ``x``: ``(N, H, W, C)`` or a single ``(H, W, C)``;
- kernels: ``(kernel_h, kernel_w, in_channels, out_channels)``, as ``Conv2D.kernel``.

Like Keras (and every deep-learning library), "convolution" here is cross-correlation:
the kernel is not flipped. Introduced in ``02_convolution.ipynb`` and ``03_pooling.ipynb``.
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
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim == 2:
        kernel = kernel[:, :, None, None]
    if kernel.ndim != 4:
        raise ValueError(
            f"kernel must be (kh, kw, in_channels, out_channels), got shape {kernel.shape}."
        )
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
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim == 2:
        kernel = kernel[:, :, None, None]
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
