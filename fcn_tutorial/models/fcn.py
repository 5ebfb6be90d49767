"""Fully Convolutional Networks (Long, Shelhamer & Darrell 2015) in Keras 3.

:func:`convolutionalize` is the paper's first idea: a classifier's fully connected
layers are convolutions in disguise, so a classifier becomes a network that scores every
patch of a larger image (``05_transfer_learning.ipynb``).
:func:`build_fcn` is the whole FCN-32s/16s/8s: a convolutionalized backbone, a class
score layer, and skip connections from finer layers fused by bilinear-initialised
upsampling (``05`` to ``07``).
"""

from __future__ import annotations

import keras
from keras import layers

from fcn_tutorial.models.backbones import (
    PREPROCESSING,
    build_backbone,
    check_backbone,
    copy_weights,
    load_imagenet_backbone,
)
from fcn_tutorial.models.layers import (
    BilinearInitializer,
    CropToReference,
    ImageNetPreprocessing,
    PadToMultiple,
)

__all__ = [
    "VARIANTS",
    "SKIP_LAYERS",
    "HEAD_LAYERS",
    "backbone_layers",
    "build_fcn",
    "convolutionalize",
]

VARIANTS = {"fcn32s": (), "fcn16s": ("pool4",), "fcn8s": ("pool4", "pool3")}
"""dict[str, tuple]: the skips each variant fuses, coarse to fine; its output stride is
``32 / 2 ** len(skips)`` (32, 16, 8)."""

SKIP_LAYERS = {
    "pool4": {"upsample": "upscore2", "score": "score_pool4", "fuse": "fuse_pool4"},
    "pool3": {"upsample": "upscore_pool4", "score": "score_pool3", "fuse": "fuse_pool3"},
}
"""dict[str, dict]: the names, taken from the Caffe models, of the layers each skip adds."""

# The whole network downsamples by 32, so inputs are padded to a multiple of it.
NETWORK_STRIDE = 32

HEAD_LAYERS = frozenset(
    {"image", "preprocess", "pad", "fc6", "drop6", "fc7", "drop7", "drop5", "score_fr"}
    | {name for names in SKIP_LAYERS.values() for name in names.values()}
    | {"upscore", "score"}
)
"""frozenset[str]: the layers :func:`build_fcn` adds around the backbone's own."""


def backbone_layers(model: keras.Model) -> list:
    """The layers of an FCN that came from its ImageNet classifier's convolutional part.

    What "freezing the backbone" freezes in ``05_transfer_learning.ipynb``: everything
    but the input plumbing and the FCN head (:data:`HEAD_LAYERS`). VGG16's ``fc6``/``fc7``
    count as head here, since the FCN reshapes them and a small ``fc_width`` makes them new.

    Example:
        >>> model = build_fcn(11, backbone="mobilenet", weights=None, alpha=0.25)
        >>> names = [layer.name for layer in backbone_layers(model)]
        >>> names[0], "score_fr" in names
        ('conv1', False)
    """
    return [layer for layer in model.layers if layer.name not in HEAD_LAYERS]


