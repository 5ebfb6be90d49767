"""A training run's folder, owned by one object: :class:`Run`.

Everything that reads or writes a run goes through it, as Keras' ``BackupAndRestore``
owns its directory: ``train`` writes through it, and the demo, the experiments and the
benchmarks read through it. A run's folder holds:

- ``config.json``: the :class:`~fcn_tutorial.training.TrainConfig` it was started with;
- ``log.csv`` and ``log.json``: one row per epoch;
- ``last.keras`` and ``state.json``: what ``resume=True`` continues from;
- ``best.keras``: the best model by validation mean IU;
- ``summary.json``: the scores and facts of the finished run.

Every file is written atomically (to a temporary name beside it, then renamed), so a run
killed at any moment leaves each file whole: old or new, never half-written.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np

from fcn_tutorial.training.config import TrainConfig

__all__ = ["Run", "write_json", "json_default"]


def json_default(value):
    """``json.dumps(default=...)`` for NumPy numbers and arrays, tuples, sets and paths."""
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (tuple, set, np.ndarray)):
        return list(value)
    return str(value)


def write_json(data: dict, path: str | os.PathLike) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically; make its folder if needed.

    A temporary file in the same folder (the same file system) is renamed into place,
    which is atomic on POSIX and Windows: readers see the old file or the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, default=json_default) + "\n")
    os.replace(temporary, path)
    return path


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class Run:
    """The folder of one training run: its config, state, history, summary and models.

    Args:
        out: the run's folder (it need not exist yet).

    Example:
        >>> run = Run("/tmp/no-such-run")
        >>> run.summary is None, run.is_finished()
        (True, False)
    """

    def __init__(self, out: str | os.PathLike):
        self.path = Path(out)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    def file(self, name: str) -> Path:
        """The path of one of the run's files, e.g. ``run.file("best.keras")``."""
        return self.path / name

    @property
    def config(self) -> TrainConfig | None:
        """The config the run was started with (``config.json``), or ``None``."""
        stored = _read_json(self.file("config.json"))
        return None if stored is None else TrainConfig(**stored)

    @property
    def state(self) -> dict | None:
        """``state.json``: the last finished epoch, the best score, the history; or ``None``."""
        return _read_json(self.file("state.json"))

    @property
    def summary(self) -> dict | None:
        """``summary.json`` of a finished run, or ``None``."""
        return _read_json(self.file("summary.json"))

    @property
    def history(self) -> list[dict]:
        """One dict per finished epoch (``epoch``, ``loss``, ``val_mean_iu`` ...)."""
        return list((self.state or {}).get("history", []))

    def matches(self, config: TrainConfig) -> bool:
        """Whether this run was made with settings that give ``config``'s numbers.

        A field added to :class:`TrainConfig` after the run was made is absent from its
        ``config.json``; the run used that field's default, so it still matches a config
        that leaves the field at its default.
        """
        stored = _read_json(self.file("config.json"))
        if stored is None:
            return False
        defaults = TrainConfig().comparable()
        known = {k: v for k, v in stored.items() if k in defaults}
        try:
            theirs = TrainConfig(**{**dataclasses.asdict(TrainConfig()), **known}).comparable()
        except ValueError:  # a config.json this version cannot read
            return False
        return theirs == config.comparable()

    def is_finished(self, config: TrainConfig | None = None) -> bool:
        """Whether every epoch ran and a summary was written (for ``config``, if given)."""
        summary, state = self.summary, self.state or {}
        if not summary or not summary.get("history"):
            return False
        if config is not None and not self.matches(config):
            return False
        return state.get("epoch") == (config or self.config or TrainConfig()).epochs

    def can_resume(self) -> bool:
        """Whether a killed run left what ``resume=True`` continues from."""
        return self.file("state.json").is_file() and self.file("last.keras").is_file()

    def best_model(self):
        """``best.keras`` as a Keras model (custom objects included).

        Raises:
            FileNotFoundError: when the run has no ``best.keras`` yet.
            ValueError: when the file is not a Keras model.
        """
        from fcn_tutorial.training.evaluation import load_model

        return load_model(self.file("best.keras"))

    def write_json(self, name: str, data: dict) -> Path:
        """Write one of the run's JSON files atomically (see :func:`write_json`)."""
        return write_json(data, self.file(name))

    def save_model(self, model, name: str) -> Path:
        """Save ``model`` as the run's ``name`` (``best.keras``, ``last.keras``) atomically."""
        path = self.file(name)
        temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp.keras")
        model.save(temporary)
        os.replace(temporary, path)
        return path

    def start(self, config: TrainConfig) -> None:
        """Begin a fresh run here: forget an earlier one's files, record ``config``."""
        self.path.mkdir(parents=True, exist_ok=True)
        for name in (
            "log.csv",
            "log.json",
            "best.keras",
            "last.keras",
            "state.json",
            "summary.json",
        ):
            self.file(name).unlink(missing_ok=True)
        self.write_json("config.json", dataclasses.asdict(config))
