"""The transposed-convolution explorer (``04_transposed_convolution.ipynb``)."""

from __future__ import annotations

import functools
import html

import ipywidgets as widgets

from fcn_tutorial import arithmetic, reference, viz
from fcn_tutorial.widgets.base import (
    DPI,
    SEED,
    Explorer,
    check_option,
    choice,
    keras_readout,
    keras_shape,
    slider,
)
from fcn_tutorial.widgets.convolution import (
    PADDING_CHOICES,
)

__all__ = [
    "transposed_size_formula",
    "keras_transposed_output_shape",
    "TransposedConvolutionExplorer",
]

# --- Transposed convolution ------------------------------------------------------------------

OUTPUT_PADDING_CHOICES = (None, 0, 1, 2, 3)
_DEFAULT = "default"


def transposed_size_formula(
    input_size: int,
    kernel_size: int,
    strides: int = 1,
    padding: str | int = "valid",
    output_padding: int | None = None,
) -> str:
    """The transposed convolution's output-size formula with the numbers filled in.

    Returns:
        str: e.g. ``"o = (2 − 1)·2 + 3 + 0 = 5"``; Keras' default ``output_padding`` is
        spelled out first where it applies, and the result comes from ``arithmetic``.

    Raises:
        ValueError: as :func:`arithmetic.transposed_conv_output_size`.

    Example:
        >>> transposed_size_formula(3, 3, strides=2, padding="same")
        'o = 3·2 = 6'
        >>> transposed_size_formula(3, 3, strides=2, padding=1, output_padding=1)
        'o = (3 − 1)·2 + 3 + 1 − 2·1 = 6'
    """
    output_size = arithmetic.transposed_conv_output_size(
        input_size, kernel_size, strides, padding, output_padding
    )
    base = f"({input_size} − 1)·{strides}"
    if padding == "same":
        if output_padding is None:
            return f"o = {input_size}·{strides} = {output_size}"
        return f"o = {base} + {kernel_size} mod 2 + {output_padding} = {output_size}"
    prefix = ""
    if output_padding is None:
        output_padding = max(kernel_size, strides) - kernel_size
        prefix = f"a = max({kernel_size}, {strides}) − {kernel_size} = {output_padding};  "
    crop = "" if padding == "valid" else f" − 2·{padding}"
    return f"{prefix}o = {base} + {kernel_size} + {output_padding}{crop} = {output_size}"


@functools.lru_cache(maxsize=512)
def keras_transposed_output_shape(
    input_size: int,
    kernel_size: int,
    strides: int = 1,
    padding: str | int = "valid",
    output_padding: int | None = None,
) -> tuple:
    """What ``keras.layers.Conv2DTranspose(filters=1, ...)`` returns for ``(1, H, W, 1)``.

    An int padding is ``Conv2DTranspose(padding="valid")`` followed by
    ``Cropping2D(padding)``.

    Returns:
        tuple: the output shape ``(1, o, o, 1)``.

    Raises:
        ValueError: Keras' own refusal, e.g. ``output_padding >= strides``.
    """
    from keras import layers

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


def _crop_text(before: int, after: int) -> str:
    parts = [f"{before} cropped at the start"] if before else []
    if after > 0:
        parts.append(f"{after} cropped at the end")
    elif after < 0:
        parts.append(f"{-after} zero(s) appended at the end (output_padding)")
    return "the output is the canvas" + (f", {' and '.join(parts)}" if parts else "")