def build_fcn(
    num_classes: int,
    backbone: str = "vgg16",
    variant: str = "fcn8s",
    weights: str | None = "imagenet",
    input_shape: tuple = (None, None, 3),
    alpha: float = 1.0,
    fc_width: int | None = None,
    learnable_upsampling: bool = False,
    dropout: float = 0.5,
) -> keras.Model:
    """An FCN-32s, -16s or -8s for ``num_classes`` classes, on any image size.

    The model takes ``(N, H, W, 3)`` RGB images with values in ``0 .. 255`` (float or
    uint8 cast to float, as ``SegmentationSequence`` yields them) and returns
    ``(N, H, W, num_classes)`` float32 logits, for any ``H`` and ``W``, even under
    mixed precision. Layer by layer (every layer named, as in the Caffe models):

    1. ``preprocess``: the backbone's own ImageNet scaling (:data:`PREPROCESSING`), inside
       the model so callers never apply it; ``pad``: zeros at the bottom and right up to
       a multiple of 32 (:class:`PadToMultiple`).
    2. The backbone's layers under their Keras names; :data:`SKIP_TAPS` names the ones
       at strides 8, 16 and 32 (``pool3``, ``pool4``, ``pool5``).
    3. VGG16 only: ``fc6`` (7×7, ``fc_width`` filters) and ``fc7`` (1×1), its fully
       connected layers convolutionalized, each followed by dropout (``drop6``,
       ``drop7``). The MobileNets classify straight from pooled features, so they get
       one dropout (``drop5``) on ``pool5``.
    4. ``score_fr``: a 1×1 convolution to class scores at stride 32.
    5. For each skip of the variant (:data:`VARIANTS`): ``upscore2`` (then
       ``upscore_pool4``), a 2× ``Conv2DTranspose`` initialised to bilinear
       interpolation and learned; ``score_pool4`` (``score_pool3``), a 1×1 convolution
       of the finer map initialised to zero, so a new skip adds nothing at first (the
       paper trains in stages, starting FCN-16s from a trained FCN-32s; a model built
       here starts from the backbone's weights alone); and ``fuse_pool4``
       (``fuse_pool3``), their sum.
    6. ``upscore``: bilinear upsampling by the remaining stride (32, 16 or 8), a
       ``Conv2DTranspose`` with ``kernel_size = 2 * strides``, frozen unless
       ``learnable_upsampling`` (the paper fixes it); ``score``: cropped to the input.

    Sizes: the paper uses a ``valid`` 7×7 ``fc6``, which needs a ``pool5`` map of at least
    7×7 (an input of about 224 px), so it pads every input by 100 pixels to give any image
    one; the margin shifts the maps, so it crops each skip by hand-computed offsets (5, 9,
    31 in the Caffe files) to realign them. Here the input is padded to a multiple of 32
    instead and ``fc6`` uses ``padding="same"``: every map is then exactly ``H/8``, ``H/16``
    or ``H/32`` of the padded image, the maps line up cell for cell with no offsets to
    compute, small images (under 224 px, where a valid 7×7 ``fc6`` would have nothing to
    slide over) work, and the scores are cropped once, back to ``H × W``. The cost:
    ``fc6``'s outer cells see zeros past the feature map, where the paper's saw the
    100-pixel margin.

    Initialisation: ``score_fr``, ``score_pool4`` and ``score_pool3`` start at zero (the
    paper found random initialisation neither better nor faster), so an untrained FCN
    outputs zero logits; the upsampling kernels start bilinear (:class:`BilinearInitializer`).

    Args:
        num_classes: output channels, e.g. ``datasets.NUM_CLASSES`` (11, void excluded).
        backbone: ``"vgg16"`` (the paper's), ``"mobilenet"`` (v1) or ``"mobilenetv2"``.
        variant: ``"fcn32s"``, ``"fcn16s"`` or ``"fcn8s"``.
        weights: ``"imagenet"`` (downloaded once by ``keras.applications`` into
            ``$KERAS_HOME/models``) or ``None`` (random initialisation).
        input_shape: ``(H, W, 3)``; ``None`` sizes take any image.
        alpha: width multiplier of the MobileNets (0.25 to 1.0 for ``mobilenet``, with
            ImageNet weights at 0.25, 0.5, 0.75, 1.0; 0.35 to 1.4 for ``mobilenetv2``);
            must stay 1.0 for ``vgg16``.
        fc_width: filters of VGG16's ``fc6`` and ``fc7`` (default 4096, the paper's, whose
            ImageNet weights are VGG16's Dense layers reshaped). A smaller width makes a
            much lighter model; its ``fc6``/``fc7`` then start random. VGG16 only.
        learnable_upsampling: let training change the final ``upscore`` kernel.
        dropout: rate of ``drop6``/``drop7`` (VGG16) or ``drop5`` (MobileNets).

    Returns:
        keras.Model: ``(N, H, W, 3)`` images in ``0 .. 255`` to ``(N, H, W, num_classes)``
        float32 logits (apply softmax for probabilities).

    Raises:
        ValueError: for an unknown backbone or variant, a bad size, width or rate.
        WeightsUnavailableError: when ``weights="imagenet"`` and the weights can be
            neither downloaded nor found, naming the file and the two fixes.

    Example:
        >>> model = build_fcn(11, backbone="mobilenet", variant="fcn8s", weights=None,
        ...                   alpha=0.25)
        >>> tuple(model(keras.ops.zeros((1, 97, 131, 3))).shape)
        (1, 97, 131, 11)
    """
    fc_width = _check_arguments(
        num_classes, backbone, variant, weights, input_shape, alpha, fc_width, dropout
    )
    # Fetch the weights first: a missing file should fail before 134 M parameters exist.
    source = None
    if weights == "imagenet":
        source = load_imagenet_backbone(
            backbone, alpha, include_top=_takes_imagenet_fc(backbone, fc_width)
        )

    image = keras.Input(shape=tuple(input_shape), name="image")
    taps = _backbone_taps(image, backbone, alpha)
    score = _class_scores(taps["pool5"], backbone, num_classes, fc_width, dropout)
    score = _fuse_skips(score, taps, VARIANTS[variant], num_classes)
    stride = NETWORK_STRIDE // 2 ** len(VARIANTS[variant])
    logits = _upsample_to_input(score, image, num_classes, stride, learnable_upsampling)
    model = keras.Model(image, logits, name=f"{variant}_{backbone}")

    if source is not None:
        _copy_imagenet_weights(source, model, backbone, fc_width)
    return model


