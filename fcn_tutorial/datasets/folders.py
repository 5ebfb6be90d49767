"""Read images and label masks from folders, with checks that name the file and the fix.

Every loader (CamVid, KITTI road, your own folders) reads through these readers, so
they all refuse the same bad input the same way:

- an unreadable or truncated file: ``ValueError`` naming it;
- a grayscale or RGBA image: converted to RGB (grey copied to R, G and B; alpha
  dropped), with one warning per call that lists the files, since a photo with an alpha
  channel or without colour is still a usable photo;
- a 16-bit or float image: refused, since its scale is unknown;
- a mask whose size differs from its image, a JPEG mask (lossy compression invents
  labels), or labels that are neither a class nor the void label: ``ValueError``.

CamVid, KITTI road and the synthetic scenes share ``VOID = 11`` as "ignore this pixel",
whatever their number of classes, so one loss setting (``ignore_class=VOID``) fits all of
them; your own masks say theirs with ``void_index`` (``None``: every pixel is a class).
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
    NUM_CLASSES,
    VOID,
)
from fcn_tutorial.datasets.augment import resize_pair

__all__ = [
    "IMAGE_SUFFIXES",
    "ColourMaskError",
    "folder_paths",
    "load_folder",
    "load_pairs",
    "read_image",
    "read_mask",
    "read_pair",
    "read_pairs",
    "select_stems",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


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


class ColourMaskError(ValueError):
    """Colour (RGB) masks read without a palette that maps their colours to labels.

    The message gives the Python fix (``palette=``); callers that take no palette
    (``load_split("folder")``, the command line) say how to convert the masks instead.

    Attributes:
        path: the (first) mask file; ``mode``: its Pillow mode; ``others``: how many more.
    """

    def __init__(self, path: Path, mode: str, others: int = 0):
        self.path, self.mode, self.others = Path(path), mode, others
        more = f" (and {others} other masks)" if others else ""
        super().__init__(
            f"{path}{more} is a {mode} colour mask: pass palette= (e.g. PALETTE, or a dict "
            "{(r, g, b): label}) to map its colours to labels, or save one-channel index PNGs."
        )


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


def read_mask(
    path: str | os.PathLike,
    palette=None,
    num_classes: int = NUM_CLASSES,
    void_index: int | None = VOID,
) -> np.ndarray:
    """Read a label mask: an index PNG, or a colour PNG mapped through ``palette``.

    Args:
        path: a PNG (or another lossless format); JPEG is refused.
        palette: ``None`` for index masks (mode ``L`` or ``P``, pixel value = label);
            for colour masks a ``(C, 3)`` array (row ``i`` is label ``i``'s colour, e.g.
            ``PALETTE``) or a dict ``{(r, g, b): label}`` such as ``KITTI_COLOURS``.
        num_classes: labels ``0 .. num_classes - 1`` are classes.
        void_index: the label of unlabelled pixels, allowed too; ``None`` if there is none.

    Returns:
        ``(H, W) uint8`` labels.

    Raises:
        ColourMaskError: a ``ValueError``, for a colour mask without a palette.
        ValueError: for a JPEG or unreadable file, colours the palette lacks, or labels
            that are neither a class nor void.
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
        raise ColourMaskError(path, image.mode)
    _check_mask_labels(path, labels, num_classes, void_index)
    return labels.astype(np.uint8)


def _check_mask_labels(path, labels: np.ndarray, num_classes: int, void_index) -> None:
    allowed = [*range(num_classes), *([] if void_index is None else [void_index])]
    bad = np.setdiff1d(np.unique(labels), allowed)
    if not bad.size:
        return
    shown = ", ".join(str(v) for v in bad[:8]) + (" ..." if bad.size > 8 else "")
    if void_index is None:
        raise ValueError(
            f"{path} holds labels [{shown}], which are not classes 0..{num_classes - 1} "
            f"(num_classes={num_classes}) and there is no void label: pass "
            f"void_index={int(bad[0])} if {int(bad[0])} marks unlabelled pixels, or "
            "num_classes= if you have more classes."
        )
    raise ValueError(
        f"{path} holds labels [{shown}], which are neither classes 0..{num_classes - 1} "
        f"nor void {void_index}: map them to {void_index} (mask[mask == 255] = "
        f"{void_index}), or pass num_classes= if you have more classes."
    )


