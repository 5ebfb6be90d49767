"""Labelling large photos in windows (``predict.predict_tiled``) gives the labels the whole
photo gets, because each window reaches ``models.receptive_reach``'s halo past what it keeps."""

import keras
import numpy as np
import pytest
from keras import layers

from fcn_tutorial import predict
from fcn_tutorial.arithmetic import receptive_field
from fcn_tutorial.datasets import synthetic_driving
from fcn_tutorial.models import CropToReference, PadToMultiple, Reach, build_fcn, receptive_reach
from fcn_tutorial.training import predict_masks


def small_fcn(seed: int = 0) -> keras.Model:
    """A small FCN with the big one's parts: padding to its stride, "same" and strided
    convolutions, pooling, a transposed convolution, a skip, nearest upsampling, a crop."""
    keras.utils.set_random_seed(seed)
    image = keras.Input((None, None, 3))
    x = PadToMultiple(4)(image)
    x = layers.Rescaling(1 / 255)(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    skip = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(skip)
    x = layers.Conv2D(8, 5, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(8, 4, strides=2, padding="same")(x)
    x = layers.Add()([x, skip])
    x = layers.UpSampling2D(2)(x)
    x = layers.Conv2D(5, 3, padding="same")(x)
    return keras.Model(image, CropToReference()([x, image]))


def randomized_fcn8s() -> keras.Model:
    """The quick profile's FCN-8s with He-scaled random convolutions and zero biases.

    An untrained ``build_fcn`` starts its score layers at zero and its default weights let
    the signal fade over 27 layers, so its logits are (nearly) zero everywhere, which any
    tiling reproduces; these weights carry the photo to the logits.
    """
    model = build_fcn(11, backbone="mobilenet", variant="fcn8s", alpha=0.25, weights=None)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D)):
            kernel, *bias = layer.get_weights()
            fan_in = np.prod(kernel.shape[:2]) * (
                1 if isinstance(layer, layers.DepthwiseConv2D) else kernel.shape[2]
            )
            kernel = rng.normal(0, np.sqrt(2 / fan_in), kernel.shape)
            layer.set_weights([kernel, *(np.zeros_like(b) for b in bias)])
    return model


def tiled_logits(model, image, tile_size, halo):
    """Logits stitched from the windows :func:`predict.tile_windows` lays out."""
    height, width = image.shape[:2]
    out = None
    for top, bottom, keep_top, keep_bottom in predict.tile_windows(height, tile_size, halo):
        for left, right, keep_left, keep_right in predict.tile_windows(width, tile_size, halo):
            window = image[None, top:bottom, left:right].astype("float32")
            logits = keras.ops.convert_to_numpy(model(window, training=False))[0]
            if out is None:
                out = np.empty((height, width, logits.shape[-1]), "float32")
            out[keep_top:keep_bottom, keep_left:keep_right] = logits[
                keep_top - top : keep_bottom - top, keep_left - left : keep_right - left
            ]
    return out


