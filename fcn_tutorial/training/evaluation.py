"""Apply a trained FCN and score it: load a checkpoint, predict label maps, the paper's metrics.

One confusion matrix is summed over a whole set before any score is taken, so the means
weigh classes, not images (an average of per-image mean IU would not); the scores
themselves come from :mod:`fcn_tutorial.scores`, in NumPy.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path

import keras
import numpy as np

from fcn_tutorial.datasets import VOID
from fcn_tutorial.scores import confusion_matrix, segmentation_scores

__all__ = [
    "PAPER_METRICS",
    "PROBE_SIZE",
    "load_model",
    "check_model",
    "FLIP",
    "predict_masks",
    "score_predictions",
    "evaluate",
    "scores_to_json",
]

PAPER_METRICS = ("pixel_accuracy", "mean_accuracy", "mean_iu", "frequency_weighted_iu")
"""tuple[str, ...]: the four metrics of the FCN paper's section 5, as score keys."""


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a model that ``train`` saved (``best.keras``), with its custom objects.

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


PROBE_SIZE = (97, 131)
"""tuple[int, int]: the odd ``(H, W)`` of the blank image :func:`check_model` labels, so a
model that loses a row or column to its strides is caught before any real image."""


def _model_shapes(model: keras.Model) -> tuple[tuple, tuple]:
    """The model's one input and one output shape, refused unless images to maps."""
    inputs, outputs = model.input_shape, model.output_shape
    fix = "pass a segmentation model such as build_fcn makes and fcn-tutorial train writes"
    for what, shape in (("inputs", inputs), ("outputs", outputs)):
        if isinstance(shape, (list, dict)):
            raise ValueError(f"the model has {len(shape)} {what}, but needs one: {fix}.")
    if len(inputs) != 4 or inputs[-1] != 3:
        channels = f"{inputs[-1]}-channel images" if len(inputs) == 4 else "no images"
        raise ValueError(
            f"the model breaks the input contract: it takes {channels} (input shape "
            f"{inputs}), but photos are RGB, (H, W, 3): {fix}, whose input is (None, None, 3)."
        )
    if len(outputs) != 4:
        raise ValueError(
            f"the model breaks the output contract: its output {outputs} is not a per-pixel "
            "map (batch, H, W, classes) but one score vector per image (a classifier: global "
            f"pooling or Flatten and Dense at its end): {fix}, or convolutionalize the "
            "classifier and upsample its scores (notebooks 05 and 06)."
        )
    return inputs, outputs


def _check_output_size(image_size: tuple, map_size: tuple) -> None:
    if tuple(image_size) == tuple(map_size):
        return
    (height, width), (map_height, map_width) = image_size, map_size
    stride = round(max(height / max(map_height, 1), width / max(map_width, 1)))
    strided = f" (stride {stride})" if stride > 1 else ""
    raise ValueError(
        f"the model breaks the output contract: it turns a {height}x{width} image into a "
        f"{map_height}x{map_width} map{strided}, but each pixel needs its own scores, "
        f"({height}, {width}, classes): upsample inside the model back to the input's size "
        "and crop (a Conv2DTranspose with the model's stride, as build_fcn's upscore and "
        "score layers do)."
    )


def check_model(model: keras.Model) -> int:
    """Check that ``model`` labels every pixel of an RGB image, before any is labelled.

    The contract of :func:`predict_masks`, :func:`evaluate` and ``fcn-tutorial predict``:
    one input of RGB images ``(N, H, W, 3)`` and one output of per-pixel class scores
    ``(N, H, W, K)`` at the input's own height and width. The shapes are read from the
    model; the size is checked by labelling one blank image (:data:`PROBE_SIZE`, or the
    model's own size if it fixes one).

    Args:
        model: the model to check.

    Returns:
        int: ``K``, the number of classes.

    Raises:
        ValueError: naming the contract the model breaks (input channels, an output that
            is not a per-pixel map, a map of another size, a model that fails on an
            image) and the fix.
    """
    inputs, outputs = _model_shapes(model)
    size = tuple(fixed or probe for fixed, probe in zip(inputs[1:3], PROBE_SIZE, strict=True))
    try:
        logits = model(np.zeros((1, *size, 3), "float32"), training=False)
    except Exception as error:
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise ValueError(
            f"the model fails on a blank {size[0]}x{size[1]} image ({reason}): predict and "
            "evaluate need a model that takes RGB images of any size, as build_fcn makes."
        ) from None
    _check_output_size(size, tuple(logits.shape[1:3]))
    return int(outputs[-1])


def _check_images(images: np.ndarray) -> None:
    if images.shape[-1] != 3:
        raise ValueError(
            f"images of shape {images.shape[1:]} have {images.shape[-1]} channels: pass "
            "(H, W, 3) RGB images."
        )


FLIP = True
"""bool: whether :func:`predict_masks` (and so ``fcn-tutorial predict``, ``evaluate`` and
the demo) averages each image with its mirror image by default. Chosen on CamVid val
only, never on test: the cpu profile's checkpoint scored val mean IU 0.596 without and
0.602 with it (``results/demo.json``'s ``flip`` block); it costs a second forward pass."""


