"""Interactive explorers: drag a slider, watch a convolution, a pooling or a receptive field.

Each explorer is a small class that owns its controls and its output:

- ``controls``: the ipywidgets, keyed by the Keras argument they set (``strides`` ...);
- ``state``: a plain dict of the current values and everything derived from them,
  recomputed on every change (``state["error"]`` holds a message, or ``None``);
- ``widget``: the controls, the drawing (an ``ipywidgets.Image``) and a readout;
- ``figure()``: the current drawing as a matplotlib Figure, for a static snapshot
  that GitHub can render.

An explorer displays itself when it ends a cell. Tests drive it without a browser:
``explorer.controls["strides"].value = 2`` then assert on ``explorer.state``.

Introduced in ``02_convolution.ipynb`` and ``03_pooling.ipynb``.
"""

from __future__ import annotations

import base64
import functools
import html

import ipywidgets as widgets
import numpy as np

from fcn_tutorial import arithmetic, reference, viz
from fcn_tutorial.samples import load_sample

__all__ = [
    "PRESETS",
    "ConvolutionExplorer",
    "FilterPlayground",
    "PoolingExplorer",
    "ReceptiveFieldExplorer",
    "conv_size_formula",
    "filter_image",
    "keras_conv_output_shape",
    "keras_pool_output_shape",
    "output_range",
    "to_grey",
]

# Low enough that a redraw stays well under 0.3 s, high enough to read the numbers.
DPI = 72
SEED = 0
PADDING_CHOICES = ("valid", "same", 0, 1, 2)

PRESETS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "blur": [[0.0625, 0.125, 0.0625], [0.125, 0.25, 0.125], [0.0625, 0.125, 0.0625]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}
"""dict[str, list]: classic 3×3 kernels; ``blur`` is a Gaussian, its weights sum to 1."""


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


def to_grey(image: np.ndarray) -> np.ndarray:
    """Luma of an RGB image (ITU-R 601 weights), or a grey image, scaled to 0..1.

    Args:
        image: ``(H, W, 3)`` or ``(H, W)``, uint8 (0..255) or float (0..1).

    Returns:
        grey: ``(H, W) float32``.
    """
    image = np.asarray(image)
    scale = 255.0 if image.dtype == np.uint8 else 1.0
    image = image.astype(np.float32) / scale
    if image.ndim == 3:
        image = image[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return image


def filter_image(grey: np.ndarray, kernel) -> np.ndarray:
    """Convolve a grey image with a 2-D kernel, ``padding="same"``, via ``reference.conv2d``.

    Returns:
        filtered: ``(H, W) float32``.
    """
    return reference.conv2d(np.asarray(grey)[..., None], np.asarray(kernel), padding="same")[..., 0]


def output_range(kernel) -> tuple:
    """Display range of a filtered grey image.

    Returns:
        tuple: ``(0, 1)`` for a kernel whose weights sum to 1 (it keeps the brightness,
        so clipping shows what it does), ``(None, None)`` (the output's own range) else.
    """
    return (0, 1) if np.isclose(np.sum(kernel), 1) else (None, None)


def _slider(description, value, low, high):
    return widgets.IntSlider(
        value=value,
        min=low,
        max=high,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
    )


def _choice(description, options, value, cls=widgets.Dropdown):
    options = [(str(option), option) for option in options]
    return cls(
        options=options,
        value=value,
        description=description,
        style={"description_width": "initial"},
    )


def _code(text) -> str:
    return f"<code>{html.escape(str(text))}</code>"


class _Explorer:
    """Plumbing shared by the explorers: observe, recompute the state, redraw."""

    def _build(self, controls: dict) -> None:
        self.controls = controls
        self.state: dict = {}
        self.image = widgets.Image(format="png")
        self.readout = widgets.HTML()
        self._busy = False
        for control in controls.values():
            control.observe(self.update, names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([widgets.VBox(list(self._layout())), self.image]), self.readout]
        )
        self.update()

    def _layout(self):
        return self.controls.values()

    def update(self, change=None) -> dict:
        """Recompute ``state`` from the controls and redraw; called on every change."""
        # Syncing controls (a slider's new max clamps its value) fires more changes.
        if self._busy:
            return self.state
        self._busy = True
        try:
            values = {name: control.value for name, control in self.controls.items()}
            try:
                self._sync_controls(change)
                values = {name: control.value for name, control in self.controls.items()}
                self.state = {**self._compute(values), "error": None}
            except ValueError as error:
                self.state = {**values, "error": str(error)}
            self.image.value = viz.figure_to_png(self.figure())
            self.readout.value = self._readout()
        finally:
            self._busy = False
        return self.state

    def _sync_controls(self, change) -> None:
        pass

    def figure(self) -> viz.TutorialFigure:
        """The current drawing, or the error message in its place."""
        if self.state["error"] is not None:
            return viz.message_figure(self.state["error"], dpi=DPI)
        return self._draw()

    def _readout(self) -> str:
        if self.state["error"] is not None:
            message = html.escape(self.state["error"])
            return f'<p style="color:#b00020"><b>Not possible:</b> {message}</p>'
        return self._describe()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # A front end without a live kernel (GitHub, nbviewer, a saved notebook) cannot
        # draw the widget; it falls back to this snapshot of the figure instead.
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle


