"""SegmentationBrowser, driven without a browser: set a control, assert on the state."""

import numpy as np
import pytest

from fcn_tutorial import viz, widgets
from fcn_tutorial.classes import ERROR_COLOUR
from fcn_tutorial.datasets import (
    CLASS_NAMES,
    KITTI_CLASS_NAMES,
    KITTI_PALETTE,
    PALETTE,
    VOID,
    synthetic_driving,
)

ROAD = CLASS_NAMES.index("Road")
CAR = CLASS_NAMES.index("Car")


@pytest.fixture(scope="module")
def scenes():
    return synthetic_driving(3, height=60, width=80, seed=4)


@pytest.fixture
def browser(scenes):
    return widgets.SegmentationBrowser(*scenes)


def test_state_counts_the_pixels_of_the_current_image(browser, scenes):
    _, masks = scenes
    for index in (0, 2):
        browser.controls["index"].value = index
        counts = np.bincount(masks[index].ravel(), minlength=VOID + 1)
        expected = {name: int(counts[k]) for k, name in enumerate(CLASS_NAMES)}
        assert browser.state["pixel_counts"] == {**expected, "void": int(counts[VOID])}
        assert browser.state["index"] == index and browser.state["error"] is None
    assert browser.state["shape"] == (60, 80)
    assert browser.controls["index"].max == 2


def test_hidden_classes_show_the_photo_and_opacity_blends(browser, scenes):
    images, masks = scenes
    browser.controls["opacity"].value = 1.0
    road = masks[0] == ROAD
    assert road.any()
    panels = browser.panels()
    np.testing.assert_array_equal(
        panels["overlay"][road], np.broadcast_to(PALETTE[ROAD], (road.sum(), 3))
    )
    np.testing.assert_array_equal(panels["labels"][road], panels["overlay"][road])
    browser.controls["show[Road]"].value = False
    assert "Road" not in browser.state["visible"] and len(browser.state["visible"]) == 10
    panels = browser.panels()
    np.testing.assert_array_equal(panels["overlay"][road], images[0][road])
    assert (panels["labels"][road] == 0).all()
    browser.controls["opacity"].value = 0.0
    np.testing.assert_array_equal(browser.panels()["overlay"], images[0])
    void = masks[0] == VOID
    if void.any():
        assert (browser.panels()["labels"][void] == 0).all()


def test_it_draws_a_figure_and_a_png_snapshot(browser):
    figure = browser.figure()
    assert isinstance(figure, viz.TutorialFigure)
    assert figure.legends and len(figure.axes) == 3
    assert bytes(browser.image.value).startswith(b"\x89PNG")
    assert "image/png" in browser._repr_mimebundle_()
    assert "largest shares" in browser.readout.value


def test_kitti_like_lists_of_different_sizes_with_their_own_classes():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (h, 40, 3), dtype=np.uint8) for h in (20, 24)]
    masks = [rng.choice([0, 1, VOID], (h, 40)).astype(np.uint8) for h in (20, 24)]
    browser = widgets.SegmentationBrowser(
        images, masks, class_names=KITTI_CLASS_NAMES, palette=KITTI_PALETTE
    )
    assert set(browser.controls) == {"index", "opacity", "show[not road]", "show[road]"}
    browser.controls["index"].value = 1
    assert browser.state["shape"] == (24, 40)
    counts = browser.state["pixel_counts"]
    assert counts["road"] == (masks[1] == 1).sum() and counts["void"] == (masks[1] == VOID).sum()


def test_bad_datasets_are_refused(scenes):
    images, masks = scenes
    with pytest.raises(ValueError, match="3 images and 2 masks"):
        widgets.SegmentationBrowser(images, masks[:2])
    with pytest.raises(ValueError, match="palette has shape"):
        widgets.SegmentationBrowser(images, masks, palette=PALETTE[:5])
    browser = widgets.SegmentationBrowser([images[0], images[1]], [masks[0], masks[1][:10]])
    browser.controls["index"].value = 1
    assert "do not match" in browser.state["error"]


# --- With predictions: ground truth vs prediction, frame by frame ---------------------------


@pytest.fixture
def predicted(scenes):
    """Frame 0 predicted perfectly; frame 1 with one Road pixel predicted as Car."""
    images, masks = scenes
    predictions = masks.copy()
    rows, cols = np.nonzero(masks[1] == ROAD)
    pixel = rows[0], cols[0]
    predictions[1][pixel] = CAR
    # A void pixel predicted "wrong" is no mistake: void is left out of the scores.
    void = np.argwhere(masks[1] == VOID)
    assert len(void), "the scene has void pixels to leave out"
    predictions[1][tuple(void[0])] = CAR
    browser = widgets.SegmentationBrowser(
        images, masks, predictions=predictions, index_label="frame"
    )
    return browser, predictions, pixel


def test_perfect_predictions_score_one_and_paint_no_error(predicted, scenes):
    browser, _, _ = predicted
    assert browser.state["view"] == "side by side" and browser.state["error"] is None
    assert browser.state["pixel_accuracy"] == 1.0 and browser.state["mean_iu"] == 1.0
    assert browser.state["wrong_pixels"] == 0 == browser.state["errors_shown"]
    panels = browser.panels()
    np.testing.assert_array_equal(panels["errors"], scenes[0][0])
    np.testing.assert_array_equal(panels["predicted_overlay"], panels["overlay"])
    assert "pixel accuracy 100.0%, mean IU 100.0%, 0 pixels wrong" in browser.readout.value


