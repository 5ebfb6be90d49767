"""Data-parallel training (``fcn_tutorial.training.devices``) on two virtual CPU devices.

JAX splits a CPU into devices only when ``XLA_FLAGS`` says so before it is imported, so the
two-device runs happen in a subprocess with ``KERAS_BACKEND=jax``. The numbers README.md's
"Scaling up" quotes come from ``test_two_devices_train_what_one_does`` (run with ``-s``).
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fcn_tutorial import training
from fcn_tutorial.datasets.pipeline import SegmentationSequence
from fcn_tutorial.training import devices

ROOT = Path(__file__).resolve().parents[1]
TWO_CPUS = {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
# A tiny run: the point is the equivalence, not the scores; compiling dominates the time.
TINY = dict(weights=None, num_train=8, num_val=2, image_size=(32, 64), batch_size=4, epochs=1)
# The acceptance command, made tiny with the same settings.
CLI = ["train", "--profile", "quick", "--epochs", "1", "--devices", "2"]
CLI += ["--weights", "none", "--num-train", "8", "--num-val", "2", "--size", "32x64"]
CLI += ["--batch-size", "4"]
# Two devices compute the same global-batch step; measured: the same epoch loss to all
# printed digits (README "Scaling up"). The tolerance leaves room for another summation order.
LOSS_TOLERANCE = 1e-4

needs_jax = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed (pip install -e .[test])"
)

# One process (JAX and Keras load once): one device, then the command line on two, then
# the two-device run resumed on one device for a second epoch.
RUNS = """
import contextlib, io, json, sys
from fcn_tutorial import cli, training

tiny, cli_arguments, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
one = training.train(devices=1, out=out + "/one", verbose=0, **tiny)
log = io.StringIO()
with contextlib.redirect_stdout(log):
    code = cli.main([*cli_arguments, "--out", out + "/R"])
two = training.Run(out + "/R").summary
resumed = training.train(
    devices=1, out=out + "/R", resume=True, verbose=0, **{**tiny, "epochs": 2}
)
print(json.dumps({"code": code, "log": log.getvalue(), **{
    name: {"loss": [row["loss"] for row in run["history"]], "train_devices": run["train_devices"],
           "initial_epoch": run["initial_epoch"], "config": run["config"],
           "backend": run["backend"]}
    for name, run in (("one", one), ("two", two), ("resumed", resumed))}}))
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("devices")
    arguments = ["-c", RUNS, json.dumps(TINY), json.dumps(CLI), str(folder)]
    result = subprocess.run(
        [sys.executable, *arguments],
        env={**os.environ, **TWO_CPUS},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "out": folder / "R"}


@needs_jax
def test_cli_trains_on_two_devices_and_says_so(runs):
    assert runs["code"] == 0
    assert "training on 2 devices: cpu:0, cpu:1" in runs["log"]
    two = runs["two"]  # R/summary.json as the command left it (before the resume below)
    assert two["train_devices"] == ["cpu:0", "cpu:1"] and two["config"]["devices"] == 2
    assert two["backend"] == "jax"


@needs_jax
def test_two_devices_train_what_one_does(runs):
    one, two = runs["one"], runs["two"]
    print("\n1 device:", one["loss"], "\n2 devices:", two["loss"])
    assert one["train_devices"] == ["cpu:0"] and two["train_devices"] == ["cpu:0", "cpu:1"]
    settings = ("num_train", "num_val", "image_size", "batch_size", "epochs", "weights")
    assert all(one["config"][key] == two["config"][key] for key in settings)
    # The same global batch of 4, split 2 + 2: the same steps, so the same loss.
    assert two["loss"] == pytest.approx(one["loss"], rel=LOSS_TOLERANCE)


