"""Own-folder and KITTI road loaders on small files written here, and every refusal."""

import warnings

import numpy as np
import pytest
from PIL import Image

from fcn_tutorial.datasets import (
    KITTI_COLOURS,
    PALETTE,
    VOID,
    colourize,
    folder_paths,
    kitti_road_paths,
    load_folder,
    load_kitti_road,
    load_split,
    read_image,
    read_mask,
)
from fcn_tutorial.datasets.folders import read_pair
from fcn_tutorial.datasets.kitti import KITTI_URL

RNG = np.random.default_rng(0)


def random_pair(height=12, width=16, num_classes=11):
    image = RNG.integers(0, 256, (height, width, 3), dtype=np.uint8)
    mask = RNG.integers(0, num_classes, (height, width), dtype=np.uint8)
    mask[0, 0] = VOID
    return image, mask


def save(array, path, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path) if mode else Image.fromarray(array).save(path)
    return path


@pytest.fixture
def folder(tmp_path):
    """Three index-mask pairs: two PNG photos and one lossless-enough JPEG-free BMP."""
    pairs = {name: random_pair() for name in ("a", "b", "c")}
    for name, (image, mask) in pairs.items():
        save(image, tmp_path / "images" / f"{name}.{'bmp' if name == 'c' else 'png'}")
        save(mask, tmp_path / "masks" / f"{name}.png")
    return tmp_path, pairs


def test_load_folder_reads_index_masks_in_name_order(folder):
    root, pairs = folder
    images, masks = load_folder(root / "images", root / "masks")
    assert images.shape == (3, 12, 16, 3) and images.dtype == np.uint8
    assert masks.shape == (3, 12, 16) and masks.dtype == np.uint8
    for k, name in enumerate("abc"):
        np.testing.assert_array_equal(images[k], pairs[name][0])
        np.testing.assert_array_equal(masks[k], pairs[name][1])
    image_paths, mask_paths = folder_paths(root / "images", root / "masks")
    assert [p.name for p in image_paths] == ["a.png", "b.png", "c.bmp"]
    assert [p.name for p in mask_paths] == ["a.png", "b.png", "c.png"]


def test_colour_masks_map_through_a_palette_array_or_dict(tmp_path):
    image, mask = random_pair()
    save(colourize(mask), tmp_path / "mask.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "mask.png", palette=PALETTE), mask)
    as_dict = {tuple(int(c) for c in PALETTE[label]): label for label in range(VOID + 1)}
    np.testing.assert_array_equal(read_mask(tmp_path / "mask.png", palette=as_dict), mask)
    with pytest.raises(ValueError, match="pass palette="):
        read_mask(tmp_path / "mask.png")
    painted = colourize(mask)
    painted[3, 4] = (1, 2, 3)
    save(painted, tmp_path / "odd.png")
    with pytest.raises(ValueError, match=r"odd\.png has 1 pixels .*\(1, 2, 3\)"):
        read_mask(tmp_path / "odd.png", palette=PALETTE)


@pytest.mark.parametrize("label", [12, 255])
def test_labels_that_are_neither_class_nor_void_are_refused(tmp_path, label):
    _, mask = random_pair()
    mask[5, 5] = label
    path = save(mask, tmp_path / "mask.png")
    with pytest.raises(ValueError, match=rf"mask\.png holds labels \[{label}\].*map them to 11"):
        read_mask(path)
    # With more classes the same label is fine.
    assert read_mask(path, num_classes=label + 1)[5, 5] == label


def test_a_mask_of_another_size_names_both_files(folder):
    root, _ = folder
    save(np.zeros((12, 15), np.uint8), root / "masks" / "b.png")
    with pytest.raises(ValueError, match=r"b\.png is 15x12 but its image .*b\.png is 16x12"):
        load_folder(root / "images", root / "masks")


def test_jpeg_masks_are_refused(tmp_path):
    path = save(np.zeros((8, 8), np.uint8), tmp_path / "mask.jpg")
    with pytest.raises(ValueError, match="JPEG.*Save masks as PNG"):
        read_mask(path)


def test_truncated_and_non_image_files_are_named(tmp_path):
    image, _ = random_pair(64, 64)
    path = save(image, tmp_path / "photo.png")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"photo\.png cannot be read .*truncated"):
        read_image(path)
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(ValueError, match=r"notes\.png cannot be read"):
        read_image(tmp_path / "notes.png")
    with pytest.raises(FileNotFoundError):
        read_image(tmp_path / "absent.png")


