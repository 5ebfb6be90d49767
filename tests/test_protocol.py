"""Train on train, choose on val, score on test once: checkpoint records, split blocks,
and ``fcn-tutorial evaluate --split test`` on CamVid's test images."""

import math

import pytest

from fcn_tutorial import datasets, training
from fcn_tutorial.cli import main
from fcn_tutorial.models import build_fcn


def test_the_checkpoint_record_names_the_epoch_val_chose():
    history = [
        {"epoch": 1, "val_mean_iu": 0.30},
        {"epoch": 2, "val_mean_iu": 0.41},
        {"epoch": 3, "val_mean_iu": 0.41},  # a tie does not save: best.keras stays epoch 2
        {"epoch": 4, "val_mean_iu": 0.39},
    ]
    record = training.checkpoint_record(history)
    assert (record["epoch"], record["of_epochs"], record["file"]) == (2, 4, "best.keras")
    assert record["text"] == "best.keras: epoch 2 of 4, highest val mean IU"
    assert training.checkpoint_record([{"epoch": 1, "val_mean_iu": math.nan}])["epoch"] is None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("protocol") / "tiny.keras"
    build_fcn(11, backbone="mobilenet", alpha=0.25, weights=None).save(path)
    return path


def test_a_split_block_holds_the_four_metrics_and_both_tables(tiny):
    model = training.load_model(tiny)
    split = datasets.load_split("synthetic", "test", size=(64, 96), count=2)
    block, extra = training.score_split(model, split, flip=True)
    assert set(training.PAPER_METRICS) <= set(block) and block["flip"] is True
    assert list(block["per_class_iu"]) == list(split.class_names)
    assert list(block["per_class_accuracy"]) == list(split.class_names)
    assert block["num_images"] == 2 and extra["predictions"].shape == (2, 64, 96)
    assert extra["per_image_mean_iu"].shape == (2,)
    again = training.evaluate(model, split.images, split.masks, flip=True)
    assert again["mean_iu"] == pytest.approx(block["mean_iu"], abs=1e-6)


def test_evaluate_scores_camvid_test(tiny, capsys):
    if datasets.locate_camvid(splits="test") is None:
        pytest.skip("CamVid's test split is not here (fcn-tutorial download camvid)")
    argv = ["evaluate", "--model", str(tiny), "--dataset", "camvid", "--split", "test"]
    assert main([*argv, "--num-images", "2"]) == 0
    out = capsys.readouterr().out
    assert "camvid test (2 images, flip-averaged)" in out  # training.FLIP, chosen on val
    for label in ("pixel accuracy", "mean accuracy", "mean IU", "frequency weighted IU"):
        assert label in out
    for name in datasets.CLASS_NAMES:
        assert name in out
