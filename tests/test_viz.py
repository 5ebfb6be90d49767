"""Drawings: sizes from arithmetic, numbers from reference, figures that display themselves."""

import io
import subprocess
import sys

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from PIL import Image

from fcn_tutorial import arithmetic, reference, viz
from fcn_tutorial.classes import (
    CLASS_NAMES,
    ERROR_COLOUR,
    KITTI_CLASS_NAMES,
    KITTI_PALETTE,
    PALETTE,
    VOID,
)

EXTRA_CONFIGS = [
    {"input_size": 6, "kernel_size": 3, "strides": 2, "padding": "same"},
    {"input_size": 7, "kernel_size": 2, "strides": 3, "padding": 1},
    {"input_size": 5, "kernel_size": 1, "strides": 3, "padding": "same"},
    {"input_size": 8, "kernel_size": 3, "padding": "same", "dilation_rate": 3},
]
CONFIGS = list(viz.CONV_CONFIGS.values()) + EXTRA_CONFIGS


def test_library_imports_neither_pyplot_nor_keras():
    code = (
        "import sys, fcn_tutorial.viz, fcn_tutorial.widgets, fcn_tutorial.figures\n"
        "print(sorted(m for m in ('matplotlib.pyplot', 'keras') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_figure_displays_inline_as_png_without_pyplot():
    fig = viz.new_figure(2, 1, dpi=50)
    fig.add_subplot().plot([0, 1])
    data, _ = DisplayFormatter().format(fig)
    assert "image/png" in data
    assert isinstance(fig, Figure)


def test_figure_to_array_and_png_agree():
    fig = viz.new_figure(3, 2, dpi=40)
    fig.add_subplot().plot([0, 1], [1, 0])
    pixels = viz.figure_to_array(fig)
    assert pixels.shape == (80, 120, 3) and pixels.dtype == np.uint8
    png = viz.figure_to_png(fig)
    assert png == viz.figure_to_png(fig)
    decoded = Image.open(io.BytesIO(png))
    assert "Software" not in decoded.info
    np.testing.assert_array_equal(np.asarray(decoded.convert("RGB")), pixels)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_conv_step_follows_arithmetic(config):
    size = config["input_size"]
    strides = config.get("strides", 1)
    expected = arithmetic.conv_output_size(
        size,
        config["kernel_size"],
        strides,
        config.get("padding", "valid"),
        config.get("dilation_rate", 1),
    )
    steps = [viz.conv_step(config, step) for step in range(expected**2)]
    assert all(step["output_size"] == expected for step in steps)
    for index, step in enumerate(steps):
        top, left = step["window"]
        assert step["position"] == divmod(index, expected)
        assert (top, left) == (step["position"][0] * strides, step["position"][1] * strides)
        assert top + step["span"] <= step["padded_size"]
        assert len(step["taps"]) == config["kernel_size"] ** 2
    # The last window reaches past the input's last real pixel only into padding.
    assert steps[-1]["window"][0] + steps[-1]["span"] > steps[-1]["padded_size"] - strides
    with pytest.raises(ValueError, match="outside the output"):
        viz.conv_step(config, expected**2)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_taps_times_kernel_is_reference_conv2d(config):
    input_values, kernel = viz.sample_conv_values(config["input_size"], config["kernel_size"])
    output = reference.conv2d(
        input_values[..., None].astype("float32"),
        kernel,
        strides=config.get("strides", 1),
        padding=config.get("padding", "valid"),
        dilation_rate=config.get("dilation_rate", 1),
    )[..., 0]
    for step in range(output.size):
        geometry = viz.conv_step(config, step)
        padded = np.pad(input_values, [geometry["pad"], geometry["pad"]])
        total = sum(padded[tap] * w for tap, w in zip(geometry["taps"], kernel.ravel()))
        assert total == output[geometry["position"]]


def test_dilated_kernel_leaves_holes():
    config = viz.CONV_CONFIGS["dilation"]
    fig = viz.plot_convolution_step(config, step=4)
    shade = to_rgba(viz.core.KERNEL_COLOUR)[:3]
    corners = {
        patch.get_xy()
        for patch in fig.axes[0].patches
        if tuple(patch.get_facecolor()[:3]) == pytest.approx(shade) and patch.get_width() == 1
    }
    xs = sorted({x for x, _ in corners})
    ys = sorted({y for _, y in corners})
    assert len(corners) == 9
    np.testing.assert_allclose([np.diff(xs), np.diff(ys)], 2)


def test_convolution_frames_move_and_keep_their_size():
    config = viz.CONV_CONFIGS["padding_strides"]
    values, kernel = viz.sample_conv_values(5, 3)
    first = viz.figure_to_array(viz.plot_convolution_step(config, 0, values, kernel))
    second = viz.figure_to_array(viz.plot_convolution_step(config, 1, values, kernel))
    assert first.shape == second.shape
    assert np.any(first != second)


def test_convolution_step_rejects_bad_input():
    config = viz.CONV_CONFIGS["no_padding_no_strides"]
    with pytest.raises(ValueError, match="sample_conv_values"):
        viz.plot_convolution_step(config, 0, np.zeros((5, 5)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="sample_conv_values"):
        viz.plot_convolution_step(config, 0, np.zeros((4, 4)))
    with pytest.raises(ValueError, match="padded input"):
        viz.plot_convolution_step({"input_size": 3, "kernel_size": 5}, 0)


# Issue 14: a config key that is misspelled is refused, naming the valid keys, not ignored
# for its default; a missing required key is a ValueError, not a KeyError.
@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: viz.conv_step({"input_size": 5, "kernel_size": 3, "stride": 2}, 0),
            "convolution config has an unknown key 'stride' (did you mean 'strides'?): its keys "
            "are input_size, kernel_size, strides, padding, dilation_rate.",
        ),
        (
            lambda: viz.plot_convolution_step({**viz.CONV_CONFIGS["dilation"], "dilation": 1}, 0),
            "convolution config has an unknown key 'dilation' (did you mean 'dilation_rate'?)",
        ),
        (
            lambda: viz.conv_step({"input_size": 5}, 0),
            "convolution config lacks kernel_size: it needs input_size, kernel_size and may",
        ),
        (
            lambda: viz.pool_step({"input_size": 4, "pool_size": 2, "stride": 1}, 0, np.eye(4)),
            "pooling config has an unknown key 'stride' (did you mean 'strides'?)",
        ),
        (
            lambda: viz.pooling_call({"input_size": 4, "pool_size": 2, "modes": "avg"}),
            "pooling config has an unknown key 'modes' (did you mean 'mode'?)",
        ),
        (
            lambda: viz.transposed_step({"input_size": 2, "kernel_size": 3, "stride": 2}, 0),
            "transposed-convolution config has an unknown key 'stride' (did you mean 'strides'?)",
        ),
        (
            lambda: viz.plot_transposed_step(
                {"input_size": 2, "kernel_size": 3, "strides": 2, "outputpadding": 1}, 0
            ),
            "transposed-convolution config has an unknown key 'outputpadding' (did you mean "
            "'output_padding'?)",
        ),
    ],
    ids=["conv", "plot_conv", "missing", "pool", "pooling_call", "transposed", "plot_transposed"],
)
def test_configs_refuse_unknown_keys(call, message):
    with pytest.raises(ValueError) as refusal:
        call()
    assert str(refusal.value).startswith(message) and "\n" not in str(refusal.value)
    for config in viz.CONV_CONFIGS.values():
        assert set(config) <= set(viz.CONV_KEYS)
    for config in viz.TRANSPOSED_CONFIGS.values():
        assert set(config) <= set(viz.TRANSPOSED_KEYS)


