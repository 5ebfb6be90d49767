"""Label your own photos with a trained FCN: what ``fcn-tutorial predict`` runs.

Each image gets a PNG of class indices at its exact size (``OUTPUT/STEM.png``) and, if
asked, the classes painted over it (``OUTPUT/overlays/STEM.png``: a folder of their own,
so an overlay's name never meets an input's or a mask's). Before any file is written the
model's contract is checked (:func:`~fcn_tutorial.training.check_model`), the names
checked for collisions and the palette for colours enough; an image that cannot be read
is reported and skipped, the others labelled, and the run then fails naming the ones
skipped. Files are written under a temporary name and renamed into place, so a killed
run leaves whole PNGs only.

Memory: an image larger than :data:`TILE_SIZE` on a side is labelled in overlapping
windows (:func:`predict_tiled`), so the network never holds more than one window;
the labels are the ones the whole image would get.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from fcn_tutorial import viz
from fcn_tutorial.classes import KITTI_PALETTE, PALETTE
from fcn_tutorial.datasets import read_image
from fcn_tutorial.datasets.folders import IMAGE_SUFFIXES
from fcn_tutorial.files import replacing
from fcn_tutorial.models import receptive_reach
from fcn_tutorial.training import check_model, load_model, predict_masks

__all__ = [
    "OVERLAYS",
    "TILE_SIZE",
    "UnreadableImagesError",
    "image_inputs",
    "predict_images",
    "predict_tiled",
    "tile_windows",
]

OVERLAYS = "overlays"
"""str: the subfolder of the output folder that holds the overlays."""

TILE_SIZE = 1536
"""int: the side, in pixels, of the windows :func:`predict_tiled` labels a large image in.

