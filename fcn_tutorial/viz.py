"""Drawings for the notebooks: convolution grids, feature maps, receptive fields, animations.

The grids follow the convolution-arithmetic guide (Dumoulin & Visin, 2016): the input
is blue, padding is white with dashed edges, the kernel window is shaded dark over the
input and the output is cyan with the cell being computed highlighted. Every size is
computed with :mod:`fcn_tutorial.arithmetic` and every number with
:mod:`fcn_tutorial.reference`, so a drawing can never disagree with the lesson.

Nothing here touches pyplot: each function returns a fresh ``Figure`` that displays
itself in a notebook, and the caller decides whether to show, save or animate it.

Introduced in ``02_convolution.ipynb`` (grids, animations, feature maps) and
``03_pooling.ipynb`` (pooling, receptive fields).
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from fcn_tutorial import arithmetic, reference

__all__ = [
    "TutorialFigure",
    "new_figure",
    "figure_to_array",
    "figure_to_png",
    "message_figure",
    "CONV_CONFIGS",
    "conv_step",
    "draw_kernel",
    "sample_conv_values",
    "plot_convolution_step",
    "pool_step",
    "plot_pooling_step",
    "plot_feature_maps",
    "plot_images",
    "receptive_field_box",
    "plot_receptive_field",
    "plot_receptive_fields",
    "Animation",
    "animate",
]

# The guide's palette: blue input, white padding, dark kernel shade, cyan output.
INPUT_COLOR = "#7fb2e5"
PADDING_COLOR = "#ffffff"
KERNEL_COLOR = "#1d3f73"
OUTPUT_COLOR = "#a6e3e3"
CURRENT_COLOR = "#138c8c"
WINNER_COLOR = "#f2a93b"
EDGE_COLOR = "#33414d"

CELL_INCHES = 0.42


class TutorialFigure(Figure):
    """A matplotlib ``Figure`` that shows itself as a PNG when a notebook cell returns it.

    A bare ``Figure`` only displays inline once pyplot has loaded the inline backend;
    since this library never imports pyplot, its figures carry their own ``_repr_png_``.
    """

    def _repr_png_(self) -> bytes:
        return figure_to_png(self)


def new_figure(width: float, height: float, dpi: float = 100) -> TutorialFigure:
    """A figure with an Agg canvas, independent of pyplot and its global state.

    Args:
        width: width in inches.
        height: height in inches.
        dpi: pixels per inch.

    Returns:
        TutorialFigure: displays inline when it is the last expression of a cell.

    Example:
        >>> figure_to_array(new_figure(2, 1, dpi=50)).shape
        (50, 100, 3)
    """
    fig = TutorialFigure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _agg_canvas(fig: Figure) -> FigureCanvasAgg:
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas


def figure_to_array(fig: Figure) -> np.ndarray:
    """Render a figure to pixels.

    Returns:
        image: ``(H, W, 3) uint8``, ``H = height * dpi`` and ``W = width * dpi``.
    """
    canvas = _agg_canvas(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def figure_to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes, without the timestamp-like "Software" metadata.

    Returns:
        bytes: the same PNG for the same figure on every run.
    """
    buffer = io.BytesIO()
    _agg_canvas(fig).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def message_figure(
    message: str, width: float = 6, height: float = 1.5, dpi: float = 80
) -> TutorialFigure:
    """A figure holding only a message, shown by the explorers in place of a drawing."""
    fig = new_figure(width, height, dpi=dpi)
    # About 8 characters per inch at 11 pt; matplotlib's own wrapping clips centred text.
    fig.text(
        0.5, 0.5, textwrap.fill(message, int(width * 8)), ha="center", va="center", fontsize=11
    )
    return fig


def _format_number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{round(value, 2):g}"


# --- Convolution grids ----------------------------------------------------------------------

# Named like conv_arithmetic's GIFs; add a row to animate a new case.
CONV_CONFIGS = {
    "no_padding_no_strides": {"input_size": 4, "kernel_size": 3},
    "same_padding": {"input_size": 5, "kernel_size": 3, "padding": "same"},
    "full_padding": {"input_size": 5, "kernel_size": 3, "padding": 2},
    "no_padding_strides": {"input_size": 5, "kernel_size": 3, "strides": 2},
    "padding_strides": {"input_size": 5, "kernel_size": 3, "strides": 2, "padding": 1},
    "dilation": {"input_size": 7, "kernel_size": 3, "dilation_rate": 2},
}
"""dict[str, dict]: animation name to ``Conv2D``-style arguments (missing ones default)."""


