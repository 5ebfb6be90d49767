"""The self-driving-car demo end to end: ``make demo``, ``fcn-tutorial demo`` and notebook 07.

One call picks a profile from the hardware, finds the data, trains (or resumes, or reuses
a finished run), evaluates, and writes what a reader wants to see into the run's folder::

    from fcn_tutorial import demo
    summary = demo.run_demo(out="runs/demo")   # cpu or gpu profile, CamVid when it can
    summary["metrics"]["mean_iu"], summary["files"]["drive"]

The pieces are separate functions so ``07_self_driving_demo.ipynb`` can show each step:
:func:`hardware`, :func:`demo_config`, :func:`find_data`, :func:`drive_frames`,
:func:`measure_speed`, :func:`save_drive` (each image's own score is
``scores.per_image_mean_iu``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time
from pathlib import Path

import numpy as np

__all__ = [
    "RUN_DIR",
    "RESULTS_FILE",
    "PAPER_MS_PER_IMAGE",
    "PUBLISHED_CAMVID",
    "hardware",
    "batch_size_for_memory",
    "demo_config",
    "find_data",
    "drive_frames",
    "plot_gallery",
    "measure_speed",
    "save_drive",
    "run_demo",
    "training_monitor",
    "plot_history",
    "load_summary",
    "write_results",
    "drive_figure",
]

ROOT = Path(__file__).resolve().parents[1]
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


def hardware() -> dict:
    """What the demo will run on: backend, device, its name and memory, and the profile.

    Returns:
        dict: ``backend``, ``device`` (``"gpu"`` or ``"cpu"``), ``device_name``,
        ``memory_gib`` (the GPU's, ``None`` on a CPU), ``cpu_count`` and ``profile``
        (``"gpu"`` or ``"cpu"``, the :data:`~fcn_tutorial.training.PROFILES` entry).
    """
    import keras

    from fcn_tutorial import training
    from fcn_tutorial.cli_models import _gpu_name
    from fcn_tutorial.experiments import _device_name

    on_gpu = training.gpu_available()
    memory = None
    if on_gpu:
        memory = _gpu_memory_gib()
    return {
        "backend": keras.backend.backend(),
        "device": "gpu" if on_gpu else "cpu",
        "device_name": (_gpu_name() or "GPU") if on_gpu else _device_name({"device": "cpu"}),
        "memory_gib": memory,
        "cpu_count": os.cpu_count(),
        "profile": "gpu" if on_gpu else "cpu",
    }


def _gpu_memory_gib() -> float | None:
    from fcn_tutorial.cli_models import nvidia_smi

    try:
        return round(float(nvidia_smi("memory.total")) / 1024, 1)  # MiB
    except (TypeError, ValueError):
        return None


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
    from fcn_tutorial.models.backbones import load_imagenet_backbone
    from fcn_tutorial.models.classifiers import WeightsUnavailableError

    try:
        load_imagenet_backbone(backbone, alpha, include_top=backbone == "vgg16")
    except WeightsUnavailableError:
        return False
    return True


def find_data(download: bool = True) -> tuple[dict, str]:
    """Where the demo's street scenes come from, and a sentence saying so.

    Real CamVid from ``../shared/data/camvid`` or the download cache; else a download
    (when ``download`` and there is a network); else the synthetic street, with a notice
    saying what failed and how to get the real data.

    Returns:
        ``(fields, notice)``: :class:`~fcn_tutorial.training.TrainConfig` fields for the
        data, and one line for the reader.
    """
    from fcn_tutorial.datasets import download_camvid
    from fcn_tutorial.experiments import full_data

    fields = full_data()
    if fields["dataset"] == "camvid":
        return fields, f"Data: real CamVid, read from {fields['data_root']}."
    if download:
        try:
            for split in ("train", "val"):
                download_camvid(split)
            return full_data(), "Data: real CamVid, downloaded and verified just now."
        except (ConnectionError, FileNotFoundError, OSError) as error:
            reason = str(error).splitlines()[0][:200]
            return fields, (
                f"Data: synthetic street scenes, because CamVid could not be had ({reason}). "
                "Run `fcn-tutorial download camvid` when online, then rerun."
            )
    return fields, "Data: synthetic street scenes (downloading was not allowed)."


def demo_config(
    profile: str | None = None, out: str | os.PathLike = RUN_DIR, download: bool = True, **overrides
):
    """The :class:`~fcn_tutorial.training.TrainConfig` the demo trains, and notices.

    ``profile=None`` picks from :func:`hardware`: ``gpu`` (VGG16 FCN-8s in bfloat16, the
    batch sized to the GPU's memory, MobileNet when VGG16's ImageNet weights cannot be
    had) or ``cpu`` (MobileNet α=0.25 FCN-8s). ``quick`` is a minute-long synthetic run.

    Args:
        profile: ``"quick"``, ``"cpu"``, ``"gpu"`` or ``None`` (from the hardware).
        out: the run's folder.
        download: try to download CamVid when no copy is found.
        **overrides: any other :class:`~fcn_tutorial.training.TrainConfig` field.

    Returns:
        ``(config, notices)``: the config (with ``resume=True``) and lines for the reader.
    """
    from fcn_tutorial import training

    machine = hardware()
    profile = profile or machine["profile"]
    if profile not in training.PROFILES:
        raise ValueError(f"unknown profile {profile!r}: use one of {list(training.PROFILES)}.")
    notices = [
        f"Hardware: {machine['device_name']} ({machine['backend']} backend); profile {profile}."
    ]
    chosen = {"profile": profile, "out": out, "resume": True}
    if profile != "quick" and "dataset" not in overrides:
        fields, notice = find_data(download)
        chosen.update(fields)
        notices.append(notice)
    if profile == "gpu" and "backbone" not in overrides:
        if not _imagenet_available("vgg16", 1.0):
            chosen.update(backbone="mobilenet", alpha=0.25)
            notices.append("VGG16's ImageNet weights are unavailable: using MobileNet α=0.25.")
        backbone = chosen.get("backbone", training.PROFILES["gpu"]["backbone"])
        chosen["batch_size"] = batch_size_for_memory(machine["memory_gib"], backbone)
    elif profile == "cpu" and machine["device"] == "cpu":
        notices.append(
            "No GPU: the cpu profile trains MobileNet α=0.25 (not the paper's VGG16) in "
            "float32, about 20 minutes on 2 cores; a rerun resumes or reuses the checkpoint."
        )
    # What the caller passes wins over what the hardware and the data suggested.
    overrides = {**chosen, **overrides}
    config = training._make_config(None, overrides)
    if config.weights == "imagenet" and not _imagenet_available(config.backbone, config.alpha):
        notices.append(
            f"ImageNet weights for {config.backbone} could not be had (no network, no cached "
            "copy): training from random weights, so expect a far lower mean IU. Connect once "
            "(Keras caches them in $KERAS_HOME/models) and delete the run folder to redo it."
        )
        config = dataclasses.replace(config, weights=None)
    return config, notices


def drive_frames(config, count: int = 24) -> tuple[np.ndarray, np.ndarray, str]:
    """Consecutive frames to label: CamVid's (test, else val) in file-name order, or the
    synthetic drive.

    Returns:
        ``(frames, masks, source)``: ``(count, H, W, 3) uint8``, ``(count, H, W) uint8``
        and a description.
    """
    from fcn_tutorial.datasets import load_camvid, synthetic_drive
    from fcn_tutorial.datasets.camvid import _check_local, camvid_files

    if config.dataset == "camvid":
        root = Path(config.data_root) if config.data_root else None
        for split in ("test", "val"):
            names = sum(camvid_files(split), [])
            missing, wrong = _check_local(names, root) if root else (names, {})
            if root and not missing and not wrong:
                paths = load_camvid(split, root, download=False, paths_only=True)
                order = np.argsort([p.name for p in paths[0]])[:count]
                images, masks = load_camvid(split, root, download=False)
                return images[order], masks[order], f"CamVid {split}, frames in file-name order"
    height, width = config.image_size or (360, 480)
    frames, masks = synthetic_drive(count, height, width, seed=config.seed + 2)
    return frames, masks, "the synthetic drive"


def measure_speed(model, height: int = 360, width: int = 480, batch_size: int = 8) -> dict:
    """Forward speed on the current device: ms/frame at batch 1 and batched, frames/s.

    Through ``predict_on_batch``, the backend's compiled inference step (a plain
    ``model(x)`` call runs layer by layer from Python, several times slower on a CPU). Its
    time includes handing the logits back as NumPy: nothing on a CPU, a copy on a GPU,
    which ``benchmarks/fcn8s_speed.py`` leaves out when it measures a GPU.

    Returns:
        dict: ``ms_per_frame`` (batch 1), ``ms_per_frame_batched``, ``frames_per_s``
        (batched), ``batch_size``, ``size``.
    """
    rng = np.random.default_rng(0)
    batch = rng.uniform(0, 255, (batch_size, height, width, 3)).astype("float32")

    def seconds(images, repeats):
        model.predict_on_batch(images)  # the first call traces and compiles
        start = time.perf_counter()
        for _ in range(repeats):
            model.predict_on_batch(images)
        return (time.perf_counter() - start) / repeats

    single = seconds(batch[:1], 5)
    batched = seconds(batch, 3) / batch_size
    return {
        "ms_per_frame": round(single * 1e3, 2),
        "ms_per_frame_batched": round(batched * 1e3, 2),
        "frames_per_s": round(1 / batched, 1),
        "batch_size": batch_size,
        "size": [height, width],
    }


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

    from fcn_tutorial.viz import paint_labels

    pictures = []
    for k, frame in enumerate(frames):
        panels = [paint_labels(frame, predictions[k], opacity=0.5)]
        if masks is not None:
            panels.insert(0, paint_labels(frame, masks[k], opacity=0.5))
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


def plot_gallery(images, masks, predictions, scores, count: int = 3):
    """The ``count`` best and worst images by mean IU: labels, prediction, errors in cyan.

    Returns:
        ``(figure, picks)``: a ``Figure`` and ``{"best": [...], "worst": [...]}`` indices.
    """
    from fcn_tutorial import scores as scoring
    from fcn_tutorial import viz

    order = np.argsort(scores, kind="stable")
    picks = {"best": order[::-1][:count].tolist(), "worst": order[:count].tolist()}
    fig = viz.new_figure(12, 2.4 * 2 * count, dpi=60)
    axes = fig.subplots(2 * count, 3)
    for row, (kind, index) in enumerate((k, i) for k in picks for i in picks[k]):
        image, mask, predicted = images[index], masks[index], predictions[index]
        wrong = scoring.wrong_pixels(mask, predicted)
        panels = [
            (viz.paint_labels(image, mask), f"image {index}: labels"),
            (viz.paint_labels(image, predicted), f"{kind}: mean IU {scores[index]:.2f}"),
            (viz.paint_labels(image // 2, mask, opacity=0.0, wrong=wrong), "errors in cyan"),
        ]
        for ax, (picture, title) in zip(axes[row], panels, strict=True):
            ax.imshow(picture.astype(np.uint8))
            ax.set_title(title, fontsize=9)
            ax.axis("off")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.97, bottom=0.01, wspace=0.03, hspace=0.15)
    return fig, picks


def run_demo(
    profile: str | None = None, out: str | os.PathLike = RUN_DIR, download: bool = True, **overrides
) -> dict:
    """Train or resume, evaluate, and write overlays, the drive and ``summary.json``.

    Arguments as :func:`demo_config`.

    Returns:
        dict: the training summary plus ``hardware``, ``notices``, ``speed``, ``drive``
        (its source), ``per_image_mean_iu`` and ``files`` (what was written, by name).
    """
    from fcn_tutorial import training
    from fcn_tutorial.datasets import class_frequencies
    from fcn_tutorial.scores import per_image_mean_iu

    started = time.perf_counter()
    config, notices = demo_config(profile, out, download, **overrides)
    for line in notices:
        print(line, flush=True)
    summary = training.train(dataclasses.replace(config, verbose=2 if config.verbose else 0))
    model = training.load_model(Path(out) / "best.keras")
    (_, train_masks), (val_images, val_masks), names = training.load_dataset(config)
    shares = class_frequencies(train_masks, len(names))
    predictions = training.predict_masks(model, val_images, config.batch_size)
    scores = per_image_mean_iu(val_masks, predictions, len(summary["class_names"]))
    out = Path(out)
    files = {"summary": out / "summary.json", "gallery": out / "gallery.png"}
    fig, picks = plot_gallery(val_images, val_masks, predictions, scores)
    fig.savefig(files["gallery"])
    frames, frame_masks, source = drive_frames(config, 8 if config.profile == "quick" else 24)
    files["drive"] = save_drive(
        frames, training.predict_masks(model, frames), out / "drive.gif", frame_masks
    )
    height, width = val_images.shape[1:3]
    speed = measure_speed(model, height, width, batch_size=min(8, config.batch_size))
    summary.update(
        hardware=hardware(),
        notices=notices,
        speed=speed,
        drive=source,
        class_shares={name: round(float(share), 6) for name, share in zip(names, shares)},
        per_image_mean_iu=[round(float(s), 4) for s in scores],
        gallery=picks,
        demo_wall_time_s=round(time.perf_counter() - started, 1),
        files={name: str(path) for name, path in files.items()},
    )
    training._write_json_atomically(summary, files["summary"])
    metrics = summary["metrics"]
    print(
        f"val mean IU {metrics['mean_iu']:.3f}, pixel accuracy {metrics['pixel_accuracy']:.3f} "
        f"(every-pixel-{summary['baseline']['predictor'].split()[-1]}: "
        f"{summary['baseline']['mean_iu']:.3f}); {speed['ms_per_frame']:.1f} ms/frame; "
        f"{summary['demo_wall_time_s']:.0f} s in all",
        flush=True,
    )
    for name, path in files.items():
        print(f"  {name:8} {path}", flush=True)
    return summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fcn-tutorial demo``."""
    parser.add_argument("--profile", help="quick, cpu or gpu (default: from the hardware)")
    parser.add_argument("--out", default=str(RUN_DIR), help="the run's folder")
    parser.add_argument("--offline", action="store_true", help="never try to download")
    parser.add_argument("--results", help="also write the summary here (results/demo.json)")
    parser.add_argument("--budget-s", type=float, help="stop training after this many seconds")


