"""A training run's folder, owned by one object: :class:`Run`.

Everything that reads or writes a run goes through it, as Keras' ``BackupAndRestore``
owns its directory: ``train`` writes through it, and the demo, the experiments and the
benchmarks read through it. A run's folder holds:

- ``config.json``: the :class:`~fcn_tutorial.training.TrainConfig` it was started with;
- ``log.csv`` and ``log.json``: one row per finished epoch, rewritten whole from the
  checkpointed history each epoch (so a resumed run never repeats a row);
- ``last.keras`` and ``state.json``: what ``resume=True`` continues from (``state.json``
  also holds the random state of dropout, so a resumed run draws what the killed one would
  have drawn);
- ``best.keras``: the best model by validation mean IU;
- ``summary.json``: the scores and facts of the finished run.

Every file is written atomically (to a temporary name beside it, then renamed), so a run
killed at any moment leaves each file whole: old or new, never half-written; the
temporary files such a kill leaves are removed when the run starts or resumes. A run is
never deleted: starting again in its folder needs ``overwrite=True``, which moves it aside.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

from fcn_tutorial.files import replacing
from fcn_tutorial.training.config import TrainConfig

__all__ = ["Run", "write_json", "write_text", "json_default"]

# The files that make a folder hold a run: each is written only after an epoch ends.
_RUN_FILES = ("state.json", "last.keras", "best.keras", "summary.json")

# The settings a resumed run may change: how far it goes. More epochs keep the first
# run's learning-rate schedule, which comes back with the optimizer from last.keras.
RESUMABLE = ("epochs", "time_budget_s")
"""tuple[str, ...]: the :class:`TrainConfig` fields a resumed run may change."""


def json_default(value):
    """``json.dumps(default=...)`` for NumPy numbers and arrays, tuples, sets and paths."""
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (tuple, set, np.ndarray)):
        return list(value)
    return str(value)


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write ``text`` to ``path`` atomically; make its folder if needed.

    A temporary file in the same folder (the same file system) is renamed into place,
    which is atomic on POSIX and Windows: readers see the old file or the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as temporary:
        temporary.write_text(text)
    return path


def write_json(data: dict, path: str | os.PathLike) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically (see :func:`write_text`)."""
    return write_text(json.dumps(data, indent=2, default=json_default) + "\n", path)


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
        return self.differences(config) == {}

    def differences(self, config: TrainConfig) -> dict | None:
        """``{field: (this run's value, config's value)}`` for every setting that decides
        the numbers and differs; ``None`` without a ``config.json`` this version can read.

        A field added to :class:`TrainConfig` after the run was made counts as its default.
        """
        stored = _read_json(self.file("config.json"))
        if stored is None:
            return None
        defaults = TrainConfig().comparable()
        known = {k: v for k, v in stored.items() if k in defaults}
        try:
            theirs = TrainConfig(**{**dataclasses.asdict(TrainConfig()), **known}).comparable()
        except ValueError:  # a config.json this version cannot read
            return None
        ours = config.comparable()
        return {key: (theirs[key], ours[key]) for key in ours if theirs[key] != ours[key]}

    def check_resume(self, config: TrainConfig) -> None:
        """Refuse to continue this run with settings other than its own (see :data:`RESUMABLE`).

        A resumed run that silently took new settings would be neither the old run nor
        the new one.

        Raises:
            ValueError: naming each setting that differs, and the fixes.
        """
        differences = self.differences(config)
        if differences is None:
            raise ValueError(
                f"{self.file('config.json')} is missing or unreadable, so resuming cannot "
                "check the settings: restore the file, or pass overwrite=True instead of "
                "resume=True to move the run aside and start again."
            )
        for key in RESUMABLE:
            differences.pop(key, None)
        if differences:
            changed = ", ".join(
                f"{k}={new!r} (the run has {old!r})" for k, (old, new) in differences.items()
            )
            raise ValueError(
                f"{self.path} was started with other settings: {changed}. Resume with the "
                "run's own settings, or pass overwrite=True instead of resume=True to move "
                "the run aside and start again, or another out= folder."
            )

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
        return self._write_model(name, model.save)

    def copy_model(self, source: str, name: str) -> Path:
        """Copy the run's ``source`` checkpoint to ``name`` atomically: the same model as
        saving it again, in a file copy's time instead of a second serialisation."""
        return self._write_model(
            name, lambda temporary: shutil.copyfile(self.file(source), temporary)
        )

    def _write_model(self, name: str, write) -> Path:
        with replacing(self.file(name)) as temporary:
            write(temporary)
        return self.file(name)

    def write_log(self, history: list[dict]) -> None:
        """Write ``log.csv`` and ``log.json`` whole from ``history``, one row per epoch.

        ``log.csv`` reads as Keras' ``CSVLogger`` wrote it (``epoch`` counted from 0,
        then the logged values by name), but is rewritten atomically from the checkpointed
        history instead of appended to, so a run killed and resumed has each epoch once.
        """
        keys = sorted({key for row in history for key in row} - {"epoch"})
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["epoch", *keys])
        for row in history:
            writer.writerow([row["epoch"] - 1, *(row.get(key, "NA") for key in keys)])
        write_text(text.getvalue(), self.file("log.csv"))
        self.write_json("log.json", {"epochs": history})

    def remove_temporary_files(self) -> list[Path]:
        """Delete the ``.NAME.PID.tmp*`` files a killed run left behind; return them."""
        found = sorted(self.path.glob(".*.tmp*")) if self.path.is_dir() else []
        for path in found:
            path.unlink(missing_ok=True)
        return found

    def read_state(self) -> dict:
        """``state.json`` for a resume, checked: the last epoch, the best score, the history.

        Raises:
            ValueError: when it is not the JSON a run writes, naming the file and the fix.
        """
        path = self.file("state.json")
        try:
            state = json.loads(path.read_text())
            if not isinstance(state, dict) or not isinstance(state.get("history"), list):
                raise ValueError("it holds no epoch history")
        except ValueError as error:  # json.JSONDecodeError is one
            raise ValueError(
                f"{path} is damaged ({str(error).splitlines()[0]}), so the run cannot be "
                "resumed: restore the file, or pass overwrite=True instead of resume=True to "
                "start the run again (the old one is moved aside)."
            ) from None
        return state

    def load_last(self):
        """``last.keras``, compiled state and optimizer included, for a resume.

        Raises:
            ValueError: when the file is not a whole Keras model, naming it and the fix.
        """
        import keras

        path = self.file("last.keras")
        fix = (
            "restore the file, or pass overwrite=True instead of resume=True to start the run "
            "again (the old one is moved aside)."
        )
        if not zipfile.is_zipfile(path):
            raise ValueError(
                f"{path} is not a whole Keras model (a .keras file is a zip archive; this one "
                f"is truncated or damaged, {path.stat().st_size} bytes): {fix}"
            )
        try:
            return keras.saving.load_model(path)
        except Exception as error:
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:120]
            raise ValueError(
                f"{path} cannot be loaded as a Keras model ({reason}): {fix}"
            ) from None

    def describe(self) -> str:
        """What the folder holds, in words: ``"a run stopped after epoch 2 of 8"`` ..."""
        state, summary = self.state, self.summary
        if state is None:
            names = ", ".join(n for n in _RUN_FILES if self.file(n).exists())
            return f"a run's files ({names})" if names else "no run"
        planned = (_read_json(self.file("config.json")) or {}).get("epochs", "?")
        if summary is not None and state.get("epoch") == planned:
            return f"a finished run of {planned} epochs"
        return f"a run stopped after epoch {state.get('epoch')} of {planned}"

    def holds_run(self) -> bool:
        """Whether at least one epoch of a run was saved here (its state, a model, a summary)."""
        return any(self.file(name).exists() for name in _RUN_FILES)

    def check_start(self, config: TrainConfig) -> None:
        """Refuse to start a fresh run over one that holds epochs, unless ``config.overwrite``.

        Raises:
            ValueError: saying what the folder holds, naming ``resume=True`` and
                ``overwrite=True``.
        """
        if self.holds_run() and not config.overwrite:
            raise ValueError(
                f"{self.path} holds {self.describe()}: pass resume=True to continue it, "
                "overwrite=True to move it aside and start again, or another out= folder."
            )

    def start(self, config: TrainConfig) -> Path | None:
        """Begin a fresh run here and record ``config``; never delete an earlier one.

        A folder that holds a run (see :meth:`holds_run`) is refused unless
        ``config.overwrite``: then the whole folder is moved aside, to a sibling
        ``NAME.replaced-<UTC time>`` folder (printed, and returned), before the new run
        starts in an empty one. Temporary files of a killed run are removed either way.

        Returns:
            Where the earlier run was moved, or ``None``.

        Raises:
            ValueError: for a folder that holds a run, without ``overwrite``: the message
                says what it holds and names ``resume=True`` and ``overwrite=True``.
        """
        self.check_start(config)
        self.remove_temporary_files()
        replaced = self._move_aside() if self.holds_run() else None
        self.path.mkdir(parents=True, exist_ok=True)
        for name in ("log.csv", "log.json"):  # a run killed before its first epoch
            self.file(name).unlink(missing_ok=True)
        self.write_json("config.json", dataclasses.asdict(config))
        return replaced

    def _move_aside(self) -> Path:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.replaced-{stamp}")
        suffix = 1
        while target.exists():
            suffix += 1
            target = self.path.with_name(f"{self.path.name}.replaced-{stamp}-{suffix}")
        what = self.describe()
        os.rename(self.path, target)
        print(f"moved {what} from {self.path} to {target}, where it is kept", flush=True)
        return target
