"""The Keras callbacks ``train`` adds to ``fit``: checkpoints, a time budget, throughput."""

from __future__ import annotations

import math
import time

import keras

from fcn_tutorial.training.run import Run

__all__ = ["Checkpoints", "TimeBudget", "Throughput"]


class Checkpoints(keras.callbacks.Callback):
    """Each epoch: ``last.keras`` and ``state.json``, and ``best.keras`` when val mean IU rises.

    Args:
        run: the run's folder.
        best: the best validation mean IU so far (a resumed run's).
        history: the epochs so far (a resumed run's), extended in place.
    """

    def __init__(self, run: Run, best: float = -math.inf, history: list | None = None):
        super().__init__()
        self.run = run
        self.best = best
        self.history = history if history is not None else []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        score = logs.get("val_mean_iu", -math.inf)
        if score > self.best:
            self.best = score
            self.run.save_model(self.model, "best.keras")
        # Seconds per epoch (validation included) survive a resume: the summary adds them up.
        seconds = round(time.perf_counter() - self._started, 2)
        self.history.append({"epoch": epoch + 1, **logs, "seconds": seconds})
        self.run.save_model(self.model, "last.keras")
        # state.json last: whichever epoch it names, last.keras is at least that far along.
        state = {"epoch": epoch + 1, "best_val_mean_iu": self.best, "history": self.history}
        self.run.write_json("state.json", state)
        self.run.write_json("log.json", {"epochs": self.history})


class TimeBudget(keras.callbacks.Callback):
    """Stops ``fit`` at the first batch end past ``seconds`` (a fixed-time GPU run).

    ``stopped`` says afterwards whether the budget, not the epoch count, ended training.
    """

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.stopped = False

    def on_train_begin(self, logs=None):
        self.deadline = time.perf_counter() + self.seconds

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() > self.deadline:
            self.model.stop_training = True
            self.stopped = True


class Throughput(keras.callbacks.Callback):
    """Training images per second, the first step (which traces and compiles) left out."""

    def __init__(self, batch_size: int):
        super().__init__()
        self.batch_size = batch_size
        self.seconds = 0.0
        self.steps = 0
        self._compiled = False

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self._compiled:
            self.seconds += time.perf_counter() - self._start
            self.steps += 1
        self._compiled = True

    @property
    def images_per_s(self) -> float | None:
        """Images per second over the timed steps, or ``None`` before any."""
        return round(self.steps * self.batch_size / self.seconds, 2) if self.seconds else None
