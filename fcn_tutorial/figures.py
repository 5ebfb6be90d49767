"""The registry that rebuilds ``figures/``: one function per file, named after its notebook.

Every file in ``figures/`` starts with the number of the notebook that shows it
(``02_conv-same-padding.gif``) and is written by the function registered under its
name, whose docstring says what it shows. One command rebuilds them, byte for byte::

    python -m fcn_tutorial.figures                 # everything, into figures/
    python -m fcn_tutorial.figures --list          # names and what each shows
    python -m fcn_tutorial.figures 03_max-pooling.gif --out /tmp/figures

Seeds are fixed, PNGs carry no timestamp and GIFs share one deterministic palette,
so a rebuild that changes a file means a drawing really changed.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from fcn_tutorial import reference, viz, widgets
from fcn_tutorial.samples import load_sample

__all__ = ["FIGURES", "build", "main", "register", "save_png"]

FIGURES: dict[str, Callable[[Path], None]] = {}
"""dict[str, callable]: file name to the function ``fn(path)`` that writes it."""

NAME_PATTERN = re.compile(r"^\d\d_[a-z0-9-]+\.(png|gif)$")


def register(name: str):
    """Decorator: ``fn(path)`` writes the figure ``name``.

    Raises:
        ValueError: for a name not shaped ``NN_words-with-dashes.png|gif`` or one
            registered twice.
    """
    if not NAME_PATTERN.match(name):
        raise ValueError(
            f"figure name {name!r} must look like '02_conv-same-padding.gif': the notebook "
            "number, an underscore, lowercase words joined by dashes, .png or .gif."
        )

    def decorator(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        if name in FIGURES:
            raise ValueError(f"{name} is registered twice: rename one of the two figures.")
        FIGURES[name] = fn
        return fn

    return decorator


def save_png(fig, path: Path) -> None:
    """Write a figure as a PNG with no timestamp, so rebuilding gives the same bytes."""
    Path(path).write_bytes(viz.figure_to_png(fig))


def build(names: Iterable[str] | None = None, out_dir: str | Path = "figures") -> list[Path]:
    """Write the named figures (all by default) into ``out_dir``.

    Returns:
        list[Path]: the files written, in the order of ``names``.

    Raises:
        ValueError: for a name that is not registered.
    """
    names = list(FIGURES) if names is None else list(names)
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figures {unknown}: run with --list to see the names.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        FIGURES[name](out_dir / name)
        paths.append(out_dir / name)
    return paths


# --- 02_convolution ---------------------------------------------------------------------------

# Issue 3 adds transposed configurations to the same table, drawn by another frame function.
CONV_ANIMATIONS = (
    "no_padding_no_strides",
    "same_padding",
    "full_padding",
    "no_padding_strides",
    "padding_strides",
    "dilation",
)


def _conv_animation(config_name: str) -> Callable[[Path], None]:
    config = viz.CONV_CONFIGS[config_name]

    def write(path: Path) -> None:
        input_values, kernel = viz.sample_conv_values(config["input_size"], config["kernel_size"])
        steps = viz.conv_step(config, 0)["output_size"] ** 2
        animation = viz.animate(
            lambda step: viz.plot_convolution_step(config, step, input_values, kernel), steps
        )
        animation.save(path)

    arguments = ", ".join(f"{key}={value!r}" for key, value in config.items())
    write.__doc__ = f"Convolution, one frame per output cell: {arguments}."
    return write


for _name in CONV_ANIMATIONS:
    register(f"02_conv-{_name.replace('_', '-')}.gif")(_conv_animation(_name))


@register("02_filters-on-chelsea.png")
def filters_on_chelsea(path: Path) -> None:
    """Each classic 3×3 kernel of widgets.PRESETS (top) applied to Chelsea (bottom)."""
    grey = widgets.to_grey(load_sample("chelsea", size=128))
    fig = viz.new_figure(2.0 * len(widgets.PRESETS), 4.3)
    axes = fig.subplots(2, len(widgets.PRESETS))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92, wspace=0.08, hspace=0.12)
    for (name, kernel), top, bottom in zip(widgets.PRESETS.items(), *axes, strict=True):
        viz.draw_kernel(top, kernel)
        top.set_title(name, fontsize=11)
        vmin, vmax = widgets.output_range(kernel)
        bottom.imshow(widgets.filter_image(grey, kernel), cmap="gray", vmin=vmin, vmax=vmax)
        bottom.set_axis_off()
    save_png(fig, path)


# --- 03_pooling -------------------------------------------------------------------------------


def _pooling_animation(mode: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        x = np.random.default_rng(0).integers(0, 10, (6, 6))
        steps = viz.pool_step(x, 2, 2, "valid", mode, 0)["output_size"] ** 2
        viz.animate(lambda step: viz.plot_pooling_step(x, 2, 2, "valid", mode, step), steps).save(
            path
        )

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


def pooling_shift(size: int = 96) -> dict:
    """Chelsea and Chelsea moved one pixel right, before and after 2×2 max pooling.

    Returns:
        dict: ``original`` and ``shifted`` ``(size, size)`` grey levels 0..255, their
        pooled maps ``pooled`` and ``pooled_shifted`` (``reference.max_pool2d``), and
        ``unchanged_pixels`` / ``unchanged_pooled``, the fraction of equal values.
    """
    # Both crops come from one larger image, so neither has an invented border column.
    source = np.round(widgets.to_grey(load_sample("chelsea", size=size + 2)) * 255)
    original, shifted = source[:size, 1 : size + 1], source[:size, :size]
    pooled = reference.max_pool2d(original[..., None], 2)[..., 0]
    pooled_shifted = reference.max_pool2d(shifted[..., None], 2)[..., 0]
    return {
        "original": original,
        "shifted": shifted,
        "pooled": pooled,
        "pooled_shifted": pooled_shifted,
        "unchanged_pixels": float(np.mean(original == shifted)),
        "unchanged_pooled": float(np.mean(pooled == pooled_shifted)),
    }


@register("03_pooling-shift-invariance.png")
def pooling_shift_invariance(path: Path) -> None:
    """A one-pixel shift changes most pixels but fewer values of the 2×2 max-pooled map."""
    result = pooling_shift()
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


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m fcn_tutorial.figures [NAME ...] [--out DIR] [--list]``."""
    parser = argparse.ArgumentParser(
        prog="python -m fcn_tutorial.figures", description="Rebuild the tutorial's figures."
    )
    parser.add_argument("names", nargs="*", help="figures to build (default: all)")
    parser.add_argument("--out", default="figures", help="output folder (default: figures)")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, fn in FIGURES.items():
            print(f"{name}: {(fn.__doc__ or '').strip().splitlines()[0]}")
        return 0
    try:
        paths = build(args.names or None, args.out)
    except ValueError as error:
        parser.error(str(error))
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
