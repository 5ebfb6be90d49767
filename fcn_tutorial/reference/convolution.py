"""Convolution from scratch: padding, every window as a row (``im2col``), the convolution
itself and its matrix; equal to ``keras.layers.Conv2D``.

Introduced in ``02_convolution.ipynb``. Like Keras (and every deep-learning library),
"convolution" here is cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial import arithmetic
from fcn_tutorial.reference.layouts import CONV_LAYOUT, as_batch, as_kernel, as_pair

__all__ = ["padding_amounts", "pad_input", "im2col", "conv2d", "conv_matrix"]


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
        as_pair(v, n)
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
    batch, single = as_batch(x)
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
    batch, single = as_batch(x)
    kernel_h, kernel_w = as_pair(kernel_size, "kernel_size")
    stride_h, stride_w = as_pair(strides, "strides")
    dilation_h, dilation_w = as_pair(dilation_rate, "dilation_rate")
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
    kernel = as_kernel(kernel, np.float32, CONV_LAYOUT)
    channels = as_batch(x)[0].shape[-1]
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
    kernel = as_kernel(kernel, np.float32, CONV_LAYOUT)
    shape = tuple(input_shape) if len(input_shape) == 3 else (*input_shape, 1)
    # Convolving each one-hot input gives one column of the matrix.
    basis = np.eye(int(np.prod(shape)), dtype=np.float32).reshape(-1, *shape)
    columns = conv2d(basis, kernel, strides, padding, dilation_rate)
    return columns.reshape(len(basis), -1).T