def conv_step(config: dict, step: int) -> dict:
    """Where the kernel window sits at one step of a convolution.

    Args:
        config: ``input_size`` and ``kernel_size``, optionally ``strides``, ``padding``
            (``"valid"``, ``"same"`` or an int) and ``dilation_rate``.
        step: output position, row-major, in ``0 .. output_size**2 - 1``.

    Returns:
        dict: the arguments plus ``pad`` (before, after), ``padded_size``, ``span``
        (dilated kernel width), ``output_size``, ``position`` (row, col) of the output
        cell, ``window`` (top, left) in padded coordinates and ``taps``, the padded
        (row, col) of every kernel tap, row-major.

    Raises:
        ValueError: for arguments :func:`arithmetic.conv_output_size` rejects, or a step
            outside the output.

    Example:
        >>> conv_step({"input_size": 5, "kernel_size": 3, "strides": 2}, 3)["window"]
        (2, 2)
    """
    input_size, kernel_size = config["input_size"], config["kernel_size"]
    strides = config.get("strides", 1)
    padding = config.get("padding", "valid")
    dilation_rate = config.get("dilation_rate", 1)
    output_size = arithmetic.conv_output_size(
        input_size, kernel_size, strides, padding, dilation_rate
    )
    span = arithmetic.effective_kernel_size(kernel_size, dilation_rate)
    pad = reference.padding_amounts(
        (input_size, input_size), kernel_size, strides, padding, dilation_rate
    )[0]
    padded_size = input_size + sum(pad)
    # The drawing relies on the last window ending inside the padded grid.
    assert (padded_size - span) // strides + 1 == output_size
    if isinstance(step, bool) or not 0 <= step < output_size**2:
        raise ValueError(
            f"step {step!r} is outside the output: a {output_size}×{output_size} output has "
            f"steps 0 to {output_size**2 - 1}."
        )
    row, col = divmod(int(step), output_size)
    top, left = row * strides, col * strides
    taps = [
        (top + a * dilation_rate, left + b * dilation_rate)
        for a in range(kernel_size)
        for b in range(kernel_size)
    ]
    return {
        "input_size": input_size,
        "kernel_size": kernel_size,
        "strides": strides,
        "padding": padding,
        "dilation_rate": dilation_rate,
        "pad": pad,
        "padded_size": padded_size,
        "span": span,
        "output_size": output_size,
        "position": (row, col),
        "window": (top, left),
        "taps": taps,
    }


def sample_conv_values(input_size: int, kernel_size: int, seed: int = 0):
    """Small integers to convolve by hand, like the guide's numerical example.

    Returns:
        tuple: ``input_values`` ``(input_size, input_size) int64`` in 0..3 and ``kernel``
        ``(kernel_size, kernel_size) int64`` in 0..2; the kernel does not depend on the
        input size, so it stays put while a learner drags the input slider.
    """
    input_values = np.random.default_rng(seed).integers(0, 4, (input_size, input_size))
    kernel = np.random.default_rng(seed + 1).integers(0, 3, (kernel_size, kernel_size))
    return input_values, kernel


def _conv_output(input_values, kernel, config):
    output = reference.conv2d(
        np.asarray(input_values, dtype="float64")[..., None],
        np.asarray(kernel, dtype="float64"),
        strides=config.get("strides", 1),
        padding=config.get("padding", "valid"),
        dilation_rate=config.get("dilation_rate", 1),
    )
    return output[..., 0]


def _grid_axes(width_units: float, height_units: float, dpi: float):
    """A figure whose single axes measures in grid cells, row 0 at the top."""
    fig = new_figure(width_units * CELL_INCHES, height_units * CELL_INCHES, dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width_units)
    ax.set_ylim(height_units, 0)
    ax.set_axis_off()
    return fig, ax


