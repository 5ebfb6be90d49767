"""The explorers, driven without a browser: set a control, assert on the state."""

import base64
import html

import ipywidgets
import numpy as np
import pytest

from fcn_tutorial import arithmetic, reference, viz, widgets
from fcn_tutorial.classes import ERROR_COLOUR

keras = pytest.importorskip("keras")
layers = keras.layers


def keras_conv_shape(input_size, kernel_size, strides, padding, dilation_rate):
    shape = (1, input_size, input_size, 1)
    if not isinstance(padding, str):
        shape = layers.ZeroPadding2D(padding).compute_output_shape(shape)
        padding = "valid"
    conv = layers.Conv2D(
        1, kernel_size, strides=strides, padding=padding, dilation_rate=dilation_rate
    )
    return tuple(conv.compute_output_shape(shape))


@pytest.fixture
def conv():
    return widgets.ConvolutionExplorer()


def test_conv_explorer_starts_valid_and_displays(conv):
    assert conv.state["error"] is None
    assert conv.state["output_size"] == 3 and conv.state["keras_output_shape"] == (1, 3, 3, 1)
    assert isinstance(conv.widget, ipywidgets.Box)
    assert bytes(conv.image.value).startswith(b"\x89PNG")
    bundle = conv._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    # Where no kernel runs (GitHub), the saved notebook shows the current figure instead.
    assert base64.b64decode(bundle["image/png"]) == bytes(conv.image.value)
    conv.controls["strides"].value = 2
    assert base64.b64decode(conv._repr_mimebundle_()["image/png"]) == bytes(conv.image.value)
    assert isinstance(conv.figure(), viz.TutorialFigure)


@pytest.mark.parametrize(
    "settings",
    [
        {"strides": 2},
        {"padding": "same", "strides": 3, "input_size": 7},
        {"padding": 1, "strides": 2},
        {"padding": 2, "kernel_size": 5, "input_size": 4},
        {"dilation_rate": 2, "input_size": 8},
        {"kernel_size": 2, "padding": "same", "strides": 2, "input_size": 9},
    ],
    ids=str,
)
def test_conv_explorer_agrees_with_arithmetic_and_keras(conv, settings):
    for name, value in settings.items():
        conv.controls[name].value = value
    state = conv.state
    assert state["error"] is None
    args = [state[n] for n in ("input_size", "kernel_size", "strides", "padding", "dilation_rate")]
    expected = arithmetic.conv_output_size(*args)
    assert state["output_size"] == expected
    assert state["formula"].endswith(f"= {expected}")
    assert state["keras_output_shape"] == keras_conv_shape(*args) == (1, expected, expected, 1)
    assert conv.controls["step"].max == expected**2 - 1


def test_conv_explorer_computes_the_output_cell(conv):
    conv.controls["padding"].value = 1
    conv.controls["strides"].value = 2
    conv.controls["step"].value = 5
    state = conv.state
    assert state["position"] == (1, 2) and state["window"] == (2, 4)
    full = reference.conv2d(
        state["input_values"][..., None].astype("float32"), state["kernel"], 2, 1
    )[..., 0]
    assert state["output_value"] == full[1, 2]
    assert sum(v * w for v, w in state["products"]) == state["output_value"]
    assert f"= <b>{state['output_value']:g}</b>" in conv.readout.value


def test_conv_explorer_clamps_the_step_when_the_output_shrinks(conv):
    conv.controls["input_size"].value = 9
    conv.controls["step"].value = 48
    assert conv.state["step"] == 48 and conv.state["position"] == (6, 6)
    conv.controls["strides"].value = 3
    assert conv.state["output_size"] == 3
    assert conv.state["step"] == conv.controls["step"].value == 8


def test_conv_explorer_redraws_on_change(conv):
    before = conv.image.value
    conv.controls["step"].value = 1
    assert conv.image.value != before
    before = conv.image.value
    conv.controls["kernel_size"].value = 2
    assert conv.image.value != before


