"""Convolution and pooling drawn in the style of the convolution-arithmetic guide.

Introduced in ``02_convolution.ipynb`` and ``03_pooling.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Rectangle

from fcn_tutorial import arithmetic, reference
from fcn_tutorial.viz.core import (
    CELL_INCHES,
    CURRENT_COLOR,
    EDGE_COLOR,
    INPUT_COLOR,
    KERNEL_COLOR,
    OUTPUT_COLOR,
    PADDING_COLOR,
    WINNER_COLOR,
    TutorialFigure,
    _format_number,
    new_figure,
)

__all__ = [
    "conv_step",
    "sample_conv_values",
    "plot_convolution_step",
    "pool_step",
    "plot_pooling_step",
    "CONV_CONFIGS",
]

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


def _check_values(input_values, kernel, size, kernel_size):
    """Numbers to print need a (size, size) input and a (k, k) kernel; say how to get them."""
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
    return input_values, kernel


def _weight_label(ax, x, y, weight):
    """The kernel weight in the corner of a shaded tap."""
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


def _outline_window(ax, origin, window, size):
    """Frame the kernel window (top, left) of ``size`` cells over a grid drawn at ``origin``."""
    top, left = window
    ax.add_artist(
        Rectangle(
            (origin[0] + left, origin[1] + top),
            size,
            size,
            fill=False,
            edgecolor=KERNEL_COLOR,
            linewidth=2.2,
            zorder=4,
        )
    )


def _grid_figure(grid_sizes: Sequence[int], caption_lines: int, dpi: float, min_width: float = 12):
    """Grids side by side under a title line: the figure, its axes and each grid's origin."""
    gap, margin, title = 1.5, 0.6, 1.6
    content = sum(grid_sizes) + gap * (len(grid_sizes) - 1)
    width = max(content + 2 * margin, min_width)
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
        input_values, kernel = _check_values(input_values, kernel, size, kernel_size)
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
                    _weight_label(ax, x, y, weight)
    _outline_window(ax, origin, geometry["window"], geometry["span"])
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
    _outline_window(ax, origin, state["window"], pool_size)
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
