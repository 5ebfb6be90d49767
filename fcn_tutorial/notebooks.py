"""The notebooks as files: where they are, and running one top to bottom in place.

``fcn-tutorial notebooks`` (``make notebooks``) re-executes them so that GitHub shows
fresh outputs; ``fcn-tutorial lab`` opens their folder in JupyterLab. In a clone they are
the repository's ``notebooks/``; with an installed package, those of the folder
``fcn-tutorial lab`` copied them into (:mod:`fcn_tutorial.workspace`). Each notebook also
opens in Google Colab: a badge under its title, and a first code cell that installs the
tutorial where it is missing (:func:`with_colab`).
"""

from __future__ import annotations

import re
from pathlib import Path

from fcn_tutorial.workspace import DEFAULT_FOLDER, tutorial_folder

__all__ = [
    "ROOT",
    "NOTEBOOKS",
    "KERNELSPEC",
    "REPOSITORY",
    "SETUP_CELL",
    "SETUP_CELL_ID",
    "colab_url",
    "colab_badge",
    "with_colab",
    "notebook_paths",
    "execute_notebook",
    "drop_startup_logs",
    "normalise",
]

ROOT = tutorial_folder()
"""Path: the tutorial folder (:func:`fcn_tutorial.workspace.tutorial_folder`)."""
NOTEBOOKS = ROOT / "notebooks"
"""Path: the tutorial's notebooks, ``NN_topic.ipynb`` in reading order."""

# TensorFlow's C++ runtime writes these to the process' stderr on import, whatever
# TF_CPP_MIN_LOG_LEVEL says; a learner sees them live, the committed notebook need not.
_TF_STARTUP_LOG = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called.*"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ \w+\.cc:\d+\] .*)$"
)

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
"""dict: the kernelspec JupyterLab writes for ipykernel's kernel; a notebook saved with
another display name is marked modified as soon as JupyterLab opens it."""


REPOSITORY = "https://github.com/fcn-tutorial/fcn-tutorial"
"""str: where the tutorial is published, as ``pyproject.toml``'s ``[project.urls]`` says;
the Colab badges and the setup cells point there."""

SETUP_CELL = f"""\
# In Colab (or any Python without the tutorial) this installs it and works in a copy of its
# notebooks, figures and results; where fcn_tutorial is installed already, it does nothing.
import importlib.util
import os

if importlib.util.find_spec("fcn_tutorial") is None:
    %pip install --quiet "fcn-tutorial @ git+{REPOSITORY}"
    from fcn_tutorial import cli

    cli.main(["lab", "--copy-only"])  # as `fcn-tutorial lab --copy-only` does
if os.path.isdir("{DEFAULT_FOLDER}"):  # the copy made just above (or before a restart)
    %cd {DEFAULT_FOLDER}/notebooks"""
"""str: each notebook's first code cell. Colab opens a lone ``.ipynb`` from GitHub: the
cell installs the package and copies the tutorial's folders (``fcn-tutorial lab
--copy-only``) so that ``../figures`` and ``../results`` exist; in a clone, a copy made by
``fcn-tutorial lab``, or under nbval, the package is found and the cell does nothing."""

SETUP_CELL_ID = "colab-setup"
"""str: the setup cell's id, by which :func:`with_colab` finds it again to update it."""
_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(name: str) -> str:
    """Colab's address for the notebook ``name`` (``"01_segmentation_intro.ipynb"``)."""
    repository = REPOSITORY.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repository}/blob/main/notebooks/{name}"


def colab_badge(name: str) -> str:
    """The "Open in Colab" badge for the notebook ``name``, as Markdown."""
    return f"[![Open In Colab]({_BADGE_IMAGE})]({colab_url(name)})"


