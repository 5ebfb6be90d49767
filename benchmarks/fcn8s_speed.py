"""Time the package's FCN-8s and a plain-PyTorch twin of it, in one run on one device.

Measures, for ``build_fcn(11, backbone="vgg16", variant="fcn8s", weights=None)`` under
the current Keras backend (``KERAS_BACKEND``: jax, torch or tensorflow):

- forward ms/frame at batch 1 and at ``--batch``, each call waiting for its result on the
  device (``block_until_ready`` on JAX, ``torch.cuda.synchronize`` on PyTorch, one value
  read back on TensorFlow), never copying the logits to the host;
- training images/s: ``train_on_batch`` with Adam and the package's
  ``MaskedSparseCrossEntropy`` (a real optimizer step; the loss comes back each step);
- FLOPs per frame (``fcn_tutorial.speed.model_flops``) and the FLOP/s the batched
  forward pass reaches, against the device's peak where ``hardware.PEAK_FLOPS`` knows it;

and then the same for ``benchmarks/torch_fcn8s.py``'s ``FCN8s`` on the same device (CUDA
if there is one, else the CPU), with the same sizes and dtype policy, and prints their
ratio. On a GPU both run in bfloat16 mixed precision (Keras ``mixed_bfloat16``, PyTorch
``autocast``), float32 weights and logits; on a CPU in float32. Warm-up calls (which
compile) are not timed; each figure is the median over ``--steps`` calls.

Usage (from the repository root; ``--quick`` is a tiny CPU smoke test)::

    KERAS_BACKEND=jax python benchmarks/fcn8s_speed.py --json results/gpu/run.json
    KERAS_BACKEND=torch python benchmarks/fcn8s_speed.py --quick

Without PyTorch it says so and measures the package alone. Not part of the package.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.util
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run from a checkout: the package need not be installed (the GPU machine's Python is newer
# than the package allows), and torch_fcn8s sits beside this file.
for _path in (str(ROOT / "benchmarks"), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
# JAX (and TensorFlow) would otherwise take most of the GPU's memory at start, leaving
# none for the PyTorch twin that runs after it in the same process.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

NUM_CLASSES = 11
VOID = 11
FULL = {"size": "360x480", "batch": 8, "steps": 10, "warmup": 3, "fc_width": 4096}
# fc6/fc7 slimmed to 512 filters: the full 4096 (134 M parameters) makes each CPU
# training step seconds long; the layers and their wiring are the same.
QUICK = {"size": "64x96", "batch": 2, "steps": 2, "warmup": 1, "fc_width": 512}

__all__ = ["main", "measure_package", "measure_twin"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", help=f"HEIGHTxWIDTH (default {FULL['size']})")
    parser.add_argument("--batch", type=int, help=f"batched size (default {FULL['batch']})")
    parser.add_argument("--steps", type=int, help=f"timed calls each (default {FULL['steps']})")
    parser.add_argument("--warmup", type=int, help=f"untimed calls first ({FULL['warmup']})")
    parser.add_argument("--fc-width", type=int, help="fc6/fc7 filters (default 4096)")
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes for a CPU smoke test: " + str(QUICK)
    )
    parser.add_argument(
        "--precision",
        choices=["auto", "float32", "bfloat16"],
        default="auto",
        help="auto: bfloat16 mixed precision on a GPU, float32 on a CPU",
    )
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch twin")
    parser.add_argument("--json", help="also write everything to this JSON file")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    from fcn_tutorial.cli import parse_size

    try:
        args.height, args.width = parse_size(args.size)
    except ValueError as error:
        parser.error(str(error))
    for key in ("batch", "steps", "fc_width"):
        if getattr(args, key) < 1:
            parser.error(f"--{key.replace('_', '-')} must be at least 1.")
    if args.warmup < 1:
        parser.error("--warmup must be at least 1: the first call compiles.")
    return args


def _device(gpu: bool) -> dict:
    from fcn_tutorial import hardware

    if not gpu:
        return {
            "kind": "cpu",
            "name": hardware.cpu_name(),
            "cpus": os.cpu_count(),
            "peak_flops": None,
        }
    name = hardware.gpu_name() or "unknown GPU"
    return {"kind": "gpu", "name": name, "peak_flops": hardware.peak_flops(name)}


def _inputs(args, rng):
    images = rng.uniform(0, 255, (args.batch, args.height, args.width, 3)).astype("float32")
    # Labels 0 .. 11: void (11) included, so the loss's masking is part of what is timed.
    labels = rng.integers(0, VOID + 1, (args.batch, args.height, args.width)).astype("int32")
    return images, labels


def _rates(measured: dict, batch: int, device: dict) -> dict:
    """``measured`` with its raw timings turned into ms/frame, images/s and FLOP/s."""
    forward_1, forward_n, train = (measured.pop(k) for k in ("forward_1", "forward_n", "train"))
    flops, peak = measured["flops_per_frame"], device["peak_flops"]
    batched = forward_n["median_s"]
    achieved = flops * batch / batched
    # Training costs about three forward passes (forward, gradients of the inputs and of
    # the weights): an estimate, stated as one in the printout.
    train_achieved = 3 * flops * batch / train["median_s"]
    return {
        **measured,
        "forward_batch1_ms": forward_1["median_s"] * 1e3,
        "forward_batched_ms_per_frame": batched * 1e3 / batch,
        "forward_batched_frames_per_s": batch / batched,
        "train_images_per_s": batch / train["median_s"],
        "forward_achieved_flops_per_s": achieved,
        "forward_fraction_of_peak": achieved / peak if peak else None,
        "train_achieved_flops_per_s_estimate": train_achieved,
        "train_fraction_of_peak_estimate": train_achieved / peak if peak else None,
        "timings": {"forward_batch1": forward_1, "forward_batched": forward_n, "train": train},
    }


def _package_forward(model, backend: str, jit: bool):
    """A compiled inference call for the backend and the function that waits for its result."""
    import keras

    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        @jax.jit
        def run(trainable, non_trainable, images):
            return model.stateless_call(trainable, non_trainable, images, training=False)[0]

        return (lambda x: run(trainable, non_trainable, x)), (lambda y: y.block_until_ready())
    if backend == "torch":
        import torch

        def run_torch(images):
            with torch.no_grad():
                return model(images, training=False)

        def wait(logits):
            if logits.is_cuda:
                torch.cuda.synchronize()

        return run_torch, wait
    # TensorFlow: a traced graph, as Keras' own predict runs it; reading one value back
    # waits for the whole computation without copying the logits.
    import tensorflow as tf

    run_tf = tf.function(lambda x: model(x, training=False), jit_compile=jit)
    return run_tf, lambda y: keras.ops.convert_to_numpy(y[:1, :1, :1, :1])


def measure_package(args, images, labels, gpu: bool, mixed: bool) -> dict:
    """Forward and training speed of the package's FCN-8s under the current Keras backend."""
    import keras

    from fcn_tutorial import hardware
    from fcn_tutorial.losses import MaskedSparseCrossEntropy
    from fcn_tutorial.models import build_fcn
    from fcn_tutorial.speed import model_flops, time_call

    backend = keras.backend.backend()
    # As fcn_tutorial.training.train compiles: XLA on a GPU only.
    jit = gpu
    previous = keras.config.dtype_policy()
    if mixed:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        keras.utils.set_random_seed(0)
        model = build_fcn(
            NUM_CLASSES,
            backbone="vgg16",
            variant="fcn8s",
            weights=None,
            input_shape=(args.height, args.width, 3),
            fc_width=args.fc_width,
        )
        x = keras.ops.convert_to_tensor(images)
        y = keras.ops.convert_to_tensor(labels)
        one = x[:1]
        run, wait = _package_forward(model, backend, jit)
        logits = run(one)
        wait(logits)
        if tuple(logits.shape) != (1, args.height, args.width, NUM_CLASSES):
            raise RuntimeError(f"the package's model returned {tuple(logits.shape)} logits")
        logits_dtype = keras.backend.standardize_dtype(logits.dtype)
        forward_1 = time_call(lambda: wait(run(one)), args.steps, args.warmup)
        forward_n = time_call(lambda: wait(run(x)), args.steps, args.warmup)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-4),
            loss=MaskedSparseCrossEntropy(ignore_class=VOID),
            jit_compile=jit,
        )
        losses = []

        def step():
            # train_on_batch hands the loss back to the host: that is the step's sync.
            losses.append(float(model.train_on_batch(x, y)))

        train = time_call(step, args.steps, args.warmup)
        flops = model_flops(model)
        result = {
            "implementation": f"fcn_tutorial build_fcn, Keras {keras.__version__} ({backend})",
            "backend": backend,
            "dtype_policy": keras.config.dtype_policy().name,
            "logits_dtype": logits_dtype,
            "jit_compile": jit,
            "parameters": int(model.count_params()),
            "flops_per_frame": flops,
            "losses": losses,
            "devices": hardware.devices(),
        }
    finally:
        keras.mixed_precision.set_global_policy(previous)
    return {**result, "forward_1": forward_1, "forward_n": forward_n, "train": train}