@pytest.mark.parametrize(
    "pool_size, strides, padding", [(2, 2, "valid"), (3, 1, "valid"), (3, 2, "same")]
)
def test_pool_step_winner_and_average(pool_size, strides, padding):
    x = np.random.default_rng(1).integers(0, 100, (7, 7))
    pooled_max = reference.max_pool2d(x[..., None], pool_size, strides, padding)[..., 0]
    config = {"input_size": 7, "pool_size": pool_size, "strides": strides, "padding": padding}
    for step in range(pooled_max.size):
        state = viz.pool_step(config, step, x)
        pad = state["pad"][0]
        window = [
            (r - pad, c - pad) for r, c in state["taps"] if 0 <= r - pad < 7 and 0 <= c - pad < 7
        ]
        values = [x[cell] for cell in window]
        assert state["winner"] == window[int(np.argmax(values))]
        assert x[state["winner"]] == state["output_value"] == pooled_max[state["position"]]
        average = viz.pool_step({**config, "mode": "avg"}, step, x)
        assert average["winner"] is None
        assert average["output_value"] == pytest.approx(np.mean(values))


def test_pooling_frame_draws_and_rejects_conv_padding():
    x = np.arange(16).reshape(4, 4)
    config = {"input_size": 4, "pool_size": 2}
    assert isinstance(viz.plot_pooling_step(config, 3, x), Figure)
    with pytest.raises(ValueError, match="valid"):
        viz.pool_step({**config, "padding": 1}, 0, x)
    with pytest.raises(ValueError, match="max"):
        viz.pool_step({**config, "mode": "median"}, 0, x)
    with pytest.raises(ValueError, match=r"\(5, 5\) array"):
        viz.pool_step({**config, "input_size": 5}, 0, x)


