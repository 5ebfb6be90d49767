"""KITTI road: real street photos with road / not-road masks, read from your download.

- Source: the base kit ``data_road.zip`` of the KITTI road benchmark (``KITTI_URL``),
  which needs a free registration, so it is never downloaded for you.
- Dataset: J. Fritsch, T. Kuehnl, A. Geiger, "A New Performance Measure and Evaluation
  Benchmark for Road Detection Algorithms", ITSC 2013. Its 289 training images (about
  375x1242, not all the same size) have road masks; its test images have none.

Read it through ``datasets.load_split("kitti", split, root=...)``, which holds out the
last fifth for validation.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fcn_tutorial.classes import KITTI_CLASS_NAMES, KITTI_COLOURS
from fcn_tutorial.datasets.folders import load_pairs

__all__ = ["KITTI_URL", "kitti_road_paths", "load_kitti_road"]

KITTI_URL = "https://www.cvlibs.net/datasets/kitti/eval_road.php"


def kitti_road_paths(root: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """KITTI road's training images and their road masks, as files.

    KITTI needs a (free) registration, so it is never downloaded for you: get
    ``data_road.zip`` from ``KITTI_URL`` and unzip it, giving
    ``root/training/image_2/um_000000.png`` and
    ``root/training/gt_image_2/um_road_000000.png`` (``um_lane_*`` masks are ignored).

    Args:
        root: the unzipped ``data_road`` folder.

    Returns:
        ``(images, masks)``: two lists of ``Path`` in file-name order. Read the masks
        with ``palette=KITTI_COLOURS, num_classes=2``.

    Raises:
        FileNotFoundError: if the layout is missing; the message says where to get it.
        ValueError: for an image without its road mask.
    """
    root = Path(root)
    images_dir = root / "training" / "image_2"
    masks_dir = root / "training" / "gt_image_2"
    how = (
        f"KITTI road needs a free registration at {KITTI_URL}: download the base kit "
        f"(data_road.zip), unzip it and pass root= the folder holding training/, so that "
        f"{images_dir / 'um_000000.png'} and {masks_dir / 'um_road_000000.png'} exist."
    )
    for folder, what in ((images_dir, "image folder"), (masks_dir, "ground-truth folder")):
        if not folder.is_dir():
            raise FileNotFoundError(f"KITTI's {what} {folder} does not exist: {how}")
    image_paths = sorted(images_dir.glob("*.png"))
    if not image_paths:
        raise ValueError(f"{images_dir} holds no PNG images. {how}")
    mask_paths = []
    for image_path in image_paths:
        # um_000000.png -> um_road_000000.png
        category, _, number = image_path.stem.partition("_")
        mask_path = masks_dir / f"{category}_road_{number}.png"
        if not mask_path.is_file():
            raise ValueError(f"{image_path.name} has no road mask {mask_path}. {how}")
        mask_paths.append(mask_path)
    return image_paths, mask_paths


def load_kitti_road(
    root: str | os.PathLike, size: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load KITTI road's training images with road / not-road masks.

    The images are about 375x1242 but not all the same size; :func:`kitti_road_paths`
    says where to get them.

    Args:
        root: the unzipped ``data_road`` folder.
        size: ``(height, width)`` to resize every pair to; needed to stack them.

    Returns:
        ``(images, masks)``: ``(N, H, W, 3) uint8`` and ``(N, H, W) uint8`` with
        0 = not road, 1 = road and ``VOID`` where KITTI leaves pixels unjudged
        (``KITTI_CLASS_NAMES``, ``KITTI_PALETTE``).

    Raises:
        FileNotFoundError: if the layout is missing; the message says where to get it.
        ValueError: for an image without its road mask, or bad files.
    """
    image_paths, mask_paths = kitti_road_paths(root)
    return load_pairs(image_paths, mask_paths, KITTI_COLOURS, len(KITTI_CLASS_NAMES), size)
