"""The cells of the convolution-arithmetic guide's grids: what every grid drawing is made of.

A figure measured in cells (:func:`grid_axes`, :func:`grid_figure`), a cell
(:func:`cell`), a shaded tap (:func:`shade`) with its weight (:func:`weight_label`), a
window's frame (:func:`outline_window`), the output grid (:func:`draw_output`) and the
labels. Shared by :mod:`fcn_tutorial.viz.grids` (convolution, pooling) and
:mod:`fcn_tutorial.viz.transposed`; not re-exported by ``viz``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Rectangle

from fcn_tutorial.viz.core import (
    CELL_INCHES,
    CURRENT_COLOUR,
    EDGE_COLOUR,
    KERNEL_COLOUR,
    OUTPUT_COLOUR,
    new_figure,
)

__all__ = [
    "format_number",
    "grid_axes",
    "grid_figure",
    "cell",
    "shade",
    "weight_label",
    "outline_window",
    "label_grid",
    "input_label",
    "draw_output",
    "check_values",
]


def format_number(value: float) -> str:
    """A cell's number as short as it reads: ``3``, not ``3.0``; two decimals at most."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{round(value, 2):g}"


def grid_axes(width_units: float, height_units: float, dpi: float):
    """A figure whose single axes measures in grid cells, row 0 at the top."""
    fig = new_figure(width_units * CELL_INCHES, height_units * CELL_INCHES, dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width_units)
    ax.set_ylim(height_units, 0)
    ax.set_axis_off()
    return fig, ax


def cell(ax, x, y, face, text=None, dashed=False, text_colour="black", fontsize=11):
    """One cell of a grid at (x, y), dashed for padding, with optional text."""
    ax.add_artist(
        Rectangle(
            (x, y),
            1,
            1,
            facecolor=face,
            edgecolor="#9aa5ad" if dashed else EDGE_COLOUR,
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
            color=text_colour,
            fontsize=fontsize,
            zorder=3,
        )


def shade(ax, x, y, colour=KERNEL_COLOUR, opacity=0.6):
    """Shade one cell, a kernel tap by default."""
    ax.add_artist(
        Rectangle((x, y), 1, 1, facecolor=colour, alpha=opacity, edgecolor="none", zorder=2)
    )


def check_values(input_values, kernel, size, kernel_size):
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


def weight_label(ax, x, y, weight):
    """The kernel weight in the corner of a shaded tap."""
    ax.text(
        x + 0.95,
        y + 0.97,
        f"×{format_number(weight)}",
        ha="right",
        va="bottom",
        fontsize=7,
        fontweight="bold",
        color="#ffe08a",
        zorder=3,
    )


def outline_window(ax, origin, window, size, colour=KERNEL_COLOUR):
    """Frame the square (top, left) of ``size`` cells over a grid drawn at ``origin``.

    The kernel window by default; the transposed convolution's scatter view also frames
    the output inside its canvas, in another colour.
    """
    top, left = window
    ax.add_artist(
        Rectangle(
            (origin[0] + left, origin[1] + top),
            size,
            size,
            fill=False,
            edgecolor=colour,
            linewidth=2.2,
            zorder=4,
        )
    )


def grid_figure(grid_sizes: Sequence[int], caption_lines: int, dpi: float, min_width: float = 12):
    """Grids side by side under a title line: the figure, its axes and each grid's origin."""
    gap, margin, title = 1.5, 0.6, 1.6
    content = sum(grid_sizes) + gap * (len(grid_sizes) - 1)
    width = max(content + 2 * margin, min_width)
    height = max(grid_sizes) + title + 0.5 + 0.6 * caption_lines
    fig, ax = grid_axes(width, height, dpi)
    x, origins = (width - content) / 2, []
    for size in grid_sizes:
        origins.append((x, title + (max(grid_sizes) - size) / 2))
        x += size + gap
    return fig, ax, origins


def label_grid(ax, origin, size, label):
    """A grid's name above it."""
    ax.text(origin[0] + size / 2, origin[1] - 0.25, label, ha="center", va="bottom", fontsize=10)


def input_label(size, padded_size):
    """What the input grid is called: its size, and its padded size if padded."""
    if padded_size == size:
        return f"input {size}×{size}"
    return f"input {size}×{size}, padded to {padded_size}×{padded_size}"


def draw_output(ax, origin, output_size, step, values=None):
    """Output cells, those computed so far with their value, the current one dark."""
    current = divmod(step, output_size)
    for r in range(output_size):
        for c in range(output_size):
            is_current = (r, c) == current
            text = None
            if values is not None and r * output_size + c <= step:
                text = format_number(values[r, c])
            cell(
                ax,
                origin[0] + c,
                origin[1] + r,
                CURRENT_COLOUR if is_current else OUTPUT_COLOUR,
                text,
                text_colour="white" if is_current else "black",
            )
