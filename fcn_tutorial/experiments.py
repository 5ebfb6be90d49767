"""The measured comparisons behind notebooks 05 and 06, and the results files they quote.

Two experiments, each a few training runs that differ in one setting only (same data,
backbone, budget and seed):

- ``transfer`` (``05_transfer_learning.ipynb``): FCN-8s from ImageNet weights, fine-tuned
  or with the backbone frozen, against the same network from random weights.
- ``skips`` (``06_skip_layers.ipynb``): FCN-32s, FCN-16s and FCN-8s, the paper's Table 2.

``make results`` (``fcn-tutorial results``) runs both at ``full`` speed, on real CamVid
when it is present, and writes ``results/<name>.json``: the configuration, every run's
metrics and learning curve, wall time and device. The notebooks quote those files and
tests check each number they state against them. At ``quick`` speed (the notebooks'
``FCN_TUTORIAL_SPEED=quick``) the same runs are small ones on synthetic scenes, seconds
each, for CI::

    from fcn_tutorial import experiments
    full = experiments.load_results("skips")         # the committed full run
    fresh = experiments.run("skips", speed="quick")  # recomputed now, small

Each run is a :class:`~fcn_tutorial.training.Run` folder; rerunning an experiment reuses
a finished run with the same configuration and resumes a killed one.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import time
from pathlib import Path

import fcn_tutorial
from fcn_tutorial import datasets, hardware
from fcn_tutorial.training import (
    Run,
    TrainConfig,
    checkpoint_record,
    load_model,
    score_split,
    train,
    write_json,
)
from fcn_tutorial.workspace import quick_runs_folder, tutorial_folder

__all__ = [
    "EXPERIMENTS",
    "SETTINGS",
    "RESULTS_DIR",
    "RUNS_DIR",
    "run",
    "write_results",
    "load_results",
    "load_run_model",
    "full_data",
    "NOT_MEASURED",
    "split_scores",
    "score_text",
]

ROOT = tutorial_folder()
"""Path: the tutorial folder: the repository in a clone, else the one ``fcn-tutorial lab``
made (:func:`fcn_tutorial.workspace.tutorial_folder`); never the installed package."""
RESULTS_DIR = ROOT / "results"
"""Path: where ``make results`` writes ``<experiment>.json`` (committed)."""
RUNS_DIR = ROOT / "runs" / "results"
"""Path: the full runs' folders (checkpoints; not committed)."""

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
"""dict[str, dict]: the settings every run of an experiment shares, per notebook speed."""


def full_data() -> dict:
    """The data the ``full`` speed trains on: real CamVid where it is, else synthetic.

    Looks where :func:`~fcn_tutorial.datasets.locate_camvid` looks (``fcn-tutorial
    download camvid`` fills the cache). Without a complete copy, full-size synthetic
    scenes stand in, and the results say ``"dataset": "synthetic"``.

    Returns:
        dict: TrainConfig fields: ``dataset`` and ``data_root``, or synthetic sizes.
    """
    root = datasets.locate_camvid()
    if root is not None:
        return {"dataset": "camvid", "data_root": str(root)}
    return {"dataset": "synthetic", "image_size": (360, 480), "num_train": 367, "num_val": 101}


def _check_name(name: str) -> dict:
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}: use one of {list(EXPERIMENTS)}.")
    return EXPERIMENTS[name]


def _config(
    name: str, run_name: str, speed: str, data: dict, out: Path, devices: str | int | None = None
) -> TrainConfig:
    overrides = {k: v for k, v in EXPERIMENTS[name]["runs"][run_name].items() if k != "label"}
    values = {**SETTINGS[speed], **data, **overrides, **({"devices": devices} if devices else {})}
    return TrainConfig.from_profile("quick", **values, out=str(out / name / run_name), verbose=0)


def _train_or_reuse(config: TrainConfig, verbose: int) -> dict:
    """A finished run with this configuration is read back; a killed one resumes; one
    made with other settings is moved aside to ``NAME.replaced-<UTC time>`` and trained
    again."""
    # The same settings under another experiment's name (05's fine-tuned ImageNet run is
    # 06's FCN-8s) are one run: train once, read it twice.
    out = Path(config.out)
    runs = [f for f in sorted(out.parent.parent.glob("*/*")) if ".replaced-" not in f.name]
    for folder in [out, *runs]:
        if Run(folder).is_finished(config):
            return Run(folder).summary
    # A killed run resumes; one with other settings is moved aside (never deleted).
    same = Run(out).matches(config)
    return train(dataclasses.replace(config, resume=same, overwrite=not same, verbose=verbose))


