"""What one training run depends on: :class:`TrainConfig` and its tested presets, ``PROFILES``.

A config is checked when it is made, before any data is read or drawn: a typo should
cost no minutes. ``TrainConfig.from_profile("cpu", epochs=10)`` starts from a preset
and changes what is passed; ``TrainConfig(...)`` uses exactly what it is given.
"""

from __future__ import annotations

import dataclasses

from fcn_tutorial.datasets import NUM_CLASSES
from fcn_tutorial.models import BACKBONES, VARIANTS
from fcn_tutorial.training.devices import check_devices

__all__ = ["DATASETS", "PROFILES", "TrainConfig", "mixed_policy"]

DATASETS = ("synthetic", "camvid", "kitti", "folder")

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
"""dict[str, dict]: the training recipes ``quick``, ``cpu`` and ``gpu``: the fields each
changes from :class:`TrainConfig`'s defaults."""

# What decides a run's numbers; where its files go and how loudly it reports do not.
# Nor does the device count: the global batch, thus the recipe, is the same on any number.
_NOT_COMPARED = ("out", "resume", "verbose", "profile", "data_workers", "devices")


@dataclasses.dataclass
class TrainConfig:
    """Everything one training run depends on; ``PROFILES`` holds tested presets.

    Args:
        dataset: ``"synthetic"`` (drawn on the fly, offline), ``"camvid"``, ``"kitti"``
            (KITTI road, 2 classes) or ``"folder"`` (``images`` and ``masks``).
        data_root: the CamVid or KITTI folder (``None``: wherever
            :func:`~fcn_tutorial.datasets.locate_camvid` finds CamVid).
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
        jit_compile: XLA; ``None`` uses it on a GPU, and on JAX, which runs op by op
            without it (TensorFlow on a CPU is slower with it).
        data_workers: threads preparing batches (reading, augmenting) while the model
            trains; ``None`` is 1 on a CPU (the model wants every core) and up to 8 on a
            GPU, which would otherwise wait for data. Batches stay the same either way.
        time_budget_s: stop training after this many seconds (the epoch running then is
            cut short, then validated and saved as usual); ``None`` trains every epoch.
            The learning-rate schedule still spans ``epochs``: a budget cuts it short.
        devices: ``"auto"`` (several GPUs or TPUs on JAX when there are, else one device),
            ``"all"`` or a count: data parallel training, ``batch_size`` split across them
            (see :mod:`~fcn_tutorial.training.devices`; more than one needs JAX).
        seed: seeds Python, NumPy and the backend, the data order and the augmentation.
        out: the run's folder.
        resume: continue from ``out/last.keras`` if a run left one.
        profile: the ``PROFILES`` entry these values started from (for the summary).
        verbose: 1 shows Keras' progress bar, 0 nothing, 2 one line per epoch.

    Raises:
        ValueError: for an unknown dataset, backbone, variant, weights or precision, or
            a dataset without the folders it needs, or ``devices`` that do not divide
            ``batch_size``, naming what to pass.
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
    devices: str | int = "auto"
    seed: int = 0
    out: str = "runs/quick"
    resume: bool = False
    profile: str | None = None
    verbose: int = 1

    def __post_init__(self):
        # Sizes arrive as lists from JSON and the command line: one form, tuples.
        for key in ("crop_size", "image_size"):
            size = getattr(self, key)
            if size is not None:
                setattr(self, key, tuple(int(s) for s in size))
        self.out = str(self.out)
        self._check()
        self.devices = check_devices(self.devices, self.batch_size)

    def _check(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}: use one of {list(DATASETS)}.")
        if self.backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {self.backbone!r}: use one of {list(BACKBONES)}.")
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}: use one of {list(VARIANTS)}.")
        if self.profile is not None and self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}: use one of {list(PROFILES)}.")
        if self.weights not in ("imagenet", None):
            raise ValueError(f"weights={self.weights!r}: pass 'imagenet' or None.")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs={self.epochs} and batch_size={self.batch_size} must be >= 1.")
        mixed_policy(self.mixed_precision, on_gpu=False)
        if self.dataset == "folder" and not (self.images and self.masks):
            raise ValueError("dataset 'folder' needs images and masks: pass both folders.")
        if self.dataset == "kitti" and not self.data_root:
            raise ValueError("dataset 'kitti' needs data_root: the unzipped data_road folder.")

    @classmethod
    def from_profile(cls, name: str | None = "quick", **overrides) -> TrainConfig:
        """A profile's settings with ``overrides`` on top: explicit values win.

        Args:
            name: a ``PROFILES`` entry (``None``: ``"quick"``).
            **overrides: any field, e.g. ``epochs=2``, ``out="runs/a"``.

        Raises:
            ValueError: for an unknown profile or field, naming the ones that exist.

        Example:
            >>> config = TrainConfig.from_profile("cpu", epochs=3)
            >>> config.dataset, config.epochs, config.profile
            ('camvid', 3, 'cpu')
        """
        name = name or "quick"
        if name not in PROFILES:
            raise ValueError(f"unknown profile {name!r}: use one of {list(PROFILES)}.")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}: TrainConfig takes {sorted(fields)}.")
        return cls(**{**PROFILES[name], **overrides, "profile": name})

    def comparable(self) -> dict:
        """The fields that decide a run's numbers, as JSON values (no ``out``, ``verbose`` ...).

        Two configs with the same ``comparable()`` train the same model, which is how a
        finished run is recognised and reused.
        """
        values = dataclasses.asdict(self)
        for key in _NOT_COMPARED:
            values.pop(key)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


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
