"""Each notebook opens in Colab: a badge under its title, in the README too, and a first code
cell that installs the tutorial only where it is missing.

The cell's whole path, install aside, runs for real against a built wheel in
``tests/test_install.py``; here it runs in a stand-in IPython that records what it asks for.
"""

import copy
import importlib.util
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from fcn_tutorial import cli, notebooks, workspace
from fcn_tutorial.notebooks import (
    NOTEBOOKS,
    REPOSITORY,
    SETUP_CELL,
    colab_badge,
    colab_url,
    notebook_paths,
    with_colab,
)

ROOT = Path(__file__).resolve().parents[1]
PATHS = notebook_paths(NOTEBOOKS)
INSTALL = f'install --quiet "fcn-tutorial @ git+{REPOSITORY}"'


def test_the_repository_is_named_once_and_said_the_same_everywhere():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["urls"]["Repository"] == REPOSITORY
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f'pip install "git+{REPOSITORY}"' in readme
    assert colab_url("01_segmentation_intro.ipynb") == (
        "https://colab.research.google.com/github/fcn-tutorial/fcn-tutorial/blob/main/"
        "notebooks/01_segmentation_intro.ipynb"
    )


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_each_notebook_has_its_badge_and_the_setup_cell_first(path):
    notebook = nbformat.read(path, as_version=4)
    assert with_colab(copy.deepcopy(notebook), path.name) == notebook, (
        f"{path.name} lacks its Colab badge or setup cell: fcn_tutorial.notebooks.with_colab "
        "adds them (`fcn-tutorial notebooks` does)"
    )
    title = notebook.cells[0].source.splitlines()
    assert title[0].startswith(f"# {path.name[:2]} · ") and title[2] == colab_badge(path.name)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].source == SETUP_CELL and "from fcn_tutorial import" in code[1].source


def test_the_readme_table_gives_each_notebook_its_own_badge():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \[\d\d · .*\]\(notebooks/(\S+\.ipynb)\) \|.*$", readme, re.M)
    assert rows == [path.name for path in PATHS]
    for name in rows:
        row = next(line for line in readme.splitlines() if f"(notebooks/{name})" in line)
        assert row.endswith(f"| {colab_badge(name)} |"), row


def _lesson() -> dict:
    """A notebook as a lesson starts: its title cell, then its imports."""
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 09 · A lesson\n\nProse."),
            nbformat.v4.new_code_cell("import keras"),
        ]
    )


def test_with_colab_adds_the_badge_and_the_cell_once():
    notebook = _lesson()
    with_colab(notebook, "09_lesson.ipynb")
    assert (
        notebook.cells[0].source == f"# 09 · A lesson\n\n{colab_badge('09_lesson.ipynb')}\n\nProse."
    )
    assert [cell.source for cell in notebook.cells[1:]] == [SETUP_CELL, "import keras"]
    once = copy.deepcopy(notebook)
    assert with_colab(notebook, "09_lesson.ipynb") == once
    nbformat.validate(notebook)


def test_with_colab_replaces_the_badge_and_cell_of_an_older_address(monkeypatch):
    old = _lesson()
    new = copy.deepcopy(old)  # the same cell ids
    monkeypatch.setattr(notebooks, "REPOSITORY", "https://github.com/someone/elsewhere")
    monkeypatch.setattr(notebooks, "SETUP_CELL", SETUP_CELL.replace(REPOSITORY, "elsewhere"))
    with_colab(old, "09_lesson.ipynb")
    assert "someone/elsewhere" in old.cells[0].source and "elsewhere" in old.cells[1].source
    monkeypatch.undo()
    with_colab(old, "09_lesson.ipynb")
    assert old == with_colab(new, "09_lesson.ipynb")


class _Shell:
    """What the setup cell asks of IPython, recorded: ``%pip`` and ``%cd``."""

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line))


def _run_setup_cell(monkeypatch, installed: bool) -> tuple[list, list]:
    shell, copies = _Shell(), []
    if not installed:
        real = importlib.util.find_spec
        missing = lambda name, *rest: None if name == "fcn_tutorial" else real(name, *rest)  # noqa: E731
        monkeypatch.setattr(importlib.util, "find_spec", missing)

    def copy_only(argv):
        copies.append(argv)
        (Path.cwd() / workspace.DEFAULT_FOLDER / "notebooks").mkdir(parents=True)
        return 0

    monkeypatch.setattr(cli, "main", copy_only)
    python = TransformerManager().transform_cell(SETUP_CELL)
    exec(compile(python, "setup cell", "exec"), {"get_ipython": lambda: shell})
    return shell.magics, copies


def test_the_setup_cell_installs_copies_and_moves_in_where_the_package_is_missing(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    magics, copies = _run_setup_cell(monkeypatch, installed=False)
    assert magics == [("pip", INSTALL), ("cd", f"{workspace.DEFAULT_FOLDER}/notebooks")]
    assert copies == [["lab", "--copy-only"]]
    # After a restart of the kernel (Colab asks for one) the copy is there: it moves in only.
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    magics, copies = _run_setup_cell(monkeypatch, installed=True)
    assert magics == [("cd", f"{workspace.DEFAULT_FOLDER}/notebooks")] and not copies


def test_the_setup_cell_does_nothing_where_the_package_is_installed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _run_setup_cell(monkeypatch, installed=True) == ([], [])