def _cell(ax, x, y, face, text=None, dashed=False, text_color="black", fontsize=11):
    ax.add_artist(
        Rectangle(
            (x, y),
            1,
            1,
            facecolor=face,
            edgecolor="#9aa5ad" if dashed else EDGE_COLOR,
            linestyle=(0, (3, 2)) if dashed else "-",
            linewidth=0.8 if dashed else 1.0,
        )
    )
    if text is not None:
        ax.text(
            x + 0.5,
            y + 0.5,
            text,
            ha="center",
            va="center",
            color=text_color,
            fontsize=fontsize,
            zorder=3,
        )


def _shade(ax, x, y, color=KERNEL_COLOR, alpha=0.6):
    ax.add_artist(Rectangle((x, y), 1, 1, facecolor=color, alpha=alpha, edgecolor="none", zorder=2))


def _grid_figure(grid_sizes: Sequence[int], caption_lines: int, dpi: float):
    """Grids side by side under a title line: the figure, its axes and each grid's origin."""
    gap, margin, title = 1.5, 0.6, 1.6
    content = sum(grid_sizes) + gap * (len(grid_sizes) - 1)
    width = max(content + 2 * margin, 12)
    height = max(grid_sizes) + title + 0.5 + 0.6 * caption_lines
    fig, ax = _grid_axes(width, height, dpi)
    x, origins = (width - content) / 2, []
    for size in grid_sizes:
        origins.append((x, title + (max(grid_sizes) - size) / 2))
        x += size + gap
    return fig, ax, origins


def _label_grid(ax, origin, size, label):
    ax.text(origin[0] + size / 2, origin[1] - 0.25, label, ha="center", va="bottom", fontsize=10)


def _input_label(size, padded_size):
    if padded_size == size:
        return f"input {size}×{size}"
    return f"input {size}×{size}, padded to {padded_size}×{padded_size}"


def _draw_output(ax, origin, output_size, step, values=None):
    """Output cells, those computed so far with their value, the current one dark."""
    current = divmod(step, output_size)
    for r in range(output_size):
        for c in range(output_size):
            is_current = (r, c) == current
            text = None
            if values is not None and r * output_size + c <= step:
                text = _format_number(values[r, c])
            _cell(
                ax,
                origin[0] + c,
                origin[1] + r,
                CURRENT_COLOR if is_current else OUTPUT_COLOR,
                text,
                text_color="white" if is_current else "black",
            )


