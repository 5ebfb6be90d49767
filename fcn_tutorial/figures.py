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

from fcn_tutorial import arithmetic, reference, viz, widgets
from fcn_tutorial.samples import load_sample

__all__ = ["FIGURES", "NeedsRun", "build", "checkerboard_outputs", "main", "register", "save_png"]

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


class NeedsRun(FileNotFoundError):
    """Raised by a figure drawn from a trained model whose run folder is not here."""


def build(names: Iterable[str] | None = None, out_dir: str | Path = "figures") -> list[Path]:
    """Write the named figures (all by default) into ``out_dir``.

    A figure drawn from a trained model (``07_self-driving-drive.gif``) needs its run
    (``make demo``); without it, it is skipped with a message, not drawn from nothing.

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
        try:
            FIGURES[name](out_dir / name)
        except NeedsRun as missing:
            print(f"skipped {name}: {missing}")
            continue
        paths.append(out_dir / name)
    return paths


# --- 02_convolution ---------------------------------------------------------------------------

# Transposed convolutions have their own table, viz.TRANSPOSED_CONFIGS (see 04 below).
CONV_ANIMATIONS = (
    "no_padding_no_strides",
    "same_padding",
    "full_padding",
    "no_padding_strides",
    "padding_strides",
    "dilation",
)


def _conv_animation(config_name: str, numbers: bool = True) -> Callable[[Path], None]:
    """The writer of one convolution's animation, with numbers in the cells or without."""
    config = viz.CONV_CONFIGS[config_name]

    def write(path: Path) -> None:
        steps = viz.conv_step(config, 0)["output_size"] ** 2
        assert steps == arithmetic.conv_output_size(**config) ** 2
        values = (None, None)
        if numbers:
            values = viz.sample_conv_values(config["input_size"], config["kernel_size"])
        viz.animate(lambda step: viz.plot_convolution_step(config, step, *values), steps).save(path)

    arguments = ", ".join(f"{key}={value!r}" for key, value in config.items())
    write.__doc__ = (
        f"Convolution, one frame per output cell: {arguments}."
        if numbers
        else f"The convolution that the transposed one undoes, no numbers: {arguments}."
    )
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


# --- 04_transposed_convolution ----------------------------------------------------------------

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


for _name in CONV_PAIRS:
    register(f"04_{_name.replace('_', '-')}.gif")(_conv_animation(_name, numbers=False))


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


def checkerboard_outputs(size: int = 8, channels: int = 4, seed: int = 0) -> dict:
    """Three small upsampling networks (×4, two ×2 stages) applied to a flat image.

    Computed with ``reference`` (NumPy): random-initialised transposed convolutions
    (kernel 3 and kernel 4, stride 2), bilinear-initialised ones (kernel 4, stride 2)
    and nearest-neighbour resizing followed by a random 3×3 convolution, each stage
    ``padding="same"``, ``channels`` channels in between, Glorot-uniform weights.

    Returns:
        dict: name to ``(4 * size, 4 * size) float32`` output of a ``(size, size, 1)``
        image of ones.
    """
    rng = np.random.default_rng(seed)
    flat = np.ones((size, size, 1), np.float32)

    def glorot(kernel_size, fan_in, fan_out):
        limit = np.sqrt(6 / (kernel_size**2 * (fan_in + fan_out)))
        return rng.uniform(-limit, limit, (kernel_size, kernel_size, fan_in, fan_out))

    def transposed(kernel_size, init):
        x = flat
        for fan_in, fan_out in ((1, channels), (channels, 1)):
            if init == "bilinear":
                kernel = reference.bilinear_kernel(kernel_size, fan_in, fan_out)
            else:
                # Conv2DTranspose's layout is (k, k, out, in).
                kernel = glorot(kernel_size, fan_out, fan_in)
            x = reference.conv2d_transpose(x, kernel, 2, "same")
        return x[..., 0]

    def resize_convolve():
        x = flat
        for fan_in, fan_out in ((1, channels), (channels, 1)):
            x = x.repeat(2, axis=0).repeat(2, axis=1)
            x = reference.conv2d(x, glorot(3, fan_in, fan_out), padding="same")
        return x[..., 0]

    outputs = {
        "transposed, random, kernel 3": transposed(3, "random"),
        "transposed, random, kernel 4": transposed(4, "random"),
        "transposed, bilinear, kernel 4": transposed(4, "bilinear"),
        "resize, then random conv 3×3": resize_convolve(),
    }
    for output in outputs.values():
        assert output.shape == (4 * size, 4 * size)
    return outputs


@register("04_checkerboard.png")
def checkerboard(path: Path) -> None:
    """A flat image through random vs bilinear transposed convolutions vs resize-convolve."""
    outputs = checkerboard_outputs()
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


from fcn_tutorial import figures_fcn  # noqa: E402,F401  registers 05-07

if __name__ == "__main__":
    # Under `python -m` this file runs as __main__, a second copy of the module; the
    # figures of figures_fcn went into fcn_tutorial.figures' registry, so run that one.
    from fcn_tutorial.figures import main as registry_main

    raise SystemExit(registry_main())
