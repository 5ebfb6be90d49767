"""Tests for ``fcn_tutorial.datasets``: the synthetic streets (class metadata: test_classes)."""

import subprocess
import sys

import numpy as np
import pytest

from fcn_tutorial.datasets import (
    CLASS_NAMES,
    NUM_CLASSES,
    VOID,
    class_frequencies,
    synthetic_drive,
    synthetic_driving,
    throughput,
)

SKY, ROAD, CAR = CLASS_NAMES.index("Sky"), CLASS_NAMES.index("Road"), CLASS_NAMES.index("Car")


@pytest.fixture(scope="module")
def sample():
    """Sixteen scenes at half CamVid's resolution, shared by the content tests."""
    return synthetic_driving(16, height=180, width=240, seed=0)


@pytest.fixture(scope="module")
def drive():
    return synthetic_drive(12, height=120, width=160, seed=3)


def mean_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over the classes present in either mask of their intersection over union."""
    ious = []
    for label in range(NUM_CLASSES):
        union = np.sum((a == label) | (b == label))
        if union:
            ious.append(np.sum((a == label) & (b == label)) / union)
    return float(np.mean(ious))


# -- metadata and colouring -------------------------------------------------------------


# -- synthetic_driving ------------------------------------------------------------------


def test_shapes_and_dtypes(sample):
    images, masks = sample
    assert images.shape == (16, 180, 240, 3) and images.dtype == np.uint8
    assert masks.shape == (16, 180, 240) and masks.dtype == np.uint8
    assert masks.max() <= VOID
    assert images.std() > 20  # not blank


@pytest.mark.parametrize("height, width", [(32, 32), (96, 128), (360, 480), (100, 333)])
def test_any_size_works(height, width):
    images, masks = synthetic_driving(1, height=height, width=width, seed=5)
    assert images.shape == (1, height, width, 3) and masks.shape == (1, height, width)


def test_same_seed_same_images_and_prefix_stable():
    small = dict(height=96, width=128)
    images, masks = synthetic_driving(3, seed=7, **small)
    again_images, again_masks = synthetic_driving(5, seed=7, **small)
    np.testing.assert_array_equal(images, again_images[:3])
    np.testing.assert_array_equal(masks, again_masks[:3])
    other_images, other_masks = synthetic_driving(3, seed=8, **small)
    assert not np.array_equal(images, other_images)
    assert not np.array_equal(masks, other_masks)
    assert not np.array_equal(masks[0], masks[1])  # each image is a new street


def test_every_class_appears(sample):
    _, masks = sample
    present = set(np.unique(masks).tolist())
    missing = [CLASS_NAMES[i] for i in range(NUM_CLASSES) if i not in present]
    assert not missing, f"classes never drawn in 16 scenes: {missing}"
    freq = class_frequencies(masks)
    # Like CamVid: road, sky and buildings dominate, people and bicycles are rare.
    assert set(np.argsort(freq)[-3:].tolist()) == {
        ROAD,
        SKY,
        CLASS_NAMES.index("Building"),
    }
    assert freq[CLASS_NAMES.index("Bicyclist")] < 0.05
    assert np.mean(masks == VOID) < 0.1  # void is used sparingly


def test_layout_sky_above_road(sample):
    _, masks = sample
    height = masks.shape[1]
    rows = np.broadcast_to(np.arange(height)[None, :, None], masks.shape)
    sky_rows, road_rows = rows[masks == SKY], rows[masks == ROAD]
    assert sky_rows.mean() < road_rows.mean()
    assert np.mean(road_rows >= 0.4 * height) > 0.99  # the horizon sits at 40-50%
    assert np.mean(road_rows >= height / 2) > 0.8
    assert np.mean(sky_rows < height / 2) > 0.99


def test_objects_stand_on_the_ground(sample):
    # Cars and people end where the ground is: their lowest pixel in each image lies
    # below the horizon (the top 40% of the image holds no wheel or foot).
    _, masks = sample
    height = masks.shape[1]
    for mask in masks:
        for label in (CAR, CLASS_NAMES.index("Pedestrian")):
            rows = np.nonzero((mask == label).any(axis=1))[0]
            if len(rows):
                assert rows.max() > 0.4 * height


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_images=0), "positive integer"),
        (dict(num_images=2, height=16), "at least 32"),
        (dict(num_images=2, width=20.5), "at least 32"),
        (dict(num_images=2, seed=-1), "non-negative"),
    ],
)
def test_synthetic_driving_validates(kwargs, message):
    with pytest.raises(ValueError, match=message):
        synthetic_driving(**kwargs)


# -- synthetic_drive --------------------------------------------------------------------


def test_drive_shapes(drive):
    frames, masks = drive
    assert frames.shape == (12, 120, 160, 3) and frames.dtype == np.uint8
    assert masks.shape == (12, 120, 160) and masks.dtype == np.uint8


def test_drive_is_coherent(drive):
    frames, masks = drive
    step_ious = [mean_iou(masks[t], masks[t + 1]) for t in range(len(masks) - 1)]
    assert min(step_ious) > 0.5
    assert mean_iou(masks[0], masks[-1]) < np.mean(step_ious)
    for t in range(len(masks) - 1):
        assert not np.array_equal(masks[t], masks[t + 1])  # the camera moves
    # Consecutive frames look alike, far more than the first and last do.
    step = np.abs(frames[1:].astype(int) - frames[:-1]).mean()
    assert step < np.abs(frames[-1].astype(int) - frames[0]).mean()


@pytest.mark.parametrize("seed", [0, 1])
def test_drive_road_stays_put_while_cars_pass(seed):
    # The road's outline is fixed by the camera, so it changes little while the camera
    # drives 13.5 metres; the cars on it move through the picture.
    _, masks = synthetic_drive(10, height=120, width=160, seed=seed, speed=1.5)

    def iou(label):
        first, last = masks[0] == label, masks[-1] == label
        return np.sum(first & last) / np.sum(first | last)

    assert iou(ROAD) > 0.75
    assert iou(ROAD) > iou(CAR) + 0.2


def test_drive_at_speed_zero_is_still():
    frames, masks = synthetic_drive(3, height=64, width=96, seed=2, speed=0.0)
    np.testing.assert_array_equal(masks[0], masks[2])
    assert not np.array_equal(frames[0], frames[2])  # only the sensor noise changes
    assert np.abs(frames[0].astype(int) - frames[2]).mean() < 5


def test_drive_is_deterministic():
    a = synthetic_drive(3, height=64, width=96, seed=4)
    b = synthetic_drive(3, height=64, width=96, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("speed", [-1.0, float("nan"), "fast"])
def test_drive_validates_speed(speed):
    with pytest.raises(ValueError, match="speed"):
        synthetic_drive(2, height=64, width=96, speed=speed)


# -- plumbing ---------------------------------------------------------------------------


def test_benchmark_reports_a_rate():
    result = throughput.synthetic_images_per_s(num_images=2, height=64, width=96, repeats=1)
    assert set(result) == {"num_images", "height", "width", "seconds", "images_per_s"}
    assert result["images_per_s"] > 0


def test_importing_needs_no_keras():
    # Data generation sits below the models: importing it must not pull in Keras.
    code = (
        "import sys, fcn_tutorial.datasets; "
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