def plot_convolution_step(
    config: dict,
    step: int,
    input_values: np.ndarray | None = None,
    kernel: np.ndarray | None = None,
    dpi: float = 80,
) -> TutorialFigure:
    """One frame of a convolution: the kernel window over the padded input, and the output.

    Args:
        config: ``Conv2D``-style arguments, as in :data:`CONV_CONFIGS`.
        step: output position, row-major (see :func:`conv_step`).
        input_values: optional ``(input_size, input_size)`` numbers to print in the cells.
        kernel: ``(kernel_size, kernel_size)`` weights, required with ``input_values``;
            the output is computed with :func:`reference.conv2d`.
        dpi: pixels per inch (a cell is 0.42 inch).

    Returns:
        TutorialFigure: the padded input on the left with the taps shaded (the holes of
        a dilated kernel stay light) and the output on the right. With numbers, each tap
        shows its weight, the outputs computed so far show their value and the caption
        spells out the current sum.

    Raises:
        ValueError: for an impossible configuration or step, or mismatched value shapes.

    Example:
        >>> fig = plot_convolution_step(CONV_CONFIGS["padding_strides"], step=4)
    """
    geometry = conv_step(config, step)
    size, kernel_size = geometry["input_size"], geometry["kernel_size"]
    numeric = input_values is not None
    if numeric:
        input_values = np.asarray(input_values)
        kernel = None if kernel is None else np.asarray(kernel)
        if input_values.shape != (size, size) or getattr(kernel, "shape", None) != (
            kernel_size,
            kernel_size,
        ):
            raise ValueError(
                f"this config needs input_values of shape ({size}, {size}) and a kernel of "
                f"shape ({kernel_size}, {kernel_size}), got {input_values.shape} and "
                f"{getattr(kernel, 'shape', None)}: make them with sample_conv_values()."
            )
        output = _conv_output(input_values, kernel, config)
    padded_size, output_size = geometry["padded_size"], geometry["output_size"]
    pad_before, (row, col) = geometry["pad"][0], geometry["position"]
    fig, ax, (origin, out_origin) = _grid_figure([padded_size, output_size], numeric, dpi)

    tap_index = {tap: index for index, tap in enumerate(geometry["taps"])}
    terms = []
    for r in range(padded_size):
        for c in range(padded_size):
            x, y = origin[0] + c, origin[1] + r
            inside = 0 <= r - pad_before < size and 0 <= c - pad_before < size
            value = input_values[r - pad_before, c - pad_before] if numeric and inside else 0
            is_tap = (r, c) in tap_index
            text = _format_number(value) if numeric and inside else None
            _cell(
                ax,
                x,
                y,
                INPUT_COLOR if inside else PADDING_COLOR,
                text,
                dashed=not inside,
                text_color="white" if is_tap else "black",
            )
            if is_tap:
                _shade(ax, x, y)
                if numeric:
                    weight = kernel.flat[tap_index[(r, c)]]
                    terms.append((tap_index[(r, c)], value, weight))
                    ax.text(
                        x + 0.95,
                        y + 0.97,
                        f"×{_format_number(weight)}",
                        ha="right",
                        va="bottom",
                        fontsize=7,
                        fontweight="bold",
                        color="#ffe08a",
                        zorder=3,
                    )
    top, left = geometry["window"]
    span = geometry["span"]
    ax.add_artist(
        Rectangle(
            (origin[0] + left, origin[1] + top),
            span,
            span,
            fill=False,
            edgecolor=KERNEL_COLOR,
            linewidth=2.2,
            zorder=4,
        )
    )
    _draw_output(ax, out_origin, output_size, step, output if numeric else None)

    _label_grid(ax, origin, padded_size, _input_label(size, padded_size))
    _label_grid(ax, out_origin, output_size, f"output {output_size}×{output_size}")
    width, height = ax.get_xlim()[1], ax.get_ylim()[0]
    ax.text(
        width / 2,
        0.3,
        f"kernel_size={kernel_size}, strides={geometry['strides']}, "
        f"padding={geometry['padding']!r}, dilation_rate={geometry['dilation_rate']}",
        ha="center",
        va="top",
        fontsize=9,
        family="monospace",
    )
    if numeric:
        products = " + ".join(
            f"{_format_number(v)}·{_format_number(w)}" for _, v, w in sorted(terms)
        )
        ax.text(
            width / 2,
            height - 0.3,
            f"out[{row},{col}] = {products} = {_format_number(output[row, col])}",
            ha="center",
            va="bottom",
            fontsize=9 if kernel_size <= 3 else 7,
        )
    return fig


# --- Pooling --------------------------------------------------------------------------------


