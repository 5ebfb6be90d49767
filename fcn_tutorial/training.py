"""Train, evaluate and apply an FCN: what ``fcn-tutorial train/evaluate/predict`` run.

Keras 3 only, so the same code trains on the TensorFlow, JAX and PyTorch backends. The
notebooks train briefly, in a few cells; this module is the full recipe: data, model,
loss, schedule, logs, checkpoints and the paper's metrics in one call::

    from fcn_tutorial import training
    summary = training.train(profile="quick", out="/tmp/runs/quick")
    summary["metrics"]["mean_iu"], summary["baseline"]["mean_iu"]

A run's folder holds ``log.csv`` and ``log.json`` (one row per epoch), ``best.keras``
(the best model by validation mean IU), ``last.keras`` and ``state.json`` (what
``resume=True`` continues from) and ``summary.json``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import sys
import time
import zipfile
from pathlib import Path

import keras
import numpy as np

from fcn_tutorial.classes import median_frequency_weights
from fcn_tutorial.datasets import (
    CLASS_NAMES,
    KITTI_CLASS_NAMES,
    NUM_CLASSES,
    VOID,
    load_camvid,
    load_folder,
    load_kitti_road,
    synthetic_driving,
)
from fcn_tutorial.datasets.pipeline import SegmentationSequence
from fcn_tutorial.losses import MaskedSparseCrossEntropy, MeanIU
from fcn_tutorial.models import BACKBONES, VARIANTS, backbone_layers, build_fcn
from fcn_tutorial.scores import confusion_matrix, majority_baseline, segmentation_scores

__all__ = [
    "DATASETS",
    "PROFILES",
    "TrainConfig",
    "train",
    "evaluate",
    "predict_masks",
    "load_model",
    "load_dataset",
    "gpu_available",
    "mixed_policy",
]

DATASETS = ("synthetic", "camvid", "kitti", "folder")


@dataclasses.dataclass
class TrainConfig:
    """Everything one training run depends on; ``PROFILES`` holds tested presets.

    Args:
        dataset: ``"synthetic"`` (drawn on the fly, offline), ``"camvid"``, ``"kitti"``
            (KITTI road, 2 classes) or ``"folder"`` (``images`` and ``masks``).
        data_root: the CamVid or KITTI folder (``None``: CamVid's cache).
        images: for ``"folder"``: the photos' folder.
        masks: for ``"folder"``: the index-PNG masks' folder (same file stems).
        num_classes: classes of ``"folder"`` masks (the other datasets know theirs).
        backbone: ``"vgg16"``, ``"mobilenet"`` or ``"mobilenetv2"``.
        variant: ``"fcn32s"``, ``"fcn16s"`` or ``"fcn8s"``.
        alpha: MobileNet width multiplier (ignored for VGG16).
        fc_width: VGG16's fc6/fc7 width (``None``: the paper's 4096).
        weights: ``"imagenet"`` or ``None`` (random initialisation).
        freeze_backbone: train only the FCN head (:func:`~fcn_tutorial.models.backbone_layers`
            stay as initialised, batch norm included).
        epochs: epochs in all (a resumed run goes on to this number).
        batch_size: images per step.
        learning_rate: the schedule's starting rate (Adam).
        end_learning_rate: the rate the polynomial ("poly") decay reaches at the end.
        class_weighting: weight the loss by median-frequency balancing.
        augment: random scale, flip and colour jitter on the training images.
        crop_size: ``(height, width)`` crops for training; ``None`` keeps full images.
        image_size: ``(height, width)`` of synthetic images, or the size KITTI and
            ``"folder"`` images are resized to (``None``: as they are; KITTI needs one).
        num_train: synthetic training images (or the first ``num_train`` of a real set).
        num_val: synthetic validation images (or the first ``num_val`` of a real set).
        mixed_precision: ``"bfloat16"`` or ``"float16"`` (``True``) computes in 16 bits with
            float32 weights; ``None`` picks float16 only where a GPU is (16-bit is slow on
            CPU); ``False`` keeps float32. bfloat16 needs no loss scaling (Ampere GPUs and
            later); float16 gets Keras' ``LossScaleOptimizer`` from ``compile``.
        jit_compile: XLA; ``None`` uses it only on a GPU (on CPU it is slower).
        data_workers: threads preparing batches (reading, augmenting) while the model
            trains; ``None`` is 1 on a CPU (the model wants every core) and up to 8 on a
            GPU, which would otherwise wait for data. Batches stay the same either way.
        time_budget_s: stop training after this many seconds (the epoch running then is
            cut short, then validated and saved as usual); ``None`` trains every epoch.
            The learning-rate schedule still spans ``epochs``: a budget cuts it short.
        seed: seeds Python, NumPy and the backend, the data order and the augmentation.
        out: the run's folder.
        resume: continue from ``out/last.keras`` if a run left one.
        profile: the ``PROFILES`` entry these values started from (for the summary).
        verbose: 1 shows Keras' progress bar, 0 nothing, 2 one line per epoch.
    """

    dataset: str = "synthetic"
    data_root: str | None = None
    images: str | None = None
    masks: str | None = None
    num_classes: int = NUM_CLASSES
    backbone: str = "mobilenet"
    variant: str = "fcn8s"
    alpha: float = 0.25
    fc_width: int | None = None
    weights: str | None = "imagenet"
    freeze_backbone: bool = False
    epochs: int = 8
    batch_size: int = 8
    learning_rate: float = 2e-3
    end_learning_rate: float = 2e-5
    class_weighting: bool = False
    augment: bool = True
    crop_size: tuple[int, int] | None = None
    image_size: tuple[int, int] | None = (96, 128)
    num_train: int | None = 96
    num_val: int | None = 24
    mixed_precision: bool | str | None = None
    jit_compile: bool | None = None
    data_workers: int | None = None
    time_budget_s: float | None = None
    seed: int = 0
    out: str = "runs/quick"
    resume: bool = False
    profile: str | None = None
    verbose: int = 1


# Presets: only the fields that differ from TrainConfig's defaults (which are "quick").
PROFILES = {
    # CI and a first look: 96 small synthetic scenes, a minute on two cores.
    "quick": {},
    # A laptop: the target (>= 0.50 val mean IU in at most 30 min on 2 cores).
    "cpu": {
        "dataset": "camvid",
        "image_size": None,
        "crop_size": (352, 480),
        "num_train": None,
        "num_val": None,
        "epochs": 30,
        "batch_size": 8,
        "learning_rate": 1e-3,
        "end_learning_rate": 1e-5,
        "class_weighting": True,
    },
    # The paper's model on a GPU, in mixed precision.
    "gpu": {
        "dataset": "camvid",
        "backbone": "vgg16",
        "alpha": 1.0,
        "image_size": None,
        "crop_size": (352, 480),
        "num_train": None,
        "num_val": None,
        "epochs": 60,
        "batch_size": 8,
        "learning_rate": 1e-4,
        "end_learning_rate": 1e-6,
        "class_weighting": True,
        # bfloat16 (Ampere and later): float16's speed without loss scaling.
        "mixed_precision": "bfloat16",
    },
}


def _make_config(config, overrides: dict) -> TrainConfig:
    if isinstance(config, TrainConfig):
        values = dataclasses.asdict(config)
    elif config is None or isinstance(config, dict):
        values = dict(config or {})
    else:
        raise ValueError(f"config is a {type(config).__name__}: pass a TrainConfig or a dict.")
    values.update(overrides)
    name = values.get("profile") or "quick"
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}: use one of {list(PROFILES)}.")
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}: TrainConfig takes {sorted(fields)}.")
    # Explicit values win over the profile's, which win over the defaults.
    start = {} if isinstance(config, TrainConfig) else PROFILES[name]
    merged = TrainConfig(**{**start, **values, "profile": name})
    for key in ("crop_size", "image_size"):
        size = getattr(merged, key)
        if size is not None:
            setattr(merged, key, tuple(int(s) for s in size))
    _check_config(merged)
    return merged


def _check_config(config: TrainConfig) -> None:
    # Fail before any data is read or drawn: a typo should cost no minutes.
    if config.dataset not in DATASETS:
        raise ValueError(f"unknown dataset {config.dataset!r}: use one of {list(DATASETS)}.")
    if config.backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {config.backbone!r}: use one of {list(BACKBONES)}.")
    if config.variant not in VARIANTS:
        raise ValueError(f"unknown variant {config.variant!r}: use one of {list(VARIANTS)}.")
    if config.weights not in ("imagenet", None):
        raise ValueError(f"weights={config.weights!r}: pass 'imagenet' or None.")
    if config.epochs < 1 or config.batch_size < 1:
        raise ValueError(f"epochs={config.epochs} and batch_size={config.batch_size} must be >= 1.")
    mixed_policy(config.mixed_precision, on_gpu=False)
    if config.dataset == "folder" and not (config.images and config.masks):
        raise ValueError("dataset 'folder' needs images and masks: pass both folders.")
    if config.dataset == "kitti" and not config.data_root:
        raise ValueError("dataset 'kitti' needs data_root: the unzipped data_road folder.")


def mixed_policy(setting: bool | str | None, on_gpu: bool) -> str | None:
    """The Keras dtype policy a ``mixed_precision`` setting means, or ``None`` for float32.

    Example:
        >>> mixed_policy("bfloat16", on_gpu=False), mixed_policy(None, on_gpu=True)
        ('mixed_bfloat16', 'mixed_float16')
        >>> mixed_policy(None, on_gpu=False) is None
        True
    """
    if setting is None:
        setting = on_gpu
    if setting is False:
        return None
    if setting is True:
        setting = "float16"
    if setting not in ("float16", "bfloat16"):
        raise ValueError(
            f"mixed_precision={setting!r}: pass 'bfloat16', 'float16', True, False or None."
        )
    return f"mixed_{setting}"


def gpu_available() -> bool:
    """Whether the Keras backend sees a GPU (asked through ``keras.distribution``)."""
    try:
        devices = keras.distribution.list_devices()
    except Exception:  # a backend without device listing: assume a CPU
        return False
    return any(str(d).lower().startswith(("gpu", "cuda")) for d in devices)


def _split(images, masks, num_val: int | None):
    # Real folders have no split of their own: the last fifth (or num_val) validates.
    count = len(images)
    val = num_val or max(1, count // 5)
    if count < 2 or val >= count:
        raise ValueError(f"{count} images cannot be split into train and {val} val images.")
    return (images[:-val], masks[:-val]), (images[-val:], masks[-val:])


def load_dataset(config: TrainConfig) -> tuple:
    """The training and validation pairs and the class names a config asks for.

    Args:
        config: a :class:`TrainConfig`.

    Returns:
        ``((train_images, train_masks), (val_images, val_masks), class_names)``: uint8
        arrays ``(N, H, W, 3)`` and ``(N, H, W)`` (``VOID`` marks unlabelled pixels).

    Raises:
        ValueError, FileNotFoundError: from the loaders, naming the file and the fix.
    """
    if config.dataset == "synthetic":
        height, width = config.image_size or (96, 128)
        train_pairs = synthetic_driving(config.num_train or 96, height, width, config.seed)
        # Another seed: the validation streets are ones training never saw.
        val_pairs = synthetic_driving(config.num_val or 24, height, width, config.seed + 1)
        return train_pairs, val_pairs, list(CLASS_NAMES)
    if config.dataset == "camvid":
        train_pairs = load_camvid("train", config.data_root)
        val_pairs = load_camvid("val", config.data_root)
        train_pairs = tuple(a[: config.num_train] for a in train_pairs)
        val_pairs = tuple(a[: config.num_val] for a in val_pairs)
        return train_pairs, val_pairs, list(CLASS_NAMES)
    if config.dataset == "kitti":
        images, masks = load_kitti_road(config.data_root, size=config.image_size or (352, 1216))
        names = list(KITTI_CLASS_NAMES)
    else:
        images, masks = load_folder(
            config.images, config.masks, num_classes=config.num_classes, size=config.image_size
        )
        if config.num_classes == NUM_CLASSES:
            names = list(CLASS_NAMES)
        else:
            names = [f"class {k}" for k in range(config.num_classes)]
    train_pairs, val_pairs = _split(images, masks, config.num_val)
    if config.num_train:
        train_pairs = tuple(a[: config.num_train] for a in train_pairs)
    return train_pairs, val_pairs, names


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a model that :func:`train` saved (``best.keras``), with its custom objects.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is not a Keras model, naming it and what to pass.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file {path}: pass the best.keras a run wrote.")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path} is not a Keras model (a .keras file is a zip archive, this is not): "
            "pass a .keras file that fcn-tutorial train wrote, e.g. runs/NAME/best.keras."
        )
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"{path} is not a Keras model ({reason[:120]}): pass a .keras file that "
            "fcn-tutorial train wrote, e.g. runs/NAME/best.keras."
        ) from None


def _as_batches(images):
    # Arrays batch as they are; a list of differently sized images goes one at a time.
    if isinstance(images, np.ndarray):
        if images.ndim == 3:
            return [images[None]], True
        if images.ndim == 4:
            return [images], False
    batches = [np.asarray(image)[None] for image in images]
    for image in batches:
        if image.ndim != 4:
            raise ValueError(f"an image has shape {image.shape[1:]}: pass (H, W, 3) images.")
    return batches, False


def _check_images(model: keras.Model, images: np.ndarray) -> None:
    channels = model.input_shape[-1]
    if images.shape[-1] != channels:
        raise ValueError(
            f"images of shape {images.shape[1:]} have {images.shape[-1]} channels but the "
            f"model takes {channels}: pass (H, W, {channels}) RGB images."
        )


def _logits(model: keras.Model, images: np.ndarray, batch_size: int):
    _check_images(model, images)
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype("float32")
        yield start, keras.ops.convert_to_numpy(model(batch, training=False))


def predict_masks(model: keras.Model, images, batch_size: int = 4):
    """Class indices for each pixel: the argmax of the model's logits.

    Args:
        model: an FCN (``(N, H, W, 3)`` images in ``0 .. 255`` to logits); it pads and
            crops inside, so any size works.
        images: ``(H, W, 3)``, ``(N, H, W, 3)``, or a list of ``(H, W, 3)`` arrays of any
            sizes, uint8 or float in ``0 .. 255``.
        batch_size: images per forward pass.

    Returns:
        ``(H, W) uint8``, ``(N, H, W) uint8`` or a list of ``(H, W) uint8``, as given.

    Raises:
        ValueError: for images that are not ``(H, W, 3)``.
    """
    batches, single = _as_batches(images)
    results = []
    for batch in batches:
        out = np.empty(batch.shape[:3], dtype=np.uint8)
        for start, logits in _logits(model, batch, batch_size):
            out[start : start + len(logits)] = logits.argmax(axis=-1)
        results.append(out)
    if single:
        return results[0][0]
    if isinstance(images, np.ndarray):
        return results[0]
    return [r[0] for r in results]


def _json_scores(scores: dict, class_names) -> dict:
    def number(value):
        return None if math.isnan(value) else round(float(value), 6)

    out = {key: number(scores[key]) for key in _PAPER_METRICS}
    for key in ("per_class_iu", "per_class_accuracy"):
        out[key] = {name: number(v) for name, v in zip(class_names, scores[key], strict=False)}
    return out


_PAPER_METRICS = ("pixel_accuracy", "mean_accuracy", "mean_iu", "frequency_weighted_iu")


def evaluate(
    model: keras.Model, images, masks, batch_size: int = 4, ignore_class: int | None = VOID
) -> dict:
    """The paper's four metrics and per-class IU of ``model`` over a whole set.

    One confusion matrix is summed over every image, so the means weigh classes, not
    images (a per-batch average of mean IU would not).

    Args:
        model: an FCN with ``K`` output channels.
        images: ``(N, H, W, 3)`` or a list of ``(H, W, 3)``, in ``0 .. 255``.
        masks: ``(N, H, W)`` or a list of ``(H, W)`` labels ``0 .. K - 1`` or void.
        batch_size: images per forward pass.
        ignore_class: the void label.

    Returns:
        dict: as :func:`~fcn_tutorial.scores.segmentation_scores`, plus ``confusion``.

    Raises:
        ValueError: if the masks hold labels the model cannot predict (a class count
            that does not match the model's), or the shapes disagree.
    """
    num_classes = int(model.output_shape[-1])
    predicted = predict_masks(model, images, batch_size)
    if isinstance(predicted, np.ndarray):
        predicted = list(predicted)
    if len(predicted) != len(masks):
        raise ValueError(f"{len(predicted)} images but {len(masks)} masks: pass one per image.")
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    for mask, prediction in zip(masks, predicted, strict=True):
        mask = np.asarray(mask)
        labels = mask[mask != ignore_class] if ignore_class is not None else mask
        if labels.size and labels.max() >= num_classes:
            raise ValueError(
                f"the masks hold class {int(labels.max())} but the model predicts "
                f"{num_classes} classes: evaluate on data with {num_classes} classes, or a "
                f"model trained on this dataset."
            )
        confusion += confusion_matrix(mask, prediction, num_classes, ignore_class)
    return {**segmentation_scores(confusion), "confusion": confusion}


def _save_atomically(model: keras.Model, path: Path) -> None:
    # A kill mid-write must never leave a half-written checkpoint under the real name:
    # write beside it (same file system), then rename, which is atomic on POSIX and Windows.
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp.keras")
    model.save(temporary)
    os.replace(temporary, path)


def _write_json_atomically(data: dict, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")
    os.replace(temporary, path)


def _json_default(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (tuple, set, np.ndarray)):
        return list(value)
    return str(value)


class _Checkpoints(keras.callbacks.Callback):
    """Each epoch: ``last.keras`` + ``state.json``, ``best.keras`` when val mean IU rises."""

    def __init__(self, out: Path, best: float, history: list):
        super().__init__()
        self.out = out
        self.best = best
        self.history = history

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        score = logs.get("val_mean_iu", -math.inf)
        if score > self.best:
            self.best = score
            _save_atomically(self.model, self.out / "best.keras")
        # Seconds per epoch (validation included) survive a resume: the summary adds them up.
        seconds = round(time.perf_counter() - self._started, 2)
        self.history.append({"epoch": epoch + 1, **logs, "seconds": seconds})
        _save_atomically(self.model, self.out / "last.keras")
        # state.json last: whichever it names, last.keras is at least that far along.
        state = {"epoch": epoch + 1, "best_val_mean_iu": self.best, "history": self.history}
        _write_json_atomically(state, self.out / "state.json")
        _write_json_atomically({"epochs": self.history}, self.out / "log.json")


class _Budget(keras.callbacks.Callback):
    """Stops ``fit`` once the wall-clock budget is spent (a fixed-time GPU run)."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.deadline = time.perf_counter() + self.seconds

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() > self.deadline:
            self.model.stop_training = True


class _Throughput(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = 0.0
        self.steps = 0
        self._compiled = False

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        # The first step traces and compiles the model: count training speed, not that.
        if self._compiled:
            self.seconds += time.perf_counter() - self._start
            self.steps += 1
        self._compiled = True


def _versions() -> dict:
    versions = {"python": platform.python_version(), "keras": keras.__version__}
    versions["numpy"] = np.__version__
    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module in sys.modules:
        versions[module] = getattr(sys.modules[module], "__version__", "?")
    return versions


def train(
    config: TrainConfig | dict | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
    **overrides,
) -> dict:
    """Train an FCN as ``config`` says, log it, checkpoint it, score it; resumable.

    ``train(profile="quick", out="/tmp/run")`` starts from a ``PROFILES`` preset and
    changes what is passed; ``train(TrainConfig(...))`` uses exactly what it is given.

    The recipe: Adam with a polynomial ("poly", power 0.9) decay from ``learning_rate``
    to ``end_learning_rate`` over all the steps; :class:`MaskedSparseCrossEntropy`
    (void ignored, optional median-frequency weights); :class:`MeanIU` as the
    metric; mixed precision and XLA only on a GPU. Every epoch writes ``log.csv``,
    ``log.json``, ``last.keras`` and ``state.json``, and ``best.keras`` when the
    validation mean IU improves, each atomically (a temporary file renamed into place),
    so a run killed at any moment leaves usable files.

    Resume: with ``resume=True`` and a ``state.json`` in ``out``, the model, optimizer
    state (moments, step count and thus the schedule's position) and best score are
    loaded and training continues at the next epoch, to ``epochs``. The data order and
    augmentation depend on ``(seed, epoch)`` only, so they are what the uninterrupted
    run would have seen, and the model's weights, batch-norm statistics and dropout seed
    state come back from ``last.keras``. What remains nondeterministic: dropout masks
    after the resume are not guaranteed to be the ones the killed run would have drawn
    (the backend's random stream is re-seeded from ``seed`` when the run restarts), and
    multithreaded float reductions (oneDNN on CPU, cuDNN on GPU) may sum in another
    order. Measured on TensorFlow/CPU (``tests/test_training.py``): the first resumed
    epoch's loss within 5 % of the uninterrupted run's and every weight within a few
    1e-3 of it, not bit for bit. An epoch cut off halfway
    is redone from its start.

    Args:
        config: a :class:`TrainConfig`, a dict of its fields, or ``None``.
        callbacks: more Keras callbacks, run after the logger and the checkpoints.
        **overrides: any :class:`TrainConfig` field, e.g. ``epochs=2``, ``weights=None``.

    Returns:
        dict: the contents of ``summary.json``: ``metrics`` (the four paper metrics and
        per-class IU of ``best.keras`` over the validation set), ``baseline`` (the same
        for the majority-class predictor), ``history``, ``wall_time_s`` (this call),
        ``train_time_s`` (all epochs, over resumes),
        ``train_images_per_s`` (training steps after the first, which compiles),
        ``device``, ``backend``, ``versions``, ``profile``,
        ``config``, ``initial_epoch``.

    Raises:
        ValueError: for an unknown dataset, backbone, variant or profile, or bad data.
        FileNotFoundError: for missing data folders.
        WeightsUnavailableError: when ImageNet weights cannot be had.

    Example:
        >>> summary = train(epochs=1, num_train=8, num_val=4, weights=None,
        ...                 out="/tmp/fcn-doctest-run", verbose=0)  # doctest: +SKIP
        >>> sorted(summary["metrics"])[:2]  # doctest: +SKIP
        ['frequency_weighted_iu', 'mean_accuracy']
    """
    config = _make_config(config, overrides)
    started = time.perf_counter()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)

    (train_images, train_masks), (val_images, val_masks), class_names = load_dataset(config)
    num_classes = len(class_names)
    on_gpu = gpu_available()
    mixed = mixed_policy(config.mixed_precision, on_gpu)
    jit = on_gpu if config.jit_compile is None else bool(config.jit_compile)

    workers = config.data_workers or (min(8, os.cpu_count() or 1) if on_gpu else 1)
    train_data = SegmentationSequence(
        train_images,
        train_masks,
        batch_size=config.batch_size,
        shuffle=True,
        augment=config.augment,
        crop_size=config.crop_size,
        seed=config.seed,
        num_classes=num_classes,
        workers=workers,
    )
    val_data = SegmentationSequence(
        val_images,
        val_masks,
        batch_size=config.batch_size,
        shuffle=False,
        seed=config.seed,
        num_classes=num_classes,
    )

    state_path = out / "state.json"
    resuming = config.resume and state_path.is_file() and (out / "last.keras").is_file()
    previous_policy = keras.config.dtype_policy()
    try:
        if mixed:
            keras.mixed_precision.set_global_policy(mixed)
        if resuming:
            state = json.loads(state_path.read_text())
            initial_epoch = int(state["epoch"])
            best = float(state.get("best_val_mean_iu", -math.inf))
            history = list(state.get("history", []))
            model = keras.saving.load_model(out / "last.keras")
            if int(model.output_shape[-1]) != num_classes:
                raise ValueError(
                    f"{out / 'last.keras'} predicts {model.output_shape[-1]} classes but "
                    f"{config.dataset} has {num_classes}: use another --out, or drop --resume."
                )
            optimizer = model.optimizer
        else:
            initial_epoch, best, history = 0, -math.inf, []
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
            schedule = keras.optimizers.schedules.PolynomialDecay(
                config.learning_rate,
                decay_steps=max(1, config.epochs * len(train_data)),
                end_learning_rate=config.end_learning_rate,
                power=0.9,
            )
            optimizer = keras.optimizers.Adam(schedule)
            stale_files = ("log.csv", "log.json", "best.keras", "last.keras", "state.json")
            for stale in (*stale_files, "summary.json"):
                (out / stale).unlink(missing_ok=True)
        class_weights = None
        if config.class_weighting:
            class_weights = median_frequency_weights(list(train_masks), num_classes).tolist()
        model.compile(
            optimizer=optimizer,
            loss=MaskedSparseCrossEntropy(ignore_class=VOID, class_weights=class_weights),
            metrics=[MeanIU(num_classes, ignore_class=VOID)],
            jit_compile=jit,
        )
        # The sequence's epoch counter picks the order and augmentation: carry it on.
        train_data.epoch = initial_epoch
        throughput = _Throughput()
        checkpoints = _Checkpoints(out, best, history)
        if initial_epoch < config.epochs:
            model.fit(
                train_data,
                validation_data=val_data,
                epochs=config.epochs,
                initial_epoch=initial_epoch,
                callbacks=[
                    keras.callbacks.CSVLogger(str(out / "log.csv"), append=resuming),
                    checkpoints,
                    throughput,
                    *([_Budget(config.time_budget_s)] if config.time_budget_s else []),
                    *(callbacks or []),
                ],
                verbose=config.verbose,
            )
        best_model = load_model(out / "best.keras") if (out / "best.keras").is_file() else model
        scores = evaluate(best_model, val_images, val_masks, batch_size=config.batch_size)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)

    baseline = majority_baseline(train_masks, val_masks, num_classes)
    images_seen = throughput.steps * config.batch_size
    summary = {
        "profile": config.profile,
        "metrics": _json_scores(scores, class_names),
        "baseline": {
            "predictor": f"every pixel {class_names[baseline['class']]}",
            **_json_scores(baseline, class_names),
        },
        "best_val_mean_iu": checkpoints.best if checkpoints.best > -math.inf else None,
        "history": checkpoints.history,
        "initial_epoch": initial_epoch,
        "epochs": config.epochs,
        "wall_time_s": round(time.perf_counter() - started, 2),
        "train_time_s": round(sum(row.get("seconds", 0) for row in checkpoints.history), 1),
        "train_images_per_s": (
            round(images_seen / throughput.seconds, 2) if throughput.seconds else None
        ),
        "device": "gpu" if on_gpu else "cpu",
        "devices": [str(d) for d in _devices()],
        "mixed_precision": mixed,
        "jit_compile": jit,
        "backend": keras.backend.backend(),
        "versions": _versions(),
        "num_train": len(train_images),
        "steps_per_epoch": len(train_data),
        "num_val": len(val_images),
        "class_names": class_names,
        "config": dataclasses.asdict(config),
    }
    _write_json_atomically(summary, out / "summary.json")
    return summary


def _devices() -> list:
    try:
        return list(keras.distribution.list_devices())
    except Exception:
        return ["cpu"]
