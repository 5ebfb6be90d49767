"""Training on several devices: data parallelism with Keras' own distribution engine.

``TrainConfig(devices=2)`` (``fcn-tutorial train --devices 2``) trains one model on two
devices with ``keras.distribution.DataParallel`` over ``keras.distribution.list_devices()``:
every device holds a copy of the weights, each step's global batch of ``batch_size``
images is split across them (``batch_size / devices`` each), and the gradients are
averaged before every update, so the weights stay one set.

- **Batch.** ``batch_size`` stays the *global* batch: two devices each see 4 of a batch of
  8, and one step is the step one device would take on all 8. The last, short batch of an
  epoch is cut to a multiple of the device count (at most ``devices - 1`` images fewer).
- **Learning rate.** No rule is applied: the global batch, and thus the recipe, is the one
  a single device uses. Whoever raises ``batch_size`` to keep each device as busy as one
  was (``batch_size * devices``) should scale ``learning_rate`` with it (the linear
  scaling rule, Goyal et al. 2017), and check the result on val.
- **Batch norm.** The engine compiles one program over the whole global batch (SPMD), so
  batch-norm statistics are those of the global batch, as on one device.
- **Throughput.** Images per second grow with the devices when each one has enough work;
  virtual CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count=2``) share the
  same cores and only check that the code is right, they are not faster.

Why JAX only: the library calls no ``tf.*`` (the models are Keras 3, backend-free), and
in Keras 3.15 the distribution API has an engine only on JAX: the TensorFlow backend's
``distribution_lib`` is a prototype marked "DO NOT USE" (DTensor) that ``fit`` never
consults, and PyTorch's is ``None``. On those backends more than one device raises a
one-line error naming the fix, ``KERAS_BACKEND=jax``.

The weights saved (``last.keras``, ``best.keras``) are ordinary Keras files: a run
started on two devices resumes on one, and the other way round.
"""

from __future__ import annotations

import contextlib

import keras

from fcn_tutorial import hardware

__all__ = [
    "DEVICE_CHOICES",
    "check_devices",
    "choose_devices",
    "describe",
    "data_parallel",
    "EvenBatches",
    "even_batches",
]

DEVICE_CHOICES = ("auto", "all")
"""tuple[str, str]: the words ``TrainConfig.devices`` takes besides a count: ``"auto"``
(several accelerators on JAX when there are, else one device) and ``"all"``."""


def check_devices(devices, batch_size: int) -> str | int:
    """``devices`` in one form (a count as ``int``), checked without asking the backend.

    Args:
        devices: ``"auto"``, ``"all"``, a count ``>= 1`` (``2`` or ``"2"``).
        batch_size: the global batch, which a count must divide.

    Returns:
        ``"auto"``, ``"all"`` or the count.

    Raises:
        ValueError: for anything else, or a count that does not divide ``batch_size``.

    Example:
        >>> check_devices("2", batch_size=8), check_devices("auto", batch_size=8)
        (2, 'auto')
    """
    if devices in DEVICE_CHOICES:
        return devices
    if isinstance(devices, str) and devices.strip().isdigit():
        devices = int(devices)
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise ValueError(f"devices={devices!r}: pass 'auto', 'all' or a count >= 1.")
    if batch_size % devices:
        raise ValueError(
            f"batch_size={batch_size} does not split over devices={devices}: pass a batch_size "
            f"that is a multiple of {devices} (it is the global batch, shared by the devices)."
        )
    return devices


def choose_devices(devices: str | int, batch_size: int) -> list[str]:
    """The devices a run trains on, as ``keras.distribution`` names them (``"cpu:0"`` ...).

    ``"auto"`` takes, on JAX, every GPU or TPU when there are several (as many as divide
    ``batch_size``), and one device otherwise (on a CPU, or another backend); ``"all"``
    takes every device the backend lists; a count takes the first that many.

    Raises:
        ValueError: for more than one device on a backend without a distribution engine
            (naming ``KERAS_BACKEND=jax``), or more devices than the backend sees.
    """
    devices = check_devices(devices, batch_size)
    seen = hardware.devices()
    if devices == "auto":
        on_accelerator = not seen[0].lower().startswith("cpu")
        count = len(seen) if keras.backend.backend() == "jax" and on_accelerator else 1
        count = max(n for n in range(1, count + 1) if batch_size % n == 0)
    else:
        count = len(seen) if devices == "all" else devices
    if count > 1 and keras.backend.backend() != "jax":
        raise ValueError(
            f"devices={devices!r} needs Keras' distribution engine, which Keras "
            f"{keras.__version__} has only on JAX, not {keras.backend.backend()}: run with "
            "KERAS_BACKEND=jax (pip install jax), or pass devices=1."
        )
    if count > len(seen):
        raise ValueError(
            f"devices={count} but {keras.backend.backend()} sees {len(seen)} "
            f"({', '.join(seen)}): pass devices<={len(seen)}, or on a CPU start Python with "
            f"XLA_FLAGS=--xla_force_host_platform_device_count={count} for virtual devices."
        )
    return seen[:count]


def describe(names: list[str]) -> str:
    """The log line a run starts with, e.g. ``"training on 2 devices: cpu:0, cpu:1"``.

    Example:
        >>> describe(["cpu:0", "cpu:1"])
        'training on 2 devices: cpu:0, cpu:1'
    """
    return f"training on {len(names)} device{'s' if len(names) > 1 else ''}: {', '.join(names)}"


def data_parallel(names: list[str]):
    """A context in which the model is built, compiled and fitted on ``names``.

    One device: nothing changes (no distribution is set). Several: the scope of
    ``keras.distribution.DataParallel(devices=names)``, so the weights made in it are
    copied to every device and ``fit`` splits each batch between them.
    """
    if len(names) < 2:
        return contextlib.nullcontext()
    return keras.distribution.DataParallel(devices=names).scope()


class EvenBatches(keras.utils.PyDataset):
    """A batch sequence whose batches split evenly over ``count`` devices.

    Every batch is cut to a multiple of ``count`` (only the last, short one ever is),
    and a last batch smaller than ``count`` is left out. ``epoch`` is the wrapped
    sequence's, so order and augmentation are what one device would see.

    Args:
        sequence: a :class:`~fcn_tutorial.datasets.pipeline.SegmentationSequence`.
        count: the number of devices.
    """

    def __init__(self, sequence, count: int):
        super().__init__(
            workers=sequence.workers,
            use_multiprocessing=sequence.use_multiprocessing,
            max_queue_size=sequence.max_queue_size,
        )
        self.sequence = sequence
        self.count = count

    @property
    def epoch(self) -> int:
        return self.sequence.epoch

    @epoch.setter
    def epoch(self, value: int) -> None:
        self.sequence.epoch = value

    @property
    def ignore_class(self) -> int:
        return self.sequence.ignore_class

    def __len__(self) -> int:
        last = len(self.sequence.images) - (len(self.sequence) - 1) * self.sequence.batch_size
        return len(self.sequence) - (last < self.count)

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of a sequence of {len(self)} batches")
        x, y = self.sequence[index]
        keep = len(x) - len(x) % self.count
        return x[:keep], y[:keep]

    def on_epoch_end(self) -> None:
        self.sequence.on_epoch_end()


def even_batches(sequences, names: list[str]):
    """``sequences`` as they are for one device, each wrapped in :class:`EvenBatches` for more."""
    if len(names) < 2:
        return sequences
    return tuple(EvenBatches(sequence, len(names)) for sequence in sequences)