def _check_arguments(
    num_classes, backbone, variant, weights, input_shape, alpha, fc_width, dropout
) -> int:
    """Refuse bad arguments before anything is built; return ``fc_width``, defaulted."""
    check_backbone(backbone, alpha, weights)
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: use one of {list(VARIANTS)}.")
    if int(num_classes) < 1:
        raise ValueError(f"num_classes={num_classes!r} must be at least 1.")
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(
            f"input_shape={input_shape!r}: pass (height, width, 3) RGB, None for any size, "
            "e.g. (None, None, 3)."
        )
    if fc_width is not None and backbone != "vgg16":
        raise ValueError(
            f"fc_width={fc_width!r} sizes VGG16's fc6/fc7, which {backbone} does not have: "
            "leave it None, or use alpha to slim a MobileNet."
        )
    fc_width = 4096 if fc_width is None else int(fc_width)
    if fc_width < 1:
        raise ValueError(f"fc_width={fc_width!r} must be positive, e.g. 4096 or 512.")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout={dropout!r} must be in [0, 1), e.g. 0.5.")
    return fc_width


def _backbone_taps(image, backbone: str, alpha: float) -> dict:
    """Steps 1 and 2: preprocess, pad to a multiple of 32, the backbone; maps by tap name."""
    x = ImageNetPreprocessing(PREPROCESSING[backbone], name="preprocess")(image)
    # Zero padding after preprocessing is the mean pixel, as in the paper's Caffe nets.
    x = PadToMultiple(NETWORK_STRIDE, name="pad")(x)
    return build_backbone(backbone, x, alpha)


def _class_scores(pool5, backbone: str, num_classes: int, fc_width: int, dropout: float):
    """Steps 3 and 4: VGG16's fc6/fc7 as convolutions (MobileNets: a dropout), then score_fr."""
    x = pool5
    if backbone == "vgg16":
        x = layers.Conv2D(fc_width, 7, padding="same", activation="relu", name="fc6")(x)
        x = layers.Dropout(dropout, name="drop6")(x)
        x = layers.Conv2D(fc_width, 1, activation="relu", name="fc7")(x)
        x = layers.Dropout(dropout, name="drop7")(x)
    else:
        x = layers.Dropout(dropout, name="drop5")(x)
    return layers.Conv2D(num_classes, 1, kernel_initializer="zeros", name="score_fr")(x)


def _fuse_skips(score, taps: dict, skips: tuple, num_classes: int):
    """Step 5: for each skip, coarse to fine, the scores upsampled 2× plus the finer map's."""
    for tap in skips:
        names = SKIP_LAYERS[tap]
        upsampled = layers.Conv2DTranspose(
            num_classes,
            kernel_size=4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=BilinearInitializer(),
            name=names["upsample"],
        )(score)
        skip = layers.Conv2D(num_classes, 1, kernel_initializer="zeros", name=names["score"])(
            taps[tap]
        )
        score = layers.Add(name=names["fuse"])([upsampled, skip])
    return score


