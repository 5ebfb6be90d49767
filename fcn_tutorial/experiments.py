"""The measured comparisons behind notebooks 05 and 06, and the results files they quote.

Two experiments, each a few training runs that differ in one setting only (same data,
backbone, budget and seed):

- ``transfer`` (``05_transfer_learning.ipynb``): FCN-8s from ImageNet weights, fine-tuned
  or with the backbone frozen, against the same network from random weights.
- ``skips`` (``06_skip_layers.ipynb``): FCN-32s, FCN-16s and FCN-8s, the paper's Table 2.

``make results`` (``fcn-tutorial results``) runs both in the ``full`` profile, on real
CamVid when it is present, and writes ``results/<name>.json``: the configuration,
every run's metrics and learning curve, wall time and device. The notebooks quote those
files and check each number they state against them. In the ``quick`` profile the same
runs are small ones on synthetic scenes, seconds each, for CI::

    from fcn_tutorial import experiments
    full = experiments.load_results("skips")           # the committed full run
    fresh = experiments.run("skips", profile="quick")  # recomputed now, small

A run's folder keeps its checkpoints and a ``config.json``; rerunning an experiment
reuses a finished run with the same configuration and resumes a killed one.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import fcn_tutorial

__all__ = [
    "EXPERIMENTS",
    "SETTINGS",
    "RESULTS_DIR",
    "RUNS_DIR",
    "run",
    "load_results",
    "load_run_model",
    "full_data",
    "main",
]

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "results"
"""Path: where ``make results`` writes ``<experiment>.json`` (committed)."""
RUNS_DIR = ROOT / "runs" / "results"
"""Path: the full runs' folders (checkpoints; not committed)."""
SHARED_CAMVID = ROOT.parent / "shared" / "data" / "camvid"

EXPERIMENTS = {
    "transfer": {
        "title": "Transfer learning: ImageNet weights against random ones (FCN-8s, MobileNet)",
        "runs": {
            "imagenet-finetuned": {"label": "ImageNet weights, fine-tuned"},
            "imagenet-frozen": {
                "label": "ImageNet weights, backbone frozen",
                "freeze_backbone": True,
            },
            "random-finetuned": {"label": "random weights, trained", "weights": None},
        },
    },
    "skips": {
        "title": "Skip layers: FCN-32s, FCN-16s and FCN-8s (MobileNet, ImageNet weights)",
        "runs": {
            "fcn32s": {"label": "FCN-32s", "variant": "fcn32s"},
            "fcn16s": {"label": "FCN-16s", "variant": "fcn16s"},
            "fcn8s": {"label": "FCN-8s", "variant": "fcn8s"},
        },
    },
}
"""dict: each experiment's title and runs; a run's entries other than ``label`` are the
:class:`~fcn_tutorial.training.TrainConfig` fields it changes."""

_COMMON = {
    "backbone": "mobilenet",
    "alpha": 0.25,
    "variant": "fcn8s",
    "weights": "imagenet",
    "seed": 0,
    "augment": True,
}
SETTINGS = {
    # 2 x 3 runs of about 3 minutes each on 2 CPU cores: 224 x 320 crops of CamVid's
    # 367 training images, scored on the 101 whole validation images.
    "full": {
        **_COMMON,
        "epochs": 12,
        "batch_size": 8,
        "learning_rate": 1e-3,
        "end_learning_rate": 1e-5,
        "class_weighting": True,
        "crop_size": (224, 320),
        "image_size": None,
        "num_train": None,
        "num_val": None,
    },
    # Seconds a run: small synthetic scenes, for CI and a first look.
    "quick": {
        **_COMMON,
        "dataset": "synthetic",
        "epochs": 4,
        "batch_size": 8,
        "learning_rate": 2e-3,
        "end_learning_rate": 2e-5,
        "class_weighting": False,
        # Cropping back to the image size keeps every batch one shape: TensorFlow traces
        # the training step again for each new shape, which would cost more than training.
        "crop_size": (96, 128),
        "image_size": (96, 128),
        "num_train": 48,
        "num_val": 16,
    },
}
"""dict[str, dict]: the settings every run of an experiment shares, per profile."""


def _camvid_complete(root: Path) -> bool:
    from fcn_tutorial.datasets.camvid import _check_local, camvid_files

    names = [name for split in ("train", "val") for name in sum(camvid_files(split), [])]
    missing, wrong = _check_local(names, root)
    return not missing and not wrong


