"""How good is a segmentation: the FCN paper's four metrics, a streaming Keras metric,
and a cross-entropy loss that ignores void pixels.

Everything here counts pixels through one object, the confusion matrix ``n``: ``n[i, j]``
is the number of pixels of true class ``i`` predicted as class ``j`` (void pixels are
left out). With ``t_i = sum_j n[i, j]`` pixels of class ``i``, section 5 of Long,
Shelhamer & Darrell (2015) defines

- pixel accuracy: ``sum_i n[i, i] / sum_i t_i``;
- mean accuracy: ``(1 / n_cl) sum_i n[i, i] / t_i``;
- mean IU: ``(1 / n_cl) sum_i n[i, i] / (t_i + sum_j n[j, i] - n[i, i])``;
- frequency weighted IU: ``(sum_k t_k)^-1 sum_i t_i n[i, i] / (t_i + sum_j n[j, i] - n[i, i])``.

:func:`confusion_matrix` and :func:`segmentation_scores` do it in NumPy (evaluation);
:class:`StreamingMeanIoU` does it with ``keras.ops`` inside ``model.fit`` on any backend;
:class:`MaskedSparseCrossEntropy` is the training loss. Used by ``fcn_tutorial.training``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from fcn_tutorial.datasets.classes import NUM_CLASSES, VOID

__all__ = [
    "confusion_matrix",
    "segmentation_scores",
    "StreamingMeanIoU",
    "MaskedSparseCrossEntropy",
    "median_frequency_weights",
]


def confusion_matrix(
    y_true, y_pred, num_classes: int = NUM_CLASSES, ignore_index: int | None = VOID
) -> np.ndarray:
    """Count pixels by (true class, predicted class), leaving out ``ignore_index``.

    Args:
        y_true: integer labels of any shape, e.g. ``(N, H, W)``; ``ignore_index`` marks
            pixels to leave out.
        y_pred: predicted labels of the same shape, or scores (logits or probabilities)
            with one more, trailing, axis of ``num_classes``, whose argmax is taken.
        num_classes: labels ``0 .. num_classes - 1``.
        ignore_index: the void label (``datasets.VOID``), or ``None`` to count all.

    Returns:
        ``(num_classes, num_classes) int64``: ``[i, j]`` counts pixels of class ``i``
        predicted as ``j``; rows are the truth, columns the prediction.

    Raises:
        ValueError: for mismatched shapes, or labels outside ``0 .. num_classes - 1``
            that are not ``ignore_index``.

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
    if ignore_index is not None:
        keep = y_true != ignore_index
        y_true, y_pred = y_true[keep], y_pred[keep]
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f"{name} holds labels outside 0..{num_classes - 1} (min {labels.min()}, "
                f"max {labels.max()}): map them to ignore_index={ignore_index} or check "
                "num_classes."
            )
    # Each pixel's (true, predicted) pair as one index true * K + pred: one bincount
    # counts them all, with no loop over pixels.
    pairs = y_true.astype(np.int64) * num_classes + y_pred.astype(np.int64)
    counts = np.bincount(pairs, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def segmentation_scores(confusion) -> dict:
    """The FCN paper's four metrics and the IoU of each class, from a confusion matrix.

    Classes absent from both the truth and the prediction (row and column all zero)
    have no IoU (NaN) and are left out of the means, so ``n_cl`` counts only classes
    that occur: a crop with no bicyclist is not scored on bicyclists. A class that is
    predicted but absent from the truth counts with IoU 0 in mean IU, but has no
    accuracy (``0 / 0``) and is left out of mean accuracy.

    Args:
        confusion: ``(K, K)`` counts from :func:`confusion_matrix` (rows true, columns
            predicted), summed over as many images as wanted.

    Returns:
        dict: ``pixel_accuracy``, ``mean_accuracy``, ``mean_iu``,
        ``frequency_weighted_iu`` (floats, NaN when nothing is counted) and
        ``per_class_iou``, ``per_class_accuracy`` (``(K,) float64``, NaN where undefined).

    Raises:
        ValueError: for a matrix that is not square or holds negative counts.

    Example:
        >>> scores = segmentation_scores(np.array([[3, 1], [0, 4]]))
        >>> round(scores["mean_iu"], 4), scores["per_class_iou"]
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
        per_class_iou = np.where(union > 0, correct / union, np.nan)
        per_class_accuracy = np.where(true_pixels > 0, correct / true_pixels, np.nan)

    def mean_of_defined(values):
        defined = ~np.isnan(values)
        return float(values[defined].mean()) if defined.any() else float("nan")

    return {
        "pixel_accuracy": float(correct.sum() / total) if total else float("nan"),
        "mean_accuracy": mean_of_defined(per_class_accuracy),
        "mean_iu": mean_of_defined(per_class_iou),
        # Classes absent from the truth have t_i = 0 and drop out of the weighted sum.
        "frequency_weighted_iu": (
            float(np.nansum(true_pixels * per_class_iou) / total) if total else float("nan")
        ),
        "per_class_iou": per_class_iou,
        "per_class_accuracy": per_class_accuracy,
    }


def _flat_labels(y_true, like):
    # Labels arrive as (N, H, W) or (N, H, W, 1), as ints or floats: one flat int32 vector.
    return ops.reshape(ops.cast(y_true, "int32"), ops.shape(like))


@keras.saving.register_keras_serializable(package="fcn_tutorial")
class StreamingMeanIoU(keras.metrics.Metric):
    """Mean IU accumulated over batches, for ``model.compile(metrics=[...])``.

    Each batch's logits are argmaxed and counted into a ``(K, K)`` confusion matrix
    held in a Keras variable, void pixels left out; the result is the mean IU of the
    counts so far, over the classes that occur (as :func:`segmentation_scores`). Built
    from ``keras.ops`` only, so it runs on every backend, in compiled ``fit`` loops
    included. Its confusion matrix is ``metric.confusion`` (``keras.ops.convert_to_numpy``
    it for :func:`segmentation_scores`); Keras resets it at the start of each epoch.

    Counts are float32, as in ``keras.metrics.MeanIoU``: exact up to 16.7 M pixels a
    cell (2^24), then rounded by about one part in 10^7 per batch.

    Args:
        num_classes: ``K``, labels ``0 .. K - 1``.
        ignore_class: the void label, left out (``None`` to count all labels).
        name: reported as ``mean_iu`` and ``val_mean_iu``.
        dtype: of the result.

    Example:
        >>> metric = StreamingMeanIoU(num_classes=2)
        >>> logits = np.array([[[[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]]]])  # predicts 0, 1, 0
        >>> metric.update_state(np.array([[[0, 1, VOID]]]), logits)
        >>> float(metric.result())
        1.0
    """

    def __init__(
        self,
        num_classes: int = NUM_CLASSES,
        ignore_class: int | None = VOID,
        name: str = "mean_iu",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        # Higher is better: lets ModelCheckpoint(monitor="val_mean_iu") pick mode="max".
        self._direction = "up"
        self.confusion = self.add_variable(
            shape=(self.num_classes, self.num_classes),
            initializer="zeros",
            dtype="float32",
            name="confusion",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Count one batch.

        Args:
            y_true: ``(N, H, W)`` or ``(N, H, W, 1)`` labels, ``ignore_class`` for void.
            y_pred: ``(N, H, W, K)`` logits (or probabilities).
            sample_weight: optional ``(N, H, W)``; pixels of weight 0 are left out too
                (a confusion matrix counts pixels, so other weights count as 1).
        """
        predicted = ops.reshape(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), (-1,))
        truth = _flat_labels(y_true, predicted)
        valid = ops.logical_and(truth >= 0, truth < self.num_classes)
        if self.ignore_class is not None:
            valid = ops.logical_and(valid, truth != self.ignore_class)
        if sample_weight is not None:
            weight = ops.reshape(ops.convert_to_tensor(sample_weight), ops.shape(predicted))
            valid = ops.logical_and(valid, weight != 0)
        # The keras.ops twin of np.bincount(true * K + pred): a segment sum of ones.
        # Void pixels add 0 to cell 0 instead of being dropped, so shapes stay static
        # (what JAX's compiled loops need).
        pairs = ops.where(valid, truth * self.num_classes + predicted, 0)
        counts = ops.segment_sum(
            ops.cast(valid, "float32"), pairs, num_segments=self.num_classes**2
        )
        self.confusion.assign_add(ops.reshape(counts, (self.num_classes, self.num_classes)))

    def result(self):
        """Mean IU over the classes in the truth or the prediction so far (0 if none)."""
        correct = ops.diagonal(self.confusion)
        union = ops.sum(self.confusion, axis=0) + ops.sum(self.confusion, axis=1) - correct
        present = ops.cast(union > 0, "float32")
        iou = ops.divide_no_nan(correct, union)
        mean = ops.divide_no_nan(ops.sum(iou * present), ops.sum(present))
        return ops.cast(mean, self.dtype)

    def reset_state(self):
        """Forget the counts (Keras calls this at each epoch's start)."""
        self.confusion.assign(ops.zeros(self.confusion.shape, dtype=self.confusion.dtype))

    def get_config(self) -> dict:
        """``num_classes`` and ``ignore_class`` plus the base metric's config."""
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "ignore_class": self.ignore_class,
        }