def _upsample_to_input(score, image, num_classes: int, stride: int, learnable: bool):
    """Step 6: upscore, bilinear upsampling by the remaining stride; score, cropped to the input."""
    # float32 from here on, so logits and the loss stay float32 under mixed precision.
    upscore = layers.Conv2DTranspose(
        num_classes,
        kernel_size=2 * stride,
        strides=stride,
        padding="same",
        use_bias=False,
        kernel_initializer=BilinearInitializer(),
        trainable=learnable,
        dtype="float32",
        name="upscore",
    )(score)
    return CropToReference(dtype="float32", name="score")([upscore, image])


def _takes_imagenet_fc(backbone: str, fc_width: int) -> bool:
    # VGG16's fc6/fc7 can take ImageNet weights only at the paper's width, and those
    # come in the with-top file; otherwise the smaller no-top file is enough.
    return backbone == "vgg16" and fc_width == 4096


def _copy_imagenet_weights(source, model, backbone: str, fc_width: int) -> None:
    copy_weights(source, model)
    if _takes_imagenet_fc(backbone, fc_width):
        features = source.get_layer("flatten").input.shape[1:]
        for dense_name, conv_name, kernel_size in (
            ("fc1", "fc6", features[:2]),
            ("fc2", "fc7", (1, 1)),
        ):
            kernel, bias = source.get_layer(dense_name).get_weights()
            model.get_layer(conv_name).set_weights([_conv_kernel(kernel, kernel_size), bias])


def _conv_kernel(dense_kernel, kernel_size):
    # A Dense layer on a flattened (h, w, c) map is a valid h×w convolution: Flatten lays
    # the map out row by row, channels fastest, which is exactly the order of a
    # (h, w, c, units) kernel's first three axes, so the kernel only needs a reshape.
    kernel_h, kernel_w = kernel_size
    in_channels = dense_kernel.shape[0] // (kernel_h * kernel_w)
    return dense_kernel.reshape(kernel_h, kernel_w, in_channels, dense_kernel.shape[1])


def _dense_as_conv(dense, kernel_size, name: str, activation):
    kernel, *bias = dense.get_weights()
    conv_kernel = _conv_kernel(kernel, kernel_size)
    conv = layers.Conv2D(
        kernel.shape[1], kernel_size, activation=activation, use_bias=bool(bias), name=name
    )
    conv.build((None, None, None, conv_kernel.shape[2]))
    conv.set_weights([conv_kernel, *bias])
    return conv


def _pointwise_as_conv(conv, activation):
    config = {**conv.get_config(), "activation": activation}
    copy = layers.Conv2D.from_config(config)
    copy.build((None, None, None, conv.kernel.shape[2]))
    copy.set_weights(conv.get_weights())
    return copy


