"""``fcn_tutorial.reference`` (NumPy from scratch) against the real Keras layers."""

import itertools

import keras
import numpy as np
import pytest

from fcn_tutorial import reference, widgets
from fcn_tutorial.samples import load_sample

RNG = np.random.default_rng(0)


def _keras_conv(x, kernel, bias, strides, padding, dilation_rate):
    layers = []
    if isinstance(padding, int):
        layers.append(keras.layers.ZeroPadding2D(padding))
        padding = "valid"
    conv = keras.layers.Conv2D(
        kernel.shape[-1], kernel.shape[:2], strides, padding, dilation_rate=dilation_rate
    )
    conv.build(x.shape[:3] + (kernel.shape[2],))
    conv.set_weights([kernel, bias])
    layers.append(conv)
    for layer in layers:
        x = layer(x)
    return keras.ops.convert_to_numpy(x)


CONV_CASES = [
    (size, kernel_size, strides, padding, dilation_rate, channels)
    for size, kernel_size, strides, padding, dilation_rate, channels in itertools.product(
        [5, 8],
        [(1, 1), (3, 3), (2, 3)],
        [1, 2, (1, 2)],
        ["valid", "same", 1],
        [1, 2],
        [(1, 1), (3, 4)],
    )
    if not (strides != 1 and dilation_rate > 1)
]


@pytest.mark.parametrize("size, kernel_size, strides, padding, dilation_rate, channels", CONV_CASES)
def test_conv2d_matches_keras(size, kernel_size, strides, padding, dilation_rate, channels):
    in_channels, out_channels = channels
    x = RNG.normal(size=(2, size, size + 1, in_channels)).astype("float32")
    kernel = RNG.normal(size=(*kernel_size, in_channels, out_channels)).astype("float32")
    bias = RNG.normal(size=(out_channels,)).astype("float32")
    expected = _keras_conv(x, kernel, bias, strides, padding, dilation_rate)
    got = reference.conv2d(x, kernel, strides, padding, dilation_rate, bias=bias)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_conv2d_single_image_and_2d_kernel():
    x = np.arange(25.0).reshape(5, 5, 1)
    edge = np.array([[1.0, 0.0, -1.0]] * 3)
    out = reference.conv2d(x, edge)
    # Each row of x increases by 1 per column, so every window sums to 3 * (-2).
    assert out.shape == (3, 3, 1)
    np.testing.assert_array_equal(out, -6.0)


def test_strided_dilated_conv_equals_subsampled_dilated_conv():
    # Keras refuses strides > 1 with dilation > 1; the definition still holds.
    x = RNG.normal(size=(9, 9, 2))
    kernel = RNG.normal(size=(3, 3, 2, 3))
    full = reference.conv2d(x, kernel, 1, "valid", 2)
    np.testing.assert_allclose(reference.conv2d(x, kernel, 2, "valid", 2), full[::2, ::2], 1e-5)


@pytest.mark.parametrize(
    "pool, layer_class",
    [
        (reference.max_pool2d, keras.layers.MaxPooling2D),
        (reference.avg_pool2d, keras.layers.AveragePooling2D),
    ],
)
@pytest.mark.parametrize(
    "size, pool_size, strides, padding",
    list(itertools.product([4, 7], [2, 3, (2, 3)], [None, 1, 2], ["valid", "same"])),
)
def test_pooling_matches_keras(pool, layer_class, size, pool_size, strides, padding):
    x = RNG.normal(size=(2, size, size + 2, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(layer_class(pool_size, strides, padding)(x))
    got = pool(x, pool_size, strides, padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "input_shape, kernel_shape, strides, padding, dilation_rate",
    [
        ((4, 4), (3, 3), 1, "valid", 1),
        ((5, 6, 2), (3, 3, 2, 3), 2, "same", 1),
        ((6, 6, 1), (2, 2, 1, 2), 1, 1, 2),
    ],
)
def test_conv_matrix_times_x_equals_conv2d(
    input_shape, kernel_shape, strides, padding, dilation_rate
):
    kernel = RNG.normal(size=kernel_shape).astype("float32")
    x = RNG.normal(size=input_shape).astype("float32")
    matrix = reference.conv_matrix(kernel, input_shape, strides, padding, dilation_rate)
    image = x if x.ndim == 3 else x[..., None]
    expected = reference.conv2d(image, kernel, strides, padding, dilation_rate)
    assert matrix.shape == (expected.size, x.size)
    np.testing.assert_allclose(matrix @ x.ravel(), expected.ravel(), rtol=1e-5, atol=1e-5)
    # Weight sharing: the matrix holds only the kernel's values (and zeros).
    assert set(np.unique(matrix)) <= set(np.unique(kernel)) | {0.0}


def test_im2col_rows_line_up_with_the_kernel():
    x = RNG.normal(size=(6, 6, 2))
    kernel = RNG.normal(size=(3, 3, 2, 1))
    patches = reference.im2col(x, 3)
    np.testing.assert_allclose(patches[1, 2], x[1:4, 2:5].ravel())
    np.testing.assert_allclose(
        (patches @ kernel.reshape(-1, 1))[..., 0], reference.conv2d(x, kernel)[..., 0], 1e-5
    )


@pytest.mark.parametrize(
    "call, fix",
    [
        (lambda: reference.conv2d(np.ones((5, 5)), np.ones((3, 3))), r"x\[..., None\]"),
        (lambda: reference.conv2d(np.ones((5, 5, 2)), np.ones((3, 3, 1, 1))), "kernel.shape"),
        (lambda: reference.conv2d(np.ones((5, 5, 1)), np.ones((3, 3, 1))), "out_channels"),
        (lambda: reference.conv2d(np.ones((2, 2, 1)), np.ones((3, 3))), "more padding"),
        (lambda: reference.max_pool2d(np.ones((4, 4, 1)), 2, 0), "strides=1"),
        (lambda: reference.pooling_shift(np.ones((4, 5, 3))), r"one \(H, W \+ 1\) grey"),
        # Refused, not truncated to 2 by int() (issue 14: never silently coerce).
        (lambda: reference.conv2d(np.ones((5, 5, 1)), np.ones((3, 3)), 2.5), "strides=2.5: pass"),
        (lambda: reference.max_pool2d(np.ones((4, 4, 1)), (2, 1.5)), r"pool_size=\(2, 1.5\)"),
    ],
)
def test_bad_input_names_the_fix(call, fix):
    with pytest.raises(ValueError, match=fix):
        call()


def test_pooling_shift_keeps_more_of_the_pooled_map():
    # The image of figures/03_pooling-shift-invariance.png: Chelsea, 96 rows, 97 columns.
    grey = np.round(widgets.to_grey(load_sample("chelsea", size=98)) * 255)
    result = reference.pooling_shift(grey[:96, :97])
    assert result["pooled"].shape == (48, 48)
    assert result["unchanged_pooled"] > 2 * result["unchanged_pixels"]


def test_checkerboard_comes_from_random_transposed_kernels_only():
    outputs = reference.checkerboard_outputs()
    for name, output in outputs.items():
        inner = output[4:-4, 4:-4]
        flat = np.ptp(inner) <= 1e-5 * max(abs(inner.mean()), 1)
        assert flat == ("random, kernel" not in name), name
    bilinear = outputs["transposed, bilinear, kernel 4"]
    np.testing.assert_allclose(bilinear[4:-4, 4:-4], 1.0, atol=1e-6)
