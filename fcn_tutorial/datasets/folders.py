"""Read images and label masks from folders, with checks that name the file and the fix.

Every loader (CamVid, KITTI road, your own folders) reads through :func:`read_pair`, so
they all refuse the same bad input the same way:

- an unreadable or truncated file: ``ValueError`` naming it;
- a grayscale or RGBA image: converted to RGB (grey copied to R, G and B; alpha
  dropped), with one warning per call that lists the files, since a photo with an alpha
  channel or without colour is still a usable photo;
- a 16-bit or float image: refused, since its scale is unknown;
- a mask whose size differs from its image, a JPEG mask (lossy compression invents
  labels), or labels that are neither a class nor ``VOID``: ``ValueError``.

Every label set shares ``VOID = 11`` as "ignore this pixel", whatever its number of
classes, so one loss setting (``ignore_class=VOID``) fits all of them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from fcn_tutorial.classes import (
    KITTI_CLASS_NAMES,
    KITTI_COLOURS,
    NUM_CLASSES,
    VOID,
)
from fcn_tutorial.datasets.augment import resize_pair

__all__ = [
    "IMAGE_SUFFIXES",
    "KITTI_URL",
    "load_folder",
    "load_kitti_road",
    "load_pairs",
    "read_image",
    "read_mask",
    "read_pair",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")

KITTI_URL = "https://www.cvlibs.net/datasets/kitti/eval_road.php"

# Conversions that keep a photo usable; each is reported once per call.
_CONVERSIONS = {
    "L": "grayscale, copied to R, G and B",
    "1": "black-and-white, copied to R, G and B",
    "LA": "grayscale with alpha, alpha dropped",
    "RGBA": "RGBA, alpha dropped",
    "RGBX": "RGBX, padding channel dropped",
    "P": "palette image, expanded to RGB",
    "PA": "palette image with alpha, alpha dropped",
    "CMYK": "CMYK, converted to RGB",
    "YCbCr": "YCbCr, converted to RGB",
}


def _open(path: Path) -> Image.Image:
    try:
        image = Image.open(path)
        image.load()  # decode now: a truncated file fails here, not later in training
    except FileNotFoundError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(
            f"{path} cannot be read as an image ({error}): it is truncated or not an "
            "image. Re-download or re-export it, or remove it from the folder."
        ) from error
    return image


def _read_image(path: Path) -> tuple[np.ndarray, str | None]:
    image = _open(path)
    if image.mode == "RGB":
        return np.asarray(image), None
    if image.mode not in _CONVERSIONS:
        raise ValueError(
            f"{path} is a {image.mode} image (16-bit or floating point): save it as 8-bit "
            "RGB, e.g. Image.fromarray((x / x.max() * 255).astype('uint8')).convert('RGB')."
        )
    return np.asarray(image.convert("RGB")), _CONVERSIONS[image.mode]


def _warn_conversions(notes: Sequence[tuple[Path, str]]) -> None:
    if not notes:
        return
    by_kind: dict[str, list[str]] = {}
    for path, note in notes:
        by_kind.setdefault(note, []).append(str(path))
    parts = [
        f"{len(paths)} {kind} ({', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''})"
        for kind, paths in by_kind.items()
    ]
    warnings.warn(
        "converted images that were not 8-bit RGB: " + "; ".join(parts), UserWarning, stacklevel=3
    )


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read a photo as 8-bit RGB.

    Args:
        path: an image file Pillow can read (PNG, JPEG, BMP, TIFF ...).

    Returns:
        ``(H, W, 3) uint8``. Grayscale is copied to the three channels and an alpha
        channel is dropped, with a ``UserWarning`` naming the file.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: for a truncated or unreadable file or a 16-bit/float image; the
            message names the file and the fix.
    """
    path = Path(path)
    image, note = _read_image(path)
    _warn_conversions([(path, note)] if note else [])
    return image


