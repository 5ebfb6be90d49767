"""Receptive fields drawn on an image, from ``arithmetic.vgg16_receptive_fields``.

Introduced in ``03_pooling.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Rectangle

from fcn_tutorial import arithmetic
from fcn_tutorial.viz.core import (
    TutorialFigure,
    image_grid,
    new_figure,
)

__all__ = [
    "receptive_field_box",
    "plot_receptive_field",
    "plot_receptive_fields",
]

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
    dpi: float = 64,
) -> TutorialFigure:
    """:func:`plot_receptive_field` for several depths side by side (centre units by default)."""
    fig, axes = image_grid(len(layer_names), len(layer_names), 3.0, dpi)
    fig.subplots_adjust(top=0.85)
    for ax, name in zip(axes[: len(layer_names)], layer_names, strict=True):
        _draw_receptive_field(ax, image, name, unit)
    return fig
