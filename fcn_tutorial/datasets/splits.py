"""One front door to every source of data: ``load_split(source, split) -> Split``.

Training, evaluation, the experiments, the demo and the notebooks ask for data here; the
loaders behind it (``synthetic_driving``, ``load_camvid``, ``load_kitti_road``,
``load_folder``) each know one source::

    train = load_split("camvid", "train")        # finds a copy (locate_camvid), or downloads
    images, masks = train                        # (367, 360, 480, 3) and (367, 360, 480) uint8
    val = load_split("synthetic", "val", seed=0)  # streets training never saw (seed + 1)

Introduced with the training notebooks (05 onwards).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from fcn_tutorial.classes import CLASS_NAMES, KITTI_CLASS_NAMES, KITTI_COLOURS, NUM_CLASSES, VOID
from fcn_tutorial.datasets import camvid
from fcn_tutorial.datasets.folders import (
    ColourMaskError,
    folder_paths,
    read_pairs,
    select_stems,
)
from fcn_tutorial.datasets.kitti import kitti_road_paths
from fcn_tutorial.datasets.synthetic import synthetic_driving

__all__ = ["SOURCES", "SPLITS", "Split", "load_split"]

SOURCES = ("synthetic", "camvid", "kitti", "folder")
SPLITS = ("train", "val", "test")

# Each split draws other streets: val and test are scenes training never saw.
_SYNTHETIC_SEED_OFFSET = {"train": 0, "val": 1, "test": 2}
_SYNTHETIC_COUNT = {"train": 96, "val": 24, "test": 24}
_SYNTHETIC_SIZE = (96, 128)
# The keyword arguments each source reads; any other one given (not None) is a mistake
# worth naming, not something to ignore.
_READS = {
    "synthetic": {"size", "count", "seed"},
    "camvid": {"root", "size", "count", "select", "download"},
    "kitti": {"root", "size", "count", "num_val", "select"},
    "folder": {
        *("root", "images", "masks", "num_classes", "void_index"),
        *("size", "count", "num_val", "select"),
    },
}


@dataclasses.dataclass(frozen=True, eq=False)
class Split:
    """The images and masks of one split of one source, with what they are.

    ``images, masks = split`` unpacks it; ``len(split)`` counts the pairs.

    Attributes:
        images: ``(N, H, W, 3) uint8``, or a list of ``(H, W, 3) uint8`` when sizes differ.
        masks: ``(N, H, W) uint8`` (or a list), ``VOID`` for unlabelled pixels.
        class_names: the name of each label ``0 .. C - 1``.
        names: one id per image: its file stem (``"0016E5_07959"``) or
            ``"synthetic-00012"``.
        source: ``"synthetic"``, ``"camvid"``, ``"kitti"`` or ``"folder"``.
        root: the folder read, ``None`` for synthetic scenes.
    """

    images: np.ndarray | list
    masks: np.ndarray | list
    class_names: tuple[str, ...]
    names: tuple[str, ...]
    source: str
    root: str | None

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self):
        yield self.images
        yield self.masks

    def __repr__(self) -> str:
        sizes = sorted({tuple(mask.shape) for mask in self.masks})
        size = f"{sizes[0]}" if len(sizes) == 1 else f"{len(sizes)} sizes"
        return (
            f"Split(source={self.source!r}, {len(self)} images of {size}, "
            f"{len(self.class_names)} classes, root={self.root!r})"
        )


def load_split(
    source: str,
    split: str = "train",
    *,
    root: str | os.PathLike | None = None,
    images: str | os.PathLike | None = None,
    masks: str | os.PathLike | None = None,
    num_classes: int | None = None,
    void_index: int | None = None,
    size: tuple[int, int] | None = None,
    count: int | None = None,
    num_val: int | None = None,
    seed: int = 0,
    select: Sequence[str] | Callable[[str], bool] | None = None,
    download: bool = True,
) -> Split:
    """The images and masks of one split of a source: the one function that finds data.

    - ``"synthetic"``: drawn now (``synthetic_driving``), offline; train uses ``seed``,
      val ``seed + 1`` and test ``seed + 2``, so no split repeats another's streets.
    - ``"camvid"``: real CamVid; ``root=None`` reads the first complete copy of the split
      that :func:`~fcn_tutorial.datasets.camvid.locate_camvid` finds, else downloads into
      ``camvid_root()`` (with ``download``). Only the selected files are hashed and read.
    - ``"kitti"``: KITTI road's training images under ``root`` (``load_kitti_road``).
    - ``"folder"``: your photos in ``images`` and masks in ``masks`` (default
      ``root/images`` and ``root/masks``), paired by file stem.

    KITTI and folders have one set of labelled images: train is all but the last
    ``num_val`` (default a fifth), val is the last ``num_val``.

    Args:
        source: one of ``SOURCES``.
        split: ``"train"``, ``"val"`` or ``"test"`` (synthetic and CamVid only).
        root: the dataset's folder (camvid, kitti, folder).
        images: folder only: the photos' folder.
        masks: folder only: the masks' folder.
        num_classes: folder only: labels ``0 .. num_classes - 1`` (default 11, CamVid's).
        void_index: folder only: the label of unlabelled pixels in your masks, ``None``
            (the default) if every pixel is labelled with a class: then a label
            ``>= num_classes`` is an error, never silently void. CamVid, KITTI and the
            synthetic scenes use ``VOID`` (11).
        size: ``(height, width)``: synthetic scenes' size (default ``(96, 128)``); for
            files, resize every pair to it (default: keep each one's size).
        count: keep the first ``count`` images (file-name order); synthetic: how many to
            draw (default 96 for train, 24 for val and test).
        num_val: kitti and folder: how many images validate.
        seed: synthetic only: the train split's seed.
        select: files only: names (file stems) or a callable ``name -> bool``; only those
            files are read (before ``count`` is applied).
        download: camvid only: fetch missing or corrupt files; with ``False`` they are an
            error.

    Returns:
        A :class:`Split`: ``images, masks = split``. Stacked arrays when every pair has
        one size, lists otherwise (``SegmentationSequence`` takes either).

    Raises:
        ValueError: for an unknown source or split, a test split of a source without one,
            an argument the source does not read, or the loaders' refusals (naming the
            file and the fix).
        FileNotFoundError: for missing folders or files (saying where to get them).
        ConnectionError: when a CamVid download fails.

    Example:
        >>> val = load_split("synthetic", "val", size=(64, 96), count=2)
        >>> val.images.shape, val.names, len(val.class_names)
        ((2, 64, 96, 3), ('synthetic-00000', 'synthetic-00001'), 11)
    """
    given = {"root": root, "images": images, "masks": masks, "num_classes": num_classes}
    given |= {"void_index": void_index}
    given |= {"size": size, "count": count, "num_val": num_val, "select": select}
    given = {key: value for key, value in given.items() if value is not None}
    _check_request(source, split, given, count)
    if source == "synthetic":
        return _synthetic(split, size or _SYNTHETIC_SIZE, count, seed)
    if source == "camvid":
        return _camvid(split, root, size, count, select, download)
    folder = {"images": images, "masks": masks, "num_classes": num_classes, "void": void_index}
    return _from_folder(source, split, root, folder, size, count, num_val, select)


def _check_request(source: str, split: str, values: dict, count: int | None) -> None:
    given = set(values)
    if source not in SOURCES:
        raise ValueError(f"source {source!r} is not one of {SOURCES}.")
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of {SPLITS}.")
    if split == "test" and source in ("kitti", "folder"):
        raise ValueError(
            f"{source} has no test split (only synthetic and camvid have one): use "
            "split='val', which holds out the last num_val images."
        )
    extra = sorted(given - _READS[source])
    if extra:
        raise ValueError(
            f"load_split({source!r}) does not read {', '.join(f'{k}=' for k in extra)}: "
            f"{source} reads {', '.join(f'{k}=' for k in sorted(_READS[source]))}."
        )
    if count is not None and count < 1:
        raise ValueError(f"count={count}: pass at least 1, or None for every image.")
    _check_labels(values)
    if source == "kitti" and "root" not in given:
        raise ValueError("load_split('kitti') needs root=, the unzipped data_road folder.")
    if source == "folder" and "root" not in given and not {"images", "masks"} <= given:
        raise ValueError(
            "load_split('folder') needs images= and masks= (your photos' and masks' "
            "folders), or root= holding images/ and masks/."
        )


def _check_labels(given: dict) -> None:
    num_classes = given.get("num_classes", NUM_CLASSES)
    void_index = given.get("void_index")
    if not 1 <= num_classes <= 255:
        raise ValueError(f"num_classes={num_classes}: pass 1 to 255 classes (8-bit masks).")
    if void_index is not None and not num_classes <= void_index <= 255:
        raise ValueError(
            f"void_index={void_index} is not a free 8-bit label (classes are "
            f"0..{num_classes - 1}): pass the label that marks unlabelled pixels, from "
            f"{num_classes} to 255, or None if every pixel has a class."
        )


def _synthetic(split: str, size: tuple[int, int], count: int | None, seed: int) -> Split:
    count = _SYNTHETIC_COUNT[split] if count is None else count
    height, width = size
    images, masks = synthetic_driving(count, height, width, seed + _SYNTHETIC_SEED_OFFSET[split])
    names = tuple(f"synthetic-{k:05d}" for k in range(count))
    return Split(images, masks, tuple(CLASS_NAMES), names, "synthetic", None)


def _camvid(split, root, size, count, select, download) -> Split:
    stems = [Path(name).stem for name in camvid.camvid_files(split, select)[0]][:count]
    found = camvid.locate_camvid(splits=split) if root is None else None
    if found:  # every file of the split was just checked: read the chosen ones
        root = found
        image_paths, mask_paths = (
            [found / p for p in f] for f in camvid.camvid_files(split, stems)
        )
    else:  # check (or fetch) only the chosen files
        root = camvid.camvid_root(root)
        image_paths, mask_paths = camvid.camvid_paths(split, root, download, select=stems)
    labels = (None, NUM_CLASSES, CLASS_NAMES, VOID)
    return _read("camvid", root, image_paths, mask_paths, labels, size)


def _from_folder(source, split, root, folder: dict, size, count, num_val, select):
    """KITTI or your folder: one set of labelled images, whose last ``num_val`` validate."""
    if source == "kitti":
        image_paths, mask_paths = kitti_road_paths(root)
        labels = (KITTI_COLOURS, len(KITTI_CLASS_NAMES), tuple(KITTI_CLASS_NAMES), VOID)
    else:
        images = Path(root) / "images" if folder["images"] is None else Path(folder["images"])
        masks = Path(root) / "masks" if folder["masks"] is None else Path(folder["masks"])
        image_paths, mask_paths = folder_paths(images, masks)
        root = root if root is not None else os.path.commonpath([images, masks])
        num_classes = folder["num_classes"]
        names = _folder_class_names(num_classes)
        labels = (None, num_classes or NUM_CLASSES, names, folder["void"])
    held = _held_out(len(image_paths), split, num_val, source)
    if select is not None:
        stems = [image_paths[i].stem for i in held]
        kept = set(select_stems(stems, select, f"{source}'s {split} split"))
        held = [i for i, stem in zip(held, stems) if stem in kept]
    held = held[:count]
    image_paths = [image_paths[i] for i in held]
    try:
        return _read(source, root, image_paths, [mask_paths[i] for i in held], labels, size)
    except ColourMaskError as error:  # no palette can be passed here: say how to convert
        more = f" (and {error.others} other masks)" if error.others else ""
        raise ValueError(
            f"{error.path}{more} is a {error.mode} colour mask, but the masks folder must "
            "hold one-channel index PNGs (pixel value = class index; void_index= names the "
            "label of unlabelled pixels, if any): convert each mask once, e.g. in Python "
            "Image.fromarray(read_mask(path, colours)).save(path), colours a dict "
            "{(r, g, b): label} or a (C, 3) array such as PALETTE."
        ) from None


def _held_out(total: int, split: str, num_val: int | None, source: str) -> list[int]:
    val = max(1, total // 5) if num_val is None else num_val
    if total < 2:
        raise ValueError(
            f"{source} has {total} image: add images, a split needs at least one to train "
            "on and one to validate."
        )
    if not 1 <= val < total:
        raise ValueError(
            f"{source}'s {total} images cannot be split into training images and "
            f"num_val={val} validation images: pass num_val= from 1 to {total - 1}, or add "
            "images."
        )
    return list(range(total - val)) if split == "train" else list(range(total - val, total))


def _folder_class_names(num_classes: int | None) -> tuple[str, ...]:
    if num_classes in (None, NUM_CLASSES):
        return tuple(CLASS_NAMES)
    return tuple(f"class {k}" for k in range(num_classes))


def _read(source, root, image_paths, mask_paths, labels, size):
    palette, num_classes, class_names, void_index = labels
    images, masks = read_pairs(image_paths, mask_paths, palette, num_classes, size, void_index)
    if len({mask.shape for mask in masks}) == 1:
        images, masks = np.stack(images), np.stack(masks)
    names = tuple(Path(path).stem for path in image_paths)
    return Split(images, masks, tuple(class_names), names, source, str(root))