def _colour_table(palette) -> tuple[np.ndarray, np.ndarray]:
    # Both forms become sorted 24-bit colour keys and their labels, for searchsorted.
    if isinstance(palette, Mapping):
        colours = np.array(list(palette.keys()), dtype=np.int64).reshape(-1, 3)
        labels = np.array(list(palette.values()), dtype=np.int64)
    else:
        colours = np.asarray(palette, dtype=np.int64)
        if colours.ndim != 2 or colours.shape[1] != 3:
            raise ValueError(
                f"palette has shape {colours.shape}: pass (C, 3) colours, row i for label i, "
                "or a dict {(r, g, b): label}."
            )
        labels = np.arange(len(colours))
    keys = (colours[:, 0] << 16) | (colours[:, 1] << 8) | colours[:, 2]
    if len(np.unique(keys)) != len(keys):
        raise ValueError("palette repeats a colour: each class needs its own colour.")
    order = np.argsort(keys)
    return keys[order], labels[order]


def _colours_to_labels(path: Path, rgb: np.ndarray, palette) -> np.ndarray:
    keys, labels = _colour_table(palette)
    pixels = rgb.astype(np.int64)
    pixel_keys = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    index = np.clip(np.searchsorted(keys, pixel_keys), 0, len(keys) - 1)
    unknown = keys[index] != pixel_keys
    if unknown.any():
        bad = np.unique(pixel_keys[unknown])
        shown = ", ".join(str((k >> 16, (k >> 8) & 255, k & 255)) for k in bad[:5].tolist())
        raise ValueError(
            f"{path} has {int(unknown.sum())} pixels in colours the palette lacks: {shown}"
            f"{' ...' if len(bad) > 5 else ''}. Add them to the palette, or repaint them in "
            "void's colour."
        )
    return labels[index]


