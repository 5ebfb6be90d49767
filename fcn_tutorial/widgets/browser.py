"""Browse a segmentation dataset: image, labels and overlay, with class toggles."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from fcn_tutorial import viz
from fcn_tutorial.widgets.base import (
    DPI,
    _Explorer,
    _slider,
)

__all__ = [
    "SegmentationBrowser",
]


class SegmentationBrowser(_Explorer):
    """Page through a segmentation dataset: photo, labels and overlay, class by class.

    Works for every loader's output: the synthetic scenes, CamVid, your own folders, or
    KITTI road (``class_names=KITTI_CLASS_NAMES, palette=KITTI_PALETTE``). Labels without
    a name (void) and hidden classes are left unpainted: black in the label panel, the
    bare photo in the overlay.

    Args:
        images: ``(N, H, W, 3) uint8``, or a list of ``(H, W, 3) uint8`` (sizes may differ).
        masks: ``(N, H, W)`` integer labels, or a list of ``(H, W)``.
        class_names: one name per label ``0 .. C - 1``; ``None`` gives CamVid's 11.
        palette: ``(C', 3) uint8`` colours, row ``i`` for label ``i``, ``C' >= C``;
            ``None`` gives CamVid's ``PALETTE``.
        index: the image shown first.
        alpha: the starting opacity of the label colours in the overlay, 0 to 1.

    Attributes:
        controls: ``index`` and ``alpha`` sliders, and a checkbox per class keyed
            ``"show[<name>]"`` (``"show[Car]"``).
        state: ``index``, ``alpha``, ``visible`` (names of the classes shown),
            ``pixel_counts`` (``{name: pixels}`` in this image, unnamed labels as
            ``"void"``), ``shape`` ``(H, W)`` and ``error``.

    Raises:
        ValueError: for image and mask lists of different lengths, an empty dataset, or
            a palette with fewer colours than classes.

    Example:
        >>> images, masks = np.zeros((2, 4, 6, 3), "uint8"), np.full((2, 4, 6), 3, "uint8")
        >>> browser = SegmentationBrowser(images, masks)
        >>> browser.controls["show[Road]"].value = False
        >>> browser.state["pixel_counts"]["Road"], "Road" in browser.state["visible"]
        (24, False)
    """

    def __init__(self, images, masks, class_names=None, palette=None, index=0, alpha=0.5):
        if class_names is None or palette is None:
            # Imported here: widgets sit below the data layer (tests/test_packaging.py).
            from fcn_tutorial.datasets import classes

            class_names = classes.CLASS_NAMES if class_names is None else class_names
            palette = classes.PALETTE if palette is None else palette
        if len(images) != len(masks) or len(images) == 0:
            raise ValueError(
                f"{len(images)} images and {len(masks)} masks: pass one mask per image, "
                "at least one."
            )
        self.images, self.masks = images, masks
        self.class_names = tuple(class_names)
        self.palette = np.asarray(palette, dtype=np.uint8)
        if self.palette.ndim != 2 or len(self.palette) < len(self.class_names):
            raise ValueError(
                f"palette has shape {self.palette.shape} for {len(self.class_names)} classes: "
                "pass (C, 3) colours with a row for every class."
            )
        controls = {
            "index": _slider("image", index, 0, len(images) - 1),
            "alpha": widgets.FloatSlider(
                value=alpha,
                min=0,
                max=1,
                step=0.05,
                description="opacity",
                continuous_update=False,
            ),
        }
        for name in self.class_names:
            controls[f"show[{name}]"] = widgets.Checkbox(
                value=True, description=name, indent=False, layout=widgets.Layout(width="130px")
            )
        self._build(controls)

    def _layout(self):
        boxes = [self.controls[f"show[{name}]"] for name in self.class_names]
        grid = widgets.GridBox(
            boxes, layout=widgets.Layout(grid_template_columns="repeat(2, 135px)")
        )
        return [self.controls["index"], self.controls["alpha"], grid]

    def _compute(self, values):
        index = values["index"]
        image, mask = np.asarray(self.images[index]), np.asarray(self.masks[index])
        if image.ndim != 3 or image.shape[-1] != 3 or image.shape[:2] != mask.shape:
            raise ValueError(
                f"image {index} {image.shape} and mask {mask.shape} do not match: pass "
                "(H, W, 3) images and (H, W) masks of the same size."
            )
        if not np.issubdtype(mask.dtype, np.integer) or (mask.size and mask.min() < 0):
            raise ValueError(f"mask {index} must hold labels >= 0 as integers, not {mask.dtype}.")
        counts = np.bincount(mask.ravel(), minlength=len(self.class_names))
        pixel_counts = {name: int(counts[k]) for k, name in enumerate(self.class_names)}
        pixel_counts["void"] = int(mask.size - sum(pixel_counts.values()))
        self._image, self._mask = image, mask
        return {
            "index": index,
            "alpha": values["alpha"],
            "visible": [name for name in self.class_names if values[f"show[{name}]"]],
            "pixel_counts": pixel_counts,
            "shape": mask.shape,
        }

    def panels(self) -> dict:
        """The three pictures of the current state.

        Returns:
            dict of ``(H, W, 3) uint8``: ``image``, ``labels`` (class colours, black where
            void or hidden) and ``overlay`` (colours blended over the photo at ``alpha``).
        """
        size = max(int(self._mask.max(initial=0)) + 1, len(self.palette))
        shown = np.zeros(size, bool)
        shown[[self.class_names.index(name) for name in self.state["visible"]]] = True
        colours = np.zeros((size, 3), np.float32)
        colours[: len(self.palette)] = self.palette
        painted = shown[self._mask][..., None]
        photo = self._image.astype(np.float32)
        alpha = self.state["alpha"]
        blend = np.where(painted, (1 - alpha) * photo + alpha * colours[self._mask], photo)
        return {
            "image": self._image.astype(np.uint8),
            "labels": np.where(painted, colours[self._mask], 0).astype(np.uint8),
            "overlay": np.clip(blend + 0.5, 0, 255).astype(np.uint8),
        }

    def _draw(self):
        from matplotlib.patches import Patch

        height, width = self.state["shape"]
        fig = viz.new_figure(12, 4 * height / width + 1.0, dpi=DPI)
        axes = fig.subplots(1, 3)
        fig.subplots_adjust(left=0.01, right=0.99, top=0.9, bottom=0.2, wspace=0.03)
        panels = self.panels()
        titles = [
            f"image {self.state['index']}",
            "labels",
            f"overlay, opacity {self.state['alpha']:.2f}",
        ]
        for ax, key, title in zip(axes, ("image", "labels", "overlay"), titles):
            ax.imshow(panels[key])
            ax.set_title(title, fontsize=10)
            ax.set_axis_off()
        total = height * width
        handles = [
            Patch(
                facecolor=self.palette[self.class_names.index(name)] / 255,
                edgecolor="black",
                linewidth=0.5,
                label=f"{name} {100 * self.state['pixel_counts'][name] / total:.0f}%",
            )
            for name in self.state["visible"]
            if self.state["pixel_counts"][name]
        ]
        if handles:
            fig.legend(
                handles=handles,
                loc="lower center",
                ncol=min(6, len(handles)),
                fontsize=9,
                frameon=False,
            )
        return fig

    def _describe(self):
        counts = self.state["pixel_counts"]
        total = sum(counts.values())
        top = sorted(counts.items(), key=lambda item: -item[1])[:5]
        shares = ", ".join(f"{html.escape(name)} {100 * n / total:.0f}%" for name, n in top if n)
        height, width = self.state["shape"]
        return (
            f"<p>image {self.state['index']} of {len(self.images)} ({width}×{height}); "
            f"largest shares: {shares}</p>"
        )
