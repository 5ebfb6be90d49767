"""Segmentation data: class metadata, synthetic streets, CamVid, KITTI, your folders, batches.

- class names, ``PALETTE``, ``VOID``, the KITTI tables, ``colourize`` and the class
  statistics, re-exported from :mod:`fcn_tutorial.classes` (they live there so that
  drawing code can colour masks without importing the loaders).
- ``synthetic``: ``synthetic_driving`` and ``synthetic_drive``, the offline default data.
- ``camvid``: ``load_camvid``, downloaded once and checked against a sha256 manifest.
- ``folders``: ``load_folder`` for your own data, ``load_kitti_road``, and the readers
  (``read_image``, ``read_mask``) whose checks every loader shares.
- ``augment``: random scale, crop, flip and colour jitter in NumPy.
- ``pipeline``: ``SegmentationSequence``, batches for ``model.fit`` on any backend. It is
  the only module here that imports Keras, so it is loaded on first use.

``python -m fcn_tutorial.datasets`` prints how fast this machine draws scenes.
"""

from fcn_tutorial.classes import (
    CLASS_NAMES,
    KITTI_CLASS_NAMES,
    KITTI_COLOURS,
    KITTI_PALETTE,
    NUM_CLASSES,
    PALETTE,
    VOID,
    class_frequencies,
    colourize,
    median_frequency_weights,
)
from fcn_tutorial.datasets.augment import Augmentation, augment_pair, pad_pair, resize_pair
from fcn_tutorial.datasets.camvid import CAMVID_URL, camvid_root, download_camvid, load_camvid
from fcn_tutorial.datasets.folders import (
    load_folder,
    load_kitti_road,
    read_image,
    read_mask,
)
from fcn_tutorial.datasets.synthetic import benchmark_synthetic, synthetic_drive, synthetic_driving

__all__ = [
    "CLASS_NAMES",
    "NUM_CLASSES",
    "VOID",
    "PALETTE",
    "colourize",
    "class_frequencies",
    "median_frequency_weights",
    "synthetic_driving",
    "synthetic_drive",
    "benchmark_synthetic",
    "CAMVID_URL",
    "camvid_root",
    "download_camvid",
    "load_camvid",
    "KITTI_CLASS_NAMES",
    "KITTI_COLOURS",
    "KITTI_PALETTE",
    "load_folder",
    "load_kitti_road",
    "read_image",
    "read_mask",
    "Augmentation",
    "augment_pair",
    "pad_pair",
    "resize_pair",
    "SegmentationSequence",
    "benchmark_camvid",
]

_LAZY = {"SegmentationSequence", "benchmark_camvid"}


def __getattr__(name):
    # Importing Keras takes seconds; reading data should not wait for it.
    if name in _LAZY:
        from fcn_tutorial.datasets import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