class TransposedConvolutionExplorer(Explorer):
    """Upsample a tiny input with a transposed convolution, in either of two views.

    ``view="scatter"``: step through the input cells; each stamps a scaled copy of the
    kernel onto the output. ``view="zero_insertion"``: step through the output cells; a
    stride-1 convolution with the flipped kernel slides over the input stretched with
    zeros. Both give the same numbers (``reference.conv2d_transpose``).

    Args:
        input_size, kernel_size, strides, padding, output_padding: the starting values,
            as ``keras.layers.Conv2DTranspose``'s arguments; ``padding`` is one of
            ``"valid"``, ``"same"``, 0, 1, 2 (an int crops that many pixels each side,
            ``Cropping2D``), ``output_padding`` one of ``None``, 0, 1, 2, 3.
        view: ``"scatter"`` or ``"zero_insertion"``.

    Attributes:
        state: the arguments plus ``view``, ``step``, ``steps``, ``output_size``,
            ``full_size``, ``crop``, ``inserted_zeros``, ``pad``, ``padded_size``,
            ``position`` (input cell in the scatter view, output cell in the other),
            ``window``, ``input_values``, ``kernel``, ``output`` (the whole output),
            ``value`` (the stamping input value, or the output cell's value),
            ``formula``, ``keras_output_shape`` (``None`` where Keras refuses the layer,
            ``keras_note`` then says why) and ``error`` (a message, e.g. for
            ``output_padding >= strides``, with nothing drawn).

    Raises:
        ValueError: for a starting value the controls do not offer, named with what works:
            input_size 1..4, kernel_size 1..5, strides 1..3, and the ``padding``,
            ``output_padding`` and ``view`` above.

    Example:
        >>> explorer = TransposedConvolutionExplorer()
        >>> explorer.controls["strides"].value = 2
        >>> explorer.state["output_size"]
        5
    """

    def __init__(
        self,
        input_size=2,
        kernel_size=3,
        strides=1,
        padding="valid",
        output_padding=None,
        view="scatter",
    ):
        # The dropdown holds a stand-in for None, so choice() cannot check this one.
        check_option("output_padding", output_padding, OUTPUT_PADDING_CHOICES)
        self._build(
            {
                "view": choice("view", viz.TRANSPOSED_VIEWS, view, widgets.ToggleButtons),
                # Small enough that the largest canvas (14×14) still redraws quickly.
                "input_size": slider("input_size", input_size, 1, 4),
                "kernel_size": slider("kernel_size", kernel_size, 1, 5),
                "strides": slider("strides", strides, 1, 3),
                "padding": choice("padding", PADDING_CHOICES, padding),
                # ipywidgets reads a value of None as "nothing selected", so the
                # dropdown holds a stand-in for Keras' default and _config maps it back.
                "output_padding": widgets.Dropdown(
                    options=[("None (Keras' default)", _DEFAULT)]
                    + [(str(a), a) for a in OUTPUT_PADDING_CHOICES if a is not None],
                    value=_DEFAULT if output_padding is None else output_padding,
                    description="output_padding",
                    style={"description_width": "initial"},
                ),
                "step": slider("step", 0, 0, 0),
            }
        )

    def _config(self, values):
        names = ("input_size", "kernel_size", "strides", "padding", "output_padding")
        config = {name: values[name] for name in names}
        if config["output_padding"] == _DEFAULT:
            config["output_padding"] = None
        return config

    def _sync_controls(self, change):
        values = {name: control.value for name, control in self.controls.items()}
        geometry = viz.transposed_step(self._config(values), 0, values["view"])
        step = self.controls["step"]
        step.max = geometry["steps"] - 1
        step.description = (
            "step (input cell)" if values["view"] == "scatter" else "step (output cell)"
        )

    def _compute(self, values):
        config = self._config(values)
        geometry = viz.transposed_step(config, values["step"], values["view"])
        input_values, kernel = viz.sample_conv_values(
            config["input_size"], config["kernel_size"], SEED
        )
        output = reference.conv2d_transpose(
            input_values[..., None],
            kernel,
            config["strides"],
            config["padding"],
            config["output_padding"],
        )[..., 0]
        row, col = geometry["position"]
        scatter = values["view"] == "scatter"
        names = ("steps", "output_size", "full_size", "crop", "inserted_zeros", "pad")
        return {
            **values,
            "output_padding": config["output_padding"],
            **{name: geometry[name] for name in names},
            "padded_size": geometry["padded_size"],
            "position": geometry["position"],
            "window": geometry["window"],
            "input_values": input_values,
            "kernel": kernel,
            "output": output,
            "value": float(input_values[row, col] if scatter else output[row, col]),
            "formula": transposed_size_formula(**config),
            **keras_shape(keras_transposed_output_shape, **config),
        }

    def _draw(self):
        state = self.state
        return viz.plot_transposed_step(
            self._config(state),
            state["step"],
            state["view"],
            state["input_values"],
            state["kernel"],
            dpi=DPI,
        )

    def _describe(self):
        state = self.state
        row, col = state["position"]
        if state["view"] == "scatter":
            top, left = state["window"]
            action = (
                f"<b>x[{row}, {col}]</b> = {state['value']:g} stamps {state['value']:g} × "
                f"kernel at ({top}, {left}) of the {state['full_size']}×{state['full_size']} "
                f"canvas; {_crop_text(*state['crop'])}"
            )
        else:
            action = (
                f"{state['inserted_zeros']} zero(s) between inputs, padding {state['pad']}, "
                f"flipped kernel at stride 1: <b>out[{row}, {col}]</b> = "
                f"<b>{state['value']:g}</b>"
            )
        names = ("kernel_size", "strides", "padding", "output_padding")
        call = viz.keras_call("Conv2DTranspose", filters=1, **{name: state[name] for name in names})
        keras = keras_readout(state, call)
        return f"<p><b>Output size</b> {html.escape(state['formula'])}<br>{action}<br>{keras}</p>"
