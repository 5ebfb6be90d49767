"""Training: the loss falls, files are written atomically, a killed run resumes bit for bit,
a run is never deleted, settings that cannot train are refused, a failing run exits."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from commandline import run_command, stderr_lines
from PIL import Image

from fcn_tutorial import cli, models, training
from fcn_tutorial.datasets import VOID

ROOT = Path(__file__).resolve().parents[1]

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
        "config.json",
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
    # best_val_mean_iu is Keras' streaming metric, one forward pass per image; the summary's
    # metrics are what predict gives (training.FLIP: flip averaging), so like with like.
    _, val = training.load_data(training.TrainConfig(**on_disk["config"]))
    plain = training.evaluate(model, val.images, val.masks, flip=False)
    assert plain["mean_iu"] == pytest.approx(on_disk["best_val_mean_iu"], abs=1e-4)
    assert on_disk["baseline"]["predictor"].startswith("every pixel ")
    for key in ("wall_time_s", "train_images_per_s", "device", "backend", "versions", "config"):
        assert on_disk[key], key
    assert on_disk["config"]["epochs"] == 2 and on_disk["profile"] == "quick"


def _kill_while_writing_epoch_2s_checkpoint(monkeypatch):
    # As kill -9 in the middle of saving last.keras: a 0-byte temporary file stays, and
    # state.json still names epoch 1.
    save = training.Run.save_model

    def dying(run, model, name):
        if name == "last.keras" and (run.state or {}).get("epoch") == 1:
            run.file(f".last.{os.getpid()}.tmp.keras").write_bytes(b"")
            raise KeyboardInterrupt
        return save(run, model, name)

    monkeypatch.setattr(training.Run, "save_model", dying)


def test_a_killed_and_resumed_run_ends_bit_for_bit_where_an_uninterrupted_one_does(
    tmp_path, monkeypatch
):
    """Issue 14: resumed runs ended elsewhere (val mean IU 0.3240 against 0.3174), and a
    kill during a checkpoint left a temporary file and epoch 2's log row twice.

    On the quick profile as it ships (ImageNet MobileNet, augmentation, 96 scenes), for 2
    of its 8 epochs: killed after epoch 1, resumed and killed again while writing epoch
    2's checkpoint, resumed again, the end is the uninterrupted run's, to the last bit.
    """
    # Offline without the weights (no ../shared), the same recipe from random weights.
    weights = "imagenet" if models.imagenet_weights_available("mobilenet", 0.25) else None
    quick = dict(profile="quick", epochs=2, weights=weights, verbose=0)
    finished_out = tmp_path / "uninterrupted"
    finished = training.train(out=str(finished_out), **quick)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        training.train(out=str(out), callbacks=[_KillAfterFirstEpoch()], **quick)
    assert json.loads((out / "state.json").read_text())["epoch"] == 1
    with monkeypatch.context() as patch:
        _kill_while_writing_epoch_2s_checkpoint(patch)
        with pytest.raises(KeyboardInterrupt):
            training.train(out=str(out), resume=True, **quick)
    assert json.loads((out / "state.json").read_text())["epoch"] == 1
    assert list(out.glob(".*tmp*")), "the kill left a temporary file"

    resumed = training.train(out=str(out), resume=True, **quick)
    assert resumed["initial_epoch"] == 1
    assert not list(out.glob(".*tmp*")), "the killed run's temporary file is removed"
    with open(out / "log.csv") as file:
        assert [row["epoch"] for row in csv.DictReader(file)] == ["0", "1"]

    def numbers(history):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in history]

    assert numbers(resumed["history"]) == numbers(finished["history"])
    assert resumed["metrics"] == finished["metrics"]
    ours = keras.saving.load_model(out / "last.keras").get_weights()
    theirs = keras.saving.load_model(finished_out / "last.keras").get_weights()
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


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
    quick = training.TrainConfig.from_profile("quick")
    assert (quick.dataset, quick.backbone, quick.alpha, quick.variant) == (
        "synthetic",
        "mobilenet",
        0.25,
        "fcn8s",
    )
    cpu = training.TrainConfig.from_profile("cpu")
    assert (cpu.dataset, cpu.backbone, cpu.alpha, cpu.weights) == (
        "camvid",
        "mobilenet",
        0.25,
        "imagenet",
    )
    gpu = training.TrainConfig.from_profile("gpu", epochs=3)
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


def test_a_run_folder_is_read_through_one_object(finished_run, tmp_path):
    out, summary = finished_run
    run = training.Run(out)
    assert run.summary == json.loads((out / "summary.json").read_text())
    assert run.history == summary["history"] and run.state["epoch"] == 2
    assert run.config == training.TrainConfig.from_profile("quick", out=str(out), **TINY)
    assert run.is_finished() and run.is_finished(run.config)
    assert run.best_model().output_shape[-1] == 11
    # Where the files go and how loudly it reports do not change the numbers; the seed does.
    assert run.matches(training.TrainConfig.from_profile("quick", **{**TINY, "verbose": 2}))
    assert run.matches(training.TrainConfig.from_profile("quick", **TINY, overwrite=True))
    assert not run.matches(training.TrainConfig.from_profile("quick", **{**TINY, "seed": 4}))
    empty = training.Run(tmp_path / "nothing")
    assert empty.summary is None and empty.config is None and empty.history == []
    assert not empty.is_finished() and not empty.can_resume()
    with pytest.raises(FileNotFoundError, match="best.keras"):
        empty.best_model()


def test_write_json_replaces_a_file_whole(tmp_path):
    path = tmp_path / "deep" / "data.json"
    training.write_json({"a": np.float32(0.5), "b": (1, 2)}, path)
    assert json.loads(path.read_text()) == {"a": 0.5, "b": [1, 2]}
    training.write_json({"a": 1}, path)
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in path.parent.iterdir()] == ["data.json"], "no temporary file left"


def test_a_config_is_checked_when_it_is_made():
    with pytest.raises(ValueError, match="unknown dataset 'cityscapes'"):
        training.TrainConfig(dataset="cityscapes")
    with pytest.raises(ValueError, match="unknown profile 'laptop'"):
        training.TrainConfig.from_profile("laptop")
    with pytest.raises(ValueError, match="unknown setting"):
        training.TrainConfig.from_profile("quick", epoch=3)
    config = training.TrainConfig(crop_size=[64, 96])
    assert config.crop_size == (64, 96), "sizes from JSON become tuples"


# -- the command line: refusals at the door, runs never deleted, messages that say the fix --

# Flags that make a run take seconds, so a case that is not refused (as on main before
# issue 14) fails its assertions quickly instead of training the whole quick profile.
SMALL = ["--weights", "none", "--epochs", "1", "--batch-size", "4"]
SMALL += ["--num-train", "8", "--num-val", "4", "--size", "64x96"]
# A Python keyword (num_classes) where the command line's user needs a flag (--num-classes).
PYTHON_NAME = re.compile(r"(?<![-\w])[a-z]+_[a-z_]+")


def _one_line_error(capsys, code, *needles):
    err = capsys.readouterr().err
    lines = stderr_lines(err)
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "flags, needle",
    [
        (["--learning-rate", "nan"], "--learning-rate nan cannot train"),
        (["--learning-rate", "inf"], "--learning-rate inf cannot train"),
        (["--learning-rate", "-1"], "--learning-rate -1.0 cannot train"),
        (["--num-train", "0"], "--num-train 0: pass at least 1"),
        (["--num-train", "-5"], "--num-train -5: pass at least 1"),
        (["--num-val", "0"], "--num-val 0: pass at least 1"),
        (["--num-classes", "0"], "--num-classes 0: pass the number of classes"),
        (["--num-classes", "13"], "--num-classes 13 is read only for --dataset 'folder'"),
        (["--void-index", "3"], "--void-index 3: synthetic's void label is 11"),
        (["--epochs", "0"], "--epochs 0: pass at least 1"),
        (["--batch-size", "0"], "--batch-size 0: pass at least 1"),
        (["--weights", "vgg"], "--weights vgg: pass imagenet or none"),
    ],
)
def test_a_setting_that_cannot_train_is_refused_at_the_door(tmp_path, capsys, flags, needle):
    """Issue 14: --learning-rate nan or -1 trained to NaN and printed "done"; --num-train 0
    silently meant 96; --num-classes 0 said "neither classes 0..-1 nor void 11"."""
    out = tmp_path / "run"
    code = cli.main(["train", *SMALL, *flags, "--out", str(out)])
    line = _one_line_error(capsys, code, needle)
    assert "None" not in line, "advice in Python's words, not the command line's"
    assert not PYTHON_NAME.search(line), "a Python name, not a flag"
    assert not out.exists(), "refused before anything was written"


@pytest.mark.parametrize(
    "flags",
    [["--learning-rate", "nan"], ["--num-train", "0"], ["--num-classes", "13"]],
    ids=["learning rate nan", "no training images", "classes of another dataset"],
)
def test_the_console_command_refuses_at_the_door_as_the_test_above_does(tmp_path, flags):
    """The cases above as a user meets them: the console command's own process exits 2
    with the one line cli.main printed, and writes nothing."""
    out = tmp_path / "run"
    result, lines = run_command("train", *SMALL, *flags, "--out", str(out))
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"fcn-tutorial train: error: {' '.join(flags)}"), lines[0]
    assert "None" not in lines[0] and "_" not in lines[0].split(str(out))[0], lines[0]
    assert not out.exists()


def test_missing_imagenet_weights_give_advice_a_command_line_user_can_type(tmp_path):
    """Offline with an empty Keras cache, train advised "--weights None", which the flag
    does not take; its word for random weights is "none"."""
    # A proxy that refuses at once: the download fails as it does without a network.
    offline = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    argv = [*SMALL, "--weights", "imagenet", "--out", str(tmp_path / "run")]
    result, lines = run_command("train", *argv, KERAS_HOME=str(tmp_path / "keras"), **offline)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "could not get ImageNet weights" in lines[-1], lines
    assert "--weights none (random weights" in lines[-1], lines


def test_the_quick_profile_trains_where_it_crashed(tmp_path):
    """Issue 14, the first case as reported: `--profile quick --seed 10` and 360x480 images
    ended in TensorFlow's "generator yielded an element of shape (8, 96, 128, 3) where an
    element of shape (None, 128, 160, 3) was expected" (then often hung). Seed 10 with
    the quick profile's own scaling, at the size of the second report, for one epoch."""
    out = tmp_path / "q10"
    argv = ["train", "--profile", "quick", "--seed", "10", "--weights", "none", "--epochs", "1"]
    argv += ["--num-train", "8", "--num-val", "4", "--size", "360x480", "--out", str(out)]
    result, _ = run_command(*argv)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert json.loads((out / "summary.json").read_text())["config"]["seed"] == 10


