"""The self-driving-car demo end to end: ``make demo``, ``fcn-tutorial demo`` and notebook 07.

One call picks a profile from the hardware, finds the data, trains (or resumes, or reuses
a finished run), evaluates, and writes what a reader wants to see into the run's folder::

    from fcn_tutorial import demo
    summary = demo.run_demo(out="runs/demo")   # cpu or gpu profile, CamVid when it can
    summary["metrics"]["mean_iu"], summary["files"]["drive"]

The pieces are separate functions so ``07_self_driving_demo.ipynb`` can show each step:
:func:`check_hardware`, :func:`demo_config`, :func:`find_data`, :func:`drive_frames`,
:func:`save_drive`; the drawing is :func:`fcn_tutorial.viz.plot_gallery`, the timing
:func:`fcn_tutorial.speed.forward_speed`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from pathlib import Path

import numpy as np

from fcn_tutorial import datasets, hardware, speed, viz
from fcn_tutorial.models import WeightsUnavailableError, load_imagenet_backbone
from fcn_tutorial.scores import per_image_mean_iu
from fcn_tutorial.training import (
    PROFILES,
    Run,
    TrainConfig,
    json_default,
    load_data,
    predict_masks,
    train,
    write_json,
)
from fcn_tutorial.workspace import tutorial_folder

__all__ = [
    "RUN_DIR",
    "RESULTS_FILE",
    "PAPER_MS_PER_IMAGE",
    "PUBLISHED_CAMVID",
    "check_hardware",
    "batch_size_for_memory",
    "demo_config",
    "find_data",
    "drive_frames",
    "save_drive",
    "run_demo",
    "write_results",
    "drive_figure",
]

ROOT = tutorial_folder()
"""Path: the tutorial folder (:func:`fcn_tutorial.workspace.tutorial_folder`)."""
RUN_DIR = ROOT / "runs" / "demo"
"""Path: the run ``make demo`` trains and notebook 07 reuses (not committed)."""
RESULTS_FILE = ROOT / "results" / "demo.json"
"""Path: the committed summary of the ``cpu``-profile demo run that notebook 07 quotes."""

PAPER_MS_PER_IMAGE = 175
"""int: the FCN paper's inference time for a typical image, about 175 ms (on a 2014 GPU)."""

PUBLISHED_CAMVID = {
    # SegNet, TPAMI 2017, Table 3 (CamVid 11 classes, test set): class average accuracy,
    # global (pixel) accuracy and mean IoU, in percent.
    "FCN (learnt deconvolution)": {"mean_iu": 51.96},
    "SegNet": {"mean_iu": 60.10},
}
"""dict: published CamVid mean IU (percent) to put a run's numbers in context."""

# Rough training memory per 352x480 image at 16 bits, backbone by backbone (activations
# and their gradients dominate): what batch_size_for_memory budgets with.
_GIB_PER_IMAGE = {"vgg16": 1.5, "mobilenet": 0.5, "mobilenetv2": 0.6}


def check_hardware() -> dict:
    """What the demo will run on, and the profile that suits it.

    Returns:
        dict: :func:`fcn_tutorial.hardware.describe` plus ``profile`` (``"gpu"`` or
        ``"cpu"``, the :data:`~fcn_tutorial.training.PROFILES` entry).
    """
    machine = hardware.describe()
    return {**machine, "profile": machine["device"]}


def batch_size_for_memory(memory_gib: float | None, backbone: str, default: int = 8) -> int:
    """The largest power-of-two batch (4 to 32) whose training fits in half the memory.

    Half, because the backend's allocator, the optimizer state and fragmentation take
    their share. A rough budget, not a measurement: lower it if you see out-of-memory.

    Example:
        >>> batch_size_for_memory(80, "vgg16"), batch_size_for_memory(16, "vgg16")
        (16, 4)
        >>> batch_size_for_memory(None, "vgg16")
        8
    """
    if not memory_gib:
        return default
    fits = memory_gib / 2 / _GIB_PER_IMAGE[backbone]
    return int(min(32, max(4, 2 ** math.floor(math.log2(max(fits, 1))))))


def _imagenet_available(backbone: str, alpha: float) -> bool:
    try:
        load_imagenet_backbone(backbone, alpha, include_top=backbone == "vgg16")
    except WeightsUnavailableError:
        return False
    return True


