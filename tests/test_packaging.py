"""The project's contract: pins kept in step, the two README commands, Keras only.

The library's layering is checked in ``test_layering.py``.
"""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _requirement(text):
    name, _, version = text.strip().partition("==")
    return name.strip().lower(), version.strip()


def test_environment_yml_pins_what_pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = dict(
        _requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]
    )
    assert all(pins.values()), f"every dependency is pinned with ==: {pins}"
    environment = (ROOT / "environment.yml").read_text()
    conda_pins = dict(
        _requirement(line.split("- ", 1)[1])
        for line in environment.splitlines()
        if re.match(r"^\s+- [A-Za-z0-9_.-]+==", line)
    )
    assert conda_pins == pins
    python = re.search(r"^\s+- python(\S+)$", environment, re.M).group(1)
    assert python == project["requires-python"] == ">=3.11,<3.14"


def test_the_supported_pythons_agree_everywhere():
    # requires-python, the classifiers, the Makefile's choice, ruff's target and the README.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lowest, past = re.fullmatch(
        r">=3\.(\d+),<3\.(\d+)", project["project"]["requires-python"]
    ).groups()
    versions = [f"3.{minor}" for minor in range(int(lowest), int(past))]
    assert versions == ["3.11", "3.12", "3.13"]
    classifiers = project["project"]["classifiers"]
    assert [c.rsplit(" ", 1)[1] for c in classifiers if "Python :: 3." in c] == versions
    makefile = (ROOT / "Makefile").read_text()
    newest_first = " ".join(f"python{version}" for version in reversed(versions))
    assert f"find_python,{newest_first})" in makefile
    assert f"in {'|'.join(versions)}) ;;" in makefile
    assert project["tool"]["ruff"]["target-version"] == "py" + versions[0].replace(".", "")
    readme = (ROOT / "README.md").read_text()
    assert f"Python {', '.join(versions[:-1])} or {versions[-1]}" in readme


def _imports(path, top_level_only):
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_importing_the_package_sets_no_global_matplotlib_state():
    code = (
        # rcParams.copy(), not dict(rcParams): reading "backend" would import pyplot.
        "import matplotlib; before = matplotlib.rcParams.copy(); "
        "import fcn_tutorial.viz, fcn_tutorial.widgets, fcn_tutorial.figures; "
        "import sys; assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
        "assert matplotlib.rcParams.copy() == before, 'rcParams changed'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_readme_quickstart_has_exactly_the_two_commands_and_ci_calls_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", quickstart, re.S)
    lines = [line for block in commands for line in block.strip().splitlines()]
    assert lines == ["make lab", "make test"], lines
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert "export KERAS_BACKEND ?= tensorflow" in makefile
    assert re.search(
        r"^test: .*\n(\t.*\n)*\t.*pytest -n \$\(TEST_WORKERS\) tests notebooks", makefile, re.M
    )


def test_cli_lists_its_commands():
    result = subprocess.run(
        [sys.executable, "-m", "fcn_tutorial.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    for command in ("lab", "notebooks", "figures", "info"):
        assert command in result.stdout


def test_notebook_speed_rejects_unknown_values(monkeypatch):
    import fcn_tutorial

    monkeypatch.setenv("FCN_TUTORIAL_SPEED", "fast")
    with pytest.raises(ValueError, match="'quick' or 'full'"):
        fcn_tutorial.notebook_speed()
    monkeypatch.setenv("FCN_TUTORIAL_SPEED", "quick")
    assert fcn_tutorial.notebook_speed() == "quick"


def test_notebook_runner_drops_only_tensorflow_startup_logs():
    from fcn_tutorial.notebooks import drop_startup_logs

    cell = {
        "outputs": [
            {
                "output_type": "stream",
                "name": "stderr",
                "text": "WARNING: All log messages before absl::InitializeLog() is called are"
                " written to STDERR\nI0000 00:00:1795693166.520318    8361 port.cc:153] oneDNN\n",
            },
            {
                "output_type": "stream",
                "name": "stderr",
                "text": "I0000 00:00:17.5    8361 port.cc:153] x\nUserWarning: real warning\n",
            },
            {"output_type": "stream", "name": "stdout", "text": "kept\n"},
        ]
    }
    drop_startup_logs(cell)
    assert [output["text"] for output in cell["outputs"]] == [
        "UserWarning: real warning\n",
        "kept\n",
    ]


def test_library_never_imports_tensorflow_directly():
    # Architecture rule: Keras 3 only, so the same code runs on JAX and PyTorch too.
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "fcn_tutorial").rglob("*.py"))
        if any(
            name == "tensorflow" or name.startswith("tensorflow.")
            for name in _imports(path, top_level_only=False)
        )
    ]
    assert not offenders, f"these modules import tensorflow: {offenders}"
