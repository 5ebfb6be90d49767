"""Installed anywhere: a wheel without the clone, Windows' missing modules, `lab`'s own folder.

The wheel test builds the package as pip would, installs it into a folder of its own
(``pip install --target``: the dependencies are this environment's), and uses it from an
empty working directory, as a learner who never cloned the repository would.
"""

import ast
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

from fcn_tutorial import __version__, cli, workspace
from fcn_tutorial.notebooks import REPOSITORY, SETUP_CELL

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fcn_tutorial"

# Modules Windows does not have: importing one at a module's top would break every command.
UNIX_ONLY = {"resource", "fcntl", "termios", "tty", "pty", "pwd", "grp", "posix", "crypt"}
# Those a Windows interpreter lacks that the standard library here does not need itself
# (shutil imports posix on Linux): what the simulated-Windows test takes away.
ABSENT_ON_WINDOWS = sorted(UNIX_ONLY - {"posix"})
UNIX_ONLY_CALLS = {"geteuid", "getuid", "getpgid", "killpg", "fork", "setsid", "getrusage"}


def _imports_run_at_import_time(tree):
    """Imports outside any function body: those run when the module is imported."""
    found, stack = [], list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, node.lineno))
        stack.extend(ast.iter_child_nodes(node))
    return found


def test_no_unix_only_module_is_imported_when_a_module_loads():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for name, line in _imports_run_at_import_time(tree):
            if name.split(".")[0] in UNIX_ONLY:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
        lines = source.splitlines()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in UNIX_ONLY_CALLS:
                if isinstance(node.value, ast.Name) and node.value.id == "os":
                    if f'hasattr(os, "{node.attr}")' not in lines[node.lineno - 1]:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} os.{node.attr}")
    assert not offenders, "Unix only, breaks Windows: " + "; ".join(offenders)


def test_the_cli_and_the_demo_work_without_unix_only_modules(tmp_path):
    # As on Windows: `import resource` (and the others) raise ImportError.
    code = f"""
import sys
for name in {ABSENT_ON_WINDOWS!r}:
    sys.modules[name] = None
from fcn_tutorial import cli
try:
    cli.main(["--help"])
except SystemExit as stop:
    assert stop.code == 0, stop.code
assert cli.main(["lab", "--copy-only", "--dir", sys.argv[1]]) == 0
import fcn_tutorial.demo, fcn_tutorial.experiments, fcn_tutorial.figures, fcn_tutorial.widgets
from fcn_tutorial import speed
assert speed.peak_memory_mib() is None
print("imported without", {ABSENT_ON_WINDOWS!r})
"""
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "copy")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "usage: fcn-tutorial" in result.stdout and "imported without" in result.stdout
    assert (tmp_path / "copy" / "notebooks" / "01_segmentation_intro.ipynb").is_file()


def _fake_source(folder: Path, notebook: str, results: str) -> Path:
    for name, text in (
        ("notebooks/01_a.ipynb", notebook),
        ("figures/01_a.png", "png"),
        ("results/a.json", results),
    ):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_copy_tutorial_copies_what_is_missing_updates_what_is_untouched_keeps_edits(tmp_path):
    mine = tmp_path / "mine"
    old = _fake_source(tmp_path / "v1", "lesson v1", "{}")
    report = workspace.copy_tutorial(mine, source=old)
    assert report["copied"] == ["notebooks/01_a.ipynb", "figures/01_a.png", "results/a.json"]
    assert workspace.find_copy(mine / "notebooks") == mine.resolve()
    # The learner edits the notebook; copying again changes nothing and says nothing.
    (mine / "notebooks/01_a.ipynb").write_text("my notes")
    again = workspace.copy_tutorial(mine, source=old)
    assert not any(again.values())
    # A new version: the untouched results file follows it, the edited notebook stays.
    new = _fake_source(tmp_path / "v2", "lesson v2", '{"new": 1}')
    report = workspace.copy_tutorial(mine, source=new)
    assert report["updated"] == ["results/a.json"] and report["kept"] == ["notebooks/01_a.ipynb"]
    assert (mine / "notebooks/01_a.ipynb").read_text() == "my notes"
    assert (mine / "results/a.json").read_text() == '{"new": 1}'
    # --refresh: the shipped notebook comes back, the learner's goes to backup/.
    report = workspace.copy_tutorial(mine, refresh=True, source=new)
    assert report["replaced"] == ["notebooks/01_a.ipynb"]
    assert (mine / "notebooks/01_a.ipynb").read_text() == "lesson v2"
    backup = Path(report["backup"][0])
    assert (backup / "notebooks/01_a.ipynb").read_text() == "my notes"
    assert backup.parent == mine.resolve() / "backup"


