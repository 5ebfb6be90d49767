"""The classifiers an FCN is built on, as data: constructors, skip taps, inputs, weights.

Everything that differs between backbones is in the tables below, so adding one is a
matter of a row, not a new code path (the segmentation_models way). Introduced in
``05_transfer_learning.ipynb``.
"""

from __future__ import annotations

import keras

from fcn_tutorial.models.classifiers import WeightsUnavailableError, weights_unavailable

__all__ = [
    "BACKBONES",
    "SKIP_TAPS",
    "PREPROCESSING",
    "IMAGENET_ALPHAS",
    "check_backbone",
    "build_backbone",
    "load_imagenet_backbone",
    "imagenet_weights_file",
    "imagenet_weights_available",
    "copy_weights",
]

BACKBONES = {
    "vgg16": keras.applications.VGG16,
    "mobilenet": keras.applications.MobileNet,
    "mobilenetv2": keras.applications.MobileNetV2,
}
"""dict[str, callable]: the ``keras.applications`` constructor of each backbone."""

SKIP_TAPS = {
    # The paper's own names: the outputs of VGG16's third, fourth and fifth pooling.
    "vgg16": {"pool3": "block3_pool", "pool4": "block4_pool", "pool5": "block5_pool"},
    # MobileNet v1 reaches strides 8, 16 and 32 in conv_dw_4, _6 and _12; each tap is
    # the last activation at its stride, before the next downsampling.
    "mobilenet": {
        "pool3": "conv_pw_5_relu",
        "pool4": "conv_pw_11_relu",
        "pool5": "conv_pw_13_relu",
    },
    # MobileNetV2: the last block output at strides 8 and 16, and the final 1x1 features.
    "mobilenetv2": {"pool3": "block_5_add", "pool4": "block_12_add", "pool5": "out_relu"},
}
"""dict[str, dict[str, str]]: for each backbone, the layer whose output plays the part of
VGG16's ``pool3`` (stride 8), ``pool4`` (stride 16) and ``pool5`` (stride 32)."""

PREPROCESSING = {"vgg16": "caffe", "mobilenet": "tf", "mobilenetv2": "tf"}
"""dict[str, str]: each backbone's ImageNet input convention (see ``ImageNetPreprocessing``)."""

IMAGENET_ALPHAS = {
    "vgg16": (1.0,),
    "mobilenet": (0.25, 0.5, 0.75, 1.0),
    "mobilenetv2": (0.35, 0.5, 0.75, 1.0, 1.3, 1.4),
}
"""dict[str, tuple]: the width multipliers Keras has ImageNet weights for."""


def check_backbone(backbone: str, alpha: float, weights) -> None:
    """Reject a backbone, width or weights choice before any layer is built.

    Args:
        backbone: a key of :data:`BACKBONES`.
        alpha: the width multiplier (1.0 for ``vgg16``, which has none).
        weights: ``"imagenet"`` or ``None``.

    Raises:
        ValueError: naming the values that work.
    """
    if backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {backbone!r}: use one of {list(BACKBONES)}.")
    if weights not in ("imagenet", None):
        raise ValueError(
            f"weights={weights!r}: pass 'imagenet' or None (then model.load_weights(path) "
            "to load your own)."
        )
    if backbone == "vgg16" and alpha != 1.0:
        raise ValueError(
            f"alpha={alpha!r}: VGG16 has no width multiplier; leave alpha=1.0 and slim its "
            "fc6/fc7 with fc_width=... instead, or pick backbone='mobilenet'."
        )
    if not alpha > 0:
        raise ValueError(f"alpha={alpha!r} must be positive, e.g. 0.25 or 1.0.")
    if weights == "imagenet" and alpha not in IMAGENET_ALPHAS[backbone]:
        raise ValueError(
            f"Keras has no ImageNet weights for {backbone} with alpha={alpha}: use one of "
            f"{IMAGENET_ALPHAS[backbone]}, or weights=None."
        )


def build_backbone(backbone: str, input_tensor, alpha: float = 1.0):
    """The backbone's convolutional layers, random-initialised, applied to ``input_tensor``.

    The layers join the caller's functional graph under their Keras names
    (``block4_pool``, ``conv_pw_11_relu``), so the FCN built on them shows every layer
    and :data:`SKIP_TAPS` finds its taps by name.

    Args:
        backbone: a key of :data:`BACKBONES`.
        input_tensor: ``(N, H, W, 3)`` symbolic tensor, preprocessed, ``H`` and ``W``
            multiples of 32 or ``None``.
        alpha: width multiplier of the MobileNets.

    Returns:
        dict: ``{"pool3": tensor, "pool4": tensor, "pool5": tensor}``, the tap outputs.
    """
    options = {} if backbone == "vgg16" else {"alpha": alpha}
    classifier = BACKBONES[backbone](
        include_top=False, weights=None, input_tensor=input_tensor, **options
    )
    return {tap: classifier.get_layer(name).output for tap, name in SKIP_TAPS[backbone].items()}


