"""SegmentationSequence and the NumPy augmentation: shapes, padding, labels, seeds, fit."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_tutorial.datasets import (
    PALETTE,
    VOID,
    Augmentation,
    SegmentationSequence,
    augment_pair,
    synthetic_driving,
)
from fcn_tutorial.datasets.augment import _hue_rotation, jitter_colours

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenes():
    return synthetic_driving(6, height=72, width=96, seed=1)


def test_batches_are_padded_to_multiples_of_32_with_void(scenes):
    images, masks = scenes[0][:, :50, :70], scenes[1][:, :50, :70]
    sequence = SegmentationSequence(images, masks, batch_size=4, shuffle=False)
    assert len(sequence) == 2
    x, y = sequence[0]
    assert x.shape == (4, 64, 96, 3) and x.dtype == np.float32
    assert y.shape == (4, 64, 96) and y.dtype == np.int32
    np.testing.assert_array_equal(x[:, :50, :70], images[:4])
    np.testing.assert_array_equal(y[:, :50, :70], masks[:4])
    assert (y[:, 50:] == VOID).all() and (y[:, :, 70:] == VOID).all()
    assert (x[:, 50:] == 0).all() and (x[:, :, 70:] == 0).all()
    x, y = sequence[1]  # the last batch holds the remaining two
    assert x.shape == (2, 64, 96, 3)
    with pytest.raises(IndexError):
        sequence[2]


def test_samples_of_different_sizes_pad_to_the_set_largest(scenes):
    images = [scenes[0][0], scenes[0][1, :40, :33]]
    masks = [scenes[1][0], scenes[1][1, :40, :33]]
    x, y = SegmentationSequence(images, masks, batch_size=2, shuffle=False, pad_to=16)[0]
    assert x.shape == (2, 80, 96, 3)
    assert (y[1, 40:] == VOID).all() and (y[1, :40, :33] == masks[1]).all()
    # A batch of the small sample alone has the one shape too: every batch has it.
    alone = SegmentationSequence(images, masks, batch_size=1, shuffle=False, pad_to=16)
    assert alone.shape == (80, 96) and alone[1][0].shape == (1, 80, 96, 3)


@pytest.mark.parametrize(
    "case",
    ["the quick profile", "a crop_size", "images of two sizes"],
)
def test_every_batch_has_the_one_shape_for_seeds_0_to_99(case):
    """Issue 14: the quick profile scaled at random without cropping, so batch shapes
    varied with the seed, and TensorFlow stopped at the first batch of a new shape."""
    from fcn_tutorial.training import TrainConfig

    quick = TrainConfig.from_profile("quick")
    height, width = quick.image_size
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10, height, width, 3), dtype=np.uint8)
    masks = rng.integers(0, 11, (10, height, width), dtype=np.uint8)
    crop_size, expected = quick.crop_size, (height, width)
    if case == "a crop_size":
        crop_size, expected = (50, 70), (64, 96)
    if case == "images of two sizes":
        images, masks = list(images), list(masks)
        images[3], masks[3] = images[3][:70, :100], masks[3][:70, :100]
    for seed in range(100):
        sequence = SegmentationSequence(
            images,
            masks,
            batch_size=quick.batch_size,
            augment=quick.augment,
            crop_size=crop_size,
            seed=seed,
        )
        assert sequence.shape == expected
        for epoch in range(2):
            for index in range(len(sequence)):
                x, y = sequence[index]
                count = min(quick.batch_size, 10 - index * quick.batch_size)
                assert x.shape == (count, *expected, 3), f"seed {seed}, epoch {epoch}"
                assert y.shape == (count, *expected), f"seed {seed}, epoch {epoch}"
            sequence.on_epoch_end()


def test_masks_without_void_pad_with_255_and_void_is_never_a_class(scenes):
    from fcn_tutorial.datasets.pipeline import PADDING_LABEL

    images, masks = scenes[0][:, :50, :70], scenes[1][:, :50, :70].copy()
    masks[masks == VOID] = 0
    sequence = SegmentationSequence(
        images, masks, batch_size=2, shuffle=False, num_classes=13, void_index=None
    )
    assert sequence.ignore_class == PADDING_LABEL == 255
    _, y = sequence[0]
    assert (y[:, 50:] == 255).all() and set(np.unique(y[:, :50, :70])) <= set(range(11))
    crops = SegmentationSequence(
        images, masks, 2, augment=True, crop_size=(80, 80), num_classes=13, void_index=None
    )
    assert set(np.unique(crops[0][1])) <= set(range(11)) | {255}, "crops pad with 255 too"
    bad = masks.copy()
    bad[1, 0, 0] = 20
    with pytest.raises(ValueError, match=r"mask 1 holds labels \[20\], not classes 0..12 "):
        SegmentationSequence(images, bad, num_classes=13, void_index=None, shuffle=False)[0]
    with pytest.raises(ValueError, match=r"void_index=11 is not a free 8-bit label"):
        SegmentationSequence(images, masks, num_classes=13, void_index=11)


def test_a_batch_that_raises_keeps_its_error_for_the_main_thread(scenes):
    images, masks = scenes
    bad = masks.copy()
    bad[4, 0, 0] = 40
    sequence = SegmentationSequence(images, bad, batch_size=2, shuffle=False)
    sequence[0]
    assert sequence.failure is None
    with pytest.raises(ValueError, match="mask 4") as raised:
        sequence[2]
    assert sequence.failure is raised.value
    with pytest.raises(IndexError):
        sequence[3]  # the end of a sequence is no failure
    assert sequence.failure is raised.value


def test_centre_crop_without_augmentation(scenes):
    images, masks = scenes
    x, y = SegmentationSequence(images, masks, 2, shuffle=False, crop_size=(32, 64))[0]
    assert x.shape == (2, 32, 64, 3)
    np.testing.assert_array_equal(y[0], masks[0, 20:52, 16:80])


def test_augmented_masks_gain_no_new_labels_and_stay_aligned_with_images():
    # Images painted in their labels' palette colours, in 16-pixel blocks: after scaling,
    # cropping and flipping, image and mask must still agree inside every block (at the
    # blocks' edges the bilinear image blends two colours, the mask never does).
    rng = np.random.default_rng(4)
    masks = np.kron(rng.integers(0, VOID + 1, (4, 6, 8)), np.ones((16, 16))).astype(np.uint8)
    images = PALETTE[masks]
    geometry_only = Augmentation(scale=(0.6, 1.7), brightness=0, contrast=0, hue=0)
    sequence = SegmentationSequence(
        images, masks, batch_size=4, augment=geometry_only, crop_size=(64, 96), seed=3
    )
    for epoch in range(3):
        x, y = sequence[0]
        for k, i in enumerate(sequence.order()[:4]):
            assert set(np.unique(y[k])) <= set(np.unique(masks[i])) | {VOID}
        windows = np.lib.stride_tricks.sliding_window_view(y, (5, 5), axis=(1, 2))
        inside = (windows == y[:, 2:-2, 2:-2, None, None]).all(axis=(-2, -1))
        painted = PALETTE[y[:, 2:-2, 2:-2]].astype(np.float32)
        agree = np.abs(x[:, 2:-2, 2:-2] - painted).max(axis=-1) < 1
        assert inside.mean() > 0.5 and agree[inside].mean() > 0.99, f"epoch {epoch}"
        sequence.on_epoch_end()


def test_masks_are_resampled_nearest_neighbour_so_no_label_is_invented():
    # Labels 1 and 9 in a fine checkerboard: any blending would produce 2..8.
    checkers = np.kron(np.indices((12, 16)).sum(axis=0) % 2, np.ones((3, 3), int))
    masks = np.where(checkers, 9, 1).astype(np.uint8)[None].repeat(4, axis=0)
    images = np.zeros((4, 36, 48, 3), np.uint8)
    sequence = SegmentationSequence(images, masks, batch_size=4, augment=True, seed=1)
    for _ in range(4):
        assert set(np.unique(sequence[0][1]).tolist()) <= {1, 9, VOID}
        sequence.on_epoch_end()


def test_same_seed_same_batches_new_epoch_new_ones(scenes):
    images, masks = scenes

    def make(seed):
        return SegmentationSequence(
            images, masks, batch_size=3, augment=True, crop_size=(48, 48), seed=seed
        )

    a, b = make(0), make(0)
    second_first = b[1]  # the order batches are asked for does not matter
    for (xa, ya), (xb, yb) in zip([a[0], a[1]], [b[0], second_first]):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(make(1)[0][0], a[0][0])
    first_order = a.order()
    a.on_epoch_end()
    assert sorted(a.order()) == list(range(6)) and list(a.order()) != list(first_order)
    assert not np.array_equal(a[0][0], b[0][0])


def test_without_shuffle_the_order_is_fixed(scenes):
    sequence = SegmentationSequence(*scenes, batch_size=2, shuffle=False)
    sequence.on_epoch_end()
    assert list(sequence.order()) == list(range(6))


def test_file_lists_read_lazily_like_arrays(scenes, tmp_path):
    images, masks = scenes
    image_paths, mask_paths = [], []
    for k in range(len(images)):
        image_paths.append(tmp_path / f"{k}.png")
        mask_paths.append(tmp_path / f"{k}_mask.png")
        Image.fromarray(images[k]).save(image_paths[k])
        Image.fromarray(masks[k]).save(mask_paths[k])
    from_files = SegmentationSequence(image_paths, mask_paths, 4, augment=True, seed=5)
    from_arrays = SegmentationSequence(images, masks, 4, augment=True, seed=5)
    for index in range(2):
        for got, expected in zip(from_files[index], from_arrays[index]):
            np.testing.assert_array_equal(got, expected)


def test_colour_jitter_keeps_greys_grey_and_values_in_range():
    grey = np.repeat(np.linspace(0, 255, 50, dtype=np.float32)[:, None], 3, axis=1)
    np.testing.assert_allclose(grey @ _hue_rotation(0.2).T, grey, atol=1e-3)
    np.testing.assert_allclose(_hue_rotation(1 / 3) @ [255, 0, 0], [0, 255, 0], atol=1e-3)
    image = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    strong = Augmentation(brightness=0.9, contrast=0.9, hue=0.5)
    out = jitter_colours(image, np.random.default_rng(1), strong)
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 255
    assert not np.allclose(out, image)


def test_flip_mirrors_image_and_mask_together():
    image = np.zeros((4, 6, 3), np.uint8)
    image[:, 0] = 255
    mask = np.zeros((4, 6), np.uint8)
    mask[:, 0] = 8
    flip_only = Augmentation(scale=(1, 1), brightness=0, contrast=0, hue=0)
    flipped = [augment_pair(image, mask, np.random.default_rng(s), flip_only) for s in range(8)]
    assert {int(m[0, -1]) for _, m in flipped} == {0, 8}  # both outcomes occur
    for x, m in flipped:
        np.testing.assert_array_equal(x[..., 0] == 255, m == 8)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"augment": {"scale": (1.5, 0.5)}}, "scale="),
        ({"augment": {"hue": 0.7}}, "hue="),
        ({"augment": "strong"}, "augment="),
        ({"crop_size": (0, 32)}, "crop_size="),
        ({"pad_to": 0}, "pad_to=0"),
    ],
)
def test_bad_settings_are_refused(scenes, kwargs, match):
    with pytest.raises(ValueError, match=match):
        SegmentationSequence(*scenes, **kwargs)


def test_bad_arrays_are_refused_naming_the_sample(scenes):
    images, masks = scenes
    with pytest.raises(ValueError, match="6 images and 5 masks"):
        SegmentationSequence(images, masks[:5])
    bad = masks.copy()
    bad[3, 0, 0] = 12
    with pytest.raises(ValueError, match=r"mask 3 holds labels \[12\]"):
        SegmentationSequence(images, bad, batch_size=6)[0]
    with pytest.raises(ValueError, match="image 0 is float32"):
        SegmentationSequence(list(images.astype(np.float32)), list(masks), shuffle=False)[0]
    with pytest.raises(ValueError, match="images has shape"):
        SegmentationSequence(images[0], masks[0])


FIT = """
import keras, numpy as np
from fcn_tutorial.datasets import VOID, SegmentationSequence, synthetic_driving

