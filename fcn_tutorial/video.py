"""Video in and out, one frame at a time: what ``fcn-tutorial predict --input clip.mp4`` runs.

Reading and writing go through ``imageio-ffmpeg``, whose wheel ships its own ``ffmpeg``,
so any format that ffmpeg reads works and nothing needs installing. Frames stream: a
video of any length is labelled in constant memory (one frame, its labels and its
picture at a time), and the written file is H.264 in an MP4, the one pairing every
browser and JupyterLab plays. A file is written under a temporary name and renamed
into place, so a killed run never leaves half a video.

Introduced in ``07_self_driving_demo.ipynb`` (the drive, and labelling your own dashcam).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from fcn_tutorial import viz
from fcn_tutorial.classes import KITTI_PALETTE, PALETTE
from fcn_tutorial.files import temporary_path
from fcn_tutorial.training import check_model, load_model, predict_masks

__all__ = [
    "VIDEO_SUFFIXES",
    "is_video",
    "probe_video",
    "read_video",
    "VideoWriter",
    "label_frames",
    "label_video",
]

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")
"""tuple[str, ...]: file suffixes ``fcn-tutorial predict`` treats as video."""


def is_video(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a video by its suffix (:data:`VIDEO_SUFFIXES`)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def _open(path: Path):
    import imageio_ffmpeg

    if not path.is_file():
        raise FileNotFoundError(f"no video file {path}: pass a video such as clip.mp4.")
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(reader)
    except (RuntimeError, OSError, StopIteration) as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = lines[-1][:160] if lines else type(error).__name__
        raise ValueError(
            f"{path} cannot be read as a video ({reason}): pass a video ffmpeg reads, "
            "e.g. an H.264 .mp4 (re-export it from your camera's software)."
        ) from None
    return reader, meta


def probe_video(path: str | os.PathLike) -> dict:
    """What a video file holds, read back as ``ffprobe`` would: codec, frames, size, fps.

    Every frame is decoded to count them (exact, unlike a header's estimate).

    Returns:
        dict: ``codec`` (e.g. ``"h264"``), ``frames``, ``size`` (``(width, height)``),
        ``fps`` and ``duration_s``.

    Raises:
        FileNotFoundError: for a missing file.
        ValueError: for a file that is not a video ffmpeg can read.
    """
    import imageio_ffmpeg

    path = Path(path)
    reader, meta = _open(path)
    reader.close()
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    return {
        "codec": meta.get("codec", "").split()[0],
        "frames": int(frames),
        "size": tuple(meta["size"]),
        "fps": float(meta["fps"]),
        "duration_s": round(float(seconds), 3),
    }


def read_video(path: str | os.PathLike) -> tuple[dict, Iterator[np.ndarray]]:
    """Open a video: its description and an iterator over its ``(H, W, 3) uint8`` frames.

    Raises:
        FileNotFoundError: for a missing file.
        ValueError: for a file ffmpeg cannot read, or a video with no frames (both
            before any frame is handed out).
    """
    path = Path(path)
    reader, meta = _open(path)
    width, height = meta["size"]
    try:
        first = next(reader)
    except StopIteration:
        raise ValueError(f"{path} holds no frames: pass a video with at least one frame.") from None
    except (RuntimeError, OSError) as error:
        raise ValueError(
            f"{path} cannot be decoded ({' '.join(str(error).split())[-160:]}): pass a video "
            "ffmpeg reads, e.g. an H.264 .mp4."
        ) from None

    def frames():
        yield np.frombuffer(first, np.uint8).reshape(height, width, 3)
        for chunk in reader:
            yield np.frombuffer(chunk, np.uint8).reshape(height, width, 3)

    info = {"size": (width, height), "fps": float(meta["fps"]), "codec": meta.get("codec", "")}
    info["frames"] = round(float(meta.get("duration") or 0) * info["fps"]) or None
    return info, frames()


class VideoWriter:
    """Write ``(H, W, 3) uint8`` frames as an H.264 MP4, atomically.

    Use as a context manager: the file appears under its name only when the block ends
    without an error. ``H`` and ``W`` must be even (H.264's 4:2:0 colour).

    Args:
        path: the ``.mp4`` to write.
        size: ``(width, height)`` of every frame.
        fps: frames per second.
        quality: x264's constant rate factor: lower is better and larger (18 looks
            lossless, 23 is ffmpeg's default).
        max_bitrate: a cap on the bitrate, e.g. ``"1M"`` (bits/s), which bounds the file
            size (seconds x bitrate / 8) whatever the footage; ``None``: no cap.
    """

    def __init__(
        self,
        path,
        size: tuple[int, int],
        fps: float,
        quality: int = 23,
        max_bitrate: str | None = None,
    ):
        width, height = size
        if width % 2 or height % 2:
            raise ValueError(f"frames of {width}x{height}: H.264 needs an even width and height.")
        self.path, self.size, self.fps, self.quality = Path(path), (width, height), fps, quality
        self.max_bitrate = max_bitrate
        self.frames = 0

    def __enter__(self) -> VideoWriter:
        import imageio_ffmpeg

        # Written whole or not at all, as files.replacing does; here the file must also
        # hold a frame, and ffmpeg is closed before the rename.
        self.temporary = temporary_path(self.path)
        cap = []
        if self.max_bitrate:
            # A capped constant-quality stream: x264 lowers quality only where it must.
            cap = ["-maxrate", self.max_bitrate, "-bufsize", self.max_bitrate]
        self._writer = imageio_ffmpeg.write_frames(
            str(self.temporary),
            self.size,
            fps=self.fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=2,
            ffmpeg_log_level="error",
            # -movflags +faststart: a browser starts playing before the whole file is in.
            output_params=["-crf", str(self.quality), "-movflags", "+faststart", *cap],
        )
        self._writer.send(None)
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one ``(H, W, 3) uint8`` frame of the writer's size."""
        if frame.shape != (self.size[1], self.size[0], 3):
            raise ValueError(f"a frame of shape {frame.shape}: every frame must be {self.size}.")
        self._writer.send(np.ascontiguousarray(frame, np.uint8))
        self.frames += 1

    def __exit__(self, kind, error, traceback) -> None:
        self._writer.close()
        if kind is None and self.frames:
            os.replace(self.temporary, self.path)
        else:
            self.temporary.unlink(missing_ok=True)


def _resize(image: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    from PIL import Image

    height, width = size
    if image.shape[:2] == (height, width):
        return image
    how = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(image).resize((width, height), how))


def label_frames(
    model, frames, size: tuple[int, int] | None = (360, 480), flip: bool | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Label frames one at a time: each frame is resized to ``size``, labelled, and its
    labels resized back (nearest neighbour) to the frame's own size.

    Args:
        model: an FCN (:func:`~fcn_tutorial.training.check_model`).
        frames: an iterable of ``(H, W, 3) uint8``.
        size: ``(height, width)`` the model sees (its training size: CamVid's 360x480);
            ``None`` labels each frame at its own size.
        flip: test-time flip averaging (``None``: ``predict_masks``'s default).

    Yields:
        ``(frame, labels)``: the frame and its ``(H, W) uint8`` labels.
    """
    for frame in frames:
        seen = frame if size is None else _resize(frame, size)
        labels = predict_masks(model, seen, flip=flip)
        yield frame, _resize(labels, frame.shape[:2], nearest=True)


def label_video(
    model_path,
    input_path,
    output_path,
    overlay: bool = False,
    size: tuple[int, int] | None = (360, 480),
    flip: bool | None = None,
    log=print,
) -> dict:
    """Label every frame of a video and write the result as an H.264 MP4.

    The output keeps the input's frame rate and size (rounded down to even): each frame
    becomes its class colours, or with ``overlay`` the colours blended over the frame. A
    progress bar shows frames/s; at the end one line gives ms/frame.

    Args:
        model_path: a ``.keras`` file that ``train`` wrote.
        input_path: any video ffmpeg reads.
        output_path: the ``.mp4`` to write.
        overlay: blend the colours over the frame rather than draw them alone.
        size: ``(height, width)`` each frame is labelled at, as :func:`label_frames`.
        flip: test-time flip averaging.
        log: called with the closing line.

    Returns:
        dict: ``frames``, ``fps``, ``size`` (``(width, height)``), ``ms_per_frame``
        (labelling and drawing, decoding and encoding included) and ``path``.

    Raises:
        FileNotFoundError, ValueError: for a missing model or video, a video ffmpeg
            cannot read or with no frames, or an output that is not an ``.mp4``, all
            before anything is written.
    """
    from tqdm.auto import tqdm

    output_path = Path(output_path)
    if output_path.suffix.lower() != ".mp4" or output_path.is_dir():
        raise ValueError(f"output={output_path} is not an .mp4 file: pass e.g. labelled.mp4.")
    model = load_model(model_path)
    classes = check_model(model)
    palette = KITTI_PALETTE if classes == 2 else PALETTE
    info, frames = read_video(input_path)
    width, height = (side - side % 2 for side in info["size"])
    started = time.perf_counter()
    progress = tqdm(total=info["frames"], unit="frame", desc=Path(input_path).name)
    with VideoWriter(output_path, (width, height), info["fps"]) as writer:
        for frame, labels in label_frames(model, frames, size, flip):
            photo = frame if overlay else np.zeros_like(frame)
            painted = viz.paint_labels(photo, labels, palette, opacity=0.5 if overlay else 1.0)
            writer.write(painted[:height, :width])
            progress.update()
    progress.close()
    ms = (time.perf_counter() - started) * 1e3 / max(writer.frames, 1)
    log(f"{input_path} -> {output_path}: {writer.frames} frames, {ms:.1f} ms/frame")
    return {
        "frames": writer.frames,
        "fps": info["fps"],
        "size": (width, height),
        "ms_per_frame": round(ms, 2),
        "path": output_path,
    }