def test_conv_explorer_reports_impossible_settings_without_raising(conv):
    conv.controls["input_size"].value = 3
    conv.controls["kernel_size"].value = 5
    assert conv.state["error"] and "kernel spans 5" in conv.state["error"]
    assert "Not possible" in conv.readout.value
    assert bytes(conv.image.value).startswith(b"\x89PNG")
    conv.controls["padding"].value = 1
    assert conv.state["error"] is None and conv.state["output_size"] == 1


def test_conv_explorer_reports_keras_refusal_separately(conv):
    conv.controls["input_size"].value = 9
    conv.controls["dilation_rate"].value = 2
    conv.controls["strides"].value = 2
    state = conv.state
    assert state["error"] is None
    assert state["output_size"] == arithmetic.conv_output_size(9, 3, 2, "valid", 2)
    assert state["keras_output_shape"] is None
    assert "Keras refuses" in state["keras_note"] and "Keras refuses" in conv.readout.value
    with pytest.raises(ValueError):
        layers.Conv2D(1, 3, strides=2, dilation_rate=2)


def test_conv_explorer_rejects_unknown_padding():
    with pytest.raises(ValueError, match="valid"):
        widgets.ConvolutionExplorer(padding=3)


# Issue 14: a starting value no control can hold is refused at the door, in one line naming
# the argument, the value and what works. An IntSlider would clamp strides=0 to 1 (and
# truncate 2.5 to 2), and the explorer would then report on values nobody passed.
REFUSED = [
    (widgets.ConvolutionExplorer, {"strides": 0}, "strides=0: pass an integer from 1 to 3"),
    (widgets.ConvolutionExplorer, {"strides": -2}, "strides=-2: pass an integer from 1 to 3"),
    (widgets.ConvolutionExplorer, {"dilation_rate": 0}, "dilation_rate=0: pass an integer"),
    (widgets.ConvolutionExplorer, {"input_size": 0}, "input_size=0: pass an integer from 3 to 9"),
    (widgets.ConvolutionExplorer, {"kernel_size": 99}, "kernel_size=99: pass an integer from 1"),
    (widgets.ConvolutionExplorer, {"strides": 2.5}, "strides=2.5: pass an integer from 1 to 3"),
    (widgets.ConvolutionExplorer, {"strides": True}, "strides=True: pass an integer"),
    (widgets.ConvolutionExplorer, {"padding": 3}, "padding=3: pass one of 'valid', 'same', 0,"),
    (widgets.ConvolutionExplorer, {"padding": True}, "padding=True: pass one of 'valid'"),
    (widgets.PoolingExplorer, {"mode": "median"}, "mode='median': pass one of 'max', 'avg'."),
    (widgets.PoolingExplorer, {"padding": 1}, "padding=1: pass one of 'valid', 'same'."),
    (widgets.PoolingExplorer, {"strides": 0}, "strides=0: pass an integer from 1 to 4"),
    (widgets.PoolingExplorer, {"pool_size": 9}, "pool_size=9: pass an integer from 1 to 4"),
    (widgets.PoolingExplorer, {"input_size": 1}, "input_size=1: pass an integer from 2 to 8"),
    (widgets.TransposedConvolutionExplorer, {"strides": 0}, "strides=0: pass an integer from 1"),
    (widgets.TransposedConvolutionExplorer, {"input_size": 9}, "input_size=9: pass an integer"),
    (widgets.TransposedConvolutionExplorer, {"kernel_size": 0}, "kernel_size=0: pass an int"),
    (widgets.TransposedConvolutionExplorer, {"view": "matrix"}, "view='matrix': pass one of"),
    (widgets.TransposedConvolutionExplorer, {"output_padding": 7}, "output_padding=7: pass one"),
    (widgets.ReceptiveFieldExplorer, {"layer_name": "block6_pool"}, "layer_name='block6_pool'"),
    (
        widgets.ReceptiveFieldExplorer,
        {"image": np.zeros((16, 16, 3), "uint8")},
        "image has shape (16, 16, 3): pass a square image of at least 32×32",
    ),
    (widgets.FilterPlayground, {"preset": "sobel"}, "preset='sobel': pass one of 'identity'"),
]


