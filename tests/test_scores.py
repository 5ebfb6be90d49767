"""The FCN paper's scores in NumPy, against hand-computed values and a pixel loop."""

import warnings

import numpy as np
import pytest

from fcn_tutorial import scores
from fcn_tutorial.classes import NUM_CLASSES, VOID


def _confusion_by_loop(y_true, y_pred, num_classes, ignore_class=VOID):
    # The obvious version: one pixel at a time.
    confusion = np.zeros((num_classes, num_classes), np.int64)
    for truth, prediction in zip(np.ravel(y_true), np.ravel(y_pred)):
        if truth != ignore_class:
            confusion[truth, prediction] += 1
    return confusion


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
    np.testing.assert_array_equal(scores.confusion_matrix(y_true, y_pred, 3), expected)


def test_confusion_matrix_equals_a_pixel_loop_and_takes_logits(random_batch):
    rng = np.random.default_rng(0)
    labels, logits = random_batch(rng, shape=(3, 9, 11))
    predicted = logits.argmax(-1)
    expected = _confusion_by_loop(labels, predicted, NUM_CLASSES)
    np.testing.assert_array_equal(scores.confusion_matrix(labels, predicted), expected)
    np.testing.assert_array_equal(scores.confusion_matrix(labels, logits), expected)
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
        scores.confusion_matrix(y_true, y_pred, 3)


# --- segmentation_scores ----------------------------------------------------------------


def test_scores_by_hand_leave_out_a_class_absent_from_truth_and_prediction():
    confusion = np.array([[3, 1, 0], [2, 4, 0], [0, 0, 0]])  # class 2 never occurs
    result = scores.segmentation_scores(confusion)
    # t = (4, 6, 0) true pixels; (5, 5, 0) predicted; (3, 4, 0) right.
    assert result["pixel_accuracy"] == pytest.approx(7 / 10)
    assert result["mean_accuracy"] == pytest.approx((3 / 4 + 4 / 6) / 2)
    iou = [3 / (4 + 5 - 3), 4 / (6 + 5 - 4)]
    assert result["mean_iu"] == pytest.approx(sum(iou) / 2)
    assert result["frequency_weighted_iu"] == pytest.approx((4 * iou[0] + 6 * iou[1]) / 10)
    np.testing.assert_allclose(result["per_class_iu"], [*iou, np.nan])
    np.testing.assert_allclose(result["per_class_accuracy"], [3 / 4, 4 / 6, np.nan])


def test_a_class_only_predicted_counts_as_iou_zero_but_has_no_accuracy():
    result = scores.segmentation_scores(np.array([[2, 1], [0, 0]]))
    assert result["mean_iu"] == pytest.approx((2 / 3 + 0) / 2)
    assert result["mean_accuracy"] == pytest.approx(2 / 3)
    assert result["frequency_weighted_iu"] == pytest.approx(2 / 3)


def test_the_all_one_class_predictor():
    y_true = np.array([0] * 6 + [1] * 3 + [2] * 1)
    result = scores.segmentation_scores(scores.confusion_matrix(y_true, np.zeros(10, int), 3))
    assert result["pixel_accuracy"] == pytest.approx(0.6)
    assert result["mean_accuracy"] == pytest.approx(1 / 3)  # 100% of class 0, 0% of others
    assert result["mean_iu"] == pytest.approx(0.6 / 3)  # IoU of class 0 is 6 / 10
    assert result["frequency_weighted_iu"] == pytest.approx(0.6 * 0.6)


def test_a_perfect_prediction_scores_one_and_nothing_counted_scores_nan():
    y_true = np.array([[0, 1], [1, VOID]])
    result = scores.segmentation_scores(
        scores.confusion_matrix(y_true, np.where(y_true == VOID, 0, y_true), 4)
    )
    for name in ("pixel_accuracy", "mean_accuracy", "mean_iu", "frequency_weighted_iu"):
        assert result[name] == pytest.approx(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = scores.segmentation_scores(np.zeros((3, 3)))
    assert np.isnan(empty["mean_iu"]) and np.isnan(empty["pixel_accuracy"])


# --- One image at a time ------------------------------------------------------------------


def test_image_scores_agree_with_the_dataset_scores():
    rng = np.random.default_rng(1)
    for classes in (2, 5, 11):
        truth = rng.integers(0, classes + 1, (30, 40))  # label `classes` is void
        prediction = np.where(rng.random((30, 40)) < 0.7, truth, rng.integers(0, classes, (30, 40)))
        prediction = np.minimum(prediction, classes - 1)
        expected = scores.segmentation_scores(
            scores.confusion_matrix(truth, prediction, classes, ignore_class=classes)
        )
        got = scores.image_scores(truth, prediction, classes)
        assert got["pixel_accuracy"] == pytest.approx(expected["pixel_accuracy"], abs=1e-12)
        assert got["mean_iu"] == pytest.approx(expected["mean_iu"], abs=1e-12)
        assert got["wrong_pixels"] == int(((truth < classes) & (prediction != truth)).sum())
    all_void = scores.image_scores(np.full((2, 2), 5), np.zeros((2, 2), int), 5)
    assert np.isnan(all_void["pixel_accuracy"]) and np.isnan(all_void["mean_iu"])


def test_an_unnamed_predicted_label_is_wrong_and_in_no_class():
    truth = np.array([0, 0, 1, 1])
    named = scores.image_scores(truth, np.array([0, 0, 1, 0]), 2)
    unnamed = scores.image_scores(truth, np.array([0, 0, 1, 7]), 2)
    assert unnamed["pixel_accuracy"] == named["pixel_accuracy"] == 0.75
    assert unnamed["wrong_pixels"] == 1
    # Class 0 keeps IU 1, class 1 loses a pixel to no class: 1/2. The unnamed label is no
    # class of its own, so the mean stays over two classes.
    assert unnamed["mean_iu"] == pytest.approx((1 + 1 / 2) / 2)


def test_wrong_pixels_leave_out_void_and_unnamed_truth():
    truth = np.array([[0, 1, VOID], [5, 1, 0]])
    prediction = np.array([[1, 1, 0], [0, 0, 0]])
    expected = [[True, False, False], [False, True, False]]
    assert scores.wrong_pixels(truth, prediction, 2).tolist() == expected
    assert scores.image_scores(truth, prediction, 2)["wrong_pixels"] == 2


def test_per_image_mean_iu_scores_each_image_alone():
    rng = np.random.default_rng(3)
    masks = rng.integers(0, 4, (3, 6, 5))
    masks[0, 0] = VOID
    predictions = np.where(rng.random(masks.shape) < 0.6, masks, rng.integers(0, 4, masks.shape))
    predictions = np.minimum(predictions, 3)
    expected = [
        scores.segmentation_scores(scores.confusion_matrix(m, p, 4))["mean_iu"]
        for m, p in zip(masks, predictions)
    ]
    np.testing.assert_array_equal(scores.per_image_mean_iu(masks, predictions, 4), expected)


def test_the_majority_baseline_predicts_the_most_common_training_class():
    train = [np.array([[2, 2, 1], [VOID, VOID, VOID]]), np.array([[2, 0]])]
    val = np.array([[[2, 1, 0, VOID]]])
    baseline = scores.majority_baseline(train, val, 3)
    assert baseline["class"] == 2  # void is not a class, however common
    assert baseline["pixel_accuracy"] == pytest.approx(1 / 3)
    assert baseline["mean_iu"] == pytest.approx((0 + 0 + 1 / 3) / 3)