def read_pair(
    image_path: str | os.PathLike,
    mask_path: str | os.PathLike,
    palette=None,
    num_classes: int = NUM_CLASSES,
    void_index: int | None = VOID,
) -> tuple[np.ndarray, np.ndarray]:
    """Read an image and its mask, checking that they are the same size.

    Args:
        image_path: as :func:`read_image`.
        mask_path: as :func:`read_mask`.
        palette: as :func:`read_mask`.
        num_classes: as :func:`read_mask`.
        void_index: as :func:`read_mask`.

    Returns:
        ``(image, mask)``: ``(H, W, 3) uint8`` and ``(H, W) uint8``.

    Raises:
        ValueError: as :func:`read_image` and :func:`read_mask`, and for sizes that differ.
    """
    image = read_image(image_path)
    mask = read_mask(mask_path, palette, num_classes, void_index)
    _check_same_size(image_path, image, mask_path, mask)
    return image, mask


def _check_same_size(image_path, image, mask_path, mask) -> None:
    if image.shape[:2] != mask.shape:
        raise ValueError(
            f"{mask_path} is {mask.shape[1]}x{mask.shape[0]} but its image {image_path} is "
            f"{image.shape[1]}x{image.shape[0]} (width x height): the mask must label every "
            "pixel. Re-export it at the image's size (resize masks nearest-neighbour only)."
        )