@pytest.mark.parametrize(
    "explorer, arguments, message",
    REFUSED,
    ids=[f"{explorer.__name__}-{message.split(':')[0]}" for explorer, _, message in REFUSED],
)
def test_explorers_refuse_impossible_starting_values(explorer, arguments, message):
    with pytest.raises(ValueError) as refusal:
        explorer(**arguments)
    assert str(refusal.value).startswith(message) and "\n" not in str(refusal.value)


@pytest.mark.parametrize(
    "explorer",
    [widgets.ConvolutionExplorer, widgets.PoolingExplorer, widgets.TransposedConvolutionExplorer],
)
def test_explorers_take_both_ends_of_every_slider_as_given(explorer):
    sliders = {
        name: control
        for name, control in explorer().controls.items()
        if isinstance(control, ipywidgets.IntSlider) and name != "step"
    }
    assert sliders
    for name, control in sliders.items():
        for value in (control.min, control.max):
            started = explorer(**{name: value})
            assert started.controls[name].value == value
            assert started.state[name] == value


@pytest.mark.parametrize(
    "pool_size, strides, padding", [(2, 2, "valid"), (3, 1, "valid"), (3, 2, "same")]
)
def test_pooling_explorer(pool_size, strides, padding):
    pool = widgets.PoolingExplorer()
    pool.controls["pool_size"].value = pool_size
    pool.controls["strides"].value = strides
    pool.controls["padding"].value = padding
    size = pool.state["input_size"]
    expected = arithmetic.pool_output_size(size, pool_size, strides, padding)
    layer = layers.MaxPooling2D(pool_size, strides=strides, padding=padding)
    assert pool.state["output_size"] == expected
    assert pool.state["keras_output_shape"] == tuple(layer.compute_output_shape((1, size, size, 1)))
    x = pool.state["input_values"]
    pad = arithmetic.same_padding(size, pool_size, strides)[0] if padding == "same" else 0
    for step in range(expected**2):
        pool.controls["step"].value = step
        top, left = (v - pad for v in pool.state["window"])
        rows = slice(max(top, 0), top + pool_size)
        cols = slice(max(left, 0), left + pool_size)
        window = x[rows, cols]
        winner = pool.state["winner"]
        assert x[winner] == window.max() == pool.state["output_value"]
        offset = np.unravel_index(np.argmax(window), window.shape)
        assert winner == (rows.start + offset[0], cols.start + offset[1])
    before = pool.image.value
    pool.controls["mode"].value = "avg"
    assert pool.state["winner"] is None
    assert pool.state["output_value"] == pytest.approx(window.mean())
    average = layers.AveragePooling2D(pool_size, strides=strides, padding=padding)
    assert pool.state["keras_output_shape"] == average.compute_output_shape((1, size, size, 1))
    assert pool.image.value != before


def test_pooling_explorer_reports_a_window_larger_than_the_input():
    pool = widgets.PoolingExplorer(input_size=3)
    pool.controls["pool_size"].value = 4
    assert pool.state["error"]
    pool.controls["padding"].value = "same"
    assert pool.state["error"] is None and pool.state["output_size"] == 2


def test_filter_playground_presets_and_custom_cells():
    playground = widgets.FilterPlayground()
    assert playground.state["preset"] == "sobel_x"
    playground.controls["preset"].value = "blur"
    assert playground.state["kernel"] == widgets.PRESETS["blur"]
    assert playground.controls["kernel[1,1]"].value == 0.25
    expected = widgets.filter_image(playground.grey, widgets.PRESETS["blur"])
    assert playground.state["output_stats"]["mean"] == pytest.approx(expected.mean())
    assert playground.state["output_stats"]["max"] == pytest.approx(expected.max())
    before = playground.image.value
    playground.controls["kernel[1,1]"].value = 2.0
    assert playground.state["preset"] == playground.controls["preset"].value == "custom"
    assert playground.state["kernel"][1][1] == 2.0
    assert playground.image.value != before
    playground.controls["preset"].value = "identity"
    stats = playground.state["output_stats"]
    assert stats["min"] == pytest.approx(playground.grey.min(), abs=1e-6)
    assert stats["mean"] == pytest.approx(playground.grey.mean(), abs=1e-6)