def _fake_exec(monkeypatch):
    started = []
    monkeypatch.setattr(os, "execve", lambda path, command, env: started.append((command, env)))
    return started


def test_lab_in_a_clone_opens_the_repository_notebooks(monkeypatch, capsys):
    started = _fake_exec(monkeypatch)
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv(workspace.ENV, raising=False)
    assert cli.main(["lab", "--no-browser"]) == 0
    command, env = started[0]
    assert f"--ServerApp.root_dir={ROOT / 'notebooks'}" in command and "--no-browser" in command
    assert env.get(workspace.ENV) is None
    assert not (ROOT / workspace.DEFAULT_FOLDER).exists()
    assert cli.main(["lab", "--copy-only"]) == 0
    assert "the notebooks are the repository's" in capsys.readouterr().out
    code = cli.main(["lab", "--refresh"])
    assert code == 2 and "git checkout notebooks/" in capsys.readouterr().err


def test_quick_runs_go_to_the_tutorial_folder_unless_the_environment_moves_them(
    monkeypatch, tmp_path
):
    monkeypatch.delenv(workspace.QUICK_RUNS_ENV, raising=False)
    monkeypatch.setenv(workspace.ENV, str(tmp_path / "tutorial"))
    assert workspace.quick_runs_folder() == tmp_path / "tutorial" / "runs" / "notebooks-quick"
    monkeypatch.setenv(workspace.QUICK_RUNS_ENV, str(tmp_path / "elsewhere"))
    assert workspace.quick_runs_folder() == tmp_path / "elsewhere"