def test_truncated_files_in_a_folder_are_all_named_and_nothing_is_loaded(tmp_path):
    for name in "abcdef":
        image, mask = random_pair(64, 64)
        save(image, tmp_path / "images" / f"{name}.png")
        save(mask, tmp_path / "masks" / f"{name}.png")
    bad = [tmp_path / "images" / "b.png", tmp_path / "masks" / "d.png"]
    for path in bad:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    def assert_names_both(message, total):
        assert f"2 of {total} image/mask pairs cannot be used, so none were loaded" in message
        for path in bad:
            assert f"{path} cannot be read as an image (image file is truncated)" in message
        assert message.count("Re-download or re-export it, or remove it from the folder") == 2

    with pytest.raises(ValueError) as error:
        load_folder(tmp_path / "images", tmp_path / "masks")
    assert_names_both(str(error.value), 6)
    with pytest.raises(ValueError) as error:
        load_split("folder", "train", root=tmp_path, num_val=1, void_index=VOID)
    assert_names_both(str(error.value), 5)
    for name in "ace":  # more than three: the first three in full, the others by image
        path = tmp_path / "images" / f"{name}.png"
        path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError) as error:
        load_folder(tmp_path / "images", tmp_path / "masks")
    message = str(error.value)
    assert message.startswith("5 of 6 image/mask pairs cannot be used")
    assert message.count("cannot be read as an image") == 3
    assert message.endswith(
        f"The other 2, by image: {tmp_path}/images/d.png, {tmp_path}/images/e.png."
    )