def test_filter_playground_reports_non_finite_weights():
    playground = widgets.FilterPlayground()
    playground.controls["kernel[0,0]"].value = float("nan")
    assert playground.state["error"] and "finite" in playground.state["error"]


def test_receptive_field_explorer_follows_vgg16():
    explorer = widgets.ReceptiveFieldExplorer()
    rows = {row["name"]: row for row in arithmetic.vgg16_receptive_fields(224)}
    for name in ("block1_pool", "block3_conv2", "block5_pool"):
        explorer.controls["layer_name"].value = name
        state = explorer.state
        assert state["error"] is None
        assert state["output_size"] == rows[name]["output_size"]
        assert state["receptive_field"] == rows[name]["receptive_field"]
        assert state["jump"] == rows[name]["jump"]
        assert explorer.controls["row"].max == state["output_size"] - 1
        top, left, bottom, right = state["box"]
        assert 0 <= top < bottom <= 224 and 0 <= left < right <= 224
    explorer.controls["row"].value = 0
    explorer.controls["col"].value = 6
    assert explorer.state["unit"] == (0, 6)
    assert explorer.state["box"] == viz.receptive_field_box(224, "block5_pool", (0, 6))["box"]
    # Switching layers keeps the unit over the same place in the image.
    centre = explorer.state["centre"]
    explorer.controls["layer_name"].value = "block4_pool"
    assert all(abs(a - b) <= 8 for a, b in zip(explorer.state["centre"], centre, strict=True))


@pytest.fixture
def transposed():
    return widgets.TransposedConvolutionExplorer()


def keras_transposed_shape(input_size, kernel_size, strides, padding, output_padding):
    crop = None
    if not isinstance(padding, str):
        padding, crop = "valid", padding
    layer = layers.Conv2DTranspose(
        1, kernel_size, strides=strides, padding=padding, output_padding=output_padding
    )
    shape = layer.compute_output_shape((1, input_size, input_size, 1))
    if crop is not None:
        shape = layers.Cropping2D(crop).compute_output_shape(shape)
    return tuple(shape)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"strides": 2},
        {"strides": 2, "padding": "same"},
        {"strides": 2, "padding": "same", "output_padding": 0, "input_size": 3},
        {"strides": 2, "padding": 1, "output_padding": 1, "input_size": 3},
        {"strides": 3, "kernel_size": 2, "output_padding": 2, "view": "zero_insertion"},
        {"strides": 4, "kernel_size": 4, "padding": "same", "input_size": 1},
    ],
    ids=str,
)
def test_transposed_explorer_agrees_with_arithmetic_and_keras(transposed, settings):
    for name, value in settings.items():
        transposed.controls[name].value = value
    state = transposed.state
    assert state["error"] is None
    args = [state[n] for n in ("input_size", "kernel_size", "strides", "padding")]
    expected = arithmetic.transposed_conv_output_size(*args, state["output_padding"])
    assert state["output_size"] == expected
    assert state["formula"].endswith(f"= {expected}")
    assert state["keras_output_shape"] == (1, expected, expected, 1)
    assert state["keras_output_shape"] == keras_transposed_shape(*args, state["output_padding"])
    side = state["input_size"] if state["view"] == "scatter" else expected
    assert transposed.controls["step"].max == side**2 - 1 == state["steps"] - 1
    assert state["output"].shape == (expected, expected)


