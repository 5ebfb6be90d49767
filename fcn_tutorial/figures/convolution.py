"""Figures of ``02_convolution.ipynb``: one animation per convolution setting, classic filters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fcn_tutorial import arithmetic, viz, widgets
from fcn_tutorial.figures.registry import register, save_png
from fcn_tutorial.samples import load_sample

__all__ = ["CONV_ANIMATIONS", "conv_animation", "filters_on_chelsea"]

# Transposed convolutions have their own table, viz.TRANSPOSED_CONFIGS (figures.transposed).
CONV_ANIMATIONS = (
    "no_padding_no_strides",
    "same_padding",
    "full_padding",
    "no_padding_strides",
    "padding_strides",
    "dilation",
)
"""tuple[str]: the names of ``viz.CONV_CONFIGS`` animated as ``02_conv-<name>.gif``."""


def conv_animation(
    config_name: str, numbers: bool = True, about: str = "Convolution, one frame per output cell"
) -> Callable[[Path], None]:
    """The figure function animating ``viz.CONV_CONFIGS[config_name]``, one frame per output cell.

    Args:
        config_name: a key of ``viz.CONV_CONFIGS``.
        numbers: print ``viz.sample_conv_values`` in the cells (02) or leave them empty (04,
            beside the transposed convolution that undoes it).
        about: the docstring's opening, before the configuration; ``--list`` prints it.

    Returns:
        callable: ``write(path)``, to :func:`~fcn_tutorial.figures.registry.register`.
    """
    config = viz.CONV_CONFIGS[config_name]

    def write(path: Path) -> None:
        size, kernel_size = config["input_size"], config["kernel_size"]
        values = viz.sample_conv_values(size, kernel_size) if numbers else (None, None)
        steps = viz.conv_step(config, 0)["output_size"] ** 2
        assert steps == arithmetic.conv_output_size(**config) ** 2
        viz.animate(lambda step: viz.plot_convolution_step(config, step, *values), steps).save(path)

    arguments = ", ".join(f"{key}={value!r}" for key, value in config.items())
    write.__doc__ = f"{about}: {arguments}."
    return write


for _name in CONV_ANIMATIONS:
    register(f"02_conv-{_name.replace('_', '-')}.gif")(conv_animation(_name))


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
