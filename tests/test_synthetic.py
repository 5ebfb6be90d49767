"""Tests for ``fcn_tutorial.datasets.synthetic``: the street scenes stay pixel for pixel.

``tests/test_datasets.py`` checks what the scenes contain (sizes, classes, determinism);
this file pins a few scenes' exact bytes, so that an edit to a painter, the camera or the
renderer cannot change the tutorial's data without someone deciding it should. The
random numbers are shared by every painter in turn, so even drawing one number more, or
two in the other order, changes the pixels of everything drawn after.

If a pin fails after a deliberate change to the scenes, or after upgrading NumPy or
Pillow (their random streams and polygon fills are not promised to stay bit-exact across
versions), look at the new scenes, then update the hashes below.
"""

import hashlib

import numpy as np
import pytest

from fcn_tutorial import classes
from fcn_tutorial.datasets import synthetic, synthetic_drive, synthetic_driving
from fcn_tutorial.datasets.synthetic.scene import sample_scene
from fcn_tutorial.datasets.synthetic.street import Camera


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


# (function, args) -> (sha256 of images, sha256 of masks), computed with the code before
# it was split into a package (issue 13), and unchanged since.
PINS = [
    (
        "synthetic_driving",
        (2, 64, 96, 0),
        "52a7970aabaf8e5b9a700f95b035108b30dd105fe6c5645d6c4cae0bf9354378",
        "ef6734fb7f7747df031f47e1558a1669557f6fd0ad88f8796f4a185ddb271a61",
    ),
    (
        "synthetic_driving",
        (1, 96, 128, 1),
        "6425088beb71a29afd9fc5b3964551612eb64a25a9ca1fd1a91650d9a54d21f1",
        "ac2585b4f9994c35d616da4ff4b52b150718d0cc47b64168ea1ec9d2496e027c",
    ),
    (
        "synthetic_drive",
        (3, 64, 96, 2, 1.5),
        "dd5d5eebbe63267a30a22edb05603415fddb8f499901e3e70e8c21293adcc45a",
        "9ab560f56d44723aa8772624b1cb84286796e433662f5a9f9ab5a9e8cf50ef81",
    ),
]


@pytest.mark.parametrize("name, args, images_sha256, masks_sha256", PINS)
def test_scenes_are_pixel_identical_to_the_pinned_ones(name, args, images_sha256, masks_sha256):
    images, masks = {"synthetic_driving": synthetic_driving, "synthetic_drive": synthetic_drive}[
        name
    ](*args)
    assert (_sha256(images), _sha256(masks)) == (images_sha256, masks_sha256)


def test_the_package_keeps_the_public_names():
    assert synthetic.synthetic_driving is synthetic_driving
    assert synthetic.synthetic_drive is synthetic_drive
    assert set(synthetic.__all__) >= {"synthetic_driving", "synthetic_drive"}


def test_the_camera_sends_the_far_road_to_the_vanishing_point():
    camera = Camera(height=96, width=128, focal=100.0, horizon=40.0, center_x=60.0, eye_height=1.5)
    # A point on the road straight ahead, very far: it lands on (center_x, horizon).
    u, v, depth = camera.project(np.array([[0.0, 0.0, 1e9], [2.0, 1.5, 10.0]]), camera_z=0.0)
    np.testing.assert_allclose([u[0], v[0]], [60.0, 40.0], atol=1e-6)
    # Two metres right at eye height, ten ahead: u = 60 + 100 * 2 / 10, on the horizon.
    np.testing.assert_allclose([u[1], v[1], depth[1]], [80.0, 40.0, 10.0])


def test_a_drive_makes_a_longer_street_than_a_still():
    still = sample_scene(np.random.default_rng(4), 64, 96, travel=0.0, speed=0.0)
    drive = sample_scene(np.random.default_rng(4), 64, 96, travel=40.0, speed=1.0)
    # The same camera and layout (drawn first), but more objects to drive past.
    assert still.street.camera == drive.street.camera
    assert still.street.road_edge == drive.street.road_edge
    assert drive.street.length == still.street.length + 40.0
    assert max(o.z_max for o in drive.objects) > max(o.z_max for o in still.objects)


def test_synthetic_instances_adds_exact_object_ids_to_the_same_scenes():
    images, masks = synthetic_driving(3, 96, 128, seed=5)
    same_images, same_masks, instances = synthetic.synthetic_instances(3, 96, 128, seed=5)
    np.testing.assert_array_equal(same_images, images)
    np.testing.assert_array_equal(same_masks, masks)
    assert instances.shape == masks.shape and instances.dtype == np.int32
    things = np.isin(masks, [classes.CAR, classes.PEDESTRIAN, classes.BICYCLIST])
    np.testing.assert_array_equal(instances > 0, things)
    for k in range(3):
        ids = np.unique(instances[k][instances[k] > 0])
        np.testing.assert_array_equal(ids, np.arange(1, ids.size + 1))  # numbered 1 .. n
        for object_id in ids:  # one object, one class
            assert np.unique(masks[k][instances[k] == object_id]).size == 1
    # Objects are told apart even where they share a class (several cars in a street).
    assert max(np.unique(instances[k][masks[k] == classes.CAR]).size for k in range(3)) >= 2