def test_transposed_explorer_views_give_the_same_numbers(transposed):
    transposed.controls["input_size"].value = 3
    transposed.controls["strides"].value = 2
    state = transposed.state
    output = reference.conv2d_transpose(state["input_values"][..., None], state["kernel"], 2)
    np.testing.assert_array_equal(state["output"], output[..., 0])
    transposed.controls["step"].value = 4
    assert transposed.state["position"] == (1, 1) and transposed.state["window"] == (2, 2)
    assert transposed.state["value"] == state["input_values"][1, 1]
    assert "stamps" in transposed.readout.value
    before = transposed.image.value
    transposed.controls["view"].value = "zero_insertion"
    assert transposed.image.value != before
    assert transposed.controls["step"].max == 7**2 - 1
    assert "output cell" in transposed.controls["step"].description
    for step in (0, 10, 24, 48):
        transposed.controls["step"].value = step
        row, col = divmod(step, 7)
        assert transposed.state["value"] == output[row, col, 0]
        assert f"<b>{output[row, col, 0]:g}</b>" in transposed.readout.value
    # Back to the scatter view: the step is clamped to the 3×3 input.
    transposed.controls["view"].value = "scatter"
    assert transposed.state["step"] == transposed.controls["step"].value == 8


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"strides": 2, "output_padding": 2}, "smaller than the stride"),
        ({"output_padding": 1}, "smaller than the stride"),
        ({"kernel_size": 2, "padding": "same", "strides": 2, "output_padding": 0}, "even kernel"),
        ({"kernel_size": 2, "padding": 2}, "padding from 0 to 1"),
    ],
    ids=str,
)
def test_transposed_explorer_reports_invalid_combinations(transposed, settings, message):
    for name, value in settings.items():
        transposed.controls[name].value = value
    assert transposed.state["error"] and message in transposed.state["error"]
    assert "Not possible" in transposed.readout.value
    assert bytes(transposed.image.value).startswith(b"\x89PNG")
    transposed.controls["output_padding"].value = None
    transposed.controls["padding"].value = "valid"
    assert transposed.state["error"] is None


def test_transposed_explorer_rejects_unknown_arguments():
    with pytest.raises(ValueError, match="view"):
        widgets.TransposedConvolutionExplorer(view="matrix")
    with pytest.raises(ValueError, match="output_padding"):
        widgets.TransposedConvolutionExplorer(output_padding=7)


def test_transposed_explorer_displays_with_a_static_fallback(transposed):
    bundle = transposed._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(transposed.image.value)
    assert isinstance(transposed.figure(), viz.TutorialFigure)


def test_conv_readout_names_the_layers_keras_builds_for_int_padding():
    explorer = widgets.ConvolutionExplorer(padding=1)
    readout = html.unescape(explorer.readout.value)
    assert "ZeroPadding2D(1) then Conv2D(filters=1, kernel_size=3, strides=1," in readout
    assert "padding='valid', dilation_rate=1)" in readout


def test_transposed_output_padding_default_is_a_real_choice():
    explorer = widgets.TransposedConvolutionExplorer(strides=2)
    control = explorer.controls["output_padding"]
    # None would read as "nothing selected" in the browser; the stand-in is labelled.
    assert control.label.startswith("None") and explorer.state["output_padding"] is None
    before = bytes(explorer.image.value)
    control.value = 1
    assert explorer.state["output_padding"] == 1 and explorer.state["output_size"] == 6
    assert bytes(explorer.image.value) != before
    control.value = control.options[0][1]
    assert explorer.state["output_padding"] is None and explorer.state["output_size"] == 5
    assert bytes(explorer.image.value) == before


# SkipExplorer: a 16x24 scene whose truth has a vertical boundary at column 13 and a void
# band; "fcn32s" gets the boundary 8 columns wrong, "fcn8s" is exact, "fcn16s" is logits.
def skip_scene():
    from fcn_tutorial.datasets import VOID

    truth = np.zeros((16, 24), "uint8")
    truth[:, 13:] = 8  # Car
    truth[:2] = VOID
    coarse = np.zeros_like(truth)
    coarse[:, 21:] = 8
    middle = np.zeros_like(truth)
    middle[:, 17:] = 8
    logits = np.eye(11, dtype="float32")[middle]
    exact = np.where(truth == VOID, 3, truth).astype("uint8")  # void pixels may be anything
    image = np.random.default_rng(0).integers(0, 256, (16, 24, 3)).astype("uint8")
    return image, {"fcn32s": coarse, "fcn16s": logits, "fcn8s": exact}, truth


