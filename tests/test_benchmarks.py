"""benchmarks/: the FCN-8s speed benchmark's printout and JSON, the plain-PyTorch twin,
the CamVid packing that carries the data to a GPU machine, and the explorers' redraw timing.

The benchmark runs in ``--quick`` mode (small images, ``fc6``/``fc7`` slimmed to 512) under
whatever Keras backend the tests use; without PyTorch it measures the package alone, and
the twin's own tests skip, saying why.
"""

import datetime
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
NUM_CLASSES = 11
NO_TORCH = "PyTorch is not installed: the plain-PyTorch twin needs it (pip install torch)"


def _module(name: str):
    """A script of benchmarks/ imported as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCHMARKS))  # for the scripts' imports of each other
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def _run(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    """``python benchmarks/SCRIPT.py ARGS`` from the repository root, its output captured."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{script}.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": os.environ["KERAS_BACKEND"]},
    )


def _torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def fcn8s_parameters(fc_width: int, classes: int = NUM_CLASSES) -> int:
    """FCN-8s on VGG16's parameters, counted from the paper's layer table by hand."""
    total, channels = 0, 3
    for block in VGG16_BLOCKS:
        for width in block:
            total += 3 * 3 * channels * width + width
            channels = width
    total += 7 * 7 * 512 * fc_width + fc_width  # fc6
    total += fc_width * fc_width + fc_width  # fc7
    total += (fc_width + 1) * classes + (512 + 1) * classes + (256 + 1) * classes  # scores
    total += 2 * (4 * 4 * classes * classes) + 16 * 16 * classes * classes  # upsampling
    return total