def test_a_run_is_never_deleted_and_overwrite_moves_it_aside(finished_run, tmp_path):
    """Issue 14: a rerun without --resume deleted a finished run before its first epoch:
    ``cp -r runs/R runs/Rcopy && fcn-tutorial train --out runs/Rcopy``."""
    finished_out, _ = finished_run
    copy = tmp_path / "R"
    shutil.copytree(finished_out, copy)
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    result, lines = run_command("train", *SMALL, "--out", str(copy))
    assert result.returncode == 2 and len(lines) == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    for needle in ("holds a finished run of 2 epochs", "--resume", "--overwrite"):
        assert needle in lines[0], lines[0]
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before

    result, lines = run_command("train", *SMALL, "--out", str(copy), "--overwrite")
    assert result.returncode == 0, result.stderr[-3000:]
    [aside] = tmp_path.glob("R.replaced-*")
    assert f"moved a finished run of 2 epochs from {copy} to {aside}" in result.stdout
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == before
    assert json.loads((copy / "state.json").read_text())["epoch"] == 1  # the new run


def test_a_resume_with_other_settings_is_refused_naming_them(finished_run, tmp_path, capsys):
    """A resume took whatever settings it was given and went on silently: a run neither
    the old one nor the new. Only how far it goes (epochs, a time budget) may change."""
    finished_out, _ = finished_run
    copy = tmp_path / "R"
    shutil.copytree(finished_out, copy)
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    with pytest.raises(ValueError, match=r"learning_rate=0\.5 \(the run has 0\.002\)\."):
        training.train(out=str(copy), resume=True, **{**TINY, "learning_rate": 0.5})
    with pytest.raises(ValueError, match=r"batch_size=4 \(the run has 8\), seed=4 \(the"):
        training.train(out=str(copy), resume=True, **{**TINY, "seed": 4, "batch_size": 4})
    code = cli.main(["train", *SMALL, "--learning-rate", "0.5", "--out", str(copy), "--resume"])
    _one_line_error(capsys, code, "--learning-rate 0.5 (the run has 0.002)", "--overwrite")
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before

    longer = training.train(out=str(copy), resume=True, **{**TINY, "epochs": 3})
    assert longer["initial_epoch"] == 2 and len(longer["history"]) == 3


