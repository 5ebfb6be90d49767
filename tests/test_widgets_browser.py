"""SegmentationBrowser, driven without a browser: set a control, assert on the state."""

import numpy as np
import pytest

from fcn_tutorial import viz, widgets
from fcn_tutorial.datasets import (
    CLASS_NAMES,
    KITTI_CLASS_NAMES,
    KITTI_PALETTE,
    PALETTE,
    VOID,
    synthetic_driving,
)

ROAD = CLASS_NAMES.index("Road")


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
    browser.controls["alpha"].value = 1.0
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
    browser.controls["alpha"].value = 0.0
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
    assert set(browser.controls) == {"index", "alpha", "show[not road]", "show[road]"}
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
