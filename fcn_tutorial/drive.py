"""The drive: a trained FCN labelling CamVid's test drives, frame after frame, as an MP4.

CamVid's test split is two stretches of real driving: ``Seq05VD`` (171 frames, daylight,
a drive the training set never saw) and ``0001TP`` (62 frames at dusk, one a second: the
minute of that drive right after the training set's 62 frames of it); their file names
(``Seq05VD_f00000.png`` ...) put the frames in driving order. :func:`render_drive` labels
them one at a time and writes each frame as three panels (camera | prediction | errors
against the labels) with a frame counter, the frame's mean IU, a sparkline of it so far
and the measured ms/frame (:func:`fcn_tutorial.speed.forward_speed`, the demo's one
measurement), as H.264, plus a small animated WebP preview from the same frames for
pages that cannot play video::

    from fcn_tutorial import drive, training
    model = training.load_model("runs/demo/best.keras")
    pairs = drive.drive_sources("Seq05VD")
    drive.render_drive(model, drive.read_frames(pairs), "drive.mp4", count=len(pairs),
                       ms_per_frame=19.4)

``fcn-tutorial drive`` and the demo's drive step run it. Introduced in
``07_self_driving_demo.ipynb``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from fcn_tutorial import datasets
from fcn_tutorial.files import replacing
from fcn_tutorial.predict import image_inputs
from fcn_tutorial.scores import per_image_mean_iu
from fcn_tutorial.training import predict_masks
from fcn_tutorial.video import VideoWriter
from fcn_tutorial.viz.drive import drive_frame

__all__ = [
    "SEQUENCES",
    "DRIVE_FPS",
    "PREVIEW_WIDTH",
    "PREVIEW_LIMIT",
    "drive_sources",
    "read_frames",
    "render_drive",
    "save_preview",
]

SEQUENCES = {
    "Seq05VD": "171 frames of a daytime drive the training set never saw",
    "0001TP": "62 frames at dusk, the minute after the training set's 62 of this drive",
}
"""dict: CamVid's test drives, by the prefix of their file names, in the demo's order."""
DRIVE_FPS = 4
"""int: frames per second of the drive video (CamVid labels a frame every second or so,
so the video runs about four times faster than the car drove)."""
PREVIEW_WIDTH = 480
"""int: the preview's width in pixels (a third of the video's, one panel's)."""
PREVIEW_LIMIT = 1_000_000
"""int: the preview's largest size in bytes (README pages load it)."""


def drive_sources(sequence: str, root=None) -> list[tuple[Path, Path | None]]:
    """The frames of a drive, in order, each with its label file where there is one.

    Args:
        sequence: ``"Seq05VD"`` or ``"0001TP"`` (CamVid test), ``"test"`` (both, in
            that order), or a folder of images in file-name order; a sibling folder
            ``NAMEannot`` with masks of the same names gives the errors panel its labels.
        root: the CamVid folder (default: wherever ``locate_camvid`` finds the test split).

    Returns:
        ``[(image_path, mask_path or None), ...]``.

    Raises:
        FileNotFoundError: when CamVid's test split is not here, saying how to get it.
        ValueError: for a sequence that is none of these, or an empty folder.
    """
    if sequence in (*SEQUENCES, "test"):
        found = datasets.locate_camvid(root, splits="test")
        if found is None:
            raise FileNotFoundError(
                "CamVid's test split is not here: run `fcn-tutorial download camvid` (or pass "
                "--data-root), or pass a folder of your own frames."
            )
        chosen = tuple(SEQUENCES) if sequence == "test" else (sequence,)
        pairs = []
        for name in chosen:
            images, masks = datasets.camvid_paths(
                "test", found, download=False, select=lambda stem, n=name: stem.startswith(n)
            )
            pairs += list(zip(images, masks, strict=True))
        return pairs
    folder = Path(sequence)
    if not folder.is_dir():
        raise ValueError(
            f"sequence {sequence!r} is not a drive: pass {', '.join(SEQUENCES)}, test, or a "
            "folder of frames."
        )
    labels = folder.parent / f"{folder.name}annot"
    pairs = []
    for image in image_inputs(folder):
        mask = labels / f"{image.stem}.png"
        pairs.append((image, mask if mask.is_file() else None))
    return pairs