def find_data(download: bool = True) -> tuple[dict, str]:
    """Where the demo's street scenes come from, and a sentence saying so.

    Real CamVid wherever :func:`~fcn_tutorial.datasets.locate_camvid` finds it; else a
    download (when ``download`` and there is a network); else the synthetic street, with
    a notice saying what failed and how to get the real data.

    Returns:
        ``(fields, notice)``: :class:`~fcn_tutorial.training.TrainConfig` fields for the
        data, and one line for the reader.
    """
    synthetic = {"dataset": "synthetic", "image_size": (360, 480), "num_train": 367, "num_val": 101}
    root = datasets.locate_camvid()
    if root is not None:
        return {
            "dataset": "camvid",
            "data_root": str(root),
        }, f"Data: real CamVid, read from {root}."
    if not download:
        return synthetic, "Data: synthetic street scenes (downloading was not allowed)."
    try:
        root = datasets.download_camvid(("train", "val"))
    except (ConnectionError, FileNotFoundError, OSError) as error:
        reason = str(error).splitlines()[0][:200]
        return synthetic, (
            f"Data: synthetic street scenes, because CamVid could not be had ({reason}). "
            "Run `fcn-tutorial download camvid` when online, then rerun."
        )
    fields = {"dataset": "camvid", "data_root": str(root)}
    return fields, "Data: real CamVid, downloaded and verified just now."


def demo_config(
    profile: str | None = None, out: str | os.PathLike = RUN_DIR, download: bool = True, **overrides
) -> tuple[TrainConfig, list[str]]:
    """The :class:`~fcn_tutorial.training.TrainConfig` the demo trains, and notices.

    ``profile=None`` picks from :func:`check_hardware`: ``gpu`` (VGG16 FCN-8s in bfloat16,
    the batch sized to the GPU's memory, MobileNet when VGG16's ImageNet weights cannot be
    had) or ``cpu`` (MobileNet α=0.25 FCN-8s). ``quick`` is a minute-long synthetic run.

    Args:
        profile: ``"quick"``, ``"cpu"``, ``"gpu"`` or ``None`` (from the hardware).
        out: the run's folder.
        download: try to download CamVid when no copy is found.
        **overrides: any other :class:`~fcn_tutorial.training.TrainConfig` field.

    Returns:
        ``(config, notices)``: the config (with ``resume=True``) and lines for the reader.
    """
    machine = check_hardware()
    profile = profile or machine["profile"]
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: use one of {list(PROFILES)}.")
    notices = [
        f"Hardware: {machine['device_name']} ({machine['backend']} backend); profile {profile}."
    ]
    chosen = {"out": str(out), "resume": True}
    if profile != "quick" and "dataset" not in overrides:
        fields, notice = find_data(download)
        chosen.update(fields)
        notices.append(notice)
    if profile == "gpu" and "backbone" not in overrides:
        if not _imagenet_available("vgg16", 1.0):
            chosen.update(backbone="mobilenet", alpha=0.25)
            notices.append("VGG16's ImageNet weights are unavailable: using MobileNet α=0.25.")
        backbone = chosen.get("backbone", PROFILES["gpu"]["backbone"])
        chosen["batch_size"] = batch_size_for_memory(machine["memory_gib"], backbone)
    elif profile == "cpu" and machine["device"] == "cpu":
        notices.append(
            "No GPU: the cpu profile trains MobileNet α=0.25 (not the paper's VGG16) in "
            "float32, about 20 minutes on 2 cores; a rerun resumes or reuses the checkpoint."
        )
    # What the caller passes wins over what the hardware and the data suggested.
    config = TrainConfig.from_profile(profile, **{**chosen, **overrides})
    if config.weights == "imagenet" and not _imagenet_available(config.backbone, config.alpha):
        notices.append(
            f"ImageNet weights for {config.backbone} could not be had (no network, no cached "
            "copy): training from random weights, so expect a far lower mean IU. Connect once "
            "(Keras caches them in $KERAS_HOME/models) and delete the run folder to redo it."
        )
        config = dataclasses.replace(config, weights=None)
    return config, notices


def drive_frames(config: TrainConfig, count: int = 24) -> tuple[np.ndarray, np.ndarray, str]:
    """Consecutive frames to label: CamVid's (test, else val) in file-name order, or the
    synthetic drive. Only the frames shown are read.

    Returns:
        ``(frames, masks, source)``: ``(count, H, W, 3) uint8``, ``(count, H, W) uint8``
        and a description.
    """
    if config.dataset == "camvid":
        for split in ("test", "val"):
            try:
                frames = datasets.load_split(
                    "camvid", split, root=config.data_root, count=count, download=False
                )
            except (FileNotFoundError, ValueError):  # this split is missing or damaged here
                continue
            return frames.images, frames.masks, f"CamVid {split}, frames in file-name order"
    height, width = config.image_size or (360, 480)
    frames, masks = datasets.synthetic_drive(count, height, width, seed=config.seed + 2)
    return frames, masks, "the synthetic drive"


