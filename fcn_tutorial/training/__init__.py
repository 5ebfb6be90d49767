"""Train, evaluate and apply an FCN: what ``fcn-tutorial train/evaluate/predict`` run.

Keras 3 only, so the same code trains on the TensorFlow, JAX and PyTorch backends. The
notebooks train briefly, in a few cells; this package is the full recipe: data, model,
loss, schedule, logs, checkpoints and the paper's metrics in one call::

    from fcn_tutorial import training
    summary = training.train(profile="quick", out="/tmp/runs/quick")
    summary["metrics"]["mean_iu"], summary["baseline"]["mean_iu"]
    training.Run("/tmp/runs/quick").best_model()   # the checkpoint chosen on val

- ``config``: :class:`TrainConfig` and the ``PROFILES`` quick, cpu and gpu.
- ``run``: :class:`Run`, the one object that reads and writes a run's folder.
- ``loop``: :func:`train`, config → data → model → fit → evaluate → summary.
- ``callbacks``: checkpoints, the stop on a NaN loss (:class:`NonFiniteLossError`), the
  time budget, throughput.
- ``devices``: data parallel over several devices (Keras' ``DataParallel``, JAX).
- ``evaluation``: :func:`load_model`, :func:`check_model`, :func:`predict_masks`
  (``flip=True``: test-time flip averaging), :func:`evaluate`.
- ``protocol``: train on train, choose on val, score on test once: :func:`score_split`
  (a results file's ``val``/``test`` block), :func:`checkpoint_record`.

Introduced in ``05_transfer_learning.ipynb``; ``07_self_driving_demo.ipynb`` trains
the demo with it.
"""

from fcn_tutorial.training.callbacks import NonFiniteLossError
from fcn_tutorial.training.config import DATASETS, PROFILES, TrainConfig, mixed_policy
from fcn_tutorial.training.evaluation import (
    FLIP,
    PAPER_METRICS,
    check_model,
    evaluate,
    load_model,
    predict_masks,
    score_predictions,
    scores_to_json,
)
from fcn_tutorial.training.loop import load_data, train
from fcn_tutorial.training.protocol import CHOSEN_BY, checkpoint_record, score_split
from fcn_tutorial.training.run import Run, json_default, write_json

__all__ = [
    "DATASETS",
    "PROFILES",
    "PAPER_METRICS",
    "TrainConfig",
    "Run",
    "NonFiniteLossError",
    "train",
    "load_data",
    "evaluate",
    "predict_masks",
    "check_model",
    "load_model",
    "scores_to_json",
    "score_predictions",
    "score_split",
    "checkpoint_record",
    "CHOSEN_BY",
    "FLIP",
    "mixed_policy",
    "write_json",
    "json_default",
]
