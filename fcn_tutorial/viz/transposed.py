"""Transposed convolution drawn two ways: scatter, and zero insertion.

Introduced in ``04_transposed_convolution.ipynb``.
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial import arithmetic, reference
from fcn_tutorial.arithmetic.sizes import check_keys
from fcn_tutorial.viz.cells import (
    cell,
    check_values,
    draw_output,
    format_number,
    grid_figure,
    label_grid,
    outline_window,
    shade,
    weight_label,
)
from fcn_tutorial.viz.core import (
    CURRENT_COLOUR,
    INPUT_COLOUR,
    OUTPUT_COLOUR,
    PADDING_COLOUR,
    TutorialFigure,
    keras_call,
)

__all__ = [
    "transposed_step",
    "plot_transposed_step",
    "TRANSPOSED_CONFIGS",
    "TRANSPOSED_KEYS",
    "TRANSPOSED_VIEWS",
]

# --- Transposed convolution -----------------------------------------------------------------

# Named like conv_arithmetic's GIFs; each is the transpose of a CONV_CONFIGS row, and
# "padding": "same" with output_padding=0 crops exactly like padding=1 would.
TRANSPOSED_CONFIGS = {
    "no_padding_no_strides_transposed": {"input_size": 2, "kernel_size": 3},
    "no_padding_strides_transposed": {"input_size": 2, "kernel_size": 3, "strides": 2},
    "padding_strides_transposed": {
        "input_size": 3,
        "kernel_size": 3,
        "strides": 2,
        "padding": "same",
        "output_padding": 0,
    },
    "padding_strides_odd_transposed": {
        "input_size": 3,
        "kernel_size": 3,
        "strides": 2,
        "padding": 1,
        "output_padding": 1,
    },
    "same_padding_strides_transposed": {
        "input_size": 3,
        "kernel_size": 3,
        "strides": 2,
        "padding": "same",
    },
}
"""dict[str, dict]: animation name to ``Conv2DTranspose``-style arguments (``input_size``,
``kernel_size``, optional ``strides``, ``padding`` and ``output_padding``)."""

TRANSPOSED_KEYS = (
    "input_size",
    "kernel_size",
    "strides",
    "padding",
    "output_padding",
    "dilation_rate",
)
"""tuple[str]: a transposed-convolution config's keys, the first two required."""
TRANSPOSED_VIEWS = ("scatter", "zero_insertion")


def transposed_step(config: dict, step: int, view: str = "scatter") -> dict:
    """Where things sit at one step of a transposed convolution, in either view.

    Args:
        config: ``input_size`` and ``kernel_size``, optionally ``strides``, ``padding``
            (``"valid"``, ``"same"`` or an int), ``output_padding`` and ``dilation_rate``.
        step: ``"scatter"``: the input cell that stamps, row-major in
            ``0 .. input_size**2 - 1``; ``"zero_insertion"``: the output cell, row-major
            in ``0 .. output_size**2 - 1``.
        view: ``"scatter"`` or ``"zero_insertion"``.

    Returns:
        dict: the fields of :class:`arithmetic.TransposedConv` plus ``view``, ``steps``
        (how many there are), ``canvas_size`` (the scatter canvas, including zeros that
        ``output_padding`` appends), ``position`` (row, col) of the current input cell
        (scatter) or output cell (zero insertion), ``window`` (top, left) of the kernel
        (canvas or padded coordinates) and ``taps``, the (row, col) of every kernel tap,
        row-major.

    Raises:
        ValueError: for a config with an unknown key (``"stride"``: a misspelling is never
            ignored) or without ``input_size`` or ``kernel_size``, for arguments
            :func:`arithmetic.transposed_conv_geometry` rejects, an unknown view, or a
            step out of range.

    Example:
        >>> config = TRANSPOSED_CONFIGS["no_padding_strides_transposed"]
        >>> transposed_step(config, 3)["window"]
        (2, 2)
        >>> transposed_step(config, 24, view="zero_insertion")["position"]
        (4, 4)
    """
    if view not in TRANSPOSED_VIEWS:
        raise ValueError(f"unknown view {view!r}: use one of {TRANSPOSED_VIEWS}.")
    check_keys("transposed-convolution config", config, TRANSPOSED_KEYS[:2], TRANSPOSED_KEYS[2:])
    dilation_rate = config.get("dilation_rate", 1)
    geometry = arithmetic.transposed_conv_geometry(
        config["input_size"],
        config["kernel_size"],
        config.get("strides", 1),
        config.get("padding", "valid"),
        config.get("output_padding"),
        dilation_rate,
    )
    canvas_size = max(geometry.full_size, geometry.crop[0] + geometry.output_size)
    # Both views end exactly at the edge of their grid.
    assert geometry.padded_size - geometry.span + 1 == geometry.output_size
    assert canvas_size - geometry.crop[0] - max(geometry.crop[1], 0) == geometry.output_size
    side = geometry.input_size if view == "scatter" else geometry.output_size
    if isinstance(step, bool) or not 0 <= step < side**2:
        what = "input" if view == "scatter" else "output"
        raise ValueError(
            f"step {step!r} is outside the {what}: the {view} view of a {side}×{side} "
            f"{what} has steps 0 to {side**2 - 1}."
        )
    row, col = divmod(int(step), side)
    scale = geometry.strides if view == "scatter" else 1
    top, left = row * scale, col * scale
    taps = [
        (top + a * dilation_rate, left + b * dilation_rate)
        for a in range(geometry.kernel_size)
        for b in range(geometry.kernel_size)
    ]
    return {
        **geometry._asdict(),
        "view": view,
        "steps": side**2,
        "canvas_size": canvas_size,
        "position": (row, col),
        "window": (top, left),
        "taps": taps,
    }