@keras.saving.register_keras_serializable(package="fcn_tutorial")
class MaskedSparseCrossEntropy(keras.losses.Loss):
    """Per-pixel softmax cross-entropy that ignores void, with optional class weights.

    The loss of a batch is ``sum_p w[y_p] * ce_p / sum_p w[y_p]`` over the labelled
    pixels ``p`` (void pixels have weight 0): a weighted mean, so uniform class weights
    change nothing and void pixels neither count nor dilute it. It is PyTorch's
    ``CrossEntropyLoss(weight=..., ignore_index=...)``. Class weights from
    :func:`median_frequency_weights` make rare classes (poles, signs) count more.

    Args:
        ignore_class: the void label (``datasets.VOID``), or ``None`` to use every pixel.
        class_weights: ``(num_classes,)`` weights, or ``None`` for all 1.
        from_logits: ``y_pred`` are logits (``build_fcn``'s output), else probabilities.
        reduction: ``"mean_with_sample_weight"`` gives the weighted mean above; Keras'
            other reductions work too (``"sum"``, ``None`` for per-pixel losses).
        name: of the loss.

    Example:
        >>> loss = MaskedSparseCrossEntropy(ignore_class=2)
        >>> logits = np.zeros((1, 1, 2, 2))  # two pixels, two classes, p = 0.5 each
        >>> round(float(loss(np.array([[[0, 2]]]), logits)), 4)  # log 2; void ignored
        0.6931
    """

    def __init__(
        self,
        ignore_class: int | None = VOID,
        class_weights: Sequence[float] | None = None,
        from_logits: bool = True,
        reduction: str | None = "mean_with_sample_weight",
        name: str = "masked_sparse_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.ignore_class = ignore_class
        self.class_weights = None if class_weights is None else [float(w) for w in class_weights]
        if self.class_weights is not None and min(self.class_weights) < 0:
            raise ValueError("class_weights must be non-negative, e.g. median_frequency_weights.")
        self.from_logits = from_logits

    def _labels_and_weights(self, y_true, y_pred):
        labels = ops.cast(y_true, "int32")
        if len(labels.shape) == len(y_pred.shape):  # (N, H, W, 1) labels
            labels = ops.squeeze(labels, axis=-1)
        valid = ops.ones_like(labels, dtype="bool")
        if self.ignore_class is not None:
            valid = labels != self.ignore_class
        # Void pixels get a real label (0) so cross-entropy is defined; their weight is 0.
        safe = ops.where(valid, labels, 0)
        weights = ops.cast(valid, y_pred.dtype)
        if self.class_weights is not None:
            table = ops.convert_to_tensor(np.array(self.class_weights), dtype=y_pred.dtype)
            weights = weights * ops.take(table, safe)
        return safe, weights

    def call(self, y_true, y_pred):
        """Unweighted per-pixel cross-entropy, ``(N, H, W)``; void pixels hold label 0's."""
        safe, _ = self._labels_and_weights(y_true, y_pred)
        return ops.sparse_categorical_crossentropy(safe, y_pred, from_logits=self.from_logits)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss, with class weights (0 for void) passed to Keras as sample weights.

        Args:
            y_true: ``(N, H, W)`` or ``(N, H, W, 1)`` labels.
            y_pred: ``(N, H, W, K)`` logits (or probabilities if not ``from_logits``).
            sample_weight: optional extra per-pixel ``(N, H, W)`` or per-image ``(N,)``
                weights, multiplied in.
        """
        y_pred = ops.convert_to_tensor(y_pred)
        _, weights = self._labels_and_weights(ops.convert_to_tensor(y_true), y_pred)
        if sample_weight is not None:
            sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), weights.dtype)
            while len(sample_weight.shape) < len(weights.shape):
                sample_weight = ops.expand_dims(sample_weight, -1)
            weights = weights * sample_weight
        return super().__call__(y_true, y_pred, sample_weight=weights)

    def get_config(self) -> dict:
        """Everything ``__init__`` takes."""
        return {
            **super().get_config(),
            "ignore_class": self.ignore_class,
            "class_weights": self.class_weights,
            "from_logits": self.from_logits,
        }


def median_frequency_weights(
    masks_or_frequencies, num_classes: int = NUM_CLASSES, ignore_index: int | None = VOID
) -> np.ndarray:
    """Class weights by median frequency balancing (Eigen & Fergus 2015), as SegNet uses.

    ``weight_c = median(freq) / freq_c``, where ``freq_c`` is the number of pixels of
    class ``c`` divided by the number of pixels in the images where ``c`` occurs. A class
    as common as the median gets 1, rarer classes more, common ones less.

    Args:
        masks_or_frequencies: ``(N, H, W)`` integer masks (or a list of ``(H, W)`` masks
            of any sizes), from which ``freq_c`` is computed as above; or ``(K,)`` float
            frequencies, used as they are (e.g. ``datasets.class_frequencies(masks)``,
            which divides by all labelled pixels instead).
        num_classes: ``K``.
        ignore_index: the void label in masks, not counted as any class's pixels, but
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
        masks = masks_or_frequencies
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
            labels = mask[mask != ignore_index] if ignore_index is not None else mask.ravel()
            counts = np.bincount(labels.ravel(), minlength=num_classes)[:num_classes]
            class_pixels += counts
            image_pixels += np.where(counts > 0, mask.size, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            frequencies = np.where(image_pixels > 0, class_pixels / image_pixels, 0.0)
    present = frequencies > 0
    if not present.any():
        raise ValueError("no class occurs: pass masks with labelled pixels.")
    median = np.median(frequencies[present])
    weights = np.zeros(num_classes)
    weights[present] = median / frequencies[present]
    return weights
