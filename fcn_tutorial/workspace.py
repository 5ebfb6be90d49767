"""Where the tutorial's files live: its notebooks, figures, results and runs.

In a clone (``make lab``, ``pip install -e .``) they are the repository's own folders,
``notebooks/``, ``figures/``, ``results/`` and ``runs/``. An installed package (a wheel,
``pip install git+...``) carries a copy of the first three, and ``fcn-tutorial lab`` copies
them into a folder you own, ``./fcn-tutorial-notebooks`` unless you choose another::

    fcn-tutorial-notebooks/
        notebooks/01_segmentation_intro.ipynb ...
        figures/02_conv-dilation.gif ...     (the notebooks link ../figures/)
        results/transfer.json ...            (the numbers notebooks 05-07 quote)
        runs/                                (what you train; made when needed)

Every module that reads or writes those folders asks :func:`tutorial_folder`, so nothing is
ever written into the installed package. Pure Python, no import of the rest of the package.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
from pathlib import Path

from fcn_tutorial import __version__
from fcn_tutorial.files import replacing

__all__ = [
    "ENV",
    "DEFAULT_FOLDER",
    "MARKER",
    "SHIPPED",
    "source_checkout",
    "shipped_root",
    "find_copy",
    "locate_tutorial",
    "tutorial_folder",
    "QUICK_RUNS_ENV",
    "quick_runs_folder",
    "shipped_files",
    "copy_tutorial",
]

ENV = "FCN_TUTORIAL_HOME"
"""str: the environment variable that names the tutorial folder outright (``fcn-tutorial lab``
sets it for JupyterLab's kernels)."""

DEFAULT_FOLDER = "fcn-tutorial-notebooks"
"""str: the folder ``fcn-tutorial lab`` copies the tutorial into, in the working directory."""

MARKER = ".fcn-tutorial.json"
"""str: the file that marks a copied tutorial folder; it records what was copied, so a
later copy can tell a learner's edits from files it may update."""

SHIPPED = {
    "notebooks": ("*.ipynb",),
    "figures": ("*.png", "*.gif", "*.mp4", "*.webp"),
    "results": ("*.json",),
}
"""dict: the folders an installation carries, each with the patterns of its files."""

_PACKAGE = Path(__file__).resolve().parent


def source_checkout() -> Path | None:
    """The repository this package runs from, in a clone (editable install); else ``None``.

    A clone has ``pyproject.toml`` naming this project and ``notebooks/`` beside the package.
    """
    root = _PACKAGE.parent
    pyproject = root / "pyproject.toml"
    if not (pyproject.is_file() and (root / "notebooks").is_dir()):
        return None
    return root if 'name = "fcn-tutorial"' in pyproject.read_text(encoding="utf-8") else None


def shipped_root() -> Path:
    """The folder holding the ``notebooks/``, ``figures/`` and ``results/`` to copy from.

    ``fcn_tutorial/material/`` in a built wheel (``setup.py`` puts them there), the
    repository itself in a clone.

    Raises:
        FileNotFoundError: when this installation carries neither.
    """
    material = _PACKAGE / "material"
    if (material / "notebooks").is_dir():
        return material
    checkout = source_checkout()
    if checkout is not None:
        return checkout
    raise FileNotFoundError(
        f"this installation of fcn_tutorial ({_PACKAGE}) carries no notebooks: reinstall it "
        "from a wheel or the repository (pip install --force-reinstall fcn-tutorial)."
    )


def find_copy(start: str | os.PathLike | None = None) -> Path | None:
    """The copied tutorial folder (one holding :data:`MARKER`) at ``start`` or above it.

    Args:
        start: where to look from; default: the working directory.
    """
    start = Path(start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / MARKER).is_file():
            return folder
    return None


def locate_tutorial() -> tuple[Path, str]:
    """The tutorial folder, and how it was found (a few words for ``fcn-tutorial info``).

    In order: ``$FCN_TUTORIAL_HOME``; a copied folder at or above the working directory
    (a notebook's kernel runs in ``notebooks/``); the repository, in a clone;
    ``./fcn-tutorial-notebooks`` when ``fcn-tutorial lab`` made it; the working directory.
    """
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser().resolve(), f"${ENV}"
    copy = find_copy()
    if copy is not None:
        return copy, "a copy made by fcn-tutorial lab"
    checkout = source_checkout()
    if checkout is not None:
        return checkout, "the repository (a clone)"
    default = Path.cwd() / DEFAULT_FOLDER
    if (default / MARKER).is_file():
        return default.resolve(), "a copy made by fcn-tutorial lab"
    return Path.cwd().resolve(), "the working directory"


def tutorial_folder() -> Path:
    """The folder whose ``notebooks/``, ``figures/``, ``results/`` and ``runs/`` are used.

    See :func:`locate_tutorial` for how it is found; never inside the installed package.
    """
    return locate_tutorial()[0]


QUICK_RUNS_ENV = "FCN_TUTORIAL_QUICK_RUNS"
"""str: the environment variable that moves the notebooks' quick runs (the tests point it
at a fresh folder per session, so no session reuses an older version's runs)."""


def quick_runs_folder() -> Path:
    """Where the notebooks' quick runs go: ``$FCN_TUTORIAL_QUICK_RUNS``, else the tutorial
    folder's ``runs/notebooks-quick/``. A notebook run again reuses the finished runs it
    finds there; delete the folder to train them afresh."""
    if os.environ.get(QUICK_RUNS_ENV):
        return Path(os.environ[QUICK_RUNS_ENV]).expanduser().resolve()
    return tutorial_folder() / "runs" / "notebooks-quick"


def shipped_files(root: str | os.PathLike | None = None) -> list[str]:
    """The files an installation carries, as ``folder/name`` paths, in a stable order.

    Args:
        root: the folder to list; default :func:`shipped_root`.
    """
    root = Path(root) if root is not None else shipped_root()
    names = []
    for folder, patterns in SHIPPED.items():
        found = {path.name for pattern in patterns for path in (root / folder).glob(pattern)}
        names += [f"{folder}/{name}" for name in sorted(found)]
    return names


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_marker(folder: Path) -> dict:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_atomically(path: Path, data: bytes) -> None:
    with replacing(path) as temporary:
        temporary.write_bytes(data)


def _plan(source: Path, target: Path, recorded: str | None, refresh: bool) -> str:
    # What to do with one file: "copied", "same", "updated", "replaced", "kept" or "edited".
    if not target.is_file():
        return "copied"
    current, shipped = _sha256(target), _sha256(source)
    if current == shipped:
        return "same"
    if recorded == current:
        return "updated"  # untouched since it was copied: this version ships a newer one
    if refresh:
        return "replaced"
    # Changed by the learner: kept, and worth a word only when this version ships a new one.
    return "edited" if recorded == shipped else "kept"


def copy_tutorial(
    folder: str | os.PathLike, refresh: bool = False, source: str | os.PathLike | None = None
) -> dict[str, list[str]]:
    """Copy the shipped notebooks, figures and results into ``folder``, keeping your edits.

    A file that is missing is copied; one left as it was copied is updated to this
    version's; one you changed is kept, unless ``refresh``: then your copy moves to
    ``backup/<time>/`` first and the shipped one takes its place. Nothing is deleted.

    Args:
        folder: the tutorial folder to fill (made when missing).
        refresh: replace files you changed with the shipped ones (yours go to ``backup/``).
        source: the folder to copy from; default :func:`shipped_root`.

    Returns:
        dict: ``folder/name`` paths by what happened: ``"copied"``, ``"updated"``,
        ``"replaced"`` and ``"kept"``; ``"backup"`` holds the folder your replaced files
        went to, when there were any.

    Raises:
        FileNotFoundError: when this installation carries no notebooks.
    """
    folder = Path(folder).expanduser().resolve()
    source = Path(source) if source is not None else shipped_root()
    recorded = _read_marker(folder).get("files", {})
    backup = folder / "backup" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    report = {"copied": [], "updated": [], "replaced": [], "kept": [], "backup": []}
    hashes = dict(recorded)
    for name in shipped_files(source):
        origin, target = source / name, folder / name
        action = _plan(origin, target, recorded.get(name), refresh)
        if action in ("kept", "edited"):  # the learner's: it keeps the hash it was copied with
            report["kept"] += [name] if action == "kept" else []
            continue
        if action == "replaced":
            (backup / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup / name)
            report["backup"] = [str(backup)]
        if action != "same":
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(target, origin.read_bytes())
            report[action].append(name)
        hashes[name] = _sha256(origin)
    marker = {"version": __version__, "files": hashes}
    _write_atomically(folder / MARKER, (json.dumps(marker, indent=1) + "\n").encode())
    return report