def read_pairs(
    image_paths: Sequence[Path],
    mask_paths: Sequence[Path],
    palette=None,
    num_classes: int = NUM_CLASSES,
    size: tuple[int, int] | None = None,
    void_index: int | None = VOID,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Read many pairs, decoding on several threads; their sizes may differ.

    Args:
        image_paths: image files.
        mask_paths: their masks, in the same order.
        palette: as :func:`read_mask`.
        num_classes: as :func:`read_mask`.
        size: ``(height, width)`` to resize every pair to (images bilinear, masks
            nearest-neighbour), or ``None`` to keep each one's size.
        void_index: as :func:`read_mask`.

    Returns:
        ``(images, masks)``: lists of ``(H, W, 3) uint8`` and ``(H, W) uint8``.

    Raises:
        ValueError: as :func:`read_pair`, and for no pairs or unequal lists. Every pair
            is read before refusing, so one message names every unusable pair (a truncated
            image, a mask of another size ...): nothing is skipped, and one fix-up suffices.
    """
    if len(image_paths) != len(mask_paths) or not image_paths:
        raise ValueError(
            f"{len(image_paths)} images and {len(mask_paths)} masks: pass one mask per image."
        )

    def read(paths):
        image_path, mask_path = paths
        try:
            image, note = _read_image(Path(image_path))
            mask = read_mask(mask_path, palette, num_classes, void_index)
            _check_same_size(image_path, image, mask_path, mask)
        except ValueError as error:
            return error
        if size is not None:
            image, mask = resize_pair(image, mask, size)
        return image, mask, note

    # Pillow releases the GIL while it inflates PNGs, so threads decode in parallel.
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(read, zip(image_paths, mask_paths)))
    _refuse_unusable(image_paths, results)
    _warn_conversions([(p, note) for p, (_, _, note) in zip(image_paths, results) if note])
    return [image for image, _, _ in results], [mask for _, mask, _ in results]


def _refuse_unusable(image_paths: Sequence[Path], results: list) -> None:
    """Raise one ``ValueError`` for every pair whose reading failed: each one's own
    message for the first three, the image files of the rest."""
    failed = [(path, r) for path, r in zip(image_paths, results) if isinstance(r, ValueError)]
    if len(failed) == 1:
        raise failed[0][1]
    if failed and all(isinstance(error, ColourMaskError) for _, error in failed):
        raise ColourMaskError(failed[0][1].path, failed[0][1].mode, len(failed) - 1)
    if failed:
        shown = " ".join(str(error) for _, error in failed[:3])
        rest = [str(path) for path, _ in failed[3:]]
        more = ""
        if rest:
            listed = ", ".join(rest[:5]) + (" ..." if len(rest) > 5 else "")
            more = f" The other {len(rest)}, by image: {listed}."
        raise ValueError(
            f"{len(failed)} of {len(results)} image/mask pairs cannot be used, so none "
            f"were loaded: {shown}{more}"
        ) from failed[0][1]


def load_pairs(
    image_paths: Sequence[Path],
    mask_paths: Sequence[Path],
    palette=None,
    num_classes: int = NUM_CLASSES,
    size: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read many pairs into two arrays: :func:`read_pairs`, stacked.

    Args and ``size`` as :func:`read_pairs`; without ``size`` the pairs must share one size.

    Returns:
        ``(images, masks)``: ``(N, H, W, 3) uint8`` and ``(N, H, W) uint8``.

    Raises:
        ValueError: as :func:`read_pair`, or if the pairs differ in size and ``size`` is
            ``None``.
    """
    images, masks = read_pairs(image_paths, mask_paths, palette, num_classes, size)
    shapes = {mask.shape for mask in masks}
    if len(shapes) > 1:
        first, second = sorted(shapes)[:2]
        raise ValueError(
            f"the images differ in size ({first} and {second}, among {len(shapes)} sizes): "
            "pass size=(height, width) to resize them all, or read them with read_pairs "
            "(or load_split, which gives lists) and let SegmentationSequence crop or pad "
            "each batch."
        )
    return np.stack(images), np.stack(masks)


def select_stems(stems: Sequence[str], select, where: str) -> list[str]:
    """The file stems a selection keeps, in their order.

    Args:
        stems: the files' names without suffix (``"0016E5_07959"``).
        select: a name, a sequence of names, or a callable ``name -> bool``.
        where: what holds the files, for messages (``"CamVid's val split"``).

    Returns:
        The kept stems, a sublist of ``stems``.

    Raises:
        ValueError: for a selected name ``stems`` lacks, or a selection keeping none.

    Example:
        >>> select_stems(["a", "b", "c"], lambda stem: stem > "a", "here")
        ['b', 'c']
    """
    if callable(select):
        kept = [stem for stem in stems if select(stem)]
    else:
        wanted = {select} if isinstance(select, str) else set(select)
        unknown = sorted(wanted - set(stems))
        if unknown:
            shown = ", ".join(unknown[:3]) + (" ..." if len(unknown) > 3 else "")
            raise ValueError(
                f"{where} has no file named {shown}: select file stems (names without "
                f"suffix) such as {stems[0]!r}."
            )
        kept = [stem for stem in stems if stem in wanted]
    if not kept:
        raise ValueError(f"select= keeps none of {where}'s files: select at least one.")
    return kept


def _require_folder(folder: Path, what: str, fix: str) -> None:
    if not folder.is_dir():
        raise FileNotFoundError(f"{what} {folder} does not exist: {fix}")


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def folder_paths(
    images_dir: str | os.PathLike, masks_dir: str | os.PathLike
) -> tuple[list[Path], list[Path]]:
    """Your own data's files: photos in one folder, masks with the same file stems in another.

    ``images/street_01.jpg`` pairs with ``masks/street_01.png``.

    Args:
        images_dir: folder of photos (``IMAGE_SUFFIXES``).
        masks_dir: folder of masks: index PNGs, or colour PNGs (read them with a palette).

    Returns:
        ``(images, masks)``: two lists of ``Path``, sorted by the photos' names, for
        :class:`~fcn_tutorial.datasets.pipeline.SegmentationSequence` to read lazily.

    Raises:
        FileNotFoundError: if a folder does not exist.
        ValueError: for an empty folder, or an image without a mask (or the reverse).
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
    return image_paths, [masks[p.stem] for p in image_paths]


def load_folder(
    images_dir: str | os.PathLike,
    masks_dir: str | os.PathLike,
    palette=None,
    num_classes: int = NUM_CLASSES,
    size: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load your own data: the pairs :func:`folder_paths` finds, read into two arrays.

    Args:
        images_dir: as :func:`folder_paths`.
        masks_dir: as :func:`folder_paths`.
        palette: as :func:`read_mask`.
        num_classes: as :func:`read_mask`.
        size: as :func:`load_pairs`.

    Returns:
        ``(images, masks)``: ``(N, H, W, 3) uint8`` and ``(N, H, W) uint8``.

    Raises:
        FileNotFoundError: if a folder does not exist.
        ValueError: as :func:`folder_paths`, and everything :func:`load_pairs` refuses.
    """
    image_paths, mask_paths = folder_paths(images_dir, masks_dir)
    return load_pairs(image_paths, mask_paths, palette, num_classes, size)