def test_one_wrong_pixel_gives_the_exact_scores(predicted, scenes):
    browser, _, pixel = predicted
    _, masks = scenes
    browser.controls["index"].value = 1
    truth = masks[1]
    labelled = int((truth != VOID).sum())
    assert browser.state["wrong_pixels"] == 1 == browser.state["errors_shown"]
    assert browser.state["pixel_accuracy"] == (labelled - 1) / labelled
    # Road loses one of its pixels to Car: IoU (t - 1) / t for Road, c / (c + 1) for Car,
    # 1 for every other class in the frame.
    present = [k for k in range(len(CLASS_NAMES)) if (truth == k).any()]
    road, car = int((truth == ROAD).sum()), int((truth == CAR).sum())
    ious = [1.0] * len(present)
    ious[present.index(ROAD)] = (road - 1) / road
    ious[present.index(CAR)] = car / (car + 1)
    assert browser.state["mean_iu"] == pytest.approx(np.mean(ious), abs=1e-12)
    assert f"pixel accuracy {(labelled - 1) / labelled:.1%}" in browser.readout.value
    assert "frame 1 of 3" in browser.readout.value
    errors = browser.panels()["errors"]
    wrong = np.zeros(truth.shape, bool)
    wrong[pixel] = True
    np.testing.assert_array_equal(errors[wrong], [ERROR_COLOUR])
    np.testing.assert_array_equal(errors[~wrong], scenes[0][1][~wrong])


def test_views_draw_different_pictures(predicted):
    browser, _, _ = predicted
    browser.controls["index"].value = 1
    pictures = {}
    for view in ("ground truth", "prediction", "side by side", "errors"):
        browser.controls["view"].value = view
        assert browser.state["view"] == view and len(browser.figure().axes) == 3
        pictures[view] = bytes(browser.image.value)
    assert len(set(pictures.values())) == 4


def test_the_errors_view_lists_the_error_colour_in_its_legend(predicted):
    """Every class map has its legend: the errors panel's cyan was in none."""
    browser, _, _ = predicted

    def legend(view):
        browser.controls["view"].value = view
        [drawn] = browser.figure().legends
        patches = zip(drawn.get_texts(), drawn.legend_handles, strict=True)
        return {text.get_text(): patch.get_facecolor()[:3] for text, patch in patches}

    assert "wrong" not in legend("side by side")
    np.testing.assert_allclose(legend("errors")["wrong"], np.asarray(ERROR_COLOUR) / 255)


def test_hidden_classes_leave_their_errors_unpainted_but_scored(predicted, scenes):
    browser, _, pixel = predicted
    browser.controls["index"].value = 1
    browser.controls["view"].value = "errors"
    browser.controls["show[Road]"].value = False
    assert browser.state["wrong_pixels"] == 1 and browser.state["errors_shown"] == 0
    np.testing.assert_array_equal(browser.panels()["errors"], scenes[0][1])
    assert browser.figure().axes[2].get_title() == "errors: 0 pixels wrong (+1 in hidden classes)"
    browser.controls["show[Road]"].value = True
    assert browser.state["errors_shown"] == 1
    assert browser.figure().axes[2].get_title() == "errors: 1 pixels wrong"


def test_frame_label_and_no_view_without_predictions(predicted, browser):
    with_predictions, _, _ = predicted
    assert with_predictions.controls["index"].description == "frame"
    assert with_predictions.figure().axes[0].get_title() == "frame 0"
    assert "view" not in browser.controls and browser.state["view"] == "ground truth"
    assert browser.state["pixel_accuracy"] is None and browser.state["mean_iu"] is None
    assert "pixel accuracy" not in browser.readout.value


def test_bad_predictions_are_refused_with_the_fix(scenes):
    images, masks = scenes
    with pytest.raises(ValueError, match=r"2 predictions for 3 masks: pass one \(H, W\)"):
        widgets.SegmentationBrowser(images, masks, predictions=masks[:2])
    scores = np.zeros((*masks.shape, len(CLASS_NAMES)), np.float32)
    with pytest.raises(ValueError, match=r"argmax\(axis=-1\)"):
        widgets.SegmentationBrowser(images, masks, predictions=scores)
    with pytest.raises(ValueError, match=r"view='overlay': pass one of 'ground truth'"):
        widgets.SegmentationBrowser(images, masks, predictions=masks, view="overlay")
    half = [mask[::2, ::2] for mask in masks]
    browser = widgets.SegmentationBrowser(images, masks, predictions=half)
    assert "prediction 0 has shape (30, 40) but the image (60, 80): pass" in browser.state["error"]
    floats = [mask.astype(np.float32) for mask in masks]
    browser = widgets.SegmentationBrowser(images, masks, predictions=floats)
    assert "prediction 0 must hold labels >= 0 as integers" in browser.state["error"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"index": 3}, "index=3: pass an integer from 0 to 2, the slider's range."),
        ({"index": -1}, "index=-1: pass an integer from 0 to 2, the slider's range."),
        ({"opacity": 2}, "opacity=2: pass a number between 0 and 1, e.g. 0.5."),
        ({"opacity": -0.5}, "opacity=-0.5: pass a number between 0 and 1, e.g. 0.5."),
        ({"view": "error"}, "view='error': pass one of 'ground truth', 'prediction',"),
    ],
    ids=str,
)
def test_impossible_starting_values_are_refused_not_clamped(scenes, arguments, message):
    # Issue 14: the sliders would clamp index=3 to 2 and opacity=2 to 1 without a word.
    with pytest.raises(ValueError) as refusal:
        widgets.SegmentationBrowser(*scenes, **arguments)
    assert str(refusal.value).startswith(message) and "\n" not in str(refusal.value)
    browser = widgets.SegmentationBrowser(*scenes, index=2, opacity=1.0)
    assert browser.state["index"] == 2 and browser.state["opacity"] == 1.0
