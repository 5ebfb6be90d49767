"""Train on train, choose on val, score on test once: the blocks results files carry.

Every results file (``results/demo.json``, ``results/transfer.json``, ...) holds, for each
model it reports, a ``val`` block and a ``test`` block (the four metrics, per-class IU and
per-class accuracy) and a ``checkpoint`` record saying which file was scored and how it
was chosen. Val chose the checkpoint, so val flatters it; test is the number to quote.

Introduced in ``07_self_driving_demo.ipynb``.
"""

from __future__ import annotations

import math

from fcn_tutorial.scores import per_image_mean_iu
from fcn_tutorial.training.evaluation import (
    FLIP,
    predict_masks,
    score_predictions,
    scores_to_json,
)

__all__ = ["CHOSEN_BY", "checkpoint_record", "score_split"]

CHOSEN_BY = "highest val mean IU"
"""str: how ``train`` chooses ``best.keras`` among the epochs (the only choice it makes)."""


def checkpoint_record(history: list[dict], file: str = "best.keras") -> dict:
    """Which checkpoint a run's scores are of, and how it was chosen.

    Args:
        history: the run's epochs (``summary["history"]``), each with ``epoch`` and
            ``val_mean_iu``.
        file: the checkpoint's file name.

    Returns:
        dict: ``file``, ``epoch`` (the epoch with the highest val mean IU, the one
        ``best.keras`` holds; ``None`` without a validated epoch), ``of_epochs`` and
        ``chosen_by``, e.g. ``"best.keras: epoch 27 of 30, highest val mean IU"`` as
        ``text``.

    Example:
        >>> history = [{"epoch": 1, "val_mean_iu": 0.3}, {"epoch": 2, "val_mean_iu": 0.2}]
        >>> checkpoint_record(history)["text"]
        'best.keras: epoch 1 of 2, highest val mean IU'
    """
    scored = [row for row in history if not math.isnan(row.get("val_mean_iu", math.nan))]
    # The first epoch to reach the best score: Checkpoints saves only on a strict rise.
    best = max(scored, key=lambda row: row["val_mean_iu"], default=None)
    epoch = None if best is None else int(best["epoch"])
    return {
        "file": file,
        "epoch": epoch,
        "of_epochs": len(history),
        "chosen_by": CHOSEN_BY,
        "text": f"{file}: epoch {epoch} of {len(history)}, {CHOSEN_BY}",
    }


def score_split(model, split, batch_size: int = 4, flip: bool | None = None) -> tuple[dict, dict]:
    """Score ``model`` on one split: its results-file block, and what the pictures need.

    Args:
        model: an FCN with as many classes as ``split`` names.
        split: a :class:`~fcn_tutorial.datasets.Split` (images, masks, class names).
        batch_size: images per forward pass.
        flip: test-time flip averaging (``None``: ``predict_masks``'s default).

    Returns:
        ``(block, extra)``: ``block`` holds the four metrics, ``per_class_iu`` and
        ``per_class_accuracy`` by class name, ``num_images`` and ``flip``; ``extra``
        holds ``predictions``, ``per_image_mean_iu`` (arrays) and ``confusion``.
    """
    names = list(split.class_names)
    predictions = predict_masks(model, split.images, batch_size, flip=flip)
    scores = score_predictions(split.masks, predictions, len(names))
    block = {
        **scores_to_json(scores, names),
        "num_images": len(split),
        "flip": FLIP if flip is None else bool(flip),
    }
    extra = {
        "predictions": predictions,
        "per_image_mean_iu": per_image_mean_iu(split.masks, predictions, len(names)),
        "confusion": scores["confusion"],
    }
    return block, extra
