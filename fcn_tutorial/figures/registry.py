"""The registry of ``figures/``: file name to the function that draws it, and the build loop.

The lesson modules (``convolution``, ``pooling``, ...) fill it with :func:`register` when
:mod:`fcn_tutorial.figures` imports them; this module imports none of them, so the
registry has no import circle and a lesson module needs only ``register`` and
:func:`save_png`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from fcn_tutorial import viz
from fcn_tutorial.workspace import tutorial_folder

__all__ = [
    "FIGURES",
    "FIGURES_DIR",
    "NAME_PATTERN",
    "NeedsRun",
    "build",
    "describe",
    "register",
    "save_png",
]

FIGURES_DIR = tutorial_folder() / "figures"
"""Path: the tutorial folder's ``figures/``, where the notebooks and README find them (the
repository's in a clone; :func:`fcn_tutorial.workspace.tutorial_folder`)."""

FIGURES: dict[str, Callable[[Path], None]] = {}
"""dict[str, callable]: file name to the function ``fn(path)`` that writes it."""

NAME_PATTERN = re.compile(r"^\d\d_[a-z0-9-]+\.(png|gif|mp4|webp)$")
"""re.Pattern: ``NN_words-with-dashes.png|gif|mp4|webp``, NN the notebook that shows it."""


def register(name: str):
    """Decorator: ``fn(path)`` writes the figure ``name``.

    Raises:
        ValueError: for a name not shaped ``NN_words-with-dashes.png|gif|mp4|webp`` or one
            registered twice.
    """
    if not NAME_PATTERN.match(name):
        raise ValueError(
            f"figure name {name!r} must look like '02_conv-same-padding.gif': the notebook "
            "number, an underscore, lowercase words joined by dashes, .png, .gif, .mp4 or .webp."
        )

    def decorator(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        if name in FIGURES:
            raise ValueError(f"{name} is registered twice: rename one of the two figures.")
        FIGURES[name] = fn
        return fn

    return decorator


def describe() -> dict[str, str]:
    """What each registered figure shows: the first line of its function's docstring.

    Returns:
        dict[str, str]: file name to description, in the order :func:`build` writes them.

    Example:
        >>> from fcn_tutorial import figures
        >>> figures.describe()["03_max-pooling.gif"]
        'MaxPooling2D(pool_size=2, strides=2) over a 6×6 grid of digits, step by step.'
    """
    return {name: (fn.__doc__ or "").strip().splitlines()[0] for name, fn in FIGURES.items()}


def save_png(fig, path: Path) -> None:
    """Write a figure as a PNG with no timestamp, so rebuilding gives the same bytes."""
    Path(path).write_bytes(viz.figure_to_png(fig))


class NeedsRun(FileNotFoundError):
    """Raised by a figure drawn from a trained model whose run folder is not here."""


def build(names: Iterable[str] | None = None, out_dir: str | Path = FIGURES_DIR) -> list[Path]:
    """Write the named figures (all by default) into ``out_dir``.

    A figure drawn from a trained model (``07_self-driving-drive.mp4``) needs its run
    (``make demo``); without it, it is skipped with a message, not drawn from nothing.

    Returns:
        list[Path]: the files written, in the order of ``names``.

    Raises:
        ValueError: for a name that is not registered.
    """
    names = list(FIGURES) if names is None else list(names)
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figures {unknown}: run with --list to see the names.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        try:
            FIGURES[name](out_dir / name)
        except NeedsRun as missing:
            print(f"skipped {name}: {missing}")
            continue
        paths.append(out_dir / name)
    return paths
