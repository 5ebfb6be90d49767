"""Real sample photos, shipped inside scikit-image so that every notebook runs offline.

Introduced in ``01_segmentation_intro.ipynb``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SAMPLES", "load_sample"]

# Source and licence as scikit-image's docstrings record them (skimage.data.<name>).
SAMPLES = {
    "chelsea": "Stefan van der Walt's cat Chelsea; CC0.",
    "astronaut": "Eileen Collins, NASA; public domain.",
    "coffee": "A cup of coffee, Rachel Michetti; CC0.",
    "rocket": "Launch of DSCOVR on a Falcon 9, SpaceX; public domain.",
    "camera": "The cameraman, Lav Varshney; CC0.",
}


def load_sample(name: str = "chelsea", size: int | tuple[int, int] | None = None) -> np.ndarray:
    """A real photo as RGB.

    Args:
        name: one of ``SAMPLES``.
        size: optional output size, ``side`` for a centre-cropped square or
            ``(height, width)`` for a plain resize.

    Returns:
        image: ``(H, W, 3) uint8``.

    Raises:
        ValueError: for an unknown name, listing the known ones.

    Example:
        >>> load_sample("chelsea", size=128).shape
        (128, 128, 3)
    """
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}: choose one of {sorted(SAMPLES)}.")
    from PIL import Image
    from skimage import data

    image = np.asarray(getattr(data, name)())
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    image = image[..., :3]
    if size is None:
        return image
    if isinstance(size, int):
        height, width = image.shape[:2]
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        image = image[top : top + side, left : left + side]
        size = (size, size)
    resized = Image.fromarray(image).resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return np.asarray(resized)
