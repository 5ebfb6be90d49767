"""Segmentation metrics and the void-ignoring loss, against hand-computed values and
slow, obvious NumPy references."""

import warnings

import keras
import numpy as np
import pytest

from fcn_tutorial import metrics
from fcn_tutorial.datasets import NUM_CLASSES, VOID


def _confusion_by_loop(y_true, y_pred, num_classes, ignore_index=VOID):
    # The obvious version: one pixel at a time.
    confusion = np.zeros((num_classes, num_classes), np.int64)
    for truth, prediction in zip(np.ravel(y_true), np.ravel(y_pred)):
        if truth != ignore_index:
            confusion[truth, prediction] += 1
    return confusion


def _random_batch(rng, shape=(2, 6, 7), num_classes=NUM_CLASSES, classes=None):
    classes = np.arange(num_classes) if classes is None else np.asarray(classes)
    labels = rng.choice(classes, size=shape)
    labels[rng.random(shape) < 0.2] = VOID
    logits = rng.normal(size=(*shape, num_classes)).astype("float32")
    return labels, logits


# --- confusion_matrix -------------------------------------------------------------------


def test_confusion_matrix_by_hand_ignores_void():
    y_true = np.array([[0, 0, 1], [2, VOID, 1]])
    y_pred = np.array([[0, 1, 1], [0, 2, 1]])
    expected = np.array(
        [
            [1, 1, 0],  # two 0s: one right, one taken for 1
            [0, 2, 0],  # two 1s, both right
            [1, 0, 0],  # one 2, taken for 0; the void pixel predicted 2 is not counted
        ]
    )
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, 3), expected)


def test_confusion_matrix_equals_a_pixel_loop_and_takes_logits():
    rng = np.random.default_rng(0)
    labels, logits = _random_batch(rng, shape=(3, 9, 11))
    predicted = logits.argmax(-1)
    expected = _confusion_by_loop(labels, predicted, NUM_CLASSES)
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, predicted), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, logits), expected)
    assert expected.sum() == (labels != VOID).sum()


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        (np.zeros((2, 3), int), np.zeros((3, 2), int), "same shape"),
        (np.full((2, 2), 5), np.zeros((2, 2), int), "outside 0..2"),
        (np.zeros((2, 2), int), np.full((2, 2), -1), "outside 0..2"),
    ],
)
def test_confusion_matrix_rejects_bad_labels(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        metrics.confusion_matrix(y_true, y_pred, 3)


# --- segmentation_scores ----------------------------------------------------------------


def test_scores_by_hand_leave_out_a_class_absent_from_truth_and_prediction():
    confusion = np.array([[3, 1, 0], [2, 4, 0], [0, 0, 0]])  # class 2 never occurs
    scores = metrics.segmentation_scores(confusion)
    # t = (4, 6, 0) true pixels; (5, 5, 0) predicted; (3, 4, 0) right.
    assert scores["pixel_accuracy"] == pytest.approx(7 / 10)
    assert scores["mean_accuracy"] == pytest.approx((3 / 4 + 4 / 6) / 2)
    iou = [3 / (4 + 5 - 3), 4 / (6 + 5 - 4)]
    assert scores["mean_iu"] == pytest.approx(sum(iou) / 2)
    assert scores["frequency_weighted_iu"] == pytest.approx((4 * iou[0] + 6 * iou[1]) / 10)
    np.testing.assert_allclose(scores["per_class_iou"], [*iou, np.nan])
    np.testing.assert_allclose(scores["per_class_accuracy"], [3 / 4, 4 / 6, np.nan])


def test_a_class_only_predicted_counts_as_iou_zero_but_has_no_accuracy():
    scores = metrics.segmentation_scores(np.array([[2, 1], [0, 0]]))
    assert scores["mean_iu"] == pytest.approx((2 / 3 + 0) / 2)
    assert scores["mean_accuracy"] == pytest.approx(2 / 3)
    assert scores["frequency_weighted_iu"] == pytest.approx(2 / 3)


def test_the_all_one_class_predictor():
    y_true = np.array([0] * 6 + [1] * 3 + [2] * 1)
    scores = metrics.segmentation_scores(metrics.confusion_matrix(y_true, np.zeros(10, int), 3))
    assert scores["pixel_accuracy"] == pytest.approx(0.6)
    assert scores["mean_accuracy"] == pytest.approx(1 / 3)  # 100% of class 0, 0% of others
    assert scores["mean_iu"] == pytest.approx(0.6 / 3)  # IoU of class 0 is 6 / 10
    assert scores["frequency_weighted_iu"] == pytest.approx(0.6 * 0.6)


def test_a_perfect_prediction_scores_one_and_nothing_counted_scores_nan():
    y_true = np.array([[0, 1], [1, VOID]])
    scores = metrics.segmentation_scores(
        metrics.confusion_matrix(y_true, np.where(y_true == VOID, 0, y_true), 4)
    )
    for name in ("pixel_accuracy", "mean_accuracy", "mean_iu", "frequency_weighted_iu"):
        assert scores[name] == pytest.approx(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = metrics.segmentation_scores(np.zeros((3, 3)))
    assert np.isnan(empty["mean_iu"]) and np.isnan(empty["pixel_accuracy"])


# --- StreamingMeanIoU --------------------------------------------------------------------


def test_streaming_mean_iou_equals_segmentation_scores_over_batches():
    rng = np.random.default_rng(1)
    metric = metrics.StreamingMeanIoU(NUM_CLASSES)
    batches = [_random_batch(rng, classes=range(7)) for _ in range(3)]  # 7..10 absent
    for labels, logits in batches:
        metric.update_state(labels, logits)
    labels = np.concatenate([b[0] for b in batches])
    logits = np.concatenate([b[1] for b in batches])
    expected = metrics.confusion_matrix(labels, logits)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(metric.confusion), expected)
    assert float(metric.result()) == pytest.approx(
        metrics.segmentation_scores(expected)["mean_iu"], rel=1e-6
    )
    metric.reset_state()
    assert not keras.ops.convert_to_numpy(metric.confusion).any()


def test_streaming_mean_iou_takes_channel_labels_and_zero_weights_as_void():
    rng = np.random.default_rng(2)
    labels, logits = _random_batch(rng)
    weights = (rng.random(labels.shape) > 0.5).astype("float32")
    metric = metrics.StreamingMeanIoU(NUM_CLASSES)
    metric.update_state(labels[..., None].astype("float32"), logits, sample_weight=weights)
    masked = np.where(weights == 0, VOID, labels)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(metric.confusion), metrics.confusion_matrix(masked, logits)
    )


