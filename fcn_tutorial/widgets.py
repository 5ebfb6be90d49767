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

Introduced in ``02_convolution.ipynb``, ``03_pooling.ipynb`` and
``04_transposed_convolution.ipynb``.
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
    "SegmentationBrowser",
    "TransposedConvolutionExplorer",
    "conv_size_formula",
    "filter_image",
    "keras_conv_output_shape",
    "keras_pool_output_shape",
    "keras_transposed_output_shape",
    "output_range",
    "to_grey",
    "transposed_size_formula",
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
        self.widget.add_class("fcn-explorer")  # what tests/browser/ looks for
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


# --- Transposed convolution ------------------------------------------------------------------

OUTPUT_PADDING_CHOICES = (None, 0, 1, 2, 3)


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


class TransposedConvolutionExplorer(_Explorer):
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
            ``formula``, ``keras_output_shape`` and ``error`` (a message, e.g. for
            ``output_padding >= strides``, with nothing drawn).

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
        if padding not in PADDING_CHOICES:
            raise ValueError(f"padding {padding!r} is not offered: use one of {PADDING_CHOICES}.")
        if output_padding not in OUTPUT_PADDING_CHOICES:
            raise ValueError(
                f"output_padding {output_padding!r} is not offered: use one of "
                f"{OUTPUT_PADDING_CHOICES}."
            )
        if view not in viz.TRANSPOSED_VIEWS:
            raise ValueError(f"unknown view {view!r}: use one of {viz.TRANSPOSED_VIEWS}.")
        self._build(
            {
                "view": _choice("view", viz.TRANSPOSED_VIEWS, view, widgets.ToggleButtons),
                # Small enough that the largest canvas (14×14) still redraws quickly.
                "input_size": _slider("input_size", input_size, 1, 4),
                "kernel_size": _slider("kernel_size", kernel_size, 1, 5),
                "strides": _slider("strides", strides, 1, 3),
                "padding": _choice("padding", PADDING_CHOICES, padding),
                "output_padding": _choice("output_padding", OUTPUT_PADDING_CHOICES, output_padding),
                "step": _slider("step", 0, 0, 0),
            }
        )

    def _config(self, values):
        names = ("input_size", "kernel_size", "strides", "padding", "output_padding")
        return {name: values[name] for name in names}

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
        keras_shape, keras_note = None, None
        try:
            keras_shape = keras_transposed_output_shape(**config)
        except ValueError as refusal:
            keras_note = f"Keras refuses this layer: {refusal}"
        names = ("steps", "output_size", "full_size", "crop", "inserted_zeros", "pad")
        return {
            **values,
            **{name: geometry[name] for name in names},
            "padded_size": geometry["padded_size"],
            "position": geometry["position"],
            "window": geometry["window"],
            "input_values": input_values,
            "kernel": kernel,
            "output": output,
            "value": float(input_values[row, col] if scatter else output[row, col]),
            "formula": transposed_size_formula(**config),
            "keras_output_shape": keras_shape,
            "keras_note": keras_note,
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
        padding, crop = state["padding"], ""
        if not isinstance(padding, str):
            padding, crop = "valid", f" + Cropping2D({state['padding']})"
        layer = (
            f"Conv2DTranspose(filters=1, kernel_size={state['kernel_size']}, "
            f"strides={state['strides']}, padding={padding!r}, "
            f"output_padding={state['output_padding']!r}){crop}"
        )
        shape = (1, state["input_size"], state["input_size"], 1)
        keras = (
            f"<b>Keras</b> {_code(layer)}: {_code(shape)} → {_code(state['keras_output_shape'])}"
        )
        if state["keras_note"]:
            keras = html.escape(state["keras_note"])
        return f"<p><b>Output size</b> {html.escape(state['formula'])}<br>{action}<br>{keras}</p>"


class SegmentationBrowser(_Explorer):
    """Page through a segmentation dataset: photo, labels and overlay, class by class.

    Works for every loader's output: the synthetic scenes, CamVid, your own folders, or
    KITTI road (``class_names=KITTI_CLASS_NAMES, palette=KITTI_PALETTE``). Labels without
    a name (void) and hidden classes are left unpainted: black in the label panel, the
    bare photo in the overlay.

    Args:
        images: ``(N, H, W, 3) uint8``, or a list of ``(H, W, 3) uint8`` (sizes may differ).
        masks: ``(N, H, W)`` integer labels, or a list of ``(H, W)``.
        class_names: one name per label ``0 .. C - 1``; ``None`` gives CamVid's 11.
        palette: ``(C', 3) uint8`` colours, row ``i`` for label ``i``, ``C' >= C``;
            ``None`` gives CamVid's ``PALETTE``.
        index: the image shown first.
        alpha: the starting opacity of the label colours in the overlay, 0 to 1.

    Attributes:
        controls: ``index`` and ``alpha`` sliders, and a checkbox per class keyed
            ``"show[<name>]"`` (``"show[Car]"``).
        state: ``index``, ``alpha``, ``visible`` (names of the classes shown),
            ``pixel_counts`` (``{name: pixels}`` in this image, unnamed labels as
            ``"void"``), ``shape`` ``(H, W)`` and ``error``.

    Raises:
        ValueError: for image and mask lists of different lengths, an empty dataset, or
            a palette with fewer colours than classes.

    Example:
        >>> images, masks = np.zeros((2, 4, 6, 3), "uint8"), np.full((2, 4, 6), 3, "uint8")
        >>> browser = SegmentationBrowser(images, masks)
        >>> browser.controls["show[Road]"].value = False
        >>> browser.state["pixel_counts"]["Road"], "Road" in browser.state["visible"]
        (24, False)
    """

    def __init__(self, images, masks, class_names=None, palette=None, index=0, alpha=0.5):
        if class_names is None or palette is None:
            # Imported here: widgets sit below the data layer (tests/test_packaging.py).
            from fcn_tutorial.datasets import classes

            class_names = classes.CLASS_NAMES if class_names is None else class_names
            palette = classes.PALETTE if palette is None else palette
        if len(images) != len(masks) or len(images) == 0:
            raise ValueError(
                f"{len(images)} images and {len(masks)} masks: pass one mask per image, "
                "at least one."
            )
        self.images, self.masks = images, masks
        self.class_names = tuple(class_names)
        self.palette = np.asarray(palette, dtype=np.uint8)
        if self.palette.ndim != 2 or len(self.palette) < len(self.class_names):
            raise ValueError(
                f"palette has shape {self.palette.shape} for {len(self.class_names)} classes: "
                "pass (C, 3) colours with a row for every class."
            )
        controls = {
            "index": _slider("image", index, 0, len(images) - 1),
            "alpha": widgets.FloatSlider(
                value=alpha,
                min=0,
                max=1,
                step=0.05,
                description="opacity",
                continuous_update=False,
            ),
        }
        for name in self.class_names:
            controls[f"show[{name}]"] = widgets.Checkbox(
                value=True, description=name, indent=False, layout=widgets.Layout(width="130px")
            )
        self._build(controls)

    def _layout(self):
        boxes = [self.controls[f"show[{name}]"] for name in self.class_names]
        grid = widgets.GridBox(
            boxes, layout=widgets.Layout(grid_template_columns="repeat(2, 135px)")
        )
        return [self.controls["index"], self.controls["alpha"], grid]

    def _compute(self, values):
        index = values["index"]
        image, mask = np.asarray(self.images[index]), np.asarray(self.masks[index])
        if image.ndim != 3 or image.shape[-1] != 3 or image.shape[:2] != mask.shape:
            raise ValueError(
                f"image {index} {image.shape} and mask {mask.shape} do not match: pass "
                "(H, W, 3) images and (H, W) masks of the same size."
            )
        if not np.issubdtype(mask.dtype, np.integer) or (mask.size and mask.min() < 0):
            raise ValueError(f"mask {index} must hold labels >= 0 as integers, not {mask.dtype}.")
        counts = np.bincount(mask.ravel(), minlength=len(self.class_names))
        pixel_counts = {name: int(counts[k]) for k, name in enumerate(self.class_names)}
        pixel_counts["void"] = int(mask.size - sum(pixel_counts.values()))
        self._image, self._mask = image, mask
        return {
            "index": index,
            "alpha": values["alpha"],
            "visible": [name for name in self.class_names if values[f"show[{name}]"]],
            "pixel_counts": pixel_counts,
            "shape": mask.shape,
        }

    def panels(self) -> dict:
        """The three pictures of the current state.

        Returns:
            dict of ``(H, W, 3) uint8``: ``image``, ``labels`` (class colours, black where
            void or hidden) and ``overlay`` (colours blended over the photo at ``alpha``).
        """
        size = max(int(self._mask.max(initial=0)) + 1, len(self.palette))
        shown = np.zeros(size, bool)
        shown[[self.class_names.index(name) for name in self.state["visible"]]] = True
        colours = np.zeros((size, 3), np.float32)
        colours[: len(self.palette)] = self.palette
        painted = shown[self._mask][..., None]
        photo = self._image.astype(np.float32)
        alpha = self.state["alpha"]
        blend = np.where(painted, (1 - alpha) * photo + alpha * colours[self._mask], photo)
        return {
            "image": self._image.astype(np.uint8),
            "labels": np.where(painted, colours[self._mask], 0).astype(np.uint8),
            "overlay": np.clip(blend + 0.5, 0, 255).astype(np.uint8),
        }

    def _draw(self):
        from matplotlib.patches import Patch

        height, width = self.state["shape"]
        fig = viz.new_figure(12, 4 * height / width + 1.0, dpi=DPI)
        axes = fig.subplots(1, 3)
        fig.subplots_adjust(left=0.01, right=0.99, top=0.9, bottom=0.2, wspace=0.03)
        panels = self.panels()
        titles = [
            f"image {self.state['index']}",
            "labels",
            f"overlay, opacity {self.state['alpha']:.2f}",
        ]
        for ax, key, title in zip(axes, ("image", "labels", "overlay"), titles):
            ax.imshow(panels[key])
            ax.set_title(title, fontsize=10)
            ax.set_axis_off()
        total = height * width
        handles = [
            Patch(
                facecolor=self.palette[self.class_names.index(name)] / 255,
                edgecolor="black",
                linewidth=0.5,
                label=f"{name} {100 * self.state['pixel_counts'][name] / total:.0f}%",
            )
            for name in self.state["visible"]
            if self.state["pixel_counts"][name]
        ]
        if handles:
            fig.legend(
                handles=handles,
                loc="lower center",
                ncol=min(6, len(handles)),
                fontsize=9,
                frameon=False,
            )
        return fig

    def _describe(self):
        counts = self.state["pixel_counts"]
        total = sum(counts.values())
        top = sorted(counts.items(), key=lambda item: -item[1])[:5]
        shares = ", ".join(f"{html.escape(name)} {100 * n / total:.0f}%" for name, n in top if n)
        height, width = self.state["shape"]
        return (
            f"<p>image {self.state['index']} of {len(self.images)} ({width}×{height}); "
            f"largest shares: {shares}</p>"
        )
