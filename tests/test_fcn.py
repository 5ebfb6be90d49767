"""FCN models: any input size, the paper's parameter count, the zero-initialised skips,
convolutionalization, ImageNet weights (real ones where the shared cache has them), and
the custom layers' NumPy equivalents and serialization."""

import ast
import inspect
import os
import socket
from pathlib import Path

import keras
import numpy as np
import pytest

from fcn_tutorial import losses, models
from fcn_tutorial.datasets import NUM_CLASSES
from fcn_tutorial.models import fcn as fcn_module
from fcn_tutorial.models import graph as graph_module

SIZES = [(224, 224), (360, 480), (375, 1242), (97, 131)]
# Slim settings keep the shape tests quick on a CPU; the full VGG16 is built once below.
SLIM = {"vgg16": {"fc_width": 64}, "mobilenet": {"alpha": 0.25}, "mobilenetv2": {"alpha": 0.35}}
PAPER_LAYERS = {
    "fcn32s": ["score_fr", "upscore", "score"],
    "fcn16s": ["score_fr", "upscore2", "score_pool4", "fuse_pool4", "upscore", "score"],
    "fcn8s": [
        "score_fr",
        "upscore2",
        "score_pool4",
        "fuse_pool4",
        "upscore_pool4",
        "score_pool3",
        "fuse_pool3",
        "upscore",
        "score",
    ],
}


def _keras_models_file(name):
    path = Path(os.environ.get("KERAS_HOME", "")) / "models" / name
    return path if path.is_file() else None


def _random_images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


@pytest.mark.parametrize("variant", list(models.VARIANTS))
@pytest.mark.parametrize("backbone", list(SLIM))
def test_output_is_exactly_the_input_size(backbone, variant):
    model = models.build_fcn(NUM_CLASSES, backbone, variant, weights=None, **SLIM[backbone])
    assert model.output_shape == (None, None, None, NUM_CLASSES)
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["image", "preprocess", "pad"]
    assert names[-len(PAPER_LAYERS[variant]) :] == PAPER_LAYERS[variant]
    for height, width in SIZES:
        logits = model(np.zeros((1, height, width, 3), "float32"), training=False)
        assert tuple(logits.shape) == (1, height, width, NUM_CLASSES)
        assert keras.backend.standardize_dtype(logits.dtype) == "float32"


@pytest.mark.parametrize("backbone", list(SLIM))
def test_skip_taps_sit_at_strides_8_16_32(backbone):
    model = models.build_fcn(
        5, backbone, "fcn8s", weights=None, input_shape=(97, 131, 3), **SLIM[backbone]
    )
    # Padded to 128 x 160, so every stride divides exactly.
    assert model.get_layer("pad").output.shape[1:3] == (128, 160)
    for tap, stride in (("pool3", 8), ("pool4", 16), ("pool5", 32)):
        layer = model.get_layer(models.SKIP_TAPS[backbone][tap])
        assert layer.output.shape[1:3] == (128 // stride, 160 // stride), tap
    assert model.output_shape == (None, 97, 131, 5)


@pytest.mark.parametrize("variant", list(models.VARIANTS))
def test_skip_graph_reads_the_fusions_from_the_built_model(variant):
    graph = models.skip_graph(variant)  # MobileNet, alpha=0.25, on a 360x480 frame
    assert graph["padded"] == (384, 480)
    skips = models.VARIANTS[variant]
    fuses = [models.SKIP_LAYERS[tap]["fuse"] for tap in skips]
    taps = [models.SKIP_TAPS["mobilenet"][tap] for tap in ("pool5", *skips)]
    nodes = graph["nodes"]
    assert set(nodes) == {"image", "score", "score_fr", *fuses, *taps}
    assert [nodes[name]["stride"] for name in ["score_fr", *fuses]] == [32, 16, 8][: len(skips) + 1]
    assert [nodes[name]["stride"] for name in taps] == [32, 16, 8][: len(skips) + 1]
    assert nodes["score"]["shape"] == (360, 480, 11)
    stride = 32 // 2 ** len(skips)
    assert ("image", "score", []) in graph["edges"]
    upscore = f"upscore: ×{stride} up\n{2 * stride}×{2 * stride}, bilinear, fixed\nto 384×480"
    assert ((fuses or ["score_fr"])[-1], "score", [upscore]) in graph["edges"]
    assert len(graph["edges"]) == 3 + 2 * len(skips)


def test_skip_graph_reads_keras_through_its_public_api_only():
    tree = ast.parse(inspect.getsource(graph_module))
    private = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.endswith("__")  # dunders (type(layer).__name__) are public
    }
    assert not private, f"skip_graph reads Keras' private {sorted(private)}"


