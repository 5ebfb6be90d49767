"""How fast this machine makes training data: synthetic scenes drawn, CamVid read and augmented.

What ``fcn-tutorial bench data`` (and ``python -m fcn_tutorial.datasets``) prints. The
data modules only make data; the timing of them lives here. Importing this module loads
no Keras; :func:`camvid_images_per_s` loads it (through ``SegmentationSequence``) when
called.
"""

from __future__ import annotations

import math
import os
import time

from fcn_tutorial.datasets.camvid import camvid_paths, load_camvid
from fcn_tutorial.datasets.synthetic import synthetic_driving

__all__ = ["synthetic_images_per_s", "camvid_images_per_s"]


def synthetic_images_per_s(
    num_images: int = 100, height: int = 360, width: int = 480, repeats: int = 3
) -> dict:
    """Time ``synthetic_driving`` on this machine, on one core.

    Args:
        num_images: images per timed run.
        height: image height in pixels.
        width: image width in pixels.
        repeats: timed runs; the fastest counts, as the one least disturbed by other
            programs (the convention of ``timeit``).

    Returns:
        dict with ``num_images``, ``height``, ``width``, ``seconds`` (fastest run) and
        ``images_per_s``.

    Example:
        >>> synthetic_images_per_s(20, 180, 240)["images_per_s"] > 0
        True
    """
    synthetic_driving(1, height, width, seed=1)  # warm up imports and caches
    seconds = math.inf
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        synthetic_driving(num_images, height, width, seed=0)
        seconds = min(seconds, time.perf_counter() - start)
    return {
        "num_images": num_images,
        "height": height,
        "width": width,
        "seconds": round(seconds, 3),
        "images_per_s": round(num_images / seconds, 1),
    }


def camvid_images_per_s(
    root: str | os.PathLike | None = None, split: str = "val", batch_size: int = 8
) -> dict:
    """Time reading CamVid and augmenting it at 360x480, on this machine, in one process.

    Args:
        root: the CamVid folder (see ``load_camvid``); nothing is downloaded.
        split: which split to time.
        batch_size: batch size of the sequences.

    Returns:
        dict with ``split``, ``num_images`` and images per second for ``load`` (verify
        hashes and decode into arrays), ``augment`` (a ``SegmentationSequence`` with
        ``augment=True`` over those arrays) and ``read_augment`` (the same, reading the
        files batch by batch).

    Raises:
        FileNotFoundError: as ``load_camvid(..., download=False)``.
    """
    from fcn_tutorial.datasets.pipeline import SegmentationSequence

    def rate(run) -> float:
        start = time.perf_counter()
        count = run()
        return round(count / (time.perf_counter() - start), 1)

    arrays = {}

    def load() -> int:
        arrays["pairs"] = load_camvid(split, root, download=False, progress=False)
        return len(arrays["pairs"][0])

    def iterate(images, masks) -> int:
        sequence = SegmentationSequence(images, masks, batch_size, augment=True)
        return sum(len(sequence[i][0]) for i in range(len(sequence)))

    load_rate = rate(load)
    paths = camvid_paths(split, root, download=False, progress=False)
    return {
        "split": split,
        "num_images": len(paths[0]),
        "load": load_rate,
        "augment": rate(lambda: iterate(*arrays["pairs"])),
        "read_augment": rate(lambda: iterate(*paths)),
    }