def pool_step(
    x: np.ndarray,
    pool_size: int = 2,
    strides: int | None = None,
    padding: str = "valid",
    mode: str = "max",
    step: int = 0,
) -> dict:
    """One step of pooling a 2-D array, with the numbers.

    Args:
        x: ``(H, H)`` values.
        pool_size, strides, padding: as ``keras.layers.MaxPooling2D`` (``strides``
            defaults to ``pool_size``; padding ``"valid"`` or ``"same"``).
        mode: ``"max"`` or ``"avg"``.
        step: output position, row-major.

    Returns:
        dict: the :func:`conv_step` geometry plus ``mode``, ``output`` (the whole pooled
        map, from :func:`reference.max_pool2d` or :func:`reference.avg_pool2d`),
        ``output_value`` and ``winner``, the input (row, col) of the window's maximum
        (first one on ties) for max pooling, ``None`` for average pooling.

    Raises:
        ValueError: for a non-square ``x``, an unknown mode or padding, or a bad step.
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise ValueError(f"x must be a square 2-D array, got shape {x.shape}: crop it square.")
    if mode not in ("max", "avg"):
        raise ValueError(f'mode must be "max" or "avg", got {mode!r}.')
    if padding not in ("valid", "same"):
        raise ValueError(f'pooling padding must be "valid" or "same", got {padding!r}.')
    strides = pool_size if strides is None else strides
    config = {
        "input_size": x.shape[0],
        "kernel_size": pool_size,
        "strides": strides,
        "padding": padding,
    }
    geometry = conv_step(config, step)
    pool = reference.max_pool2d if mode == "max" else reference.avg_pool2d
    output = pool(x[..., None].astype("float64"), pool_size, strides, padding)[..., 0]
    winner = None
    if mode == "max":
        pad = geometry["pad"][0]
        inside = [
            (r - pad, c - pad)
            for r, c in geometry["taps"]
            if 0 <= r - pad < x.shape[0] and 0 <= c - pad < x.shape[0]
        ]
        winner = inside[int(np.argmax([x[r, c] for r, c in inside]))]
    row, col = geometry["position"]
    return {
        **geometry,
        "mode": mode,
        "output": output,
        "output_value": float(output[row, col]),
        "winner": winner,
    }


def plot_pooling_step(
    x: np.ndarray,
    pool_size: int = 2,
    strides: int | None = None,
    padding: str = "valid",
    mode: str = "max",
    step: int = 0,
    dpi: float = 80,
) -> TutorialFigure:
    """One frame of pooling: the window over the numbers and the pooled output.

    Args:
        x: ``(H, H)`` values; other arguments as :func:`pool_step`.
        dpi: pixels per inch.

    Returns:
        TutorialFigure: the window shaded over the input (the maximum in orange for max
        pooling), the outputs computed so far on the right, the reduction in the caption.

    Example:
        >>> x = np.arange(16).reshape(4, 4)
        >>> fig = plot_pooling_step(x, pool_size=2, step=3)
    """
    state = pool_step(x, pool_size, strides, padding, mode, step)
    x = np.asarray(x)
    size, padded_size = x.shape[0], state["padded_size"]
    output_size, pad = state["output_size"], state["pad"][0]
    fig, ax, (origin, out_origin) = _grid_figure([padded_size, output_size], 1, dpi)
    taps = set(state["taps"])
    values = []
    for r in range(padded_size):
        for c in range(padded_size):
            px, py = origin[0] + c, origin[1] + r
            inside = 0 <= r - pad < size and 0 <= c - pad < size
            text = _format_number(x[r - pad, c - pad]) if inside else None
            winner = inside and (r - pad, c - pad) == state["winner"]
            _cell(
                ax,
                px,
                py,
                INPUT_COLOR if inside else PADDING_COLOR,
                text,
                dashed=not inside,
                text_color="white" if (r, c) in taps else "black",
            )
            if winner:
                _shade(ax, px, py, WINNER_COLOR, alpha=1.0)
                ax.texts[-1].set_color("black")
            elif (r, c) in taps:
                _shade(ax, px, py)
            if inside and (r, c) in taps:
                values.append(x[r - pad, c - pad])
    top, left = state["window"]
    ax.add_artist(
        Rectangle(
            (origin[0] + left, origin[1] + top),
            pool_size,
            pool_size,
            fill=False,
            edgecolor=KERNEL_COLOR,
            linewidth=2.2,
            zorder=4,
        )
    )
    _draw_output(ax, out_origin, output_size, step, state["output"])
    _label_grid(ax, origin, padded_size, _input_label(size, padded_size))
    _label_grid(ax, out_origin, output_size, f"output {output_size}×{output_size}")
    width, height = ax.get_xlim()[1], ax.get_ylim()[0]
    layer = "MaxPooling2D" if mode == "max" else "AveragePooling2D"
    ax.text(
        width / 2,
        0.3,
        f"{layer}(pool_size={pool_size}, strides={state['strides']}, padding={padding!r})",
        ha="center",
        va="top",
        fontsize=9,
        family="monospace",
    )
    row, col = state["position"]
    listed = ", ".join(_format_number(v) for v in values)
    ax.text(
        width / 2,
        height - 0.3,
        f"out[{row},{col}] = {mode}({listed}) = {_format_number(state['output_value'])}",
        ha="center",
        va="bottom",
        fontsize=9,
    )
    return fig


# --- Feature maps and images ------------------------------------------------------------------


def _image_grid(count: int, ncols: int, panel_inches: float, dpi: float):
    nrows = -(-count // ncols)
    fig = new_figure(ncols * panel_inches, nrows * (panel_inches + 0.25), dpi=dpi)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes:
        ax.set_axis_off()
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.92, wspace=0.08, hspace=0.25)
    return fig, axes


def plot_feature_maps(
    maps: np.ndarray,
    ncols: int = 8,
    titles: Sequence[str] | None = None,
    cmap: str = "viridis",
    dpi: float = 100,
) -> TutorialFigure:
    """Every channel of a layer's output as a small image.

    Args:
        maps: ``(H, W, C)`` activations of one image (drop the batch axis first).
        ncols: panels per row.
        titles: one per channel; defaults to the channel index.
        cmap: a matplotlib colormap name; each map is scaled to its own range.

    Returns:
        TutorialFigure: ``ceil(C / ncols)`` rows of panels.

    Raises:
        ValueError: for an array that is not 3-D, or the wrong number of titles.
    """
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(
            f"maps must be (H, W, C), got shape {maps.shape}: pass features[0] for a batch."
        )
    channels = maps.shape[-1]
    titles = [f"channel {i}" for i in range(channels)] if titles is None else list(titles)
    if len(titles) != channels:
        raise ValueError(f"got {len(titles)} titles for {channels} channels: pass one each.")
    fig, axes = _image_grid(channels, min(ncols, channels), 1.4, dpi)
    for channel, (ax, title) in enumerate(zip(axes[:channels], titles, strict=True)):
        ax.imshow(maps[..., channel], cmap=cmap, interpolation="nearest")
        ax.set_title(title, fontsize=8)
    return fig


def plot_images(
    images: Sequence[np.ndarray] | np.ndarray,
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    dpi: float = 100,
) -> TutorialFigure:
    """Images side by side.

    Args:
        images: a sequence (or ``(N, ...)`` array) of ``(H, W, 3) uint8`` RGB or
            ``(H, W)`` grey images (uint8 shown on 0..255, floats on their own range).
        titles: one per image.
        ncols: panels per row; defaults to all in one row, at most 4.

    Returns:
        TutorialFigure: one panel per image.
    """
    images = list(images)
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images: pass one each.")
    fig, axes = _image_grid(len(images), ncols or min(len(images), 4), 2.6, dpi)
    for index, (ax, image) in enumerate(zip(axes[: len(images)], images, strict=True)):
        image = np.asarray(image)
        if image.ndim == 2:
            limits = (0, 255) if image.dtype == np.uint8 else (None, None)
            ax.imshow(image, cmap="gray", vmin=limits[0], vmax=limits[1])
        else:
            ax.imshow(image)
        if titles is not None:
            ax.set_title(titles[index], fontsize=10)
    return fig


def draw_kernel(ax, kernel: np.ndarray) -> None:
    """Draw a small 2-D kernel on ``ax`` as a table of its weights, blue (<0) to red (>0)."""
    kernel = np.asarray(kernel, dtype=float)
    limit = max(float(np.abs(kernel).max()), 1e-9)
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (r, c), weight in np.ndenumerate(kernel):
        label = f"{weight:g}"
        ax.text(
            c,
            r,
            label,
            ha="center",
            va="center",
            fontsize=11 if len(label) <= 4 else 8,
            color="white" if abs(weight) > 0.6 * limit else "black",
        )
    ax.set_axis_off()


# --- Receptive fields ------------------------------------------------------------------------


def receptive_field_box(image_size: int, layer_name: str, unit: tuple[int, int] | None = None):
    """The pixels one VGG16 unit sees.

    Args:
        image_size: side of the square input.
        layer_name: one of ``arithmetic.VGG16_LAYERS``' names, e.g. ``"block3_pool"``.
        unit: (row, col) of the output unit; ``None`` for the centre one.

    Returns:
        dict: ``layer_name``, ``output_size``, ``receptive_field``, ``jump``, ``start``,
        ``unit``, ``centre`` (row, col) in pixels, ``box`` (top, left, bottom, right),
        the field clipped to the image with bottom and right exclusive as in slicing,
        and ``field`` the same box unclipped.

    Raises:
        ValueError: for an unknown layer or a unit outside the layer's output.

    Example:
        >>> receptive_field_box(224, "block1_pool", (0, 0))["box"]
        (0, 0, 4, 4)
    """
    rows = {row["name"]: row for row in arithmetic.vgg16_receptive_fields(image_size)}
    if layer_name not in rows:
        raise ValueError(f"unknown VGG16 layer {layer_name!r}: choose one of {list(rows)}.")
    row = rows[layer_name]
    output_size = row["output_size"]
    if unit is None:
        unit = (output_size // 2, output_size // 2)
    if not all(0 <= u < output_size for u in unit):
        raise ValueError(
            f"unit {tuple(unit)} is outside {layer_name}'s {output_size}×{output_size} output: "
            f"use indices 0 to {output_size - 1}."
        )
    centre = tuple(row["start"] + row["jump"] * u for u in unit)
    half = (row["receptive_field"] - 1) / 2
    field = tuple(
        int(round(v))
        for v in (centre[0] - half, centre[1] - half, centre[0] + half + 1, centre[1] + half + 1)
    )
    box = tuple(min(max(v, 0), image_size) for v in field)
    return {
        "layer_name": layer_name,
        "output_size": output_size,
        "receptive_field": row["receptive_field"],
        "jump": row["jump"],
        "start": row["start"],
        "unit": tuple(int(u) for u in unit),
        "centre": centre,
        "box": box,
        "field": field,
    }


def _draw_receptive_field(ax, image, layer_name, unit=None):
    image = np.asarray(image)
    if image.ndim < 2 or image.shape[0] != image.shape[1]:
        raise ValueError(
            f"the image must be square, got shape {image.shape}: use load_sample(name, size=224)."
        )
    info = receptive_field_box(image.shape[0], layer_name, unit)
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    # Pixel i spans i - 0.5 .. i + 0.5 in imshow's coordinates.
    centres = info["start"] + info["jump"] * np.arange(info["output_size"])
    every = -(-info["output_size"] // 28)
    shown = centres[::every]
    grid_y, grid_x = np.meshgrid(shown, shown, indexing="ij")
    dot = min(2 + info["jump"] * every / 4, 10)
    ax.scatter(grid_x.ravel(), grid_y.ravel(), s=dot, color="white", alpha=0.7, linewidths=0)
    top, left, bottom, right = info["field"]
    ax.add_artist(
        Rectangle(
            (left - 0.5, top - 0.5),
            right - left,
            bottom - top,
            fill=False,
            edgecolor="#ffd23f",
            linestyle="--",
            linewidth=1.2,
        )
    )
    top, left, bottom, right = info["box"]
    ax.add_artist(
        Rectangle(
            (left - 0.5, top - 0.5),
            right - left,
            bottom - top,
            facecolor="#ffd23f",
            alpha=0.25,
            edgecolor="#ffd23f",
            linewidth=2,
        )
    )
    ax.scatter([info["centre"][1]], [info["centre"][0]], s=12, color="#e8384f", zorder=3)
    # Widen the view where the field runs into the padding, so its dashed edge shows.
    top, left, bottom, right = info["field"]
    ax.set_xlim(min(left, 0) - 0.5, max(right, image.shape[1]) - 0.5)
    ax.set_ylim(max(bottom, image.shape[0]) - 0.5, min(top, 0) - 0.5)
    ax.set_axis_off()
    note = "" if every == 1 else f", a dot per {every} units"
    ax.set_title(
        f"{layer_name}: {info['output_size']}×{info['output_size']} units{note}\n"
        f"field {info['receptive_field']} px, jump {info['jump']} px",
        fontsize=9,
    )
    return info


def plot_receptive_field(
    image: np.ndarray,
    layer_name: str,
    unit: tuple[int, int] | None = None,
    dpi: float = 80,
) -> TutorialFigure:
    """The receptive field of one VGG16 unit, drawn on the image it looks at.

    Args:
        image: ``(S, S, 3) uint8`` (or ``(S, S)``) square input, e.g. 224×224.
        layer_name: a name from ``arithmetic.VGG16_LAYERS``.
        unit: (row, col) of the unit; ``None`` for the centre one.

    Returns:
        TutorialFigure: the field as a yellow square clipped to the image (dashed where it
        runs into the padding), the unit's centre in red and the grid of unit centres at
        that depth as white dots (thinned to at most 28 per side).

    Example:
        >>> from fcn_tutorial.samples import load_sample
        >>> fig = plot_receptive_field(load_sample("chelsea", size=224), "block3_pool")
    """
    fig = new_figure(4, 4.4, dpi=dpi)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.86))
    _draw_receptive_field(ax, image, layer_name, unit)
    return fig


def plot_receptive_fields(
    image: np.ndarray,
    layer_names: Sequence[str],
    unit: tuple[int, int] | None = None,
    dpi: float = 80,
) -> TutorialFigure:
    """:func:`plot_receptive_field` for several depths side by side (centre units by default)."""
    fig, axes = _image_grid(len(layer_names), len(layer_names), 3.0, dpi)
    fig.subplots_adjust(top=0.85)
    for ax, name in zip(axes[: len(layer_names)], layer_names, strict=True):
        _draw_receptive_field(ax, image, name, unit)
    return fig


# --- Animations ------------------------------------------------------------------------------


class Animation:
    """Frames rendered once, shown inline as a GIF and saved byte-for-byte reproducibly.

    Attributes:
        frames: list of ``(H, W, 3) uint8`` images, all the same shape.
        interval: milliseconds per frame.
    """

    def __init__(self, frames: Iterable[np.ndarray], interval: int = 600):
        self.frames = [np.asarray(frame, dtype=np.uint8) for frame in frames]
        if not self.frames:
            raise ValueError("an animation needs at least one frame: pass a non-empty steps.")
        shapes = {frame.shape for frame in self.frames}
        if len(shapes) != 1:
            raise ValueError(
                f"frames differ in shape {sorted(shapes)}: give animate() a fixed size."
            )
        self.interval = int(interval)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<Animation: {len(self)} frames>"

    def to_gif(self) -> bytes:
        """The GIF's bytes: one palette shared by all frames, no dithering, looping forever."""
        from PIL import Image

        # One fixed palette for all frames: the 64 most frequent colours, ties broken by
        # value, so it is deterministic. Flat fills stay exact and antialiased edges snap
        # to their nearest fill (computed here: Pillow's own lookup is approximate).
        stack = np.stack(self.frames).astype(np.int32)
        keys = (stack[..., 0] << 16) | (stack[..., 1] << 8) | stack[..., 2]
        colours, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        palette = colours[np.lexsort((colours, -counts))[:64]]

        def rgb(key):
            return np.stack([(key >> 16) & 255, (key >> 8) & 255, key & 255], axis=-1)

        distances = ((rgb(colours)[:, None] - rgb(palette)[None]) ** 2).sum(axis=-1)
        indices = distances.argmin(axis=1)[inverse.ravel()].reshape(keys.shape).astype(np.uint8)
        images = []
        for index in indices:
            image = Image.frombytes("P", (index.shape[1], index.shape[0]), index.tobytes())
            image.putpalette(rgb(palette).astype(np.uint8).ravel().tolist())
            images.append(image)
        buffer = io.BytesIO()
        images[0].save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=self.interval,
            loop=0,
        )
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the GIF to ``path`` and return it."""
        path = Path(path)
        path.write_bytes(self.to_gif())
        return path

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {
            "image/gif": base64.b64encode(self.to_gif()).decode("ascii"),
            "text/plain": repr(self),
        }


def animate(
    frame_fn: Callable[[int], Figure],
    steps: int | Iterable[int],
    interval: int = 600,
    size: tuple[float, float] | None = None,
    dpi: float | None = None,
) -> Animation:
    """Render ``frame_fn(step)`` for every step into an :class:`Animation`.

    Args:
        frame_fn: a pure function from a step to a Figure, such as
            ``lambda step: plot_convolution_step(config, step)``.
        steps: the steps, or their count.
        interval: milliseconds per frame.
        size: optional (width, height) in inches imposed on every frame.
        dpi: optional dpi imposed on every frame.

    Returns:
        Animation: shows inline in Jupyter; ``.save("name.gif")`` writes it.

    Example:
        >>> config = CONV_CONFIGS["no_padding_no_strides"]
        >>> len(animate(lambda step: plot_convolution_step(config, step), 4, dpi=40))
        4
    """
    steps = range(steps) if isinstance(steps, int) else steps
    frames = []
    for step in steps:
        fig = frame_fn(step)
        if size is not None:
            fig.set_size_inches(size)
        if dpi is not None:
            fig.set_dpi(dpi)
        frames.append(figure_to_array(fig))
    return Animation(frames, interval)
