"""Transposed convolution: arithmetic, the three NumPy views and bilinear upsampling vs Keras."""

import itertools

import keras
import numpy as np
import pytest

from fcn_tutorial import arithmetic, models, reference

RNG = np.random.default_rng(0)
METHODS = list(reference.TRANSPOSED_METHODS)


def _keras_transposed(x, kernel, bias, strides, padding, output_padding, dilation_rate=1):
    """Conv2DTranspose with these weights; an int padding is "valid" then Cropping2D."""
    crop = None
    if isinstance(padding, int):
        padding, crop = "valid", padding
    layer = keras.layers.Conv2DTranspose(
        kernel.shape[2],
        kernel.shape[:2],
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        dilation_rate=dilation_rate,
        use_bias=bias is not None,
    )
    layer.build(x.shape)
    layer.set_weights([kernel] if bias is None else [kernel, bias])
    y = layer(x)
    if crop is not None:
        y = keras.layers.Cropping2D(crop)(y)
    return keras.ops.convert_to_numpy(y)


def _grid():
    """(size, kernel_size, strides, padding, output_padding, channels, bias) cases."""
    cases = []
    for size, kernel_size, strides, padding, output_padding in itertools.product(
        [1, 2, 3, 5],
        [1, 2, 3, 4, 5, (2, 3)],
        [1, 2, 3, (1, 2)],
        ["valid", "same"],
        [None, 0, 1, 2],
    ):
        pairs = strides if isinstance(strides, tuple) else (strides, strides)
        if output_padding is not None and output_padding >= min(pairs):
            continue  # Refused by Keras and by arithmetic; tested on its own below.
        index = len(cases)
        channels = [(1, 1), (2, 3), (3, 2)][index % 3]
        cases.append((size, kernel_size, strides, padding, output_padding, channels, index % 2))
    return cases


GRID = _grid()


def _sizes(case):
    size, kernel_size, strides, padding, output_padding, _, _ = case
    kernels = kernel_size if isinstance(kernel_size, tuple) else (kernel_size,) * 2
    steps = strides if isinstance(strides, tuple) else (strides,) * 2
    try:
        return tuple(
            arithmetic.transposed_conv_output_size(n, k, s, padding, output_padding)
            for n, k, s in zip((size, size + 1), kernels, steps)
        )
    except ValueError:
        return None


def test_three_views_equal_keras_on_a_grid_of_combinations():
    checked, failures = 0, []
    for case in GRID:
        size, kernel_size, strides, padding, output_padding, channels, with_bias = case
        if _sizes(case) is None:
            continue
        in_channels, out_channels = channels
        kernels = kernel_size if isinstance(kernel_size, tuple) else (kernel_size,) * 2
        x = RNG.normal(size=(2, size, size + 1, in_channels)).astype("float32")
        kernel = RNG.normal(size=(*kernels, out_channels, in_channels)).astype("float32")
        bias = RNG.normal(size=(out_channels,)).astype("float32") if with_bias else None
        expected = _keras_transposed(x, kernel, bias, strides, padding, output_padding)
        assert expected.shape[1:3] == _sizes(case), case
        for method in METHODS:
            got = reference.conv2d_transpose(
                x, kernel, strides, padding, output_padding, bias=bias, method=method
            )
            if got.shape != expected.shape or not np.allclose(got, expected, atol=1e-4):
                failures.append((case, method))
        checked += 1
    assert not failures, failures[:5]
    assert checked >= 300, checked


@pytest.mark.parametrize(
    "size, kernel_size, strides, padding, output_padding",
    [
        (3, 3, 2, 1, None),
        (3, 3, 2, 1, 1),
        (4, 4, 2, 1, 0),
        (2, 5, 3, 2, 2),
        (5, 3, 1, 2, None),
        (2, 4, 2, 3, 1),
    ],
)
def test_int_padding_is_valid_then_cropping(size, kernel_size, strides, padding, output_padding):
    x = RNG.normal(size=(1, size, size, 2)).astype("float32")
    kernel = RNG.normal(size=(kernel_size, kernel_size, 3, 2)).astype("float32")
    expected = _keras_transposed(x, kernel, None, strides, padding, output_padding)
    output_size = arithmetic.transposed_conv_output_size(
        size, kernel_size, strides, padding, output_padding
    )
    assert expected.shape == (1, output_size, output_size, 3)
    for method in METHODS:
        got = reference.conv2d_transpose(x, kernel, strides, padding, output_padding, method=method)
        np.testing.assert_allclose(got, expected, atol=1e-4, err_msg=method)


