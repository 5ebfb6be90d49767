"""What one training run depends on: :class:`TrainConfig` and its tested presets, ``PROFILES``.

A config is checked when it is made, before any data is read or drawn: a typo should
cost no minutes. ``TrainConfig.from_profile("cpu", epochs=10)`` starts from a preset
and changes what is passed; ``TrainConfig(...)`` uses exactly what it is given.
"""

from __future__ import annotations

import dataclasses
import math

from fcn_tutorial.datasets import NUM_CLASSES, VOID
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
_NOT_COMPARED = ("out", "resume", "overwrite", "verbose", "profile", "data_workers", "devices")


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
        num_classes: classes of ``"folder"`` masks, 1 to 255 (the other datasets know
            theirs, and refuse another number).
        void_index: for ``"folder"``: the mask label of unlabelled pixels (left out of the
            loss, the metric and the scores), ``None`` if every pixel has a class: a label
            ``>= num_classes`` is then an error naming this setting, never silently void.
            CamVid, KITTI and the synthetic scenes use ``VOID`` (11); :attr:`void` is the
            run's, whatever the dataset.
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
        num_train: synthetic training images (or the first ``num_train`` of a real set),
            at least 1; ``None``: 96 synthetic ones, or every real one.
        num_val: synthetic validation images (or the first ``num_val`` of CamVid's, or the
            last ``num_val`` of a KITTI or ``"folder"`` set), at least 1; ``None``: 24
            synthetic ones, all of CamVid's, a fifth of a folder.
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
        overwrite: start again in an ``out`` that holds a run (without ``resume``, such
            an ``out`` is refused): the old run is moved aside, never deleted, to a
            sibling folder ``OUT.replaced-<UTC time>``.
        profile: the ``PROFILES`` entry these values started from (for the summary).
        verbose: 1 shows Keras' progress bar, 0 nothing, 2 one line per epoch.

    Raises:
        ValueError: for an unknown dataset, backbone, variant, weights or precision, a
            dataset without the folders it needs, ``devices`` that do not divide
            ``batch_size``, or a number that cannot train (a learning rate that is NaN,
            infinite or <= 0, no images, no classes, a void label that is a class ...),
            naming the setting and what to pass.
    """

    dataset: str = "synthetic"
    data_root: str | None = None
    images: str | None = None
    masks: str | None = None
    num_classes: int = NUM_CLASSES
    void_index: int | None = None
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
    overwrite: bool = False
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

    @property
    def void(self) -> int | None:
        """The mask label of unlabelled pixels in this run's data: ``void_index`` for a
        ``"folder"`` (``None``: there are none), ``VOID`` (11) for the other datasets."""
        return self.void_index if self.dataset == "folder" else VOID

    def _check(self) -> None:
        self._check_names()
        self._check_numbers()
        self._check_labels()
        mixed_policy(self.mixed_precision, on_gpu=False)
        if self.dataset == "folder" and not (self.images and self.masks):
            raise ValueError("dataset 'folder' needs images and masks: pass both folders.")
        if self.dataset == "kitti" and not self.data_root:
            raise ValueError("dataset 'kitti' needs data_root: the unzipped data_road folder.")

    def _check_names(self) -> None:
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
        if self.resume and self.overwrite:
            raise ValueError(
                "resume=True continues the run in out=, overwrite=True moves it aside and "
                "starts again: pass one of them."
            )

    def _check_numbers(self) -> None:
        # Each refusal names one setting; a value that trains nothing is never replaced.
        for key in ("learning_rate", "end_learning_rate"):
            rate = getattr(self, key)
            if not (isinstance(rate, int | float) and math.isfinite(rate) and rate > 0):
                raise ValueError(
                    f"{key}={rate!r} cannot train: pass a finite rate above 0, e.g. "
                    f"{key}={getattr(TrainConfig, key)} (the quick profile's)."
                )
        for key in ("epochs", "batch_size"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key}={getattr(self, key)}: pass at least 1.")
        for key in ("num_train", "num_val"):
            count = getattr(self, key)
            if count is not None and count < 1:
                raise ValueError(
                    f"{key}={count}: pass at least 1 image, or None for the dataset's "
                    "default (every real image; 96 and 24 synthetic ones)."
                )
        if self.data_workers is not None and self.data_workers < 1:
            raise ValueError(f"data_workers={self.data_workers}: pass at least 1, or None.")
        if self.time_budget_s is not None and not self.time_budget_s > 0:
            raise ValueError(f"time_budget_s={self.time_budget_s}: pass seconds above 0, or None.")
        for key in ("crop_size", "image_size"):
            size = getattr(self, key)
            if size is not None and (len(size) != 2 or min(size) < 1):
                raise ValueError(f"{key}={size}: pass (height, width) of at least 1, or None.")

    def _check_labels(self) -> None:
        if not 1 <= self.num_classes <= 255:
            raise ValueError(
                f"num_classes={self.num_classes}: pass the number of classes in your masks, "
                "1 to 255 (masks labelled 0 .. 10 have 11)."
            )
        if self.dataset != "folder":
            if self.num_classes != NUM_CLASSES:
                raise ValueError(
                    f"num_classes={self.num_classes} is read only for dataset='folder': "
                    f"{self.dataset} knows its classes. Leave num_classes out."
                )
            if self.void_index not in (None, VOID):
                raise ValueError(
                    f"void_index={self.void_index}: {self.dataset}'s void label is {VOID}. "
                    "Leave void_index out (it is for dataset='folder')."
                )
        elif self.void_index is not None and not self.num_classes <= self.void_index <= 255:
            raise ValueError(
                f"void_index={self.void_index} is not a free label: classes are "
                f"0..{self.num_classes - 1} (num_classes={self.num_classes}), so void must be "
                f"a label from {self.num_classes} to 255, or None if every pixel has a class."
            )

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