def _logits(model: keras.Model, images: np.ndarray, batch_size: int, flip: bool = False):
    _model_shapes(model)
    _check_images(images)
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype("float32")
        logits = keras.ops.convert_to_numpy(model(batch, training=False))
        _check_output_size(batch.shape[1:3], logits.shape[1:3])
        if flip:
            # A street seen in a mirror is still a street: label the mirror image too,
            # mirror its scores back and average, so each pixel gets two opinions.
            mirrored = keras.ops.convert_to_numpy(model(batch[:, :, ::-1], training=False))
            logits = (logits + mirrored[:, :, ::-1]) / 2
        yield start, logits


def predict_masks(model: keras.Model, images, batch_size: int = 4, flip: bool | None = None):
    """Class indices for each pixel: the argmax of the model's logits.

    With ``flip`` (test-time flip averaging) each image is labelled twice, as it is and
    mirrored left to right, and the argmax is taken of the two logit maps' mean: twice
    the compute for a steadier label map.

    Args:
        model: an FCN (``(N, H, W, 3)`` images in ``0 .. 255`` to logits); it pads and
            crops inside, so any size works.
        images: ``(H, W, 3)``, ``(N, H, W, 3)``, or a list of ``(H, W, 3)`` arrays of any
            sizes, uint8 or float in ``0 .. 255``.
        batch_size: images per forward pass.
        flip: average with the mirror image; ``None`` takes :data:`FLIP`.

    Returns:
        ``(H, W) uint8``, ``(N, H, W) uint8`` or a list of ``(H, W) uint8``, as given.

    Raises:
        ValueError: for images that are not ``(H, W, 3)``, or a model that breaks the
            contract :func:`check_model` states (checked on each batch, with no probe).
    """
    flip = FLIP if flip is None else bool(flip)
    batches, single = _as_batches(images)
    results = []
    for batch in batches:
        out = np.empty(batch.shape[:3], dtype=np.uint8)
        for start, logits in _logits(model, batch, batch_size, flip):
            out[start : start + len(logits)] = logits.argmax(axis=-1)
        results.append(out)
    if single:
        return results[0][0]
    if isinstance(images, np.ndarray):
        return results[0]
    return [r[0] for r in results]


def score_predictions(
    masks, predictions, num_classes: int, ignore_class: int | None = VOID
) -> dict:
    """The paper's four metrics and per-class IU of label maps already predicted.

    One confusion matrix over the whole set, as :func:`evaluate` (which calls this).

    Args:
        masks: ``(N, H, W)`` or a list of ``(H, W)`` true labels, ``ignore_class`` void.
        predictions: the same shapes, predicted labels.
        num_classes: ``K``.
        ignore_class: the void label.

    Returns:
        dict: as :func:`~fcn_tutorial.scores.segmentation_scores`, plus ``confusion``.

    Raises:
        ValueError: for as many masks as predictions not, or labels ``>= K``.
    """
    if len(predictions) != len(masks):
        raise ValueError(f"{len(predictions)} images but {len(masks)} masks: pass one per image.")
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    for mask, prediction in zip(masks, predictions, strict=True):
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


def evaluate(
    model: keras.Model,
    images,
    masks,
    batch_size: int = 4,
    ignore_class: int | None = VOID,
    flip: bool | None = None,
) -> dict:
    """The paper's four metrics and per-class IU of ``model`` over a whole set.

    Args:
        model: an FCN with ``K`` output channels.
        images: ``(N, H, W, 3)`` or a list of ``(H, W, 3)``, in ``0 .. 255``.
        masks: ``(N, H, W)`` or a list of ``(H, W)`` labels ``0 .. K - 1`` or void.
        batch_size: images per forward pass.
        ignore_class: the void label.
        flip: test-time flip averaging, as :func:`predict_masks` (``None``: :data:`FLIP`).

    Returns:
        dict: as :func:`~fcn_tutorial.scores.segmentation_scores`, plus ``confusion``.

    Raises:
        ValueError: if the masks hold labels the model cannot predict (a class count
            that does not match the model's), the shapes disagree, or the model breaks
            the contract :func:`check_model` states.
    """
    num_classes = int(_model_shapes(model)[1][-1])
    predicted = predict_masks(model, images, batch_size, flip=flip)
    if isinstance(predicted, np.ndarray):
        predicted = list(predicted)
    return score_predictions(masks, predicted, num_classes, ignore_class)


def scores_to_json(scores: dict, class_names) -> dict:
    """Scores as results files store them: the four metrics and per-class IU and accuracy
    by class name, rounded to 6 digits, ``None`` where undefined (NaN)."""

    def number(value):
        return None if math.isnan(value) else round(float(value), 6)

    out = {key: number(scores[key]) for key in PAPER_METRICS}
    for key in ("per_class_iu", "per_class_accuracy"):
        out[key] = {name: number(v) for name, v in zip(class_names, scores[key], strict=False)}
    return out