def imagenet_weights_file(backbone: str, alpha: float = 1.0, include_top: bool = False) -> str:
    """The file name ``keras.applications`` caches a backbone's ImageNet weights under.

    Weights live in ``$KERAS_HOME/models``; a file of this name there means the backbone
    loads offline.

    Example:
        >>> imagenet_weights_file("mobilenet", 0.25)
        'mobilenet_2_5_224_tf_no_top.h5'
    """
    if backbone == "vgg16":
        return (
            "vgg16_weights_tf_dim_ordering_tf_kernels" + ("" if include_top else "_notop") + ".h5"
        )
    if backbone == "mobilenet":
        alpha_text = {0.25: "2_5", 0.5: "5_0", 0.75: "7_5", 1.0: "1_0"}[alpha]
        return f"mobilenet_{alpha_text}_224_tf" + ("" if include_top else "_no_top") + ".h5"
    return (
        f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_224"
        + ("" if include_top else "_no_top")
        + ".h5"
    )


def load_imagenet_backbone(backbone: str, alpha: float = 1.0, include_top: bool = False):
    """The ``keras.applications`` classifier with ImageNet weights, at 224×224.

    Weights come through Keras' download and cache (``$KERAS_HOME/models``). The
    224-pixel files are the ones Keras also uses for any other input size.

    Args:
        backbone: a key of :data:`BACKBONES`.
        alpha: width multiplier of the MobileNets (one of :data:`IMAGENET_ALPHAS`).
        include_top: with the classifier head (VGG16's fc layers are 528 MB; without
            them the file is 58 MB).

    Returns:
        keras.Model: ``(N, 224, 224, 3)`` preprocessed images to features or classes.

    Raises:
        WeightsUnavailableError: when the weights can be neither downloaded nor found,
            naming the file, what failed and the two fixes.
    """
    check_backbone(backbone, alpha, "imagenet")
    options = {} if backbone == "vgg16" else {"alpha": alpha}
    try:
        return BACKBONES[backbone](
            include_top=include_top, weights="imagenet", input_shape=(224, 224, 3), **options
        )
    except Exception as error:  # Keras raises a bare Exception for a failed fetch.
        alpha_text = "" if backbone == "vgg16" else f", alpha={alpha}"
        raise weights_unavailable(
            f"{backbone}(include_top={include_top}{alpha_text})",
            error,
            imagenet_weights_file(backbone, alpha, include_top),
        ) from error


def copy_weights(source, target) -> list[str]:
    """Copy weights layer by layer, matching layers by name.

    Args:
        source: a model with weights, e.g. from :func:`load_imagenet_backbone`.
        target: a model sharing some layer names with ``source``.

    Returns:
        list[str]: the names of the layers copied.

    Raises:
        ValueError: when two layers of the same name hold differently shaped weights.
    """
    copied = []
    target_layers = {layer.name: layer for layer in target.layers}
    for layer in source.layers:
        weights = layer.get_weights()
        if not weights or layer.name not in target_layers:
            continue
        destination = target_layers[layer.name]
        shapes = [tuple(w.shape) for w in weights]
        if shapes != [tuple(w.shape) for w in destination.get_weights()]:
            raise ValueError(
                f"layer {layer.name!r} holds weights of shapes {shapes} in the source but "
                f"{[tuple(w.shape) for w in destination.get_weights()]} in the target: build "
                "the target with the same backbone and alpha."
            )
        destination.set_weights(weights)
        copied.append(layer.name)
    return copied


def imagenet_weights_available(
    backbone: str, alpha: float = 1.0, include_top: bool = False
) -> bool:
    """Whether :func:`load_imagenet_backbone` succeeds here: a cached file, or a download.

    For callers that fall back to random weights *and say so* (the notebooks' quick runs
    on a machine with neither network nor cache); everything else should let
    :class:`WeightsUnavailableError` and its fixes reach the user.

    Example:
        >>> imagenet_weights_available("mobilenet", 0.25)  # doctest: +SKIP
        True
    """
    try:
        load_imagenet_backbone(backbone, alpha, include_top)
    except WeightsUnavailableError:
        return False
    return True
