"""Figures of ``04_transposed_convolution.ipynb``: both views animated, overlaps, checkerboards.

Every size drawn is asserted against :mod:`fcn_tutorial.arithmetic` before it is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from fcn_tutorial import arithmetic, reference, viz
from fcn_tutorial.figures.convolution import conv_animation
from fcn_tutorial.figures.registry import register, save_png

__all__ = [
    "CONV_PAIRS",
    "OVERLAP_PAIRS",
    "TRANSPOSED_ANIMATIONS",
    "checkerboard",
    "overlap_maps",
    "scatter_animation",
]

# Each transposed animation next to the convolution it transposes (the guide's pairs);
# transposed_equivalent of the convolution must give the transposed row's sizes.
TRANSPOSED_ANIMATIONS = {
    "no_padding_no_strides_transposed": viz.CONV_CONFIGS["no_padding_no_strides"],
    "no_padding_strides_transposed": viz.CONV_CONFIGS["no_padding_strides"],
    "padding_strides_transposed": viz.CONV_CONFIGS["padding_strides"],
    "padding_strides_odd_transposed": {
        "input_size": 6,
        "kernel_size": 3,
        "strides": 2,
        "padding": 1,
    },
    "same_padding_strides_transposed": {
        "input_size": 6,
        "kernel_size": 3,
        "strides": 2,
        "padding": "same",
    },
}
"""dict[str, dict]: a name of ``viz.TRANSPOSED_CONFIGS`` to the convolution it transposes."""

# The slides' convolutions, drawn without numbers like their transposed partners.
CONV_PAIRS = ("no_padding_no_strides", "no_padding_strides")


def _check_transposed(config: dict, conv: dict) -> None:
    """Assert that ``config`` connects like the transpose of ``conv``, sizes from arithmetic."""
    equivalent = arithmetic.transposed_equivalent(
        conv["input_size"], conv["kernel_size"], conv.get("strides", 1), conv.get("padding", 0)
    )
    geometry = viz.transposed_step(config, 0, "zero_insertion")
    assert geometry["input_size"] == equivalent.input_size, (config, equivalent)
    assert geometry["output_size"] == equivalent.output_size == conv["input_size"]
    assert geometry["pad"] == equivalent.pad and geometry["crop"] == equivalent.crop
    assert geometry["output_size"] == arithmetic.transposed_conv_output_size(
        config["input_size"],
        config["kernel_size"],
        config.get("strides", 1),
        config.get("padding", "valid"),
        config.get("output_padding"),
    )


def _transposed_animation(config_name: str) -> Callable[[Path], None]:
    config = viz.TRANSPOSED_CONFIGS[config_name]

    def write(path: Path) -> None:
        _check_transposed(config, TRANSPOSED_ANIMATIONS[config_name])
        steps = viz.transposed_step(config, 0, "zero_insertion")["steps"]
        assert (
            steps
            == arithmetic.transposed_conv_output_size(
                config["input_size"],
                config["kernel_size"],
                config.get("strides", 1),
                config.get("padding", "valid"),
                config.get("output_padding"),
            )
            ** 2
        )
        animation = viz.animate(
            lambda step: viz.plot_transposed_step(config, step, "zero_insertion"), steps
        )
        animation.save(path)

    arguments = ", ".join(f"{key}={value!r}" for key, value in config.items())
    write.__doc__ = (
        f"Transposed convolution as zero insertion, one frame per output cell: {arguments}."
    )
    return write


for _name in TRANSPOSED_ANIMATIONS:
    register(f"04_{_name.replace('_', '-')}.gif")(_transposed_animation(_name))


_UNDONE = "The convolution that the transposed one undoes, no numbers"

for _name in CONV_PAIRS:
    register(f"04_{_name.replace('_', '-')}.gif")(conv_animation(_name, False, _UNDONE))


@register("04_no-padding-strides-transposed-scatter.gif")
def scatter_animation(path: Path) -> None:
    """Transposed convolution as scatter-add, 2×2 → 5×5, k3 s2: each input stamps the kernel."""
    config = viz.TRANSPOSED_CONFIGS["no_padding_strides_transposed"]
    input_values, kernel = viz.sample_conv_values(config["input_size"], config["kernel_size"])
    steps = viz.transposed_step(config, 0, "scatter")["steps"]
    assert steps == config["input_size"] ** 2
    viz.animate(
        lambda step: viz.plot_transposed_step(config, step, "scatter", input_values, kernel),
        steps,
        interval=1200,
    ).save(path)


OVERLAP_PAIRS = ((3, 1), (3, 2), (4, 2), (5, 2), (4, 4))
"""tuple[(kernel_size, strides)]: the overlap maps drawn in ``04_overlap-maps.png``."""


@register("04_overlap-maps.png")
def overlap_maps(path: Path) -> None:
    """Stamps per output pixel of a transposed convolution of a 5×5 input, per (k, s)."""
    size = 5
    maps = [reference.overlap_map(k, s, size) for k, s in OVERLAP_PAIRS]
    fig = viz.new_figure(2.6 * len(maps), 3.2)
    axes = fig.subplots(1, len(maps))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.8, wspace=0.08)
    highest = max(int(counts.max()) for counts in maps)
    for ax, (kernel_size, strides), counts in zip(axes, OVERLAP_PAIRS, maps, strict=True):
        expected = arithmetic.transposed_conv_output_size(size, kernel_size, strides)
        assert counts.shape == (expected, expected)
        ax.imshow(counts, cmap="Blues", vmin=0, vmax=highest * 1.3)
        for (r, c), count in np.ndenumerate(counts):
            ax.text(c, r, str(count), ha="center", va="center", fontsize=5 if expected > 12 else 7)
        # Away from the borders the count is periodic; even means no checkerboard.
        inner = counts[kernel_size - 1 : 1 - kernel_size, kernel_size - 1 : 1 - kernel_size]
        even = "even" if inner.size and inner.min() == inner.max() else "uneven"
        ax.set_title(
            f"kernel_size={kernel_size}, strides={strides}\n{expected}×{expected}, {even} "
            f"inside ({inner.min()}–{inner.max()})",
            fontsize=9,
        )
        ax.set_axis_off()
    fig.suptitle("How many kernel stamps land on each output pixel (5×5 input)", fontsize=11)
    save_png(fig, path)


@register("04_checkerboard.png")
def checkerboard(path: Path) -> None:
    """A flat image through random vs bilinear transposed convolutions vs resize-convolve."""
    outputs = reference.checkerboard_outputs()
    fig = viz.new_figure(2.7 * len(outputs), 3.4)
    axes = fig.subplots(1, len(outputs))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.76, wspace=0.08)
    for ax, (name, output) in zip(axes, outputs.items(), strict=True):
        # The borders see fewer stamps in every network; the lesson is the inside.
        inner = output[4:-4, 4:-4]
        mean = float(inner.mean())
        spread = float(np.abs(inner - mean).max())
        half = max(spread, 0.02 * abs(mean), 1e-6)
        ax.imshow(inner, cmap="gray", vmin=mean - half, vmax=mean + half)
        if spread <= 1e-5 * max(abs(mean), 1):
            values = f"flat: every pixel {mean:.3g}"
        else:
            values = f"{inner.min():.2g} to {inner.max():.2g}"
        ax.set_title(f"{name}\n{values}", fontsize=9)
        ax.set_axis_off()
    fig.suptitle(
        "A flat 8×8 image upsampled ×4 by two stages (inner 24×24 shown, own contrast)",
        fontsize=11,
    )
    save_png(fig, path)
