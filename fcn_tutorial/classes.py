"""The label sets as data: class names, colours, ``VOID``, and the statistics of masks.

CamVid's 11 classes (the SegNet version) are the default: real CamVid and the synthetic
scenes share these indices and ``PALETTE``, so a model trained on one can be pointed at
the other unchanged. KITTI road's two classes have their own tables. Every label set
shares ``VOID = 11`` as "ignore this pixel", whatever its number of classes, so one
loss setting (``ignore_class=VOID``) fits all of them.

NumPy only, so that drawing code (``viz``, ``widgets``) can colour masks without
importing the data loaders. ``fcn_tutorial.datasets`` re-exports the tables, ``colourize``
and the statistics. Introduced in ``01_segmentation_intro.ipynb``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CLASS_NAMES",
    "NUM_CLASSES",
    "VOID",
    "PALETTE",
    "KITTI_CLASS_NAMES",
    "KITTI_COLOURS",
    "KITTI_PALETTE",
    "PALETTES",
    "ERROR_COLOUR",
    "SKY",
    "BUILDING",
    "POLE",
    "ROAD",
    "PAVEMENT",
    "TREE",
    "SIGN",
    "FENCE",
    "CAR",
    "PEDESTRIAN",
    "BICYCLIST",
    "colourize",
    "class_frequencies",
    "median_frequency_weights",
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
# Label of pixels that belong to no class; losses and scores ignore it.
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

KITTI_CLASS_NAMES = ("not road", "road")
# KITTI paints road magenta, the rest red, and leaves pixels it does not judge black.
KITTI_COLOURS = {(255, 0, 0): 0, (255, 0, 255): 1, (0, 0, 0): VOID}
KITTI_PALETTE = np.full((VOID + 1, 3), 128, dtype=np.uint8)
for _colour, _label in KITTI_COLOURS.items():
    KITTI_PALETTE[_label] = _colour
KITTI_PALETTE.setflags(write=False)

PALETTES = {"CamVid": PALETTE, "KITTI road": KITTI_PALETTE}
"""dict[str, ndarray]: every palette the package draws labels with; a new label set adds
its palette here, and ``tests/test_classes.py`` checks ``ERROR_COLOUR`` against it."""

# Cyan: of the saturated colours, the one farthest (CIEDE2000 33, nearest Pole's khaki)
# from every row of PALETTES, so a painted mistake is never read as a class. Magenta was
# KITTI's road and red its "not road".
ERROR_COLOUR = np.array([0, 255, 255], dtype=np.uint8)
ERROR_COLOUR.setflags(write=False)


def colourize(mask: np.ndarray, palette: np.ndarray = PALETTE) -> np.ndarray:
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
        >>> colourize(np.array([[0, 3], [8, VOID]])).shape
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


# --------------------------------------------------------------------------------------
# Statistics of masks: how often each class occurs, and the class weights that follow
# --------------------------------------------------------------------------------------


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


def median_frequency_weights(
    masks_or_frequencies, num_classes: int = NUM_CLASSES, ignore_class: int | None = VOID
) -> np.ndarray:
    """Class weights by median frequency balancing (Eigen & Fergus 2015), as SegNet uses.

    ``weight_c = median(freq) / freq_c``, where ``freq_c`` is the number of pixels of
    class ``c`` divided by the number of pixels in the images where ``c`` occurs. A class
    as common as the median gets 1, rarer classes more, common ones less. Pass them to
    ``losses.MaskedSparseCrossEntropy(class_weights=...)``; introduced in
    ``05_transfer_learning.ipynb`` (the loss and the loop), used in ``07`` too.

    Args:
        masks_or_frequencies: ``(N, H, W)`` integer masks (or a list of ``(H, W)`` masks
            of any sizes), from which ``freq_c`` is computed as above; or ``(K,)`` float
            frequencies, used as they are (e.g. :func:`class_frequencies`, which divides
            by all labelled pixels instead).
        num_classes: ``K``.
        ignore_class: the void label in masks, not counted as any class's pixels, but
            counted in the image size (as SegNet's weights do).

    Returns:
        ``(K,) float64`` weights; a class that never occurs gets 0 (it adds no loss).

    Raises:
        ValueError: for float arrays that are not ``(K,)``, negative frequencies, or
            no class present.

    Example:
        >>> median_frequency_weights(np.array([0.5, 0.25, 0.125]), num_classes=3)
        array([0.5, 1. , 2. ])
    """
    if isinstance(masks_or_frequencies, np.ndarray) and masks_or_frequencies.dtype.kind == "f":
        frequencies = masks_or_frequencies.astype(np.float64)
        if frequencies.shape != (num_classes,) or (frequencies < 0).any():
            raise ValueError(
                f"frequencies have shape {frequencies.shape}: pass ({num_classes},) "
                "non-negative floats, or integer masks (N, H, W)."
            )
    else:
        frequencies = _image_frequencies(masks_or_frequencies, num_classes, ignore_class)
    present = frequencies > 0
    if not present.any():
        raise ValueError("no class occurs: pass masks with labelled pixels.")
    median = np.median(frequencies[present])
    weights = np.zeros(num_classes)
    weights[present] = median / frequencies[present]
    return weights


def _image_frequencies(masks, num_classes: int, ignore_class: int | None) -> np.ndarray:
    # Each class's pixels over the pixels of the images it occurs in (SegNet's freq_c).
    if isinstance(masks, np.ndarray) and masks.ndim == 2:
        masks = masks[None]
    class_pixels = np.zeros(num_classes)
    image_pixels = np.zeros(num_classes)  # pixels of the images where each class occurs
    for mask in masks:
        mask = np.asarray(mask)
        if not np.issubdtype(mask.dtype, np.integer):
            raise ValueError(
                f"masks have dtype {mask.dtype}: pass integer label masks, or a "
                f"({num_classes},) float array of frequencies."
            )
        labels = mask[mask != ignore_class] if ignore_class is not None else mask.ravel()
        counts = np.bincount(labels.ravel(), minlength=num_classes)[:num_classes]
        class_pixels += counts
        image_pixels += np.where(counts > 0, mask.size, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(image_pixels > 0, class_pixels / image_pixels, 0.0)
