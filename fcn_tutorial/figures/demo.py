"""Figure of ``07_self_driving_demo.ipynb``: the demo model driving, drawn from its run."""

from __future__ import annotations

from pathlib import Path

from fcn_tutorial.figures.registry import NeedsRun, register

__all__ = ["self_driving_drive"]


@register("07_self-driving-drive.gif")
def self_driving_drive(path: Path) -> None:
    """The demo model's labels on consecutive frames (left: ground truth, right: prediction).

    Drawn from the finished ``make demo`` run in ``runs/demo``; skipped without it.
    """
    # Imported here: the demo sits on the training code, which listing or drawing the
    # other figures should not load.
    from fcn_tutorial import demo

    if not (demo.RUN_DIR / "summary.json").is_file():
        raise NeedsRun("it is drawn from the demo's trained model: run `make demo` first.")
    demo.drive_figure(path)