def convolutionalize(classifier: keras.Model, activation: str | None = None) -> keras.Model:
    """Turn a ``keras.applications`` classifier into a network that scores every patch.

    The head that follows the last feature map becomes convolutions that slide over
    it, so the new model takes any image at least as large as the classifier's input
    and returns a map of class scores, one cell per classifier-sized window (stride 32):

    - ``Flatten`` + ``Dense`` (VGG16, VGG19): the first Dense, which saw the whole
      ``h × w`` feature map, becomes a ``valid`` ``h × w`` convolution (its kernel
      reshaped, not retrained); the next ones 1×1 convolutions. Named as the Dense
      layers were (``fc1``, ``fc2``, ``predictions``: the paper's fc6, fc7, fc8).
    - ``GlobalAveragePooling2D`` + 1×1 ``Conv2D`` (MobileNet's ``conv_preds``) or +
      ``Dense`` (MobileNetV2): the pooling is dropped and the classifier is applied at
      every cell. Averaging is linear, so the spatial mean of the map's logits equals
      the classifier's logits on the same image.

    Dropout and Reshape layers are dropped (they do nothing at inference), and so is the
    final softmax: the map holds logits, unless ``activation="softmax"`` asks for
    probabilities. For VGG16 on a 224×224 image the map is one cell, equal to the
    classifier's output.

    The new model takes the same input as the classifier (preprocessed images, e.g.
    ``keras.applications.vgg16.preprocess_input``), of any size. The feature layers
    are cloned with their weights: training one model leaves the other unchanged.

    Args:
        classifier: a functional ``keras.applications`` model built with
            ``include_top=True``.
        activation: applied to the map's last axis; ``None`` for logits.

    Returns:
        keras.Model: ``(N, H, W, C)`` images to ``(N, H', W', classes)`` scores, ``H'``
        ``= H // 32 - h + 1`` for a Flatten head (``h = 7`` for VGG16 at 224) and
        ``H // 32`` (rounded as the backbone's padding does) for a pooling head.

    Raises:
        ValueError: for a model without a Flatten or global-pooling head, or with a head
            layer this function does not know.

    Example:
        >>> classifier = keras.applications.MobileNet(
        ...     input_shape=(128, 128, 3), alpha=0.25, weights=None)
        >>> scores = convolutionalize(classifier)
        >>> tuple(scores(keras.ops.zeros((1, 256, 384, 3))).shape)
        (1, 8, 12, 1000)
    """
    if not isinstance(classifier, keras.Model) or not hasattr(classifier, "layers"):
        raise ValueError(
            f"convolutionalize takes a functional keras.Model, got {type(classifier).__name__}:"
            " pass e.g. keras.applications.VGG16(include_top=True)."
        )
    start = next(
        (
            i
            for i, layer in enumerate(classifier.layers)
            if isinstance(layer, layers.Flatten | layers.GlobalAveragePooling2D)
        ),
        None,
    )
    if start is None:
        raise ValueError(
            f"{classifier.name} has no Flatten or GlobalAveragePooling2D layer: pass a "
            "classifier built with include_top=True."
        )
    pooling = classifier.layers[start]
    feature_map = pooling.input
    head = [
        layer
        for layer in classifier.layers[start + 1 :]
        if not isinstance(layer, layers.Dropout | layers.Reshape)
    ]
    for layer in head:
        is_pointwise = isinstance(layer, layers.Conv2D) and tuple(layer.kernel_size) == (1, 1)
        if not isinstance(layer, layers.Dense | layers.Activation) and not is_pointwise:
            raise ValueError(
                f"convolutionalize does not know the head layer {layer.name!r} "
                f"({type(layer).__name__}): it handles Dense, 1x1 Conv2D, Activation, "
                "Dropout and Reshape after a Flatten or GlobalAveragePooling2D."
            )
    # The classifier's final softmax goes: the map holds logits (or `activation`).
    if head and isinstance(head[-1], layers.Activation):
        head = head[:-1]
    if not head:
        raise ValueError(
            f"{classifier.name} ends in {type(pooling).__name__} with no classifier after "
            "it: pass a classifier built with include_top=True."
        )

    channels = classifier.input_shape[-1]
    image = keras.Input(shape=(None, None, channels), name="image")
    features = keras.Model(classifier.inputs[0], feature_map)
    cloned = keras.models.clone_model(features, input_tensors=image)
    cloned.set_weights(features.get_weights())
    x = cloned.outputs[0]

    window = tuple(feature_map.shape[1:3])
    for position, layer in enumerate(head):
        is_last = position == len(head) - 1
        layer_activation = None if is_last else getattr(layer, "activation", None)
        if isinstance(layer, layers.Activation):
            x = layers.Activation.from_config(layer.get_config())(x)
        elif isinstance(layer, layers.Dense):
            first_after_flatten = isinstance(pooling, layers.Flatten) and position == 0
            kernel_size = window if first_after_flatten else (1, 1)
            x = _dense_as_conv(layer, kernel_size, layer.name, layer_activation)(x)
        else:
            x = _pointwise_as_conv(layer, layer_activation)(x)
    if activation is not None:
        x = layers.Activation(activation, name="scores")(x)
    return keras.Model(image, x, name=f"{classifier.name}_convolutionalized")
