"""Batches for ``model.fit``: a ``keras.utils.PyDataset`` that reads, augments and pads.

A ``PyDataset`` is plain Python and NumPy, so the same pipeline feeds the TensorFlow, JAX
and PyTorch backends (``tf.data`` would tie it to one). Every batch of a sequence has one
height and width, fixed when it is made (see :class:`SegmentationSequence`), so
TensorFlow's input signature holds for the whole run and JAX compiles the training step
once instead of once per new shape. Used by the training notebooks (05 onwards)::

    images, masks = camvid_paths("train")  # files, read batch by batch
    train = SegmentationSequence(images, masks, augment=True, crop_size=(352, 480))
    model.fit(train, epochs=10)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import keras
import numpy as np
from PIL import Image

from fcn_tutorial.classes import NUM_CLASSES, VOID
from fcn_tutorial.datasets.augment import Augmentation, augment_pair, crop_pair
from fcn_tutorial.datasets.folders import read_pair

__all__ = ["PADDING_LABEL", "SegmentationSequence"]

PADDING_LABEL = 255
"""int: the mask label of padding when the masks have no void label (``void_index=None``)."""


def _as_samples(values, name: str, ndim: int) -> Sequence:
    if isinstance(values, np.ndarray):
        if values.ndim != ndim + 1:
            raise ValueError(
                f"{name} has shape {values.shape}: pass a stack with {ndim + 1} axes "
                f"({'(N, H, W, 3)' if ndim == 3 else '(N, H, W)'}) or a list of file paths."
            )
        return values
    values = list(values)
    for value in values:
        if not isinstance(value, str | os.PathLike | np.ndarray):
            raise ValueError(f"{name} holds a {type(value).__name__}: pass arrays or file paths.")
    return values


def _size_of(sample) -> tuple[int, int]:
    # (height, width) of an array, or of an image file from its header alone.
    if isinstance(sample, str | os.PathLike):
        try:
            with Image.open(sample) as image:
                width, height = image.size
        except FileNotFoundError:
            raise
        except (OSError, SyntaxError, ValueError) as error:
            raise ValueError(
                f"{sample} cannot be read as an image ({error}): it is truncated or not an "
                "image. Re-download or re-export it, or remove it from the list."
            ) from error
        return height, width
    return tuple(np.shape(sample)[:2])


def _augmentation(augment) -> Augmentation | None:
    if augment is None or augment is False:
        return None
    if augment is True:
        return Augmentation()
    if isinstance(augment, dict):
        return Augmentation(**augment)
    if isinstance(augment, Augmentation):
        return augment
    raise ValueError(
        f"augment={augment!r}: pass None, True, a dict of Augmentation's fields, or an "
        "Augmentation."
    )


class SegmentationSequence(keras.utils.PyDataset):
    """Shuffled, augmented, padded batches of image/mask pairs, for any Keras backend.

    Each sample goes: read (if a path) → random scale → crop or pad back to its training
    size → flip → colour jitter → padded at the bottom and right to the sequence's one
    batch shape. Padding is black in the image and ``ignore_class`` in the mask, so a loss
    and a metric that ignore ``ignore_class`` skip it.

    One shape for every batch, fixed when the sequence is made: ``crop_size`` if given,
    else the largest image of the set (every image, when all share one size), each side
    rounded up to a multiple of ``pad_to``. A sample's training size is ``crop_size``, or
    its own image's size: the randomly scaled sample is cropped at random, or padded,
    back to it. So ``shape`` holds for every batch of every epoch and seed (only the last
    batch may hold fewer samples): TensorFlow's input signature, taken from the first
    batches, holds for the whole run, and JAX compiles the training step once (once more
    for a smaller last batch), not once for every new shape.

    ``sequence[i]`` is a batch ``(x, y)``: ``(B, H, W, 3) float32`` images in
    ``0 .. 255 × rescale`` (what the models expect: each applies its backbone's own
    preprocessing) and ``(B, H, W) int32`` labels, ``ignore_class`` in the padding, where
    ``(H, W)`` is ``shape``.

    Randomness comes from ``(seed, epoch, sample)`` alone: the same seed gives the same
    batches in any order, with any number of workers, and a new epoch (``on_epoch_end``)
    gives a new order and new variations.

    A batch that raises (a file that cannot be read, a label that is not a class) keeps
    its exception in ``failure`` as well: ``fit`` runs batches in worker threads and
    reports their errors as its backend's own, and ``failure`` is the original to raise
    in the main thread (``training.train`` does).

    Args:
        images: ``(N, H, W, 3) uint8``, a list of ``(H, W, 3) uint8`` arrays (sizes may
            differ), or a list of image paths (read lazily, batch by batch).
        masks: ``(N, H, W)`` integer labels, a list of such arrays, or a list of paths.
        batch_size: samples per batch; the last batch may be smaller.
        shuffle: draw a new order every epoch.
        augment: ``None`` (no augmentation), ``True`` (``Augmentation()``), a dict of
            ``Augmentation``'s fields, or an ``Augmentation``.
        crop_size: ``(height, width)`` to cut from every sample (at random when
            augmenting, the centre otherwise), padding smaller ones; ``None`` keeps each
            sample at its image's size.
        pad_to: round the batch shape's height and width up to a multiple of this; 1 for
            none.
        seed: seed of the shuffling and the augmentation.
        num_classes: masks hold ``0 .. num_classes - 1`` (and ``void_index``).
        void_index: the label of unlabelled pixels in the masks, ``None`` if they have
            none (padding then gets :data:`PADDING_LABEL`); it must not be a class.
        mask_palette: for mask paths that are colour PNGs, as ``read_mask``'s ``palette``.
        rescale: multiply images by this (``1 / 255`` gives ``0 .. 1``).
        **kwargs: ``workers``, ``use_multiprocessing``, ``max_queue_size`` for
            ``keras.utils.PyDataset``.

    Attributes:
        shape: ``(height, width)`` of every batch.
        ignore_class: the mask label of void and padding: ``void_index``, or
            :data:`PADDING_LABEL` when the masks have no void.
        failure: the first exception a batch raised, or ``None``.

    Raises:
        ValueError: for mismatched lengths, wrong shapes or dtypes, unknown labels (the
            message names the sample or file), or bad ``augment``/``crop_size``/``pad_to``/
            ``void_index``.

    Example:
        >>> images = np.zeros((3, 50, 60, 3), "uint8")
        >>> masks = np.zeros((3, 50, 60), "uint8")
        >>> sequence = SegmentationSequence(images, masks, batch_size=2)
        >>> x, y = sequence[0]
        >>> sequence.shape, x.shape, y.shape, y.dtype, int(y[0, -1, -1]) == VOID
        ((64, 64), (2, 64, 64, 3), (2, 64, 64), dtype('int32'), True)
    """

    def __init__(
        self,
        images,
        masks,
        batch_size: int = 8,
        shuffle: bool = True,
        augment: Augmentation | dict | bool | None = None,
        crop_size: tuple[int, int] | None = None,
        pad_to: int = 32,
        seed: int = 0,
        num_classes: int = NUM_CLASSES,
        void_index: int | None = VOID,
        mask_palette=None,
        rescale: float = 1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.images = _as_samples(images, "images", 3)
        self.masks = _as_samples(masks, "masks", 2)
        if len(self.images) != len(self.masks) or not len(self.images):
            raise ValueError(
                f"{len(self.images)} images and {len(self.masks)} masks: pass one mask per "
                "image, at least one pair."
            )
        if batch_size < 1 or pad_to < 1:
            raise ValueError(f"batch_size={batch_size} and pad_to={pad_to} must be >= 1.")
        if crop_size is not None and (len(crop_size) != 2 or min(crop_size) < 1):
            raise ValueError(f"crop_size={crop_size}: pass (height, width), or None.")
        _check_labels(num_classes, void_index)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.augmentation = _augmentation(augment)
        self.crop_size = None if crop_size is None else tuple(int(s) for s in crop_size)
        self.pad_to = int(pad_to)
        self.seed = int(seed)
        self.num_classes = int(num_classes)
        self.void_index = void_index
        self.ignore_class = PADDING_LABEL if void_index is None else int(void_index)
        self.mask_palette = mask_palette
        self.rescale = float(rescale)
        self.epoch = 0
        self.failure = None
        largest = self.crop_size or tuple(np.max([_size_of(i) for i in self._sizes()], axis=0))
        self.shape = tuple(math.ceil(int(s) / self.pad_to) * self.pad_to for s in largest)

    def _sizes(self):
        # One sample per size is enough: a stack has one; lists are measured one by one.
        if isinstance(self.images, np.ndarray):
            return [self.images[0]]
        return self.images

    def __len__(self) -> int:
        return math.ceil(len(self.images) / self.batch_size)

    def on_epoch_end(self) -> None:
        """Called by Keras after every epoch: the next one gets a new order and variations.

        Keras also calls it once before the first epoch; ``epoch`` counts the calls.
        """
        self.epoch += 1

    def order(self) -> np.ndarray:
        """This epoch's sample order: ``(N,) int64``, a permutation when shuffling."""
        if not self.shuffle:
            return np.arange(len(self.images))
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))

    def _read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        image, mask = self.images[i], self.masks[i]
        if isinstance(image, str | os.PathLike) or isinstance(mask, str | os.PathLike):
            if not isinstance(image, str | os.PathLike) or not isinstance(mask, str | os.PathLike):
                raise ValueError(f"sample {i} mixes a path and an array: pass both as paths.")
            return read_pair(image, mask, self.mask_palette, self.num_classes, self.void_index)
        image, mask = np.asarray(image), np.asarray(mask)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(
                f"image {i} is {image.dtype} {image.shape}: pass (H, W, 3) uint8 in 0..255 "
                "(np.clip(x, 0, 255).astype('uint8'))."
            )
        if not np.issubdtype(mask.dtype, np.integer) or mask.shape != image.shape[:2]:
            raise ValueError(
                f"mask {i} is {mask.dtype} {mask.shape} for an image {image.shape}: pass "
                "(H, W) integer labels of the image's size."
            )
        bad = (mask < 0) | ((mask >= self.num_classes) & (mask != self.void_index))
        if bad.any():
            labels = np.unique(mask[bad])[:8].tolist()
            if self.void_index is None:
                raise ValueError(
                    f"mask {i} holds labels {labels}, not classes 0..{self.num_classes - 1} "
                    f"(num_classes={self.num_classes}): pass void_index= if one of them marks "
                    "unlabelled pixels, or num_classes= if they are classes."
                )
            raise ValueError(
                f"mask {i} holds labels {labels}, neither classes 0..{self.num_classes - 1} "
                f"nor void {self.void_index}: map them to {self.void_index}."
            )
        return image, mask.astype(np.uint8)

    def sample(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Sample ``i`` as this epoch would batch it, before padding to ``shape``.

        Returns:
            ``(image, mask)``: ``(h, w, 3)`` (``float32`` when augmented) and
            ``(h, w) uint8``, where ``(h, w)`` is ``crop_size`` or the image's own size.
        """
        image, mask = self._read(i)
        if self.augmentation is not None:
            rng = np.random.default_rng([self.seed, self.epoch, i])
            size = self.crop_size or mask.shape  # cropped or padded back after scaling
            return augment_pair(
                image, mask, rng, self.augmentation, size, void_index=self.ignore_class
            )
        if self.crop_size is not None:
            return crop_pair(image, mask, self.crop_size, void_index=self.ignore_class)
        return image, mask

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        try:
            return self._batch(index)
        except IndexError:
            raise
        except Exception as error:
            if self.failure is None:  # the first one is the cause; later ones repeat it
                self.failure = error
            raise

    def _batch(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of a sequence of {len(self)} batches")
        ids = self.order()[index * self.batch_size : (index + 1) * self.batch_size]
        samples = [self.sample(int(i)) for i in ids]
        height, width = self.shape
        x = np.zeros((len(samples), height, width, 3), np.float32)
        y = np.full((len(samples), height, width), self.ignore_class, np.int32)
        for k, (image, mask) in enumerate(samples):
            x[k, : mask.shape[0], : mask.shape[1]] = image
            y[k, : mask.shape[0], : mask.shape[1]] = mask
        if self.rescale != 1.0:
            x *= self.rescale
        return x, y


def _check_labels(num_classes: int, void_index: int | None) -> None:
    # Masks are 8-bit: classes, void and padding all fit in 0..255, and never overlap.
    if not 1 <= num_classes <= PADDING_LABEL:
        raise ValueError(f"num_classes={num_classes}: pass 1 to {PADDING_LABEL} classes.")
    if void_index is not None and not num_classes <= void_index <= 255:
        raise ValueError(
            f"void_index={void_index} is not a free 8-bit label: classes are "
            f"0..{num_classes - 1}, so pass a void_index from {num_classes} to 255, or None."
        )