def test_keras_calls_spell_an_int_padding_as_the_layer_keras_needs():
    assert viz.keras_call("Conv2D", kernel_size=3, padding="same") == (
        "Conv2D(kernel_size=3, padding='same')"
    )
    assert viz.keras_call("Conv2D", kernel_size=np.int64(3), padding=2) == (
        "ZeroPadding2D(2) then Conv2D(kernel_size=3, padding='valid')"
    )
    assert viz.keras_call("Conv2DTranspose", strides=2, padding=1, output_padding=None) == (
        "Conv2DTranspose(strides=2, padding='valid', output_padding=None) + Cropping2D(1)"
    )
    assert viz.pooling_call({"input_size": 6, "pool_size": 3, "mode": "avg"}) == (
        "AveragePooling2D(pool_size=3, strides=3, padding='valid')"
    )


def test_receptive_field_box_matches_arithmetic():
    rows = arithmetic.vgg16_receptive_fields(224)
    for row in rows:
        info = viz.receptive_field_box(224, row["name"])
        top, left, bottom, right = info["field"]
        assert bottom - top == right - left == row["receptive_field"]
        assert info["output_size"] == row["output_size"]
    corner = viz.receptive_field_box(224, "block1_pool", (0, 0))
    assert corner["field"] == (-2, -2, 4, 4) and corner["box"] == (0, 0, 4, 4)
    with pytest.raises(ValueError, match="0 to 6"):
        viz.receptive_field_box(224, "block5_pool", (7, 0))
    with pytest.raises(ValueError, match="block3_pool"):
        viz.receptive_field_box(224, "block6_pool")


def test_plot_receptive_field_needs_a_square_image():
    image = np.zeros((64, 64, 3), np.uint8)
    assert isinstance(viz.plot_receptive_field(image, "block2_pool"), Figure)
    with pytest.raises(ValueError, match="square"):
        viz.plot_receptive_field(np.zeros((64, 80, 3), np.uint8), "block2_pool")


def test_feature_maps_and_images():
    fig = viz.plot_feature_maps(np.random.rand(8, 8, 5), ncols=4)
    assert sum(bool(ax.images) for ax in fig.axes) == 5
    with pytest.raises(ValueError, match="features\\[0\\]"):
        viz.plot_feature_maps(np.zeros((1, 8, 8, 5)))
    with pytest.raises(ValueError, match="titles"):
        viz.plot_feature_maps(np.zeros((8, 8, 2)), titles=["one"])
    grey, rgb = np.zeros((10, 10), np.uint8), np.zeros((10, 12, 3), np.uint8)
    fig = viz.plot_images([grey, rgb], titles=["grey", "rgb"])
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["grey", "rgb"]


