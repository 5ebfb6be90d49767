"""Label maps as pictures and a prediction scored against them, for one frame at a time.

NumPy only: :mod:`fcn_tutorial.metrics` holds the same scores for whole datasets, but
sits above the drawing layer, so :func:`score_frame` counts them again here
(``tests/test_widgets_browser.py`` checks that both agree).

Introduced in ``07_self_driving_demo.ipynb`` (``SegmentationBrowser`` with predictions).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "paint_labels",
    "wrong_pixels",
    "score_frame",
]


def paint_labels(photo, mask, palette, shown, alpha: float = 0.5):
    """The class colours of a label map, alone and blended over its photo.

    Args:
        photo: ``(H, W, 3) uint8``.
        mask: ``(H, W)`` integer labels ``>= 0``; labels ``len(shown)`` and above are void.
        palette: ``(C', 3) uint8`` colours, row ``i`` for label ``i``; labels without a
            row are drawn black.
        shown: ``(C,)`` bool, the classes to paint; hidden and void pixels stay unpainted.
        alpha: the opacity of the colours over the photo, 0 to 1.

    Returns:
        labels: ``(H, W, 3) uint8``, class colours, black where unpainted.
        overlay: ``(H, W, 3) uint8``, the colours blended over the photo, the bare photo
        where unpainted.

    Example:
        >>> labels, overlay = paint_labels(np.zeros((1, 2, 3), "uint8"), np.array([[0, 1]]),
        ...                                np.array([[200, 0, 0], [0, 0, 200]], "uint8"),
        ...                                shown=[True, False], alpha=0.5)
        >>> labels[0].tolist(), overlay[0].tolist()
        ([[200, 0, 0], [0, 0, 0]], [[100, 0, 0], [0, 0, 0]])
    """
    size = max(int(mask.max(initial=0)) + 1, len(palette), len(shown))
    painted_classes = np.zeros(size, bool)
    painted_classes[: len(shown)] = shown
    colours = np.zeros((size, 3), np.float32)
    colours[: len(palette)] = palette
    painted = painted_classes[mask][..., None]
    photo = np.asarray(photo, np.float32)
    blend = np.where(painted, (1 - alpha) * photo + alpha * colours[mask], photo)
    labels = np.where(painted, colours[mask], 0).astype(np.uint8)
    return labels, np.clip(blend + 0.5, 0, 255).astype(np.uint8)


def wrong_pixels(truth, prediction, shown) -> np.ndarray:
    """Where a prediction is wrong, on the labelled pixels of the shown classes.

    Args:
        truth: ``(H, W)`` integer labels; labels ``len(shown)`` and above are void.
        prediction: ``(H, W)`` integer labels.
        shown: ``(C,)`` bool, the true classes whose pixels count.

    Returns:
        ``(H, W) bool``: ``True`` where the true class is shown and predicted wrong.

    Example:
        >>> wrong_pixels(np.array([0, 1, 1, 2]), np.array([1, 0, 1, 0]), [True, False]).tolist()
        [True, False, False, False]
    """
    painted_classes = np.zeros(max(int(truth.max(initial=0)) + 1, len(shown)), bool)
    painted_classes[: len(shown)] = shown
    return painted_classes[truth] & (prediction != truth)


def score_frame(truth, prediction, num_classes: int) -> dict:
    """Pixel accuracy and mean IU of one predicted frame, void pixels left out.

    The FCN paper's definitions (section 5). Mean IU averages the classes present in
    the truth or the prediction; a predicted label without a name counts as wrong and
    in no class.

    Args:
        truth: ``(H, W)`` integer labels; ``num_classes`` and above are void.
        prediction: ``(H, W)`` integer labels ``>= 0``.
        num_classes: labels ``0 .. num_classes - 1`` are classes.

    Returns:
        dict: ``pixel_accuracy``, ``mean_iu`` (floats, NaN with no labelled pixel) and
        ``wrong_pixels`` (labelled pixels predicted wrong).

    Example:
        >>> score_frame(np.array([0, 0, 1, 5]), np.array([0, 1, 1, 0]), num_classes=2)
        {'pixel_accuracy': 0.6666666666666666, 'mean_iu': 0.5, 'wrong_pixels': 1}
    """
    counted = truth < num_classes
    truth, prediction = truth[counted].astype(np.int64), prediction[counted].astype(np.int64)
    right = truth == prediction
    true_pixels = np.bincount(truth, minlength=num_classes)
    predicted_pixels = np.bincount(prediction[prediction < num_classes], minlength=num_classes)
    correct = np.bincount(truth[right], minlength=num_classes)
    union = true_pixels + predicted_pixels - correct
    iou = correct[union > 0] / union[union > 0]
    return {
        "pixel_accuracy": float(right.mean()) if right.size else float("nan"),
        "mean_iu": float(iou.mean()) if iou.size else float("nan"),
        "wrong_pixels": int(right.size - right.sum()),
    }