def measure_twin(args, images, labels, mixed: bool) -> dict:
    """Forward and training speed of the plain-PyTorch FCN-8s (``torch_fcn8s.FCN8s``)."""
    import torch
    from torch import nn
    from torch_fcn8s import FCN8s, count_flops

    from fcn_tutorial.speed import time_call

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # channels-last lets cuDNN use its fastest (tensor-core, NHWC) kernels: what a PyTorch
    # user who cares about speed writes; on a CPU the default layout is the usual one.
    layout = torch.channels_last if device.type == "cuda" else torch.contiguous_format
    torch.manual_seed(0)
    model = FCN8s(NUM_CLASSES, fc_width=args.fc_width).to(device, memory_format=layout)
    x = torch.from_numpy(images.transpose(0, 3, 1, 2).copy()).to(device)
    x = x.contiguous(memory_format=layout)
    y = torch.from_numpy(labels).long().to(device)
    # Counted from the PyTorch layers, independently of speed.model_flops (which reads
    # the Keras ones): equal counts say the two networks do the same work.
    flops = count_flops(model.eval(), x[:1])

    def wait():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def forward(batch):
        with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16, enabled=mixed):
            logits = model(batch)
        wait()
        return logits

    one = x[:1]
    logits = forward(one)
    if tuple(logits.shape) != (1, NUM_CLASSES, args.height, args.width):
        raise RuntimeError(f"the PyTorch twin returned {tuple(logits.shape)} logits")
    logits_dtype = str(logits.dtype).removeprefix("torch.")
    forward_1 = time_call(lambda: forward(one), args.steps, args.warmup)
    forward_n = time_call(lambda: forward(x), args.steps, args.warmup)

    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    # Keras' Adam defaults, so both sides take the same optimizer step.
    optimizer = torch.optim.Adam(trainable, lr=1e-4, eps=1e-7)
    # Keras' MaskedSparseCrossEntropy is this: the mean over the non-void pixels.
    loss_function = nn.CrossEntropyLoss(ignore_index=VOID)
    losses = []

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, torch.bfloat16, enabled=mixed):
            logits = model(x)
        loss = loss_function(logits, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())  # the host sees the loss each step, as in Keras

    train = time_call(step, args.steps, args.warmup)
    result = {
        "implementation": f"benchmarks/torch_fcn8s.py FCN8s, PyTorch {torch.__version__} eager",
        "device": str(device),
        "memory_format": "channels_last" if device.type == "cuda" else "contiguous",
        "autocast": "bfloat16" if mixed else None,
        "logits_dtype": logits_dtype,
        "parameters": sum(p.numel() for p in model.parameters()),
        "flops_per_frame": flops,
        "losses": losses,
    }
    return {**result, "forward_1": forward_1, "forward_n": forward_n, "train": train}