class ConvolutionExplorer(_Explorer):
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

    Example:
        >>> explorer = ConvolutionExplorer()
        >>> explorer.controls["strides"].value = 2
        >>> explorer.state["output_size"]
        2
    """

    def __init__(self, input_size=5, kernel_size=3, strides=1, padding="valid", dilation_rate=1):
        if padding not in PADDING_CHOICES:
            raise ValueError(f"padding {padding!r} is not offered: use one of {PADDING_CHOICES}.")
        self._build(
            {
                "input_size": _slider("input_size", input_size, 3, 9),
                "kernel_size": _slider("kernel_size", kernel_size, 1, 5),
                "strides": _slider("strides", strides, 1, 3),
                "padding": _choice("padding", PADDING_CHOICES, padding),
                "dilation_rate": _slider("dilation_rate", dilation_rate, 1, 3),
                "step": _slider("step (output position)", 0, 0, 0),
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
        keras_shape, keras_note = None, None
        try:
            keras_shape = keras_conv_output_shape(**config)
        except ValueError as refusal:
            # Not our error: the arithmetic holds, Keras just does not implement it.
            keras_note = f"Keras refuses this layer: {refusal}"
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
            "keras_output_shape": keras_shape,
            "keras_note": keras_note,
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
        padding = state["padding"]
        layer = (
            f"Conv2D(filters=1, kernel_size={state['kernel_size']}, strides={state['strides']}, "
            f"padding={padding!r}, dilation_rate={state['dilation_rate']})"
        )
        if not isinstance(padding, str):
            layer = f"ZeroPadding2D({padding}) then " + layer.replace(repr(padding), "'valid'")
        shape = (1, state["input_size"], state["input_size"], 1)
        keras = (
            f"<b>Keras</b> {_code(layer)}: {_code(shape)} → {_code(state['keras_output_shape'])}"
        )
        if state["keras_note"]:
            keras = html.escape(state["keras_note"])
        return (
            f"<p><b>Output size</b> {html.escape(state['formula'])}<br>"
            f"<b>out[{row}, {col}]</b> = {terms} = <b>{state['output_value']:g}</b><br>"
            f"{keras}</p>"
        )


def _conv_kwargs(config):
    return {
        "strides": config["strides"],
        "padding": config["padding"],
        "dilation_rate": config["dilation_rate"],
    }


class PoolingExplorer(_Explorer):
    """Slide a max or average pooling window over small integers.

    Args:
        input_size, pool_size, strides, padding: the starting values, as
            ``keras.layers.MaxPooling2D``'s arguments (padding ``"valid"`` or ``"same"``).
        mode: ``"max"`` or ``"avg"``.

    Attributes:
        state: the arguments plus ``mode``, ``step``, ``output_size``, ``position``,
            ``window``, ``input_values``, ``output_value``, ``winner`` (input row, col of
            the window's maximum; ``None`` for average pooling), ``formula``,
            ``keras_output_shape`` and ``error``.
    """

    def __init__(self, input_size=6, pool_size=2, strides=2, padding="valid", mode="max"):
        self._build(
            {
                "mode": _choice("mode", ("max", "avg"), mode, widgets.ToggleButtons),
                "input_size": _slider("input_size", input_size, 2, 8),
                "pool_size": _slider("pool_size", pool_size, 1, 4),
                "strides": _slider("strides", strides, 1, 4),
                "padding": _choice("padding", ("valid", "same"), padding, widgets.ToggleButtons),
                "step": _slider("step (output position)", 0, 0, 0),
            }
        )

    def _sync_controls(self, change):
        values = {name: control.value for name, control in self.controls.items()}
        output_size = arithmetic.pool_output_size(
            values["input_size"], values["pool_size"], values["strides"], values["padding"]
        )
        self.controls["step"].max = output_size**2 - 1

    def _compute(self, values):
        size = values["input_size"]
        input_values = np.random.default_rng(SEED).integers(0, 10, (size, size))
        state = viz.pool_step(
            input_values,
            values["pool_size"],
            values["strides"],
            values["padding"],
            values["mode"],
            values["step"],
        )
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
            "keras_output_shape": keras_pool_output_shape(
                values["mode"], size, values["pool_size"], values["strides"], values["padding"]
            ),
        }

    def _draw(self):
        state = self.state
        return viz.plot_pooling_step(
            state["input_values"],
            state["pool_size"],
            state["strides"],
            state["padding"],
            state["mode"],
            state["step"],
            dpi=DPI,
        )

    def _describe(self):
        state = self.state
        row, col = state["position"]
        layer = "MaxPooling2D" if state["mode"] == "max" else "AveragePooling2D"
        call = (
            f"{layer}(pool_size={state['pool_size']}, strides={state['strides']}, "
            f"padding={state['padding']!r})"
        )
        shape = (1, state["input_size"], state["input_size"], 1)
        winner = "" if state["winner"] is None else f" (the maximum sits at {state['winner']})"
        return (
            f"<p><b>Output size</b> {html.escape(state['formula'])}<br>"
            f"<b>out[{row}, {col}]</b> = <b>{state['output_value']:g}</b>{winner}<br>"
            f"<b>Keras</b> {_code(call)}: {_code(shape)} → "
            f"{_code(state['keras_output_shape'])}</p>"
        )


class FilterPlayground(_Explorer):
    """Edit a 3×3 kernel, or pick a classic one, and see it filter a real photo.

    Args:
        image: ``(H, W, 3) uint8`` or ``(H, W)``; defaults to Chelsea the cat, 128×128.

    Attributes:
        controls: ``preset`` and one ``FloatText`` per weight, ``"kernel[r,c]"``.
        state: ``kernel`` (3×3 list), ``preset`` (a name of :data:`PRESETS` or
            ``"custom"``), ``output_stats`` (``min``, ``max``, ``mean``) and ``error``.
    """

    def __init__(self, image: np.ndarray | None = None, preset: str = "sobel_x"):
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}: choose one of {list(PRESETS)}.")
        self.grey = to_grey(load_sample("chelsea", size=128) if image is None else image)
        controls = {"preset": _choice("preset", [*PRESETS, "custom"], preset)}
        for r in range(3):
            for c in range(3):
                controls[f"kernel[{r},{c}]"] = widgets.FloatText(
                    value=PRESETS[preset][r][c], layout=widgets.Layout(width="70px")
                )
        self._build(controls)

    def _layout(self):
        cells = [self.controls[f"kernel[{r},{c}]"] for r in range(3) for c in range(3)]
        grid = widgets.GridBox(
            cells, layout=widgets.Layout(grid_template_columns="repeat(3, 76px)")
        )
        return [self.controls["preset"], grid]

    def _kernel(self):
        return [[self.controls[f"kernel[{r},{c}]"].value for c in range(3)] for r in range(3)]

    def _sync_controls(self, change):
        preset = self.controls["preset"]
        if change is not None and change["owner"] is preset and preset.value in PRESETS:
            for r in range(3):
                for c in range(3):
                    self.controls[f"kernel[{r},{c}]"].value = PRESETS[preset.value][r][c]
        kernel = np.array(self._kernel())
        matches = [name for name, weights in PRESETS.items() if np.allclose(kernel, weights)]
        preset.value = matches[0] if matches else "custom"

    def _compute(self, values):
        kernel = self._kernel()
        if not np.all(np.isfinite(kernel)):
            raise ValueError("every kernel weight must be a finite number: retype the cell.")
        output = filter_image(self.grey, kernel)
        return {
            "kernel": kernel,
            "preset": values["preset"],
            "output": output,
            "output_stats": {
                "min": float(output.min()),
                "max": float(output.max()),
                "mean": float(output.mean()),
            },
        }

    def _draw(self):
        fig = viz.new_figure(9, 3.3, dpi=DPI)
        axes = fig.subplots(1, 3)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.88, wspace=0.1)
        kernel = np.array(self.state["kernel"])
        axes[0].imshow(self.grey, cmap="gray", vmin=0, vmax=1)
        axes[0].set_title("input (grey)")
        viz.draw_kernel(axes[1], kernel)
        axes[1].set_title(f"kernel: {self.state['preset']}")
        vmin, vmax = output_range(kernel)
        axes[2].imshow(self.state["output"], cmap="gray", vmin=vmin, vmax=vmax)
        stats = self.state["output_stats"]
        axes[2].set_title(f"output, {stats['min']:.2f} to {stats['max']:.2f}")
        for ax in axes:
            ax.set_axis_off()
        return fig

    def _describe(self):
        stats = self.state["output_stats"]
        return (
            f"<p><b>{html.escape(self.state['preset'])}</b>: output min {stats['min']:.3f}, "
            f"max {stats['max']:.3f}, mean {stats['mean']:.3f} "
            '(grey input in 0..1, <code>padding="same"</code>)</p>'
        )


class ReceptiveFieldExplorer(_Explorer):
    """Pick a VGG16 layer and one of its units; see the pixels that unit can see.

    Args:
        image: a square image, by default Chelsea at 224×224 (VGG16's input size).

    Attributes:
        controls: ``layer_name``, ``row`` and ``col`` (the unit).
        state: ``layer_name``, ``output_size``, ``receptive_field``, ``jump``, ``start``,
            ``unit``, ``box`` (top, left, bottom, right in pixels, clipped to the image,
            bottom and right exclusive) and ``error``.
    """

    def __init__(self, image: np.ndarray | None = None, layer_name: str = "block3_pool"):
        self.picture = load_sample("chelsea", size=224) if image is None else np.asarray(image)
        names = [name for name, *_ in arithmetic.VGG16_LAYERS]
        if layer_name not in names:
            raise ValueError(f"unknown VGG16 layer {layer_name!r}: choose one of {names}.")
        info = viz.receptive_field_box(self.picture.shape[0], layer_name)
        last = info["output_size"] - 1
        self._build(
            {
                "layer_name": _choice("layer", names, layer_name),
                "row": _slider("unit row", info["unit"][0], 0, last),
                "col": _slider("unit col", info["unit"][1], 0, last),
            }
        )

    def _sync_controls(self, change):
        if change is None or change["owner"] is not self.controls["layer_name"]:
            return
        centres = self.state.get("centre", (self.picture.shape[0] / 2,) * 2)
        # Keep looking at the same place: pick the new layer's unit nearest the old centre.
        info = viz.receptive_field_box(self.picture.shape[0], change["new"], (0, 0))
        last = info["output_size"] - 1
        for name, centre in zip(("row", "col"), centres, strict=True):
            unit = round((centre - info["start"]) / info["jump"])
            self.controls[name].max = last
            self.controls[name].value = min(max(unit, 0), last)

    def _compute(self, values):
        unit = (values["row"], values["col"])
        return viz.receptive_field_box(self.picture.shape[0], values["layer_name"], unit)

    def _draw(self):
        return viz.plot_receptive_field(
            self.picture, self.state["layer_name"], self.state["unit"], dpi=DPI
        )

    def _describe(self):
        state = self.state
        top, left, bottom, right = state["box"]
        return (
            f"<p><b>{state['layer_name']}</b>: {state['output_size']}×{state['output_size']} "
            f"units, neighbours {state['jump']} px apart. Unit {state['unit']} sees a "
            f"{state['receptive_field']}×{state['receptive_field']} px field; inside the image "
            f"that is rows {top}..{bottom - 1}, columns {left}..{right - 1}.</p>"
        )
