"""Figures of ``07_self_driving_demo.ipynb``: the demo model driving, copied from its run."""

from __future__ import annotations

from pathlib import Path

from fcn_tutorial.figures.registry import NeedsRun, register

__all__ = ["self_driving_drive", "self_driving_preview"]


def _copy_from_run(path: Path) -> None:
    # Imported here: the demo sits on the training code, which listing or drawing the
    # other figures should not load.
    from fcn_tutorial import demo

    if not (demo.RUN_DIR / f"drive{path.suffix}").is_file():
        raise NeedsRun(
            "it is the drive the demo renders from its trained model (minutes of labelling "
            "CamVid's test drives): run `make demo` first."
        )
    demo.drive_figure(path)


@register("07_self-driving-drive.mp4")
def self_driving_drive(path: Path) -> None:
    """The demo model on CamVid's test drives (Seq05VD, then 0001TP at dusk), H.264:
    camera | prediction | errors, with the frame's mean IU and the measured ms/frame.

    Copied from the finished ``make demo`` run in ``runs/demo``; skipped without it.
    """
    _copy_from_run(path)


@register("07_self-driving-drive.webp")
def self_driving_preview(path: Path) -> None:
    """A small animated preview of the drive (<= 1 MB), for pages that cannot play video.

    Copied from the finished ``make demo`` run in ``runs/demo``; skipped without it.
    """
    _copy_from_run(path)