def test_skip_explorer_scores_each_variant_on_the_non_void_pixels():
    image, predictions, truth = skip_scene()
    explorer = widgets.SkipExplorer(image, predictions, truth)
    assert explorer.state["variant"] == "fcn8s" and explorer.state["error"] is None
    counted = 14 * 24
    expected_wrong = {"fcn32s": 14 * 8, "fcn16s": 14 * 4, "fcn8s": 0}
    for name, wrong in expected_wrong.items():
        explorer.controls["variant"].value = name
        assert explorer.state["wrong_pixels"] == wrong
        assert explorer.state["pixel_accuracy"] == pytest.approx(1 - wrong / counted)
    assert explorer.state["mean_iu"] == 1.0
    explorer.controls["variant"].value = "fcn32s"
    # Road IoU 14*13 / (14*21), Car IoU 14*3 / (14*11).
    assert explorer.state["mean_iu"] == pytest.approx((13 / 21 + 3 / 11) / 2)
    assert explorer.state["changed_pixels"] == 0
    explorer.controls["variant"].value = "fcn16s"
    assert explorer.state["changed_pixels"] == 16 * 4


def test_skip_explorer_redraws_and_paints_errors_only_where_wrong():
    image, predictions, truth = skip_scene()
    explorer = widgets.SkipExplorer(image, predictions, truth, variant="fcn32s")
    drawings = {bytes(explorer.image.value)}
    assert set(explorer.panels()) == {"prediction", "truth"}
    explorer.controls["errors"].value = True
    painted = np.all(explorer.panels()["prediction"] == ERROR_COLOUR, axis=-1)
    np.testing.assert_array_equal(painted, (truth != 11) & (predictions["fcn32s"] != truth))
    drawings.add(bytes(explorer.image.value))
    explorer.controls["opacity"].value = 100
    assert explorer.state["opacity"] == 1.0
    # At full opacity a pixel shows its class colour; the truth leaves void pixels bare.
    panels = explorer.panels()
    np.testing.assert_array_equal(panels["prediction"][5, 0], explorer.palette[0])
    np.testing.assert_array_equal(panels["truth"][5, 23], explorer.palette[8])
    np.testing.assert_array_equal(panels["truth"][0, 0], image[0, 0])
    drawings.add(bytes(explorer.image.value))
    explorer.controls["variant"].value = "fcn8s"
    assert not np.all(explorer.panels()["prediction"] == ERROR_COLOUR, axis=-1).any()
    drawings.add(bytes(explorer.image.value))
    explorer.controls["truth"].value = False
    assert set(explorer.panels()) == {"prediction"}
    drawings.add(bytes(explorer.image.value))
    assert len(drawings) == 5
    readout = html.unescape(explorer.readout.value)
    assert "▶ fcn8s" in readout and "fcn32s" in readout
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(explorer.image.value)


def test_skip_explorer_legend_names_the_classes_on_screen_and_the_error_colour():
    image, predictions, truth = skip_scene()
    explorer = widgets.SkipExplorer(image, predictions, truth, variant="fcn32s")

    def legend():
        [drawn] = explorer.figure().legends
        return [text.get_text() for text in drawn.get_texts()]

    assert legend() == ["Sky", "Car"]  # void is left bare, so it is not listed
    explorer.controls["errors"].value = True
    assert legend() == ["Sky", "Car", "wrong"]