def test_grayscale_and_rgba_photos_are_converted_with_one_warning_per_call(folder):
    root, pairs = folder
    grey = pairs["a"][0][..., 0]
    save(grey, root / "images" / "a.png")
    save(grey, root / "images" / "b.png")
    rgba = np.dstack([pairs["c"][0], np.full((12, 16), 7, np.uint8)])
    (root / "images" / "c.bmp").unlink()
    save(rgba, root / "images" / "c.png")
    with pytest.warns(UserWarning) as caught:
        images, _ = load_folder(root / "images", root / "masks")
    # Other tests may leave library warnings (NumPy, Keras) armed; count ours only.
    ours = [w for w in caught if w.category is UserWarning and "converted" in str(w.message)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    message = str(ours[0].message)
    assert "2 grayscale" in message and "a.png" in message and "1 RGBA, alpha dropped" in message
    np.testing.assert_array_equal(images[0], np.dstack([grey] * 3))
    np.testing.assert_array_equal(images[2], pairs["c"][0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an RGB photo converts silently
        read_image(save(pairs["c"][0], root / "rgb.png"))


def test_sixteen_bit_images_are_refused(tmp_path):
    path = tmp_path / "depth.png"
    Image.fromarray(np.full((8, 8), 4000, np.uint16)).save(path)
    with pytest.raises(ValueError, match=r"depth\.png is a I;16 image .*8-bit RGB"):
        read_image(path)


def test_empty_missing_and_unpaired_folders_say_what_to_do(folder, tmp_path):
    root, _ = folder
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        load_folder(tmp_path / "empty", root / "masks")
    with pytest.raises(FileNotFoundError, match="masks_dir .*absent does not exist"):
        load_folder(root / "images", tmp_path / "absent")
    save(random_pair()[0], root / "images" / "d.png")
    with pytest.raises(ValueError, match=r"1 images have no mask .*d\.png: add d\.png"):
        load_folder(root / "images", root / "masks")
    (root / "images" / "d.png").unlink()
    save(random_pair()[1], root / "masks" / "e.png")
    with pytest.raises(ValueError, match=r"1 masks have no image .*e\.png"):
        load_folder(root / "images", root / "masks")


def test_different_sizes_need_size_and_resize_masks_nearest(folder):
    root, _ = folder
    image, mask = random_pair(20, 30)
    save(image, root / "images" / "b.png")
    save(mask, root / "masks" / "b.png")
    with pytest.raises(ValueError, match=r"differ in size .*pass size=\(height, width\)"):
        load_folder(root / "images", root / "masks")
    images, masks = load_folder(root / "images", root / "masks", size=(24, 32))
    assert images.shape == (3, 24, 32, 3) and masks.shape == (3, 24, 32)
    assert set(np.unique(masks[1])) <= set(np.unique(mask))


def write_kitti(root, sizes):
    """KITTI road's layout: image_2/<cat>_<n>.png and gt_image_2/<cat>_road_<n>.png."""
    colours = np.array([(255, 0, 0), (255, 0, 255), (0, 0, 0)], np.uint8)
    labels = np.array([0, 1, VOID], np.uint8)
    truth = []
    for k, ((height, width), category) in enumerate(zip(sizes, ["um", "umm", "uu"])):
        image, _ = random_pair(height, width)
        which = RNG.integers(0, 3, (height, width))
        save(image, root / "training" / "image_2" / f"{category}_{k:06d}.png")
        save(colours[which], root / "training" / "gt_image_2" / f"{category}_road_{k:06d}.png")
        truth.append((category, image, labels[which]))
    # Lane masks exist for "um" only and are not road masks: they must be ignored.
    save(colours[np.zeros(sizes[0], int)], root / "training/gt_image_2/um_lane_000000.png")
    return sorted(truth, key=lambda t: t[0])


def test_kitti_road_gives_road_not_road_and_void(tmp_path):
    truth = write_kitti(tmp_path, [(10, 14)] * 3)
    images, masks = load_kitti_road(tmp_path)
    assert images.shape == (3, 10, 14, 3) and masks.shape == (3, 10, 14)
    for k, (_, image, labels) in enumerate(truth):
        np.testing.assert_array_equal(images[k], image)
        np.testing.assert_array_equal(masks[k], labels)
    assert set(np.unique(masks)) == {0, 1, VOID}


def test_kitti_sizes_differ_so_paths_or_size_are_offered(tmp_path):
    write_kitti(tmp_path, [(10, 14), (11, 14), (10, 13)])
    with pytest.raises(ValueError, match="pass size="):
        load_kitti_road(tmp_path)
    images, masks = load_kitti_road(tmp_path, size=(8, 12))
    assert images.shape == (3, 8, 12, 3) and set(np.unique(masks)) <= {0, 1, VOID}
    image_paths, mask_paths = kitti_road_paths(tmp_path)
    assert [p.name for p in mask_paths] == [
        "um_road_000000.png",
        "umm_road_000001.png",
        "uu_road_000002.png",
    ]
    image, mask = read_pair(image_paths[1], mask_paths[1], KITTI_COLOURS, num_classes=2)
    assert image.shape == (11, 14, 3) and mask.shape == (11, 14)


def test_kitti_missing_or_unpaired_says_where_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_kitti_road(tmp_path / "data_road")
    assert KITTI_URL in str(error.value) and "training/image_2/um_000000.png" in str(error.value)
    write_kitti(tmp_path, [(10, 14)] * 3)
    (tmp_path / "training" / "gt_image_2" / "umm_road_000001.png").unlink()
    with pytest.raises(ValueError, match=r"umm_000001\.png has no road mask"):
        load_kitti_road(tmp_path)


def test_colour_masks_advice_fits_who_can_pass_a_palette(folder):
    from fcn_tutorial.datasets import load_split
    from fcn_tutorial.datasets.folders import ColourMaskError, read_pairs

    root, pairs = folder
    for name, (_, mask) in pairs.items():
        save(colourize(mask), root / "masks" / f"{name}.png")
    images, masks = folder_paths(root / "images", root / "masks")
    # Code that can pass a palette is told to (read_mask, read_pairs, load_folder) ...
    with pytest.raises(ColourMaskError, match=r"\(and 2 other masks\).*pass palette="):
        read_pairs(images, masks)
    # ... load_split("folder") and the command line cannot: they say how to convert.
    with pytest.raises(ValueError, match="index PNGs") as error:
        load_split("folder", "train", images=root / "images", masks=root / "masks", num_val=1)
    assert "palette=" not in str(error.value) and "read_mask(path, colours)" in str(error.value)
