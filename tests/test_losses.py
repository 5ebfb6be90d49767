"""The void-ignoring loss and the streaming mean IU, against the NumPy scores and a slow,
obvious cross-entropy."""

import keras
import numpy as np
import pytest

from fcn_tutorial import losses, scores
from fcn_tutorial.classes import NUM_CLASSES, VOID

# --- MeanIU -----------------------------------------------------------------------------------


def test_mean_iu_equals_segmentation_scores_over_batches(random_batch):
    rng = np.random.default_rng(1)
    metric = losses.MeanIU(NUM_CLASSES)
    batches = [random_batch(rng, classes=range(7)) for _ in range(3)]  # 7..10 absent
    for labels, logits in batches:
        metric.update_state(labels, logits)
    labels = np.concatenate([b[0] for b in batches])
    logits = np.concatenate([b[1] for b in batches])
    expected = scores.confusion_matrix(labels, logits)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(metric.confusion), expected)
    assert float(metric.result()) == pytest.approx(
        scores.segmentation_scores(expected)["mean_iu"], rel=1e-6
    )
    metric.reset_state()
    assert not keras.ops.convert_to_numpy(metric.confusion).any()


def test_mean_iu_takes_channel_labels_and_zero_weights_as_void(random_batch):
    rng = np.random.default_rng(2)
    labels, logits = random_batch(rng)
    weights = (rng.random(labels.shape) > 0.5).astype("float32")
    metric = losses.MeanIU(NUM_CLASSES)
    metric.update_state(labels[..., None].astype("float32"), logits, sample_weight=weights)
    masked = np.where(weights == 0, VOID, labels)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(metric.confusion), scores.confusion_matrix(masked, logits)
    )


def _tiny_segmenter(num_classes):
    image = keras.Input((8, 10, 3), name="image")
    logits = keras.layers.Conv2D(num_classes, 3, padding="same", name="score")(image)
    return keras.Model(image, logits)


def test_mean_iu_and_loss_inside_compile_fit_evaluate(tmp_path):
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    num_classes = 4
    images = rng.normal(size=(12, 8, 10, 3)).astype("float32")
    labels = rng.integers(0, num_classes, size=(12, 8, 10))
    labels[rng.random(labels.shape) < 0.2] = VOID
    model = _tiny_segmenter(num_classes)
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=losses.MaskedSparseCrossEntropy(),
        metrics=[losses.MeanIU(num_classes)],
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
    expected = scores.segmentation_scores(
        scores.confusion_matrix(labels, model.predict(images, verbose=0), num_classes)
    )
    assert results["mean_iu"] == pytest.approx(expected["mean_iu"], rel=1e-5)


def test_metric_and_loss_round_trip_through_their_configs():
    metric = losses.MeanIU(5, ignore_class=255, name="val_iou")
    again = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert (again.num_classes, again.ignore_class, again.name) == (5, 255, "val_iou")
    loss = losses.MaskedSparseCrossEntropy(ignore_class=255, class_weights=[1, 2])
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(again, losses.MaskedSparseCrossEntropy)
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


def test_loss_is_the_mean_cross_entropy_of_labelled_pixels(random_batch):
    rng = np.random.default_rng(4)
    labels, logits = random_batch(rng)
    loss = losses.MaskedSparseCrossEntropy()
    assert float(loss(labels, logits)) == pytest.approx(
        _cross_entropy_by_hand(labels, logits), rel=1e-5
    )
    assert float(loss(labels[..., None], logits)) == pytest.approx(float(loss(labels, logits)))


def test_loss_ignores_whatever_the_model_says_at_void_pixels(random_batch):
    rng = np.random.default_rng(5)
    labels, logits = random_batch(rng)
    changed = logits.copy()
    changed[labels == VOID] = rng.normal(scale=10, size=changed[labels == VOID].shape)
    loss = losses.MaskedSparseCrossEntropy()
    assert float(loss(labels, changed)) == pytest.approx(float(loss(labels, logits)), rel=1e-6)


def test_class_weights_weight_the_mean(random_batch):
    rng = np.random.default_rng(6)
    labels, logits = random_batch(rng)
    plain = float(losses.MaskedSparseCrossEntropy()(labels, logits))
    uniform = losses.MaskedSparseCrossEntropy(class_weights=[3.0] * NUM_CLASSES)
    assert float(uniform(labels, logits)) == pytest.approx(plain, rel=1e-6)
    weights = rng.uniform(0.5, 2.0, NUM_CLASSES)
    weighted = losses.MaskedSparseCrossEntropy(class_weights=weights)
    expected = _cross_entropy_by_hand(labels, logits, weights)
    assert float(weighted(labels, logits)) == pytest.approx(expected, rel=1e-5)
    # A class of weight 0 is as good as void.
    weights[0] = 0.0
    zero = losses.MaskedSparseCrossEntropy(class_weights=weights)
    changed = logits.copy()
    changed[labels == 0] += 5.0
    assert float(zero(labels, changed)) == pytest.approx(float(zero(labels, logits)), rel=1e-6)