def with_colab(notebook: dict, name: str) -> dict:
    """Give a notebook its Colab badge and setup cell, in place; unchanged when it has both.

    The badge goes under the title (the first line of the first cell), the setup cell
    (:data:`SETUP_CELL`) before the first code cell. A badge or setup cell from an older
    :data:`REPOSITORY` is replaced, not kept beside the new one.

    Args:
        notebook: a notebook as ``nbformat.read`` gives it (sources as strings).
        name: its file name, which the badge links to.

    Returns:
        dict: the same notebook.
    """
    import nbformat

    cells = notebook["cells"]
    title, badge = cells[0], colab_badge(name)
    if badge not in title["source"]:
        first, *rest = title["source"].split("\n")
        rest = [line for line in rest if _BADGE_IMAGE not in line]
        while rest and not rest[0].strip():  # the blank line the old badge had above it
            rest.pop(0)
        title["source"] = "\n".join([first, "", badge, "", *rest])
    first_code = next(i for i, cell in enumerate(cells) if cell["cell_type"] == "code")
    if cells[first_code].get("id") == SETUP_CELL_ID:
        cells[first_code]["source"] = SETUP_CELL
    else:
        cells.insert(first_code, nbformat.v4.new_code_cell(SETUP_CELL, id=SETUP_CELL_ID))
    return notebook


def notebook_paths(folder: str | Path = NOTEBOOKS) -> list[Path]:
    """The tutorial's notebooks in reading order (``01_...ipynb``, ``02_...``)."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def drop_startup_logs(cell: dict) -> None:
    """Remove TensorFlow's start-up log lines from a cell's stderr outputs, in place.

    A stderr output left empty is dropped; every other output stays as it was.
    """
    kept = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            lines = [line for line in output["text"].splitlines() if line.strip()]
            remaining = [line for line in lines if not _TF_STARTUP_LOG.match(line)]
            if not remaining:
                continue
            output["text"] = "\n".join(remaining) + "\n"
        kept.append(output)
    if "outputs" in cell:
        cell["outputs"] = kept


def execute_notebook(path: str | Path, timeout: int = 1200) -> None:
    """Run a notebook top to bottom in place, as a learner would, in this environment.

    Timing metadata and widget state are not recorded, so re-running an unchanged notebook
    changes only what its cells print; TensorFlow's start-up log lines are left out of the
    saved file, and it is saved as JupyterLab would save it (:func:`normalise`).

    Args:
        path: the ``.ipynb`` file; it runs in its own folder.
        timeout: seconds a cell may take.
    """
    import nbclient
    import nbformat

    path = Path(path)
    notebook = with_colab(nbformat.read(path, as_version=4), path.name)
    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        # Each widget output already carries a PNG of its view (what GitHub shows); the
        # widgets' saved state would store those pictures twice and push a notebook past
        # the 1.5 MB the tutorial allows each one.
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        drop_startup_logs(cell)
    nbformat.write(normalise(notebook), path)


def normalise(notebook: dict) -> dict:
    """Make a notebook read as JupyterLab would save it, without saved widget state.

    Two differences would otherwise mark a freshly opened notebook modified: another
    kernelspec display name, and numbers such as ``1.0``, which Python's JSON writer keeps
    and JupyterLab's rewrites as ``1``. Saved widget state goes: every explorer's output
    carries a PNG of its first drawing, which is what GitHub (or any viewer without a
    kernel) shows, and its controls come alive when the cell runs; the state only doubled
    each picture (about 1.5 MB across the notebooks).

    Args:
        notebook: a notebook as ``nbformat.read`` or ``json.load`` gives it; changed in place.

    Returns:
        dict: the same notebook.
    """
    metadata = notebook.setdefault("metadata", {})
    metadata["kernelspec"] = dict(KERNELSPEC)
    metadata.pop("widgets", None)
    _integral_numbers(notebook)
    return notebook


def _integral_numbers(node) -> None:
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        if isinstance(value, float) and value.is_integer():
            node[key] = int(value)
        elif isinstance(value, (dict, list)):
            _integral_numbers(value)