@pytest.mark.parametrize(
    "size, kernel_size, padding, output_padding, dilation_rate",
    [(4, 3, "same", None, 2), (4, 2, "valid", None, 2), (3, 3, "same", 0, 2), (3, 2, 1, 0, 3)],
)
def test_dilated_transposed_conv_matches_keras(
    size, kernel_size, padding, output_padding, dilation_rate
):
    x = RNG.normal(size=(1, size, size, 1)).astype("float32")
    kernel = RNG.normal(size=(kernel_size, kernel_size, 2, 1)).astype("float32")
    expected = _keras_transposed(x, kernel, None, 1, padding, output_padding, dilation_rate)
    for method in METHODS:
        got = reference.conv2d_transpose(
            x, kernel, 1, padding, output_padding, dilation_rate, method=method
        )
        np.testing.assert_allclose(got, expected, atol=1e-4, err_msg=method)


def test_output_size_matches_keras_compute_output_shape():
    checked = 0
    for size, kernel_size, strides, padding, output_padding, dilation_rate in itertools.product(
        range(1, 8), range(1, 7), range(1, 5), ["valid", "same"], [None, 0, 1, 2, 3], [1, 2]
    ):
        if strides > 1 and dilation_rate > 1:
            continue  # Keras refuses the pair; the formula still holds.
        layer_args = dict(
            strides=strides,
            padding=padding,
            output_padding=output_padding,
            dilation_rate=dilation_rate,
        )
        if output_padding is not None and output_padding >= strides:
            with pytest.raises(ValueError, match="strictly less"):
                keras.layers.Conv2DTranspose(1, kernel_size, **layer_args)
            with pytest.raises(ValueError, match="smaller than the stride"):
                arithmetic.transposed_conv_output_size(
                    size, kernel_size, strides, padding, output_padding, dilation_rate
                )
            continue
        layer = keras.layers.Conv2DTranspose(1, kernel_size, **layer_args)
        expected = layer.compute_output_shape((1, size, size, 1))[1]
        span = arithmetic.effective_kernel_size(kernel_size, dilation_rate)
        if padding == "same" and output_padding == 0 and span % 2 == 0:
            # Keras computes (i - 1) * s here and then fails to run the layer.
            assert expected == (size - 1) * strides
            with pytest.raises(ValueError, match="output_padding="):
                arithmetic.transposed_conv_output_size(
                    size, kernel_size, strides, padding, output_padding, dilation_rate
                )
            continue
        got = arithmetic.transposed_conv_output_size(
            size, kernel_size, strides, padding, output_padding, dilation_rate
        )
        assert got == expected, (size, kernel_size, strides, padding, output_padding)
        checked += 1
    assert checked > 700, checked