def run(
    name: str,
    speed: str | None = None,
    out: str | os.PathLike | None = None,
    verbose: int = 0,
    devices: str | int | None = None,
    pretrained: bool = True,
) -> dict:
    """Train (or reuse) every run of one experiment and gather their scores.

    Args:
        name: ``"transfer"`` or ``"skips"``.
        speed: ``"quick"`` or ``"full"``; ``None`` reads ``FCN_TUTORIAL_SPEED``.
        out: the folder for the runs; ``None`` is :data:`RUNS_DIR` for ``full`` (so a
            finished ``make results`` is reused) and
            :func:`~fcn_tutorial.workspace.quick_runs_folder` for ``quick``: a notebook run
            again, or the other experiment's FCN-8s, reuses what is there.
        verbose: passed to Keras' ``fit`` (0 silent, 1 progress bar, 2 a line per epoch).
        devices: ``TrainConfig.devices`` for every run (``None``: its default, ``"auto"``);
            a finished run is reused whatever devices trained it.
        pretrained: ``False`` starts every run from random weights, for the quick speed
            on a machine where :func:`~fcn_tutorial.models.imagenet_weights_available`
            is false (no network, no cached copy): the notebooks say so and run on, and
            the results record ``"pretrained": false``. The full speed's runs are
            ImageNet runs, so it refuses ``False``.

    Returns:
        dict: ``experiment``, ``title``, ``speed``, ``pretrained``, ``dataset``,
        ``created``, ``device``,
        ``backend``, ``versions``, ``wall_time_s``, ``common`` (the shared settings),
        ``baseline`` (the majority-class predictor's scores) and ``runs``: per run its
        ``label``, ``overrides``, ``metrics`` (the paper's four and per-class IU and
        accuracy of its best checkpoint on the validation set), ``checkpoint`` (which
        file, which epoch, chosen how), ``val`` (the same as ``metrics``), ``test``
        (CamVid test, scored once; ``None`` on synthetic data), ``history`` (per epoch,
        with the training ``step`` it ended at), ``wall_time_s``, ``train_images_per_s``,
        ``steps_per_epoch`` and ``run_dir``.

    Raises:
        ValueError: for an unknown experiment or speed, or ``pretrained=False`` at full
            speed.
    """
    experiment = _check_name(name)
    speed = speed or fcn_tutorial.notebook_speed()
    if speed not in SETTINGS:
        raise ValueError(f"unknown speed {speed!r}: use one of {list(SETTINGS)}.")
    if not pretrained and speed != "quick":
        raise ValueError(
            f"pretrained=False at {speed} speed: its results compare ImageNet runs. Get the "
            "weights (connect once: Keras caches them in $KERAS_HOME/models) or use speed='quick'."
        )
    if out is None:
        out = RUNS_DIR if speed == "full" else quick_runs_folder()
    out = Path(out)
    data = full_data() if speed == "full" else {}
    started = time.perf_counter()
    runs, summary = {}, None
    for run_name, spec in experiment["runs"].items():
        config = _config(name, run_name, speed, data, out, devices)
        if not pretrained:
            config = dataclasses.replace(config, weights=None)
        summary = _train_or_reuse(config, verbose)
        steps = summary["steps_per_epoch"]
        runs[run_name] = {
            "label": spec["label"],
            "overrides": {k: v for k, v in spec.items() if k != "label"},
            "metrics": summary["metrics"],
            "checkpoint": checkpoint_record(summary["history"]),
            "val": summary["metrics"],
            # The folder that holds the run: another experiment's when the run was reused.
            "test": _test_block(config, Path(summary["config"]["out"])),
            "history": [{**row, "step": row["epoch"] * steps} for row in summary["history"]],
            "wall_time_s": summary["wall_time_s"],
            "train_images_per_s": summary["train_images_per_s"],
            "steps_per_epoch": steps,
            "run_dir": summary["config"]["out"],
        }
    common = config.comparable()
    for key in ("variant", "weights", "freeze_backbone"):
        common.pop(key)
    return {
        "experiment": name,
        "title": experiment["title"],
        "speed": speed,
        "pretrained": pretrained,
        "dataset": summary["config"]["dataset"],
        "num_train": summary["num_train"],
        "num_val": summary["num_val"],
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "device": hardware.device_name(summary["device"] == "gpu"),
        "backend": summary["backend"],
        "versions": summary["versions"],
        "wall_time_s": round(time.perf_counter() - started, 1),
        "train_wall_time_s": round(sum(r["wall_time_s"] for r in runs.values()), 1),
        "common": common,
        "baseline": summary["baseline"],
        "runs": runs,
    }


