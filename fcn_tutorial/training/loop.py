"""``train``: config → data → model → fit → evaluate → summary, each step a named function.

The recipe: Adam with a polynomial ("poly", power 0.9) decay from ``learning_rate`` to
``end_learning_rate`` over all the steps; a cross-entropy that ignores void (optionally
weighted by median-frequency balancing); mean IU as the metric; mixed precision and XLA
only on a GPU. Every epoch writes the run's logs and checkpoints through
:class:`~fcn_tutorial.training.Run`, so a run killed at any moment leaves usable files.
A failure inside ``fit`` (a batch that cannot be read, a NaN loss, Ctrl-C) stops the
data pipeline's threads before it leaves :func:`train`, so the process can always exit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import os
import time
import zipfile

import keras

from fcn_tutorial import datasets, hardware
from fcn_tutorial.classes import median_frequency_weights
from fcn_tutorial.datasets.pipeline import SegmentationSequence
from fcn_tutorial.losses import MaskedSparseCrossEntropy, MeanIU
from fcn_tutorial.models import backbone_layers, build_fcn
from fcn_tutorial.scores import majority_baseline
from fcn_tutorial.training import devices
from fcn_tutorial.training.callbacks import (
    Checkpoints,
    StopOnNonFiniteLoss,
    Throughput,
    TimeBudget,
    restore_random_state,
)
from fcn_tutorial.training.config import TrainConfig, mixed_policy
from fcn_tutorial.training.evaluation import evaluate, scores_to_json
from fcn_tutorial.training.run import Run

__all__ = ["train", "load_data"]


def train(
    config: TrainConfig | dict | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
    **overrides,
) -> dict:
    """Train an FCN as ``config`` says, log it, checkpoint it, score it; resumable.

    ``train(profile="quick", out="/tmp/run")`` starts from a ``PROFILES`` preset and
    changes what is passed; ``train(TrainConfig(...))`` uses exactly what it is given.

    A folder: without ``resume``, an ``out`` that holds a run is refused (``overwrite=True``
    moves that run aside to ``OUT.replaced-<UTC time>`` and starts again); nothing is
    ever deleted. Temporary files a killed run left are removed.

    Resume: with ``resume=True`` and a run in ``out`` that can be resumed, training
    continues at the epoch after the last checkpoint, to ``epochs`` (with the run's own
    settings: only ``epochs`` and ``time_budget_s`` may change, another is refused,
    named), and ends where the uninterrupted run would have: bit for bit on CPU with the
    TensorFlow backend (the same final weights and every logged loss and score;
    ``tests/test_training.py`` checks it on the quick profile). What makes it so: the
    weights, batch-norm statistics and optimizer state (moments, step count and so the
    schedule's place) come back from ``last.keras``; dropout's random state (which
    ``.keras`` files leave out) from ``state.json``; the data order and augmentation
    depend on ``(seed, epoch)`` only, and ``fit`` does not shuffle the batches (Keras
    would, from Python's global random state, which a restart re-seeds). On a GPU, cuDNN
    and XLA may sum floats in another order from one run to the next, resumed or not:
    expect the same up to float rounding (about 1e-6 relative per step, growing with
    training), as for two uninterrupted runs there. JAX and PyTorch restore the same
    state and are not tested bit for bit. An epoch cut off halfway (a kill, or
    ``time_budget_s``) is redone from its start.

    Shapes: every training batch has one height and width (``crop_size``, or the images'
    own size; see :class:`~fcn_tutorial.datasets.SegmentationSequence`), so TensorFlow's
    input signature holds for every seed and JAX compiles the training step once per run
    (once more for a smaller last batch), not once for every new shape.

    Args:
        config: a :class:`TrainConfig`, a dict of its fields, or ``None``.
        callbacks: more Keras callbacks, run after the logger and the checkpoints.
        **overrides: any :class:`TrainConfig` field, e.g. ``epochs=2``, ``weights=None``.

    Returns:
        dict: the contents of ``summary.json``: ``metrics`` (the four paper metrics and
        per-class IU of ``best.keras`` over the validation set), ``baseline`` (the same
        for the majority-class predictor), ``history``, ``wall_time_s`` (this call),
        ``train_time_s`` (all epochs, over resumes), ``train_images_per_s`` (training
        steps after the first, which compiles), ``stopped_by_budget``, ``device``,
        ``devices`` (all the backend sees), ``train_devices`` (those this run used,
        see :mod:`~fcn_tutorial.training.devices`), ``backend``, ``versions``,
        ``profile``, ``config``, ``initial_epoch``.

    Raises:
        ValueError: for an unknown dataset, backbone, variant or profile, a setting that
            cannot train (naming it), bad data (naming the file), an ``out`` that holds a
            run (naming ``resume`` and ``overwrite``), a resume with other settings than
            the run's (naming them), a damaged checkpoint or ``state.json`` (naming it
            and the fix), or a loss that became NaN
            (:class:`~fcn_tutorial.training.callbacks.NonFiniteLossError`).
        FileNotFoundError: for missing data folders.
        WeightsUnavailableError: when ImageNet weights cannot be had.
        Exception: whatever a batch raised in a data worker thread, as it was raised.

    Example:
        >>> summary = train(epochs=1, num_train=8, num_val=4, weights=None,
        ...                 out="/tmp/fcn-doctest-run", verbose=0)  # doctest: +SKIP
        >>> sorted(summary["metrics"])[:2]  # doctest: +SKIP
        ['frequency_weighted_iu', 'mean_accuracy']
    """
    config = _resolve(config, overrides)
    started = time.perf_counter()
    names = devices.choose_devices(config.devices, config.batch_size)  # before any data
    run = Run(config.out)
    state = _check_out(config, run)  # before any data is read: a refusal costs no minutes
    keras.utils.set_random_seed(config.seed)
    train_split, val_split = load_data(config)
    on_gpu = hardware.gpu_available()
    batches = _batches(config, train_split, val_split, on_gpu)
    train_data, val_data = devices.even_batches(batches, names)
    mixed = mixed_policy(config.mixed_precision, on_gpu)
    if config.verbose and len(names) > 1:
        print(devices.describe(names), flush=True)
    with _dtype_policy(mixed), devices.data_parallel(names):
        model, checkpoints = _build_or_resume(config, run, state, len(train_split.class_names))
        # JAX without XLA runs op by op, many times slower; TensorFlow on a CPU is slower with it.
        jit = on_gpu or hardware.backend() == "jax"
        jit = jit if config.jit_compile is None else bool(config.jit_compile)
        _compile(model, config, train_data, train_split, jit, resumed=state is not None)
        extra = _fit(model, config, train_data, val_data, checkpoints, callbacks)
        best = run.best_model() if run.file("best.keras").is_file() else model
        scores = evaluate(
            best, val_split.images, val_split.masks, config.batch_size, ignore_class=config.void
        )
    summary = _summary(config, train_split, val_split, scores, checkpoints, extra)
    summary.update(
        wall_time_s=round(time.perf_counter() - started, 2),
        steps_per_epoch=len(train_data),
        device="gpu" if on_gpu else "cpu",
        mixed_precision=mixed,
        jit_compile=jit,
        train_devices=names,
    )
    run.write_json("summary.json", summary)
    return summary


def _resolve(config, overrides: dict) -> TrainConfig:
    # Explicit values win over the profile's, which win over the defaults.
    if isinstance(config, TrainConfig):
        return dataclasses.replace(config, **overrides) if overrides else config
    if config is not None and not isinstance(config, dict):
        raise ValueError(f"config is a {type(config).__name__}: pass a TrainConfig or a dict.")
    values = {**(config or {}), **overrides}
    return TrainConfig.from_profile(values.pop("profile", None), **values)


def load_data(config: TrainConfig) -> tuple[datasets.Split, datasets.Split]:
    """The training and validation splits a config asks for, through ``datasets.load_split``.

    Returns:
        ``(train, val)``: :class:`~fcn_tutorial.datasets.Split` objects.

    Raises:
        ValueError, FileNotFoundError: from the loaders, naming the file and the fix.
    """
    if config.dataset == "synthetic":  # num_train=None draws load_split's 96, num_val 24
        common = {"size": config.image_size, "seed": config.seed}
        return (
            datasets.load_split("synthetic", "train", count=config.num_train, **common),
            datasets.load_split("synthetic", "val", count=config.num_val, **common),
        )
    if config.dataset == "camvid":
        return (
            datasets.load_split("camvid", "train", root=config.data_root, count=config.num_train),
            datasets.load_split("camvid", "val", root=config.data_root, count=config.num_val),
        )
    options = {
        "root": config.data_root,
        "size": config.image_size or ((352, 1216) if config.dataset == "kitti" else None),
        "num_val": config.num_val,
    }
    if config.dataset == "folder":  # KITTI knows its two classes, and has no such folders
        options.update(images=config.images, masks=config.masks, num_classes=config.num_classes)
        options.update(void_index=config.void_index)
    return (
        datasets.load_split(config.dataset, "train", count=config.num_train, **options),
        datasets.load_split(config.dataset, "val", **options),
    )


def _batches(config: TrainConfig, train_split, val_split, on_gpu: bool):
    num_classes = len(train_split.class_names)
    workers = config.data_workers or (min(8, os.cpu_count() or 1) if on_gpu else 1)
    train_data = SegmentationSequence(
        train_split.images,
        train_split.masks,
        batch_size=config.batch_size,
        shuffle=True,
        augment=config.augment,
        crop_size=config.crop_size,
        seed=config.seed,
        num_classes=num_classes,
        void_index=config.void,
        workers=workers,
    )
    # Validation sees whole images, in order, unaugmented.
    val_data = SegmentationSequence(
        val_split.images,
        val_split.masks,
        batch_size=config.batch_size,
        shuffle=False,
        seed=config.seed,
        num_classes=num_classes,
        void_index=config.void,
    )
    return train_data, val_data


@contextlib.contextmanager
def _dtype_policy(policy: str | None):
    # Mixed precision is a global Keras setting: set it for this run, then put it back.
    previous = keras.config.dtype_policy()
    try:
        if policy:
            keras.mixed_precision.set_global_policy(policy)
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _check_out(config: TrainConfig, run: Run) -> dict | None:
    # The run's folder, before any minute is spent: the state to resume from, or None
    # for a fresh run (refused where a run would be lost, unless config.overwrite).
    if config.resume and run.can_resume():
        run.remove_temporary_files()
        state = run.read_state()
        if not zipfile.is_zipfile(run.file("last.keras")):
            run.load_last()  # raises, naming the file and the fix
        run.check_resume(config)
        return state
    if config.resume and run.holds_run():
        raise ValueError(
            f"{run.path} holds {run.describe()} but no state.json and last.keras to resume "
            "from: restore them, or pass overwrite=True instead of resume=True to move the "
            "run aside and start again."
        )
    run.check_start(config)
    return None


def _build_or_resume(config: TrainConfig, run: Run, state: dict | None, num_classes: int):
    if state is not None:
        model = run.load_last()
        if int(model.output_shape[-1]) != num_classes:
            raise ValueError(
                f"{run.file('last.keras')} predicts {model.output_shape[-1]} classes but "
                f"{config.dataset} has {num_classes}: use another out=, or overwrite=True."
            )
        if "random_state" in state:  # runs saved before it was kept redraw dropout's masks
            restore_random_state(model, state["random_state"])
        best = float(state.get("best_val_mean_iu", -math.inf))
        return model, Checkpoints(run, best, list(state.get("history", [])))
    run.start(config)
    model = build_fcn(
        num_classes,
        backbone=config.backbone,
        variant=config.variant,
        weights=config.weights,
        alpha=1.0 if config.backbone == "vgg16" else config.alpha,
        fc_width=config.fc_width,
    )
    if config.freeze_backbone:
        for layer in backbone_layers(model):
            layer.trainable = False
    return model, Checkpoints(run)


def _compile(model, config, train_data, train_split, jit: bool, resumed: bool) -> None:
    num_classes = len(train_split.class_names)
    if resumed:  # last.keras brings the optimizer's moments and step count (the schedule's place)
        optimizer = model.optimizer
    else:
        schedule = keras.optimizers.schedules.PolynomialDecay(
            config.learning_rate,
            decay_steps=max(1, config.epochs * len(train_data)),
            end_learning_rate=config.end_learning_rate,
            power=0.9,
        )
        optimizer = keras.optimizers.Adam(schedule)
    class_weights = None
    if config.class_weighting:
        class_weights = median_frequency_weights(list(train_split.masks), num_classes).tolist()
    # Void pixels, and the padding of batches (train_data.ignore_class), count nowhere.
    ignore = train_data.ignore_class
    model.compile(
        optimizer=optimizer,
        loss=MaskedSparseCrossEntropy(ignore_class=ignore, class_weights=class_weights),
        metrics=[MeanIU(num_classes, ignore_class=ignore)],
        jit_compile=jit,
    )
    # Adam's moments now, not inside the first trace of the training step: TensorFlow
    # traces a step that creates variables twice, which cost a third of a quick run.
    if not optimizer.built:
        optimizer.build(model.trainable_variables)


def _fit(model, config, train_data, val_data, checkpoints, callbacks) -> dict:
    initial_epoch = len(checkpoints.history)
    # The sequence's epoch counter picks the order and augmentation: carry it on.
    train_data.epoch = initial_epoch
    throughput = Throughput(config.batch_size)
    budget = TimeBudget(config.time_budget_s) if config.time_budget_s else None
    if initial_epoch < config.epochs:
        try:
            model.fit(
                train_data,
                validation_data=val_data,
                epochs=config.epochs,
                initial_epoch=initial_epoch,
                # The sequence shuffles by (seed, epoch); Keras' own shuffle would draw
                # from Python's global random state, which a resumed run re-seeds.
                shuffle=False,
                callbacks=[
                    StopOnNonFiniteLoss(config.learning_rate),  # before a NaN is saved
                    checkpoints,
                    throughput,
                    *([budget] if budget else []),
                    *(callbacks or []),
                ],
                verbose=config.verbose,
            )
        except BaseException as error:
            _stop_data_threads(model, error)
            failure = train_data.failure or val_data.failure
            if failure is not None and failure is not error:
                raise failure from None  # a worker thread's error, as it was raised there
            raise
    return {
        "initial_epoch": initial_epoch,
        "train_images_per_s": throughput.images_per_s,
        "stopped_by_budget": bool(budget and budget.stopped),
    }


def _stop_data_threads(model, error: BaseException) -> None:
    """Let go of the data iterators a failed ``fit`` left running, and wait for them.

    TensorFlow prefetches batches on its own threads, which call into Python. The
    iterators live on in the frames of the error's traceback (and in Keras' validation
    iterator on the model) until the interpreter exits, and an iterator destroyed while
    Python shuts down waits forever for a thread Python no longer lets run: the process
    prints its error and hangs. Clearing those frames' locals (the traceback itself
    stays printable) destroys the iterators now, while their threads can still finish.
    """
    if getattr(model, "_eval_epoch_iterator", None) is not None:
        model._eval_epoch_iterator = None
    seen, pending = set(), [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        trace = current.__traceback__
        while trace is not None:
            frame = trace.tb_frame
            while frame is not None:  # the frames it was called from hold locals too
                with contextlib.suppress(RuntimeError):  # a frame still running
                    frame.clear()
                frame = frame.f_back
            trace = trace.tb_next
        pending += [current.__context__, current.__cause__]
    gc.collect()


def _summary(config, train_split, val_split, scores, checkpoints, extra: dict) -> dict:
    names = list(train_split.class_names)
    baseline = majority_baseline(train_split.masks, val_split.masks, len(names))
    return {
        "profile": config.profile,
        "metrics": scores_to_json(scores, names),
        "baseline": {
            "predictor": f"every pixel {names[baseline['class']]}",
            **scores_to_json(baseline, names),
        },
        "best_val_mean_iu": checkpoints.best if checkpoints.best > -math.inf else None,
        "history": checkpoints.history,
        "initial_epoch": extra["initial_epoch"],
        "epochs": config.epochs,
        "train_time_s": round(sum(row.get("seconds", 0) for row in checkpoints.history), 1),
        "train_images_per_s": extra["train_images_per_s"],
        "stopped_by_budget": extra["stopped_by_budget"],
        "devices": hardware.devices(),
        "backend": hardware.backend(),
        "versions": hardware.versions(),
        "num_train": len(train_split),
        "num_val": len(val_split),
        "class_names": names,
        "config": dataclasses.asdict(config),
    }
