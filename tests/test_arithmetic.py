"""``fcn_tutorial.arithmetic`` against the real Keras layers."""

import itertools
import random

import keras
import numpy as np
import pytest

from fcn_tutorial import arithmetic


def _keras_conv_shape(height, width, kernel_size, strides, padding, dilation_rate):
    layers = []
    if isinstance(padding, int):
        layers.append(keras.layers.ZeroPadding2D(padding))
        padding = "valid"
    layers.append(
        keras.layers.Conv2D(1, kernel_size, strides, padding, dilation_rate=dilation_rate)
    )
    x = np.zeros((1, height, width, 1), "float32")
    for layer in layers:
        x = layer(x)
    return tuple(x.shape[1:3])


def _grid(seed, count):
    """A fixed random sample of (height, width, kernel, stride, padding, dilation)."""
    everything = list(
        itertools.product(
            range(1, 14), range(1, 6), range(1, 4), ["valid", "same", 0, 1, 2], range(1, 4)
        )
    )
    rng = random.Random(seed)
    rows = rng.sample(everything, count)
    return [(size, rng.randint(1, 13), *rest) for size, *rest in rows]


def test_conv_output_size_matches_keras_on_600_combinations():
    checked, refused = 0, 0
    for height, width, kernel_size, strides, padding, dilation_rate in _grid(0, 1400):
        if strides > 1 and dilation_rate > 1:
            continue  # Keras refuses this pair; the formula still holds (see reference tests).
        try:
            expected = _keras_conv_shape(
                height, width, kernel_size, strides, padding, dilation_rate
            )
        except ValueError:
            expected = None
        if expected is not None and min(expected) < 1:
            expected = None
        if expected is None:
            with pytest.raises(ValueError, match="smaller kernel_size"):
                for size in (height, width):
                    arithmetic.conv_output_size(size, kernel_size, strides, padding, dilation_rate)
            refused += 1
            continue
        got = tuple(
            arithmetic.conv_output_size(size, kernel_size, strides, padding, dilation_rate)
            for size in (height, width)
        )
        assert got == expected, (height, width, kernel_size, strides, padding, dilation_rate)
        checked += 1
    assert checked >= 500 and refused >= 10, (checked, refused)


@pytest.mark.parametrize("layer_class", [keras.layers.MaxPooling2D, keras.layers.AveragePooling2D])
def test_pool_output_size_matches_keras(layer_class):
    checked = 0
    for size, pool_size, strides, padding in itertools.product(
        range(2, 17), range(1, 5), [None, 1, 2, 3], ["valid", "same"]
    ):
        if padding == "valid" and pool_size > size:
            continue
        layer = layer_class(pool_size, strides, padding)
        expected = layer(np.zeros((1, size, size + 1, 1), "float32")).shape[1:3]
        got = (
            arithmetic.pool_output_size(size, pool_size, strides, padding),
            arithmetic.pool_output_size(size + 1, pool_size, strides, padding),
        )
        assert got == tuple(expected), (size, pool_size, strides, padding)
        checked += 1
    assert checked > 400


@pytest.mark.parametrize(
    "kwargs, fix",
    [
        (dict(input_size=0, kernel_size=3), "at least one pixel"),
        (dict(input_size=5, kernel_size=0), "at least one tap"),
        (dict(input_size=5, kernel_size=3, strides=0), "strides=1"),
        (dict(input_size=5, kernel_size=3, padding="full"), '"same"'),
        (dict(input_size=5, kernel_size=3, padding=-1), "number of zeros"),
        (dict(input_size=5, kernel_size=3, dilation_rate=0), "dilation_rate=1"),
        (dict(input_size=3, kernel_size=5), "more padding"),
        (dict(input_size=5, kernel_size=3, dilation_rate=3), "padding='same'"),
    ],
)
def test_invalid_arguments_name_the_fix(kwargs, fix):
    with pytest.raises(ValueError, match=fix):
        arithmetic.conv_output_size(**kwargs)


