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
TINY = dict(weights=None, num_train=8, num_val=2, image_size=(32, 64), batch_size=4, epochs=2)
# Two devices compute the same global-batch step; measured: the same epoch loss to all
# printed digits (README "Scaling up"). The tolerance leaves room for another summation order.
LOSS_TOLERANCE = 1e-4
# A resumed run is not bit for bit the uninterrupted one (training.train's docstring says
# why); measured: 4e-4 relative on epoch 2.
RESUME_TOLERANCE = 1e-2

needs_jax = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed (pip install -e .[test])"
)

EQUIVALENCE = """
import json, sys
import keras
from fcn_tutorial import training

class StopAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True  # as if the run were killed after epoch 1

tiny, out = json.loads(sys.argv[1]), sys.argv[2]
one = training.train(devices=1, out=out + "/one", verbose=0, **tiny)
two = training.train(devices=2, out=out + "/two", verbose=0, callbacks=[StopAfterFirstEpoch()],
                     **tiny)
resumed = training.train(devices=1, out=out + "/two", resume=True, verbose=0, **tiny)
print(json.dumps({name: {"loss": [row["loss"] for row in run["history"]],
                         "train_devices": run["train_devices"],
                         "initial_epoch": run["initial_epoch"]}
                  for name, run in (("one", one), ("two", two), ("resumed", resumed))}))
"""


def _run(arguments, tmp_path):
    environment = {**os.environ, **TWO_CPUS}
    result = subprocess.run(
        [sys.executable, *arguments],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@needs_jax
def test_two_devices_train_what_one_does_and_resume_on_one(tmp_path):
    output = _run(["-c", EQUIVALENCE, json.dumps(TINY), str(tmp_path)], tmp_path)
    runs = json.loads(output.strip().splitlines()[-1])
    one, two, resumed = runs["one"], runs["two"], runs["resumed"]
    print("\n1 device:", one["loss"], "\n2 devices:", two["loss"], "\nresumed:", resumed["loss"])
    assert one["train_devices"] == ["cpu:0"] and two["train_devices"] == ["cpu:0", "cpu:1"]
    # The same global batch of 4, split 2 + 2: the same steps, so the same loss.
    assert two["loss"] == pytest.approx(one["loss"][:1], rel=LOSS_TOLERANCE)
    # The two-device checkpoint resumes on one device and goes on as if never stopped.
    assert resumed["initial_epoch"] == 1 and resumed["train_devices"] == ["cpu:0"]
    assert resumed["loss"][0] == two["loss"][0]
    assert resumed["loss"][1] == pytest.approx(one["loss"][1], rel=RESUME_TOLERANCE)
    # README's "Scaling up" quotes these numbers.
    readme = (ROOT / "README.md").read_text()
    quoted = re.search(
        r"loss is ([\d.]+) on one device and ([\d.]+) on\s+two.*?epoch 2 ends at ([\d.]+) "
        r"against ([\d.]+)",
        readme,
        re.S,
    )
    measured = [one["loss"][0], two["loss"][0], resumed["loss"][1], one["loss"][1]]
    assert [float(q) for q in quoted.groups()] == pytest.approx(measured, abs=5e-3), measured
    assert f"allows {LOSS_TOLERANCE:.0e}".replace("e-0", "e-") in readme


@needs_jax
def test_cli_trains_on_two_devices_and_says_so(tmp_path):
    out = tmp_path / "R"
    command = "from fcn_tutorial.cli import main; raise SystemExit(main())"
    arguments = ["--profile", "quick", "--epochs", "1", "--devices", "2", "--out", str(out)]
    tiny = ["--weights", "none", "--num-train", "8", "--num-val", "2", "--size", "32x64"]
    output = _run(["-c", command, "train", *arguments, *tiny], tmp_path)
    assert "training on 2 devices: cpu:0, cpu:1" in output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["train_devices"] == ["cpu:0", "cpu:1"] and summary["backend"] == "jax"
    assert summary["config"]["devices"] == 2 and (out / "last.keras").is_file()


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