Images up to this size on both sides (CamVid's 360×480, KITTI's 375×1242) go through the
network whole, as before tiling. Measured with ``benchmarks/predict_memory.py`` (the quick
profile's MobileNet α=0.25 FCN-8s, TensorFlow, 2 shared CPU cores), peak RSS and time:

==============  ==================  ==================  ==================
photo           windows of 1024     windows of 1536     whole
==============  ==================  ==================  ==================
2000×1500                           1.82 GiB, 5.5 s
4000×3000       1.16 GiB, 30 s      1.76 GiB, 18 s      6.76 GiB, 20 s
8000×6000                           1.91 GiB, 48 s
==============  ==================  ==================  ==================

(0.62 GiB of each is Python, TensorFlow and the model.) Windows of 1536 cost
no time against the whole photo; 1024 halves the windows' memory for 1.6 times the time.
"""


class UnreadableImagesError(ValueError):
    """Some input images could not be read; the others were labelled.

    Attributes:
        failed: ``[(path, message), ...]`` for each image skipped.
        written: the mask files written for the others.
    """

    def __init__(self, message: str, failed: list, written: list):
        super().__init__(message)
        self.failed, self.written = failed, written


def image_inputs(path: str | Path) -> list[Path]:
    """The images to label: ``path`` itself, or the images in the folder ``path``.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        ValueError: for a folder with no images, naming the suffixes looked for.
    """
    path = Path(path)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not found:
            raise ValueError(f"{path} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
        return found
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder {path}: pass an image or a folder.")
    return [path]


def tile_windows(length: int, tile_size: int, halo: int) -> list[tuple[int, int, int, int]]:
    """Overlapping windows along one side of an image, each with the part it keeps.

    Windows are ``tile_size`` long (the last may be shorter), one every
    ``tile_size - 2 * halo`` pixels; each keeps what lies ``halo`` or more from its inner
    edges (the image's own edges need no halo), and the kept parts cover ``0 .. length``
    once. With ``tile_size`` and ``halo`` multiples of the model's alignment, every window
    starts on its stride grid.

    Args:
        length: the image's height or width.
        tile_size: the windows' length.
        halo: context each kept pixel needs on either side (:class:`~fcn_tutorial.models.Reach`).

    Returns:
        ``[(start, stop, keep_start, keep_stop), ...]`` in image pixels; one window
        ``(0, length, 0, length)`` when ``length <= tile_size``.

    Raises:
        ValueError: when ``tile_size`` leaves nothing to keep once the halo is cut.

    Example:
        >>> tile_windows(1000, 512, 128)
        [(0, 512, 0, 384), (256, 768, 384, 640), (512, 1000, 640, 1000)]
    """
    if length <= tile_size:
        return [(0, length, 0, length)]
    if tile_size <= 2 * halo:
        raise ValueError(
            f"tile_size={tile_size} keeps nothing of a window once the model's halo of "
            f"{halo} pixels is cut from both sides: pass tile_size={2 * halo + 512} or more."
        )
    windows, keep = [], 0
    while keep < length:
        start = max(0, keep - halo)
        stop = min(length, start + tile_size)
        keep_stop = length if stop == length else stop - halo
        windows.append((start, stop, keep, keep_stop))
        keep = keep_stop
    return windows


def predict_tiled(
    model, image: np.ndarray, tile_size: int = TILE_SIZE, flip: bool | None = None
) -> np.ndarray:
    """Class indices of a photo of any size, in overlapping windows of bounded size.

    Memory bound: the network sees at most one ``tile_size × tile_size`` window at a time
    (rounded up to the model's alignment, 32 for :func:`build_fcn` models), so its
    activations are those of a ``tile_size``-sized image whatever the photo's size (about
    500 bytes a window pixel for the quick profile's FCN-8s: 1.2 GB at 1536); beyond them
    memory grows with the photo only by the photo and its mask, 4 bytes a pixel
    (:data:`TILE_SIZE` has the measurements). An image no larger than ``tile_size`` on
    either side goes through whole, as :func:`~fcn_tutorial.training.predict_masks`.

    Exactness: each window reaches :func:`~fcn_tutorial.models.receptive_reach`'s halo
    past the part it keeps and starts on the model's stride grid, so every kept pixel's
    whole receptive field (zero padding included) is inside its window, and the window
    computes the very sums the whole image would: the labels agree exactly, barring
    float rounding that may differ between convolution sizes (a tie in the last bit). A
    model whose reach cannot be read (a global pooling inside, say) goes through whole,
    with a warning that its memory is not bounded.

    Args:
        model: an FCN, as :func:`~fcn_tutorial.training.check_model` checks.
        image: ``(H, W, 3)`` uint8 or float in ``0 .. 255``.
        tile_size: the windows' side in pixels.
        flip: test-time flip averaging, as :func:`~fcn_tutorial.training.predict_masks`
            (a mirrored window is another window: large photos get it window by window).

    Returns:
        ``(H, W) uint8`` class indices.

    Raises:
        ValueError: for a ``tile_size`` too small for the model's halo, and as
            :func:`~fcn_tutorial.training.predict_masks`.
    """
    height, width = image.shape[:2]
    if height <= tile_size and width <= tile_size:
        return predict_masks(model, image, flip=flip)
    try:
        reach = receptive_reach(model)
    except ValueError as error:
        warnings.warn(
            f"labelling a {height}x{width} image whole, so its memory is not bounded: the "
            f"model's reach cannot be read ({error}).",
            UserWarning,
            stacklevel=2,
        )
        return predict_masks(model, image, flip=flip)
    tile = -(-tile_size // reach.alignment) * reach.alignment
    rows = tile_windows(height, tile, reach.halo)
    columns = tile_windows(width, tile, reach.halo)
    mask = np.empty((height, width), np.uint8)
    for top, bottom, keep_top, keep_bottom in rows:
        for left, right, keep_left, keep_right in columns:
            window = predict_masks(model, image[top:bottom, left:right], flip=flip)
            mask[keep_top:keep_bottom, keep_left:keep_right] = window[
                keep_top - top : keep_bottom - top, keep_left - left : keep_right - left
            ]
    return mask


def _check_tile_size(model, tile_size: int) -> None:
    if tile_size < 1:
        raise ValueError(f"tile_size={tile_size}: pass a positive size, e.g. {TILE_SIZE}.")
    try:
        halo = receptive_reach(model).halo
    except ValueError:
        return  # predict_tiled says so, if an image is large enough to need windows
    tile_windows(tile_size + 1, tile_size, halo)  # raises if nothing would be kept


def _check_outputs(paths: list[Path], output: Path, overlay: bool) -> None:
    if output.exists() and not output.is_dir():
        raise ValueError(
            f"output={output} is a file, not a folder: pass a folder for the masks (made if "
            f"missing), e.g. output={output.with_suffix('')}_masks."
        )
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        raise ValueError(
            "the inputs hold images with the same stem (e.g. a.jpg and a.png), whose masks "
            "would overwrite each other: rename one."
        )
    for path in paths:
        targets = [output / f"{path.stem}.png"]
        if overlay:
            targets.append(output / OVERLAYS / f"{path.stem}.png")
        for target in targets:
            if target.resolve() == path.resolve():
                raise ValueError(
                    f"writing {target} would overwrite the input {path}: write elsewhere, "
                    f"e.g. output={output}_masks."
                )


def _overlay_palette(classes: int) -> np.ndarray:
    palette = KITTI_PALETTE if classes == 2 else PALETTE
    if classes > len(palette):
        raise ValueError(
            f"the model has {classes} classes but the palette only {len(palette)} colours "
            "to paint them with: write the masks without overlays (they need no colours)."
        )
    return palette


def _make_folders(output: Path, overlay: bool) -> None:
    folders = [output, output / OVERLAYS] if overlay else [output]
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ValueError(
                f"cannot make the folder {folder} ({error.strerror or error}): pass a folder "
                "that can be made and written to, e.g. output=masks."
            ) from None
        for stale in folder.glob(".*.tmp.png"):  # left by a killed run
            stale.unlink(missing_ok=True)


def _save_png(array: np.ndarray, path: Path) -> None:
    from PIL import Image

    with replacing(path) as temporary:
        Image.fromarray(array).save(temporary, format="PNG")


def _print_error(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _unreadable(failed: list, written: list, total: int, output: Path) -> UnreadableImagesError:
    names = ", ".join(path.name for path, _ in failed[:3]) + (" ..." if len(failed) > 3 else "")
    return UnreadableImagesError(
        f"{len(failed)} of {total} images could not be read: {names} (each reported "
        f"above); the other {len(written)} are labelled in {output}. Re-export or remove "
        "the unreadable ones and run again.",
        failed,
        written,
    )


def predict_images(
    model_path,
    inputs,
    output,
    overlay: bool = False,
    tile_size: int = TILE_SIZE,
    log=print,
    log_error=_print_error,
    flip: bool | None = None,
) -> list[Path]:
    """Write a class-index PNG (and an overlay) for each input image.

    Every check that concerns the whole run comes before the first file: the output
    folder, names that would collide, the model's contract (:func:`check_model`) and,
    with ``overlay``, a colour per class. An image that cannot be read is reported
    through ``log_error`` and skipped; the others are labelled; then, if any was
    skipped, :class:`UnreadableImagesError` says how many. A single input image that
    cannot be read raises its own error.

    Memory: at most one ``tile_size``-sided window is in the network at a time
    (:func:`predict_tiled`); the image, its mask and its overlay add 7 bytes a pixel.

    Args:
        model_path: a ``.keras`` file that ``train`` wrote.
        inputs: an image or a folder of images.
        output: the folder for ``STEM.png`` (and ``overlays/STEM.png``); made if missing.
        overlay: also paint the classes over each image.
        tile_size: the side of the windows a large image is labelled in.
        log: called with one line per image written.
        log_error: called with one line per image skipped (default: print to stderr).
        flip: test-time flip averaging (``None``: :data:`~fcn_tutorial.training.FLIP`).

    Returns:
        list[Path]: the mask files written.

    Raises:
        FileNotFoundError, ValueError: for a missing or broken model, a model that is
            not an FCN, an output that is a file, names that would collide, or an
            overlay the palette cannot colour, all before any file is written.
        UnreadableImagesError: after the others are written, when images were skipped.
    """
    paths = image_inputs(inputs)
    output = Path(output)
    _check_outputs(paths, output, overlay)
    model = load_model(model_path)
    classes = check_model(model)
    _check_tile_size(model, tile_size)
    palette = _overlay_palette(classes) if overlay else None
    _make_folders(output, overlay)
    written, failed = [], []
    for path in paths:
        try:
            image = read_image(path)
        except (ValueError, OSError) as error:
            if len(paths) == 1:
                raise
            failed.append((path, str(error)))
            log_error(f"skipped {path.name}: {' '.join(str(error).split())}")
            continue
        mask = predict_tiled(model, image, tile_size, flip)
        _save_png(mask, output / f"{path.stem}.png")
        if overlay:
            painted = viz.paint_labels(image, mask, palette=palette)
            _save_png(painted, output / OVERLAYS / f"{path.stem}.png")
        written.append(output / f"{path.stem}.png")
        log(f"{path} -> {written[-1]} ({mask.shape[0]}x{mask.shape[1]})")
    if failed:
        raise _unreadable(failed, written, len(paths), output)
    return written