def _free_memory(backend: str) -> None:
    # The model measured last is garbage once its function returned: give its device
    # memory back before the next one is built.
    gc.collect()
    if backend == "jax":
        import jax

        jax.clear_caches()
    elif backend == "torch" and sys.modules["torch"].cuda.is_available():
        sys.modules["torch"].cuda.empty_cache()


def _versions() -> dict:
    from fcn_tutorial import hardware

    versions = hardware.versions()
    if "torch" in sys.modules:
        versions["torch_cuda"] = sys.modules["torch"].version.cuda
    return versions


def _emit(report: dict, path: str | None, started: float) -> None:
    report["wall_time_s"] = round(time.perf_counter() - started, 2)
    if path:
        from fcn_tutorial.training import write_json

        write_json(report, path)


def _format_table(report: dict) -> str:
    package, twin = report["package"], report["torch_twin"]
    device, settings = report["device"], report["settings"]
    batch = settings["batch"]
    peak = device["peak_flops"]
    lines = [
        f"FCN-8s (VGG16, fc {settings['fc_width']}) at {settings['size']}, "
        f"{settings['precision']}, on {device['name']} ({device['kind']})",
        f"{package['parameters']:,} parameters, "
        f"{package['flops_per_frame'] / 1e9:.2f} GFLOPs/frame (padded to a multiple of 32)",
    ]
    if twin.get("skipped"):
        lines.append(f"plain PyTorch twin: skipped ({twin['skipped']})")
    header = f"{'':38}{'package':>14}"
    if not twin.get("skipped"):
        header += f"{'plain torch':>14}{'package/plain':>15}"
    lines += ["", header, f"{'':38}{'(' + report['backend'] + ')':>14}"]
    rows = [
        ("forward, batch 1 (ms/frame)", "forward_batch1_ms", "{:.2f}", True),
        (f"forward, batch {batch} (ms/frame)", "forward_batched_ms_per_frame", "{:.2f}", True),
        (f"forward, batch {batch} (frames/s)", "forward_batched_frames_per_s", "{:.1f}", False),
        ("forward achieved (TFLOP/s)", "forward_achieved_flops_per_s", "{:.3f}", False),
        (f"training, batch {batch} (images/s)", "train_images_per_s", "{:.2f}", False),
        (
            "training achieved, est. (TFLOP/s)",
            "train_achieved_flops_per_s_estimate",
            "{:.3f}",
            False,
        ),
    ]
    for label, key, fmt, lower_is_better in rows:
        scale = 1e-12 if "flops" in key else 1
        line = f"  {label:<36}{fmt.format(package[key] * scale):>14}"
        if not twin.get("skipped"):
            # Speed ratio: above 1 the package is faster, for times and rates alike.
            ratio = twin[key] / package[key] if lower_is_better else package[key] / twin[key]
            line += f"{fmt.format(twin[key] * scale):>14}{ratio:>15.2f}"
        lines.append(line)
    if peak:
        lines.append(
            f"  share of the peak {peak / 1e12:.0f} TFLOP/s (forward, batched): package "
            f"{package['forward_fraction_of_peak']:.1%}"
            + ("" if twin.get("skipped") else f", plain {twin['forward_fraction_of_peak']:.1%}")
        )
    if not twin.get("skipped"):
        ratio = report["ratio"]["train_images_per_s"]
        lines.append(f"  training throughput ratio package/plain: {ratio:.2f}")
    return "\n".join(lines)


