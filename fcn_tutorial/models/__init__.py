"""Pretrained ImageNet classifiers and the Fully Convolutional Networks built on them.

Keras 3 only (``keras.layers``, ``keras.ops``, ``keras.applications``), so the same
code runs on the TensorFlow, JAX and PyTorch backends. Introduced in
``01_segmentation_intro.ipynb`` (classifiers), ``04_transposed_convolution.ipynb``
(:class:`BilinearInitializer`), ``05_transfer_learning.ipynb`` (:func:`convolutionalize`,
:func:`backbone_layers`) and ``06_skip_layers.ipynb`` (:func:`build_fcn`, :func:`skip_graph`).

- ``classifiers``: :func:`load_imagenet_classifier`, :func:`classify`, and the
  :class:`WeightsUnavailableError` raised when ImageNet weights cannot be had.
- ``layers``: :class:`BilinearInitializer` and the small ``keras.ops`` layers an FCN
  needs (preprocessing, padding to a multiple of 32, cropping back).
- ``backbones``: the backbone tables (:data:`SKIP_TAPS`, ...) and weight loading.
- ``fcn``: :func:`build_fcn` and :func:`convolutionalize`.
- ``graph``: :func:`skip_graph`, the maps a built FCN fuses, read from its layers.
- ``reach``: :func:`receptive_reach`, how far a model's output sees: the context a tile
  of a large image needs (``fcn-tutorial predict`` on big photos).
"""

from fcn_tutorial.models.backbones import (
    BACKBONES,
    IMAGENET_ALPHAS,
    PREPROCESSING,
    SKIP_TAPS,
    imagenet_weights_available,
    imagenet_weights_file,
    load_imagenet_backbone,
)
from fcn_tutorial.models.classifiers import (
    WeightsUnavailableError,
    classify,
    load_imagenet_classifier,
)
from fcn_tutorial.models.fcn import (
    HEAD_LAYERS,
    SKIP_LAYERS,
    VARIANTS,
    backbone_layers,
    build_fcn,
    convolutionalize,
)
from fcn_tutorial.models.graph import skip_graph
from fcn_tutorial.models.layers import (
    BilinearInitializer,
    CropToReference,
    ImageNetPreprocessing,
    PadToMultiple,
)
from fcn_tutorial.models.reach import Reach, receptive_reach

__all__ = [
    "WeightsUnavailableError",
    "load_imagenet_classifier",
    "classify",
    "load_imagenet_backbone",
    "imagenet_weights_file",
    "imagenet_weights_available",
    "BilinearInitializer",
    "ImageNetPreprocessing",
    "PadToMultiple",
    "CropToReference",
    "BACKBONES",
    "IMAGENET_ALPHAS",
    "SKIP_TAPS",
    "PREPROCESSING",
    "VARIANTS",
    "SKIP_LAYERS",
    "HEAD_LAYERS",
    "backbone_layers",
    "build_fcn",
    "convolutionalize",
    "skip_graph",
    "Reach",
    "receptive_reach",
]
