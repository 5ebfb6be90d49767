"""Pooling from scratch: every window reduced to its max or its mean, equal to
``keras.layers.MaxPooling2D`` and ``AveragePooling2D``.

Introduced in ``03_pooling.ipynb``. Pooling is a convolution whose kernel takes a max or a
mean, so it reads the same windows (:func:`~fcn_tutorial.reference.convolution.im2col`).
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial.reference.convolution import im2col
from fcn_tutorial.reference.layouts import as_pair

__all__ = ["max_pool2d", "avg_pool2d"]


def _pool(x, pool_size, strides, padding, reduce, fill):
    pool_size = as_pair(pool_size, "pool_size")
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
