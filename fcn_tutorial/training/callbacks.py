"""The Keras callbacks ``train`` adds to ``fit``: checkpoints, a stop on a non-finite loss,
a time budget, throughput; and the random state a checkpoint keeps beside the model."""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from fcn_tutorial.training.run import Run

__all__ = [
    "Checkpoints",
    "NonFiniteLossError",
    "StopOnNonFiniteLoss",
    "TimeBudget",
    "Throughput",
    "random_state",
    "restore_random_state",
]


def _seed_variables(model) -> list:
    # Dropout's random state: variables Keras tracks (model.variables) but does not save
    # in a .keras file (model.weights); one [seed, counter] pair per SeedGenerator.
    saved = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in saved]


def random_state(model) -> list[list[int]]:
    """The model's random state that ``model.save`` leaves out: each dropout layer's
    ``SeedGenerator`` state ``[seed, counter]``, in ``model.variables`` order."""
    return [keras.ops.convert_to_numpy(v).tolist() for v in _seed_variables(model)]


def restore_random_state(model, state: list[list[int]]) -> None:
    """Put back what :func:`random_state` returned, so dropout draws what it would have.

    Raises:
        ValueError: if the model has another number of random states than ``state``.
    """
    variables = _seed_variables(model)
    if len(variables) != len(state):
        raise ValueError(
            f"the checkpoint holds {len(state)} random states but the model has "
            f"{len(variables)}: the model is not the one the run saved."
        )
    for variable, value in zip(variables, state, strict=True):
        variable.assign(np.asarray(value, dtype=variable.dtype))


class Checkpoints(keras.callbacks.Callback):
    """Each epoch: ``last.keras``, ``state.json`` (with dropout's random state), the logs,
    and ``best.keras`` when val mean IU rises.

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
        improved = logs.get("val_mean_iu", -math.inf) > self.best
        if improved:
            self.best = logs["val_mean_iu"]
        # Seconds per epoch (validation included) survive a resume: the summary adds them up.
        seconds = round(time.perf_counter() - self._started, 2)
        self.history.append({"epoch": epoch + 1, **logs, "seconds": seconds})
        self.run.save_model(self.model, "last.keras")
        if improved:  # the same weights and optimizer: copied, not serialised twice
            self.run.copy_model("last.keras", "best.keras")
        # state.json after last.keras: whichever epoch it names, last.keras is that far
        # along (the logs follow it, so they never name an epoch a resume would redo).
        state = {
            "epoch": epoch + 1,
            "best_val_mean_iu": self.best,
            "random_state": random_state(self.model),
            "history": self.history,
        }
        self.run.write_json("state.json", state)
        self.run.write_log(self.history)


class NonFiniteLossError(ValueError):
    """The training loss became NaN or infinite: training cannot recover from it."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops ``fit`` with :class:`NonFiniteLossError` at the first NaN or infinite loss.

    Unlike Keras' ``TerminateOnNaN``, which ends training quietly (and a run would then
    report scores of a broken model as if all went well), this raises, naming the epoch
    and step and what to change; the checkpoints keep the last finite epoch.

    Args:
        learning_rate: the run's starting rate, for the message.
    """

    def __init__(self, learning_rate: float):
        super().__init__()
        self.learning_rate = learning_rate

    def _check(self, logs, epoch: int, where: str) -> None:
        for key in ("loss", "val_loss"):
            value = (logs or {}).get(key)
            if value is not None and not math.isfinite(float(value)):
                kept = f"last.keras keeps epoch {epoch}" if epoch else "no epoch was saved"
                raise NonFiniteLossError(
                    f"the {'validation' if key == 'val_loss' else 'training'} loss became "
                    f"{float(value)} at {where}, so training stopped ({kept}): lower "
                    f"learning_rate= (this run's is {self.learning_rate:g}; try "
                    f"{self.learning_rate / 10:g}), or look for NaN or infinite values in "
                    "the data."
                )

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._check(logs, self._epoch, f"epoch {self._epoch + 1}, step {batch + 1}")

    def on_epoch_end(self, epoch, logs=None):
        self._check(logs, epoch, f"the end of epoch {epoch + 1}")


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
