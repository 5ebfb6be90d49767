"""A trained model's results as pictures: learning curves, best and worst images.

Introduced in ``07_self_driving_demo.ipynb`` (the demo's training and its gallery).
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial.classes import CLASS_NAMES
from fcn_tutorial.scores import wrong_pixels
from fcn_tutorial.viz.core import new_figure
from fcn_tutorial.viz.labels import legend_handles, paint_labels

__all__ = ["plot_history", "plot_gallery", "plot_confusion"]


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


def plot_gallery(
    images, masks, predictions, scores, count: int = 3, names=None, class_names=CLASS_NAMES
):
    """The ``count`` best and worst images by mean IU: labels, prediction, errors in cyan.

    Args:
        images: ``(N, H, W, 3) uint8``.
        masks: ``(N, H, W)`` labels, ``VOID`` unlabelled.
        predictions: ``(N, H, W)`` predicted labels.
        scores: ``(N,)`` each image's mean IU.
        count: images of each kind.
        names: one name per image for the titles (e.g. ``Seq05VD_f02370``), else indices.
        class_names: the legend's class names.

    Returns:
        ``(figure, picks)``: a ``Figure`` and ``{"best": [...], "worst": [...]}`` indices.
    """
    order = np.argsort(scores, kind="stable")
    picks = {"best": order[::-1][:count].tolist(), "worst": order[:count].tolist()}
    fig = new_figure(12, 2.9 * 2 * count + 0.8, dpi=60)
    axes = fig.subplots(2 * count, 3)
    for row, (kind, index) in enumerate((k, i) for k in picks for i in picks[k]):
        image, mask, predicted = images[index], masks[index], predictions[index]
        wrong = wrong_pixels(mask, predicted)
        name = names[index] if names is not None else f"image {index}"
        panels = [
            (paint_labels(image, mask), f"{name}: labels"),
            (paint_labels(image, predicted), f"{kind}: mean IU {scores[index]:.2f}"),
            (paint_labels(image // 2, mask, opacity=0.0, wrong=wrong), "errors in cyan"),
        ]
        for ax, (picture, title) in zip(axes[row], panels, strict=True):
            ax.imshow(np.asarray(picture).astype(np.uint8))
            ax.set_title(title, fontsize=12)
            ax.axis("off")
    handles = legend_handles(class_names=class_names, wrong="error")
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=11, frameon=False)
    bottom = 0.8 / (2.9 * 2 * count + 0.8) + 0.02
    fig.subplots_adjust(left=0.01, right=0.99, top=0.97, bottom=bottom, wspace=0.03, hspace=0.2)
    return fig, picks


def plot_confusion(confusion, class_names=CLASS_NAMES, title: str = "test"):
    """The confusion matrix, each row (a true class) in percent of its pixels, values shown.

    Args:
        confusion: ``(K, K)`` pixel counts, rows true classes, columns predicted.
        class_names: the ``K`` names.
        title: what was scored, for the title.

    Returns:
        Figure.
    """
    confusion = np.asarray(confusion, np.float64)
    totals = confusion.sum(axis=1, keepdims=True)
    share = np.divide(100 * confusion, totals, out=np.zeros_like(confusion), where=totals > 0)
    fig = new_figure(8, 7, dpi=80)
    ax = fig.subplots()
    ax.imshow(share, cmap="Blues", vmin=0, vmax=100)
    for (row, column), value in np.ndenumerate(share):
        colour = "white" if value > 60 else "black"
        ax.text(column, row, f"{value:.0f}", ha="center", va="center", fontsize=10, color=colour)
    ticks = range(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=60, ha="right", fontsize=10)
    ax.set_yticks(ticks, class_names, fontsize=10)
    ax.set(xlabel="predicted class", ylabel="true class")
    ax.set_title(f"Confusion on {title}: % of each true class's pixels", fontsize=12)
    fig.tight_layout()
    return fig