def _tiny_segmenter(num_classes):
    image = keras.Input((8, 10, 3), name="image")
    logits = keras.layers.Conv2D(num_classes, 3, padding="same", name="score")(image)
    return keras.Model(image, logits)


def test_streaming_mean_iou_and_loss_inside_compile_fit_evaluate(tmp_path):
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    num_classes = 4
    images = rng.normal(size=(12, 8, 10, 3)).astype("float32")
    labels = rng.integers(0, num_classes, size=(12, 8, 10))
    labels[rng.random(labels.shape) < 0.2] = VOID
    model = _tiny_segmenter(num_classes)
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=metrics.MaskedSparseCrossEntropy(),
        metrics=[metrics.StreamingMeanIoU(num_classes)],
    )
    # ModelCheckpoint must know from the metric itself that higher is better.
    best = keras.callbacks.ModelCheckpoint(
        tmp_path / "best.keras", monitor="val_mean_iu", save_best_only=True
    )
    history = model.fit(
        images,
        labels,
        batch_size=4,
        epochs=2,
        validation_data=(images, labels),
        callbacks=[best],
        verbose=0,
    )
    assert best.monitor_op is keras.ops.greater
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert (tmp_path / "best.keras").is_file()
    results = model.evaluate(images, labels, batch_size=4, return_dict=True, verbose=0)
    expected = metrics.segmentation_scores(
        metrics.confusion_matrix(labels, model.predict(images, verbose=0), num_classes)
    )
    assert results["mean_iu"] == pytest.approx(expected["mean_iu"], rel=1e-5)