def fcn8s_flops(height: int, width: int, fc_width: int, classes: int = NUM_CLASSES) -> int:
    """Multiply-adds × 2 of one image through FCN-8s' convolutions, by hand."""
    height, width = -(-height // 32) * 32, -(-width // 32) * 32  # padded to a multiple of 32
    total, channels = 0, 3
    for level, block in enumerate(VGG16_BLOCKS):
        cells = (height >> level) * (width >> level)
        for filters in block:
            total += 2 * cells * 9 * channels * filters
            channels = filters
    at8, at16, at32 = (height * width // s**2 for s in (8, 16, 32))
    total += 2 * at32 * (49 * 512 * fc_width + fc_width * fc_width + fc_width * classes)
    total += 2 * at32 * 16 * classes**2 + 2 * at16 * 512 * classes  # upscore2, score_pool4
    total += 2 * at16 * 16 * classes**2 + 2 * at8 * 256 * classes  # upscore_pool4, score_pool3
    total += 2 * at8 * 256 * classes**2  # upscore: kernel 16 from stride 8
    return total


def test_hand_count_is_vgg16_with_an_fcn_head():
    # Keras' VGG16 classifier has 138,357,544 parameters; FCN-8s drops fc8 (4096 -> 1000)
    # and adds three score layers and three 11-channel upsamplings.
    vgg16, fc8 = 138_357_544, 4096 * 1000 + 1000
    head = (4096 + 1 + 512 + 1 + 256 + 1) * NUM_CLASSES + (16 + 16 + 256) * NUM_CLASSES**2
    assert fcn8s_parameters(4096) == vgg16 - fc8 + head == 134_348_929


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One ``--quick`` run of the benchmark: (completed process, its JSON)."""
    path = tmp_path_factory.mktemp("bench") / "speed.json"
    result = _run("fcn8s_speed", "--quick", "--json", str(path), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, json.loads(path.read_text())


def test_quick_benchmark_reports_the_package_model(quick_run):
    import keras

    result, report = quick_run
    assert "Traceback" not in result.stderr
    assert report["benchmark"] == "fcn8s_speed"
    assert report["backend"] == os.environ["KERAS_BACKEND"] == report["package"]["backend"]
    assert report["versions"]["keras"] == keras.__version__
    created = datetime.datetime.fromisoformat(report["created"])
    assert abs(datetime.datetime.now(datetime.UTC) - created).total_seconds() < 3600
    assert report["settings"] == {
        "size": "64x96",
        "batch": 2,
        "steps": 2,
        "warmup": 1,
        "fc_width": 512,
        "quick": True,
        "precision": "bfloat16 mixed" if report["device"]["kind"] == "gpu" else "float32",
        "statistic": "median over the timed calls",
    }
    package = report["package"]
    assert package["parameters"] == fcn8s_parameters(512)
    assert package["flops_per_frame"] == fcn8s_flops(64, 96, 512)
    assert package["logits_dtype"] == "float32"
    if report["device"]["kind"] == "cpu":
        assert report["device"]["peak_flops"] is None
        assert package["forward_fraction_of_peak"] is None


def test_quick_benchmark_figures_follow_from_its_timings(quick_run):
    _, report = quick_run
    package = report["package"]
    timings = package["timings"]
    for name in ("forward_batch1", "forward_batched", "train"):
        assert len(timings[name]["times_s"]) == 2
        assert all(t > 0 for t in timings[name]["times_s"])
        assert timings[name]["median_s"] == pytest.approx(np.median(timings[name]["times_s"]))
    assert package["forward_batch1_ms"] == pytest.approx(
        timings["forward_batch1"]["median_s"] * 1e3
    )
    per_frame = timings["forward_batched"]["median_s"] * 1e3 / 2
    assert package["forward_batched_ms_per_frame"] == pytest.approx(per_frame)
    assert package["train_images_per_s"] == pytest.approx(2 / timings["train"]["median_s"])
    achieved = package["flops_per_frame"] * 2 / timings["forward_batched"]["median_s"]
    assert package["forward_achieved_flops_per_s"] == pytest.approx(achieved)
    # Warm-up plus timed steps, each a real optimizer step on a real loss.
    assert len(package["losses"]) == 3
    assert all(math.isfinite(loss) and loss > 0 for loss in package["losses"])


def test_quick_benchmark_prints_what_it_measured(quick_run):
    result, report = quick_run
    package = report["package"]
    for label, key in (
        ("forward, batch 1 (ms/frame)", "forward_batch1_ms"),
        ("forward, batch 2 (ms/frame)", "forward_batched_ms_per_frame"),
        ("training, batch 2 (images/s)", "train_images_per_s"),
    ):
        line = next(line for line in result.stdout.splitlines() if label in line)
        printed = float(re.findall(r"[\d.]+", line.split(")", 1)[1])[0])
        assert printed == pytest.approx(package[key], abs=0.01), line
    assert f"{package['parameters']:,} parameters" in result.stdout


def test_quick_benchmark_without_or_with_the_twin(quick_run):
    result, report = quick_run
    twin = report["torch_twin"]
    if not _torch_available():
        assert "measuring the package only: PyTorch is not installed" in result.stdout
        assert "PyTorch is not installed" in twin["skipped"]
        assert report["ratio"] is None
        return
    assert twin["parameters"] == report["package"]["parameters"]
    assert twin["flops_per_frame"] == report["package"]["flops_per_frame"]
    ratio = report["package"]["train_images_per_s"] / twin["train_images_per_s"]
    assert report["ratio"]["train_images_per_s"] == pytest.approx(ratio)
    assert "training throughput ratio package/plain" in result.stdout


def test_benchmark_rejects_a_bad_size_naming_the_fix():
    result = _run("fcn8s_speed", "--size", "360by480", timeout=120)
    assert result.returncode == 2
    assert "--size 360x480" in result.stderr and "Traceback" not in result.stderr


def test_explorer_redraw_prints_ms_per_redraw_for_each_explorer():
    # A smoke test: speed is the benchmark's to print, never a test's to assert.
    result = _run("explorer_redraw", "--repeats", "2", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "median of 2" in result.stdout
    printed = dict(re.findall(r"^\s*(\w+Explorer)\s+([\d.]+) ms$", result.stdout, re.M))
    explorers = ("ConvolutionExplorer", "PoolingExplorer", "TransposedConvolutionExplorer")
    assert sorted(printed) == sorted(explorers), result.stdout
    assert all(float(ms) > 0 for ms in printed.values()), result.stdout


def test_predict_memory_prints_time_and_peak_memory(tmp_path):
    # A smoke test at a small size: 2 x 2 windows of 640 on an 800x700 photo.
    from fcn_tutorial.models import build_fcn

    model = tmp_path / "fcn.keras"
    build_fcn(11, backbone="mobilenet", alpha=0.25, weights=None).save(model)
    report = tmp_path / "memory.json"
    args = ("--size", "800x700", "--tile-size", "640", "--model", str(model))
    args += ("--json", str(report))
    result = _run("predict_memory", *args, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = json.loads(report.read_text())["runs"]
    assert [run["how"] for run in runs] == ["tiled"]
    for run in runs:
        assert run["seconds"] > 0 and run["peak_rss_mib"] >= run["rss_before_mib"] > 0
    assert "tiled (640 px)" in result.stdout and "peak RSS" in result.stdout


@pytest.fixture(scope="module")
def twin():
    pytest.importorskip("torch", reason=NO_TORCH)
    return _module("torch_fcn8s")


def test_twin_labels_every_pixel_of_any_size(twin):
    import torch

    model = twin.FCN8s(NUM_CLASSES, fc_width=64).eval()
    with torch.no_grad():
        logits = model(torch.zeros(2, 3, 97, 131))
    assert tuple(logits.shape) == (2, NUM_CLASSES, 97, 131)
    assert logits.dtype == torch.float32
    # Score layers start at zero, as in the paper: an untrained net's logits are all 0.
    assert float(logits.abs().max()) == 0.0


def test_twin_has_the_paper_models_parameters_and_flops(twin):
    import torch

    model = twin.FCN8s(NUM_CLASSES)
    assert sum(p.numel() for p in model.parameters()) == fcn8s_parameters(4096)
    assert not model.upscore.weight.requires_grad  # the paper fixes the last upsampling
    small = twin.FCN8s(NUM_CLASSES, fc_width=64).eval()
    assert twin.count_flops(small, torch.zeros(1, 3, 97, 131)) == fcn8s_flops(97, 131, 64)


def test_twin_bilinear_weights_equal_the_package_reference(twin):
    from fcn_tutorial import reference

    for kernel_size in (4, 16):
        weights = twin.bilinear_weights(NUM_CLASSES, kernel_size).numpy()
        expected = reference.bilinear_kernel((kernel_size, kernel_size), NUM_CLASSES, NUM_CLASSES)
        # Keras keeps (kh, kw, out, in), PyTorch (in, out, kh, kw).
        np.testing.assert_array_equal(weights.transpose(2, 3, 1, 0), expected)


def test_twin_computes_what_the_package_model_computes(twin):
    import keras
    import torch

    from fcn_tutorial.models import build_fcn

    package = build_fcn(NUM_CLASSES, backbone="vgg16", variant="fcn8s", weights=None, fc_width=64)
    model = twin.FCN8s(NUM_CLASSES, fc_width=64).eval()
    assert package.count_params() == sum(p.numel() for p in model.parameters())
    rng = np.random.default_rng(0)
    layers = model.layers_by_name()
    assert set(layers) == {layer.name for layer in package.layers if layer.weights}
    with torch.no_grad():
        for name, layer in layers.items():
            # Random weights everywhere: the zero-started score layers would hide a wrong wire.
            weights = [
                rng.normal(0, 0.05, w.shape).astype("float32")
                for w in package.get_layer(name).get_weights()
            ]
            package.get_layer(name).set_weights(weights)
            # Conv2D (kh, kw, in, out) and Conv2DTranspose (kh, kw, out, in) both become
            # PyTorch's (out, in, kh, kw) and (in, out, kh, kw) by the same transpose.
            layer.weight.copy_(torch.from_numpy(weights[0].transpose(3, 2, 0, 1).copy()))
            if len(weights) > 1:
                layer.bias.copy_(torch.from_numpy(weights[1]))
    images = rng.uniform(0, 255, (2, 97, 131, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(package(images, training=False))
    with torch.no_grad():
        logits = model(torch.from_numpy(images.transpose(0, 3, 1, 2).copy()))
    actual = logits.numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_packed_camvid_unpacks_to_a_folder_that_train_splits_as_camvid(tmp_path):
    from fcn_tutorial.datasets import load_folder

    pack_camvid = _module("pack_camvid")
    rng = np.random.default_rng(0)
    arrays = {"jpeg_quality": np.array(90)}
    originals = {}
    for split, count in (("train", 3), ("val", 2)):
        # Smooth photos, as real ones are, so JPEG keeps them close.
        ramp = np.linspace(0, 255, 48 * 64 * 3).reshape(48, 64, 3)
        images = np.stack([np.roll(ramp, k, axis=1) for k in range(count)]).astype(np.uint8)
        masks = rng.integers(0, 12, (count, 48, 64)).astype(np.uint8)
        arrays[f"{split}_jpeg"], arrays[f"{split}_offsets"] = pack_camvid._encode(images, 90)
        arrays[f"{split}_masks"] = masks
        originals[split] = (images, masks)
    np.savez_compressed(tmp_path / "camvid.npz", **arrays)

    loaded = pack_camvid.load(tmp_path / "camvid.npz")
    folder = pack_camvid.unpack(tmp_path / "camvid.npz", tmp_path / "folder")
    assert (folder["num_train"], folder["num_val"]) == (3, 2)
    images, masks = load_folder(folder["images"], folder["masks"])
    # Train first, val last: train(dataset="folder", num_val=2) splits them as CamVid does.
    for split, rows in (("train", slice(0, 3)), ("val", slice(3, 5))):
        expected_images, expected_masks = originals[split]
        np.testing.assert_array_equal(masks[rows], expected_masks)
        np.testing.assert_array_equal(loaded[split][1], expected_masks)
        np.testing.assert_array_equal(images[rows], loaded[split][0])
        error = np.abs(images[rows].astype(int) - expected_images.astype(int)).mean()
        assert error < 3, error  # JPEG is the one lossy step