def run_command(args: argparse.Namespace) -> int:
    """``fcn-tutorial demo``: the whole demo, headless."""
    budget = {"time_budget_s": args.budget_s} if args.budget_s else {}
    summary = run_demo(args.profile, args.out, download=not args.offline, **budget)
    if args.results:
        print(f"  results  {write_results(summary, args.results)}")
    return 0


def write_results(summary: dict, path: str | os.PathLike = RESULTS_FILE) -> Path:
    """Write a demo summary as a results file, with folders relative to the repository."""
    from fcn_tutorial import training

    text = json.dumps(summary, default=training._json_default).replace(f"{ROOT}/", "")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    training._write_json_atomically(json.loads(text), path)
    return path


def plot_history(history: list[dict], epochs: int | None = None):
    """Training loss and validation mean IU per epoch, side by side: a ``Figure``."""
    from fcn_tutorial import viz

    fig = viz.new_figure(9, 3, dpi=80)
    loss_ax, iou_ax = fig.subplots(1, 2)
    done = [row["epoch"] for row in history]
    loss_ax.plot(done, [row["loss"] for row in history], "o-", label="training")
    loss_ax.plot(done, [row.get("val_loss") for row in history], "o-", label="validation")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss")
    loss_ax.legend()
    iou_ax.plot(done, [row.get("val_mean_iu") for row in history], "o-", color="tab:green")
    iou_ax.set(xlabel="epoch", ylabel="mean IU", title="validation mean IU", ylim=(0, 1))
    for ax in (loss_ax, iou_ax):
        ax.set_xlim(0.5, (epochs or max(done, default=1)) + 0.5)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def training_monitor(epochs: int, history: list[dict] | None = None):
    """A Keras callback for notebooks: a progress bar over the steps and a live plot.

    Args:
        epochs: the epochs the run goes to (the plot's x range).
        history: epochs already trained (a resumed run's), drawn from the start.

    Returns:
        keras.callbacks.Callback: pass it to ``training.train(callbacks=[...])``.
    """
    import keras
    from IPython.display import display
    from tqdm.auto import tqdm

    class TrainingMonitor(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history = list(history or [])
            self.handle = display(plot_history(self.history, epochs), display_id=True)
            self.bar = None

        def on_epoch_begin(self, epoch, logs=None):
            self.bar = tqdm(total=self.params["steps"], desc=f"epoch {epoch + 1}/{epochs}")

        def on_train_batch_end(self, batch, logs=None):
            self.bar.update(1)

        def on_epoch_end(self, epoch, logs=None):
            self.bar.close()
            self.history.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
            self.handle.update(plot_history(self.history, epochs))

    return TrainingMonitor()


def drive_figure(path: str | os.PathLike, run_dir: str | os.PathLike = RUN_DIR) -> Path:
    """Write the drive GIF of a finished demo run (``make demo``) to ``path``.

    Raises:
        FileNotFoundError: when ``run_dir`` holds no finished run, saying how to make it.
    """
    from fcn_tutorial import training

    summary = load_summary(run_dir)
    config = training._make_config(None, {**summary["config"], "profile": summary["profile"]})
    model = training.load_model(Path(run_dir) / "best.keras")
    frames, masks, _ = drive_frames(config, 8 if config.profile == "quick" else 24)
    return save_drive(frames, training.predict_masks(model, frames), path, masks)


def load_summary(out: str | os.PathLike) -> dict:
    """A finished demo's ``summary.json``.

    Raises:
        FileNotFoundError: when the folder holds none, saying how to make one.
    """
    path = Path(out) / "summary.json"
    if not path.is_file():
        raise FileNotFoundError(f"no {path}: run `make demo` (or demo.run_demo()) first.")
    return json.loads(path.read_text())