def _transposed_call(geometry: dict) -> str:
    names = ("kernel_size", "strides", "padding", "output_padding")
    return keras_call("Conv2DTranspose", **{name: geometry[name] for name in names})


def _title_width(geometry: dict) -> float:
    # A 9 pt monospace character is about a fifth of a 0.42 inch cell.
    return max(12, len(_transposed_call(geometry)) / 5 + 1)


def _transposed_output(input_values, kernel, config):
    output = reference.conv2d_transpose(
        np.asarray(input_values, dtype="float64")[..., None],
        np.asarray(kernel, dtype="float64"),
        strides=config.get("strides", 1),
        padding=config.get("padding", "valid"),
        output_padding=config.get("output_padding"),
        dilation_rate=config.get("dilation_rate", 1),
    )
    return output[..., 0]


def _caption(ax, top_text, bottom_text, fontsize=9):
    width, height = ax.get_xlim()[1], ax.get_ylim()[0]
    ax.text(width / 2, 0.3, top_text, ha="center", va="top", fontsize=9, family="monospace")
    if bottom_text:
        ax.text(width / 2, height - 0.3, bottom_text, ha="center", va="bottom", fontsize=fontsize)


def plot_transposed_step(
    config: dict,
    step: int,
    view: str = "scatter",
    input_values: np.ndarray | None = None,
    kernel: np.ndarray | None = None,
    dpi: float = 80,
) -> TutorialFigure:
    """One frame of a transposed convolution, as scatter-add or as zero insertion.

    ``view="scatter"``: the input on the left with the stamping cell dark; on the right
    the canvas, where that cell's copy of the kernel is shaded and every cell shows how
    many stamps (or, with numbers, how much) it has received so far; cells cropped away
    by the padding are white and dashed, the output cyan.

    ``view="zero_insertion"``: the guide's "transposed" animations: the input with
    ``strides - 1`` zeros between its pixels and ``k' - 1 - crop`` around them (white,
    dashed), the flipped kernel sliding over it at stride 1, and the output.

    Args:
        config: ``Conv2DTranspose``-style arguments, as in :data:`TRANSPOSED_CONFIGS`.
        step: the input cell (scatter) or output cell (zero insertion), row-major; see
            :func:`transposed_step`.
        view: ``"scatter"`` or ``"zero_insertion"``.
        input_values: optional ``(input_size, input_size)`` numbers to print.
        kernel: ``(kernel_size, kernel_size)`` weights, required with ``input_values``;
            the output comes from :func:`reference.conv2d_transpose`.
        dpi: pixels per inch (a cell is 0.42 inch).

    Returns:
        TutorialFigure: the frame, the ``Conv2DTranspose`` call on top.

    Raises:
        ValueError: for an impossible configuration, view or step, or mismatched values.

    Example:
        >>> config = TRANSPOSED_CONFIGS["no_padding_strides_transposed"]
        >>> fig = plot_transposed_step(config, step=4, view="zero_insertion")
    """
    geometry = transposed_step(config, step, view)
    size, kernel_size = geometry["input_size"], geometry["kernel_size"]
    numeric = input_values is not None
    if numeric:
        input_values, kernel = check_values(input_values, kernel, size, kernel_size)
        output = _transposed_output(input_values, kernel, config)
    draw = _draw_scatter if view == "scatter" else _draw_zero_insertion
    return draw(geometry, input_values, kernel, output if numeric else None, dpi)


