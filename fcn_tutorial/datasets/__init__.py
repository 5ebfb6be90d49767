"""Segmentation data: class metadata, synthetic streets, CamVid, KITTI, your folders, batches.

``load_split(source, split)`` is the front door: it finds, checks and reads one split of
any source and returns a ``Split`` (images, masks, class names, file names); the loaders
listed below sit behind it, each knowing one source. ``locate_camvid`` says where a
complete CamVid copy is.

- ``splits``: ``load_split`` and ``Split``.
- class names, ``PALETTE``, ``VOID``, the KITTI tables, ``colourize`` and the class
  statistics, re-exported from :mod:`fcn_tutorial.classes` (they live there so that
  drawing code can colour masks without importing the loaders).
- ``synthetic``: ``synthetic_driving`` and ``synthetic_drive``, the offline default data;
  ``synthetic_instances`` adds each object's id.
- ``camvid``: ``load_camvid``, downloaded once and checked against a sha256 manifest;
  ``locate_camvid``; ``camvid.is_complete`` checks one folder.
- ``download``: the hash-checked HTTP fetching behind it: timeouts, retries, and the
  temporary files of a killed download removed by the next one.
- ``folders``: ``load_folder`` for your own data, and the readers (``read_image``,
  ``read_mask``) whose checks every loader shares.
- ``kitti``: ``load_kitti_road``, from your download of KITTI road.
- ``camvid_paths``, ``folder_paths``, ``kitti_road_paths``: a source's files, checked but
  not read, for ``SegmentationSequence`` to read batch by batch.
- ``augment``: random scale, crop, flip and colour jitter in NumPy.
- ``pipeline``: ``SegmentationSequence``, batches for ``model.fit`` on any backend. It is
  the only module here that imports Keras, so it is loaded on first use.

``throughput`` times them (``fcn-tutorial bench data``); ``python -m fcn_tutorial.datasets``
prints how fast this machine draws scenes.
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
from fcn_tutorial.datasets.camvid import (
    CAMVID_URL,
    camvid_paths,
    camvid_root,
    download_camvid,
    load_camvid,
    locate_camvid,
)
from fcn_tutorial.datasets.folders import (
    folder_paths,
    load_folder,
    read_image,
    read_mask,
)
from fcn_tutorial.datasets.kitti import kitti_road_paths, load_kitti_road
from fcn_tutorial.datasets.splits import SOURCES, Split, load_split
from fcn_tutorial.datasets.synthetic import synthetic_drive, synthetic_driving, synthetic_instances

__all__ = [
    "SOURCES",
    "Split",
    "load_split",
    "locate_camvid",
    "CLASS_NAMES",
    "NUM_CLASSES",
    "VOID",
    "PALETTE",
    "colourize",
    "class_frequencies",
    "median_frequency_weights",
    "synthetic_driving",
    "synthetic_drive",
    "synthetic_instances",
    "CAMVID_URL",
    "camvid_root",
    "camvid_paths",
    "download_camvid",
    "load_camvid",
    "KITTI_CLASS_NAMES",
    "KITTI_COLOURS",
    "KITTI_PALETTE",
    "folder_paths",
    "kitti_road_paths",
    "load_folder",
    "load_kitti_road",
    "read_image",
    "read_mask",
    "Augmentation",
    "augment_pair",
    "pad_pair",
    "resize_pair",
    "SegmentationSequence",
]

_LAZY = {"SegmentationSequence"}


def __getattr__(name):
    # Importing Keras takes seconds; reading data should not wait for it.
    if name in _LAZY:
        from fcn_tutorial.datasets import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
