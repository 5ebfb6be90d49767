"""Augmentation in NumPy and Pillow: random scale, crop, flip and colour jitter.

Nothing here imports Keras, so the same code feeds the TensorFlow, JAX and PyTorch
backends. Images are resampled bilinearly, masks always nearest-neighbour: averaging
two labels would invent a third (the mean of Road=3 and Car=8 is Tree=5).
:class:`~fcn_tutorial.datasets.pipeline.SegmentationSequence` applies it batch by batch
in the training notebooks (05 onwards).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from fcn_tutorial.classes import VOID

__all__ = [
    "Augmentation",
    "augment_pair",
    "crop_pair",
    "jitter_colours",
    "pad_pair",
    "resize_pair",
]


@dataclasses.dataclass(frozen=True)
class Augmentation:
    """How strongly to vary each training sample; ``Augmentation()`` is a sound default.

    Args:
        scale: ``(low, high)`` range of the random zoom factor; ``(1, 1)`` turns it off.
        flip: mirror left-right with probability 1/2 (a street seen in a mirror is still
            a street; upside down it is not, so there is no vertical flip).
        brightness: add up to ``± brightness × 255`` to every pixel.
        contrast: stretch pixel values about their mean by a factor in
            ``[1 - contrast, 1 + contrast]``.
        hue: turn every colour around the grey axis by up to ``± hue`` of a full turn.

    Raises:
        ValueError: for a range or strength outside what makes sense; the message says
            which field and what to pass.

    Example:
        >>> Augmentation(scale=(1.0, 1.0), hue=0.0).flip
        True
    """

    scale: tuple[float, float] = (0.75, 1.25)
    flip: bool = True
    brightness: float = 0.1
    contrast: float = 0.2
    hue: float = 0.03

    def __post_init__(self):
        low, high = self.scale
        if not 0 < low <= high:
            raise ValueError(
                f"scale={self.scale} is not a (low, high) range of positive factors: "
                "pass e.g. scale=(0.75, 1.25), or (1.0, 1.0) for no zoom."
            )
        for name in ("brightness", "contrast"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)} must lie in [0, 1): try 0.1.")
        if not 0 <= self.hue <= 0.5:
            raise ValueError(f"hue={self.hue} is a fraction of a turn in [0, 0.5]: try 0.03.")


def resize_pair(image: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> tuple:
    """Resize an image bilinearly and its mask nearest-neighbour to ``size``.

    Args:
        image: ``(H, W, 3) uint8``.
        mask: ``(H, W) uint8`` labels.
        size: ``(height, width)`` of the result.

    Returns:
        ``(image, mask)``: ``(height, width, 3) uint8`` and ``(height, width) uint8``;
        the mask holds no label that was not in the input mask.

    Example:
        >>> image, mask = np.zeros((4, 6, 3), "uint8"), np.eye(4, 6, dtype="uint8")
        >>> image, mask = resize_pair(image, mask, (8, 3))
        >>> image.shape, mask.shape, sorted(np.unique(mask).tolist())
        ((8, 3, 3), (8, 3), [0, 1])
    """
    height, width = int(size[0]), int(size[1])
    if (height, width) == mask.shape:
        return image, mask
    # Pillow wants (width, height); its NEAREST filter copies labels, never blends them.
    image = np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR))
    mask = np.asarray(Image.fromarray(mask).resize((width, height), Image.Resampling.NEAREST))
    return image, mask


def pad_pair(
    image: np.ndarray, mask: np.ndarray, size: tuple[int, int], void_index: int = VOID
) -> tuple:
    """Pad at the bottom and right to ``size``: the image with black, the mask with void.

    Padding only at the bottom and right keeps pixel ``(0, 0)`` where it was, so a
    prediction is cut back to the original with ``prediction[:H, :W]``.

    Args:
        image: ``(H, W, 3)`` any dtype.
        mask: ``(H, W)`` labels.
        size: ``(height, width)``, at least ``(H, W)``.
        void_index: the label of the padded pixels.

    Returns:
        ``(image, mask)`` of shapes ``(height, width, 3)`` and ``(height, width)``.

    Example:
        >>> _, mask = pad_pair(np.zeros((2, 2, 3), "uint8"), np.zeros((2, 2), "uint8"), (3, 2))
        >>> mask[:, 0].tolist()
        [0, 0, 11]
    """
    extra_h, extra_w = size[0] - mask.shape[0], size[1] - mask.shape[1]
    if extra_h < 0 or extra_w < 0:
        raise ValueError(f"cannot pad {mask.shape} to the smaller {tuple(size)}: crop instead.")
    if extra_h == extra_w == 0:
        return image, mask
    image = np.pad(image, [(0, extra_h), (0, extra_w), (0, 0)])
    mask = np.pad(mask, [(0, extra_h), (0, extra_w)], constant_values=void_index)
    return image, mask


def crop_pair(
    image: np.ndarray,
    mask: np.ndarray,
    crop_size: tuple[int, int],
    rng: np.random.Generator | None = None,
    void_index: int = VOID,
) -> tuple:
    """Cut a ``crop_size`` window: at random with ``rng``, from the centre without.

    A pair smaller than the window is first padded (black image, void mask), so the
    result always has the asked-for size.

    Args:
        image: ``(H, W, 3)``.
        mask: ``(H, W)`` labels.
        crop_size: ``(height, width)`` of the window.
        rng: a NumPy ``Generator`` for a random position; ``None`` takes the centre.
        void_index: the mask label of padding.

    Returns:
        ``(image, mask)`` of shapes ``(height, width, 3)`` and ``(height, width)``.

    Example:
        >>> image, mask = crop_pair(np.zeros((5, 9, 3)), np.zeros((5, 9), "uint8"), (4, 4))
        >>> image.shape, mask.shape
        ((4, 4, 3), (4, 4))
    """
    height, width = int(crop_size[0]), int(crop_size[1])
    size = (max(height, mask.shape[0]), max(width, mask.shape[1]))
    image, mask = pad_pair(image, mask, size, void_index)
    spare_h, spare_w = mask.shape[0] - height, mask.shape[1] - width
    if rng is None:
        top, left = spare_h // 2, spare_w // 2
    else:
        top, left = int(rng.integers(spare_h + 1)), int(rng.integers(spare_w + 1))
    window = (slice(top, top + height), slice(left, left + width))
    return image[window], mask[window]


def _hue_rotation(turns: float) -> np.ndarray:
    # Rotating RGB vectors about the grey diagonal (1, 1, 1) turns every hue by the same
    # angle and leaves greys grey: one 3×3 matrix instead of a round trip through HSV.
    angle = 2 * np.pi * turns
    cos, sin = np.cos(angle), np.sin(angle)
    cross = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]]) / np.sqrt(3)
    return (cos * np.eye(3) + (1 - cos) / 3 + sin * cross).astype(np.float32)


def jitter_colours(
    image: np.ndarray, rng: np.random.Generator, augmentation: Augmentation
) -> np.ndarray:
    """Random contrast, brightness and hue, as ``augmentation`` allows.

    Args:
        image: ``(H, W, 3)`` values in ``0 .. 255``.
        rng: NumPy ``Generator``.
        augmentation: the strengths.

    Returns:
        ``(H, W, 3) float32`` in ``0 .. 255``.
    """
    x = np.asarray(image, dtype=np.float32)
    contrast = rng.uniform(1 - augmentation.contrast, 1 + augmentation.contrast)
    brightness = rng.uniform(-augmentation.brightness, augmentation.brightness) * 255
    turns = rng.uniform(-augmentation.hue, augmentation.hue)
    mean = x.mean()
    x = (x - mean) * contrast + (mean + brightness)
    if turns:
        x = x @ _hue_rotation(turns).T
    return np.clip(x, 0, 255, out=x)


def augment_pair(
    image: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    augmentation: Augmentation | None = None,
    crop_size: tuple[int, int] | None = None,
    void_index: int = VOID,
) -> tuple:
    """One random variation of a training pair: scale, crop, flip, then colours.

    Cropping after scaling means a zoomed-in sample shows a smaller part of the street at
    the same pixel size, the way a closer camera would. With ``crop_size`` the result has
    that size whatever the scale (a zoomed-out sample is padded); pass the pair's own
    ``mask.shape`` to keep every variation at the input's size.

    Args:
        image: ``(H, W, 3) uint8``.
        mask: ``(H, W) uint8`` labels.
        rng: NumPy ``Generator``; the same seed gives the same variation.
        augmentation: the strengths; ``None`` means ``Augmentation()``.
        crop_size: ``(height, width)`` window cut at a random position after scaling,
            or ``None`` to keep the scaled size.
        void_index: the mask label of padding.

    Returns:
        ``(image, mask)``: ``float32`` image in ``0 .. 255`` and ``uint8`` mask holding
        only labels of the input mask (plus ``void_index`` where a crop reaches past the edge).

    Example:
        >>> image, mask = np.zeros((64, 96, 3), "uint8"), np.full((64, 96), 3, "uint8")
        >>> x, y = augment_pair(image, mask, np.random.default_rng(0), crop_size=(32, 32))
        >>> x.dtype, x.shape, y.shape, set(np.unique(y).tolist()) <= {3, VOID}
        (dtype('float32'), (32, 32, 3), (32, 32), True)
    """
    augmentation = Augmentation() if augmentation is None else augmentation
    factor = rng.uniform(*augmentation.scale)
    size = (max(1, round(mask.shape[0] * factor)), max(1, round(mask.shape[1] * factor)))
    image, mask = resize_pair(image, mask, size)
    if crop_size is not None:
        image, mask = crop_pair(image, mask, crop_size, rng, void_index)
    if augmentation.flip and rng.random() < 0.5:
        image, mask = image[:, ::-1], mask[:, ::-1]
    return jitter_colours(image, rng, augmentation), np.ascontiguousarray(mask)
