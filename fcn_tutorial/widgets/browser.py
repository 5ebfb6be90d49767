"""Browse a segmentation dataset: image, labels and overlay, with class toggles; with
predictions, compare them with the ground truth frame by frame and see the errors."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from fcn_tutorial import classes, scores, viz
from fcn_tutorial.widgets.base import DPI, Explorer, check_opacity, check_option, slider

__all__ = ["SegmentationBrowser"]

VIEWS = ("ground truth", "prediction", "side by side", "errors")
# The three panels each view draws, by key of panels().
VIEW_PANELS = {
    "ground truth": ("image", "labels", "overlay"),
    "prediction": ("image", "predicted_labels", "predicted_overlay"),
    "side by side": ("image", "overlay", "predicted_overlay"),
    "errors": ("labels", "predicted_labels", "errors"),
}


class SegmentationBrowser(Explorer):
    """Page through a segmentation dataset: photo, labels and overlay, class by class.

    Works for every loader's output: the synthetic scenes, CamVid, your own folders, or
    KITTI road (``class_names=KITTI_CLASS_NAMES, palette=KITTI_PALETTE``). Labels without
    a name (void) and hidden classes are left unpainted: black in the label panel, the
    bare photo in the overlay.

    With ``predictions`` (a model's labels for the same images, computed beforehand: the
    widget runs no model), a ``view`` switches between the ground truth, the prediction,
    both side by side, and the errors: the wrong pixels painted ``ERROR_COLOUR`` (cyan)
    over the photo, void pixels and hidden classes (by their true class) left out. Each
    frame is scored (``scores.image_scores``).

    Args:
        images: ``(N, H, W, 3) uint8``, or a list of ``(H, W, 3) uint8`` (sizes may differ).
        masks: ``(N, H, W)`` integer labels, or a list of ``(H, W)``.
        class_names: one name per label ``0 .. C - 1``; ``None`` gives CamVid's 11.
        palette: ``(C', 3) uint8`` colours, row ``i`` for label ``i``, ``C' >= C``;
            ``None`` gives CamVid's ``PALETTE``.
        index: the image shown first.
        opacity: the starting opacity of the label colours in the overlay, 0 to 1.
        predictions: ``(N, H, W)`` integer labels (``scores.argmax(axis=-1)``), or a list
            of ``(H, W)``, the same shapes as ``masks``; or ``None``.
        view: with predictions, the view shown first, one of ``"ground truth"``,
            ``"prediction"``, ``"side by side"`` and ``"errors"``.
        index_label: what the index slider and the titles call an image (``"frame"``).

    Attributes:
        controls: ``index`` and ``opacity`` sliders, a checkbox per class keyed
            ``"show[<name>]"`` (``"show[Car]"``), and with predictions ``view``.
        state: ``index``, ``opacity``, ``visible`` (names of the classes shown),
            ``pixel_counts`` (``{name: pixels}`` in this image, unnamed labels as
            ``"void"``), ``shape`` ``(H, W)``, ``view``, ``pixel_accuracy``,
            ``mean_iu`` and ``wrong_pixels`` of this frame's prediction on its
            labelled pixels, ``errors_shown`` (those of them in shown classes, the ones
            painted), all ``None`` without predictions, and ``error``.

    Raises:
        ValueError: for image, mask and prediction lists of different lengths, an empty
            dataset, a palette with fewer colours than classes, predictions of another
            shape than the masks, an unknown view, an ``index`` outside ``0 .. N - 1``
            or an ``opacity`` outside 0..1 (refused, never clamped to the slider).

    Example:
        >>> images, masks = np.zeros((2, 4, 6, 3), "uint8"), np.full((2, 4, 6), 3, "uint8")
        >>> browser = SegmentationBrowser(images, masks)
        >>> browser.controls["show[Road]"].value = False
        >>> browser.state["pixel_counts"]["Road"], "Road" in browser.state["visible"]
        (24, False)
        >>> predictions = masks.copy(); predictions[0, 0, 0] = 8
        >>> browser = SegmentationBrowser(images, masks, predictions=predictions)
        >>> browser.state["wrong_pixels"], round(browser.state["pixel_accuracy"], 4)
        (1, 0.9583)
    """

    def __init__(
        self,
        images,
        masks,
        class_names=None,
        palette=None,
        index=0,
        opacity=0.5,
        predictions=None,
        view: str = "side by side",
        index_label: str = "image",
    ):
        class_names = classes.CLASS_NAMES if class_names is None else class_names
        palette = classes.PALETTE if palette is None else palette
        if len(images) != len(masks) or len(images) == 0:
            raise ValueError(
                f"{len(images)} images and {len(masks)} masks: pass one mask per image, "
                "at least one."
            )
        self.images, self.masks, self.predictions = images, masks, predictions
        self.index_label = index_label
        self.class_names = tuple(class_names)
        self.palette = np.asarray(palette, dtype=np.uint8)
        if self.palette.ndim != 2 or len(self.palette) < len(self.class_names):
            raise ValueError(
                f"palette has shape {self.palette.shape} for {len(self.class_names)} classes: "
                "pass (C, 3) colours with a row for every class."
            )
        check_option("view", view, VIEWS)
        if predictions is not None:
            self._check_predictions(predictions)
        controls = {
            "index": slider(index_label, index, 0, len(images) - 1, name="index"),
            "opacity": widgets.FloatSlider(
                value=check_opacity(opacity),
                min=0,
                max=1,
                step=0.05,
                description="opacity",
                continuous_update=False,
            ),
        }
        if predictions is not None:
            controls["view"] = widgets.ToggleButtons(
                options=VIEWS,
                value=view,
                description="view",
                style={"button_width": "125px", "description_width": "initial"},
            )
        for name in self.class_names:
            controls[f"show[{name}]"] = widgets.Checkbox(
                value=True, description=name, indent=False, layout=widgets.Layout(width="130px")
            )
        self._build(controls)
        # Three panels make a wide figure: it shrinks to fit beside the controls, which
        # keep their width, where the notebook is narrower than the figure.
        self.widget.children[0].children[0].layout.min_width = "330px"
        self.image.layout.min_width, self.image.layout.height = "0", "auto"
        self.image.layout.align_self = "flex-start"

    def _check_predictions(self, predictions) -> None:
        if len(predictions) != len(self.masks):
            raise ValueError(
                f"{len(predictions)} predictions for {len(self.masks)} masks: pass one "
                "(H, W) prediction per image."
            )
        if hasattr(predictions, "shape") and hasattr(self.masks, "shape"):
            if predictions.shape != self.masks.shape:
                raise ValueError(
                    f"predictions have shape {predictions.shape} but masks {self.masks.shape}: "
                    "pass labels at the masks' size (scores.argmax(axis=-1), resized to the "
                    "labels' size)."
                )

    def _layout(self):
        boxes = [self.controls[f"show[{name}]"] for name in self.class_names]
        grid = widgets.GridBox(
            boxes, layout=widgets.Layout(grid_template_columns="repeat(2, 135px)")
        )
        view = [self.controls["view"]] if "view" in self.controls else []
        return [*view, self.controls["index"], self.controls["opacity"], grid]

    @staticmethod
    def _labels(kind, index, labels, shape):
        if labels.shape != shape:
            raise ValueError(
                f"{kind} {index} has shape {labels.shape} but the image {shape}: pass "
                "(H, W, 3) images and (H, W) labels of the same size."
            )
        if not np.issubdtype(labels.dtype, np.integer) or (labels.size and labels.min() < 0):
            raise ValueError(
                f"{kind} {index} must hold labels >= 0 as integers, not {labels.dtype}."
            )
        return labels

    def _compute(self, values):
        index = values["index"]
        image, mask = np.asarray(self.images[index]), np.asarray(self.masks[index])
        if image.ndim != 3 or image.shape[-1] != 3 or image.shape[:2] != mask.shape:
            raise ValueError(
                f"image {index} {image.shape} and mask {mask.shape} do not match: pass "
                "(H, W, 3) images and (H, W) masks of the same size."
            )
        self._image, self._mask = image, self._labels("mask", index, mask, mask.shape)
        counts = np.bincount(mask.ravel(), minlength=len(self.class_names))
        pixel_counts = {name: int(counts[k]) for k, name in enumerate(self.class_names)}
        pixel_counts["void"] = int(mask.size - sum(pixel_counts.values()))
        frame = dict.fromkeys(("pixel_accuracy", "mean_iu", "wrong_pixels", "errors_shown"))
        visible = [name for name in self.class_names if values[f"show[{name}]"]]
        self._prediction = None
        if self.predictions is not None:
            prediction = np.asarray(self.predictions[index])
            self._prediction = self._labels("prediction", index, prediction, mask.shape)
            frame = scores.image_scores(mask, self._prediction, len(self.class_names), None)
            frame["errors_shown"] = int(self._errors_shown(visible).sum())
        return {
            "index": index,
            "opacity": values["opacity"],
            "visible": visible,
            "pixel_counts": pixel_counts,
            "shape": mask.shape,
            "view": values.get("view", "ground truth"),
            **frame,
        }

    def _errors_shown(self, visible) -> np.ndarray:
        # The wrong pixels of the shown classes (by their true class): the ones painted.
        wrong = scores.wrong_pixels(self._mask, self._prediction, len(self.class_names), None)
        shown = [k for k, name in enumerate(self.class_names) if name in visible]
        return wrong & np.isin(self._mask, shown)

    def panels(self) -> dict:
        """The pictures of the current state.

        Returns:
            dict of ``(H, W, 3) uint8``: ``image``, ``labels`` (class colours, black where
            void or hidden) and ``overlay`` (colours blended over the photo at ``opacity``);
            with predictions also ``predicted_labels``, ``predicted_overlay`` and
            ``errors`` (the photo, ``ERROR_COLOUR`` where a shown class is predicted wrong).
        """
        shown = [name in self.state["visible"] for name in self.class_names]
        black = np.zeros_like(self._image)

        def paint(mask, photo, opacity, wrong=None):
            # Labels without a name are void here, whatever their number: ignore_class=None.
            return viz.paint_labels(photo, mask, self.palette, opacity, shown, None, wrong)

        opacity = self.state["opacity"]
        panels = {"image": self._image.astype(np.uint8)}
        panels["labels"] = paint(self._mask, black, 1.0)
        panels["overlay"] = paint(self._mask, self._image, opacity)
        if self._prediction is not None:
            panels["predicted_labels"] = paint(self._prediction, black, 1.0)
            panels["predicted_overlay"] = paint(self._prediction, self._image, opacity)
            wrong = self._errors_shown(self.state["visible"])
            panels["errors"] = paint(self._mask, self._image, 0.0, wrong)
        return panels

    def _titles(self) -> dict:
        state, truth = self.state, "labels" if self._prediction is None else "ground truth"
        titles = {
            "image": f"{self.index_label} {state['index']}",
            "labels": truth,
            "overlay": f"{'overlay' if self._prediction is None else truth}, opacity "
            f"{state['opacity']:.2f}",
            "predicted_labels": "predicted labels",
            "predicted_overlay": "prediction",
            "errors": "errors (cyan)",
        }
        if self._prediction is not None and not np.isnan(state["pixel_accuracy"]):
            titles["predicted_overlay"] = (
                f"prediction: accuracy {state['pixel_accuracy']:.1%}, "
                f"mean IU {state['mean_iu']:.1%}"
            )
            hidden = state["wrong_pixels"] - state["errors_shown"]
            titles["errors"] = f"errors: {state['errors_shown']} pixels wrong" + (
                f" (+{hidden} in hidden classes)" if hidden else ""
            )
        return titles

    def _draw(self):
        height, width = self.state["shape"]
        fig = viz.new_figure(12, 4 * height / width + 1.0, dpi=DPI)
        axes = fig.subplots(1, 3)
        fig.subplots_adjust(left=0.01, right=0.99, top=0.9, bottom=0.2, wspace=0.03)
        panels, titles = self.panels(), self._titles()
        for ax, key in zip(axes, VIEW_PANELS[self.state["view"]]):
            ax.imshow(panels[key])
            ax.set_title(titles[key], fontsize=10)
            ax.set_axis_off()
        total = height * width
        counts = self.state["pixel_counts"]
        if self.state["view"] == "prediction":
            predicted = np.bincount(self._prediction.ravel(), minlength=len(self.class_names))
            counts = {name: int(predicted[k]) for k, name in enumerate(self.class_names)}
        listed = [name for name in self.state["visible"] if counts[name]]
        handles = viz.legend_handles(
            [self.class_names.index(name) for name in listed],
            self.class_names,
            self.palette,
            labels=[f"{name} {100 * counts[name] / total:.0f}%" for name in listed],
            wrong="wrong" if "errors" in VIEW_PANELS[self.state["view"]] else None,
        )
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
        text = (
            f"<p>{html.escape(self.index_label)} {self.state['index']} of {len(self.images)} "
            f"({width}×{height}); largest shares: {shares}</p>"
        )
        if self._prediction is None:
            return text
        if np.isnan(self.state["pixel_accuracy"]):
            return text + "<p>prediction: no labelled pixel to score (all void)</p>"
        return text + (
            f"<p>prediction: pixel accuracy {self.state['pixel_accuracy']:.1%}, "
            f"mean IU {self.state['mean_iu']:.1%}, {self.state['wrong_pixels']} pixels "
            "wrong (void pixels left out)</p>"
        )