@pytest.mark.parametrize("damage", ["last.keras truncated", "state.json broken"])
def test_a_damaged_checkpoint_is_named_with_the_fix(finished_run, tmp_path, capsys, damage):
    """Issue 14: a truncated last.keras said "File not found" for a file that exists, a
    broken state.json only "Expecting value: line 2 column 1"."""
    finished_out, _ = finished_run
    copy = tmp_path / "R"
    shutil.copytree(finished_out, copy)
    name = damage.split()[0]
    data = (copy / name).read_bytes()
    (copy / name).write_bytes(data[: len(data) // 2] if name == "last.keras" else b"{\n")
    code = cli.main(["train", *SMALL, "--out", str(copy), "--resume"])
    _one_line_error(capsys, code, str(copy / name), "--overwrite", "restore the file")


def _write_folder(root, count, num_classes, void=None, size=(32, 48)):
    rng = np.random.default_rng(0)
    for k in range(count):
        image = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        blocks = rng.permutation(np.arange(16) % num_classes).reshape(4, 4)  # every class
        mask = np.kron(blocks, np.ones((8, 12))).astype("uint8")
        if void is not None:
            mask[:4] = void
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "masks").mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / "images" / f"{k:02d}.png")
        Image.fromarray(mask).save(root / "masks" / f"{k:02d}.png")
    return ["--dataset", "folder", "--images", str(root / "images"), "--masks", str(root / "masks")]


