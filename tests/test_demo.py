"""The headless demo (make demo) and the GPU-readiness switches, exercised on a CPU."""

import json

import keras
import numpy as np
import pytest

from fcn_tutorial import demo, drive, training, video
from fcn_tutorial.cli import main

TINY = {
    "weights": None,
    "epochs": 2,
    "num_train": 8,
    "num_val": 4,
    "image_size": (64, 96),
    "crop_size": (64, 96),
    "batch_size": 4,
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "run"
    return out, demo.run_demo("quick", str(out), download=False, **TINY)


def test_the_demo_writes_everything_it_promises(finished):
    out, summary = finished
    assert summary["hardware"]["device"] == "cpu" and summary["hardware"]["profile"] == "cpu"
    assert summary["notices"][0].startswith("Hardware: ")
    assert len(summary["per_image_mean_iu"]) == 4  # the synthetic test set's 4 images
    assert summary["drive"]["source"] == "the synthetic drive"
    assert set(summary["files"]) == {
        "summary", "gallery", "confusion", "drive", "preview"
    }  # fmt: skip
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["metrics"] == summary["metrics"]
    assert on_disk["speed"]["ms_per_frame"] > 0 and on_disk["speed"]["size"] == [64, 96]
    probe = video.probe_video(out / "drive.mp4")
    assert (probe["codec"], probe["frames"], probe["size"]) == ("h264", 8, (1440, 432))
    assert 0 < (out / "drive.webp").stat().st_size <= drive.PREVIEW_LIMIT
    assert (out / "gallery.png").stat().st_size > 10_000
    assert (out / "confusion.png").stat().st_size > 10_000


def test_the_demo_scores_val_and_test_and_says_which_checkpoint(finished):
    out, summary = finished
    history = summary["history"]
    best = max(history, key=lambda row: row["val_mean_iu"])
    assert summary["checkpoint"]["epoch"] == best["epoch"]
    assert summary["checkpoint"]["text"] == (
        f"best.keras: epoch {best['epoch']} of 2, highest val mean IU"
    )
    # val is what train reported for best.keras; test is other scenes, scored apart.
    assert summary["val"]["mean_iu"] == pytest.approx(summary["metrics"]["mean_iu"], abs=1e-6)
    assert summary["val"]["num_images"] == 4 and summary["test"]["num_images"] == 4
    for block in (summary["val"], summary["test"]):
        assert set(training.PAPER_METRICS) <= set(block)
        assert (
            set(block["per_class_iu"])
            == set(block["per_class_accuracy"])
            == set(summary["class_names"])
        )
    flips = summary["flip"]
    assert flips["default"] == training.FLIP
    assert flips["with"]["test"]["flip"] and not flips["without"]["test"]["flip"]
    chosen = flips["with" if training.FLIP else "without"]
    assert chosen["val"] == summary["val"] and chosen["test"] == summary["test"]
    assert set(summary["gallery"]) == {"best", "worst"}


def test_a_rerun_reuses_the_finished_checkpoint(finished):
    out, first = finished
    before = (out / "best.keras").stat().st_mtime_ns
    again = demo.run_demo("quick", str(out), download=False, **TINY)
    assert again["initial_epoch"] == again["epochs"] == 2  # nothing left to train
    assert again["metrics"] == first["metrics"]
    assert (out / "best.keras").stat().st_mtime_ns == before


def test_without_camvid_the_demo_says_why_it_uses_synthetic_streets(monkeypatch):
    import fcn_tutorial.datasets as datasets

    monkeypatch.setattr(datasets, "locate_camvid", lambda *args, **kwargs: None)

    def offline(splits, *args, **kwargs):
        raise ConnectionError(f"could not download CamVid {splits}: no network")

    monkeypatch.setattr(datasets, "download_camvid", offline)
    config, notices = demo.demo_config("cpu", "/tmp/unused")
    assert config.dataset == "synthetic" and config.image_size == (360, 480)
    assert "synthetic street scenes, because CamVid could not be had" in notices[1]
    assert "no network" in notices[1] and "fcn-tutorial download camvid" in notices[1]
    assert "No GPU" in notices[2]
    # The time it quotes is the committed run's (notebook 07 quotes the same file).
    committed = json.loads(demo.RESULTS_FILE.read_text())
    assert f"about {round(committed['train_time_s'] / 60)} minutes" in notices[2]
    # And the notices the committed file keeps agree with its own training time.
    kept = [notice for notice in committed["notices"] if "No GPU" in notice]
    assert kept and all(notice == notices[2] for notice in kept), kept


def test_the_gpu_profile_sizes_its_batch_and_falls_back_from_vgg16(monkeypatch):
    machine = {"backend": "jax", "device": "gpu", "device_name": "NVIDIA H100 80GB HBM3"}
    monkeypatch.setattr(
        demo,
        "check_hardware",
        lambda: {**machine, "memory_gib": 80.0, "cpu_count": 16, "profile": "gpu"},
    )
    monkeypatch.setattr(demo, "imagenet_weights_available", lambda *args, **kwargs: False)
    config, notices = demo.demo_config(None, "/tmp/unused", dataset="synthetic")
    assert config.profile == "gpu" and config.mixed_precision == "bfloat16"
    assert (config.backbone, config.alpha) == ("mobilenet", 0.25)
    assert config.batch_size == demo.batch_size_for_memory(80.0, "mobilenet") == 32
    assert any("VGG16's ImageNet weights are unavailable" in line for line in notices)


def test_the_command_line_demo(tmp_path, capsys):
    code = main(["demo", "--profile", "quick", "--out", str(tmp_path), "--offline"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "test mean IU" in printed and "val mean IU" in printed
    assert "scored best.keras: epoch" in printed and str(tmp_path / "drive.mp4") in printed
    code = main(["demo", "--profile", "laptop", "--out", str(tmp_path)])
    assert code == 2
    assert "unknown profile 'laptop'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setting", "compute", "scaled"),
    [("bfloat16", "bfloat16", False), ("float16", "float16", True), (False, "float32", False)],
)
def test_mixed_precision_trains_in_16_bits_and_scores_in_32(tmp_path, setting, compute, scaled):
    """The GPU path's policy switch, loss scaling and float32 outputs, checked on a CPU."""
    seen = {}

    class Probe(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["compute"] = self.model.get_layer("score_fr").compute_dtype
            seen["optimizer"] = type(self.model.optimizer).__name__

    summary = training.train(
        {**TINY, "epochs": 1, "mixed_precision": setting, "out": str(tmp_path)},
        callbacks=[Probe()],
        verbose=0,
    )
    assert seen["compute"] == compute
    assert (seen["optimizer"] == "LossScaleOptimizer") is scaled
    assert summary["mixed_precision"] == (f"mixed_{setting}" if setting else None)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is put back
    model = training.load_model(tmp_path / "best.keras")
    logits = model(np.zeros((1, 64, 96, 3), "float32"))
    assert logits.dtype == "float32" and np.isfinite(keras.ops.convert_to_numpy(logits)).all()
    assert 0 <= summary["metrics"]["mean_iu"] <= 1


def test_a_bad_precision_setting_names_the_choices():
    with pytest.raises(ValueError, match="pass 'bfloat16', 'float16'"):
        training.train(mixed_precision="fp8")


def test_threads_feeding_the_model_see_the_same_batches(tmp_path):
    """data_workers (the GPU's default is up to 8) changes who prepares batches, not them."""
    one = training.train({**TINY, "epochs": 1, "data_workers": 1, "out": str(tmp_path / "a")})
    two = training.train({**TINY, "epochs": 1, "data_workers": 3, "out": str(tmp_path / "b")})
    assert one["history"][0]["loss"] == pytest.approx(two["history"][0]["loss"], rel=1e-5)


def test_a_time_budget_stops_training_after_the_running_epoch(tmp_path):
    """The GPU run trains for a fixed wall-clock budget: spent at once, one epoch is left."""
    summary = training.train(
        {**TINY, "epochs": 5, "time_budget_s": 1e-3, "out": str(tmp_path)}, verbose=0
    )
    assert [row["epoch"] for row in summary["history"]] == [1]
    assert "val_mean_iu" in summary["history"][0]  # the cut epoch is still validated
    assert (tmp_path / "best.keras").is_file()
