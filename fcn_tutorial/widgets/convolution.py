"""Convolution and pooling explorers (``02_convolution.ipynb``, ``03_pooling.ipynb``)."""

from __future__ import annotations

import functools
import html

import ipywidgets as widgets
import numpy as np

from fcn_tutorial import arithmetic, reference, viz
from fcn_tutorial.widgets.base import (
    DPI,
    SEED,
    Explorer,
    choice,
    keras_readout,
    keras_shape,
    slider,
)

__all__ = [
    "conv_size_formula",
    "keras_conv_output_shape",
    "keras_pool_output_shape",
    "ConvolutionExplorer",
    "PoolingExplorer",
]

PADDING_CHOICES = ("valid", "same", 0, 1, 2)


def conv_size_formula(
    input_size: int,
    kernel_size: int,
    strides: int = 1,
    padding: str | int = "valid",
    dilation_rate: int = 1,
) -> str:
    """The output-size formula with the numbers filled in.

    Returns:
        str: e.g. ``"o = ⌊(5 + 2·1 − 3) / 2⌋ + 1 = 3"``, preceded by the dilated kernel
        size when ``dilation_rate > 1``; the result comes from ``arithmetic``.

    Raises:
        ValueError: as :func:`arithmetic.conv_output_size`.

    Example:
        >>> conv_size_formula(5, 3, strides=2, padding="same")
        'o = ⌈5 / 2⌉ = 3'
    """
    output_size = arithmetic.conv_output_size(
        input_size, kernel_size, strides, padding, dilation_rate
    )
    if padding == "same":
        return f"o = ⌈{input_size} / {strides}⌉ = {output_size}"
    span = arithmetic.effective_kernel_size(kernel_size, dilation_rate)
    pad = 0 if padding == "valid" else padding
    formula = f"o = ⌊({input_size} + 2·{pad} − {span}) / {strides}⌋ + 1 = {output_size}"
    if dilation_rate > 1:
        formula = f"k′ = {dilation_rate}·({kernel_size} − 1) + 1 = {span};  " + formula
    return formula


@functools.lru_cache(maxsize=512)
def keras_conv_output_shape(
    input_size: int,
    kernel_size: int,
    strides: int = 1,
    padding: str | int = "valid",
    dilation_rate: int = 1,
) -> tuple:
    """What ``keras.layers.Conv2D(filters=1, ...)`` returns for a ``(1, H, W, 1)`` input.

    An int padding is ``ZeroPadding2D(padding)`` followed by a ``"valid"`` convolution.

    Returns:
        tuple: the output shape ``(1, o, o, 1)``.

    Raises:
        ValueError: Keras' own refusal, e.g. ``strides > 1`` with ``dilation_rate > 1``.
    """
    from keras import layers

    shape = (1, input_size, input_size, 1)
    if not isinstance(padding, str):
        shape = layers.ZeroPadding2D(padding).compute_output_shape(shape)
        padding = "valid"
    layer = layers.Conv2D(
        1, kernel_size, strides=strides, padding=padding, dilation_rate=dilation_rate
    )
    return tuple(layer.compute_output_shape(shape))


@functools.lru_cache(maxsize=512)
def keras_pool_output_shape(
    mode: str, input_size: int, pool_size: int, strides: int, padding: str = "valid"
) -> tuple:
    """What ``MaxPooling2D`` (``mode="max"``) or ``AveragePooling2D`` gives ``(1, H, W, 1)``."""
    from keras import layers

    layer = layers.MaxPooling2D if mode == "max" else layers.AveragePooling2D
    shape = (1, input_size, input_size, 1)
    return tuple(layer(pool_size, strides=strides, padding=padding).compute_output_shape(shape))