def test_a_folder_class_is_never_taken_for_void(tmp_path, capsys):
    """Issue 14: --dataset folder --num-classes 13 silently treated class 11 as void."""
    folder = _write_folder(tmp_path / "data", 8, num_classes=13)
    small = [*SMALL[:-6], "--num-val", "2", "--size", "32x48"]  # all 8 images, as they are
    out = tmp_path / "thirteen"
    assert cli.main(["train", *folder, *small, "--num-classes", "13", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["metrics"]["per_class_iu"]) == 13
    assert summary["metrics"]["per_class_iu"]["class 11"] is not None, "11 is a class here"

    # CamVid-style masks (11 classes, void 11) say so with --void-index (load_split's
    # tests read them so); without, 11 is no class and no void: a refusal names the flag.
    voided = _write_folder(tmp_path / "voided", 8, num_classes=11, void=11)
    code = cli.main(["train", *voided, *small, "--out", str(tmp_path / "refused")])
    _one_line_error(capsys, code, "holds labels [11]", "--void-index 11")


def test_a_small_folder_names_num_val(tmp_path, capsys):
    """Issue 14: a 10-image folder with the quick defaults said "cannot be split into train
    and 24 val images" without naming --num-val."""
    folder = _write_folder(tmp_path / "data", 10, num_classes=11)
    code = cli.main(["train", *folder, "--out", str(tmp_path / "run")])
    _one_line_error(capsys, code, "10 images", "--num-val 24", "--num-val from 1 to 9")


# -- a training process always exits: a subprocess, since the process is what can hang --

EXITS = """
import os, sys, threading, time
from fcn_tutorial import cli, training
from fcn_tutorial.datasets import pipeline

training.PROFILES["quick"]["data_workers"] = {workers}
sample = pipeline.SegmentationSequence.sample


def slow_and_broken(sequence, i):
    time.sleep(0.05)  # so that batches are in flight in the data threads when it fails
    if sequence.shuffle:  # the training sequence
        # The sequence counts Keras' reset before the first epoch: 2 is the second epoch,
        # whose batches come from data threads while the main thread, long done compiling
        # the training step, waits for them (in the first it may still be compiling).
        if {broken} and sequence.epoch == 2:
            # Every data thread that fails stamps its own file, whole, before it raises:
            # the process may exit on its error before another thread's write ends.
            path = {stamp!r} + f"-failed-{{threading.get_ident()}}"
            with open(path + ".tmp", "w") as file:
                file.write(repr(time.time()))
            os.replace(path + ".tmp", path)
            raise ValueError("image 4 is broken: 04.png went missing")
    return sample(sequence, i)


pipeline.SegmentationSequence.sample = slow_and_broken
code = cli.main({argv!r})
open({stamp!r} + "-returned", "w").write(repr(time.time()))
sys.exit(code)
"""


@pytest.mark.parametrize(
    "case, workers",
    # A batch breaks in one of Keras' worker threads; the NaN stops a run while
    # TensorFlow's own prefetching thread is still reading batches (one worker).
    [("a broken batch", 2), ("a NaN loss", 1)],
)
def test_a_failing_run_prints_one_line_and_exits_at_once(tmp_path, case, workers):
    """Issue 14: a failing run printed 40 lines of TensorFlow and, 6 times in 13, then sat
    idle with 13 waiting threads until killed; a NaN loss trained on and printed "done"."""
    stamp = tmp_path / "stamp"
    argv = ["train", "--weights", "none", "--epochs", "2", "--batch-size", "4"]
    argv += ["--num-train", "24", "--num-val", "4", "--size", "32x32"]
    argv += ["--out", str(tmp_path / "run")]
    if case == "a NaN loss":
        argv += ["--learning-rate", "1e30"]  # Adam's steps overflow the weights at once
    script = EXITS.format(workers=workers, broken=case != "a NaN loss", stamp=str(stamp), argv=argv)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    ended = time.time()
    lines = stderr_lines(result.stderr)
    assert result.returncode == 2 and len(lines) == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    if case == "a NaN loss":
        assert "loss became nan at epoch 1, step" in lines[0], lines[0]
        assert "lower --learning-rate (this run's is 1e+30" in lines[0], lines[0]
    else:
        assert lines[0] == "fcn-tutorial train: error: image 4 is broken: 04.png went missing"
        failed = min(float(path.read_text()) for path in tmp_path.glob("stamp-failed-*[0-9]"))
        assert ended - failed < 60, "the process ends soon after the error"
    # A hung process never ends (the timeout above fails the test); the margins allow for
    # TensorFlow's own exit, about 10 s on two busy cores for any process that trained.
    returned = float(Path(f"{stamp}-returned").read_text())
    assert ended - returned < 60, "and nothing waits once the error is printed"