def test_vgg16_fcn8s_has_the_papers_134m_parameters():
    model = models.build_fcn(21, "vgg16", "fcn8s", weights=None)  # PASCAL VOC: 21 classes
    vgg_channels = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256)]
    vgg_channels += [(256, 512)] + [(512, 512)] * 5
    convs = sum(3 * 3 * c_in * c_out + c_out for c_in, c_out in vgg_channels)
    fc6_fc7 = (7 * 7 * 512 * 4096 + 4096) + (4096 * 4096 + 4096)
    scores = (4096 * 21 + 21) + (512 * 21 + 21) + (256 * 21 + 21)  # score_fr, _pool4, _pool3
    upsampling = 2 * (4 * 4 * 21 * 21) + 16 * 16 * 21 * 21  # bias-free, like Caffe's
    assert model.count_params() == convs + fc6_fc7 + scores + upsampling == 134_489_759
    assert round(model.count_params() / 1e6) == 134  # Table 1 of the paper: 134M
    # The final bilinear upsampling is fixed unless asked otherwise, as in the paper.
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert frozen == 16 * 16 * 21 * 21


def test_skips_start_at_zero_so_fcn8s_starts_as_upsampled_fcn32s():
    model = models.build_fcn(NUM_CLASSES, "vgg16", "fcn8s", weights=None, fc_width=32)
    score_fr = model.get_layer("score_fr")
    assert not np.any(score_fr.get_weights()[0])  # zero, as in the paper
    kernel, bias = score_fr.get_weights()
    rng = np.random.default_rng(1)
    score_fr.set_weights([rng.normal(size=kernel.shape).astype("float32"), bias])

    names = ["score_fr", "upscore2", "score_pool4", "fuse_pool4", "upscore_pool4"]
    names += ["score_pool3", "fuse_pool3"]
    probe = keras.Model(model.input, [model.get_layer(n).output for n in names] + model.outputs)
    images = _random_images((2, 96, 128, 3))
    out = dict(zip(names + ["logits"], (np.asarray(t) for t in probe(images))))
    assert np.abs(out["upscore2"]).max() > 0
    assert not np.any(out["score_pool4"]) and not np.any(out["score_pool3"])
    np.testing.assert_array_equal(out["fuse_pool4"], out["upscore2"])
    np.testing.assert_array_equal(out["fuse_pool3"], out["upscore_pool4"])
    # So the untrained FCN-8s is score_fr upsampled 2x, 2x, then 8x, all bilinear.
    chain = out["score_fr"]
    for name in ("upscore2", "upscore_pool4", "upscore"):
        chain = np.asarray(model.get_layer(name)(chain))
    scale = np.abs(chain).max()
    np.testing.assert_allclose(out["logits"], chain, rtol=1e-5, atol=1e-6 * scale)


