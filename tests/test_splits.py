"""``datasets.load_split``, the one front door to data: synthetic scenes, your folders and
KITTI road on small files written here, and every refusal naming its fix.

CamVid's side (finding a copy, reading only the selected files) is in ``test_camvid.py``.
"""

import numpy as np
import pytest
from PIL import Image

from fcn_tutorial import datasets
from fcn_tutorial.datasets import (
    CLASS_NAMES,
    KITTI_CLASS_NAMES,
    VOID,
    Split,
    load_split,
    synthetic_driving,
)
from fcn_tutorial.datasets import splits as splits_module

RNG = np.random.default_rng(0)


def save(array, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture
def folder(tmp_path):
    """Five index-mask pairs a .. e under images/ and masks/, 12x16, written as PNGs."""
    pairs = {}
    for name in "abcde":
        image = RNG.integers(0, 256, (12, 16, 3), dtype=np.uint8)
        mask = RNG.integers(0, 3, (12, 16), dtype=np.uint8)
        mask[0, 0] = VOID
        save(image, tmp_path / "images" / f"{name}.png")
        save(mask, tmp_path / "masks" / f"{name}.png")
        pairs[name] = image, mask
    return tmp_path, pairs


def write_kitti(root, sizes):
    """KITTI road's layout: image_2/um_<n>.png and gt_image_2/um_road_<n>.png."""
    colours = np.array([(255, 0, 0), (255, 0, 255), (0, 0, 0)], np.uint8)
    for k, (height, width) in enumerate(sizes):
        save(
            RNG.integers(0, 256, (height, width, 3), dtype=np.uint8),
            root / "training" / "image_2" / f"um_{k:06d}.png",
        )
        save(
            colours[RNG.integers(0, 3, (height, width))],
            root / "training" / "gt_image_2" / f"um_road_{k:06d}.png",
        )


# -- synthetic ----------------------------------------------------------------------------


def test_a_split_unpacks_and_says_what_it_holds():
    split = load_split("synthetic", "train", size=(48, 64), count=3, seed=5)
    assert isinstance(split, Split) and len(split) == 3
    images, masks = split
    assert images is split.images and masks is split.masks
    assert images.shape == (3, 48, 64, 3) and images.dtype == np.uint8
    assert masks.shape == (3, 48, 64) and masks.dtype == np.uint8
    assert split.class_names == tuple(CLASS_NAMES)
    assert split.names == ("synthetic-00000", "synthetic-00001", "synthetic-00002")
    assert (split.source, split.root) == ("synthetic", None)
    assert repr(split) == ("Split(source='synthetic', 3 images of (48, 64), 11 classes, root=None)")
    with pytest.raises(AttributeError):
        split.source = "camvid"  # frozen


@pytest.mark.parametrize("name, offset", [("train", 0), ("val", 1), ("test", 2)])
def test_synthetic_splits_draw_with_seed_plus_their_offset(name, offset):
    split = load_split("synthetic", name, size=(40, 56), count=2, seed=7)
    images, masks = synthetic_driving(2, 40, 56, seed=7 + offset)
    np.testing.assert_array_equal(split.images, images)
    np.testing.assert_array_equal(split.masks, masks)


def test_synthetic_defaults_are_96_train_and_24_val_and_test_at_96x128(monkeypatch):
    calls = []

    def drawn(count, height, width, seed):
        calls.append((count, height, width, seed))
        return np.zeros((count, height, width, 3), "uint8"), np.zeros(
            (count, height, width), "uint8"
        )

    monkeypatch.setattr(splits_module, "synthetic_driving", drawn)
    for name in ("train", "val", "test"):
        assert len(load_split("synthetic", name, seed=3)) == (96 if name == "train" else 24)
    assert calls == [(96, 96, 128, 3), (24, 96, 128, 4), (24, 96, 128, 5)]


# -- folders and KITTI --------------------------------------------------------------------


def test_a_folder_holds_out_its_last_fifth_or_num_val(folder):
    root, pairs = folder
    train = load_split("folder", "train", void_index=VOID, root=root)
    val = load_split("folder", "val", void_index=VOID, images=root / "images", masks=root / "masks")
    assert train.names == ("a", "b", "c", "d") and val.names == ("e",)
    assert train.root == val.root == str(root) and train.source == "folder"
    assert train.class_names == tuple(CLASS_NAMES)
    np.testing.assert_array_equal(val.images[0], pairs["e"][0])
    np.testing.assert_array_equal(val.masks[0], pairs["e"][1])
    assert load_split("folder", "val", void_index=VOID, root=root, num_val=2).names == ("d", "e")
    assert load_split("folder", "train", void_index=VOID, root=root, num_val=2, count=2).names == (
        "a",
        "b",
    )
    three = load_split("folder", "val", void_index=VOID, root=root, num_classes=3)
    assert three.class_names == ("class 0", "class 1", "class 2")


def test_a_folder_selection_reads_only_the_selected_files(folder, monkeypatch):
    root, pairs = folder
    opened = []
    original = Image.open

    def counting(path, *args, **kwargs):
        opened.append(path.relative_to(root).as_posix())
        return original(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counting)
    split = load_split("folder", "train", void_index=VOID, root=root, select=["c", "a"])
    assert split.names == ("a", "c")  # file-name order, whatever the selection's
    assert sorted(opened) == ["images/a.png", "images/c.png", "masks/a.png", "masks/c.png"]
    np.testing.assert_array_equal(split.images[1], pairs["c"][0])
    assert load_split(
        "folder", "train", void_index=VOID, root=root, select=lambda n: n > "b"
    ).names == ("c", "d")
    with pytest.raises(ValueError, match=r"folder's train split has no file named e: .*'a'"):
        load_split("folder", "train", void_index=VOID, root=root, select=["e"])  # e validates


def test_images_of_different_sizes_come_as_lists(folder):
    root, _ = folder
    save(np.zeros((20, 30, 3), np.uint8), root / "images" / "b.png")
    save(np.zeros((20, 30), np.uint8), root / "masks" / "b.png")
    split = load_split("folder", "train", void_index=VOID, root=root)
    assert isinstance(split.images, list) and isinstance(split.masks, list)
    assert [m.shape for m in split.masks] == [(12, 16), (20, 30), (12, 16), (12, 16)]
    assert "4 images of 2 sizes" in repr(split)
    resized = load_split("folder", "train", void_index=VOID, root=root, size=(8, 12))
    assert resized.images.shape == (4, 8, 12, 3)


def test_kitti_splits_its_training_images_with_road_labels(tmp_path):
    write_kitti(tmp_path, [(10, 14), (11, 14), (10, 13), (10, 14), (10, 14)])
    train = load_split("kitti", "train", root=tmp_path)
    val = load_split("kitti", "val", root=tmp_path, size=(8, 12))
    assert train.names == ("um_000000", "um_000001", "um_000002", "um_000003")
    assert isinstance(train.images, list)  # KITTI's sizes differ
    assert val.names == ("um_000004",) and val.images.shape == (1, 8, 12, 3)
    assert train.class_names == val.class_names == tuple(KITTI_CLASS_NAMES)
    assert set(np.unique(np.concatenate([m.ravel() for m in train.masks]))) <= {0, 1, VOID}
    assert (train.source, train.root) == ("kitti", str(tmp_path))


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["kitti", "folder"])
def test_only_synthetic_and_camvid_have_a_test_split(source, tmp_path):
    with pytest.raises(ValueError, match=r"has no test split \(only synthetic and camvid"):
        load_split(source, "test", root=tmp_path)