def test_keras_fails_where_arithmetic_refuses_same_even_kernel_without_output_padding():
    layer = keras.layers.Conv2DTranspose(1, 2, strides=2, padding="same", output_padding=0)
    with pytest.raises(Exception):  # noqa: B017 - TensorFlow raises an AbortedError here.
        layer(np.ones((1, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match="even kernel"):
        arithmetic.transposed_conv_output_size(3, 2, 2, "same", 0)


@pytest.mark.parametrize(
    "kwargs, fix",
    [
        (dict(input_size=3, kernel_size=3, strides=2, output_padding=2), "smaller than the str"),
        (dict(input_size=3, kernel_size=3, output_padding=-1), "from 0 to 0"),
        (dict(input_size=3, kernel_size=4, strides=1, padding="same", output_padding=0), "None"),
        (dict(input_size=3, kernel_size=4, strides=3, padding="same", output_padding=0), "1 to 2"),
        (dict(input_size=3, kernel_size=3, padding=3), "padding from 0 to 2"),
        (dict(input_size=1, kernel_size=3, padding=2), "padding at most 1"),
        (dict(input_size=0, kernel_size=3), "at least one pixel"),
        (dict(input_size=3, kernel_size=3, padding="full"), '"same"'),
    ],
)
def test_invalid_transposed_arguments_name_the_fix(kwargs, fix):
    with pytest.raises(ValueError, match=fix):
        arithmetic.transposed_conv_output_size(**kwargs)


@pytest.mark.parametrize(
    "call, fix",
    [
        (
            lambda: reference.conv2d_transpose(np.ones((2, 2, 1)), np.ones((3, 3)), method="fft"),
            "scatter",
        ),
        (
            lambda: reference.conv2d_transpose(np.ones((2, 2, 2)), np.ones((3, 3, 2, 1))),
            r"kernel\.shape\[3\]",
        ),
        (lambda: reference.conv2d_transpose(np.ones((2, 2, 1)), np.ones((3, 3, 1))), "in_channels"),
        (lambda: reference.conv2d_transpose(np.ones((2, 2)), np.ones((3, 3))), r"x\[..., None\]"),
        (lambda: reference.bilinear_kernel(0), "2 \\* strides"),
    ],
)
def test_reference_rejects_bad_input_naming_the_fix(call, fix):
    with pytest.raises(ValueError, match=fix):
        call()


CONV_CASES = [
    (size, kernel_size, strides, padding)
    for size, kernel_size, strides, padding in itertools.product(
        range(1, 10), range(1, 6), range(1, 4), ["valid", "same", 0, 1, 2]
    )
    if not (padding == "valid" and kernel_size > size)
    and not (
        isinstance(padding, int) and (kernel_size > size + 2 * padding or padding >= kernel_size)
    )
]


def test_transposed_equivalent_undoes_the_shape_and_follows_the_guide():
    for size, kernel_size, strides, padding in CONV_CASES:
        conv_size = arithmetic.conv_output_size(size, kernel_size, strides, padding)
        equivalent = arithmetic.transposed_equivalent(size, kernel_size, strides, padding)
        assert equivalent.input_size == conv_size and equivalent.output_size == size
        assert equivalent.inserted_zeros == strides - 1
        assert equivalent.dilated_size == (conv_size - 1) * strides + 1
        assert equivalent.padded_size - kernel_size + 1 == size
        if padding != "same":
            # Dumoulin & Visin, relationships 8 to 13: pad k - 1 - p, and a at the end.
            p = 0 if padding == "valid" else padding
            a = (size + 2 * p - kernel_size) % strides
            assert equivalent.output_padding == a
            assert equivalent.pad == (kernel_size - 1 - p, kernel_size - 1 - p + a)
        else:
            before, after = arithmetic.same_padding(size, kernel_size, strides)
            assert equivalent.crop[0] == before
            assert equivalent.pad[0] == kernel_size - 1 - before
        assert (
            arithmetic.transposed_conv_output_size(
                conv_size, kernel_size, strides, padding, equivalent.output_padding
            )
            == size
        )
    assert len(CONV_CASES) > 400


@pytest.mark.parametrize(
    "size, kernel_size, strides, padding",
    [
        (5, 3, 2, "valid"),
        (6, 3, 2, "same"),
        (6, 3, 2, 1),
        (7, 4, 3, "same"),
        (5, 2, 1, "same"),
        (8, 4, 2, "same"),
        (4, 3, 1, 2),
        (9, 5, 4, "valid"),
    ],
)
def test_keras_undoes_the_shape_with_the_equivalent_arguments(size, kernel_size, strides, padding):
    conv = reference.conv2d(np.ones((size, size, 1)), np.ones((kernel_size,) * 2), strides, padding)
    equivalent = arithmetic.transposed_equivalent(size, kernel_size, strides, padding)
    kernel = np.ones((kernel_size, kernel_size, 1, 1), "float32")
    back = _keras_transposed(conv[None], kernel, None, strides, padding, equivalent.output_padding)
    assert back.shape == (1, size, size, 1)


@pytest.mark.parametrize(
    "size, kernel_size, strides, padding",
    [
        (5, 3, 1, "valid"),
        (5, 3, 2, "valid"),
        (6, 3, 2, 1),
        (6, 4, 2, "same"),
        (7, 3, 3, "same"),
        (5, 2, 2, "same"),
        (8, 5, 3, 2),
        (4, 1, 2, "valid"),
    ],
)
def test_adjoint_identity(size, kernel_size, strides, padding):
    """<conv(x), y> == <x, conv_transpose(y)>, the same kernel array in both layouts."""
    in_channels, out_channels = 2, 3
    # Conv2D layout (kh, kw, cin, cout) is Conv2DTranspose's (kh, kw, out=cin, in=cout).
    kernel = RNG.normal(size=(kernel_size, kernel_size, in_channels, out_channels))
    x = RNG.normal(size=(size, size, in_channels))
    conv = reference.conv2d(x, kernel, strides, padding)
    y = RNG.normal(size=conv.shape)
    equivalent = arithmetic.transposed_equivalent(size, kernel_size, strides, padding)
    for method in METHODS:
        back = reference.conv2d_transpose(
            y, kernel, strides, padding, equivalent.output_padding, method=method
        )
        assert back.shape == x.shape
        np.testing.assert_allclose(np.vdot(conv, y), np.vdot(x, back), rtol=1e-4)


def test_matrix_view_is_the_transpose_of_the_convolution_matrix():
    kernel = RNG.normal(size=(3, 3, 1, 1)).astype("float32")
    matrix = reference.conv_matrix(kernel, (5, 5), strides=2)
    y = RNG.normal(size=(2, 2, 1)).astype("float32")
    got = reference.conv2d_transpose_matrix(y, kernel, strides=2)
    np.testing.assert_allclose(got.ravel(), matrix.T @ y.ravel(), rtol=1e-5, atol=1e-6)


def _upsample_filt(size):
    """FCN's surgery.upsample_filt (Long, Shelhamer & Darrell), verbatim apart from names."""
    factor = (size + 1) // 2
    if size % 2 == 1:
        center = factor - 1
    else:
        center = factor - 0.5
    og = np.ogrid[:size, :size]
    return (1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)


@pytest.mark.parametrize("kernel_size", range(1, 9))
def test_bilinear_kernel_is_fcn_upsample_filt_on_the_diagonal(kernel_size):
    kernel = reference.bilinear_kernel(kernel_size, in_channels=3, out_channels=2)
    assert kernel.shape == (kernel_size, kernel_size, 2, 3) and kernel.dtype == np.float32
    for out_channel, in_channel in itertools.product(range(2), range(3)):
        expected = _upsample_filt(kernel_size) if out_channel == in_channel else 0
        np.testing.assert_allclose(kernel[:, :, out_channel, in_channel], expected, atol=1e-7)


@pytest.mark.parametrize("strides", [2, 4, 8, 16, 32])
def test_bilinear_initializer_reproduces_a_ramp_exactly(strides):
    size, channels = 4, 2
    layer = keras.layers.Conv2DTranspose(
        channels,
        kernel_size=2 * strides,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer=models.BilinearInitializer(),
    )
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    # A different plane per channel: the channels must not mix.
    ramp = np.stack([2 * rows - 3 * cols + 1, -rows + 0.5 * cols], axis=-1).astype("float32")
    output = keras.ops.convert_to_numpy(layer(ramp[None]))[0]
    assert output.shape == (size * strides, size * strides, channels)
    # Output pixel j sits at input coordinate (j + 0.5) / s - 0.5 (half-pixel centres);
    # between the first and last input pixel, bilinear interpolation of a plane is exact.
    position = (np.arange(size * strides) + 0.5) / strides - 0.5
    inside = (position >= 0) & (position <= size - 1)
    u, v = np.meshgrid(position[inside], position[inside], indexing="ij")
    expected = np.stack([2 * u - 3 * v + 1, -u + 0.5 * v], axis=-1)
    np.testing.assert_allclose(output[inside][:, inside], expected, atol=1e-5)
    assert inside.sum() == (size - 1) * strides  # all but s / 2 pixels at each border
    kernel = layer.get_weights()[0]
    np.testing.assert_array_equal(kernel, reference.bilinear_kernel(2 * strides, channels))
    np.testing.assert_allclose(
        reference.conv2d_transpose(ramp, kernel, strides, "same"), output, atol=1e-5
    )


def test_bilinear_initializer_saves_and_reloads_with_a_model(tmp_path):
    inputs = keras.Input((6, 6, 3))
    outputs = keras.layers.Conv2DTranspose(
        3,
        8,
        strides=4,
        padding="same",
        use_bias=False,
        kernel_initializer=models.BilinearInitializer(),
        name="upscore4",
    )(inputs)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "upsampler.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    x = RNG.normal(size=(2, 6, 6, 3)).astype("float32")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model(x)), keras.ops.convert_to_numpy(reloaded(x))
    )
    layer = reloaded.get_layer("upscore4")
    assert isinstance(layer.kernel_initializer, models.BilinearInitializer)
    config = keras.saving.serialize_keras_object(models.BilinearInitializer())
    assert config["registered_name"] == "fcn_tutorial>BilinearInitializer"
    with pytest.raises(ValueError, match="Conv2DTranspose"):
        models.BilinearInitializer()((3, 3))


@pytest.mark.parametrize("kernel_size, strides", [(3, 2), (4, 2), (5, 2), (3, 1), (4, 4), (2, 3)])
def test_overlap_map_counts_the_stamps(kernel_size, strides):
    size = 4
    counts = reference.overlap_map(kernel_size, strides, size)
    output_size = arithmetic.transposed_conv_output_size(size, kernel_size, strides)
    assert counts.shape == (output_size, output_size) and counts.dtype == np.int64
    # Every input pixel stamps kernel_size**2 cells (none fall off a "valid" canvas).
    assert counts.sum() == size**2 * kernel_size**2
    brute = np.zeros_like(counts)
    for r, c in itertools.product(range(size), repeat=2):
        brute[r * strides : r * strides + kernel_size, c * strides : c * strides + kernel_size] += 1
    np.testing.assert_array_equal(counts, brute)
    # Even overlap inside exactly when the stride divides the kernel size.
    inner = counts[kernel_size - 1 : 1 - kernel_size, kernel_size - 1 : 1 - kernel_size]
    assert (inner.min() == inner.max()) == (kernel_size % strides == 0)