def save_drive(frames, predictions, path, masks=None, scale: float = 0.5, fps: int = 4) -> Path:
    """Write the drive as a GIF: the prediction overlaid on each frame (and the labels).

    Footage needs more than the 64 colours of the figure animations: each frame gets
    its own 256-colour median-cut palette, without dithering, so the file is the same on
    every run.

    Args:
        frames: ``(N, H, W, 3) uint8``.
        predictions: ``(N, H, W)`` labels.
        path: the ``.gif`` to write.
        masks: optional ``(N, H, W)`` ground truth, drawn on the left.
        scale: size of the saved frames relative to the input.
        fps: frames per second.
    """
    from PIL import Image

    pictures = []
    for k, frame in enumerate(frames):
        panels = [viz.paint_labels(frame, predictions[k], opacity=0.5)]
        if masks is not None:
            panels.insert(0, viz.paint_labels(frame, masks[k], opacity=0.5))
        picture = Image.fromarray(np.concatenate(panels, axis=1))
        size = (round(picture.width * scale), round(picture.height * scale))
        picture = picture.resize(size, Image.Resampling.BILINEAR)
        pictures.append(
            picture.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        )
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    pictures[0].save(
        temporary, format="GIF", save_all=True, append_images=pictures[1:],
        duration=round(1000 / fps), loop=0,
    )  # fmt: skip
    os.replace(temporary, path)
    return path


def run_demo(
    profile: str | None = None, out: str | os.PathLike = RUN_DIR, download: bool = True, **overrides
) -> dict:
    """Train or resume, evaluate, and write overlays, the drive and ``summary.json``.

    Arguments as :func:`demo_config`.

    Returns:
        dict: the training summary plus ``hardware``, ``notices``, ``speed``, ``drive``
        (its source), ``per_image_mean_iu`` and ``files`` (what was written, by name).
    """
    started = time.perf_counter()
    config, notices = demo_config(profile, out, download, **overrides)
    for line in notices:
        print(line, flush=True)
    summary = train(dataclasses.replace(config, verbose=2 if config.verbose else 0))
    run = Run(out)
    model = run.best_model()
    train_split, val_split = load_data(config)
    names = list(val_split.class_names)
    predictions = predict_masks(model, val_split.images, config.batch_size)
    scores = per_image_mean_iu(val_split.masks, predictions, len(names))
    files = {"summary": run.file("summary.json"), "gallery": run.file("gallery.png")}
    fig, picks = viz.plot_gallery(val_split.images, val_split.masks, predictions, scores)
    fig.savefig(files["gallery"])
    frames, frame_masks, source = drive_frames(config, 8 if config.profile == "quick" else 24)
    files["drive"] = save_drive(
        frames, predict_masks(model, frames), run.file("drive.gif"), frame_masks
    )
    height, width = val_split.images.shape[1:3]
    shares = datasets.class_frequencies(train_split.masks, len(names))
    summary.update(
        hardware=check_hardware(),
        notices=notices,
        speed=speed.forward_speed(model, height, width, batch_size=min(8, config.batch_size)),
        drive=source,
        class_shares={name: round(float(share), 6) for name, share in zip(names, shares)},
        per_image_mean_iu=[round(float(s), 4) for s in scores],
        gallery=picks,
        demo_wall_time_s=round(time.perf_counter() - started, 1),
        files={name: str(path) for name, path in files.items()},
    )
    run.write_json("summary.json", summary)
    _print_outcome(summary)
    return summary


def _print_outcome(summary: dict) -> None:
    metrics, baseline = summary["metrics"], summary["baseline"]
    print(
        f"val mean IU {metrics['mean_iu']:.3f}, pixel accuracy {metrics['pixel_accuracy']:.3f} "
        f"(every-pixel-{baseline['predictor'].split()[-1]}: {baseline['mean_iu']:.3f}); "
        f"{summary['speed']['ms_per_frame']:.1f} ms/frame; "
        f"{summary['demo_wall_time_s']:.0f} s in all",
        flush=True,
    )
    for name, path in summary["files"].items():
        print(f"  {name:8} {path}", flush=True)


def write_results(summary: dict, path: str | os.PathLike = RESULTS_FILE) -> Path:
    """Write a demo summary as a results file, with folders relative to the tutorial folder."""
    prefix = json.dumps(f"{ROOT}{os.sep}")[1:-1]  # as JSON writes it (Windows: \\ twice)
    text = json.dumps(summary, default=json_default).replace(prefix, "")
    return write_json(json.loads(text), path)


def drive_figure(path: str | os.PathLike, run_dir: str | os.PathLike = RUN_DIR) -> Path:
    """Write the drive GIF of a finished demo run (``make demo``) to ``path``.

    Raises:
        FileNotFoundError: when ``run_dir`` holds no finished run, saying how to make it.
    """
    run = Run(run_dir)
    summary = run.summary
    if summary is None:
        raise FileNotFoundError(
            f"no {run.file('summary.json')}: run `make demo` (or demo.run_demo()) first."
        )
    config = TrainConfig(**{**summary["config"], "profile": summary["profile"]})
    model = run.best_model()
    frames, masks, _ = drive_frames(config, 8 if config.profile == "quick" else 24)
    return save_drive(frames, predict_masks(model, frames), path, masks)
