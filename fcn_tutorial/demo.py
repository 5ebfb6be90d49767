"""The self-driving-car demo end to end: ``make demo``, ``fcn-tutorial demo`` and notebook 07.

One call picks a profile from the hardware, finds the data, trains (or resumes, or reuses
a finished run), evaluates, and writes what a reader wants to see into the run's folder::

    from fcn_tutorial import demo
    summary = demo.run_demo(out="runs/demo")   # cpu or gpu profile, CamVid when it can
    summary["test"]["mean_iu"], summary["checkpoint"]["text"], summary["files"]["drive"]

Train on train (367 images); choose the checkpoint, and every setting, on val (101);
score that checkpoint on test (233) once. Val is every second frame of one clip of
``0016E5``, the same street as training frames seconds away, so it flatters; test is
``Seq05VD``, a drive the training set never saw, and ``0001TP`` at dusk, the minute of
that drive right after the training set's 62 frames of it.

The pieces are separate functions so ``07_self_driving_demo.ipynb`` can show each step:
:func:`check_hardware`, :func:`demo_config`, :func:`find_data`, :func:`score_protocol`,
:func:`drive_frames`, :func:`render_demo_drive`; the drawing is
:func:`fcn_tutorial.viz.plot_gallery`, the timing :func:`fcn_tutorial.speed.forward_speed`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from pathlib import Path

import numpy as np

from fcn_tutorial import datasets, drive, hardware, speed, viz
from fcn_tutorial.files import replacing
from fcn_tutorial.models import imagenet_weights_available
from fcn_tutorial.training import (
    FLIP,
    PROFILES,
    Run,
    TrainConfig,
    checkpoint_record,
    json_default,
    load_data,
    score_split,
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
    "score_protocol",
    "render_demo_drive",
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
    # Jegou et al., "The One Hundred Layers Tiramisu", CVPRW 2017, Table 2: CamVid test
    # (233 images), every model trained on the same 367 training images as ours. Percent;
    # per-class IoU under our class names (their Sign is SignSymbol, Sidewalk Pavement,
    # Cyclist Bicyclist). SegNet's TPAMI 60.10 came from 3.5K training images: not here.
    "SegNet": {
        "mean_iu": 46.4,
        "pixel_accuracy": 62.5,
        "per_class_iu": {
            "Building": 68.7,
            "Tree": 52.0,
            "Sky": 87.0,
            "Car": 58.5,
            "SignSymbol": 13.4,
            "Road": 86.2,
            "Pedestrian": 25.3,
            "Fence": 17.9,
            "Pole": 16.0,
            "Pavement": 60.5,
            "Bicyclist": 24.8,
        },
    },
    "FCN8 (VGG16)": {
        "mean_iu": 57.0,
        "pixel_accuracy": 88.0,
        "per_class_iu": {
            "Building": 77.8,
            "Tree": 71.0,
            "Sky": 88.7,
            "Car": 76.1,
            "SignSymbol": 32.7,
            "Road": 91.2,
            "Pedestrian": 41.7,
            "Fence": 24.4,
            "Pole": 19.9,
            "Pavement": 72.7,
            "Bicyclist": 31.0,
        },
    },
    "FC-DenseNet103": {
        "mean_iu": 66.9,
        "pixel_accuracy": 91.5,
        "per_class_iu": {
            "Building": 83.0,
            "Tree": 77.3,
            "Sky": 93.0,
            "Car": 77.3,
            "SignSymbol": 43.9,
            "Road": 94.5,
            "Pedestrian": 59.6,
            "Fence": 37.1,
            "Pole": 37.8,
            "Pavement": 82.2,
            "Bicyclist": 50.5,
        },
    },
}
"""dict: published CamVid-test numbers (percent) for models trained on the same 367
images, to set beside a run's test block (never its val block)."""

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


