"""Pretrained ImageNet classifiers (and, in later notebooks, the FCNs built on them).

Keras 3 only (``keras.layers``, ``keras.ops``, ``keras.applications``), so the same
code runs on the TensorFlow, JAX and PyTorch backends. Introduced in
``01_segmentation_intro.ipynb`` (classifiers) and ``04_transposed_convolution.ipynb``
(:class:`BilinearInitializer`).
"""

from __future__ import annotations

import os

import keras
import numpy as np

from fcn_tutorial import reference

__all__ = [
    "WeightsUnavailableError",
    "load_imagenet_classifier",
    "classify",
    "BilinearInitializer",
]


class WeightsUnavailableError(RuntimeError):
    """ImageNet weights could not be downloaded or read from the Keras cache."""


def _keras_models_dir() -> str:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "models")


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
        raise WeightsUnavailableError(
            f"could not get ImageNet weights for MobileNet(alpha={alpha}, "
            f"input_size={input_size}): {type(error).__name__}: {error}. Fixes: connect to "
            f"the internet once so Keras can download them into {_keras_models_dir()}, "
            "or copy the .h5 file there yourself, or build the model with weights=None "
            "(random weights: it will not recognise anything)."
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


@keras.saving.register_keras_serializable(package="fcn_tutorial")
class BilinearInitializer(keras.initializers.Initializer):
    """Initialise a ``Conv2DTranspose`` kernel to bilinear upsampling, as FCN does.

    Each output channel starts as the bilinear interpolation of the same input channel
    (:func:`reference.bilinear_kernel`); training is free to move away from it. With
    ``kernel_size=2 * strides``, ``padding="same"`` and ``use_bias=False`` the layer
    reproduces a linear ramp exactly, away from the borders.

    Registered as ``"fcn_tutorial>BilinearInitializer"``, so a saved model reloads
    with ``keras.saving.load_model`` once this module is imported.

    Example:
        >>> layer = keras.layers.Conv2DTranspose(
        ...     3, kernel_size=4, strides=2, padding="same", use_bias=False,
        ...     kernel_initializer=BilinearInitializer(), name="upscore2")
        >>> tuple(layer(np.ones((1, 5, 5, 3), "float32")).shape)
        (1, 10, 10, 3)
    """

    def __call__(self, shape, dtype=None):
        """The kernel for ``shape = (kernel_h, kernel_w, out_channels, in_channels)``.

        Raises:
            ValueError: for a shape that is not a 2-D transposed convolution's kernel.
        """
        if len(shape) != 4:
            raise ValueError(
                f"BilinearInitializer fills Conv2DTranspose kernels (kh, kw, out, in), got "
                f"shape {tuple(shape)}: use it as Conv2DTranspose(kernel_initializer=...)."
            )
        kernel_h, kernel_w, out_channels, in_channels = (int(n) for n in shape)
        kernel = reference.bilinear_kernel((kernel_h, kernel_w), in_channels, out_channels)
        return keras.ops.convert_to_tensor(kernel, dtype=dtype or "float32")

    def get_config(self) -> dict:
        """No arguments: the kernel depends only on the shape it is asked for."""
        return {}
