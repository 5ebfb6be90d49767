"""Train the GPU profile on packed CamVid for a fixed wall-clock budget, then score it.

The training step of ``benchmarks/gpu_run.sh`` (issue 9) until ``fcn-tutorial demo``
exists: it unpacks the ``.npz`` that ``pack_camvid.py`` wrote into a folder, runs
``fcn_tutorial.training.train`` with the ``gpu`` profile on it (CamVid's 367 train and
101 val pairs, mixed precision), stops at the end of the first batch past ``--budget-s``
seconds of training (the epoch's validation and checkpoint still run), and lets ``train``
score ``best.keras`` on all of val. ``--merge-into`` adds the outcome, as ``"training"``,
to the JSON file ``fcn8s_speed.py`` wrote, so one file holds the whole GPU run.

Backbone: the profile's VGG16 from ImageNet when its weights file is in
``$KERAS_HOME/models``, else MobileNet (alpha 0.25) from ImageNet when that file is (the
only ImageNet weights this project has offline), else VGG16 from random weights; the JSON
says which and why.

Usage, from the repository root::

    KERAS_BACKEND=jax python benchmarks/gpu_train.py --data .carry/camvid.npz \\
        --budget-s 300 --out /tmp/gpu-train --merge-into results/gpu/DATE-DEVICE.json
    KERAS_BACKEND=jax python benchmarks/gpu_train.py --data .carry/camvid.npz --smoke

Not part of the package.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (str(ROOT / "benchmarks"), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# A CPU check of the whole path in a minute: small images, a few pairs, float32.
SMOKE = {
    "image_size": (64, 96),
    "crop_size": None,
    "num_train": 8,
    "epochs": 2,
    "batch_size": 4,
    "mixed_precision": None,
}


def choose_backbone(keras_home: Path) -> dict:
    """The profile's backbone if its ImageNet weights are here, else the best that are."""
    from fcn_tutorial.models import imagenet_weights_file

    models = keras_home / "models"
    vgg16 = imagenet_weights_file("vgg16", 1.0, include_top=True)
    mobilenet = imagenet_weights_file("mobilenet", 0.25, include_top=False)
    if (models / vgg16).is_file():
        return {"backbone": "vgg16", "alpha": 1.0, "weights": "imagenet", "reason": vgg16}
    if (models / mobilenet).is_file():
        reason = f"{vgg16} is not in {models} (no network to fetch it); {mobilenet} is"
        return {"backbone": "mobilenet", "alpha": 0.25, "weights": "imagenet", "reason": reason}
    reason = f"neither {vgg16} nor {mobilenet} is in {models}: random initialisation"
    return {"backbone": "vgg16", "alpha": 1.0, "weights": None, "reason": reason}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the .npz from pack_camvid.py")
    parser.add_argument("--budget-s", type=float, default=300.0, help="training seconds (300)")
    parser.add_argument("--out", default="/tmp/gpu-train", help="run folder (checkpoints)")
    parser.add_argument("--epochs", type=int, help="at most this many (default: the profile's)")
    parser.add_argument("--merge-into", help="add a 'training' entry to this JSON file")
    parser.add_argument("--smoke", action="store_true", help="tiny CPU check: " + str(SMOKE))
    args = parser.parse_args(argv)
    if args.budget_s <= 0:
        parser.error("--budget-s must be positive, e.g. 300.")
    if not Path(args.data).is_file():
        parser.error(f"no file {args.data}: write it with benchmarks/pack_camvid.py first.")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import keras
    import numpy as np
    from pack_camvid import unpack

    from fcn_tutorial import training

    out = Path(args.out)
    folder = unpack(args.data, out / "data")
    with np.load(args.data) as packed:
        quality = int(packed["jpeg_quality"])
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    choice = choose_backbone(keras_home)
    overrides = {
        "dataset": "folder",
        "images": folder["images"],
        "masks": folder["masks"],
        "num_classes": 11,
        "void_index": 11,  # CamVid's void, packed as it is
        "num_val": folder["num_val"],
        "backbone": choice["backbone"],
        "alpha": choice["alpha"],
        "weights": choice["weights"],
        "out": str(out / "run"),
        "overwrite": True,  # each call is a new timed run; an earlier one is moved aside
        "verbose": 2,
    }
    if args.smoke:
        overrides.update(SMOKE)
    if args.epochs:
        overrides["epochs"] = args.epochs
    config = training.TrainConfig.from_profile("gpu", **overrides, time_budget_s=args.budget_s)
    started = time.perf_counter()
    summary = training.train(config)
    metrics = summary["metrics"]
    result = {
        "runner": "benchmarks/gpu_train.py: fcn_tutorial.training.train, gpu profile",
        "budget_s": args.budget_s,
        "stopped_by_budget": summary["stopped_by_budget"],
        "epochs_completed": len(summary["history"]),
        "epochs_planned": config.epochs,
        "fit_and_eval_wall_time_s": round(time.perf_counter() - started, 2),
        "backbone": choice["backbone"],
        "alpha": choice["alpha"],
        "weights": choice["weights"],
        "backbone_reason": choice["reason"],
        "variant": config.variant,
        "dataset": (
            f"CamVid train ({summary['num_train']}) / val ({summary['num_val']}) from "
            f"{args.data}: photos JPEG quality {quality}, labels exact"
        ),
        "smoke": args.smoke,
        "mean_iu": metrics["mean_iu"],
        "summary": summary,
    }
    print(
        f"gpu_train: {result['epochs_completed']} epochs in {result['fit_and_eval_wall_time_s']}"
        f" s (budget {args.budget_s:g} s, stopped by it: {summary['stopped_by_budget']}), "
        f"{choice['backbone']} ({choice['weights'] or 'random'}), "
        f"{summary['train_images_per_s']} images/s, val mean IU {metrics['mean_iu']:.4f} "
        f"({keras.backend.backend()}, {summary['device']})",
        flush=True,
    )
    if args.merge_into:
        path = Path(args.merge_into)
        report = json.loads(path.read_text()) if path.is_file() else {}
        report["training"] = result
        training.write_json(report, path)
        print(f"gpu_train: added 'training' to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