def test_metric_and_loss_round_trip_through_their_configs():
    metric = metrics.StreamingMeanIoU(5, ignore_class=255, name="val_iou")
    again = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert (again.num_classes, again.ignore_class, again.name) == (5, 255, "val_iou")
    loss = metrics.MaskedSparseCrossEntropy(ignore_class=255, class_weights=[1, 2])
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(again, metrics.MaskedSparseCrossEntropy)
    assert (again.ignore_class, again.class_weights) == (255, [1.0, 2.0])


# --- MaskedSparseCrossEntropy ------------------------------------------------------------


def _cross_entropy_by_hand(labels, logits, class_weights=None):
    log_probabilities = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    keep = labels != VOID
    picked = np.take_along_axis(log_probabilities[keep], labels[keep][:, None], axis=-1)[:, 0]
    weights = (
        np.ones(keep.sum()) if class_weights is None else np.asarray(class_weights)[labels[keep]]
    )
    return float(-(weights * picked).sum() / weights.sum())


def test_loss_is_the_mean_cross_entropy_of_labelled_pixels():
    rng = np.random.default_rng(4)
    labels, logits = _random_batch(rng)
    loss = metrics.MaskedSparseCrossEntropy()
    assert float(loss(labels, logits)) == pytest.approx(
        _cross_entropy_by_hand(labels, logits), rel=1e-5
    )
    assert float(loss(labels[..., None], logits)) == pytest.approx(float(loss(labels, logits)))


def test_loss_ignores_whatever_the_model_says_at_void_pixels():
    rng = np.random.default_rng(5)
    labels, logits = _random_batch(rng)
    changed = logits.copy()
    changed[labels == VOID] = rng.normal(scale=10, size=changed[labels == VOID].shape)
    loss = metrics.MaskedSparseCrossEntropy()
    assert float(loss(labels, changed)) == pytest.approx(float(loss(labels, logits)), rel=1e-6)


def test_class_weights_weight_the_mean():
    rng = np.random.default_rng(6)
    labels, logits = _random_batch(rng)
    plain = float(metrics.MaskedSparseCrossEntropy()(labels, logits))
    uniform = metrics.MaskedSparseCrossEntropy(class_weights=[3.0] * NUM_CLASSES)
    assert float(uniform(labels, logits)) == pytest.approx(plain, rel=1e-6)
    weights = rng.uniform(0.5, 2.0, NUM_CLASSES)
    weighted = metrics.MaskedSparseCrossEntropy(class_weights=weights)
    expected = _cross_entropy_by_hand(labels, logits, weights)
    assert float(weighted(labels, logits)) == pytest.approx(expected, rel=1e-5)
    # A class of weight 0 is as good as void.
    weights[0] = 0.0
    zero = metrics.MaskedSparseCrossEntropy(class_weights=weights)
    changed = logits.copy()
    changed[labels == 0] += 5.0
    assert float(zero(labels, changed)) == pytest.approx(float(zero(labels, logits)), rel=1e-6)


# --- median_frequency_weights -------------------------------------------------------------


def test_median_frequency_weights_by_hand():
    masks = np.array([[[0, 0], [1, VOID]], [[0, 2], [2, 2]]])
    # freq = class pixels / pixels of the images holding the class: 3/8, 1/4, 3/4.
    weights = metrics.median_frequency_weights(masks, num_classes=4)
    np.testing.assert_allclose(weights, [1.0, 1.5, 0.5, 0.0])  # class 3 never occurs
    listed = metrics.median_frequency_weights([masks[0], masks[1, :1]], num_classes=3)
    np.testing.assert_allclose(listed, [(3 / 6) / (3 / 6), (3 / 6) / (1 / 4), (3 / 6) / (1 / 2)])


def test_median_frequency_weights_from_frequencies_and_bad_input():
    np.testing.assert_allclose(
        metrics.median_frequency_weights(np.array([0.6, 0.3, 0.1]), 3), [0.5, 1.0, 3.0]
    )
    with pytest.raises(ValueError, match=r"\(3,\)"):
        metrics.median_frequency_weights(np.array([0.5, 0.5]), 3)
    with pytest.raises(ValueError, match="labelled pixels"):
        metrics.median_frequency_weights(np.full((1, 2, 2), VOID), 3)
