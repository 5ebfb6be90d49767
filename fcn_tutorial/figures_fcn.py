"""Figures for notebooks 05 to 07 (the FCNs themselves), in the registry of ``figures``.

``fcn_tutorial.figures`` imports this module at its end, so ``figures.FIGURES`` holds
these too and ``python -m fcn_tutorial.figures`` rebuilds them with the rest. Model code
is imported inside the functions: importing the registry stays free of TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fcn_tutorial import arithmetic, viz
from fcn_tutorial.figures import register, save_png

__all__ = ["skip_graph", "vgg16_stages"]


# --- 05: VGG16 as a classifier and convolutionalized -----------------------------------------

VGG16_FILTERS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
"""dict[int, int]: output channels of each VGG16 block's convolutions."""
VGG16_HEAD = (("fc1", "fc6", 4096), ("fc2", "fc7", 4096), ("predictions", "fc8", 1000))
"""tuple: VGG16's Dense layers, their names in the FCN paper, and their widths."""


def vgg16_stages(input_size: int = 224, convolutional: bool = False) -> list[dict]:
    """VGG16 stage by stage, every spatial size computed with :mod:`fcn_tutorial.arithmetic`.

    Args:
        input_size: the square input's side.
        convolutional: ``False`` for the classifier (Flatten and three Dense layers, only
            defined at 224), ``True`` for the convolutionalized network (fc6 a 7×7 and
            fc7, fc8 1×1 valid convolutions), defined for any input of at least 224.

    Returns:
        list[dict]: one row per drawn stage: ``name`` (Keras' layer names), ``operation``
        and ``shape``, the stage's output ``(H, W, C)`` or ``(units,)``.

    Raises:
        ValueError: for a classifier at a size other than 224, or an input too small.

    Example:
        >>> vgg16_stages(500, convolutional=True)[-1]["shape"]
        (9, 9, 1000)
    """
    if not convolutional and input_size != 224:
        raise ValueError(
            f"VGG16's classifier takes 224x224 only, not {input_size}: its Dense layers fix "
            "the size. Pass convolutional=True for other sizes."
        )
    stages = [{"name": "input", "operation": "image", "shape": (input_size, input_size, 3)}]
    fields = {row["name"]: row for row in arithmetic.vgg16_receptive_fields(input_size)}
    for block, filters in VGG16_FILTERS.items():
        convs = [name for name in fields if name.startswith(f"block{block}_conv")]
        size = fields[convs[-1]]["output_size"]
        stages.append(
            {
                "name": f"{convs[0]}..{convs[-1].rsplit('_', 1)[1]}",
                "operation": f"{len(convs)}× conv 3×3, same, ReLU",
                "shape": (size, size, filters),
            }
        )
        size = fields[f"block{block}_pool"]["output_size"]
        stages.append(
            {
                "name": f"block{block}_pool",
                "operation": "max pool 2×2, stride 2",
                "shape": (size, size, filters),
            }
        )
    height, width, channels = stages[-1]["shape"]
    if not convolutional:
        stages.append(
            {"name": "flatten", "operation": "Flatten", "shape": (height * width * channels,)}
        )
        for name, _, units in VGG16_HEAD:
            activation = "softmax" if name == "predictions" else "ReLU"
            stages.append({"name": name, "operation": f"Dense, {activation}", "shape": (units,)})
        return stages
    # fc6 saw the whole 7×7 map at 224: as a convolution its kernel is that window.
    window = arithmetic.vgg16_receptive_fields(224)[-1]["output_size"]
    if height < window:
        raise ValueError(
            f"a {input_size}x{input_size} input leaves a {height}x{width} map, smaller than "
            f"fc6's {window}x{window} window: use an input of at least 224."
        )
    for (dense, name, units), kernel in zip(VGG16_HEAD, (window, 1, 1), strict=True):
        height = arithmetic.conv_output_size(height, kernel)
        width = arithmetic.conv_output_size(width, kernel)
        activation = "softmax per cell" if dense == "predictions" else "ReLU"
        stages.append(
            {
                "name": f"{name} (was {dense})",
                "operation": f"conv {kernel}×{kernel}, valid, {activation}",
                "shape": (height, width, units),
            }
        )
    return stages


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

    Every size comes from :func:`vgg16_stages` (:mod:`fcn_tutorial.arithmetic`); the
    notebook checks them against ``keras.applications.VGG16``'s own layers.
    """
    classifier = vgg16_stages(224)
    big = 500
    convolutional = vgg16_stages(big, convolutional=True)
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


def _parents(layer) -> list:
    return [node.operation for node in layer._inbound_nodes[0].parent_nodes]


def _describe(layer) -> str:
    """What a layer on a path between two drawn maps does, from its own configuration."""
    kind = type(layer).__name__
    if kind == "Conv2DTranspose":
        kernel, strides = layer.kernel_size[0], layer.strides[0]
        learned = "learned" if layer.trainable else "fixed"
        height, width = layer.output.shape[1:3]
        return (
            f"{layer.name}: ×{strides} up\n{kernel}×{kernel}, bilinear, {learned}\n"
            f"to {height}×{width}"
        )
    if kind == "Conv2D":
        kernel = layer.kernel_size[0]
        return f"{layer.name}: {kernel}×{kernel} conv"
    if kind == "Dropout":
        return f"{layer.name}: dropout {layer.rate:g}"
    return layer.name


def skip_graph(
    variant: str, backbone: str = "mobilenet", alpha: float = 0.25, input_size=(360, 480)
) -> dict:
    """The maps an FCN variant fuses and the layers between them, read from a built model.

    Builds ``build_fcn(11, backbone, variant, weights=None)`` on a fixed input size and
    walks its graph back from ``score``: the drawn maps are the input, the backbone's
    taps (:data:`~fcn_tutorial.models.SKIP_TAPS`), ``score_fr``, the fusions
    (:data:`~fcn_tutorial.models.SKIP_LAYERS`) and ``score``; every layer met between two
    of them labels the edge. Shapes are the layers' own symbolic output shapes.

    Args:
        variant: ``"fcn32s"``, ``"fcn16s"`` or ``"fcn8s"``.
        backbone: a key of ``models.BACKBONES``.
        alpha: the MobileNets' width multiplier (1.0 for VGG16).
        input_size: ``(H, W)`` of the input image.

    Returns:
        dict: ``padded`` (the ``(H', W')`` the ``pad`` layer rounds up to), ``nodes``
        (``{layer name: {"label", "shape", "stride"}}``, ``shape`` ``(H, W, C)`` and
        ``stride`` the padded size over the map's) and ``edges`` (``(source, target,
        [descriptions of the layers between])``).

    Example:
        >>> graph = skip_graph("fcn16s")
        >>> graph["nodes"]["fuse_pool4"]["shape"], graph["nodes"]["fuse_pool4"]["stride"]
        ((24, 30, 11), 16)
    """
    from fcn_tutorial.models import SKIP_LAYERS, SKIP_TAPS, VARIANTS, build_fcn

    options = {} if backbone == "vgg16" else {"alpha": alpha}
    if backbone == "vgg16":
        options["fc_width"] = 64  # the shapes are the same at any width; this builds fast
    model = build_fcn(11, backbone, variant, weights=None, input_shape=(*input_size, 3), **options)
    padded = tuple(model.get_layer("pad").output.shape[1:3])
    taps = {name: tap for tap, name in SKIP_TAPS[backbone].items()}
    labels = {"image": "input image", "score_fr": "score_fr (1×1 conv)", "score": "score (output)"}
    labels.update({name: f"{tap} = {name}" for name, tap in taps.items()})
    for tap in VARIANTS[variant]:
        labels[SKIP_LAYERS[tap]["fuse"]] = f"{SKIP_LAYERS[tap]['fuse']} (sum)"
    nodes, edges = {}, []
    pending = ["score"]
    while pending:
        name = pending.pop()
        if name in nodes:
            continue
        layer = model.get_layer(name)
        height, width, channels = layer.output.shape[1:]
        stride = padded[0] // height if name not in ("image", "score") else 1
        nodes[name] = {"label": labels[name], "shape": (height, width, channels), "stride": stride}
        if name == "image" or name in taps:
            continue
        for parent in _parents(layer):
            between = []
            while parent.name not in labels:
                between.append(parent)
                (parent,) = _parents(parent)
            described = [_describe(p) for p in reversed(between)]
            edges.append((parent.name, name, described))
            pending.append(parent.name)
    for name, node in nodes.items():
        height, width = node["shape"][:2]
        if name not in ("image", "score") and padded != (
            height * node["stride"],
            width * node["stride"],
        ):
            raise ValueError(f"{name} {node['shape']} is not the padded {padded} over a stride")
    return {"padded": padded, "nodes": nodes, "edges": sorted(edges)}


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

    Drawn from the models' own layers (:func:`skip_graph`, MobileNet α=0.25 as in the
    experiments, on a 360×480 CamVid frame): the top row of each panel is the backbone's
    taps, the bottom row the score maps, each in the column of its stride.
    """
    variants = ("fcn32s", "fcn16s", "fcn8s")
    graphs = {variant: skip_graph(variant) for variant in variants}
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


# --- 07: the self-driving demo ---------------------------------------------------------------


@register("07_self-driving-drive.gif")
def self_driving_drive(path: Path) -> None:
    """The demo model's labels on consecutive frames (left: ground truth, right: prediction).

    Drawn from the finished ``make demo`` run in ``runs/demo``; skipped without it.
    """
    from fcn_tutorial import demo
    from fcn_tutorial.figures import NeedsRun

    if not (demo.RUN_DIR / "summary.json").is_file():
        raise NeedsRun("it is drawn from the demo's trained model: run `make demo` first.")
    demo.drive_figure(path)
