"""How far a model's output sees: the context a tile of a large image needs.

An FCN labels any image size, but its memory grows with the image: the quick profile's
FCN-8s needs 7 GB for a 4000×3000 photo. Cut the photo into overlapping windows, label
each, and keep each window's middle: if every kept pixel's receptive field lies inside
its window, and each window starts on the network's stride grid, the window computes
exactly the numbers the whole image would (``03_pooling.ipynb`` introduces receptive
fields; :func:`~fcn_tutorial.arithmetic.receptive_field` counts them for a chain of
layers). :func:`receptive_reach` reads the two numbers that takes from a model's graph:
the ``halo`` each window needs around its kept middle, and the ``alignment`` of its corner.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import keras

from fcn_tutorial.models.layers import CropToReference, ImageNetPreprocessing, PadToMultiple

__all__ = ["Reach", "receptive_reach"]

_WINDOWED = (
    keras.layers.Conv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv2D,
    keras.layers.MaxPooling2D,
    keras.layers.AveragePooling2D,
)
# Layers that map each pixel to itself: they merge their inputs' reach and move nothing.
_PER_PIXEL = (
    keras.layers.InputLayer,
    keras.layers.BatchNormalization,
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.PReLU,
    keras.layers.ELU,
    keras.layers.Softmax,
    keras.layers.Dropout,
    keras.layers.SpatialDropout2D,
    keras.layers.GaussianNoise,
    keras.layers.GaussianDropout,
    keras.layers.Add,
    keras.layers.Subtract,
    keras.layers.Multiply,
    keras.layers.Average,
    keras.layers.Maximum,
    keras.layers.Minimum,
    keras.layers.Concatenate,
    keras.layers.Rescaling,
    keras.layers.Dense,
    keras.layers.Identity,
    ImageNetPreprocessing,
    PadToMultiple,
)


class Reach(NamedTuple):
    """How much of the input one output pixel of a model depends on.

    Attributes:
        halo: input pixels on each side of a region that can change the model's output
            inside it (its receptive field's reach, padding cells counted). A window
            that keeps only pixels ``halo`` or more from its inner edges computes them
            exactly as the whole image would.
        alignment: windows must start at multiples of this (the overall stride, and any
            ``PadToMultiple``), so every pooling and stride sees the same grid.
    """

    halo: int
    alignment: int


class _Map(NamedTuple):
    # One axis of a feature map: cell i sits at input pixel origin + i * jump and depends
    # on input pixels [position - before, position + after].
    jump: float
    origin: float
    before: float
    after: float


_IMAGE = _Map(1, 0, 0, 0)


def _windowed(layer, axis: int, x: _Map) -> tuple[_Map, int]:
    is_pool = isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D))
    kernel = layer.pool_size[axis] if is_pool else layer.kernel_size[axis]
    dilation = 1 if is_pool else layer.dilation_rate[axis]
    strides = layer.strides[axis]
    span = (kernel - 1) * dilation + 1
    if layer.padding == "same":  # Keras' "same": the odd zero goes after, more when unaligned
        before, after = (span - 1) // 2, span - 1 - max(span - strides, 0) // 2
    else:
        before, after = 0, span - 1
    grown = _Map(x.jump * strides, x.origin, x.before + before * x.jump, x.after + after * x.jump)
    return grown, int(x.jump * strides) if strides > 1 else 1


def _upsampled(x: _Map, strides: int, before: int, after: int) -> _Map:
    # An upsampling by ``strides`` whose output cell reads input cells ``before`` to
    # ``after`` output cells away.
    jump = x.jump / strides
    return _Map(jump, x.origin, x.before + before * jump, x.after + after * jump)


def _transposed(layer, axis: int, x: _Map) -> _Map:
    strides = layer.strides[axis]
    span = (layer.kernel_size[axis] - 1) * layer.dilation_rate[axis] + 1
    if layer.padding == "same" and layer.output_padding is None:
        # The transpose of a "same" convolution of an output strides times the input.
        pad = max(span - strides, 0) // 2
        return _upsampled(x, strides, span - 1 - pad, pad)
    return _upsampled(x, strides, span - 1, max(span, strides) - 1)


def _merge(maps: list[_Map]) -> _Map:
    first = maps[0]
    if any(m.jump != first.jump for m in maps):
        raise ValueError("inputs at different strides")
    before = max(m.before + first.origin - m.origin for m in maps)
    after = max(m.after + m.origin - first.origin for m in maps)
    return _Map(first.jump, first.origin, before, after)


def _step(layer, axis: int, inputs: list[_Map]) -> tuple[_Map, int]:
    """One layer's output map from its inputs' and the alignment it asks for (1: none)."""
    channels_last = getattr(layer, "data_format", "channels_last") == "channels_last"
    if isinstance(layer, _WINDOWED) and channels_last:
        return _windowed(layer, axis, inputs[0])
    if isinstance(layer, keras.layers.Conv2DTranspose) and channels_last:
        return _transposed(layer, axis, inputs[0]), 1
    if isinstance(layer, keras.layers.UpSampling2D) and channels_last:
        size = layer.size[axis]
        if layer.interpolation == "nearest":  # reads the one input cell at or before it
            return _upsampled(inputs[0], size, size - 1, 0), 1
        return _upsampled(inputs[0], size, 2 * size, 2 * size), 1  # a few cells around
    if isinstance(layer, (keras.layers.ZeroPadding2D, keras.layers.Cropping2D)):
        x, amounts = inputs[0], layer.padding if hasattr(layer, "padding") else layer.cropping
        shift = amounts[axis][0] * x.jump
        if isinstance(layer, keras.layers.ZeroPadding2D):
            shift = -shift
        return x._replace(origin=x.origin + shift), 1
    if isinstance(layer, PadToMultiple):
        return inputs[0], int(layer.multiple * inputs[0].jump)
    if isinstance(layer, CropToReference):
        return inputs[0], 1  # crops the bottom and right: positions stay
    if isinstance(layer, keras.layers.Concatenate) and layer.axis not in (-1, 3):
        raise ValueError("concatenates along a spatial axis")
    if isinstance(layer, _PER_PIXEL):
        return _merge(inputs), 1
    raise ValueError("not a layer whose reach is known")


def _axis_reach(model: keras.Model, axis: int) -> tuple[float, int]:
    producers = {
        id(tensor): layer for layer in model.layers for tensor in keras.tree.flatten(layer.output)
    }
    maps: dict[str, _Map] = {}
    alignment = 1

    def visit(layer) -> _Map:
        nonlocal alignment
        if layer.name in maps:
            return maps[layer.name]
        try:
            parents = [producers.get(id(t)) for t in keras.tree.flatten(layer.input)]
        except ValueError as error:  # a layer called more than once has no one input
            raise ValueError(f"layer {layer.name} ({type(layer).__name__}): {error}") from None
        # A tensor no layer made (or an InputLayer's own) is the image itself.
        inputs = [_IMAGE if p in (None, layer) else visit(p) for p in parents] or [_IMAGE]
        try:
            maps[layer.name], asks = _step(layer, axis, inputs)
        except (ValueError, AttributeError, IndexError, TypeError) as error:
            raise ValueError(f"layer {layer.name} ({type(layer).__name__}): {error}") from None
        alignment = math.lcm(alignment, max(1, int(asks)))
        return maps[layer.name]

    outputs = [producers.get(id(t)) for t in keras.tree.flatten(model.outputs)]
    if len(outputs) != 1 or outputs[0] is None:
        raise ValueError(f"it has {len(outputs)} outputs, not one map")
    (output,) = outputs
    final = visit(output)
    if final.jump != 1:
        raise ValueError(f"its output has one cell every {final.jump:g} input pixels")
    # Output cell i sits at pixel origin + i: its reach around pixel i.
    return max(final.before - final.origin, final.after + final.origin, 0), alignment


def receptive_reach(model: keras.Model) -> Reach:
    """The context a window of an image needs so that ``model`` labels it exactly.

    Walks the model's graph from its input, as :func:`~fcn_tutorial.arithmetic.receptive_field`
    walks a chain: each windowed layer (convolution, pooling) widens the reach by its
    kernel times the current jump, each stride multiplies the jump, each upsampling
    (``Conv2DTranspose``, ``UpSampling2D``) widens it by its kernel at the finer jump;
    branches that meet (``Add``, ``Concatenate``) keep the wider reach. Bounds are taken
    on the safe side where Keras' padding depends on the size (``"same"`` with strides).

    Args:
        model: a one-input, one-output model of ``(N, H, W, C)`` images to
            ``(N, H, W, K)`` maps, built from Keras' convolution, pooling, upsampling,
            padding, cropping and per-pixel layers (every :func:`build_fcn` model).

    Returns:
        Reach: ``(halo, alignment)`` in input pixels, the halo rounded up to a multiple of
        the alignment. For ``build_fcn(11, "mobilenet", alpha=0.25)`` (FCN-8s) 224 and
        32, so windows of 1536 keep their middle 1088; for VGG16's FCNs 256 and 32. The
        bound is safe, not tight: that FCN-8s labels exactly with a halo of 192 already.

    Raises:
        ValueError: for a layer that mixes the whole image (global pooling, ``Reshape``,
            attention), a nested model, or a layer whose reach is not known, naming it.

    Example:
        >>> image = keras.Input((None, None, 3))
        >>> x = keras.layers.Conv2D(4, 3, padding="same")(image)
        >>> x = keras.layers.MaxPooling2D(2)(x)
        >>> x = keras.layers.UpSampling2D(2)(x)
        >>> receptive_reach(keras.Model(image, x))
        Reach(halo=2, alignment=2)
    """
    reaches = [_axis_reach(model, axis) for axis in (0, 1)]
    alignment = math.lcm(*(a for _, a in reaches))
    halo = max(math.ceil(r) for r, _ in reaches)
    return Reach(-(-halo // alignment) * alignment, alignment)