images, masks = synthetic_driving(4, height=64, width=96, seed=0)
sequence = SegmentationSequence(images, masks, batch_size=2, augment=True, crop_size=(64, 64))
inputs = keras.Input((None, None, 3))
x = keras.layers.Rescaling(1 / 255)(inputs)
outputs = keras.layers.Conv2D(11, 1, name="score")(x)
model = keras.Model(inputs, outputs)
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=VOID)
model.compile(optimizer="adam", loss=loss)
history = model.fit(sequence, epochs=1, verbose=0)
assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
assert sequence.epoch >= 1, "Keras calls on_epoch_end, which draws the next order"
print("backend", keras.backend.backend(), "loss", history.history["loss"][0])
"""


def test_one_fit_epoch_on_tensorflow():
    pytest.importorskip("tensorflow")
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip(f"this process runs Keras on {keras.backend.backend()}")
    exec(FIT, {})


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_one_fit_epoch_on_other_installed_backends(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed, so its Keras backend cannot be tested")
    environment = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", FIT], env=environment, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"backend {backend}" in result.stdout


CAMVID = Path(__file__).resolve().parents[2] / "shared" / "data" / "camvid"


def test_bench_data_prints_images_per_second(capsys, tmp_path):
    from fcn_tutorial import cli

    assert cli.main(["bench", "data", "--num-images", "2", "--root", str(tmp_path)]) == 1
    output = capsys.readouterr().out
    assert "synthetic_driving" in output and "CamVid: not measured" in output
    assert str(tmp_path) in output and "FCN_TUTORIAL_DATA" in output
    if not CAMVID.is_dir():
        pytest.skip(f"{CAMVID} is absent: no CamVid to time")
    assert cli.main(["bench", "data", "--num-images", "2", "--root", str(CAMVID)]) == 0
    rates = [
        float(line.split()[-2])
        for line in capsys.readouterr().out.splitlines()
        if line.endswith("images/s")
    ]
    assert len(rates) == 4 and min(rates) > 0