class ConvolutionExplorer(Explorer):
    """Slide a kernel over a small padded input and watch each output being computed.

    Args:
        input_size, kernel_size, strides, padding, dilation_rate: the starting values, as
            ``keras.layers.Conv2D``'s arguments; ``padding`` is one of
            ``"valid"``, ``"same"``, 0, 1, 2.

    Attributes:
        state: ``input_size``, ``kernel_size``, ``strides``, ``padding``,
            ``dilation_rate``, ``step``, ``output_size``, ``position`` (row, col),
            ``window`` (top, left, padded coordinates), ``input_values``, ``kernel``,
            ``output_value`` (from ``reference.conv2d``), ``products`` (the spelled-out
            sum), ``formula``, ``keras_output_shape`` (or ``None`` where Keras refuses the
            layer, ``keras_note`` then says why) and ``error``.

    Raises:
        ValueError: for a starting value the controls do not offer, named with the range
            that works (``strides=0: pass an integer from 1 to 3, the slider's range.``):
            input_size 3..9, kernel_size 1..5, strides 1..3, dilation_rate 1..3. Within
            those, an impossible combination is no error here: ``state["error"]`` says why.

    Example:
        >>> explorer = ConvolutionExplorer()
        >>> explorer.controls["strides"].value = 2
        >>> explorer.state["output_size"]
        2
    """

    def __init__(self, input_size=5, kernel_size=3, strides=1, padding="valid", dilation_rate=1):
        self._build(
            {
                "input_size": slider("input_size", input_size, 3, 9),
                "kernel_size": slider("kernel_size", kernel_size, 1, 5),
                "strides": slider("strides", strides, 1, 3),
                "padding": choice("padding", PADDING_CHOICES, padding),
                "dilation_rate": slider("dilation_rate", dilation_rate, 1, 3),
                "step": slider("step (output position)", 0, 0, 0),
            }
        )

    def _config(self, values):
        names = ("input_size", "kernel_size", "strides", "padding", "dilation_rate")
        return {name: values[name] for name in names}

    def _sync_controls(self, change):
        values = {name: control.value for name, control in self.controls.items()}
        output_size = arithmetic.conv_output_size(**self._config(values))
        self.controls["step"].max = output_size**2 - 1

    def _compute(self, values):
        config = self._config(values)
        geometry = viz.conv_step(config, values["step"])
        input_values, kernel = viz.sample_conv_values(
            config["input_size"], config["kernel_size"], SEED
        )
        output = reference.conv2d(input_values[..., None], kernel, **_conv_kwargs(config))
        padded = np.pad(input_values, [geometry["pad"], geometry["pad"]])
        products = [
            (int(padded[r, c]), int(weight))
            for (r, c), weight in zip(geometry["taps"], kernel.ravel(), strict=True)
        ]
        row, col = geometry["position"]
        return {
            **values,
            "output_size": geometry["output_size"],
            "position": geometry["position"],
            "window": geometry["window"],
            "pad": geometry["pad"],
            "input_values": input_values,
            "kernel": kernel,
            "output_value": float(output[row, col, 0]),
            "products": products,
            "formula": conv_size_formula(**config),
            **keras_shape(keras_conv_output_shape, **config),
        }

    def _draw(self):
        state = self.state
        return viz.plot_convolution_step(
            self._config(state), state["step"], state["input_values"], state["kernel"], dpi=DPI
        )

    def _describe(self):
        state = self.state
        row, col = state["position"]
        terms = " + ".join(f"{value}·{weight}" for value, weight in state["products"])
        names = ("kernel_size", "strides", "padding", "dilation_rate")
        call = viz.keras_call("Conv2D", filters=1, **{name: state[name] for name in names})
        return (
            f"<p><b>Output size</b> {html.escape(state['formula'])}<br>"
            f"<b>out[{row}, {col}]</b> = {terms} = <b>{state['output_value']:g}</b><br>"
            f"{keras_readout(state, call)}</p>"
        )


def _conv_kwargs(config):
    return {
        "strides": config["strides"],
        "padding": config["padding"],
        "dilation_rate": config["dilation_rate"],
    }


class PoolingExplorer(Explorer):
    """Slide a max or average pooling window over small integers.

    Args:
        input_size, pool_size, strides, padding: the starting values, as
            ``keras.layers.MaxPooling2D``'s arguments (padding ``"valid"`` or ``"same"``).
        mode: ``"max"`` or ``"avg"``.

    Attributes:
        state: the arguments plus ``mode``, ``step``, ``output_size``, ``position``,
            ``window``, ``input_values``, ``output_value``, ``winner`` (input row, col of
            the window's maximum; ``None`` for average pooling), ``formula``,
            ``keras_output_shape`` (``None`` where Keras refuses the layer, ``keras_note``
            then says why) and ``error``.

    Raises:
        ValueError: for a starting value the controls do not offer, named with what works:
            input_size 2..8, pool_size 1..4, strides 1..4, padding ``"valid"`` or
            ``"same"``, mode ``"max"`` or ``"avg"``.

    Example:
        >>> PoolingExplorer(mode="median")
        Traceback (most recent call last):
        ...
        ValueError: mode='median': pass one of 'max', 'avg'.
    """

    def __init__(self, input_size=6, pool_size=2, strides=2, padding="valid", mode="max"):
        self._build(
            {
                "mode": choice("mode", ("max", "avg"), mode, widgets.ToggleButtons),
                "input_size": slider("input_size", input_size, 2, 8),
                "pool_size": slider("pool_size", pool_size, 1, 4),
                "strides": slider("strides", strides, 1, 4),
                "padding": choice("padding", ("valid", "same"), padding, widgets.ToggleButtons),
                "step": slider("step (output position)", 0, 0, 0),
            }
        )

    def _sync_controls(self, change):
        values = {name: control.value for name, control in self.controls.items()}
        output_size = arithmetic.pool_output_size(
            values["input_size"], values["pool_size"], values["strides"], values["padding"]
        )
        self.controls["step"].max = output_size**2 - 1

    def _config(self, values):
        names = ("input_size", "pool_size", "strides", "padding", "mode")
        return {name: values[name] for name in names}

    def _compute(self, values):
        size = values["input_size"]
        input_values = np.random.default_rng(SEED).integers(0, 10, (size, size))
        state = viz.pool_step(self._config(values), values["step"], input_values)
        return {
            **values,
            "output_size": state["output_size"],
            "position": state["position"],
            "window": state["window"],
            "input_values": input_values,
            "output_value": state["output_value"],
            "winner": state["winner"],
            "formula": conv_size_formula(
                size, values["pool_size"], values["strides"], values["padding"]
            ),
            **keras_shape(keras_pool_output_shape, **self._config(values)),
        }

    def _draw(self):
        state = self.state
        return viz.plot_pooling_step(
            self._config(state), state["step"], state["input_values"], dpi=DPI
        )

    def _describe(self):
        state = self.state
        row, col = state["position"]
        call = viz.pooling_call(self._config(state))
        winner = "" if state["winner"] is None else f" (the maximum sits at {state['winner']})"
        return (
            f"<p><b>Output size</b> {html.escape(state['formula'])}<br>"
            f"<b>out[{row}, {col}]</b> = <b>{state['output_value']:g}</b>{winner}<br>"
            f"{keras_readout(state, call)}</p>"
        )
