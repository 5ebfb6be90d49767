"""How fast a model runs and how much work it is: one timing loop, FLOPs, peak memory.

The one place speed is measured, so the demo's ms/frame, ``fcn-tutorial bench model`` and
``benchmarks/fcn8s_speed.py`` time the same way: warm-up calls first (the first call
traces and compiles), then the median of the timed calls, which a single slow call (a
garbage collection, another process) does not move.

Introduced in ``07_self_driving_demo.ipynb`` (is the model fast enough for a car?).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

__all__ = ["time_call", "model_flops", "forward_speed", "peak_memory_mib", "bench_model"]


def time_call(call: Callable[[], object], repeats: int = 5, warmup: int = 1) -> dict:
    """Wall time of ``call()``, which must return only once the device has finished.

    Args:
        call: a function of no arguments.
        repeats: timed calls.
        warmup: untimed calls first (at least 1: the first call compiles).

    Returns:
        dict: ``median_s``, ``mean_s`` and ``times_s`` (every timed call).

    Raises:
        ValueError: for ``repeats`` or ``warmup`` below 1.

    Example:
        >>> sorted(time_call(lambda: None, repeats=3))
        ['mean_s', 'median_s', 'times_s']
    """
    if repeats < 1 or warmup < 1:
        raise ValueError(f"repeats={repeats}, warmup={warmup}: both must be at least 1.")
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return {
        "median_s": statistics.median(times),
        "mean_s": statistics.fmean(times),
        "times_s": times,
    }


def model_flops(model) -> int:
    """Multiply-adds × 2 of one image through the model's convolutions.

    Counted from each layer's kernel and its output (transposed: input) size, so the
    model must have been built with a fixed ``input_shape``. Element-wise layers,
    batch norm and activations are left out: they are a few percent at most.

    Args:
        model: a Keras model whose ``Conv2D``, ``DepthwiseConv2D`` and
            ``Conv2DTranspose`` layers have known output shapes.

    Returns:
        int: floating-point operations per image.
    """
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            kh, kw, channels, multiplier = layer.kernel.shape
            _, h, w, _ = layer.output.shape
            total += 2 * h * w * kh * kw * channels * multiplier
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            kh, kw, out_channels, in_channels = layer.kernel.shape
            _, h, w, _ = layer.input.shape
            total += 2 * h * w * kh * kw * in_channels * out_channels
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, in_channels, out_channels = layer.kernel.shape
            _, h, w, _ = layer.output.shape
            total += 2 * h * w * kh * kw * in_channels * out_channels
    return int(total)


def forward_speed(
    model, height: int = 360, width: int = 480, batch_size: int = 8, repeats: int = 5
) -> dict:
    """Forward speed on the current device: ms/frame at batch 1 and batched, frames/s.

    Through ``predict_on_batch``, the backend's compiled inference step (a plain
    ``model(x)`` call runs layer by layer from Python, several times slower on a CPU). Its
    time includes handing the logits back as NumPy: nothing on a CPU, a copy on a GPU,
    which ``benchmarks/fcn8s_speed.py`` leaves out when it measures a GPU.

    Args:
        model: takes ``(N, height, width, 3)`` images.
        height, width: the frame size timed.
        batch_size: frames per batched call.
        repeats: timed calls of each kind.

    Returns:
        dict: ``ms_per_frame`` (batch 1), ``ms_per_frame_batched``, ``frames_per_s``
        (batched), ``batch_size``, ``size``.
    """
    rng = np.random.default_rng(0)
    batch = rng.uniform(0, 255, (batch_size, height, width, 3)).astype("float32")
    single = time_call(lambda: model.predict_on_batch(batch[:1]), repeats)["median_s"]
    batched = time_call(lambda: model.predict_on_batch(batch), repeats)["median_s"] / batch_size
    return {
        "ms_per_frame": round(single * 1e3, 2),
        "ms_per_frame_batched": round(batched * 1e3, 2),
        "frames_per_s": round(1 / batched, 1),
        "batch_size": batch_size,
        "size": [height, width],
    }


def peak_memory_mib() -> float | None:
    """This process' peak resident memory in MiB, or ``None`` where it cannot be read.

    ``resource`` exists on Unix only: imported here, not at the top, so that importing
    this module works on Windows too.
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kibibytes, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def bench_model(
    backbone: str = "mobilenet",
    variant: str = "fcn8s",
    alpha: float | None = None,
    size: tuple[int, int] = (360, 480),
    batch_size: int = 8,
    repeats: int = 5,
) -> dict:
    """Forward and training speed of a random-weight FCN on this device.

    16-bit (float16) compute and XLA on a GPU, float32 on a CPU, as training uses them.

    Args:
        backbone, variant: as :func:`~fcn_tutorial.models.build_fcn` takes them.
        alpha: MobileNet's width (``None``: 0.25 for MobileNet, 1.0 otherwise).
        size: ``(height, width)`` of the frames.
        batch_size: frames per batched call and per training step.
        repeats: timed calls of each kind.

    Returns:
        dict: ``name``, ``alpha``, ``size``, ``parameters``, ``flops_per_frame``,
        ``backend``, ``device``, ``device_name``, ``batch_size``, ``ms_per_frame``
        (batch 1), ``ms_per_frame_batched``, ``train_images_per_s``, ``peak_memory_mib``
        and, on a GPU, ``achieved_flops_per_s`` and ``peak_flops`` (``None`` where unknown).

    Raises:
        ValueError: for an unknown backbone or variant, or sizes and counts below 1.
    """
    import keras

    from fcn_tutorial import hardware
    from fcn_tutorial.losses import MaskedSparseCrossEntropy
    from fcn_tutorial.models import build_fcn

    height, width = size
    if batch_size < 1 or repeats < 1:
        raise ValueError("--batch-size and --repeats must be at least 1.")
    alpha = alpha or (0.25 if backbone == "mobilenet" else 1.0)
    on_gpu = hardware.gpu_available()
    previous = keras.config.dtype_policy()
    if on_gpu:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_fcn(
            11, backbone=backbone, variant=variant, weights=None,
            input_shape=(height, width, 3), alpha=alpha,
        )  # fmt: skip
        model.compile(
            optimizer=keras.optimizers.Adam(1e-4),
            loss=MaskedSparseCrossEntropy(),
            jit_compile=on_gpu,
        )
        model.optimizer.build(model.trainable_variables)  # else the warm-up traces twice
        rng = np.random.default_rng(0)
        batch = rng.uniform(0, 255, (batch_size, height, width, 3)).astype("float32")
        labels = rng.integers(0, 11, (batch_size, height, width)).astype("int32")

        def forward(images):
            return lambda: keras.ops.convert_to_numpy(model.predict_on_batch(images))

        single = time_call(forward(batch[:1]), repeats, warmup=2)["median_s"]
        batched = time_call(forward(batch), repeats, warmup=2)["median_s"]
        step = time_call(lambda: model.train_on_batch(batch, labels), repeats)["median_s"]
    finally:
        keras.mixed_precision.set_global_policy(previous)
    flops = model_flops(model)
    name = hardware.device_name(on_gpu)
    result = {
        "name": model.name,
        "alpha": alpha,
        "size": [height, width],
        "parameters": int(model.count_params()),
        "flops_per_frame": flops,
        "backend": keras.backend.backend(),
        "device": "gpu" if on_gpu else "cpu",
        "device_name": name,
        "batch_size": batch_size,
        "ms_per_frame": single * 1e3,
        "ms_per_frame_batched": batched * 1e3 / batch_size,
        "train_images_per_s": batch_size / step,
        "peak_memory_mib": peak_memory_mib(),
    }
    if on_gpu:
        result["achieved_flops_per_s"] = flops * batch_size / batched
        result["peak_flops"] = hardware.peak_flops(name)
    return result