def read_mask(path: str | os.PathLike, palette=None, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Read a label mask: an index PNG, or a colour PNG mapped through ``palette``.

    Args:
        path: a PNG (or another lossless format); JPEG is refused.
        palette: ``None`` for index masks (mode ``L`` or ``P``, pixel value = label);
            for colour masks a ``(C, 3)`` array (row ``i`` is label ``i``'s colour, e.g.
            ``PALETTE``) or a dict ``{(r, g, b): label}`` such as ``KITTI_COLOURS``.
        num_classes: labels ``0 .. num_classes - 1`` are classes; ``VOID`` is allowed too.

    Returns:
        ``(H, W) uint8`` labels.

    Raises:
        ValueError: for a JPEG or unreadable file, a colour mask without a palette,
            colours the palette lacks, or labels that are neither a class nor ``VOID``.
    """
    path = Path(path)
    image = _open(path)
    if image.format == "JPEG":
        raise ValueError(
            f"{path} is a JPEG: its compression blurs label edges into labels that were "
            "never drawn. Save masks as PNG."
        )
    if palette is not None:
        labels = _colours_to_labels(path, np.asarray(image.convert("RGB")), palette)
    elif image.mode in ("L", "P", "I", "I;16"):
        labels = np.asarray(image)
    else:
        raise ValueError(
            f"{path} is a {image.mode} colour mask: pass palette= (e.g. PALETTE, or a dict "
            "{(r, g, b): label}) to map its colours to labels, or save one-channel index PNGs."
        )
    bad = np.setdiff1d(np.unique(labels), [*range(num_classes), VOID])
    if bad.size:
        shown = ", ".join(str(v) for v in bad[:8]) + (" ..." if bad.size > 8 else "")
        raise ValueError(
            f"{path} holds labels [{shown}], which are neither classes 0..{num_classes - 1} "
            f"nor void {VOID}: map them to {VOID} (mask[mask == 255] = {VOID}), or pass "
            "num_classes= if you have more classes."
        )
    return labels.astype(np.uint8)


def read_pair(
    image_path: str | os.PathLike,
    mask_path: str | os.PathLike,
    palette=None,
    num_classes: int = NUM_CLASSES,
) -> tuple[np.ndarray, np.ndarray]:
    """Read an image and its mask, checking that they are the same size.

    Args:
        image_path: as :func:`read_image`.
        mask_path: as :func:`read_mask`.
        palette: as :func:`read_mask`.
        num_classes: as :func:`read_mask`.

    Returns:
        ``(image, mask)``: ``(H, W, 3) uint8`` and ``(H, W) uint8``.

    Raises:
        ValueError: as :func:`read_image` and :func:`read_mask`, and for sizes that differ.
    """
    image = read_image(image_path)
    mask = read_mask(mask_path, palette, num_classes)
    _check_same_size(image_path, image, mask_path, mask)
    return image, mask


def _check_same_size(image_path, image, mask_path, mask) -> None:
    if image.shape[:2] != mask.shape:
        raise ValueError(
            f"{mask_path} is {mask.shape[1]}x{mask.shape[0]} but its image {image_path} is "
            f"{image.shape[1]}x{image.shape[0]} (width x height): the mask must label every "
            "pixel. Re-export it at the image's size (resize masks nearest-neighbour only)."
        )


def load_pairs(
    image_paths: Sequence[Path],
    mask_paths: Sequence[Path],
    palette=None,
    num_classes: int = NUM_CLASSES,
    size: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read many pairs into two arrays, decoding on several threads.

    Args:
        image_paths: image files.
        mask_paths: their masks, in the same order.
        palette: as :func:`read_mask`.
        num_classes: as :func:`read_mask`.
        size: ``(height, width)`` to resize every pair to (images bilinear, masks
            nearest-neighbour), or ``None`` if they all share one size.

    Returns:
        ``(images, masks)``: ``(N, H, W, 3) uint8`` and ``(N, H, W) uint8``.

    Raises:
        ValueError: as :func:`read_pair`, or if the pairs differ in size and ``size`` is
            ``None``.
    """
    if len(image_paths) != len(mask_paths) or not image_paths:
        raise ValueError(
            f"{len(image_paths)} images and {len(mask_paths)} masks: pass one mask per image."
        )

    def read(paths):
        image_path, mask_path = paths
        image, note = _read_image(Path(image_path))
        mask = read_mask(mask_path, palette, num_classes)
        _check_same_size(image_path, image, mask_path, mask)
        if size is not None:
            image, mask = resize_pair(image, mask, size)
        return image, mask, note

    # Pillow releases the GIL while it inflates PNGs, so threads decode in parallel.
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(read, zip(image_paths, mask_paths)))
    _warn_conversions([(p, note) for p, (_, _, note) in zip(image_paths, results) if note])
    shapes = {mask.shape for _, mask, _ in results}
    if len(shapes) > 1:
        first, second = sorted(shapes)[:2]
        raise ValueError(
            f"the images differ in size ({first} and {second}, among {len(shapes)} sizes): "
            "pass size=(height, width) to resize them all, or paths_only=True and let "
            "SegmentationSequence crop or pad each batch."
        )
    images = np.stack([image for image, _, _ in results])
    masks = np.stack([mask for _, mask, _ in results])
    return images, masks


