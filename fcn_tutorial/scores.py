"""How good is a segmentation: the FCN paper's four scores, over a dataset or one image.

Everything here counts pixels through one object, the confusion matrix ``n``: ``n[i, j]``
is the number of pixels of true class ``i`` predicted as class ``j`` (void pixels are
left out). With ``t_i = sum_j n[i, j]`` pixels of class ``i``, section 5 of Long,
Shelhamer & Darrell (2015) defines

- pixel accuracy: ``sum_i n[i, i] / sum_i t_i``;
- mean accuracy: ``(1 / n_cl) sum_i n[i, i] / t_i``;
- mean IU: ``(1 / n_cl) sum_i n[i, i] / (t_i + sum_j n[j, i] - n[i, i])``;
- frequency weighted IU: ``(sum_k t_k)^-1 sum_i t_i n[i, i] / (t_i + sum_j n[j, i] - n[i, i])``.

:func:`confusion_matrix` and :func:`segmentation_scores` score whole datasets;
:func:`image_scores` and :func:`per_image_mean_iu` score one image at a time (the
explorers' readouts, the demo's best and worst images) through the same two.

NumPy only, so drawing code can score a frame without Keras. The streaming Keras twin
for ``model.fit`` is :class:`fcn_tutorial.losses.MeanIU`. Introduced in
``01_segmentation_intro.ipynb`` (the metrics lesson); used from ``05`` on.
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial.classes import NUM_CLASSES, VOID

__all__ = [
    "confusion_matrix",
    "segmentation_scores",
    "majority_baseline",
    "wrong_pixels",
    "image_scores",
    "per_image_mean_iu",
]


def confusion_matrix(
    y_true, y_pred, num_classes: int = NUM_CLASSES, ignore_class: int | None = VOID
) -> np.ndarray:
    """Count pixels by (true class, predicted class), leaving out ``ignore_class``.

    Args:
        y_true: integer labels of any shape, e.g. ``(N, H, W)``; ``ignore_class`` marks
            pixels to leave out.
        y_pred: predicted labels of the same shape, or scores (logits or probabilities)
            with one more, trailing, axis of ``num_classes``, whose argmax is taken.
        num_classes: labels ``0 .. num_classes - 1``.
        ignore_class: the void label (``classes.VOID``), or ``None`` to count all.

    Returns:
        ``(num_classes, num_classes) int64``: ``[i, j]`` counts pixels of class ``i``
        predicted as ``j``; rows are the truth, columns the prediction.

    Raises:
        ValueError: for mismatched shapes, or labels outside ``0 .. num_classes - 1``
            that are not ``ignore_class``.

    Example:
        >>> confusion_matrix(np.array([0, 0, 1, VOID]), np.array([0, 1, 1, 0]), 2)
        array([[1, 1],
               [0, 1]])
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == num_classes:
        y_pred = y_pred.argmax(axis=-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but y_pred {y_pred.shape}: pass labels of the "
            "same shape, or scores with one more trailing axis of num_classes."
        )
    y_true, y_pred = y_true.ravel(), y_pred.ravel()
    if ignore_class is not None:
        keep = y_true != ignore_class
        y_true, y_pred = y_true[keep], y_pred[keep]
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f"{name} holds labels outside 0..{num_classes - 1} (min {labels.min()}, "
                f"max {labels.max()}): map them to ignore_class={ignore_class} or check "
                "num_classes."
            )
    # Each pixel's (true, predicted) pair as one index true * K + pred: one bincount
    # counts them all, with no loop over pixels.
    pairs = y_true.astype(np.int64) * num_classes + y_pred.astype(np.int64)
    counts = np.bincount(pairs, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _mean_of_defined(values: np.ndarray) -> float:
    defined = ~np.isnan(values)
    return float(values[defined].mean()) if defined.any() else float("nan")


def segmentation_scores(confusion) -> dict:
    """The FCN paper's four scores and the IU of each class, from a confusion matrix.

    Classes absent from both the truth and the prediction (row and column all zero)
    have no IU (NaN) and are left out of the means, so ``n_cl`` counts only classes
    that occur: a crop with no bicyclist is not scored on bicyclists. A class that is
    predicted but absent from the truth counts with IU 0 in mean IU, but has no
    accuracy (``0 / 0``) and is left out of mean accuracy.

    Args:
        confusion: ``(K, K)`` counts from :func:`confusion_matrix` (rows true, columns
            predicted), summed over as many images as wanted.

    Returns:
        dict: ``pixel_accuracy``, ``mean_accuracy``, ``mean_iu``,
        ``frequency_weighted_iu`` (floats, NaN when nothing is counted) and
        ``per_class_iu``, ``per_class_accuracy`` (``(K,) float64``, NaN where undefined).

    Raises:
        ValueError: for a matrix that is not square or holds negative counts.

    Example:
        >>> scores = segmentation_scores(np.array([[3, 1], [0, 4]]))
        >>> round(scores["mean_iu"], 4), scores["per_class_iu"]
        (0.775, array([0.75, 0.8 ]))
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(
            f"confusion has shape {confusion.shape}: pass the (K, K) matrix from "
            "confusion_matrix(y_true, y_pred, K)."
        )
    if (confusion < 0).any():
        raise ValueError("confusion holds negative counts: pass pixel counts.")
    correct = np.diag(confusion)
    true_pixels = confusion.sum(axis=1)  # t_i
    predicted_pixels = confusion.sum(axis=0)  # sum_j n[j, i]
    union = true_pixels + predicted_pixels - correct
    total = true_pixels.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class_iu = np.where(union > 0, correct / union, np.nan)
        per_class_accuracy = np.where(true_pixels > 0, correct / true_pixels, np.nan)
    return {
        "pixel_accuracy": float(correct.sum() / total) if total else float("nan"),
        "mean_accuracy": _mean_of_defined(per_class_accuracy),
        "mean_iu": _mean_of_defined(per_class_iu),
        # Classes absent from the truth have t_i = 0 and drop out of the weighted sum.
        "frequency_weighted_iu": (
            float(np.nansum(true_pixels * per_class_iu) / total) if total else float("nan")
        ),
        "per_class_iu": per_class_iu,
        "per_class_accuracy": per_class_accuracy,
    }


def majority_baseline(
    train_masks, val_masks, num_classes: int = NUM_CLASSES, ignore_class: int | None = VOID
) -> dict:
    """The scores of predicting the training set's most common class everywhere.

    The bar any trained model must clear: on street scenes "all road" or "all
    building" already gets a pixel accuracy of a third or more.

    Args:
        train_masks: ``(N, H, W)`` integer labels, or a list of ``(H, W)`` of any sizes.
        val_masks: the masks to score it on, the same way.
        num_classes: ``K``.
        ignore_class: the void label, counted in neither.

    Returns:
        dict: ``class`` (the majority label) and :func:`segmentation_scores`' keys.

    Example:
        >>> majority_baseline([np.array([[0, 1, 1]])], [np.array([[1, 0, VOID]])], 2)["class"]
        1
    """
    counts = np.zeros(num_classes, np.int64)
    for mask in train_masks:
        mask = np.asarray(mask)
        labels = mask[mask != ignore_class] if ignore_class is not None else mask
        counts += np.bincount(labels.ravel(), minlength=num_classes)[:num_classes]
    majority = int(np.argmax(counts))
    confusion = sum(
        confusion_matrix(m, np.full_like(np.asarray(m), majority), num_classes, ignore_class)
        for m in val_masks
    )
    return {"class": majority, **segmentation_scores(confusion)}


def wrong_pixels(
    truth, prediction, num_classes: int = NUM_CLASSES, ignore_class: int | None = VOID
) -> np.ndarray:
    """Where a prediction is wrong, on the pixels that are scored.

    Args:
        truth: ``(H, W)`` integer labels; ``ignore_class`` and labels ``num_classes`` and
            above (labels without a name) are void, never wrong.
        prediction: ``(H, W)`` integer labels.
        num_classes: labels ``0 .. num_classes - 1`` are classes.
        ignore_class: the void label, or ``None``.

    Returns:
        ``(H, W) bool``: ``True`` where the true class is scored and predicted wrong.

    Example:
        >>> wrong_pixels(np.array([0, 1, 1, 2]), np.array([1, 0, 1, 0]), 2).tolist()
        [True, True, False, False]
    """
    truth, prediction = np.asarray(truth), np.asarray(prediction)
    return _scored(truth, num_classes, ignore_class) & (prediction != truth)


def _scored(truth: np.ndarray, num_classes: int, ignore_class: int | None) -> np.ndarray:
    scored = truth < num_classes
    return scored if ignore_class is None else scored & (truth != ignore_class)


def image_scores(
    truth, prediction, num_classes: int = NUM_CLASSES, ignore_class: int | None = VOID
) -> dict:
    """Pixel accuracy and mean IU of one predicted image, void pixels left out.

    The paper's definitions, through :func:`confusion_matrix` and
    :func:`segmentation_scores`: mean IU averages the classes present in the truth or the
    prediction. A predicted label without a name (``num_classes`` or above) counts as
    wrong and in no class.

    Args:
        truth: ``(H, W)`` integer labels; ``ignore_class`` and labels ``num_classes`` and
            above are void.
        prediction: ``(H, W)`` integer labels ``>= 0``.
        num_classes: labels ``0 .. num_classes - 1`` are classes.
        ignore_class: the void label, or ``None``.

    Returns:
        dict: ``pixel_accuracy``, ``mean_iu`` (floats, NaN with no labelled pixel) and
        ``wrong_pixels`` (labelled pixels predicted wrong, as :func:`wrong_pixels`).

    Raises:
        ValueError: for shapes that differ or negative predicted labels.

    Example:
        >>> image_scores(np.array([0, 0, 1, 5]), np.array([0, 1, 1, 0]), num_classes=2)
        {'pixel_accuracy': 0.6666666666666666, 'mean_iu': 0.5, 'wrong_pixels': 1}
    """
    truth, prediction = np.asarray(truth), np.asarray(prediction)
    if truth.shape != prediction.shape:
        raise ValueError(
            f"truth has shape {truth.shape} but the prediction {prediction.shape}: pass "
            "labels of the same shape."
        )
    scored = _scored(truth, num_classes, ignore_class)
    # One extra column, num_classes, collects the unnamed predictions: they are wrong and
    # belong to no class, so that column's own IU is left out of the mean.
    unnamed = np.minimum(prediction[scored], num_classes)
    confusion = confusion_matrix(truth[scored], unnamed, num_classes + 1, ignore_class=None)
    scores = segmentation_scores(confusion)
    return {
        "pixel_accuracy": scores["pixel_accuracy"],
        "mean_iu": _mean_of_defined(scores["per_class_iu"][:num_classes]),
        "wrong_pixels": int(confusion.sum() - np.trace(confusion)),
    }


def per_image_mean_iu(
    masks, predictions, num_classes: int = NUM_CLASSES, ignore_class: int | None = VOID
) -> np.ndarray:
    """Each image's own mean IU (classes absent from both label and prediction skipped).

    Args:
        masks: ``(N, H, W)`` integer labels, or a list of ``(H, W)``.
        predictions: the predicted labels, the same shapes.
        num_classes, ignore_class: as :func:`image_scores`.

    Returns:
        ``(N,) float64``, one :func:`image_scores` mean IU per image.

    Example:
        >>> per_image_mean_iu([np.array([0, 1])], [np.array([0, 0])], num_classes=2)
        array([0.25])
    """
    return np.array(
        [
            image_scores(mask, prediction, num_classes, ignore_class)["mean_iu"]
            for mask, prediction in zip(masks, predictions, strict=True)
        ]
    )
