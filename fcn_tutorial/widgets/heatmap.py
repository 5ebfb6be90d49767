"""Where does a classifier see a class? A convolutionalized network's probability map on a photo.

Introduced in ``05_transfer_learning.ipynb``. Like every widget this module imports no
model code: the explorer takes a ``predict`` function, and the notebook builds it from a
convolutionalized classifier (``fcn_tutorial.models.convolutionalize``).
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps

from fcn_tutorial import viz
from fcn_tutorial.samples import load_sample
from fcn_tutorial.widgets.base import DPI, Explorer, check_opacity, choice

__all__ = [
    "resize_shorter_side",
    "overlay_heatmap",
    "HeatmapExplorer",
]

HEATMAP_CMAP = "inferno"
# Buttons, not a slider: a few steps are all the eye needs to compare the map and the photo.
OPACITIES = (0.0, 0.25, 0.5, 0.75, 1.0)


def resize_shorter_side(image: np.ndarray, side: int) -> np.ndarray:
    """Resize a photo so that its shorter side has ``side`` pixels, keeping its aspect.

    Args:
        image: ``(H, W, 3) uint8``.
        side: the new length of the shorter side, in pixels.

    Returns:
        image: ``(H', W', 3) uint8`` with ``min(H', W') == side``.

    Raises:
        ValueError: for a non-positive ``side`` or an image that is not ``(H, W, 3)``.

    Example:
        >>> resize_shorter_side(np.zeros((300, 451, 3), "uint8"), 224).shape
        (224, 337, 3)
    """
    from PIL import Image

    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"image has shape {image.shape}: pass an (H, W, 3) uint8 RGB photo.")
    if int(side) != side or side < 1:
        raise ValueError(f"side must be a positive number of pixels, got {side!r}.")
    height, width = image.shape[:2]
    longer = max(1, round(max(height, width) * side / min(height, width)))
    size = (longer, side) if height <= width else (side, longer)  # PIL's (width, height)
    resized = Image.fromarray(image.astype(np.uint8)).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(resized)


def overlay_heatmap(
    image: np.ndarray, heatmap: np.ndarray, opacity: float = 0.5, cmap: str = HEATMAP_CMAP
) -> np.ndarray:
    """Blend a coarse map of values in 0..1 over a photo, stretched to the photo's size.

    The map is resized bilinearly, so each cell's value sits at the centre of its share
    of the photo; the colour scale is fixed at 0..1 so maps of different classes and
    sizes compare directly.

    Args:
        image: ``(H, W, 3) uint8``.
        heatmap: ``(h, w)`` floats in 0..1, e.g. one class's probability per cell.
        opacity: the map's weight, 0 (the bare photo) to 1 (the bare map).
        cmap: a matplotlib colormap name.

    Returns:
        overlay: ``(H, W, 3) uint8``.

    Raises:
        ValueError: for an opacity outside 0..1 or a map that is not 2-D.

    Example:
        >>> photo = np.full((4, 6, 3), 200, "uint8")
        >>> overlay_heatmap(photo, np.zeros((2, 3)), opacity=0.0)[0, 0]
        array([200, 200, 200], dtype=uint8)
    """
    from PIL import Image

    check_opacity(opacity)
    heatmap = np.asarray(heatmap, dtype=np.float32)
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap has shape {heatmap.shape}: pass one class's (h, w) map.")
    height, width = np.asarray(image).shape[:2]
    stretched = np.asarray(
        Image.fromarray(heatmap, mode="F").resize((width, height), Image.Resampling.BILINEAR)
    )
    colours = colormaps[cmap](np.clip(stretched, 0, 1))[..., :3] * 255
    blend = (1 - opacity) * np.asarray(image, dtype=np.float32) + opacity * colours
    return np.clip(blend + 0.5, 0, 255).astype(np.uint8)


def _check_sizes(sizes) -> list[int]:
    sizes = list(sizes)
    whole = all(isinstance(side, numbers.Integral) and not isinstance(side, bool) for side in sizes)
    if not sizes or not whole or min(sizes) < 1:
        raise ValueError(
            f"sizes={sizes!r}: pass at least one positive whole number of pixels, e.g. (224, 320)."
        )
    return [int(side) for side in sizes]


class HeatmapExplorer(Explorer):
    """A class's probability map over a photo: pick the class, the input size, the opacity.

    A convolutionalized classifier answers for every 32×32-pixel step of its input, so
    a bigger input gives a finer map of where each class is seen. The explorer resizes
    the photo (shorter side = the input size), runs ``predict`` once per size (the maps
    are cached, so moving the class or the opacity does not rerun the model) and shows
    the chosen class's map over the photo and on its own.

    The class menu offers the ``top`` classes of the whole-image prediction, taken as
    the mean of the map over its cells at the smallest size (for a classifier whose map
    is one cell there, that is its ordinary prediction), then ``extra_classes``.

    Args:
        predict: ``predict(image) -> probabilities``, ``(H, W, 3) uint8`` to ``(h, w, C)``
            class probabilities in 0..1 (a softmax over the last axis).
        image: ``(H, W, 3) uint8``; defaults to Chelsea the cat, 300×451.
        class_names: ``C`` names; ``None`` names them ``"class 0"`` ...
        sizes: the input sizes offered, shorter side in pixels.
        top: how many of the whole-image prediction's best classes the menu offers.
        extra_classes: class indices offered after those (e.g. an unrelated class).
        size: the starting input size, one of ``sizes`` (default the first).
        opacity: the starting opacity of the map over the photo, 0 to 1 (the buttons offer
            0, 0.25, 0.5, 0.75 and 1, and this value).
        label: what made the map, shown in the title; say "random weights" when so.

    Attributes:
        controls: ``class_index`` (a menu of names), ``input_size`` (a menu) and
            ``opacity`` (buttons).
        state: ``class_index``, ``class_name``, ``input_size``, ``input_shape``
            ``(H', W')`` (the resized photo), ``heatmap_shape`` ``(h, w)``,
            ``max_probability``, ``mean_probability``, ``peak`` (the ``(row, col)`` cell
            of the maximum), ``opacity``, ``top_classes`` (``[(index, name, probability)]``
            of the whole-image prediction) and ``error``.

    Raises:
        ValueError: for sizes that are not positive whole numbers, a starting size not
            among them, an opacity outside 0..1, a ``top`` below 1, or a ``predict``
            whose output is not ``(h, w, C)`` probabilities.

    Example:
        >>> def predict(image):  # two classes: bright and dark, one cell per 32 pixels
        ...     cells = image[: image.shape[0] // 32 * 32, : image.shape[1] // 32 * 32]
        ...     h, w = cells.shape[0] // 32, cells.shape[1] // 32
        ...     bright = cells.reshape(h, 32, w, 32, 3).mean(axis=(1, 3, 4)) / 255
        ...     return np.stack([bright, 1 - bright], axis=-1)
        >>> explorer = HeatmapExplorer(predict, class_names=["bright", "dark"], sizes=(64, 128))
        >>> explorer.controls["input_size"].value = 128
        >>> explorer.state["heatmap_shape"]
        (4, 6)
    """

    def __init__(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        image: np.ndarray | None = None,
        class_names: Sequence[str] | None = None,
        sizes: Sequence[int] = (224, 320, 448, 640),
        top: int = 5,
        extra_classes: Sequence[int] = (),
        size: int | None = None,
        opacity: float = 0.5,
        label: str = "",
    ):
        opacity = check_opacity(opacity)
        sizes = _check_sizes(sizes)
        size = sizes[0] if size is None else size
        if size not in sizes:
            raise ValueError(f"size {size} is not one of sizes {sizes}: add it or pick one.")
        if isinstance(top, bool) or not isinstance(top, numbers.Integral) or top < 1:
            raise ValueError(f"top={top!r}: pass how many classes the menu offers, 1 or more.")
        self.predict = predict
        self.picture = load_sample("chelsea") if image is None else np.asarray(image)
        self.label = label
        self._maps: dict[int, np.ndarray] = {}
        self._input_shapes: dict[int, tuple[int, int]] = {}
        whole = self.probabilities(min(sizes)).mean(axis=(0, 1))
        count = whole.shape[-1]
        if class_names is None:
            class_names = [f"class {index}" for index in range(count)]
        if len(class_names) != count:
            raise ValueError(
                f"{len(class_names)} class names for {count} classes: pass one name per "
                "class, in the order of predict's last axis."
            )
        self.class_names = list(class_names)
        best = [int(index) for index in np.argsort(-whole, kind="stable")[:top]]
        self.top_classes = [(k, self.class_names[k], float(whole[k])) for k in best]
        offered = best + [int(k) for k in extra_classes if int(k) not in best]
        for index in offered:
            if not 0 <= index < count:
                raise ValueError(f"class {index} is not in 0..{count - 1}: pick a valid index.")
        options = [(f"{self.class_names[k]} ({whole[k]:.0%})", k) for k in offered]
        style = {"description_width": "initial"}
        self._build(
            {
                "class_index": widgets.Dropdown(
                    options=options, value=best[0], description="class", style=style
                ),
                "input_size": widgets.Dropdown(
                    options=[(f"{side} px", side) for side in sizes],
                    value=size,
                    description="input size",
                    style=style,
                ),
                "opacity": choice(
                    "opacity", sorted({*OPACITIES, opacity}), opacity, widgets.ToggleButtons
                ),
            }
        )

    def probabilities(self, size: int) -> np.ndarray:
        """The ``(h, w, C)`` probability map of the photo resized to ``size`` (cached)."""
        if size not in self._maps:
            resized = resize_shorter_side(self.picture, size)
            maps = np.asarray(self.predict(resized), dtype=np.float32)
            if maps.ndim != 3:
                raise ValueError(
                    f"predict returned shape {maps.shape} for a {resized.shape} image: it "
                    "must return (h, w, classes) for one image (drop the batch axis)."
                )
            if maps.size and (maps.min() < -1e-5 or maps.max() > 1 + 1e-5):
                raise ValueError(
                    f"predict returned values in {maps.min():.3g}..{maps.max():.3g}: return "
                    "probabilities (end the model with a softmax), not logits."
                )
            self._maps[size] = maps
            self._input_shapes[size] = tuple(resized.shape[:2])
        return self._maps[size]

    def _compute(self, values):
        size, index = values["input_size"], values["class_index"]
        heatmap = self.probabilities(size)[..., index]
        peak = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
        self._heatmap = heatmap
        return {
            "class_index": index,
            "class_name": self.class_names[index],
            "input_size": size,
            "input_shape": self._input_shapes[size],
            "heatmap_shape": tuple(int(n) for n in heatmap.shape),
            "max_probability": float(heatmap.max()),
            "mean_probability": float(heatmap.mean()),
            "peak": (int(peak[0]), int(peak[1])),
            "opacity": values["opacity"],
            "top_classes": self.top_classes,
        }

    def overlay(self) -> np.ndarray:
        """The photo with the current class's map over it: ``(H, W, 3) uint8``."""
        return overlay_heatmap(self.picture, self._heatmap, self.state["opacity"])

    def _draw(self):
        state = self.state
        height, width = self.picture.shape[:2]
        fig = viz.new_figure(11, 4.4 * height / width + 1.1, dpi=DPI)
        axes = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.01, right=0.92, top=0.84, bottom=0.03, wspace=0.05)
        axes[0].imshow(self.overlay())
        axes[0].set_title(f"{state['class_name']}, opacity {state['opacity']:.2f}", fontsize=10)
        shown = axes[1].imshow(
            self._heatmap, cmap=HEATMAP_CMAP, vmin=0, vmax=1, interpolation="nearest"
        )
        rows, cols = state["heatmap_shape"]
        title = f"the {rows}×{cols} map at {state['input_size']} px"
        axes[1].set_title(f"{title}, max {state['max_probability']:.2f}", fontsize=10)
        for ax in axes:
            ax.set_axis_off()
        colorbar = fig.add_axes([0.935, 0.1, 0.015, 0.7])
        fig.colorbar(shown, cax=colorbar, label="probability")
        if self.label:
            fig.suptitle(self.label, fontsize=11)
        return fig

    def _describe(self):
        state = self.state
        rows, cols = state["heatmap_shape"]
        height, width = state["input_shape"]
        top = ", ".join(f"{html.escape(name)} {p:.0%}" for _, name, p in self.top_classes)
        return (
            f"<p><b>{html.escape(state['class_name'])}</b> (class {state['class_index']}) at "
            f"{width}×{height} px: a {rows}×{cols} map, max probability "
            f"{state['max_probability']:.3f} at cell {state['peak']}, mean "
            f"{state['mean_probability']:.3f}. Whole image: {top}.</p>"
        )