@needs_jax
def test_a_two_device_checkpoint_resumes_on_one_device(runs):
    one, two, resumed = runs["one"], runs["two"], runs["resumed"]
    print("\nresumed:", resumed["loss"])
    assert resumed["initial_epoch"] == 1 and resumed["train_devices"] == ["cpu:0"]
    assert resumed["loss"][0] == two["loss"][0]
    # It goes on from the trained weights: a fresh start would score about epoch 1's loss.
    assert resumed["loss"][1] < 0.95 * two["loss"][0]
    # README's "Scaling up" quotes these numbers.
    readme = (ROOT / "README.md").read_text()
    quoted = re.search(
        r"loss is\s+([\d.]+) on one device and ([\d.]+) on\s+two.*?epoch 2 at\s+([\d.]+)",
        readme,
        re.S,
    )
    measured = [one["loss"][0], two["loss"][0], resumed["loss"][1]]
    assert [float(q) for q in quoted.groups()] == pytest.approx(measured, abs=5e-3), measured
    assert f"allows {LOSS_TOLERANCE:.0e}".replace("e-0", "e-") in readme


def test_more_than_one_device_on_tensorflow_names_the_fix(tmp_path):
    import keras

    if keras.backend.backend() == "jax":
        pytest.skip("this process runs Keras on JAX, which has the engine")
    with pytest.raises(ValueError, match="KERAS_BACKEND=jax") as error:
        training.train(devices=2, out=str(tmp_path), **TINY)
    assert "\n" not in str(error.value)
    assert not list(tmp_path.iterdir()), "refused before any file was written"
    # One device, and "auto" (one device on a CPU), train as before.
    assert devices.choose_devices("auto", 4) == devices.choose_devices(1, 4)


def test_the_command_line_says_the_same_in_one_line(capsys, tmp_path):
    import keras

    from fcn_tutorial import cli

    if keras.backend.backend() == "jax":
        pytest.skip("this process runs Keras on JAX, which has the engine")
    for command in (["train"], ["demo", "--offline"]):
        out = str(tmp_path / command[0])
        code = cli.main([*command, "--profile", "quick", "--devices", "2", "--out", out])
        error = capsys.readouterr().err.strip()
        assert code != 0 and "KERAS_BACKEND=jax" in error and "\n" not in error, error
    code = cli.main(["train", "--devices", "3", "--out", str(tmp_path)])
    assert code != 0 and "multiple of 3" in capsys.readouterr().err


@pytest.mark.parametrize(
    "value, batch_size, message",
    [
        (0, 8, "a count >= 1"),
        ("two", 8, "a count >= 1"),
        (True, 8, "a count >= 1"),
        (3, 8, "batch_size=8 does not split over devices=3"),
    ],
)
def test_devices_are_checked_when_the_config_is_made(value, batch_size, message):
    with pytest.raises(ValueError, match=message):
        training.TrainConfig(devices=value, batch_size=batch_size)


def test_devices_take_one_form_and_do_not_tell_runs_apart():
    assert training.TrainConfig(devices="2").devices == 2
    assert training.TrainConfig(devices="all").devices == "all"
    # The same recipe on more devices is the same run: a finished one is reused.
    assert training.TrainConfig(devices=2).comparable() == training.TrainConfig().comparable()


def test_even_batches_split_over_the_devices_and_keep_the_epoch():
    images = np.zeros((11, 32, 32, 3), np.uint8)
    masks = np.zeros((11, 32, 32), np.uint8)
    sequence = SegmentationSequence(images, masks, batch_size=4, shuffle=True, seed=0)
    even = devices.EvenBatches(sequence, 2)
    # 4 + 4 + 3 images: the last batch is cut to 2, so each device gets a whole share.
    assert [len(even[i][0]) for i in range(len(even))] == [4, 4, 2]
    even.epoch = 3
    assert sequence.epoch == 3
    even.on_epoch_end()
    assert even.epoch == 4
    assert len(devices.EvenBatches(SegmentationSequence(images[:9], masks[:9], 4), 2)) == 2
    with pytest.raises(IndexError):
        even[3]


def test_the_log_line_names_the_devices():
    assert devices.describe(["cpu:0", "cpu:1"]) == "training on 2 devices: cpu:0, cpu:1"
    assert devices.describe(["gpu:0"]) == "training on 1 device: gpu:0"
