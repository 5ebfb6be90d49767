"""Figures of ``05_transfer_learning.ipynb`` and ``06_skip_layers.ipynb``: the FCNs themselves.

Sizes come from :func:`fcn_tutorial.arithmetic.vgg16_stages` and the skip graphs from
:func:`fcn_tutorial.models.skip_graph`; Keras is imported inside the functions that build
a model, so importing the registry stays free of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fcn_tutorial import arithmetic, viz
from fcn_tutorial.figures.registry import register, save_png

__all__ = ["skip_architecture", "vgg16_architecture"]


# --- 05: VGG16 as a classifier and convolutionalized -----------------------------------------

_STAGE_COLOURS = {
    "image": "#f2f2f2",
    "conv": viz.core.INPUT_COLOUR,
    "pool": viz.core.WINNER_COLOUR,
    "Flatten": "#dddddd",
    "Dense": "#f4b6b0",
    "from dense": viz.core.OUTPUT_COLOUR,
}


def _stage_colour(stage: dict) -> str:
    operation = stage["operation"]
    if "was" in stage["name"]:
        return _STAGE_COLOURS["from dense"]
    for key in ("image", "pool", "Flatten", "Dense", "conv"):
        if key in operation:
            return _STAGE_COLOURS[key]
    raise ValueError(f"no colour for {stage}")


def _draw_stages(ax, stages: list[dict], rows: list[int], title: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    for stage, row in zip(stages, rows, strict=True):
        y = -row
        ax.add_patch(
            FancyBboxPatch(
                (0.02, y - 0.36),
                0.96,
                0.72,
                boxstyle="round,pad=0.0,rounding_size=0.12",
                facecolor=_stage_colour(stage),
                edgecolor=viz.core.EDGE_COLOUR,
                linewidth=0.8,
            )
        )
        shape = "×".join(str(n) for n in stage["shape"])
        ax.text(0.05, y + 0.1, stage["name"], ha="left", va="center", fontsize=9, weight="bold")
        ax.text(0.05, y - 0.18, stage["operation"], ha="left", va="center", fontsize=8)
        ax.text(0.95, y, shape, ha="right", va="center", fontsize=10, family="monospace")
    ax.set_xlim(0, 1)
    ax.set_ylim(-max(rows) - 0.6, 0.6)
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)


@register("05_vgg16-architecture.png")
def vgg16_architecture(path: Path) -> None:
    """VGG16 stage by stage at 224×224 (Dense head) and convolutionalized at 500×500.

    Every size comes from :func:`fcn_tutorial.arithmetic.vgg16_stages`; the
    notebook checks them against ``keras.applications.VGG16``'s own layers.
    """
    classifier = arithmetic.vgg16_stages(224)
    big = 500
    convolutional = arithmetic.vgg16_stages(big, convolutional=True)
    rows = list(range(len(classifier)))
    flatten_row = next(i for i, stage in enumerate(classifier) if stage["name"] == "flatten")
    conv_rows = rows[:flatten_row] + rows[flatten_row + 1 :]
    fig = viz.new_figure(11, 9.6, dpi=90)
    left, right = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.9, bottom=0.01, wspace=0.22)
    _draw_stages(left, classifier, rows, "VGG16 classifier: a 224×224 image in, 1000 scores out")
    grid = "×".join(str(n) for n in convolutional[-1]["shape"][:2])
    _draw_stages(
        right,
        convolutional,
        conv_rows,
        f"convolutionalized: {big}×{big} in, a {grid} grid of scores out",
    )
    right.text(
        0.5,
        -flatten_row,
        "no Flatten: fc6 slides over the map",
        ha="center",
        va="center",
        fontsize=9,
        style="italic",
    )
    # Each Dense kernel (inputs × units) and the convolution kernel it is reshaped into.
    window = classifier[flatten_row - 1]["shape"]
    notes = []
    for position, (before, dense) in enumerate(
        zip(classifier[flatten_row:], classifier[flatten_row + 1 :])
    ):
        inputs, units = before["shape"][0], dense["shape"][0]
        kernel = (*window, units) if position == 0 else (1, 1, inputs, units)
        notes.append(f"kernel {inputs}×{units}\n→ {'×'.join(map(str, kernel))}")
    for offset, note in enumerate(notes, start=1):
        y = -(flatten_row + offset)
        fig_y = right.transData.transform((0, y))[1]
        fig_x = (left.get_position().x1 + right.get_position().x0) / 2
        fig.text(
            fig_x,
            fig.transFigure.inverted().transform((0, fig_y))[1],
            note,
            ha="center",
            va="center",
            fontsize=7.5,
        )
    fig.suptitle(
        "VGG16's Dense layers become convolutions (sizes from fcn_tutorial.arithmetic)",
        fontsize=13,
    )
    save_png(fig, path)


# --- 06: the skip architecture, read from the model's own layers ------------------------------


# Columns by stride, so every fusion sits under the tap it fuses: the alignment is visible.
_COLUMNS = {1: 0, 8: 1, 16: 2, 32: 3}
_STRIDE_COLOURS = {1: "#f2f2f2", 8: "#cfe3f5", 16: "#9cc7ea", 32: "#5f9fd6"}
_TITLES = {
    "fcn32s": "FCN-32s: score_fr upsampled ×32 in one step",
    "fcn16s": "FCN-16s: + pool4, fused at stride 16",
    "fcn8s": "FCN-8s: + pool4 + pool3, fused at stride 8",
}


def _box(ax, x, y, node, width=2.2, height=0.78):
    from matplotlib.patches import FancyBboxPatch

    colour = _STRIDE_COLOURS[node["stride"]]
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=colour,
            edgecolor="#333333",
            linewidth=1.0,
            zorder=3,
        )
    )
    h, w, c = node["shape"]
    stride = f"stride {node['stride']}" if node["stride"] > 1 else "full size"
    ax.text(x, y + 0.14, node["label"], ha="center", va="center", fontsize=8.5, zorder=4)
    ax.text(x, y - 0.18, f"{h}×{w}×{c}, {stride}", ha="center", va="center", fontsize=8, zorder=4)


@register("06_skip-architecture.png")
def skip_architecture(path: Path) -> None:
    """FCN-32s, -16s and -8s side by side: the maps each fuses, their shapes and strides.

    Drawn from the models' own layers (:func:`fcn_tutorial.models.skip_graph`, MobileNet
    α=0.25 as in the experiments, on a 360×480 CamVid frame): the top row of each panel is
    the backbone's taps, the bottom row the score maps, each in the column of its stride.
    """
    # Keras loads only here, so importing the registry stays free of it.
    from fcn_tutorial import models

    variants = ("fcn32s", "fcn16s", "fcn8s")
    graphs = {variant: models.skip_graph(variant) for variant in variants}
    xs = np.array([0.0, 4.0, 8.0, 12.0])
    fig = viz.new_figure(12.5, 11.5, dpi=90)
    axes = fig.subplots(len(variants), 1)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.01, hspace=0.12)
    for ax, variant in zip(axes, variants):
        graph = graphs[variant]
        positions = {}
        for name, node in graph["nodes"].items():
            top = name == "image" or " = " in node["label"]
            positions[name] = (xs[_COLUMNS[node["stride"]]], 1.7 if top else 0.0)
            _box(ax, *positions[name], node)
        for source, target, between in graph["edges"]:
            (x0, y0), (x1, y1) = positions[source], positions[target]
            reference = source == "image"  # score is cropped to the image's size
            vertical = x0 == x1
            start = (x0, y0 - 0.4) if vertical else (x0 - 1.1, y0)
            end = (x1, y1 + 0.4) if vertical else (x1 + 1.1, y1)
            ax.annotate(
                "",
                xy=end,
                xytext=start,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "#777777" if reference else "#222222",
                    "linestyle": "--" if reference else "-",
                    "linewidth": 1.2,
                },
                zorder=2,
            )
            text = "crop to the input's size" if reference else "\n".join(between)
            if vertical:
                ax.text(x0 + 0.1, (y0 + y1) / 2, text, ha="left", va="center", fontsize=7.5)
            else:
                middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
                ax.text(middle[0], middle[1] + 0.06, text, ha="center", va="bottom", fontsize=7.5)
        ax.set_xlim(-1.2, 13.7)
        ax.set_ylim(-0.6, 2.25)
        ax.set_axis_off()
        padded = "×".join(map(str, graph["padded"]))
        ax.set_title(f"{_TITLES[variant]}   (input padded to {padded})", fontsize=10, loc="left")
    fig.suptitle(
        "Skip architectures, read from build_fcn(11, 'mobilenet', variant, alpha=0.25)",
        fontsize=12,
    )
    save_png(fig, path)