def test_same_padding_matches_keras_pixels():
    # Keras puts the odd zero at the end: a 1 at the top-left corner of a 6-wide input
    # seen by a 2x2 all-ones kernel at stride 2 "same" lands in the first output only.
    for size, kernel_size, strides in itertools.product(range(2, 9), range(1, 5), range(1, 3)):
        before, after = arithmetic.same_padding(size, kernel_size, strides)
        assert before + after == max((-(-size // strides) - 1) * strides + kernel_size - size, 0)
        assert after - before in (0, 1)


def test_receptive_field_of_a_small_stack():
    # Without padding the first 3x3 window is centred on pixel 1; "same" centres it on 0.
    assert arithmetic.receptive_field([(3, 1, 1)]) == (3, 1, 1.0)
    assert arithmetic.receptive_field([(3, 1, 1, "same")]) == (3, 1, 0.0)
    assert arithmetic.receptive_field([(3, 1, 1), (3, 1, 1)]).size == 5
    # Dilation grows the field exponentially without shrinking the map (Yu & Koltun).
    dilated = [(3, 1, 1), (3, 1, 2), (3, 1, 4)]
    assert arithmetic.receptive_field(dilated).size == 15
    assert arithmetic.receptive_field([dict(kernel_size=2, strides=2)]) == (2, 2, 0.5)
    with pytest.raises(ValueError, match="kernel_size, strides"):
        arithmetic.receptive_field([(3, 1, 1, 0, 9)])


# Issue 14: an entry it cannot read is refused with the shape an entry must have, and a
# misspelled key is refused naming the valid ones, never ignored for its default.
@pytest.mark.parametrize(
    "layers, message",
    [
        ([3], "layer 0 is 3: a layer entry is a tuple (kernel_size, strides, dilation_rate"),
        ([(3, 1, 1), "same"], "layer 1 is 'same': a layer entry is a tuple (kernel_size,"),
        ([(3, 1, 1, 0, 9)], "layer 0 is (3, 1, 1, 0, 9): a layer entry is a tuple"),
        (3, "layers=3: pass a list with one entry per layer, e.g. [(3, 1, 1), (2, 2, 1)]"),
        ({"kernel_size": 3}, "layers={'kernel_size': 3}: pass a list with one entry per layer"),
        (
            [{"kernel_size": 3, "stride": 2}],
            "layer 0 has an unknown key 'stride' (did you mean 'strides'?): its keys are "
            "kernel_size, strides, dilation_rate, padding.",
        ),
        ([(3, 1, 1), {"kernel": 3}], "layer 1 has an unknown key 'kernel' (did you mean"),
        ([{"strides": 2}], "layer 0 lacks kernel_size: it needs kernel_size and may have"),
    ],
    ids=str,
)
def test_receptive_field_refuses_entries_it_cannot_read(layers, message):
    with pytest.raises(ValueError) as refusal:
        arithmetic.receptive_field(layers)
    assert str(refusal.value).startswith(message) and "\n" not in str(refusal.value)
    assert arithmetic.receptive_field([{"kernel_size": 3, "strides": 2}]) == (3, 2, 1.0)


def test_receptive_field_by_brute_force():
    """Which input pixels change output unit 0: exactly the computed field."""
    from fcn_tutorial import reference

    stack = [(3, 1, 1, 1), (2, 2, 1, 0), (3, 1, 2, 0), (3, 2, 1, 1)]
    size = 40
    x = np.zeros((size, size, 1), "float32")
    for kernel_size, strides, dilation_rate, padding in stack:
        x = reference.conv2d(
            x, np.ones((kernel_size, kernel_size)), strides, padding, dilation_rate
        )
    field = arithmetic.receptive_field(stack)
    seen = []
    for column in range(size):
        probe = np.zeros((size, size, 1), "float32")
        probe[size // 2, column] = 1.0
        y = probe
        for kernel_size, strides, dilation_rate, padding in stack:
            y = reference.conv2d(
                y, np.ones((kernel_size, kernel_size)), strides, padding, dilation_rate
            )
        if y[y.shape[0] // 2 - 1 : y.shape[0] // 2 + 2, 3].max() > 0:
            seen.append(column)
    # Output column 3's field is centred on start + 3 * jump.
    centre = field.start + 3 * field.jump
    assert seen[0] >= centre - (field.size - 1) / 2
    assert seen[-1] <= centre + (field.size - 1) / 2
    assert seen[-1] - seen[0] + 1 == field.size


def test_vgg16_table_matches_keras_applications():
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    rows = arithmetic.vgg16_receptive_fields(224)
    for (name, kind, kernel_size, strides, padding), row in zip(arithmetic.VGG16_LAYERS, rows):
        layer = model.get_layer(name)
        config = layer.get_config()
        size = config["kernel_size" if kind == "conv" else "pool_size"]
        assert tuple(size) == (kernel_size, kernel_size)
        assert tuple(config["strides"]) == (strides, strides)
        assert config["padding"] == padding
        assert layer.output.shape[1] == row["output_size"]
    assert len(rows) == len([layer for layer in model.layers if "block" in layer.name])
    assert (rows[-1]["receptive_field"], rows[-1]["jump"]) == (212, 32)


def test_vgg16_stages_match_keras_applications():
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    classifier = arithmetic.vgg16_stages(224)
    for stage in classifier[1:]:
        if stage["name"] == "flatten":
            break
        block, _, last = stage["name"].partition("..")  # "block1_conv1..conv2": check conv2
        name = f"{block.split('_')[0]}_{last}" if last else stage["name"]
        assert tuple(model.get_layer(name).output.shape[1:]) == stage["shape"], stage
    assert [stage["shape"] for stage in classifier[-4:]] == [(25_088,), (4096,), (4096,), (1000,)]
    assert arithmetic.vgg16_stages(224, convolutional=True)[-1]["shape"] == (1, 1, 1000)
    assert arithmetic.vgg16_stages(500, convolutional=True)[-1]["shape"] == (9, 9, 1000)


@pytest.mark.parametrize(
    "kwargs, fix",
    [
        ({"input_size": 500}, "convolutional=True"),
        ({"input_size": 200, "convolutional": True}, "at least 224"),
    ],
)
def test_vgg16_stages_refuse_sizes_they_cannot_have(kwargs, fix):
    with pytest.raises(ValueError, match=fix):
        arithmetic.vgg16_stages(**kwargs)
