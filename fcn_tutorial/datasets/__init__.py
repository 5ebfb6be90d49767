"""Segmentation data: CamVid's classes and colours, and the synthetic driving scenes.

- ``classes``: class names, ``PALETTE``, ``VOID``, ``colorize``, ``overlay``, legends.
- ``synthetic``: ``synthetic_driving`` and ``synthetic_drive``, the offline default data.

``python -m fcn_tutorial.datasets`` prints how fast this machine draws scenes.
"""

from fcn_tutorial.datasets.classes import (
    CLASS_NAMES,
    NUM_CLASSES,
    PALETTE,
    VOID,
    class_frequencies,
    colorize,
    legend_handles,
    overlay,
)
from fcn_tutorial.datasets.synthetic import benchmark_synthetic, synthetic_drive, synthetic_driving

__all__ = [
    "CLASS_NAMES",
    "NUM_CLASSES",
    "VOID",
    "PALETTE",
    "colorize",
    "overlay",
    "legend_handles",
    "class_frequencies",
    "synthetic_driving",
    "synthetic_drive",
    "benchmark_synthetic",
]