def test_learnable_upsampling_makes_the_final_upscore_trainable():
    fixed = models.build_fcn(3, "mobilenet", "fcn32s", weights=None, alpha=0.25)
    learned = models.build_fcn(
        3, "mobilenet", "fcn32s", weights=None, alpha=0.25, learnable_upsampling=True
    )
    assert not fixed.get_layer("upscore").trainable
    assert learned.get_layer("upscore").trainable
    assert fixed.get_layer("upscore").kernel.shape == (64, 64, 3, 3)
    np.testing.assert_array_equal(
        fixed.get_layer("upscore").get_weights()[0], models.BilinearInitializer()((64, 64, 3, 3))
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backbone": "resnet50"}, "use one of"),
        ({"variant": "fcn4s"}, "use one of"),
        ({"backbone": "vgg16", "alpha": 0.5}, "fc_width"),
        ({"backbone": "mobilenet", "fc_width": 512}, "leave it None"),
        ({"backbone": "mobilenet", "alpha": 0.3, "weights": "imagenet"}, "weights=None"),
        ({"weights": "/tmp/my.weights.h5"}, "load_weights"),
        ({"input_shape": (None, None, 1)}, r"\(None, None, 3\)"),
        ({"dropout": 1.0}, r"\[0, 1\)"),
    ],
)
def test_bad_arguments_name_the_fix(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_fcn(NUM_CLASSES, **{"weights": None, **kwargs})


def test_mixed_precision_still_gives_float32_logits():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = models.build_fcn(NUM_CLASSES, "mobilenet", "fcn8s", weights=None, alpha=0.25)
    finally:
        keras.config.set_dtype_policy("float32")
    assert keras.backend.standardize_dtype(model.get_layer("fuse_pool3").output.dtype) == "float16"
    logits = model(np.zeros((1, 97, 131, 3), "float32"))
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"


def test_saved_fcn_reloads_with_its_layers_loss_and_metric(tmp_path):
    model = models.build_fcn(NUM_CLASSES, "mobilenet", "fcn8s", weights=None, alpha=0.25)
    rng = np.random.default_rng(2)
    for name in ("score_fr", "score_pool4", "score_pool3"):
        kernel, bias = model.get_layer(name).get_weights()
        model.get_layer(name).set_weights([rng.normal(size=kernel.shape).astype("float32"), bias])
    model.compile(
        optimizer="sgd",
        loss=losses.MaskedSparseCrossEntropy(class_weights=[1.0] * NUM_CLASSES),
        metrics=[losses.MeanIU(NUM_CLASSES)],
    )
    path = tmp_path / "fcn8s.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    images = _random_images((1, 97, 131, 3))
    np.testing.assert_allclose(reloaded(images), model(images), rtol=1e-5, atol=1e-6)
    assert isinstance(reloaded.loss, losses.MaskedSparseCrossEntropy)
    assert reloaded.loss.class_weights == [1.0] * NUM_CLASSES


# --- convolutionalize -----------------------------------------------------------------


@pytest.fixture(scope="module")
def vgg16_classifier():
    """VGG16 with its top and random weights: the ImageNet file is 528 MB."""
    keras.utils.set_random_seed(0)
    return keras.applications.VGG16(weights=None)


def test_convolutionalized_vgg16_at_224_is_one_cell_equal_to_the_classifier(vgg16_classifier):
    classifier = vgg16_classifier
    scores = models.convolutionalize(classifier)
    assert [layer.name for layer in scores.layers][-3:] == ["fc1", "fc2", "predictions"]
    assert scores.get_layer("fc1").kernel.shape == (7, 7, 512, 4096)
    images = keras.applications.vgg16.preprocess_input(_random_images((2, 224, 224, 3)))
    cell = np.asarray(scores(images))
    assert cell.shape == (2, 1, 1, 1000)
    # The classifier's logits: its last Dense applied to fc2, before the softmax.
    probe = keras.Model(classifier.input, [classifier.get_layer("fc2").output, classifier.output])
    fc2, probabilities = (np.asarray(t) for t in probe(images))
    kernel, bias = classifier.get_layer("predictions").get_weights()
    logits = fc2 @ kernel + bias
    np.testing.assert_allclose(cell[:, 0, 0], logits, rtol=1e-4, atol=1e-4 * np.abs(logits).max())
    np.testing.assert_allclose(keras.ops.softmax(cell[:, 0, 0]), probabilities, atol=1e-6)
    # A larger image gives a map: pool5 is H/32, and the 7x7 fc1 slides over it.
    larger = scores(np.zeros((1, 256, 352, 3), "float32"))
    assert tuple(larger.shape) == (1, 256 // 32 - 6, 352 // 32 - 6, 1000)


POOLING_CLASSIFIERS = {
    "mobilenet": (keras.applications.MobileNet, 0.25),
    "mobilenetv2": (keras.applications.MobileNetV2, 0.35),
}


def _pooling_classifier(backbone, size):
    """The real ImageNet MobileNet where the shared cache has it, else random weights."""
    if backbone == "mobilenet" and _keras_models_file(f"mobilenet_2_5_{size}_tf.h5"):
        return models.load_imagenet_classifier(alpha=0.25, input_size=size)
    constructor, alpha = POOLING_CLASSIFIERS[backbone]
    return constructor(input_shape=(size, size, 3), alpha=alpha, weights=None)


def _logits(classifier, images):
    last = classifier.layers[-1]
    before = np.asarray(keras.Model(classifier.input, last.input)(images))
    if isinstance(last, keras.layers.Dense):  # MobileNetV2: the softmax is in the Dense
        kernel, bias = last.get_weights()
        return before @ kernel + bias
    return before  # MobileNet: a separate softmax Activation


@pytest.mark.parametrize("backbone", list(POOLING_CLASSIFIERS))
def test_convolutionalized_pooling_classifier_averages_to_its_logits(backbone):
    classifier = _pooling_classifier(backbone, 128)
    scores = models.convolutionalize(classifier)
    for height, width in ((128, 128), (256, 352)):
        images = _random_images((2, height, width, 3), seed=height)
        images = keras.applications.mobilenet.preprocess_input(images)
        score_map = np.asarray(scores(images))
        assert score_map.shape == (2, height // 32, width // 32, 1000)
        # The classifier itself at this size: global pooling takes any size.
        constructor, alpha = POOLING_CLASSIFIERS[backbone]
        resized = constructor(input_shape=(height, width, 3), alpha=alpha, weights=None)
        resized.set_weights(classifier.get_weights())
        expected = _logits(resized, images)
        np.testing.assert_allclose(score_map.mean(axis=(1, 2)), expected, rtol=1e-4, atol=1e-4)
    probabilities = models.convolutionalize(classifier, activation="softmax")(images)
    np.testing.assert_allclose(np.asarray(probabilities).sum(axis=-1), 1.0, rtol=1e-5)


def test_convolutionalize_rejects_a_model_without_its_top():
    features = keras.applications.MobileNet(
        input_shape=(128, 128, 3), alpha=0.25, weights=None, include_top=False, pooling="avg"
    )
    with pytest.raises(ValueError, match="include_top=True"):
        models.convolutionalize(features)


# --- ImageNet weights -------------------------------------------------------------------


def test_vgg16_dense_weights_become_fc6_and_fc7(monkeypatch, vgg16_classifier):
    # The real path of weights="imagenet", with the random classifier as the download.
    asked = []

    def fake_download(backbone, alpha, include_top):
        asked.append((backbone, include_top))
        return vgg16_classifier

    monkeypatch.setattr(fcn_module, "load_imagenet_backbone", fake_download)
    model = models.build_fcn(NUM_CLASSES, "vgg16", "fcn32s", weights="imagenet")
    assert asked == [("vgg16", True)]
    images = _random_images((1, 224, 224, 3))
    fc7 = np.asarray(keras.Model(model.input, model.get_layer("fc7").output)(images))
    classifier_fc2 = keras.Model(vgg16_classifier.input, vgg16_classifier.get_layer("fc2").output)
    expected = np.asarray(classifier_fc2(keras.applications.vgg16.preprocess_input(images.copy())))
    # At 224 px pool5 is 7 x 7, so the "same" 7x7 fc6 sees all of it, unpadded, at the
    # centre cell (3, 3): there the FCN computes exactly what the classifier does.
    assert fc7.shape == (1, 7, 7, 4096)
    np.testing.assert_allclose(
        fc7[:, 3, 3], expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max()
    )


def test_imagenet_weights_load_into_the_mobilenet_fcn(keras_home):
    if not _keras_models_file("mobilenet_2_5_224_tf_no_top.h5"):
        pytest.skip("the no-top MobileNet 0.25 weights are not in the shared cache")
    model = models.build_fcn(NUM_CLASSES, "mobilenet", "fcn8s", weights="imagenet", alpha=0.25)
    reference = keras.applications.MobileNet(
        input_shape=(224, 224, 3), alpha=0.25, weights="imagenet", include_top=False
    )
    images = _random_images((2, 224, 224, 3))
    # The model preprocesses inside: raw 0..255 in, the same features as Keras' own.
    tap = models.SKIP_TAPS["mobilenet"]["pool5"]
    ours = keras.Model(model.input, model.get_layer(tap).output)(images)
    theirs = reference(keras.applications.mobilenet.preprocess_input(images.copy()))
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("backbone", "kwargs", "filename"),
    [
        ("vgg16", {}, "vgg16_weights_tf_dim_ordering_tf_kernels.h5"),
        ("vgg16", {"fc_width": 512}, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (
            "mobilenetv2",
            {"alpha": 0.35},
            "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        ),
    ],
)
def test_missing_weights_without_network_name_the_file_and_fixes(
    monkeypatch, backbone, kwargs, filename
):
    if _keras_models_file(filename):
        pytest.skip(f"{filename} is cached here")

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    with pytest.raises(models.WeightsUnavailableError, match="weights=None") as caught:
        models.build_fcn(NUM_CLASSES, backbone, weights="imagenet", **kwargs)
    message = str(caught.value)
    assert filename in message and os.path.join("", "models") in message


# --- the custom layers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "reference"),
    [
        ("caffe", keras.applications.vgg16.preprocess_input),
        ("tf", keras.applications.mobilenet.preprocess_input),
    ],
)
def test_preprocessing_layer_matches_keras_applications(mode, reference):
    images = _random_images((2, 5, 7, 3))
    ours = models.ImageNetPreprocessing(mode)(images)
    np.testing.assert_allclose(ours, reference(images.copy()), rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize(("height", "width"), [(1, 1), (32, 64), (97, 131), (375, 1242)])
def test_pad_then_crop_is_the_identity(height, width):
    images = _random_images((2, height, width, 3))
    padded = np.asarray(models.PadToMultiple(32)(images))
    assert padded.shape == (2, -(-height // 32) * 32, -(-width // 32) * 32, 3)
    np.testing.assert_array_equal(padded[:, :height, :width], images)
    assert not padded[:, height:].any() and not padded[:, :, width:].any()
    np.testing.assert_array_equal(models.CropToReference()([padded, images]), images)