def _draw_scatter(geometry, input_values, kernel, output, dpi):
    numeric = output is not None
    size, strides = geometry["input_size"], geometry["strides"]
    canvas_size, (crop, _) = geometry["canvas_size"], geometry["crop"]
    output_size = geometry["output_size"]
    fig, ax, (origin, canvas_origin) = grid_figure(
        [size, canvas_size], 1, dpi, _title_width(geometry)
    )
    row, col = geometry["position"]
    for r in range(size):
        for c in range(size):
            current = (r, c) == (row, col)
            text = format_number(input_values[r, c]) if numeric else None
            x, y = origin[0] + c, origin[1] + r
            cell(ax, x, y, INPUT_COLOUR, text, text_colour="white" if current else "black")
            if current:
                shade(ax, x, y)
    # What the canvas holds after this step's stamp: counts, or sums with numbers.
    done = (np.arange(size * size) <= row * size + col).reshape(size, size)
    ones = np.ones((geometry["kernel_size"],) * 2)

    def stamped(values, weights):
        return reference.conv2d_transpose_scatter(
            values[..., None], weights, strides, "valid", dilation_rate=geometry["dilation_rate"]
        )[..., 0]

    counts = stamped(done.astype(float), ones)
    partial = counts if input_values is None else stamped(done * input_values, kernel)
    tap_index = {tap: index for index, tap in enumerate(geometry["taps"])}
    for r in range(canvas_size):
        for c in range(canvas_size):
            kept = crop <= r < crop + output_size and crop <= c < crop + output_size
            # Cells no stamp has reached yet stay blank (output_padding's never are).
            reached = r < geometry["full_size"] and c < geometry["full_size"] and counts[r, c]
            text = format_number(partial[r, c]) if reached else None
            x, y = canvas_origin[0] + c, canvas_origin[1] + r
            is_tap = (r, c) in tap_index
            cell(
                ax,
                x,
                y,
                OUTPUT_COLOUR if kept else PADDING_COLOUR,
                text,
                dashed=not kept,
                text_colour="white" if is_tap else ("black" if kept else "#8a949c"),
                fontsize=11 if numeric else 10,
            )
            if is_tap:
                shade(ax, x, y)
                if numeric:
                    weight_label(ax, x, y, kernel.flat[tap_index[(r, c)]])
    outline_window(ax, canvas_origin, geometry["window"], geometry["span"])
    if canvas_size != output_size:
        outline_window(ax, canvas_origin, (crop, crop), output_size, CURRENT_COLOUR)
    label_grid(ax, origin, size, f"input {size}×{size}")
    label = f"output {output_size}×{output_size}"
    if canvas_size != output_size:
        label = f"canvas {canvas_size}×{canvas_size}, output {output_size}×{output_size} inside"
    label_grid(ax, canvas_origin, canvas_size, label)
    stamp = f"x[{row},{col}]"
    if numeric:
        stamp += f" = {format_number(input_values[row, col])}"
    _caption(
        ax,
        _transposed_call(geometry),
        f"{stamp} stamps the kernel at {geometry['window']} = {strides}·({row}, {col}); "
        + ("cells show sums so far" if numeric else "cells count the stamps so far"),
    )
    return fig


def _draw_zero_insertion(geometry, input_values, kernel, output, dpi):
    numeric = output is not None
    size, strides = geometry["input_size"], geometry["strides"]
    padded_size, output_size = geometry["padded_size"], geometry["output_size"]
    pad_before = geometry["pad"][0]
    fig, ax, (origin, out_origin) = grid_figure(
        [padded_size, output_size], 1, dpi, _title_width(geometry)
    )
    # The stride-1 convolution slides the kernel flipped in both directions.
    flipped = None if kernel is None else np.asarray(kernel)[::-1, ::-1]
    tap_index = {tap: index for index, tap in enumerate(geometry["taps"])}
    terms = []
    for r in range(padded_size):
        for c in range(padded_size):
            source = [(v - pad_before) / strides for v in (r, c)]
            inside = all(v.is_integer() and 0 <= v < size for v in source)
            value = input_values[int(source[0]), int(source[1])] if numeric and inside else 0
            is_tap = (r, c) in tap_index
            x, y = origin[0] + c, origin[1] + r
            cell(
                ax,
                x,
                y,
                INPUT_COLOUR if inside else PADDING_COLOUR,
                format_number(value) if numeric and inside else None,
                dashed=not inside,
                text_colour="white" if is_tap else "black",
            )
            if is_tap:
                shade(ax, x, y)
                if numeric:
                    weight = flipped.flat[tap_index[(r, c)]]
                    weight_label(ax, x, y, weight)
                    if inside:
                        terms.append((value, weight))
    outline_window(ax, origin, geometry["window"], geometry["span"])
    row, col = geometry["position"]
    draw_output(ax, out_origin, output_size, row * output_size + col, output)
    before, after = geometry["pad"]
    label_grid(
        ax,
        origin,
        padded_size,
        f"input {size}×{size}, {geometry['inserted_zeros']} zero(s) between, "
        f"padded ({before}, {after})",
    )
    label_grid(ax, out_origin, output_size, f"output {output_size}×{output_size}")
    if numeric:
        products = " + ".join(f"{format_number(v)}·{format_number(w)}" for v, w in terms)
        bottom = f"out[{row},{col}] = {products or '0'} = {format_number(output[row, col])}"
    else:
        bottom = "stride-1 convolution with the flipped kernel over the stretched input"
    _caption(ax, _transposed_call(geometry), bottom)
    return fig
