"""Time how long the stepping explorers take to redraw: ms per move of the step slider.

For each explorer with a ``step`` slider (``ConvolutionExplorer``, ``PoolingExplorer``,
``TransposedConvolutionExplorer``), built with its defaults, the notebooks' starting
point, each timed call moves the slider one step on (back to 0 after the last), which is
one whole redraw: the state recomputed, the drawing rendered to PNG at
``widgets.base.DPI`` and the readout rewritten. One untimed move comes first; each figure
is the median over ``--repeats`` moves (``speed.time_call``). The explorers aim to stay
well under 300 ms a redraw, so a dragged slider keeps up.

Usage (from the repository root)::

    python benchmarks/explorer_redraw.py
    python benchmarks/explorer_redraw.py --repeats 3

Not part of the package; ``tests/test_benchmarks.py`` runs it with a few repeats and
checks that it prints a figure for every explorer (never how large).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run from a checkout: the package need not be installed.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EXPLORERS = ("ConvolutionExplorer", "PoolingExplorer", "TransposedConvolutionExplorer")
"""tuple[str]: the explorers of ``fcn_tutorial.widgets`` that have a step slider."""

__all__ = ["EXPLORERS", "main", "measure"]


def step_on(explorer):
    """A call that moves ``explorer``'s step slider to the next step: one redraw."""
    slider = explorer.controls["step"]
    if slider.max == slider.min:
        raise ValueError(
            f"{type(explorer).__name__} has a single step, so moving its slider redraws "
            "nothing: build it with settings that give at least two output positions."
        )

    def call():
        slider.value = slider.min if slider.value == slider.max else slider.value + 1

    return call


def measure(repeats: int) -> dict:
    """Milliseconds per redraw of each explorer in :data:`EXPLORERS`, median of ``repeats``.

    Returns:
        dict: explorer name to ``{"median_ms", "mean_ms", "times_ms"}``.
    """
    from fcn_tutorial import speed, widgets

    results = {}
    for name in EXPLORERS:
        timing = speed.time_call(step_on(getattr(widgets, name)()), repeats=repeats)
        results[name] = {
            "median_ms": timing["median_s"] * 1e3,
            "mean_ms": timing["mean_s"] * 1e3,
            "times_ms": [t * 1e3 for t in timing["times_s"]],
        }
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed redraws each (20)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: time at least one redraw, e.g. --repeats 20.")
    results = measure(args.repeats)
    width = max(map(len, results))
    print(f"explorer redraw, median of {args.repeats} (ms per redraw)")
    for name, timing in results.items():
        print(f"  {name:<{width}}  {timing['median_ms']:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
