"""Training: the loss falls, files are written atomically, resume continues a killed run."""

import csv
import json

import keras
import numpy as np
import pytest

from fcn_tutorial import training
from fcn_tutorial.datasets import VOID

# Tiny and random-initialised: seconds per run, no ImageNet file needed.
TINY = dict(
    weights=None,
    num_train=16,
    num_val=4,
    image_size=(64, 96),
    batch_size=8,
    epochs=2,
    verbose=0,
    seed=3,
)


class _KillAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt  # as if the process were stopped right after epoch 1


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return out, training.train(out=str(out), **TINY)


def test_a_short_run_lowers_the_loss(finished_run):
    _, summary = finished_run
    losses = [epoch["loss"] for epoch in summary["history"]]
    assert len(losses) == 2 and losses[1] < losses[0]


def test_a_run_writes_its_logs_checkpoints_and_summary(finished_run):
    out, summary = finished_run
    assert sorted(p.name for p in out.iterdir()) == [
        "best.keras",
        "last.keras",
        "log.csv",
        "log.json",
        "state.json",
        "summary.json",
    ]
    model = keras.saving.load_model(out / "best.keras")
    assert model.output_shape == (None, None, None, 11)
    with open(out / "log.csv") as file:
        assert [row["epoch"] for row in csv.DictReader(file)] == ["0", "1"]
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["metrics"] == summary["metrics"]
    for key in ("pixel_accuracy", "mean_accuracy", "mean_iu", "frequency_weighted_iu"):
        assert 0 <= on_disk["metrics"][key] <= 1
    assert set(on_disk["metrics"]["per_class_iu"]) <= set(summary["class_names"])
    assert on_disk["metrics"]["mean_iu"] == pytest.approx(on_disk["best_val_mean_iu"], abs=1e-4)
    assert on_disk["baseline"]["predictor"].startswith("every pixel ")
    for key in ("wall_time_s", "train_images_per_s", "device", "backend", "versions", "config"):
        assert on_disk[key], key
    assert on_disk["config"]["epochs"] == 2 and on_disk["profile"] == "quick"


def test_resume_continues_a_killed_run_where_it_stopped(tmp_path, finished_run):
    finished_out, finished = finished_run
    with pytest.raises(KeyboardInterrupt):
        training.train(out=str(tmp_path), callbacks=[_KillAfterFirstEpoch()], **TINY)
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 1
    assert not list(tmp_path.glob(".*tmp*")), "no temporary file is left behind"

    resumed = training.train(out=str(tmp_path), resume=True, **TINY)
    assert resumed["initial_epoch"] == 1
    with open(tmp_path / "log.csv") as file:
        assert [row["epoch"] for row in csv.DictReader(file)] == ["0", "1"]
    assert [e["epoch"] for e in resumed["history"]] == [1, 2]
    # Epoch 1 is the same computation in both runs; epoch 2 differs only by what the
    # train() docstring names (dropout's random state, float summation order).
    assert resumed["history"][0]["loss"] == pytest.approx(finished["history"][0]["loss"])
    assert resumed["history"][1]["loss"] == pytest.approx(finished["history"][1]["loss"], rel=0.05)
    ours = keras.saving.load_model(tmp_path / "last.keras").get_weights()
    theirs = keras.saving.load_model(finished_out / "last.keras").get_weights()
    largest = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True))
    assert largest < 0.02


def test_train_rejects_unknown_names_before_reading_data(tmp_path):
    with pytest.raises(ValueError, match="unknown backbone 'resnet'"):
        training.train(backbone="resnet", out=str(tmp_path))
    with pytest.raises(ValueError, match="unknown variant"):
        training.train(variant="fcn4s", out=str(tmp_path))
    with pytest.raises(ValueError, match="unknown profile"):
        training.train(profile="huge", out=str(tmp_path))
    with pytest.raises(ValueError, match="unknown setting"):
        training.train(epoch=3, out=str(tmp_path))
    assert not list(tmp_path.iterdir())


def test_profiles_pick_the_documented_models():
    quick = training._make_config(None, {})
    assert (quick.dataset, quick.backbone, quick.alpha, quick.variant) == (
        "synthetic",
        "mobilenet",
        0.25,
        "fcn8s",
    )
    cpu = training._make_config(None, {"profile": "cpu"})
    assert (cpu.dataset, cpu.backbone, cpu.alpha, cpu.weights) == (
        "camvid",
        "mobilenet",
        0.25,
        "imagenet",
    )
    gpu = training._make_config(None, {"profile": "gpu", "epochs": 3})
    assert (gpu.backbone, gpu.mixed_precision, gpu.epochs) == ("vgg16", "bfloat16", 3)


def test_predict_masks_and_evaluate_keep_sizes_and_count_every_pixel():
    model = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(3, 1)])
    model.set_weights([np.eye(3, dtype="float32")[None, None], np.zeros(3, "float32")])
    images = np.zeros((2, 5, 7, 3), "uint8")
    images[0, ..., 1] = 9  # channel 1 largest: class 1 everywhere
    masks = training.predict_masks(model, images)
    assert masks.dtype == np.uint8 and masks.shape == (2, 5, 7)
    assert (masks[0] == 1).all()
    single = training.predict_masks(model, images[0, :3, :4])
    assert single.shape == (3, 4)
    odd = training.predict_masks(model, [images[0], images[1, :2, :3]])
    assert [m.shape for m in odd] == [(5, 7), (2, 3)]

    truth = np.ones((2, 5, 7), "uint8")
    truth[1] = 0  # image 1 is all zeros: zero logits, argmax class 0
    truth[1, 0, 0] = 2
    truth[0, 0, 0] = VOID
    scores = training.evaluate(model, images, truth)
    assert scores["confusion"].tolist() == [[34, 0, 0], [0, 34, 0], [1, 0, 0]]
    assert scores["mean_iu"] == pytest.approx((34 / 35 + 1 + 0) / 3)
    with pytest.raises(ValueError, match="predicts 3 classes"):
        training.evaluate(model, images, truth + 5)
    with pytest.raises(ValueError, match="channels"):
        training.predict_masks(model, np.zeros((4, 4, 1)))
