"""The label sets as data: names, palettes, the error colour, and the statistics of masks."""

import subprocess
import sys

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from fcn_tutorial import classes
from fcn_tutorial.classes import (
    CLASS_NAMES,
    ERROR_COLOUR,
    KITTI_COLOURS,
    KITTI_PALETTE,
    NUM_CLASSES,
    PALETTE,
    PALETTES,
    VOID,
    class_frequencies,
    colourize,
)

SKY, ROAD = CLASS_NAMES.index("Sky"), CLASS_NAMES.index("Road")


def test_class_metadata_is_camvid_segnet():
    assert len(CLASS_NAMES) == NUM_CLASSES == 11
    assert VOID == 11
    assert PALETTE.shape == (12, 3) and PALETTE.dtype == np.uint8
    assert tuple(PALETTE[ROAD]) == (128, 64, 128)
    assert tuple(PALETTE[CLASS_NAMES.index("Pavement")]) == (60, 40, 222)
    assert tuple(PALETTE[VOID]) == (0, 0, 0)
    assert len({tuple(colour) for colour in PALETTE}) == 12  # every label its own colour


def test_colourize_maps_each_label_to_its_colour():
    mask = np.array([[0, 3], [8, VOID]], dtype=np.uint8)
    colours = colourize(mask)
    assert colours.shape == (2, 2, 3) and colours.dtype == np.uint8
    np.testing.assert_array_equal(colours[0, 1], PALETTE[ROAD])
    np.testing.assert_array_equal(colours[1, 1], (0, 0, 0))


def test_colourize_names_out_of_range_labels():
    mask = np.array([[0, 12], [255, 3]], dtype=np.uint8)
    with pytest.raises(ValueError, match=r"\[12, 255\].*VOID=11"):
        colourize(mask)
    with pytest.raises(ValueError, match="integer"):
        colourize(mask.astype(np.float32))


def test_class_frequencies_ignores_void():
    masks = np.array([[[0, 0], [3, VOID]]], dtype=np.uint8)
    freq = class_frequencies(masks)
    assert freq.shape == (NUM_CLASSES,)
    np.testing.assert_allclose(freq[[SKY, ROAD]], [2 / 3, 1 / 3])
    assert freq.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(class_frequencies(np.full((2, 2), VOID)), np.zeros(11))
    with pytest.raises(ValueError):
        class_frequencies(np.array([[-1, 0]]))


def test_kitti_palette_paints_its_labels_as_kitti_does():
    for colour, label in KITTI_COLOURS.items():
        assert tuple(KITTI_PALETTE[label]) == colour
    assert any(palette is KITTI_PALETTE for palette in PALETTES.values())
    assert any(palette is PALETTE for palette in PALETTES.values())


@pytest.mark.parametrize("name", sorted(PALETTES))
def test_the_error_colour_is_no_class_colour_and_stands_out(name):
    palette = np.asarray(PALETTES[name], dtype=np.uint8)
    assert not (palette == ERROR_COLOUR).all(axis=1).any(), f"{name} uses {ERROR_COLOUR}"
    # CIEDE2000 above 25: a different colour at a glance (2.3 is the smallest one sees).
    lab = rgb2lab(palette[None] / 255.0)[0]
    error = rgb2lab(ERROR_COLOUR[None, None] / 255.0)[0, 0]
    distances = deltaE_ciede2000(np.broadcast_to(error, lab.shape), lab)
    assert distances.min() > 25, (name, palette[distances.argmin()], distances.min())


# --- median_frequency_weights -------------------------------------------------------------


def test_median_frequency_weights_by_hand():
    masks = np.array([[[0, 0], [1, VOID]], [[0, 2], [2, 2]]])
    # freq = class pixels / pixels of the images holding the class: 3/8, 1/4, 3/4.
    weights = classes.median_frequency_weights(masks, num_classes=4)
    np.testing.assert_allclose(weights, [1.0, 1.5, 0.5, 0.0])  # class 3 never occurs
    listed = classes.median_frequency_weights([masks[0], masks[1, :1]], num_classes=3)
    np.testing.assert_allclose(listed, [(3 / 6) / (3 / 6), (3 / 6) / (1 / 4), (3 / 6) / (1 / 2)])


def test_median_frequency_weights_from_frequencies_and_bad_input():
    np.testing.assert_allclose(
        classes.median_frequency_weights(np.array([0.6, 0.3, 0.1]), 3), [0.5, 1.0, 3.0]
    )
    with pytest.raises(ValueError, match=r"\(3,\)"):
        classes.median_frequency_weights(np.array([0.5, 0.5]), 3)
    with pytest.raises(ValueError, match="labelled pixels"):
        classes.median_frequency_weights(np.full((1, 2, 2), VOID), 3)


def test_importing_classes_and_scores_needs_no_keras_and_no_data_loaders():
    # Drawing code colours and scores masks through these: they sit below Keras and data.
    code = (
        "import sys, fcn_tutorial.classes, fcn_tutorial.scores; "
        "assert not {'keras', 'tensorflow', 'fcn_tutorial.datasets'} & set(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_datasets_re_exports_the_same_tables():
    from fcn_tutorial import datasets

    for name in ("CLASS_NAMES", "PALETTE", "VOID", "KITTI_PALETTE", "colourize"):
        assert getattr(datasets, name) is getattr(classes, name), name