def test_animation_is_a_deterministic_gif():
    config = viz.CONV_CONFIGS["no_padding_strides"]
    animation = viz.animate(lambda step: viz.plot_convolution_step(config, step, dpi=30), 4)
    assert len(animation) == 4 and repr(animation) == "<Animation: 4 frames>"
    assert all(frame.shape == animation.frames[0].shape for frame in animation.frames)
    gif = animation.to_gif()
    assert gif == animation.to_gif()
    bundle = animation._repr_mimebundle_()
    assert bundle["text/plain"] == "<Animation: 4 frames>"
    decoded = Image.open(io.BytesIO(__import__("base64").b64decode(bundle["image/gif"])))
    assert decoded.n_frames == 4
    # Flat fills survive the palette exactly; only antialiased edges move.
    exact = np.all(np.asarray(decoded.convert("RGB")) == animation.frames[0], axis=-1)
    assert exact[0, 0] and exact.mean() > 0.9


def test_animation_rejects_empty_or_ragged_frames():
    with pytest.raises(ValueError, match="at least one frame"):
        viz.Animation([])
    with pytest.raises(ValueError, match="fixed size"):
        viz.Animation([np.zeros((2, 2, 3)), np.zeros((3, 2, 3))])


@pytest.mark.parametrize("config", list(viz.TRANSPOSED_CONFIGS.values()), ids=str)
def test_transposed_step_follows_arithmetic(config):
    args = [config.get(name, default) for name, default in
            [("input_size", None), ("kernel_size", None), ("strides", 1), ("padding", "valid"),
             ("output_padding", None)]]  # fmt: skip
    output_size = arithmetic.transposed_conv_output_size(*args)
    size, kernel_size, strides = args[:3]
    scatter = [viz.transposed_step(config, step) for step in range(size**2)]
    for index, step in enumerate(scatter):
        assert step["output_size"] == output_size and step["steps"] == size**2
        row, col = divmod(index, size)
        assert step["window"] == (row * strides, col * strides)
        assert step["window"][0] + kernel_size <= step["canvas_size"]
    slides = [viz.transposed_step(config, s, "zero_insertion") for s in range(output_size**2)]
    assert slides[-1]["window"][0] + kernel_size == slides[-1]["padded_size"]
    with pytest.raises(ValueError, match="outside the input"):
        viz.transposed_step(config, size**2)
    with pytest.raises(ValueError, match="outside the output"):
        viz.transposed_step(config, output_size**2, "zero_insertion")


@pytest.mark.parametrize("view", viz.TRANSPOSED_VIEWS)
@pytest.mark.parametrize("name", list(viz.TRANSPOSED_CONFIGS))
def test_transposed_frames_have_a_fixed_size_and_print_reference_numbers(name, view):
    config = viz.TRANSPOSED_CONFIGS[name]
    values, kernel = viz.sample_conv_values(config["input_size"], config["kernel_size"])
    last = viz.transposed_step(config, 0, view)["steps"] - 1
    shapes = {
        viz.figure_to_array(viz.plot_transposed_step(config, step, view, dpi=30)).shape
        for step in (0, last)
    }
    assert len(shapes) == 1
    fig = viz.plot_transposed_step(config, last, view, values, kernel, dpi=30)
    texts = [text.get_text() for text in fig.axes[0].texts]
    output = reference.conv2d_transpose(
        values[..., None].astype("float32"),
        kernel,
        config.get("strides", 1),
        config.get("padding", "valid"),
        config.get("output_padding"),
    )[..., 0]
    if view == "zero_insertion":
        assert texts[-1].endswith(f"= {output[-1, -1]:g}")
    else:
        # After the last stamp every output cell holds its final value.
        assert {f"{v:g}" for v in output.ravel()} <= set(texts)


def test_transposed_frame_rejects_bad_views_and_values():
    config = viz.TRANSPOSED_CONFIGS["no_padding_strides_transposed"]
    with pytest.raises(ValueError, match="scatter"):
        viz.plot_transposed_step(config, 0, view="matrix")
    with pytest.raises(ValueError, match="sample_conv_values"):
        viz.plot_transposed_step(config, 0, "scatter", np.ones((3, 3)), np.ones((3, 3)))