def read_frames(pairs: list[tuple[Path, Path | None]]):
    """Read :func:`drive_sources`'s files one pair at a time, for :func:`render_drive`.

    Yields:
        ``(image, mask or None, name)``: ``(H, W, 3) uint8``, ``(H, W) uint8``, the stem.
    """
    for image_path, mask_path in pairs:
        mask = None if mask_path is None else datasets.read_mask(mask_path)
        yield datasets.read_image(image_path), mask, Path(image_path).stem


def save_preview(pictures: list, path, fps: float, limit: int = PREVIEW_LIMIT) -> Path:
    """Write Pillow images as an animated WebP no larger than ``limit`` bytes.

    Every second picture is dropped (and the frame time doubled) until it fits.
    """
    path = Path(path)
    with replacing(path) as temporary:
        step = 1
        while True:
            chosen = pictures[::step]
            chosen[0].save(
                temporary, format="WEBP", save_all=True, append_images=chosen[1:],
                duration=round(1000 * step / fps), loop=0, quality=60, method=4,
            )  # fmt: skip
            if temporary.stat().st_size <= limit or len(chosen) <= 2:
                break
            step *= 2
    return path


def _title(index: int, count: int, name: str) -> str:
    return f"{name.split('_')[0]}  frame {index + 1}/{count}"


def render_drive(
    model,
    frames,
    output,
    *,
    count: int,
    ms_per_frame: float | None,
    preview=None,
    fps: float = DRIVE_FPS,
    flip: bool | None = None,
    quality: int = 30,
    class_names=datasets.CLASS_NAMES,
) -> dict:
    """Label each frame of a drive and write the three-panel video (and its preview).

    One frame is read, labelled, drawn (:func:`fcn_tutorial.viz.drive.drive_frame`) and
    encoded at a time; the preview keeps a 480-pixel-wide copy of every frame.

    Args:
        model: an FCN.
        frames: an iterable of ``(image, mask or None, name)``, e.g.
            ``read_frames(drive_sources("Seq05VD"))``.
        count: how many frames it yields (the counter's and the sparkline's total).
        output: the ``.mp4`` to write.
        ms_per_frame: the measured forward time shown on every frame (the demo's
            ``summary["speed"]["ms_per_frame"]``), or ``None``.
        preview: the ``.webp`` to write from the same frames, or ``None``.
        fps: the video's frames per second.
        flip: test-time flip averaging (``None``: ``predict_masks``'s default).
        quality: x264's CRF (higher: smaller and blurrier); 30 keeps the 233-frame
            drive under 8 MB.
        class_names: one name per class, for the legend.

    Returns:
        dict: ``frames``, ``mean_iu`` (per frame, ``None`` without labels),
        ``render_s``, ``video`` and ``preview`` (paths), ``video_bytes``,
        ``preview_bytes``.
    """
    from PIL import Image

    if count < 1:
        raise ValueError("the drive has no frames: pass a sequence with at least one.")
    started = time.perf_counter()
    scores, small = [], []
    # The cap keeps the 233-frame drive (58 s at 4 frames/s) under 8 MB whatever it shows.
    with VideoWriter(output, (1440, 432), fps, quality=quality, max_bitrate="1M") as writer:
        for index, (image, mask, name) in enumerate(frames):
            prediction = predict_masks(model, image, flip=flip)
            score = math.nan
            if mask is not None:
                score = float(per_image_mean_iu(mask[None], prediction[None], len(class_names))[0])
            scores.append(score)
            picture = drive_frame(
                image, prediction, mask, title=_title(index, count, name),
                mean_ius=scores, total=count, ms_per_frame=ms_per_frame,
                class_names=class_names,
            )  # fmt: skip
            writer.write(picture)
            if preview is not None:
                height = round(picture.shape[0] * PREVIEW_WIDTH / picture.shape[1])
                small.append(Image.fromarray(picture).resize((PREVIEW_WIDTH, height)))
    result = {
        "frames": writer.frames,
        "mean_iu": [None if s != s else round(s, 4) for s in scores],
        "render_s": round(time.perf_counter() - started, 1),
        "video": Path(output),
        "video_bytes": Path(output).stat().st_size,
    }
    if preview is not None:
        result["preview"] = save_preview(small, preview, fps)
        result["preview_bytes"] = result["preview"].stat().st_size
    return result
