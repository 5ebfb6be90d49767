"""Label maps as pictures: class colours over a photo, mistakes painted, and their legend.

:func:`paint_labels` is the one painter every label picture goes through (the
explorers' panels, the demo's gallery and drive, ``fcn-tutorial predict --overlay``),
so void, hidden classes and mistakes look the same everywhere. The scores of a frame
come from :mod:`fcn_tutorial.scores`.

Introduced in ``01_segmentation_intro.ipynb`` (an overlay and its legend) and
``07_self_driving_demo.ipynb`` (``SegmentationBrowser`` with predictions).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fcn_tutorial.classes import CLASS_NAMES, ERROR_COLOUR, PALETTE, VOID

__all__ = [
    "paint_labels",
    "legend_handles",
]


def paint_labels(
    photo,
    mask,
    palette=PALETTE,
    opacity: float = 0.5,
    shown: Sequence[bool] | None = None,
    ignore_class: int | None = VOID,
    wrong=None,
) -> np.ndarray:
    """Blend class colours over a photo; void and hidden classes leave the photo bare.

    Over a black photo at ``opacity=1`` it draws the label map alone, black where
    unpainted; at ``opacity=0`` with ``wrong`` it shows only the mistakes.

    Args:
        photo: ``(H, W, 3)`` RGB, ``uint8`` or float in ``0 .. 255``.
        mask: ``(H, W)`` integer labels ``>= 0``.
        palette: ``(C', 3) uint8`` colours, row ``i`` for label ``i``.
        opacity: the weight of the colours, from 0 (the photo only) to 1 (colours only).
        shown: ``(C,)`` bool, the classes ``0 .. C - 1`` to paint; labels ``C`` and above
            stay unpainted. ``None`` paints every label but void.
        ignore_class: the void label, never painted (``None`` to paint it too).
        wrong: optional ``(H, W)`` bool, pixels painted :data:`classes.ERROR_COLOUR` over
            everything, e.g. :func:`scores.wrong_pixels`.

    Returns:
        ``(H, W, 3) uint8``.

    Raises:
        ValueError: for an ``opacity`` outside ``[0, 1]``, shapes that disagree, labels
            that are not non-negative integers, or painted labels the palette has no
            colour for.

    Example:
        >>> photo = np.zeros((1, 3, 3), "uint8")
        >>> colours = np.array([[200, 0, 0], [0, 0, 200]], "uint8")
        >>> paint_labels(photo, np.array([[0, 1, VOID]]), colours, shown=[True, False])[0]
        array([[100,   0,   0],
               [  0,   0,   0],
               [  0,   0,   0]], dtype=uint8)
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity={opacity} is outside [0, 1]: 0 shows the photo, 1 the labels.")
    photo, mask = np.asarray(photo), np.asarray(mask)
    if photo.ndim != 3 or photo.shape[-1] != 3 or photo.shape[:2] != mask.shape:
        raise ValueError(
            f"image {photo.shape} and mask {mask.shape} do not match: pass an (H, W, 3) image "
            "and its (H, W) mask."
        )
    if not np.issubdtype(mask.dtype, np.integer) or (mask.size and mask.min() < 0):
        raise ValueError(
            f"mask must hold labels >= 0 as integers, not {mask.dtype}: pass "
            "argmax(logits, axis=-1) or mask.astype('uint8')."
        )
    palette = np.asarray(palette, np.uint8)
    size = max(int(mask.max(initial=0)) + 1, len(palette))
    painted_classes = np.zeros(size, bool)
    if shown is None:
        painted_classes[:] = True
    else:
        painted_classes[: len(shown)] = shown
    if ignore_class is not None and 0 <= ignore_class < size:
        painted_classes[ignore_class] = False
    painted = painted_classes[mask]
    if painted.any() and int(mask[painted].max()) >= len(palette):
        raise ValueError(
            f"mask holds label {int(mask[painted].max())} but the palette has colours only for "
            f"0..{len(palette) - 1}: map it to VOID={VOID} first or pass a longer palette."
        )
    colours = np.zeros((size, 3), np.float32)
    colours[: len(palette)] = palette
    photo = photo.astype(np.float32)
    blend = np.where(painted[..., None], (1 - opacity) * photo + opacity * colours[mask], photo)
    if wrong is not None:
        blend = np.where(np.asarray(wrong)[..., None], ERROR_COLOUR, blend)
    return np.clip(blend + 0.5, 0, 255).astype(np.uint8)


def legend_handles(
    class_ids: Sequence[int] | None = None,
    class_names: Sequence[str] = CLASS_NAMES,
    palette=PALETTE,
    labels: Sequence[str] | None = None,
    wrong: str | None = None,
) -> list:
    """Coloured patches for ``fig.legend(handles=...)``, one per class.

    Args:
        class_ids: labels to list; ``None`` lists every named class (not void).
        class_names: one name per label ``0 .. C - 1``; ``VOID`` is called "void".
        palette: ``(C', 3) uint8`` colours, row ``i`` for label ``i``.
        labels: the text of each patch, in place of the class names (e.g. with the
            class's share of the pixels, ``"Road 31%"``).
        wrong: with a text (``"wrong"``), one more patch in :data:`classes.ERROR_COLOUR`,
            for a map that paints its errors (``paint_labels(..., wrong=...)``).

    Returns:
        list of ``matplotlib.patches.Patch``.

    Raises:
        ValueError: for a class id with no name or no colour, or as many ``labels`` as
            there are not ids.

    Example:
        >>> [patch.get_label() for patch in legend_handles([0, 3, VOID])]
        ['Sky', 'Road', 'void']
        >>> [patch.get_label() for patch in legend_handles([3], wrong="wrong")]
        ['Road', 'wrong']
    """
    from matplotlib.patches import Patch

    ids = range(len(class_names)) if class_ids is None else [int(i) for i in class_ids]
    names = []
    for i in ids:
        if not (0 <= i < len(class_names) or i == VOID) or i >= len(palette):
            raise ValueError(
                f"class id {i} is unknown: use 0..{len(class_names) - 1} or VOID={VOID}."
            )
        names.append(class_names[i] if i < len(class_names) else "void")
    if labels is not None and len(labels) != len(names):
        raise ValueError(f"got {len(labels)} labels for {len(names)} classes: pass one each.")
    colours = [palette[i] for i in ids] + ([ERROR_COLOUR] if wrong else [])
    texts = (names if labels is None else list(labels)) + ([wrong] if wrong else [])
    return [
        Patch(
            facecolor=np.asarray(colour, float) / 255, edgecolor="black", linewidth=0.5, label=text
        )
        for colour, text in zip(colours, texts, strict=True)
    ]
