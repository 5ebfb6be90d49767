"""Explorers on a real photo: a live filter playground and VGG16's receptive fields."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from fcn_tutorial import arithmetic, reference, viz
from fcn_tutorial.samples import load_sample
from fcn_tutorial.widgets.base import (
    DPI,
    Explorer,
    check_option,
    choice,
    slider,
)

__all__ = [
    "to_grey",
    "filter_image",
    "output_range",
    "FilterPlayground",
    "ReceptiveFieldExplorer",
    "PRESETS",
]

PRESETS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "blur": [[0.0625, 0.125, 0.0625], [0.125, 0.25, 0.125], [0.0625, 0.125, 0.0625]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}
"""dict[str, list]: classic 3×3 kernels; ``blur`` is a Gaussian, its weights sum to 1."""


def to_grey(image: np.ndarray) -> np.ndarray:
    """Luma of an RGB image (ITU-R 601 weights), or a grey image, scaled to 0..1.

    Args:
        image: ``(H, W, 3)`` or ``(H, W)``, uint8 (0..255) or float (0..1).

    Returns:
        grey: ``(H, W) float32``.
    """
    image = np.asarray(image)
    scale = 255.0 if image.dtype == np.uint8 else 1.0
    image = image.astype(np.float32) / scale
    if image.ndim == 3:
        image = image[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return image


def filter_image(grey: np.ndarray, kernel) -> np.ndarray:
    """Convolve a grey image with a 2-D kernel, ``padding="same"``, via ``reference.conv2d``.

    Returns:
        filtered: ``(H, W) float32``.
    """
    return reference.conv2d(np.asarray(grey)[..., None], np.asarray(kernel), padding="same")[..., 0]


def output_range(kernel) -> tuple:
    """Display range of a filtered grey image.

    Returns:
        tuple: ``(0, 1)`` for a kernel whose weights sum to 1 (it keeps the brightness,
        so clipping shows what it does), ``(None, None)`` (the output's own range) else.
    """
    return (0, 1) if np.isclose(np.sum(kernel), 1) else (None, None)


class FilterPlayground(Explorer):
    """Edit a 3×3 kernel, or pick a classic one, and see it filter a real photo.

    Args:
        image: ``(H, W, 3) uint8`` or ``(H, W)``; defaults to Chelsea the cat, 128×128.
        preset: the kernel shown first, a name of :data:`PRESETS`.

    Attributes:
        controls: ``preset`` and one ``FloatText`` per weight, ``"kernel[r,c]"``.
        state: ``kernel`` (3×3 list), ``preset`` (a name of :data:`PRESETS` or
            ``"custom"``), ``output_stats`` (``min``, ``max``, ``mean``) and ``error``.
    """

    def __init__(self, image: np.ndarray | None = None, preset: str = "sobel_x"):
        check_option("preset", preset, list(PRESETS))
        self.grey = to_grey(load_sample("chelsea", size=128) if image is None else image)
        controls = {"preset": choice("preset", [*PRESETS, "custom"], preset)}
        for r in range(3):
            for c in range(3):
                controls[f"kernel[{r},{c}]"] = widgets.FloatText(
                    value=PRESETS[preset][r][c], layout=widgets.Layout(width="70px")
                )
        self._build(controls)

    def _layout(self):
        cells = [self.controls[f"kernel[{r},{c}]"] for r in range(3) for c in range(3)]
        grid = widgets.GridBox(
            cells, layout=widgets.Layout(grid_template_columns="repeat(3, 76px)")
        )
        return [self.controls["preset"], grid]

    def _kernel(self):
        return [[self.controls[f"kernel[{r},{c}]"].value for c in range(3)] for r in range(3)]

    def _sync_controls(self, change):
        preset = self.controls["preset"]
        if change is not None and change["owner"] is preset and preset.value in PRESETS:
            for r in range(3):
                for c in range(3):
                    self.controls[f"kernel[{r},{c}]"].value = PRESETS[preset.value][r][c]
        kernel = np.array(self._kernel())
        matches = [name for name, weights in PRESETS.items() if np.allclose(kernel, weights)]
        preset.value = matches[0] if matches else "custom"

    def _compute(self, values):
        kernel = self._kernel()
        if not np.all(np.isfinite(kernel)):
            raise ValueError("every kernel weight must be a finite number: retype the cell.")
        output = filter_image(self.grey, kernel)
        return {
            "kernel": kernel,
            "preset": values["preset"],
            "output": output,
            "output_stats": {
                "min": float(output.min()),
                "max": float(output.max()),
                "mean": float(output.mean()),
            },
        }

    def _draw(self):
        fig = viz.new_figure(9, 3.3, dpi=DPI)
        axes = fig.subplots(1, 3)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.88, wspace=0.1)
        kernel = np.array(self.state["kernel"])
        axes[0].imshow(self.grey, cmap="gray", vmin=0, vmax=1)
        axes[0].set_title("input (grey)")
        viz.draw_kernel(axes[1], kernel)
        axes[1].set_title(f"kernel: {self.state['preset']}")
        vmin, vmax = output_range(kernel)
        axes[2].imshow(self.state["output"], cmap="gray", vmin=vmin, vmax=vmax)
        stats = self.state["output_stats"]
        axes[2].set_title(f"output, {stats['min']:.2f} to {stats['max']:.2f}")
        for ax in axes:
            ax.set_axis_off()
        return fig

    def _describe(self):
        stats = self.state["output_stats"]
        return (
            f"<p><b>{html.escape(self.state['preset'])}</b>: output min {stats['min']:.3f}, "
            f"max {stats['max']:.3f}, mean {stats['mean']:.3f} "
            '(grey input in 0..1, <code>padding="same"</code>)</p>'
        )


def _check_square(image) -> None:
    # Five 2×2 poolings: below this side block5_pool has no unit left to pick.
    smallest = arithmetic.vgg16_receptive_fields()[-1]["jump"]
    height, width = image.shape[:2]
    if height != width or height < smallest:
        raise ValueError(
            f"image has shape {image.shape}: pass a square image of at least {smallest}×"
            f"{smallest} pixels (VGG16's five poolings), e.g. load_sample('chelsea', size=224)."
        )


class ReceptiveFieldExplorer(Explorer):
    """Pick a VGG16 layer and one of its units; see the pixels that unit can see.

    Args:
        image: a square image of at least 32×32 pixels, by default Chelsea at 224×224
            (VGG16's input size).
        layer_name: the VGG16 layer shown first.

    Attributes:
        controls: ``layer_name``, ``row`` and ``col`` (the unit).
        state: ``layer_name``, ``output_size``, ``receptive_field``, ``jump``, ``start``,
            ``unit``, ``box`` (top, left, bottom, right in pixels, clipped to the image,
            bottom and right exclusive) and ``error``.

    Raises:
        ValueError: for a layer VGG16 does not have, or an image that is not square or
            smaller than 32×32.
    """

    def __init__(self, image: np.ndarray | None = None, layer_name: str = "block3_pool"):
        self.picture = load_sample("chelsea", size=224) if image is None else np.asarray(image)
        names = [name for name, *_ in arithmetic.VGG16_LAYERS]
        check_option("layer_name", layer_name, names)
        _check_square(self.picture)
        info = viz.receptive_field_box(self.picture.shape[0], layer_name)
        last = info["output_size"] - 1
        self._build(
            {
                "layer_name": choice("layer", names, layer_name),
                "row": slider("unit row", info["unit"][0], 0, last),
                "col": slider("unit col", info["unit"][1], 0, last),
            }
        )

    def _sync_controls(self, change):
        if change is None or change["owner"] is not self.controls["layer_name"]:
            return
        centres = self.state.get("centre", (self.picture.shape[0] / 2,) * 2)
        # Keep looking at the same place: pick the new layer's unit nearest the old centre.
        info = viz.receptive_field_box(self.picture.shape[0], change["new"], (0, 0))
        last = info["output_size"] - 1
        for name, centre in zip(("row", "col"), centres, strict=True):
            unit = round((centre - info["start"]) / info["jump"])
            self.controls[name].max = last
            self.controls[name].value = min(max(unit, 0), last)

    def _compute(self, values):
        unit = (values["row"], values["col"])
        return viz.receptive_field_box(self.picture.shape[0], values["layer_name"], unit)

    def _draw(self):
        return viz.plot_receptive_field(
            self.picture, self.state["layer_name"], self.state["unit"], dpi=DPI
        )

    def _describe(self):
        state = self.state
        top, left, bottom, right = state["box"]
        return (
            f"<p><b>{state['layer_name']}</b>: {state['output_size']}×{state['output_size']} "
            f"units, neighbours {state['jump']} px apart. Unit {state['unit']} sees a "
            f"{state['receptive_field']}×{state['receptive_field']} px field; inside the image "
            f"that is rows {top}..{bottom - 1}, columns {left}..{right - 1}.</p>"
        )
