"""Compare FCN-32s, -16s and -8s on one image: toggle the variant, see what the skips recover."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from fcn_tutorial import classes, scores, viz
from fcn_tutorial.widgets.base import DPI, Explorer, check_opacity, slider

__all__ = ["SkipExplorer"]


class SkipExplorer(Explorer):
    """One image, the predictions of several FCN variants, and a toggle between them.

    The predictions come precomputed (the widget runs no model), as label maps or as
    logits whose argmax is taken. With the ground truth, each variant is scored on this
    image (pixel accuracy and mean IU, void pixels left out, ``scores.image_scores``) and
    its mistakes can be painted over the overlay in ``classes.ERROR_COLOUR``.

    Args:
        image: ``(H, W, 3)`` uint8 (or float in ``0 .. 255``) photo.
        predictions: ``{name: prediction}``, each ``(H, W)`` integer labels or
            ``(H, W, K)`` scores; e.g. ``{"fcn32s": ..., "fcn16s": ..., "fcn8s": ...}``,
            shown in this order.
        truth: ``(H, W)`` integer labels, ``ignore_class`` for void, or ``None``.
        class_names: one name per label ``0 .. K - 1``; ``None`` gives CamVid's 11.
        palette: ``(C, 3) uint8`` colours, row ``i`` for label ``i``; ``None`` gives
            CamVid's ``PALETTE``.
        variant: the prediction shown first (default: the last one given).
        opacity: the starting opacity of the class colours, 0 to 1 (shown in percent).
        ignore_class: the void label, left out of the scores (``None`` for CamVid's).

    Attributes:
        controls: ``variant`` (toggle buttons), ``opacity`` (a slider in percent), and
            with a truth ``truth`` (show it side by side) and ``errors`` (paint wrong pixels).
        state: ``variant``, ``opacity`` (0 to 1), ``truth``, ``errors``,
            ``shape`` ``(H, W)``, ``scores`` (``{name: {"pixel_accuracy", "mean_iu",
            "wrong_pixels"}}`` for every variant, empty without a truth),
            ``pixel_accuracy``, ``mean_iu`` and ``wrong_pixels`` of the variant shown
            (``None`` without a truth), ``changed_pixels`` (pixels whose label differs
            from the previous variant's; 0 for the first) and ``error``.

    Raises:
        ValueError: for no predictions, shapes that disagree with the image, an unknown
            starting variant, or an ``opacity`` outside ``[0, 1]``.

    Example:
        >>> truth = np.zeros((4, 6), "uint8"); truth[:, 3:] = 1
        >>> coarse, fine = np.zeros((4, 6), "uint8"), truth.copy()
        >>> explorer = SkipExplorer(np.zeros((4, 6, 3), "uint8"),
        ...                         {"fcn32s": coarse, "fcn8s": fine}, truth)
        >>> explorer.controls["variant"].value = "fcn32s"
        >>> explorer.state["pixel_accuracy"], explorer.state["wrong_pixels"]
        (0.5, 12)
    """

    def __init__(
        self,
        image,
        predictions: dict,
        truth=None,
        class_names=None,
        palette=None,
        variant: str | None = None,
        opacity: float = 0.5,
        ignore_class: int | None = None,
    ):
        self.class_names = tuple(classes.CLASS_NAMES if class_names is None else class_names)
        self.palette = np.asarray(classes.PALETTE if palette is None else palette, np.uint8)
        self.ignore_class = classes.VOID if ignore_class is None else ignore_class
        self.photo = np.asarray(image)
        if self.photo.ndim != 3 or self.photo.shape[-1] != 3:
            raise ValueError(f"image has shape {self.photo.shape}: pass one (H, W, 3) photo.")
        if not predictions:
            raise ValueError("predictions is empty: pass {name: (H, W) labels}, one or more.")
        shape = self.photo.shape[:2]
        self.masks = {name: self._labels(name, p, shape) for name, p in predictions.items()}
        self.truth = None if truth is None else np.asarray(truth)
        if self.truth is not None and self.truth.shape != shape:
            raise ValueError(
                f"truth has shape {self.truth.shape} but the image {shape}: pass the image's "
                "own (H, W) labels."
            )
        opacity = check_opacity(opacity)
        names = list(self.masks)
        variant = names[-1] if variant is None else variant
        if variant not in self.masks:
            raise ValueError(f"variant {variant!r} is not among the predictions {names}.")
        # A prediction may use labels the names do not cover: they count as classes too.
        largest = max(int(mask.max()) for mask in self.masks.values())
        self.num_classes = max(len(self.class_names), largest + 1)
        self.scores = self._score_all()
        controls = {
            "variant": widgets.ToggleButtons(
                options=names, value=variant, description="variant", style={"button_width": "70px"}
            ),
            # Percent, an integer: every explorer's slider moves in whole steps.
            "opacity": slider("opacity %", round(100 * opacity), 0, 100),
        }
        if self.truth is not None:
            controls["truth"] = widgets.Checkbox(value=True, description="ground truth")
            controls["errors"] = widgets.Checkbox(value=False, description="paint errors")
        self._build(controls)

    def _labels(self, name, prediction, shape) -> np.ndarray:
        prediction = np.asarray(prediction)
        if prediction.ndim == 3 and prediction.shape[:2] == shape:
            prediction = prediction.argmax(axis=-1)
        if prediction.shape != shape:
            raise ValueError(
                f"prediction {name!r} has shape {prediction.shape} but the image {shape}: pass "
                "(H, W) labels or (H, W, K) scores at the image's size."
            )
        if not np.issubdtype(prediction.dtype, np.integer) or prediction.min() < 0:
            raise ValueError(f"prediction {name!r} must hold labels >= 0 as integers.")
        if prediction.max() >= len(self.palette):
            raise ValueError(
                f"prediction {name!r} holds label {prediction.max()} but the palette has "
                f"{len(self.palette)} colours: pass a palette with a row for every label."
            )
        return prediction

    def _score_all(self) -> dict:
        if self.truth is None:
            return {}
        return {
            name: scores.image_scores(self.truth, mask, self.num_classes, self.ignore_class)
            for name, mask in self.masks.items()
        }

    def _compute(self, values):
        names = list(self.masks)
        variant = values["variant"]
        index = names.index(variant)
        changed = (
            0 if index == 0 else int(np.sum(self.masks[variant] != self.masks[names[index - 1]]))
        )
        score = self.scores.get(variant, {})
        return {
            "variant": variant,
            "opacity": values["opacity"] / 100,
            "truth": values.get("truth", False),
            "errors": values.get("errors", False),
            "shape": self.photo.shape[:2],
            "scores": self.scores,
            "pixel_accuracy": score.get("pixel_accuracy"),
            "mean_iu": score.get("mean_iu"),
            "wrong_pixels": score.get("wrong_pixels"),
            "changed_pixels": changed,
        }

    def panels(self) -> dict:
        """The pictures of the current state.

        Returns:
            dict of ``(H, W, 3) uint8``: ``prediction`` (the variant's colours over the
            photo at ``opacity``, wrong pixels ``ERROR_COLOUR`` when ``errors`` is on)
            and, when ``truth`` is on, ``truth`` (the labels over the photo, void left bare).
        """
        mask = self.masks[self.state["variant"]]
        wrong = None
        if self.state["errors"]:
            wrong = scores.wrong_pixels(self.truth, mask, self.num_classes, self.ignore_class)
        panels = {"prediction": self._paint(mask, wrong)}
        if self.state["truth"]:
            panels["truth"] = self._paint(self.truth)
        return panels

    def _paint(self, mask, wrong=None) -> np.ndarray:
        return viz.paint_labels(
            self.photo, mask, self.palette, self.state["opacity"], None, self.ignore_class, wrong
        )

    def _draw(self):
        height, width = self.state["shape"]
        panels = self.panels()
        fig_height = 5 * height / width + 1.4  # title above, legend below
        fig = viz.new_figure(5 * len(panels), fig_height, dpi=DPI)
        axes = np.atleast_1d(fig.subplots(1, len(panels)))
        fig.subplots_adjust(
            left=0.01, right=0.99, top=1 - 0.45 / fig_height, bottom=0.8 / fig_height, wspace=0.03
        )
        title = self.state["variant"]
        if self.state["pixel_accuracy"] is not None:
            title += (
                f": pixel accuracy {self.state['pixel_accuracy']:.1%}, "
                f"mean IU {self.state['mean_iu']:.1%}"
            )
        titles = {"prediction": title, "truth": "ground truth"}
        for ax, (key, picture) in zip(axes, panels.items()):
            ax.imshow(picture)
            ax.set_title(titles[key], fontsize=10)
            ax.set_axis_off()
        fig.legend(handles=self._legend(), loc="lower center", ncol=6, fontsize=9, frameon=False)
        return fig

    def _legend(self) -> list:
        # The classes on screen (void stays bare, so it is not listed), and the error colour.
        shown = [self.masks[self.state["variant"]]]
        if self.state["truth"]:
            shown.append(self.truth)
        present = np.unique(np.concatenate([mask.ravel() for mask in shown]))
        named = [int(k) for k in present if k < len(self.class_names)]
        wrong = "wrong" if self.state["errors"] else None
        return viz.legend_handles(named, self.class_names, self.palette, wrong=wrong)

    def _describe(self):
        variant = self.state["variant"]
        text = f"<p><b>{html.escape(variant)}</b>"
        if self.state["changed_pixels"]:
            previous = list(self.masks)[list(self.masks).index(variant) - 1]
            text += (
                f": {self.state['changed_pixels']} pixels relabelled since {html.escape(previous)}"
            )
        text += "</p>"
        if not self.scores:
            return text
        rows = "".join(
            f"<tr><td>{'▶ ' if name == variant else ''}{html.escape(name)}</td>"
            f"<td>{score['pixel_accuracy']:.1%}</td><td>{score['mean_iu']:.1%}</td>"
            f"<td>{score['wrong_pixels']}</td></tr>"
            for name, score in self.scores.items()
        )
        return (
            text + "<table><tr><th>variant</th><th>pixel accuracy</th><th>mean IU</th>"
            f"<th>wrong pixels</th></tr>{rows}</table>"
        )
