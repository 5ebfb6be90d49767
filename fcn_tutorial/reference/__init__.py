"""Convolution, pooling and transposed convolution from scratch in NumPy, in Keras' layouts.

These are the slow, obvious versions that the notebooks explain and the tests hold
equal to ``keras.layers.Conv2D``, ``MaxPooling2D``, ``AveragePooling2D`` and
``Conv2DTranspose``. Arrays use Keras' layouts so a layer's weights pass straight in:

- images ``x``: ``(N, H, W, C)`` or a single ``(H, W, C)``;
- kernels: ``(kernel_h, kernel_w, in_channels, out_channels)``, as ``Conv2D.kernel``,
  and ``(kernel_h, kernel_w, out_channels, in_channels)`` for a transposed convolution,
  as ``Conv2DTranspose.kernel``.

One job a module:

- ``layouts``: those layouts read and checked (ints or pairs, one image or a batch);
- ``convolution``: padding, ``im2col``, :func:`conv2d` and its matrix
  (``02_convolution.ipynb``);
- ``pooling``: :func:`max_pool2d` and :func:`avg_pool2d` (``03_pooling.ipynb``);
- ``transposed``: :func:`conv2d_transpose` three ways (scatter-add, the transposed
  matrix, zero insertion), :func:`bilinear_kernel`, :func:`overlap_map`
  (``04_transposed_convolution.ipynb``);
- ``lessons``: two lessons computed for their figures, :func:`pooling_shift` (03) and
  :func:`checkerboard_outputs` (04).

Every public name is here too: ``reference.conv2d(x, kernel)``.
"""

from fcn_tutorial.reference.convolution import (
    conv2d,
    conv_matrix,
    im2col,
    pad_input,
    padding_amounts,
)
from fcn_tutorial.reference.lessons import checkerboard_outputs, pooling_shift
from fcn_tutorial.reference.pooling import avg_pool2d, max_pool2d
from fcn_tutorial.reference.transposed import (
    TRANSPOSED_METHODS,
    bilinear_kernel,
    conv2d_transpose,
    conv2d_transpose_matrix,
    conv2d_transpose_scatter,
    conv2d_transpose_zero_insertion,
    overlap_map,
)

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
