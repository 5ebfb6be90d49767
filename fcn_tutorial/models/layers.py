"""The few custom pieces an FCN needs on top of ``keras.layers``: all ``keras.ops``.

- :class:`BilinearInitializer` starts a ``Conv2DTranspose`` as bilinear upsampling
  (``04_transposed_convolution.ipynb``).
- :class:`ImageNetPreprocessing` puts a backbone's own input scaling inside the model, so
  an FCN takes plain ``0 .. 255`` RGB images.
- :class:`PadToMultiple` and :class:`CropToReference` let an FCN take any image size:
  pad to a multiple of the network's stride, and crop the scores back (``05``).

Each is registered as ``"fcn_tutorial>ClassName"``, so a saved model reloads with
``keras.saving.load_model`` once :mod:`fcn_tutorial.models` is imported. Written with
``keras.ops`` only, so they run on the TensorFlow, JAX and PyTorch backends, and with a
``None`` height and width in the functional graph.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from fcn_tutorial import reference

__all__ = [
    "BilinearInitializer",
    "ImageNetPreprocessing",
    "PadToMultiple",
    "CropToReference",
    "PREPROCESSING_MODES",
]


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


# The ImageNet input conventions of keras.applications (imagenet_utils.preprocess_input).
# "caffe": VGG16 was trained in Caffe on BGR images minus the mean pixel (BGR order).
# "tf": MobileNets were trained on RGB scaled to [-1, 1].
PREPROCESSING_MODES = {
    "caffe": {"flip_channels": True, "offset": (-103.939, -116.779, -123.68), "scale": 1.0},
    "tf": {"flip_channels": False, "offset": (-1.0, -1.0, -1.0), "scale": 1 / 127.5},
}
"""dict: for each mode, ``x' = flip(x) * scale + offset`` on ``0 .. 255`` RGB input."""


@keras.saving.register_keras_serializable(package="fcn_tutorial")
class ImageNetPreprocessing(keras.layers.Layer):
    """A backbone's ImageNet input scaling, as a layer: ``0 .. 255`` RGB in.

    Equal to ``keras.applications.vgg16.preprocess_input`` (``mode="caffe"``) or
    ``keras.applications.mobilenet.preprocess_input`` (``mode="tf"``), but inside the
    model, so callers never need to know which convention their backbone wants.

    Args:
        mode: ``"caffe"`` (RGB to BGR, minus the ImageNet mean pixel) or ``"tf"``
            (scaled to ``[-1, 1]``); see :data:`PREPROCESSING_MODES`.
        **kwargs: ``keras.layers.Layer`` arguments (``name``, ``dtype``).

    Raises:
        ValueError: for an unknown mode.

    Example:
        >>> layer = ImageNetPreprocessing("tf", name="preprocess")
        >>> keras.ops.convert_to_numpy(layer(np.array([[[[0.0, 127.5, 255.0]]]])))
        array([[[[-1.,  0.,  1.]]]], dtype=float32)
    """

    def __init__(self, mode: str, **kwargs):
        super().__init__(**kwargs)
        if mode not in PREPROCESSING_MODES:
            raise ValueError(
                f"unknown preprocessing mode {mode!r}: use one of {list(PREPROCESSING_MODES)}."
            )
        self.mode = mode

    def call(self, inputs):
        """``(N, H, W, 3)`` RGB in ``0 .. 255`` to the backbone's input range."""
        settings = PREPROCESSING_MODES[self.mode]
        if settings["flip_channels"]:
            inputs = ops.flip(inputs, axis=-1)
        offset = ops.convert_to_tensor(np.array(settings["offset"]), dtype=inputs.dtype)
        return inputs * ops.cast(settings["scale"], inputs.dtype) + offset

    def compute_output_shape(self, input_shape):
        """Unchanged."""
        return input_shape

    def get_config(self) -> dict:
        """``mode`` plus the base layer's config."""
        return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package="fcn_tutorial")
class PadToMultiple(keras.layers.Layer):
    """Zero-pad the bottom and right so height and width are multiples of ``multiple``.

    An FCN downsamples by 32: on a multiple of 32 every pooling divides exactly, so the
    stride-8, -16 and -32 maps line up cell for cell, and the upsampled scores cover the
    image. Padding only the bottom and right keeps pixel ``(i, j)`` of the input at
    ``(i, j)``, so :class:`CropToReference` cuts the result back with one slice.

    Args:
        multiple: the stride to round up to (32 for every FCN backbone here).
        **kwargs: ``keras.layers.Layer`` arguments (``name``, ``dtype``).

    Raises:
        ValueError: for a multiple below 1.

    Example:
        >>> tuple(PadToMultiple(32)(np.zeros((1, 97, 131, 3), "float32")).shape)
        (1, 128, 160, 3)
    """

    def __init__(self, multiple: int = 32, **kwargs):
        super().__init__(**kwargs)
        if int(multiple) < 1:
            raise ValueError(f"multiple={multiple!r} must be a positive int, e.g. 32.")
        self.multiple = int(multiple)

    def call(self, inputs):
        """``(N, H, W, C)`` to ``(N, H', W', C)``, ``H'`` and ``W'`` rounded up."""
        shape = ops.shape(inputs)
        # -size % multiple is the shortfall to the next multiple (0 when already there);
        # the sizes may be tensors when the graph was built with a None height or width.
        pad_h = (-shape[1]) % self.multiple
        pad_w = (-shape[2]) % self.multiple
        return ops.pad(inputs, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]])

    def compute_output_shape(self, input_shape):
        """Spatial sizes rounded up to the multiple; ``None`` stays ``None``."""

        def round_up(size):
            return None if size is None else -(-size // self.multiple) * self.multiple

        batch, height, width, channels = input_shape
        return (batch, round_up(height), round_up(width), channels)

    def get_config(self) -> dict:
        """``multiple`` plus the base layer's config."""
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package="fcn_tutorial")
class CropToReference(keras.layers.Layer):
    """Crop ``x`` to the height and width of ``reference``, keeping the top-left corner.

    Called as ``CropToReference()([x, reference])``: the undo of :class:`PadToMultiple`,
    like the ``Crop`` layer at the end of the Caffe FCNs.

    Args:
        **kwargs: ``keras.layers.Layer`` arguments (``name``, ``dtype``).

    Example:
        >>> crop = CropToReference(name="score")
        >>> x, image = np.zeros((1, 128, 160, 11)), np.zeros((1, 97, 131, 3))
        >>> tuple(crop([x, image]).shape)
        (1, 97, 131, 11)
    """

    def call(self, inputs):
        """``[(N, H', W', C), (N, H, W, ...)]`` to ``(N, H, W, C)``."""
        x, reference_tensor = inputs
        shape = ops.shape(reference_tensor)
        return x[:, : shape[1], : shape[2], :]

    def compute_output_shape(self, input_shape):
        """``x``'s batch and channels, the reference's height and width."""
        x_shape, reference_shape = input_shape
        return (x_shape[0], reference_shape[1], reference_shape[2], x_shape[3])