@pytest.mark.parametrize(
    "call, message",
    [
        (dict(source="mnist"), r"source 'mnist' is not one of \('synthetic', 'camvid'"),
        (dict(source="synthetic", split="validation"), r"split 'validation' is not one of"),
        (dict(source="synthetic", root="x"), r"does not read root=: synthetic reads count="),
        (dict(source="camvid", num_val=10), r"does not read num_val=: camvid reads"),
        (dict(source="kitti", num_classes=3), r"does not read num_classes="),
        (dict(source="kitti"), r"needs root=, the unzipped data_road folder"),
        (dict(source="folder", images="x"), r"needs images= and masks="),
        (dict(source="synthetic", count=0), r"count=0: pass at least 1"),
    ],
)
def test_bad_requests_name_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        load_split(**call)


def test_a_folder_too_small_to_split_says_so(folder):
    root, _ = folder
    message = r"5 images cannot be split into training images and num_val=5 validation images"
    with pytest.raises(ValueError, match=message + r": pass num_val= from 1 to 4"):
        load_split("folder", "train", void_index=VOID, root=root, num_val=5)


def test_the_package_exports_the_front_door():
    for name in ("load_split", "Split", "locate_camvid", "SOURCES"):
        assert name in datasets.__all__ and hasattr(datasets, name)
    assert datasets.SOURCES == ("synthetic", "camvid", "kitti", "folder")