def test_lab_copies_the_tutorial_into_its_folder_once_and_never_over_your_edits(
    tmp_path, monkeypatch, capsys
):
    started = _fake_exec(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(workspace.ENV, raising=False)
    mine = tmp_path / "mine"
    assert cli.main(["lab", "--dir", str(mine), "--port", "8890"]) == 0
    shipped = workspace.shipped_files(ROOT)
    counts = [sum(name.startswith(kind) for name in shipped) for kind in workspace.SHIPPED]
    out = capsys.readouterr().out
    assert f"First use: copied {counts[0]} notebooks, {counts[1]} figures and {counts[2]}" in out
    assert workspace.shipped_files(mine) == shipped
    command, env = started[0]
    assert f"--ServerApp.root_dir={mine}" in command and env[workspace.ENV] == str(mine)
    # From inside the copy (a notebook's kernel runs in notebooks/), it is the tutorial folder.
    monkeypatch.chdir(mine / "notebooks")
    assert workspace.tutorial_folder() == mine
    monkeypatch.setenv(workspace.ENV, str(tmp_path / "elsewhere"))
    assert workspace.tutorial_folder() == tmp_path / "elsewhere"
    monkeypatch.delenv(workspace.ENV)
    # A learner's edit survives `lab`; --refresh puts the original back and keeps theirs.
    notebook = mine / "notebooks" / "02_convolution.ipynb"
    notebook.write_text("my edits")
    assert cli.main(["lab", "--copy-only"]) == 0  # the folder is found from the cwd
    assert notebook.read_text() == "my edits" and "First use" not in capsys.readouterr().out
    assert cli.main(["lab", "--copy-only", "--refresh"]) == 0
    out = capsys.readouterr().out
    assert "Put back the originals of notebooks/02_convolution.ipynb" in out
    assert notebook.read_bytes() == (ROOT / "notebooks" / "02_convolution.ipynb").read_bytes()
    assert [p.read_text() for p in (mine / "backup").rglob("*.ipynb")] == ["my edits"]
    assert len(started) == 1


def _has_new_setuptools() -> bool:
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= 77
    except Exception:
        return False


def _build_wheel(tmp_path: Path) -> Path:
    """The wheel, built from a copy of the sources the way a frontend does (sdist first)."""
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in ("fcn_tutorial", "notebooks", "figures", "results"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("CITATION.cff", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    if not _has_new_setuptools():  # pyproject's build requirement: pip fetches it
        command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", dist]
        subprocess.run(command, check=True, capture_output=True)
        return next(dist.glob("*.whl"))
    backend = "import sys; from setuptools import build_meta as b; print(b.build_{}(sys.argv[1]))"
    run = {"capture_output": True, "text": True, "check": True}
    sdist = subprocess.run([sys.executable, "-c", backend.format("sdist"), dist], cwd=source, **run)
    with tarfile.open(dist / sdist.stdout.split()[-1]) as archive:
        archive.extractall(tmp_path / "sdist", filter="data")
    unpacked = next((tmp_path / "sdist").iterdir())
    wheel = subprocess.run(
        [sys.executable, "-c", backend.format("wheel"), dist], cwd=unpacked, **run
    )
    warnings = sdist.stderr + wheel.stderr
    assert "SetuptoolsDeprecationWarning" not in warnings, warnings[-3000:]
    return dist / wheel.stdout.split()[-1]


def _setup_cell_and_check(notebook: Path) -> dict:
    """The notebook's cells up to its imports (the Colab setup cell included), then one
    cell that reports where the package and the tutorial's files were found."""
    import nbformat

    original = nbformat.read(notebook, as_version=4)
    cells = []
    for cell in original.cells:
        cells.append(cell)
        if cell.source != SETUP_CELL and "from fcn_tutorial import" in cell.source:
            break
    check = (
        "import json, fcn_tutorial\n"
        "from fcn_tutorial import experiments, figures, notebooks, workspace\n"
        "print(json.dumps({'package': fcn_tutorial.__file__,\n"
        "    'folder': str(workspace.tutorial_folder()),\n"
        "    'results': str(demo.RESULTS_FILE), 'quoted': FULL['metrics']['mean_iu'],\n"
        "    'transfer': experiments.load_results('transfer')['experiment'],\n"
        "    'figures': str(figures.FIGURES_DIR), 'notebooks': str(notebooks.NOTEBOOKS)}))\n"
    )
    original.cells = [*cells, nbformat.v4.new_code_cell(check)]
    return original


# Run before the setup cell: fcn_tutorial looks missing, and %pip only says what it was asked.
AS_IF_MISSING = """\
import importlib.util
_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *rest: (
    None if name == "fcn_tutorial" else _find_spec(name, *rest)
)
get_ipython().register_magic_function(lambda line: print("%pip", line), "line", "pip")
"""
FOUND_AGAIN = "importlib.util.find_spec = _find_spec"


def test_a_wheel_works_without_the_clone_and_writes_only_outside_site_packages(
    tmp_path, monkeypatch
):
    import nbclient
    import nbformat

    wheel = _build_wheel(tmp_path)
    print(f"wheel {wheel.name}: {wheel.stat().st_size / 1e6:.1f} MB")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    material = sorted(n.split("material/", 1)[1] for n in names if "/material/" in n)
    assert material == sorted(workspace.shipped_files(ROOT))
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert wheel.stat().st_size < 20e6, "the wheel holds more than the tutorial"

    target = tmp_path / "site-packages"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--target", target, wheel]
    subprocess.run(install, check=True, capture_output=True)
    installed = sorted(p for p in target.rglob("*") if "__pycache__" not in p.parts)
    work = tmp_path / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if key != workspace.ENV}
    env["PYTHONPATH"] = str(target)
    script = next(
        p
        for p in (target / "bin" / "fcn-tutorial", target / "Scripts" / "fcn-tutorial.exe")
        if p.exists()
    )

    def fcn_tutorial(*argv, module=False):
        command = [sys.executable, "-m", "fcn_tutorial"] if module else [script]
        return subprocess.run([*command, *argv], capture_output=True, text=True, cwd=work, env=env)

    assert fcn_tutorial("--version", module=True).stdout.strip() == f"fcn-tutorial {__version__}"
    for command in ("notebooks", "lab"):
        result = fcn_tutorial(command, "--help")
        assert result.returncode == 0 and f"usage: fcn-tutorial {command}" in result.stdout
    empty = fcn_tutorial("notebooks")
    assert empty.returncode == 2 and "fcn-tutorial lab --copy-only" in empty.stderr
    copied = fcn_tutorial("lab", "--copy-only", module=True)
    folder = work / workspace.DEFAULT_FOLDER
    assert copied.returncode == 0 and f"into {folder}" in copied.stdout, copied.stderr
    assert workspace.shipped_files(folder) == workspace.shipped_files(ROOT)

    # The first cells of notebook 07, run from the copy as JupyterLab would run them.
    notebook = _setup_cell_and_check(folder / "notebooks" / "07_self_driving_demo.ipynb")
    monkeypatch.setenv("PYTHONPATH", str(target))
    monkeypatch.delenv(workspace.ENV, raising=False)
    resources = {"metadata": {"path": str(folder / "notebooks")}}
    nbclient.NotebookClient(notebook, timeout=300, resources=resources).execute()
    found = json.loads(notebook.cells[-1].outputs[-1]["text"])
    assert Path(found["package"]).is_relative_to(target)
    assert found["folder"] == str(folder) and found["notebooks"] == str(folder / "notebooks")
    assert found["results"] == str(folder / "results" / "demo.json")
    assert found["figures"] == str(folder / "figures") and found["transfer"] == "transfer"
    assert (
        found["quoted"]
        == json.loads((ROOT / "results/demo.json").read_text())["metrics"]["mean_iu"]
    )
    # Colab: the notebook alone in an empty folder, and the package missing until the setup
    # cell's %pip installs it (a stand-in here, which only prints: the wheel is on the path).
    colab = work / "colab"
    colab.mkdir()
    notebook = _setup_cell_and_check(folder / "notebooks" / "07_self_driving_demo.ipynb")
    setup = next(i for i, cell in enumerate(notebook.cells) if cell.source == SETUP_CELL)
    notebook.cells.insert(setup, nbformat.v4.new_code_cell(AS_IF_MISSING))
    notebook.cells.insert(setup + 2, nbformat.v4.new_code_cell(FOUND_AGAIN))
    resources = {"metadata": {"path": str(colab)}}
    nbclient.NotebookClient(notebook, timeout=300, resources=resources).execute()
    said = "".join(output.get("text", "") for output in notebook.cells[setup + 1].outputs)
    assert f'%pip install --quiet "fcn-tutorial @ git+{REPOSITORY}"' in said, said
    assert "First use: copied" in said, said
    found = json.loads(notebook.cells[-1].outputs[-1]["text"])
    assert found["folder"] == str(colab / workspace.DEFAULT_FOLDER)
    assert Path(found["package"]).is_relative_to(target) and found["transfer"] == "transfer"
    # JupyterLab itself, started by the installed command on the copied folder, serves.
    url, served = _lab_url_and_status([script, "lab", "--no-browser"], work, env)
    assert served == 200, url
    # Nothing was written into the installed package.
    after = sorted(p for p in target.rglob("*") if "__pycache__" not in p.parts)
    assert after == installed


def _lab_url_and_status(command: list, cwd: Path, env: dict) -> tuple[str, int]:
    # Start `fcn-tutorial lab` on a free port, read the URL it prints, ask it for the page,
    # stop it (its whole process group: the command execs into JupyterLab).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url, lines = None, []
    try:
        deadline = time.time() + 180
        while url is None and time.time() < deadline and server.poll() is None:
            line = server.stdout.readline()
            lines.append(line)
            found = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=\w+", line)
            url = found.group(0) if found else None
        assert url, "".join(lines)[-3000:]
        # Jupyter prints the URL a moment before its socket listens.
        for _ in range(30):
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    return url, response.status
            except urllib.error.URLError as error:
                if not isinstance(error.reason, ConnectionRefusedError):
                    raise
                time.sleep(1)
        raise AssertionError(f"nothing answered at {url}")
    finally:
        if os.name == "nt":
            server.terminate()
        else:
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_setup_py_ships_the_folders_and_patterns_the_workspace_copies():
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    assigned = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(assigned["SHIPPED"]) == workspace.SHIPPED