def photo(height, width, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_tile_windows_keep_every_pixel_once_and_start_on_the_grid():
    for length in (1, 64, 65, 300, 1000, 4000):
        for tile_size, halo in ((64, 16), (128, 32), (1024, 224)):
            windows = predict.tile_windows(length, tile_size, halo)
            kept = [(keep_start, keep_stop) for _, _, keep_start, keep_stop in windows]
            assert kept[0][0] == 0 and kept[-1][1] == length
            assert all(a[1] == b[0] for a, b in zip(kept, kept[1:], strict=False))
            for start, stop, keep_start, keep_stop in windows:
                assert stop - start <= tile_size
                assert start % 16 == 0  # tile_size and halo are multiples of 16 here
                assert keep_start - start >= (halo if start > 0 else 0)
                assert stop - keep_stop >= (halo if stop < length else 0)
    with pytest.raises(ValueError, match="tile_size=64 keeps nothing"):
        predict.tile_windows(100, 64, 32)


def test_reach_of_a_chain_is_half_its_receptive_field():
    chain = [(3, 1, 1), (5, 1, 2), (3, 1, 1), (7, 1, 1)]
    image = keras.Input((None, None, 3))
    x = image
    for kernel_size, _, dilation_rate in chain:
        x = layers.Conv2D(2, kernel_size, padding="same", dilation_rate=dilation_rate)(x)
    size = receptive_field([(*spec, "same") for spec in chain]).size
    assert receptive_reach(keras.Model(image, x)) == Reach((size - 1) // 2, 1)


def test_reach_of_the_tutorials_fcns():
    # The numbers predict.TILE_SIZE's docstring and receptive_reach's example quote.
    fcn8s = build_fcn(11, backbone="mobilenet", variant="fcn8s", alpha=0.25, weights=None)
    assert receptive_reach(fcn8s) == Reach(224, 32)
    vgg = build_fcn(11, backbone="vgg16", variant="fcn32s", weights=None, fc_width=8)
    assert receptive_reach(vgg) == Reach(256, 32)


def test_reach_refuses_a_layer_that_sees_the_whole_image():
    image = keras.Input((None, None, 3))
    x = layers.Conv2D(4, 3, padding="same")(image)
    pooled = layers.GlobalAveragePooling2D(keepdims=True, name="squeeze")(x)
    model = keras.Model(image, layers.Multiply()([x, pooled]))
    with pytest.raises(ValueError, match=r"layer squeeze \(GlobalAveragePooling2D\)"):
        receptive_reach(model)
    # predict_tiled labels such a model's photo whole, and says memory is not bounded.
    with pytest.warns(UserWarning, match="not bounded"):
        mask = predict.predict_tiled(model, photo(40, 50), tile_size=16, flip=False)
    np.testing.assert_array_equal(mask, predict_masks(model, photo(40, 50), flip=False))


def test_tiles_compute_what_the_whole_image_computes():
    model = small_fcn()
    reach = receptive_reach(model)
    assert reach.alignment == 4 and reach.halo > 0
    image = photo(90, 133)
    whole = keras.ops.convert_to_numpy(model(image[None].astype("float32")))[0]
    tile_size = 2 * reach.halo + 24
    assert len(predict.tile_windows(90, tile_size, reach.halo)) > 2
    np.testing.assert_allclose(tiled_logits(model, image, tile_size, reach.halo), whole, atol=1e-5)
    np.testing.assert_array_equal(
        predict.predict_tiled(model, image, tile_size, flip=False),
        predict_masks(model, image, flip=False),
    )
    # The halo is needed: one grid step less and a window's edge shows in its kept part.
    short = reach.halo - reach.alignment
    assert np.abs(tiled_logits(model, image, tile_size, short) - whole).max() > 1e-3


def test_a_tiled_fcn8s_labels_a_street_as_the_whole_street():
    model = randomized_fcn8s()
    image = synthetic_driving(1, 600, 700, seed=0)[0][0]
    whole = keras.ops.convert_to_numpy(model(image[None].astype("float32")))[0]
    assert len(np.unique(whole.argmax(-1))) > 5  # the photo reaches the scores
    reach = receptive_reach(model)
    assert len(predict.tile_windows(600, 576, reach.halo)) == 2
    tiled = tiled_logits(model, image, 576, reach.halo)
    # Each sum is the same; only its rounding may differ between window sizes (float32's
    # last bits: about 1e-7 of the largest logit here), so no label changes.
    np.testing.assert_allclose(tiled, whole, rtol=0, atol=1e-6 * np.abs(whole).max())
    np.testing.assert_array_equal(
        predict.predict_tiled(model, image, 576, flip=False), whole.argmax(-1)
    )
    # Two grid steps less context and the windows' edges show: the halo is not for show.
    short = tiled_logits(model, image, 576, reach.halo - 2 * reach.alignment)
    assert np.abs(short - whole).max() > 1e-3 * np.abs(whole).max()


def test_an_image_within_a_tile_goes_through_whole():
    model = small_fcn()
    image = photo(36, 48)
    np.testing.assert_array_equal(
        predict.predict_tiled(model, image, tile_size=48, flip=False),
        predict_masks(model, image, flip=False),
    )