def _require_folder(folder: Path, what: str, fix: str) -> None:
    if not folder.is_dir():
        raise FileNotFoundError(f"{what} {folder} does not exist: {fix}")


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def load_folder(
    images_dir: str | os.PathLike,
    masks_dir: str | os.PathLike,
    palette=None,
    num_classes: int = NUM_CLASSES,
    size: tuple[int, int] | None = None,
    paths_only: bool = False,
) -> tuple:
    """Load your own data: photos in one folder, masks with the same file stems in another.

    ``images/street_01.jpg`` pairs with ``masks/street_01.png``.

    Args:
        images_dir: folder of photos (``IMAGE_SUFFIXES``).
        masks_dir: folder of masks: index PNGs, or colour PNGs with ``palette``.
        palette: as :func:`read_mask`.
        num_classes: as :func:`read_mask`.
        size: as :func:`load_pairs`.
        paths_only: return the two sorted lists of paths instead of reading them, for
            :class:`~fcn_tutorial.datasets.pipeline.SegmentationSequence` to read lazily.

    Returns:
        ``(images, masks)``: ``(N, H, W, 3) uint8`` and ``(N, H, W) uint8``; or two
        lists of ``Path`` with ``paths_only``.

    Raises:
        FileNotFoundError: if a folder does not exist.
        ValueError: for an empty folder, an image without a mask (or the reverse), and
            everything :func:`load_pairs` refuses.
    """
    images_dir, masks_dir = Path(images_dir), Path(masks_dir)
    fix = "pass the folder that holds your files."
    _require_folder(images_dir, "images_dir", fix)
    _require_folder(masks_dir, "masks_dir", fix)
    image_paths = _images_in(images_dir)
    if not image_paths:
        raise ValueError(
            f"{images_dir} holds no images ({', '.join(IMAGE_SUFFIXES)}): point images_dir "
            "at the folder with the photos themselves."
        )
    masks = {p.stem: p for p in _images_in(masks_dir)}
    images = {p.stem: p for p in image_paths}
    lonely = sorted(set(images) - set(masks))
    if lonely:
        raise ValueError(
            f"{len(lonely)} images have no mask in {masks_dir} with the same stem, e.g. "
            f"{images[lonely[0]].name}: add {lonely[0]}.png there, or move the image out."
        )
    extra = sorted(set(masks) - set(images))
    if extra:
        raise ValueError(
            f"{len(extra)} masks have no image in {images_dir}, e.g. {masks[extra[0]].name}: "
            "add the photo, or move the mask out."
        )
    mask_paths = [masks[p.stem] for p in image_paths]
    if paths_only:
        return image_paths, mask_paths
    return load_pairs(image_paths, mask_paths, palette, num_classes, size)


def load_kitti_road(
    root: str | os.PathLike, size: tuple[int, int] | None = None, paths_only: bool = False
) -> tuple:
    """Load KITTI road's training images with road / not-road masks.

    KITTI needs a (free) registration, so it is never downloaded for you: get
    ``data_road.zip`` from ``KITTI_URL`` and unzip it, giving
    ``root/training/image_2/um_000000.png`` and
    ``root/training/gt_image_2/um_road_000000.png`` (``um_lane_*`` masks are ignored).
    The images are about 375x1242 but not all the same size.

    Args:
        root: the unzipped ``data_road`` folder.
        size: ``(height, width)`` to resize every pair to; needed to stack them unless
            ``paths_only``.
        paths_only: return the two lists of paths instead of reading them.

    Returns:
        ``(images, masks)``: ``(N, H, W, 3) uint8`` and ``(N, H, W) uint8`` with
        0 = not road, 1 = road and ``VOID`` where KITTI leaves pixels unjudged
        (``KITTI_CLASS_NAMES``, ``KITTI_PALETTE``); or lists of ``Path``. With paths, read
        the masks with ``palette=KITTI_COLOURS, num_classes=2``.

    Raises:
        FileNotFoundError: if the layout is missing; the message says where to get it.
        ValueError: for an image without its road mask, or bad files.
    """
    root = Path(root)
    images_dir = root / "training" / "image_2"
    masks_dir = root / "training" / "gt_image_2"
    how = (
        f"KITTI road needs a free registration at {KITTI_URL}: download the base kit "
        f"(data_road.zip), unzip it and pass root= the folder holding training/, so that "
        f"{images_dir / 'um_000000.png'} and {masks_dir / 'um_road_000000.png'} exist."
    )
    _require_folder(images_dir, "KITTI's image folder", how)
    _require_folder(masks_dir, "KITTI's ground-truth folder", how)
    image_paths = sorted(images_dir.glob("*.png"))
    if not image_paths:
        raise ValueError(f"{images_dir} holds no PNG images. {how}")
    mask_paths = []
    for image_path in image_paths:
        # um_000000.png -> um_road_000000.png
        category, _, number = image_path.stem.partition("_")
        mask_path = masks_dir / f"{category}_road_{number}.png"
        if not mask_path.is_file():
            raise ValueError(f"{image_path.name} has no road mask {mask_path}. {how}")
        mask_paths.append(mask_path)
    if paths_only:
        return image_paths, mask_paths
    return load_pairs(image_paths, mask_paths, KITTI_COLOURS, len(KITTI_CLASS_NAMES), size)
