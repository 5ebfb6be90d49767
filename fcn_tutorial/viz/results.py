"""A trained model's results as pictures: learning curves, best and worst images.

Introduced in ``07_self_driving_demo.ipynb`` (the demo's training and its gallery).
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial.scores import wrong_pixels
from fcn_tutorial.viz.core import new_figure
from fcn_tutorial.viz.labels import paint_labels

__all__ = ["plot_history", "plot_gallery"]


def plot_history(history: list[dict], epochs: int | None = None):
    """Training loss and validation mean IU per epoch, side by side.

    Args:
        history: one dict per epoch with ``epoch``, ``loss`` and, where validated,
            ``val_loss`` and ``val_mean_iu`` (a run's ``state.json`` history).
        epochs: the x range (the epochs the run goes to); ``None``: those done.

    Returns:
        Figure: two panels.
    """
    fig = new_figure(9, 3, dpi=80)
    loss_ax, iou_ax = fig.subplots(1, 2)
    done = [row["epoch"] for row in history]
    loss_ax.plot(done, [row["loss"] for row in history], "o-", label="training")
    loss_ax.plot(done, [row.get("val_loss") for row in history], "o-", label="validation")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss")
    loss_ax.legend()
    iou_ax.plot(done, [row.get("val_mean_iu") for row in history], "o-", color="tab:green")
    iou_ax.set(xlabel="epoch", ylabel="mean IU", title="validation mean IU", ylim=(0, 1))
    for ax in (loss_ax, iou_ax):
        ax.set_xlim(0.5, (epochs or max(done, default=1)) + 0.5)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_gallery(images, masks, predictions, scores, count: int = 3):
    """The ``count`` best and worst images by mean IU: labels, prediction, errors in cyan.

    Args:
        images: ``(N, H, W, 3) uint8``.
        masks: ``(N, H, W)`` labels, ``VOID`` unlabelled.
        predictions: ``(N, H, W)`` predicted labels.
        scores: ``(N,)`` each image's mean IU.
        count: images of each kind.

    Returns:
        ``(figure, picks)``: a ``Figure`` and ``{"best": [...], "worst": [...]}`` indices.
    """
    order = np.argsort(scores, kind="stable")
    picks = {"best": order[::-1][:count].tolist(), "worst": order[:count].tolist()}
    fig = new_figure(12, 2.4 * 2 * count, dpi=60)
    axes = fig.subplots(2 * count, 3)
    for row, (kind, index) in enumerate((k, i) for k in picks for i in picks[k]):
        image, mask, predicted = images[index], masks[index], predictions[index]
        wrong = wrong_pixels(mask, predicted)
        panels = [
            (paint_labels(image, mask), f"image {index}: labels"),
            (paint_labels(image, predicted), f"{kind}: mean IU {scores[index]:.2f}"),
            (paint_labels(image // 2, mask, opacity=0.0, wrong=wrong), "errors in cyan"),
        ]
        for ax, (picture, title) in zip(axes[row], panels, strict=True):
            ax.imshow(np.asarray(picture).astype(np.uint8))
            ax.set_title(title, fontsize=9)
            ax.axis("off")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.97, bottom=0.01, wspace=0.03, hspace=0.15)
    return fig, picks
