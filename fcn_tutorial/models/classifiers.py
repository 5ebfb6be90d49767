"""Pretrained ImageNet classifiers, and the error raised when their weights cannot be had.

Introduced in ``01_segmentation_intro.ipynb``. Keras 3 only, so the same code runs on the
TensorFlow, JAX and PyTorch backends.
"""

from __future__ import annotations

import os

import keras
import numpy as np

__all__ = [
    "WeightsUnavailableError",
    "load_imagenet_classifier",
    "classify",
]


class WeightsUnavailableError(RuntimeError):
    """ImageNet weights could not be downloaded or read from the Keras cache."""


def _keras_models_dir() -> str:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "models")


def weights_unavailable(what: str, error: Exception, filename: str | None = None):
    """The :class:`WeightsUnavailableError` for a failed fetch: what failed and the fixes.

    Args:
        what: the model asked for, as the user would write it, e.g.
            ``"MobileNet(alpha=0.25, input_size=160)"``.
        error: what Keras raised.
        filename: the file Keras looks for in ``$KERAS_HOME/models``, where known.

    Returns:
        WeightsUnavailableError: to ``raise ... from error``.
    """
    where = _keras_models_dir()
    file_text = f" ({filename})" if filename else ""
    return WeightsUnavailableError(
        f"could not get ImageNet weights for {what}: {type(error).__name__}: {error}. "
        f"Fixes: connect to the internet once so Keras can download them into {where}, "
        f"or copy the .h5 file{file_text} there yourself, or build the model with "
        "weights=None (random weights: it will not recognise anything)."
    )


def load_imagenet_classifier(alpha: float = 0.25, input_size: int = 128):
    """MobileNet (v1) with its ImageNet classifier head, from ``keras.applications``.

    The weights come through Keras' own download and cache (``$KERAS_HOME/models``,
    default ``~/.keras/models``). MobileNet at ``alpha=0.25`` is small (about 0.5 M
    parameters, 2 MB) and weak (about 40% ImageNet top-1): enough to show a classifier
    at work on a laptop.

    Args:
        alpha: width multiplier, one of 0.25, 0.5, 0.75, 1.0.
        input_size: square input side, one of 128, 160, 192, 224.

    Returns:
        keras.Model: ``(N, input_size, input_size, 3)`` float images in [0, 255] to
        ``(N, 1000)`` class probabilities.

    Raises:
        WeightsUnavailableError: when the weights can be neither downloaded nor found,
            saying what failed and the two fixes.
    """
    try:
        return keras.applications.MobileNet(
            input_shape=(input_size, input_size, 3), alpha=alpha, weights="imagenet"
        )
    except Exception as error:  # Keras raises a bare Exception for a failed fetch.
        raise weights_unavailable(
            f"MobileNet(alpha={alpha}, input_size={input_size})", error
        ) from error


def classify(model, image: np.ndarray, top: int = 5) -> list[tuple[str, float]]:
    """The ``top`` ImageNet classes of one image, best first.

    Args:
        model: a classifier from :func:`load_imagenet_classifier`.
        image: ``(H, W, 3) uint8`` RGB at the model's input size.
        top: how many classes to return.

    Returns:
        list of ``(class_name, probability)``.

    Raises:
        ValueError: when the image's shape is not the model's input shape.
        WeightsUnavailableError: when the ImageNet class index cannot be had.
    """
    expected = tuple(model.input_shape[1:])
    if tuple(image.shape) != expected:
        raise ValueError(
            f"image has shape {image.shape} but the model takes {expected}: "
            "resize it first, e.g. fcn_tutorial.samples.load_sample(name, size=...)."
        )
    batch = keras.applications.mobilenet.preprocess_input(image[None].astype("float32"))
    probabilities = keras.ops.convert_to_numpy(model(batch, training=False))
    try:
        decoded = keras.applications.imagenet_utils.decode_predictions(probabilities, top=top)
    except Exception as error:
        raise WeightsUnavailableError(
            f"could not get the ImageNet class index: {error}. Connect once so Keras can "
            f"download imagenet_class_index.json into {_keras_models_dir()}."
        ) from error
    return [(name, float(probability)) for _, name, probability in decoded[0]]
