"""The training loss and the streaming mean IU: the Keras side of scoring a segmentation.

:class:`MaskedSparseCrossEntropy` is the per-pixel cross-entropy that ignores void
pixels; :class:`MeanIU` accumulates mean IU over batches inside ``model.fit`` and
``model.evaluate``, reported as ``mean_iu`` and ``val_mean_iu``. Both are built from
``keras.ops`` only, so they run on every backend, and both are registered as
serializable, so ``keras.saving.load_model`` reads back a checkpoint compiled with them.
Their NumPy twins, for whole-dataset evaluation, are in :mod:`fcn_tutorial.scores`.
Used by ``fcn_tutorial.training``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from fcn_tutorial.classes import NUM_CLASSES, VOID

__all__ = ["MaskedSparseCrossEntropy", "MeanIU"]


def _flat_labels(y_true, like):
    # Labels arrive as (N, H, W) or (N, H, W, 1), as ints or floats: one flat int32 vector.
    return ops.reshape(ops.cast(y_true, "int32"), ops.shape(like))


@keras.saving.register_keras_serializable(package="fcn_tutorial")
class MeanIU(keras.metrics.Metric):
    """Mean IU accumulated over batches, for ``model.compile(metrics=[...])``.

    Each batch's logits are argmaxed and counted into a ``(K, K)`` confusion matrix
    held in a Keras variable, void pixels left out; the result is the mean IU of the
    counts so far, over the classes that occur (as ``scores.segmentation_scores``). Built
    from ``keras.ops`` only, so it runs on every backend, in compiled ``fit`` loops
    included. Its confusion matrix is ``metric.confusion`` (``keras.ops.convert_to_numpy``
    it for ``scores.segmentation_scores``); Keras resets it at the start of each epoch.

    Counts are float32, as in ``keras.metrics.MeanIoU``: exact up to 16.7 M pixels a
    cell (2^24), then rounded by about one part in 10^7 per batch.

    Args:
        num_classes: ``K``, labels ``0 .. K - 1``.
        ignore_class: the void label, left out (``None`` to count all labels).
        name: reported as ``mean_iu`` and ``val_mean_iu``.
        dtype: of the result.

    Example:
        >>> metric = MeanIU(num_classes=2)
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
    ``classes.median_frequency_weights`` make rare classes (poles, signs) count more.

    Args:
        ignore_class: the void label (``classes.VOID``), or ``None`` to use every pixel.
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