def test_skip_explorer_without_truth_shows_predictions_only():
    image, predictions, _ = skip_scene()
    explorer = widgets.SkipExplorer(image, predictions, opacity=0.3)
    assert set(explorer.controls) == {"variant", "opacity"} and explorer.state["opacity"] == 0.3
    assert explorer.state["scores"] == {} and explorer.state["pixel_accuracy"] is None
    assert set(explorer.panels()) == {"prediction"}
    assert isinstance(explorer.figure(), viz.TutorialFigure)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"predictions": {}}, "predictions is empty"),
        ({"variant": "fcn4s"}, "not among the predictions"),
        ({"truth": np.zeros((8, 8), "uint8")}, "truth has shape"),
        ({"predictions": {"fcn8s": np.zeros((8, 24), "uint8")}}, "at the image's size"),
        ({"predictions": {"fcn8s": np.full((16, 24), 40, "uint8")}}, "palette"),
        ({"image": np.zeros((16, 24), "uint8")}, r"\(H, W, 3\)"),
        ({"opacity": 1.5}, "between 0 and 1"),
        ({"opacity": float("nan")}, "opacity=nan: pass a number between 0 and 1"),
    ],
    ids=["empty", "variant", "truth", "shape", "label", "image", "opacity", "nan"],
)
def test_skip_explorer_rejects_bad_input(change, message):
    image, predictions, truth = skip_scene()
    arguments = {"image": image, "predictions": predictions, "truth": truth, **change}
    with pytest.raises(ValueError, match=message):
        widgets.SkipExplorer(**arguments)


# HeatmapExplorer: a fake predict (two classes, "bright" and "dark", one cell per 32 px)
# that counts its calls, so the tests see the cache at work.
def bright_dark_predict(calls):
    def predict(image):
        calls.append(image.shape)
        h, w = image.shape[0] // 32, image.shape[1] // 32
        cells = image[: h * 32, : w * 32].reshape(h, 32, w, 32, 3)
        bright = cells.mean(axis=(1, 3, 4)) / 255
        return np.stack([bright, 1 - bright], axis=-1)

    return predict


@pytest.fixture
def heatmap_photo():
    # Left third white, the rest black: "bright" lives on the left.
    photo = np.zeros((96, 144, 3), "uint8")
    photo[:, :48] = 255
    return photo


def test_heatmap_explorer_follows_its_controls(heatmap_photo):
    calls = []
    explorer = widgets.HeatmapExplorer(
        bright_dark_predict(calls),
        heatmap_photo,
        class_names=["bright", "dark"],
        sizes=(64, 96, 128),
    )
    state = explorer.state
    assert state["error"] is None and calls == [(64, 96, 3)]
    # The whole-image prediction is two thirds dark.
    assert [name for _, name, _ in state["top_classes"]] == ["dark", "bright"]
    assert state["class_name"] == "dark" and state["class_index"] == 1
    assert state["input_shape"] == (64, 96) and state["heatmap_shape"] == (2, 3)
    explorer.controls["class_index"].value = 0
    state = explorer.state
    assert state["class_name"] == "bright" and state["peak"] == (0, 0)
    # Resizing blurs the one column at the white edge a little.
    assert state["max_probability"] == pytest.approx(1.0, abs=0.01)
    assert state["mean_probability"] == pytest.approx(1 / 3, abs=0.01)
    explorer.controls["input_size"].value = 128
    assert explorer.state["input_shape"] == (128, 192)
    assert explorer.state["heatmap_shape"] == (4, 6) and explorer.state["class_name"] == "bright"
    assert calls == [(64, 96, 3), (128, 192, 3)]


def test_heatmap_explorer_caches_each_size_and_redraws(heatmap_photo):
    calls = []
    explorer = widgets.HeatmapExplorer(
        bright_dark_predict(calls), heatmap_photo, sizes=(64, 128), opacity=0.5
    )
    assert explorer.class_names == ["class 0", "class 1"]
    before = bytes(explorer.image.value)
    explorer.controls["opacity"].value = 0.75
    explorer.controls["class_index"].value = 0
    explorer.controls["input_size"].value = 128
    explorer.controls["input_size"].value = 64
    explorer.controls["opacity"].value = 0.5
    assert len(calls) == 2, "moving the class or the opacity must not rerun the model"
    assert explorer.state["opacity"] == 0.5 and bytes(explorer.image.value) != before
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(explorer.image.value)
    assert "bright" not in explorer.readout.value and "class 0" in explorer.readout.value


