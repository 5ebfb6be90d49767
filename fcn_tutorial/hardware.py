"""Facts about the machine: Keras backend, devices, GPU name and memory, CPU, peak FLOP/s.

The one place these are worked out, so a results file, the demo's first line and a
benchmark never disagree about what they ran on. Keras is imported inside the functions
that need it: asking for the CPU's name should not cost the seconds Keras takes to load.

Introduced in ``07_self_driving_demo.ipynb`` (the hardware check before training).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

__all__ = [
    "PEAK_FLOPS",
    "backend",
    "devices",
    "gpu_available",
    "nvidia_smi",
    "gpu_name",
    "gpu_memory_gib",
    "cpu_name",
    "device_name",
    "peak_flops",
    "versions",
    "describe",
]

PEAK_FLOPS = {
    "NVIDIA H200": 989e12,
    "NVIDIA H100": 989e12,
    "NVIDIA A100": 312e12,
    "NVIDIA L4": 121e12,
    "NVIDIA A10": 125e12,
    "Tesla V100": 125e12,
    "Tesla T4": 65e12,
}
"""dict[str, float]: dense float16/bfloat16 tensor-core peaks (no sparsity) from the vendors'
data sheets, matched against the start of the GPU's name as ``nvidia-smi`` prints it."""


def backend() -> str:
    """The Keras backend in use: ``"tensorflow"``, ``"jax"`` or ``"torch"``."""
    import keras

    return keras.backend.backend()


def devices() -> list[str]:
    """The devices the Keras backend sees (``keras.distribution.list_devices()``), as text.

    A backend that cannot list its devices is taken to have one CPU.
    """
    import keras

    try:
        return [str(device) for device in keras.distribution.list_devices()]
    except Exception:  # a backend without device listing
        return ["cpu"]


def gpu_available() -> bool:
    """Whether the Keras backend sees a GPU."""
    return any(device.lower().startswith(("gpu", "cuda")) for device in devices())


def nvidia_smi(field: str) -> str | None:
    """The first GPU's ``field`` (``name``, ``memory.total`` ...), or ``None`` without one."""
    try:
        result = subprocess.run(
            ["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = result.stdout.strip().splitlines() if result.returncode == 0 else []
    return lines[0].strip() if lines else None


def gpu_name() -> str | None:
    """The first GPU's name (``"NVIDIA H200"``), or ``None`` where no GPU answers.

    Asks ``nvidia-smi``, then PyTorch when it is already loaded (a machine may lack the
    tool but not the driver).
    """
    name = nvidia_smi("name")
    torch = sys.modules.get("torch")
    if name is None and torch is not None and torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
    return name


def gpu_memory_gib() -> float | None:
    """The first GPU's memory in GiB, or ``None`` where it cannot be read."""
    try:
        return round(float(nvidia_smi("memory.total")) / 1024, 1)  # nvidia-smi says MiB
    except (TypeError, ValueError):
        return None


def cpu_name() -> str:
    """The processor's model name and core count, e.g. ``"AMD EPYC 9654, 2 cores"``."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:  # not Linux: platform's answer stands
        pass
    return f"{model}, {os.cpu_count()} cores"


def device_name(gpu: bool | None = None) -> str:
    """What training runs on, in words: the GPU's name, or the CPU's with its cores.

    Args:
        gpu: whether the run uses a GPU; ``None`` asks :func:`gpu_available`.
    """
    if gpu is None:
        gpu = gpu_available()
    return (gpu_name() or "GPU") if gpu else cpu_name()


def peak_flops(name: str | None) -> float | None:
    """The bf16/fp16 peak FLOP/s of a GPU by name, or ``None`` for a device not in the table.

    Example:
        >>> peak_flops("NVIDIA H200 141GB HBM3e") / 1e12, peak_flops("a CPU")
        (989.0, None)
    """
    return next((v for k, v in PEAK_FLOPS.items() if name and name.startswith(k)), None)


def versions() -> dict:
    """Python, Keras, NumPy and the backend's library versions, for results files."""
    import keras
    import numpy as np

    found = {"python": platform.python_version(), "keras": keras.__version__}
    found["numpy"] = np.__version__
    for module in ("tensorflow", "jax", "jaxlib", "torch"):
        if module in sys.modules:
            found[module] = getattr(sys.modules[module], "__version__", "?")
    return found


def describe() -> dict:
    """The machine in one dict: what the demo prints first and results files record.

    Returns:
        dict: ``backend``, ``device`` (``"gpu"`` or ``"cpu"``), ``device_name``,
        ``memory_gib`` (the GPU's; ``None`` on a CPU), ``cpu_count`` and ``devices``.
    """
    gpu = gpu_available()
    return {
        "backend": backend(),
        "device": "gpu" if gpu else "cpu",
        "device_name": device_name(gpu),
        "memory_gib": gpu_memory_gib() if gpu else None,
        "cpu_count": os.cpu_count(),
        "devices": devices(),
    }