def full_data() -> dict:
    """The data the ``full`` profile trains on: real CamVid where it is, else synthetic.

    Looks in ``../shared/data/camvid`` beside the repository, then in the download cache
    (``fcn-tutorial download camvid`` fills it). Without either, full-size synthetic
    scenes stand in, and the results say ``"dataset": "synthetic"``.

    Returns:
        dict: TrainConfig fields: ``dataset`` and ``data_root``, or synthetic sizes.
    """
    from fcn_tutorial.datasets.camvid import camvid_root

    for root in (SHARED_CAMVID, camvid_root()):
        if root.is_dir() and _camvid_complete(root):
            return {"dataset": "camvid", "data_root": str(root)}
    return {"dataset": "synthetic", "image_size": (360, 480), "num_train": 367, "num_val": 101}


def _check_name(name: str) -> dict:
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}: use one of {list(EXPERIMENTS)}.")
    return EXPERIMENTS[name]


def _config(name: str, run_name: str, profile: str, data: dict, out: Path):
    from fcn_tutorial import training

    overrides = {k: v for k, v in EXPERIMENTS[name]["runs"][run_name].items() if k != "label"}
    values = {**SETTINGS[profile], **data, **overrides}
    return training._make_config(
        None, {**values, "out": str(out / name / run_name), "profile": "quick", "verbose": 0}
    )


def _comparable(config) -> dict:
    # What decides the numbers; where the files go and how loudly is not part of it.
    values = dataclasses.asdict(config)
    for key in ("out", "resume", "verbose", "profile", "data_workers"):
        values.pop(key, None)
    return json.loads(json.dumps(values))


def _same_settings(stored: dict | None, wanted: dict) -> bool:
    # A setting added to TrainConfig after a run was made is absent from its config.json;
    # at its default it changes nothing, so the run still counts.
    if stored is None:
        return False
    from fcn_tutorial.training import TrainConfig

    defaults = _comparable(TrainConfig())
    return {**defaults, **stored} == {**defaults, **wanted}


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _train_or_reuse(config, verbose: int) -> dict:
    """A finished run with this configuration is read back; a killed one resumes."""
    from fcn_tutorial import training

    out = Path(config.out)
    wanted = _comparable(config)
    same = _same_settings(_read_json(out / "config.json"), wanted)
    # The same settings under another experiment's name (05's fine-tuned ImageNet run is
    # 06's FCN-8s) are one run: train once, read it twice.
    for folder in [out, *sorted(out.parent.parent.glob("*/*"))]:
        if _same_settings(_read_json(folder / "config.json"), wanted):
            summary = _read_json(folder / "summary.json")
            state = _read_json(folder / "state.json") or {}
            if summary and summary["history"] and state.get("epoch") == config.epochs:
                return summary
    out.mkdir(parents=True, exist_ok=True)
    training._write_json_atomically(wanted, out / "config.json")
    return training.train(dataclasses.replace(config, resume=same, verbose=verbose))


def _device_name(summary: dict) -> str:
    if summary["device"] == "gpu":
        from fcn_tutorial.cli_models import _gpu_name

        return _gpu_name() or "GPU"
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def run(
    name: str, profile: str | None = None, out: str | os.PathLike | None = None, verbose: int = 0
) -> dict:
    """Train (or reuse) every run of one experiment and gather their scores.

    Args:
        name: ``"transfer"`` or ``"skips"``.
        profile: ``"quick"`` or ``"full"``; ``None`` reads ``FCN_TUTORIAL_PROFILE``.
        out: the folder for the runs; ``None`` is :data:`RUNS_DIR` for ``full`` (so a
            finished ``make results`` is reused) and a fresh temporary folder for ``quick``.
        verbose: passed to Keras' ``fit`` (0 silent, 1 progress bar, 2 a line per epoch).

    Returns:
        dict: ``experiment``, ``title``, ``profile``, ``dataset``, ``created``, ``device``,
        ``backend``, ``versions``, ``wall_time_s``, ``common`` (the shared settings),
        ``baseline`` (the majority-class predictor's scores) and ``runs``: per run its
        ``label``, ``overrides``, ``metrics`` (the paper's four and per-class IU and
        accuracy of its best checkpoint on the validation set), ``history`` (per epoch,
        with the training ``step`` it ended at), ``wall_time_s``, ``train_images_per_s``,
        ``steps_per_epoch`` and ``run_dir``.

    Raises:
        ValueError: for an unknown experiment or profile.
    """
    experiment = _check_name(name)
    profile = profile or fcn_tutorial.profile()
    if profile not in SETTINGS:
        raise ValueError(f"unknown profile {profile!r}: use one of {list(SETTINGS)}.")
    if out is None:
        out = RUNS_DIR if profile == "full" else tempfile.mkdtemp(prefix="fcn-experiment-")
    out = Path(out)
    data = full_data() if profile == "full" else {}
    started = time.perf_counter()
    runs, summary = {}, None
    for run_name, spec in experiment["runs"].items():
        config = _config(name, run_name, profile, data, out)
        summary = _train_or_reuse(config, verbose)
        steps = math.ceil(summary["num_train"] / config.batch_size)
        runs[run_name] = {
            "label": spec["label"],
            "overrides": {k: v for k, v in spec.items() if k != "label"},
            "metrics": summary["metrics"],
            "history": [{**row, "step": row["epoch"] * steps} for row in summary["history"]],
            "wall_time_s": summary["wall_time_s"],
            "train_images_per_s": summary["train_images_per_s"],
            "steps_per_epoch": steps,
            "run_dir": summary["config"]["out"],
        }
    common = {k: v for k, v in _comparable(config).items() if k not in ("variant", "weights")}
    common.pop("freeze_backbone")
    return {
        "experiment": name,
        "title": experiment["title"],
        "profile": profile,
        "dataset": summary["config"]["dataset"],
        "num_train": summary["num_train"],
        "num_val": summary["num_val"],
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "device": _device_name(summary),
        "backend": summary["backend"],
        "versions": summary["versions"],
        "wall_time_s": round(time.perf_counter() - started, 1),
        "train_wall_time_s": round(sum(r["wall_time_s"] for r in runs.values()), 1),
        "common": common,
        "baseline": summary["baseline"],
        "runs": runs,
    }


