"""Keras' array layouts, read and checked once for every reference function.

Images are ``(N, H, W, C)`` or a single ``(H, W, C)``; kernels are 4-D, in ``Conv2D``'s
layout (:data:`CONV_LAYOUT`) or ``Conv2DTranspose``'s (:data:`TRANSPOSED_LAYOUT`), a 2-D
kernel taken as one input and one output channel; sizes, strides and dilations are an
int or a pair ``(rows, cols)``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["CONV_LAYOUT", "TRANSPOSED_LAYOUT", "as_pair", "as_batch", "as_kernel"]

CONV_LAYOUT = "(kh, kw, in_channels, out_channels)"
"""str: ``Conv2D.kernel``'s layout, as error messages name it."""
TRANSPOSED_LAYOUT = "(kh, kw, out_channels, in_channels), as Conv2DTranspose.kernel"
"""str: ``Conv2DTranspose.kernel``'s layout, as error messages name it."""


def as_pair(value, name: str) -> tuple[int, int]:
    """``value`` as ``(rows, cols)``: an int for both, or a pair; ``name`` for the error.

    Integers only: ``int()`` would turn ``strides=2.5`` into 2 in silence.

    Example:
        >>> as_pair(2, "strides"), as_pair((3, 1), "kernel_size")
        ((2, 2), (3, 1))
    """
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    whole = all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair)
    if len(pair) != 2 or not whole:
        raise ValueError(f"{name}={value!r}: pass an int or a pair of ints (rows, cols).")
    return int(pair[0]), int(pair[1])


def as_batch(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """``x`` as ``(N, H, W, C)``, and whether it was a single ``(H, W, C)`` image."""
    x = np.asarray(x)
    if x.ndim == 3:
        return x[None], True
    if x.ndim == 4:
        return x, False
    raise ValueError(
        f"x must be (H, W, C) or (N, H, W, C), got shape {x.shape}: "
        "add a channel axis to a 2-D image with x[..., None]."
    )


def as_kernel(kernel, dtype, layout: str) -> np.ndarray:
    """A kernel as 4-D ``layout``; a 2-D one is taken as one input and one output channel."""
    kernel = np.asarray(kernel, dtype=dtype)
    if kernel.ndim == 2:
        kernel = kernel[:, :, None, None]
    if kernel.ndim != 4:
        raise ValueError(f"kernel must be {layout}, got shape {kernel.shape}.")
    return kernel