def _test_block(config: TrainConfig, run_dir: Path) -> dict | None:
    # CamVid's test split, scored once on the checkpoint val chose; synthetic runs have
    # no test split that means anything, so none is claimed.
    if config.dataset != "camvid":
        return None
    split = datasets.load_split("camvid", "test", root=config.data_root, download=False)
    model = Run(run_dir).best_model()
    return score_split(model, split, config.batch_size)[0]


NOT_MEASURED = "not measured yet"
"""str: what a table says for a score its results file does not hold."""


def split_scores(record: dict, split: str) -> dict | None:
    """The ``val`` or ``test`` block of a results record, or ``None`` where not measured.

    A record is ``results/demo.json`` or one entry of an experiment's ``runs``. Files
    written before test scoring existed hold only ``metrics`` (their val block) and no
    test block: their test is ``None``, never a number made up for them.

    Raises:
        ValueError: for a split other than ``"val"`` or ``"test"``.
    """
    if split == "val":
        return record.get("val") or record.get("metrics")
    if split == "test":
        return record.get("test")
    raise ValueError(f"split {split!r}: results files hold 'val' and 'test' blocks.")


def score_text(record: dict, split: str, key: str = "mean_iu", digits: int = 3) -> str:
    """One score of a record as a table prints it, or :data:`NOT_MEASURED`.

    Example:
        >>> score_text({"metrics": {"mean_iu": 0.5983}}, "val"), score_text({}, "test")
        ('0.598', 'not measured yet')
    """
    block = split_scores(record, split)
    if block is None or block.get(key) is None:
        return NOT_MEASURED
    return f"{block[key]:.{digits}f}"


def load_results(name: str, results_dir: str | os.PathLike | None = None) -> dict:
    """The committed results of a full run: ``results/<name>.json``, as :func:`run` returns.

    Raises:
        ValueError: for an unknown experiment.
        FileNotFoundError: when the file is missing, saying how to make it.
    """
    import json

    _check_name(name)
    path = Path(results_dir or RESULTS_DIR) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"no results file {path}: copy the shipped ones with `fcn-tutorial lab --copy-only` "
            "and work in that folder, or train the full runs and write it with `make results` "
            "(`fcn-tutorial results`: about an hour on 2 CPU cores, 31 minutes for transfer "
            "and 25 for skips when measured)."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def load_run_model(name: str, run_name: str, results: dict):
    """The best checkpoint of one run of ``results`` (from :func:`run`), as a Keras model.

    Raises:
        ValueError: for a run the results do not hold.
        FileNotFoundError: when its folder is gone (a committed file's runs are in
            ``runs/results/`` only where ``make results`` ran): rerun :func:`run`.
    """
    if run_name not in results["runs"]:
        raise ValueError(f"{name} has no run {run_name!r}: use one of {list(results['runs'])}.")
    path = ROOT / results["runs"][run_name]["run_dir"] / "best.keras"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run experiments.run({name!r}) (or `make results`) first."
        )
    return load_model(path)


def write_results(result: dict, results_dir: str | os.PathLike | None = None) -> Path:
    """Write :func:`run`'s result as ``<results_dir>/<experiment>.json`` (atomically).

    Run folders inside the repository are stored relative to it, so the committed file
    names no machine's folders.
    """
    result = dict(result)
    result["runs"] = {key: dict(spec) for key, spec in result["runs"].items()}
    for spec in result["runs"].values():
        run_dir = Path(spec["run_dir"])
        if run_dir.is_relative_to(ROOT):
            spec["run_dir"] = str(run_dir.relative_to(ROOT))
    return write_json(result, Path(results_dir or RESULTS_DIR) / f"{result['experiment']}.json")