def load_results(name: str, results_dir: str | os.PathLike | None = None) -> dict:
    """The committed results of a full run: ``results/<name>.json``, as :func:`run` returns.

    Raises:
        ValueError: for an unknown experiment.
        FileNotFoundError: when the file is missing, saying how to make it.
    """
    _check_name(name)
    path = Path(results_dir or RESULTS_DIR) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"no results file {path}: run `make results` (about 20 minutes on 2 CPU cores) "
            "to train the full runs and write it."
        )
    return json.loads(path.read_text())


def load_run_model(name: str, run_name: str, results: dict):
    """The best checkpoint of one run of ``results`` (from :func:`run`), as a Keras model.

    Raises:
        ValueError: for a run the results do not hold.
        FileNotFoundError: when its folder is gone (a committed file's runs are in
            ``runs/results/`` only where ``make results`` ran): rerun :func:`run`.
    """
    from fcn_tutorial import training

    if run_name not in results["runs"]:
        raise ValueError(f"{name} has no run {run_name!r}: use one of {list(results['runs'])}.")
    path = ROOT / results["runs"][run_name]["run_dir"] / "best.keras"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run experiments.run({name!r}) (or `make results`) first."
        )
    return training.load_model(path)


def _write(result: dict, results_dir: Path) -> Path:
    from fcn_tutorial import training

    results_dir.mkdir(parents=True, exist_ok=True)
    result = dict(result)
    for spec in result["runs"].values():
        # Relative to the repository, so the committed file names no machine's folders.
        run_dir = Path(spec["run_dir"])
        if run_dir.is_relative_to(ROOT):
            spec["run_dir"] = str(run_dir.relative_to(ROOT))
    path = results_dir / f"{result['experiment']}.json"
    training._write_json_atomically(result, path)
    return path


def main(argv: list[str] | None = None) -> int:
    """``fcn-tutorial results [NAME ...] [--profile full|quick]``: run and write results."""
    parser = argparse.ArgumentParser(prog="fcn-tutorial results", description=main.__doc__)
    parser.add_argument("names", nargs="*", help=f"experiments (default: {list(EXPERIMENTS)})")
    add_arguments(parser)
    return run_command(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fcn-tutorial results``."""
    parser.add_argument("--profile", default="full", choices=list(SETTINGS))
    parser.add_argument("--out", help="results folder (default: results/)")
    parser.add_argument("--runs", help="runs folder (default: runs/results/)")


def run_command(args: argparse.Namespace) -> int:
    """Run the named experiments and write their results files; prints a line each."""
    names = list(args.names or EXPERIMENTS)
    for name in names:
        _check_name(name)
    results_dir = Path(args.out) if args.out else RESULTS_DIR
    for name in names:
        print(f"{name}: {EXPERIMENTS[name]['title']} ({args.profile} profile)", flush=True)
        result = run(name, args.profile, out=args.runs, verbose=2)
        path = _write(result, results_dir)
        scores = ", ".join(
            f"{spec['label']} {spec['metrics']['mean_iu']:.3f}" for spec in result["runs"].values()
        )
        print(
            f"{name}: val mean IU {scores} on {result['dataset']}; "
            f"{result['wall_time_s']:.0f} s; wrote {path}",
            flush=True,
        )
    return 0
