"""Figures of ``03_pooling.ipynb``: pooling step by step, receptive fields, shift invariance."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from fcn_tutorial import reference, viz, widgets
from fcn_tutorial.figures.registry import register, save_png
from fcn_tutorial.samples import load_sample

__all__ = ["pooling_shift_invariance", "vgg16_receptive_fields"]


def _pooling_animation(mode: str) -> Callable[[Path], None]:
    config = {"input_size": 6, "pool_size": 2, "strides": 2, "padding": "valid", "mode": mode}

    def write(path: Path) -> None:
        x = np.random.default_rng(0).integers(0, 10, (6, 6))
        steps = viz.pool_step(config, 0, x)["output_size"] ** 2
        viz.animate(lambda step: viz.plot_pooling_step(config, step, x), steps).save(path)

    layer = "MaxPooling2D" if mode == "max" else "AveragePooling2D"
    write.__doc__ = f"{layer}(pool_size=2, strides=2) over a 6×6 grid of digits, step by step."
    return write


register("03_max-pooling.gif")(_pooling_animation("max"))
register("03_avg-pooling.gif")(_pooling_animation("avg"))


@register("03_vgg16-receptive-fields.png")
def vgg16_receptive_fields(path: Path) -> None:
    """The receptive field of VGG16's centre unit after each pooling stage, on Chelsea."""
    names = [f"block{block}_pool" for block in range(1, 6)]
    save_png(viz.plot_receptive_fields(load_sample("chelsea", size=224), names, dpi=80), path)


@register("03_pooling-shift-invariance.png")
def pooling_shift_invariance(path: Path) -> None:
    """A one-pixel shift changes most pixels but fewer values of the 2×2 max-pooled map."""
    size = 96
    # Both crops come from one larger image (reference.pooling_shift takes one column more).
    source = np.round(widgets.to_grey(load_sample("chelsea", size=size + 2)) * 255)
    result = reference.pooling_shift(source[:size, : size + 1])
    fig = viz.new_figure(9, 6.4)
    axes = fig.subplots(2, 3)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.86, wspace=0.06, hspace=0.2)
    rows = [
        ("", result["original"], result["shifted"], result["unchanged_pixels"]),
        (
            "2×2 max pool of ",
            result["pooled"],
            result["pooled_shifted"],
            result["unchanged_pooled"],
        ),
    ]
    for (prefix, before, after, unchanged), row in zip(rows, axes, strict=True):
        row[0].imshow(before, cmap="gray", vmin=0, vmax=255)
        row[0].set_title(f"{prefix}image {before.shape[0]}×{before.shape[1]}", fontsize=10)
        row[1].imshow(after, cmap="gray", vmin=0, vmax=255)
        row[1].set_title(f"{prefix}image shifted 1 px right", fontsize=10)
        row[2].imshow(before == after, cmap="gray", vmin=0, vmax=1)
        row[2].set_title(f"unchanged (white): {unchanged:.0%}", fontsize=10)
        for ax in row:
            ax.set_axis_off()
    fig.suptitle(
        f"Shift by one pixel: {result['unchanged_pixels']:.0%} of pixels keep their value, "
        f"{result['unchanged_pooled']:.0%} of the max-pooled map does",
        fontsize=11,
    )
    save_png(fig, path)