def _no_backend() -> bool:
    # Keras defaults to TensorFlow; without it, say which backend to name instead.
    if "KERAS_BACKEND" in os.environ or importlib.util.find_spec("tensorflow"):
        return False
    print(
        "fcn8s_speed: TensorFlow is not installed and KERAS_BACKEND is unset: run with "
        "KERAS_BACKEND=jax or KERAS_BACKEND=torch.",
        file=sys.stderr,
    )
    return True


def _compare_with_twin(args, images, labels, mixed, gpu, device, package, backend):
    """The PyTorch twin's figures and the package/twin ratios (``None`` when skipped)."""
    twin = {"skipped": None}
    if args.no_torch:
        twin["skipped"] = "--no-torch"
    elif importlib.util.find_spec("torch") is None:
        twin["skipped"] = "PyTorch is not installed here (pip install torch to compare)"
    if twin["skipped"]:
        print(f"fcn8s_speed: measuring the package only: {twin['skipped']}.", flush=True)
        return twin, None
    twin = _rates(measure_twin(args, images, labels, mixed), args.batch, device)
    _free_memory("torch")
    # Same network or not worth comparing: both counts come from the layers themselves.
    for key in ("parameters", "flops_per_frame"):
        if twin[key] != package[key]:
            raise RuntimeError(
                f"the PyTorch twin has {twin[key]:,} {key} but the package's model "
                f"{package[key]:,}: they are not the same network."
            )
    if twin["device"].startswith("cuda") != gpu:
        raise RuntimeError(
            f"the package ran on {'a GPU' if gpu else 'the CPU'} but the twin on "
            f"{twin['device']}: install a {backend} build that sees the same device."
        )
    ratio = {
        "train_images_per_s": package["train_images_per_s"] / twin["train_images_per_s"],
        "forward_batch1": twin["forward_batch1_ms"] / package["forward_batch1_ms"],
        "forward_batched": (
            package["forward_batched_frames_per_s"] / twin["forward_batched_frames_per_s"]
        ),
        "meaning": "package speed / plain PyTorch speed: above 1 the package is faster",
    }
    return twin, ratio


