"""Convolution and pooling drawn in the style of the convolution-arithmetic guide.

Introduced in ``02_convolution.ipynb`` and ``03_pooling.ipynb``.
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
    input_label,
    label_grid,
    outline_window,
    shade,
    weight_label,
)
from fcn_tutorial.viz.core import (
    INPUT_COLOUR,
    PADDING_COLOUR,
    WINNER_COLOUR,
    TutorialFigure,
    keras_call,
)

__all__ = [
    "conv_step",
    "sample_conv_values",
    "plot_convolution_step",
    "pool_step",
    "pooling_call",
    "plot_pooling_step",
    "CONV_CONFIGS",
    "CONV_KEYS",
    "POOL_KEYS",
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
CONV_KEYS = ("input_size", "kernel_size", "strides", "padding", "dilation_rate")
"""tuple[str]: a convolution config's keys, the first two required."""
POOL_KEYS = ("input_size", "pool_size", "strides", "padding", "mode")
"""tuple[str]: a pooling config's keys, the first two required."""


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
        ValueError: for a config with an unknown key (``"stride"``: a misspelling is never
            ignored) or without ``input_size`` or ``kernel_size``, for arguments
            :func:`arithmetic.conv_output_size` rejects, or a step outside the output.

    Example:
        >>> conv_step({"input_size": 5, "kernel_size": 3, "strides": 2}, 3)["window"]
        (2, 2)
    """
    check_keys("convolution config", config, CONV_KEYS[:2], CONV_KEYS[2:])
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
        input_values, kernel = check_values(input_values, kernel, size, kernel_size)
        output = _conv_output(input_values, kernel, config)
    padded_size, output_size = geometry["padded_size"], geometry["output_size"]
    pad_before, (row, col) = geometry["pad"][0], geometry["position"]
    fig, ax, (origin, out_origin) = grid_figure([padded_size, output_size], numeric, dpi)

    tap_index = {tap: index for index, tap in enumerate(geometry["taps"])}
    terms = []
    for r in range(padded_size):
        for c in range(padded_size):
            x, y = origin[0] + c, origin[1] + r
            inside = 0 <= r - pad_before < size and 0 <= c - pad_before < size
            value = input_values[r - pad_before, c - pad_before] if numeric and inside else 0
            is_tap = (r, c) in tap_index
            text = format_number(value) if numeric and inside else None
            cell(
                ax,
                x,
                y,
                INPUT_COLOUR if inside else PADDING_COLOUR,
                text,
                dashed=not inside,
                text_colour="white" if is_tap else "black",
            )
            if is_tap:
                shade(ax, x, y)
                if numeric:
                    weight = kernel.flat[tap_index[(r, c)]]
                    terms.append((tap_index[(r, c)], value, weight))
                    weight_label(ax, x, y, weight)
    outline_window(ax, origin, geometry["window"], geometry["span"])
    draw_output(ax, out_origin, output_size, step, output if numeric else None)

    label_grid(ax, origin, padded_size, input_label(size, padded_size))
    label_grid(ax, out_origin, output_size, f"output {output_size}×{output_size}")
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
        products = " + ".join(f"{format_number(v)}·{format_number(w)}" for _, v, w in sorted(terms))
        ax.text(
            width / 2,
            height - 0.3,
            f"out[{row},{col}] = {products} = {format_number(output[row, col])}",
            ha="center",
            va="bottom",
            fontsize=9 if kernel_size <= 3 else 7,
        )
    return fig


# --- Pooling --------------------------------------------------------------------------------


def _pool_config(config: dict) -> dict:
    """A pooling config with every argument present, as ``MaxPooling2D`` defaults them."""
    check_keys("pooling config", config, POOL_KEYS[:2], POOL_KEYS[2:])
    pool_size = config["pool_size"]
    return {
        "input_size": config["input_size"],
        "pool_size": pool_size,
        "strides": pool_size if config.get("strides") is None else config["strides"],
        "padding": config.get("padding", "valid"),
        "mode": config.get("mode", "max"),
    }


def pool_step(config: dict, step: int, input_values: np.ndarray) -> dict:
    """One step of pooling a 2-D array, with the numbers.

    Args:
        config: ``input_size`` and ``pool_size``, optionally ``strides`` (default
            ``pool_size``), ``padding`` (``"valid"`` or ``"same"``) and ``mode``
            (``"max"``, the default, or ``"avg"``): ``MaxPooling2D``'s arguments, as
            :func:`conv_step` takes ``Conv2D``'s.
        step: output position, row-major.
        input_values: ``(input_size, input_size)`` values.

    Returns:
        dict: the :func:`conv_step` geometry plus ``pool_size``, ``mode``, ``output``
        (the whole pooled map, from :func:`reference.max_pool2d` or
        :func:`reference.avg_pool2d`), ``output_value`` and ``winner``, the input
        (row, col) of the window's maximum (first one on ties) for max pooling, ``None``
        for average pooling.

    Raises:
        ValueError: for a config with an unknown key or without ``input_size`` or
            ``pool_size``, values that are not ``(input_size, input_size)``, an unknown
            mode or padding, or a bad step.

    Example:
        >>> config = {"input_size": 4, "pool_size": 2}
        >>> pool_step(config, 3, np.arange(16).reshape(4, 4))["winner"]
        (3, 3)
    """
    config = _pool_config(config)
    size, mode, padding = config["input_size"], config["mode"], config["padding"]
    x = np.asarray(input_values)
    if x.shape != (size, size):
        raise ValueError(
            f"input_values have shape {x.shape} but the config's input_size is {size}: pass "
            f"a ({size}, {size}) array."
        )
    if mode not in ("max", "avg"):
        raise ValueError(f'mode must be "max" or "avg", got {mode!r}.')
    if padding not in ("valid", "same"):
        raise ValueError(f'pooling padding must be "valid" or "same", got {padding!r}.')
    pool_size, strides = config["pool_size"], config["strides"]
    geometry = conv_step(
        {"input_size": size, "kernel_size": pool_size, "strides": strides, "padding": padding},
        step,
    )
    pool = reference.max_pool2d if mode == "max" else reference.avg_pool2d
    output = pool(x[..., None].astype("float64"), pool_size, strides, padding)[..., 0]
    winner = None
    if mode == "max":
        pad = geometry["pad"][0]
        inside = [
            (r - pad, c - pad)
            for r, c in geometry["taps"]
            if 0 <= r - pad < size and 0 <= c - pad < size
        ]
        winner = inside[int(np.argmax([x[r, c] for r, c in inside]))]
    row, col = geometry["position"]
    return {
        **geometry,
        "pool_size": pool_size,
        "mode": mode,
        "output": output,
        "output_value": float(output[row, col]),
        "winner": winner,
    }


def pooling_call(config: dict) -> str:
    """The Keras pooling layer a config stands for, e.g. ``MaxPooling2D(pool_size=2, ...)``."""
    config = _pool_config(config)
    layer = "MaxPooling2D" if config["mode"] == "max" else "AveragePooling2D"
    names = ("pool_size", "strides", "padding")
    return keras_call(layer, **{name: config[name] for name in names})


def plot_pooling_step(
    config: dict, step: int, input_values: np.ndarray, dpi: float = 80
) -> TutorialFigure:
    """One frame of pooling: the window over the numbers and the pooled output.

    Args:
        config: ``MaxPooling2D``-style arguments plus ``input_size`` and ``mode``, as
            :func:`pool_step` takes them.
        step: output position, row-major.
        input_values: ``(input_size, input_size)`` values.
        dpi: pixels per inch.

    Returns:
        TutorialFigure: the window shaded over the input (the maximum in orange for max
        pooling), the outputs computed so far on the right, the reduction in the caption.

    Example:
        >>> config = {"input_size": 4, "pool_size": 2}
        >>> fig = plot_pooling_step(config, 3, np.arange(16).reshape(4, 4))
    """
    state = pool_step(config, step, input_values)
    x = np.asarray(input_values)
    size, padded_size = x.shape[0], state["padded_size"]
    output_size, pad = state["output_size"], state["pad"][0]
    fig, ax, (origin, out_origin) = grid_figure([padded_size, output_size], 1, dpi)
    taps = set(state["taps"])
    values = []
    for r in range(padded_size):
        for c in range(padded_size):
            px, py = origin[0] + c, origin[1] + r
            inside = 0 <= r - pad < size and 0 <= c - pad < size
            text = format_number(x[r - pad, c - pad]) if inside else None
            winner = inside and (r - pad, c - pad) == state["winner"]
            cell(
                ax,
                px,
                py,
                INPUT_COLOUR if inside else PADDING_COLOUR,
                text,
                dashed=not inside,
                text_colour="white" if (r, c) in taps else "black",
            )
            if winner:
                shade(ax, px, py, WINNER_COLOUR, opacity=1.0)
                ax.texts[-1].set_color("black")
            elif (r, c) in taps:
                shade(ax, px, py)
            if inside and (r, c) in taps:
                values.append(x[r - pad, c - pad])
    outline_window(ax, origin, state["window"], state["pool_size"])
    draw_output(ax, out_origin, output_size, step, state["output"])
    label_grid(ax, origin, padded_size, input_label(size, padded_size))
    label_grid(ax, out_origin, output_size, f"output {output_size}×{output_size}")
    width, height = ax.get_xlim()[1], ax.get_ylim()[0]
    ax.text(
        width / 2,
        0.3,
        pooling_call(config),
        ha="center",
        va="top",
        fontsize=9,
        family="monospace",
    )
    (row, col), mode = state["position"], state["mode"]
    listed = ", ".join(format_number(v) for v in values)
    ax.text(
        width / 2,
        height - 0.3,
        f"out[{row},{col}] = {mode}({listed}) = {format_number(state['output_value'])}",
        ha="center",
        va="bottom",
        fontsize=9,
    )
    return fig
