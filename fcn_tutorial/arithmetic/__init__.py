"""Convolution arithmetic: output sizes and receptive fields, in pure Python.

Every size the tutorial states is computed here and checked against the real
Keras layers in ``tests/test_arithmetic.py``. This package imports no Keras and no
NumPy, so a learner can read it as pages of formulas, one job a module, each
module's docstring stating its formulas:

- ``sizes``: output sizes and ``"same"`` padding of convolution and pooling
  (``02_convolution.ipynb``, ``03_pooling.ipynb``);
- ``fields``: receptive fields through a stack of layers (``03_pooling.ipynb``);
- ``transposed``: transposed convolution, its sizes and both of its views
  (``04_transposed_convolution.ipynb``);
- ``vgg``: VGG16's layers as a table, its sizes and receptive fields, stage by stage,
  classifier and convolutionalized (``03_pooling.ipynb``, ``05_transfer_learning.ipynb``).

Every public name is here too: ``arithmetic.conv_output_size(5, 3)``.
"""

from fcn_tutorial.arithmetic.fields import LAYER_KEYS, ReceptiveField, receptive_field
from fcn_tutorial.arithmetic.sizes import (
    conv_output_size,
    effective_kernel_size,
    pool_output_size,
    same_padding,
)
from fcn_tutorial.arithmetic.transposed import (
    TransposedConv,
    transposed_conv_geometry,
    transposed_conv_output_size,
    transposed_equivalent,
)
from fcn_tutorial.arithmetic.vgg import (
    VGG16_FILTERS,
    VGG16_HEAD,
    VGG16_LAYERS,
    vgg16_receptive_fields,
    vgg16_stages,
)

__all__ = [
    "effective_kernel_size",
    "conv_output_size",
    "pool_output_size",
    "same_padding",
    "ReceptiveField",
    "receptive_field",
    "LAYER_KEYS",
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