def main(argv=None) -> int:
    started = time.perf_counter()
    if _no_backend():
        return 2
    args = parse_args(argv)
    import keras
    import numpy as np

    from fcn_tutorial import hardware

    gpu = hardware.gpu_available()
    mixed = args.precision == "bfloat16" or (args.precision == "auto" and gpu)
    rng = np.random.default_rng(0)
    images, labels = _inputs(args, rng)
    backend = keras.backend.backend()
    device = _device(gpu)
    package = _rates(measure_package(args, images, labels, gpu, mixed), args.batch, device)
    _free_memory(backend)

    report = {
        "benchmark": "fcn8s_speed",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "device": device,
        "backend": backend,
        "versions": _versions(),
        "settings": {
            "size": f"{args.height}x{args.width}",
            "batch": args.batch,
            "steps": args.steps,
            "warmup": args.warmup,
            "fc_width": args.fc_width,
            "quick": args.quick,
            "precision": "bfloat16 mixed" if mixed else "float32",
            "statistic": "median over the timed calls",
        },
        "package": package,
        "torch_twin": {"skipped": "not measured yet (the run stopped before it)"},
        "ratio": None,
    }
    print(
        f"package ({backend}): forward {package['forward_batch1_ms']:.2f} ms/frame at batch 1, "
        f"{package['forward_batched_ms_per_frame']:.2f} at batch {args.batch}; training "
        f"{package['train_images_per_s']:.2f} images/s",
        flush=True,
    )
    # Written now too, so a run cut off during the twin still leaves the package's figures.
    _emit(report, args.json, started)

    report["torch_twin"], report["ratio"] = _compare_with_twin(
        args, images, labels, mixed, gpu, device, package, backend
    )
    report["versions"] = _versions()
    print(_format_table(report), flush=True)
    _emit(report, args.json, started)
    if args.json:
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