# --- Label maps ------------------------------------------------------------------------------

ROAD, CAR = CLASS_NAMES.index("Road"), CLASS_NAMES.index("Car")


def test_paint_labels_keeps_the_photo_under_void():
    image = np.full((4, 5, 3), 200, dtype=np.uint8)
    mask = np.full((4, 5), ROAD, dtype=np.uint8)
    mask[0] = VOID
    blended = viz.paint_labels(image, mask, opacity=0.5)
    assert blended.shape == (4, 5, 3) and blended.dtype == np.uint8
    np.testing.assert_array_equal(blended[0], image[0])
    np.testing.assert_array_equal(blended[1, 0], (164, 132, 164))  # halfway to (128, 64, 128)
    np.testing.assert_array_equal(viz.paint_labels(image, mask, opacity=1.0)[2, 2], PALETTE[ROAD])


def test_paint_labels_rejects_bad_arguments():
    image = np.zeros((4, 5, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="opacity"):
        viz.paint_labels(image, np.zeros((4, 5), dtype=np.uint8), opacity=1.5)
    with pytest.raises(ValueError, match="do not match"):
        viz.paint_labels(image, np.zeros((5, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match="integers"):
        viz.paint_labels(image, np.zeros((4, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"label 12 .* colours only for 0..11"):
        viz.paint_labels(image, np.full((4, 5), 12, dtype=np.uint8))


def test_paint_labels_hides_classes_and_paints_mistakes_over_everything():
    photo = np.full((2, 3, 3), 100, dtype=np.uint8)
    mask = np.array([[ROAD, CAR, VOID], [ROAD, 20, CAR]], dtype=np.uint8)
    shown = [k != CAR for k in range(len(CLASS_NAMES))]
    labels = viz.paint_labels(np.zeros_like(photo), mask, shown=shown, opacity=1.0)
    # Over black at full opacity: the label map alone, black where hidden, void or unnamed.
    np.testing.assert_array_equal(labels[0, 0], PALETTE[ROAD])
    assert not labels[0, 1:].any() and not labels[1, 1:].any()
    wrong = np.array([[False, True, False], [False, False, False]])
    painted = viz.paint_labels(photo, mask, opacity=0.0, shown=shown, wrong=wrong)
    np.testing.assert_array_equal(painted[0, 1], ERROR_COLOUR)
    np.testing.assert_array_equal(painted[~wrong], photo[~wrong])
    # ignore_class=None paints the void label with its palette row (black for CamVid).
    everything = viz.paint_labels(photo[:1], mask[:1], opacity=1.0, ignore_class=None)
    np.testing.assert_array_equal(everything[0], PALETTE[[ROAD, CAR, VOID]])
    with pytest.raises(ValueError, match="label 20"):  # a label with no colour is an error
        viz.paint_labels(photo, mask)


def test_legend_handles():
    handles = viz.legend_handles()
    assert [h.get_label() for h in handles] == list(CLASS_NAMES)
    np.testing.assert_allclose(handles[ROAD].get_facecolor()[:3], PALETTE[ROAD] / 255)
    assert [h.get_label() for h in viz.legend_handles([CAR, VOID])] == ["Car", "void"]
    with pytest.raises(ValueError, match="unknown"):
        viz.legend_handles([12])
    kitti = viz.legend_handles(None, KITTI_CLASS_NAMES, KITTI_PALETTE, labels=["a 40%", "b 60%"])
    assert [h.get_label() for h in kitti] == ["a 40%", "b 60%"]
    np.testing.assert_allclose(kitti[1].get_facecolor()[:3], KITTI_PALETTE[1] / 255)
    with pytest.raises(ValueError, match="one each"):
        viz.legend_handles([0], labels=["a", "b"])
    *_, wrong = viz.legend_handles([CAR], wrong="error")
    assert wrong.get_label() == "error"
    np.testing.assert_allclose(wrong.get_facecolor()[:3], np.asarray(ERROR_COLOUR) / 255)