def test_heatmap_overlay_blends_the_map_over_the_photo(heatmap_photo):
    explorer = widgets.HeatmapExplorer(
        bright_dark_predict([]), heatmap_photo, sizes=(96,), opacity=0.0
    )
    np.testing.assert_array_equal(explorer.overlay(), heatmap_photo)
    explorer.controls["opacity"].value = 1.0
    explorer.controls["class_index"].value = 0
    overlay = explorer.overlay()
    from matplotlib import colormaps

    hot = np.round(np.array(colormaps[widgets.heatmap.HEATMAP_CMAP](1.0)[:3]) * 255)
    cold = np.round(np.array(colormaps[widgets.heatmap.HEATMAP_CMAP](0.0)[:3]) * 255)
    # Bright cells are hot, dark cells cold, in the middle of their share of the photo.
    np.testing.assert_allclose(overlay[48, 10], hot, atol=1)
    np.testing.assert_allclose(overlay[48, 130], cold, atol=1)


def test_heatmap_explorer_offers_extra_classes_and_reports_bad_input(heatmap_photo):
    predict = bright_dark_predict([])
    explorer = widgets.HeatmapExplorer(predict, heatmap_photo, top=1, extra_classes=(0,))
    assert [value for _, value in explorer.controls["class_index"].options] == [1, 0]
    bad = [
        ({"sizes": ()}, "at least one"),
        ({"sizes": (64,), "size": 96}, "not one of sizes"),
        ({"class_names": ["one"]}, "one name per class"),
        ({"extra_classes": (5,)}, "not in 0..1"),
        ({"opacity": 1.5}, "between 0 and 1"),
        # Refused, not read as 1 nor rounded down to 64 (issue 14).
        ({"top": 0}, "top=0: pass how many classes"),
        ({"sizes": (64.5,)}, r"sizes=\[64.5\]: pass at least one positive whole number"),
    ]
    for arguments, message in bad:
        with pytest.raises(ValueError, match=message):
            widgets.HeatmapExplorer(predict, heatmap_photo, **arguments)
    with pytest.raises(ValueError, match="softmax"):
        widgets.HeatmapExplorer(lambda image: 3 * predict(image), heatmap_photo)
    with pytest.raises(ValueError, match="batch axis"):
        widgets.HeatmapExplorer(lambda image: predict(image)[None], heatmap_photo)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        widgets.HeatmapExplorer(predict, heatmap_photo[..., 0])
    assert widgets.resize_shorter_side(np.zeros((451, 300, 3), "uint8"), 224).shape == (
        337,
        224,
        3,
    )


def test_heatmap_explorer_finds_the_cat_with_real_imagenet_weights(keras_home):
    from fcn_tutorial import models

    classifier = models.load_imagenet_classifier(alpha=0.25, input_size=128)
    scores = models.convolutionalize(classifier, activation="softmax")

    def predict(image):
        batch = keras.applications.mobilenet.preprocess_input(image[None].astype("float32"))
        return keras.ops.convert_to_numpy(scores(batch))[0]

    unrelated = 779  # school bus
    explorer = widgets.HeatmapExplorer(predict, sizes=(128, 256), extra_classes=(unrelated,))
    cats = {281, 282, 285, 287}  # tabby, tiger cat, Egyptian cat, lynx
    assert explorer.state["class_index"] in cats
    assert explorer.state["heatmap_shape"] == (4, 6)  # Chelsea, 300x451, at 128 px
    cat_peak = explorer.state["max_probability"]
    explorer.controls["input_size"].value = 256
    assert explorer.state["heatmap_shape"] == (8, 12)
    explorer.controls["class_index"].value = unrelated
    assert explorer.state["max_probability"] < 0.05 < cat_peak
