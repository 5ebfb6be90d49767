"""CamVid's 11 classes (the SegNet version) as data: names, colours, and helpers to see masks.

Real CamVid and the synthetic scenes share these indices and ``PALETTE``, so a model
trained on one can be pointed at the other unchanged. Introduced in
``01_segmentation_intro.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "CLASS_NAMES",
    "NUM_CLASSES",
    "VOID",
    "PALETTE",
    "colorize",
    "overlay",
    "legend_handles",
    "class_frequencies",
]

CLASS_NAMES = (
    "Sky",
    "Building",
    "Pole",
    "Road",
    "Pavement",
    "Tree",
    "SignSymbol",
    "Fence",
    "Car",
    "Pedestrian",
    "Bicyclist",
)
NUM_CLASSES = 11
# Label of pixels that belong to no class; losses and metrics ignore it.
VOID = 11

# SegNet's CamVid colours, one row per label 0..11 (the last row is void).
PALETTE = np.array(
    [
        (128, 128, 128),  # Sky
        (128, 0, 0),  # Building
        (192, 192, 128),  # Pole
        (128, 64, 128),  # Road
        (60, 40, 222),  # Pavement
        (128, 128, 0),  # Tree
        (192, 128, 128),  # SignSymbol
        (64, 64, 128),  # Fence
        (64, 0, 128),  # Car
        (64, 64, 0),  # Pedestrian
        (0, 128, 192),  # Bicyclist
        (0, 0, 0),  # void
    ],
    dtype=np.uint8,
)
PALETTE.setflags(write=False)

SKY, BUILDING, POLE, ROAD, PAVEMENT, TREE, SIGN, FENCE, CAR, PEDESTRIAN, BICYCLIST = range(11)


# --------------------------------------------------------------------------------------
# Colouring masks
# --------------------------------------------------------------------------------------


def colorize(mask: np.ndarray, palette: np.ndarray = PALETTE) -> np.ndarray:
    """Paint a label mask with one colour per class.

    Args:
        mask: ``(H, W)`` integer labels in ``0 .. len(palette) - 1`` (``VOID`` included).
        palette: ``(C, 3) uint8`` colours, row ``i`` for label ``i``.

    Returns:
        ``(H, W, 3) uint8`` colour image.

    Raises:
        ValueError: if the mask holds labels the palette has no colour for; the message
            names them.

    Example:
        >>> colorize(np.array([[0, 3], [8, VOID]])).shape
        (2, 2, 3)
    """
    mask = np.asarray(mask)
    palette = np.asarray(palette, dtype=np.uint8)
    if not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(
            f"mask has dtype {mask.dtype}, not integer labels: pass argmax(logits, axis=-1) "
            "or mask.astype('uint8')."
        )
    if mask.size:
        low, high = int(mask.min()), int(mask.max())
        if low < 0 or high >= len(palette):
            bad = np.unique(mask[(mask < 0) | (mask >= len(palette))])
            shown = ", ".join(str(v) for v in bad[:10]) + (" ..." if len(bad) > 10 else "")
            raise ValueError(
                f"mask holds labels [{shown}] but the palette has colours only for "
                f"0..{len(palette) - 1}: map them to VOID={VOID} first "
                f"(mask = np.where(mask >= {len(palette)}, {VOID}, mask)) or pass a longer "
                "palette."
            )
    return palette[mask]


def overlay(
    image: np.ndarray, mask: np.ndarray, alpha: float = 0.5, palette: np.ndarray = PALETTE
) -> np.ndarray:
    """Blend class colours over a photo; void pixels show the photo unchanged.

    Args:
        image: ``(H, W, 3)`` RGB, ``uint8`` or float in ``0 .. 255``.
        mask: ``(H, W)`` integer labels, as for ``colorize``.
        alpha: weight of the class colours, from 0 (photo only) to 1 (colours only).
        palette: ``(C, 3) uint8`` colours.

    Returns:
        ``(H, W, 3) uint8`` blended image.

    Raises:
        ValueError: for an ``alpha`` outside ``[0, 1]``, shapes that disagree, or labels
            the palette lacks.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha={alpha} is outside [0, 1]: 0 shows the photo, 1 the labels.")
    image = np.asarray(image)
    mask = np.asarray(mask)
    if image.ndim != 3 or image.shape[-1] != 3 or image.shape[:2] != mask.shape:
        raise ValueError(
            f"image {image.shape} and mask {mask.shape} do not match: pass an (H, W, 3) image "
            "and its (H, W) mask."
        )
    colours = colorize(mask, palette).astype(np.float32)
    photo = image.astype(np.float32)
    blended = (1.0 - alpha) * photo + alpha * colours
    blended = np.where((mask == VOID)[..., None], photo, blended)
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def legend_handles(class_ids: Sequence[int] | None = None, palette: np.ndarray = PALETTE) -> list:
    """Coloured patches for ``ax.legend(handles=...)``, one per class.

    Args:
        class_ids: labels to list; ``None`` lists the 11 classes (not void).
        palette: ``(C, 3) uint8`` colours.

    Returns:
        list of ``matplotlib.patches.Patch``.

    Example:
        >>> len(legend_handles([0, 3, VOID]))
        3
    """
    # Imported here so that generating data never needs matplotlib.
    from matplotlib.patches import Patch

    names = CLASS_NAMES + ("void",)
    ids = range(NUM_CLASSES) if class_ids is None else [int(i) for i in class_ids]
    handles = []
    for i in ids:
        if not 0 <= i < min(len(names), len(palette)):
            raise ValueError(f"class id {i} is unknown: use 0..{NUM_CLASSES - 1} or VOID={VOID}.")
        colour = np.asarray(palette[i], dtype=float) / 255.0
        handles.append(Patch(facecolor=colour, edgecolor="black", linewidth=0.5, label=names[i]))
    return handles


def class_frequencies(masks: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Fraction of labelled pixels in each class; void and other labels are left out.

    Args:
        masks: integer labels of any shape, e.g. ``(N, H, W)``.
        num_classes: labels ``0 .. num_classes - 1`` are counted.

    Returns:
        ``(num_classes,) float64`` summing to 1 (all zeros if no pixel is labelled).

    Raises:
        ValueError: for non-integer masks or negative labels.

    Example:
        >>> class_frequencies(np.array([[0, 0], [3, VOID]]))[[0, 3]]
        array([0.66666667, 0.33333333])
    """
    masks = np.asarray(masks)
    if not np.issubdtype(masks.dtype, np.integer):
        raise ValueError(f"masks have dtype {masks.dtype}: pass integer labels (uint8).")
    if masks.size and masks.min() < 0:
        raise ValueError("masks hold negative labels: map them to VOID first.")
    counts = np.bincount(masks.ravel(), minlength=num_classes)[:num_classes].astype(np.float64)
    total = counts.sum()
    return counts / total if total else counts