def _committed_training_time() -> str:
    # The committed run's own time, so that this notice and notebook 07 quote one number.
    try:
        committed = json.loads(RESULTS_FILE.read_text())
        minutes = round(committed["train_time_s"] / 60)
        return (
            f"about {minutes} minutes ({committed['hardware']['device_name']}, results/demo.json)"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "over an hour on a laptop's CPU"


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
    # All three splits: the demo chooses on val and scores on test.
    root = datasets.locate_camvid(splits=("train", "val", "test"))
    if root is not None:
        return {
            "dataset": "camvid",
            "data_root": str(root),
        }, f"Data: real CamVid, read from {root}."
    if not download:
        return synthetic, "Data: synthetic street scenes (downloading was not allowed)."
    try:
        root = datasets.download_camvid(("train", "val", "test"))
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
        if not imagenet_weights_available("vgg16", 1.0, include_top=True):
            chosen.update(backbone="mobilenet", alpha=0.25)
            notices.append("VGG16's ImageNet weights are unavailable: using MobileNet α=0.25.")
        backbone = chosen.get("backbone", PROFILES["gpu"]["backbone"])
        chosen["batch_size"] = batch_size_for_memory(machine["memory_gib"], backbone)
    elif profile == "cpu" and machine["device"] == "cpu":
        notices.append(
            "No GPU: the cpu profile trains MobileNet α=0.25 (not the paper's VGG16) in "
            f"float32, {_committed_training_time()}; a rerun resumes or reuses the checkpoint."
        )
    # What the caller passes wins over what the hardware and the data suggested.
    config = TrainConfig.from_profile(profile, **{**chosen, **overrides})
    if config.weights == "imagenet" and not imagenet_weights_available(
        config.backbone, config.alpha, include_top=config.backbone == "vgg16"
    ):
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


def _test_split(config: TrainConfig):
    # CamVid's test split: Seq05VD, a drive the training set never saw, and the minute of
    # 0001TP (dusk) after training's. Synthetic scenes draw a test set with another seed.
    if config.dataset == "camvid":
        return datasets.load_split("camvid", "test", root=config.data_root, download=False)
    size = config.image_size or (360, 480)
    return datasets.load_split("synthetic", "test", size=size, count=config.num_val or 24)


def score_protocol(model, config: TrainConfig, history: list[dict], val_split=None) -> dict:
    """Score the chosen checkpoint on val and on test, with and without flip averaging.

    Val chose the checkpoint (and chooses :data:`~fcn_tutorial.training.FLIP`); test is
    scored once, for the record. ``val`` and ``test`` are at ``predict``'s default.

    Returns:
        dict: ``checkpoint`` (:func:`~fcn_tutorial.training.checkpoint_record`), ``val``
        and ``test`` blocks, ``flip`` (``default``, and ``with``/``without`` blocks of
        both splits), and ``extra`` (``test_split`` and ``score_split``'s extras by split,
        for the pictures; not for a results file).
    """
    if val_split is None:
        val_split = load_data(config)[1]
    splits = {"val": val_split, "test": _test_split(config)}
    blocks, extra = {}, {"test_split": splits["test"]}
    flips = {"with": {}, "without": {}}
    for name, split in splits.items():
        blocks[name], extra[name] = score_split(model, split, config.batch_size, flip=FLIP)
        other, _ = score_split(model, split, config.batch_size, flip=not FLIP)
        flips["with" if FLIP else "without"][name] = blocks[name]
        flips["without" if FLIP else "with"][name] = other
    return {
        "checkpoint": checkpoint_record(history),
        "val": blocks["val"],
        "test": blocks["test"],
        "flip": {"default": FLIP, **flips},
        "extra": extra,
    }


def _pictures(run: Run, scored: dict, names: list[str]) -> tuple[dict, dict]:
    test, extra = scored["extra"]["test_split"], scored["extra"]["test"]
    files = {"gallery": run.file("gallery.png"), "confusion": run.file("confusion.png")}
    fig, picks = viz.plot_gallery(
        test.images, test.masks, extra["predictions"], extra["per_image_mean_iu"],
        names=test.names, class_names=names,
    )  # fmt: skip
    fig.savefig(files["gallery"])
    viz.plot_confusion(extra["confusion"], names).savefig(files["confusion"])
    return files, {"best": [test.names[i] for i in picks["best"]],
                   "worst": [test.names[i] for i in picks["worst"]]}  # fmt: skip


def render_demo_drive(model, config: TrainConfig, out, ms_per_frame: float | None) -> dict:
    """The demo's drive: CamVid's test drives in order (or the synthetic drive), as
    ``OUT/drive.mp4`` and ``OUT/drive.webp`` (:func:`fcn_tutorial.drive.render_drive`)."""
    if config.dataset == "camvid":
        pairs = drive.drive_sources("test", config.data_root)
        frames, count, source = drive.read_frames(pairs), len(pairs), "CamVid test: Seq05VD, 0001TP"
    else:
        count = 8 if config.profile == "quick" else 24
        images, masks = datasets.synthetic_drive(count, *(config.image_size or (360, 480)),
                                                 seed=config.seed + 2)  # fmt: skip
        frames = ((image, mask, f"synthetic_{k:03d}") for k, (image, mask) in
                  enumerate(zip(images, masks, strict=True)))  # fmt: skip
        source = "the synthetic drive"
    out = Path(out)
    result = drive.render_drive(
        model, frames, out / "drive.mp4", count=count, ms_per_frame=ms_per_frame,
        preview=out / "drive.webp",
    )  # fmt: skip
    return {**result, "source": source}


def run_demo(
    profile: str | None = None, out: str | os.PathLike = RUN_DIR, download: bool = True, **overrides
) -> dict:
    """Train or resume, score on val and test, and write the pictures, the drive and
    ``summary.json``.

    Arguments as :func:`demo_config`. The checkpoint is ``best.keras`` (the epoch of the
    highest val mean IU); it is scored on val and, once, on test.

    Returns:
        dict: the training summary plus ``checkpoint``, ``val``, ``test``, ``flip``
        (:func:`score_protocol`), ``hardware``, ``notices``, ``speed``, ``drive`` (its
        source, frames, render time and sizes), ``per_image_mean_iu`` (test),
        ``gallery`` (test image names) and ``files`` (what was written, by name).
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
    scored = score_protocol(model, config, summary["history"], val_split)
    files, picks = _pictures(run, scored, names)
    height, width = val_split.images.shape[1:3]
    timing = speed.forward_speed(model, height, width, batch_size=min(8, config.batch_size))
    driven = render_demo_drive(model, config, out, timing["ms_per_frame"])
    files.update(summary=run.file("summary.json"), drive=driven["video"],
                 preview=driven["preview"])  # fmt: skip
    shares = datasets.class_frequencies(train_split.masks, len(names))
    extra = scored.pop("extra")
    summary.update(
        **scored,
        hardware=check_hardware(),
        notices=notices,
        speed=timing,
        drive={k: v for k, v in driven.items() if k not in ("video", "preview")},
        class_shares={name: round(float(share), 6) for name, share in zip(names, shares)},
        per_image_mean_iu=[round(float(s), 4) for s in extra["test"]["per_image_mean_iu"]],
        gallery=picks,
        demo_wall_time_s=round(time.perf_counter() - started, 1),
        files={name: str(path) for name, path in files.items()},
    )
    run.write_json("summary.json", summary)
    _print_outcome(summary)
    return summary


def _print_outcome(summary: dict) -> None:
    val, test, baseline = summary["val"], summary["test"], summary["baseline"]
    flips = summary["flip"]
    print(f"scored {summary['checkpoint']['text']}", flush=True)
    print(
        f"test mean IU {test['mean_iu']:.3f}, pixel accuracy {test['pixel_accuracy']:.3f}; "
        f"val mean IU {val['mean_iu']:.3f} (val chose the checkpoint, so it flatters; "
        f"every-pixel-{baseline['predictor'].split()[-1]} on val: {baseline['mean_iu']:.3f})",
        flush=True,
    )
    print(
        "flip averaging: val {:.3f} without, {:.3f} with; test {:.3f} without, {:.3f} with "
        "(predict's default: {})".format(
            flips["without"]["val"]["mean_iu"], flips["with"]["val"]["mean_iu"],
            flips["without"]["test"]["mean_iu"], flips["with"]["test"]["mean_iu"],
            "flip" if flips["default"] else "no flip",
        ),
        flush=True,
    )  # fmt: skip
    print(
        f"{summary['speed']['ms_per_frame']:.1f} ms/frame; drive: {summary['drive']['frames']} "
        f"frames in {summary['drive']['render_s']:.0f} s, "
        f"{summary['drive']['video_bytes'] / 1e6:.1f} MB; "
        f"{summary['demo_wall_time_s']:.0f} s in all",
        flush=True,
    )
    for name, path in summary["files"].items():
        print(f"  {name:9} {path}", flush=True)


def write_results(summary: dict, path: str | os.PathLike = RESULTS_FILE) -> Path:
    """Write a demo summary as a results file, with folders relative to the tutorial folder."""
    prefix = json.dumps(f"{ROOT}{os.sep}")[1:-1]  # as JSON writes it (Windows: \\ twice)
    text = json.dumps(summary, default=json_default).replace(prefix, "")
    return write_json(json.loads(text), path)


def drive_figure(path: str | os.PathLike, run_dir: str | os.PathLike = RUN_DIR) -> Path:
    """Copy a finished demo run's drive (``drive.mp4`` or ``drive.webp``, by ``path``'s
    suffix) to ``path``: the figure registry's ``07_self-driving-drive.*``.

    Raises:
        FileNotFoundError: when ``run_dir`` holds no finished run with a drive, saying
            how to make it.
    """
    import shutil

    path = Path(path)
    source = Path(run_dir) / f"drive{path.suffix}"
    if not source.is_file():
        raise FileNotFoundError(f"no {source}: run `make demo` (or demo.run_demo()) first.")
    with replacing(path) as temporary:
        shutil.copyfile(source, temporary)
    return path
