"""The library's shape (STYLE.md): layers that import only downwards, no borrowed private
names, no import circles, modules and functions short enough to read."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fcn_tutorial"

# Lowest first. A module may import its own layer and the ones below, never one above.
LAYERS = {
    "fcn_tutorial": 0,  # the package itself: version and the notebooks' speed switch
    "fcn_tutorial.arithmetic": 0,
    "fcn_tutorial.workspace": 0,  # where the notebooks, figures, results and runs live
    "fcn_tutorial.files": 0,  # files written whole or not at all
    "fcn_tutorial.reference": 1,
    "fcn_tutorial.scores": 1,
    "fcn_tutorial.classes": 1,
    "fcn_tutorial.hardware": 1,
    "fcn_tutorial.samples": 1,
    "fcn_tutorial.viz": 2,
    "fcn_tutorial.datasets": 2,
    "fcn_tutorial.widgets": 3,
    "fcn_tutorial.models": 3,
    "fcn_tutorial.losses": 3,
    "fcn_tutorial.training": 4,
    "fcn_tutorial.speed": 4,
    "fcn_tutorial.experiments": 5,
    "fcn_tutorial.demo": 5,
    "fcn_tutorial.predict": 5,
    "fcn_tutorial.video": 5,  # video in and out (imageio-ffmpeg), labelled frame by frame
    "fcn_tutorial.drive": 5,  # the drive MP4 of CamVid's test drives
    "fcn_tutorial.notebooks": 5,
    "fcn_tutorial.figures": 6,
    "fcn_tutorial.cli": 7,
    "fcn_tutorial.__main__": 7,
}

# Third-party libraries some layers must do without (anywhere in the file, unless noted).
FORBIDDEN = {
    "fcn_tutorial.arithmetic": {"keras", "tensorflow", "numpy", "matplotlib"},
    "fcn_tutorial.reference": {"keras", "tensorflow", "matplotlib"},
    "fcn_tutorial.scores": {"keras", "tensorflow", "matplotlib"},
    "fcn_tutorial.classes": {"keras", "tensorflow", "matplotlib"},
    "fcn_tutorial.viz": {"keras", "tensorflow"},
}
# Keras only inside functions (ask a real layer for its shape; skip Keras' import time).
KERAS_IN_FUNCTIONS_ONLY = ("fcn_tutorial.widgets", "fcn_tutorial.hardware", "fcn_tutorial.cli")

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
LONG_FUNCTION_REASON = re.compile(r"\blong because\b", re.I)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    if module.endswith(".__main__"):
        return max(LAYERS.values()) + 1  # an entry point: runs things, is never imported
    prefixes = [name for name in LAYERS if module == name or module.startswith(name + ".")]
    if not prefixes:
        raise AssertionError(f"{module} has no layer: add it to LAYERS in {__file__}")
    return LAYERS[max(prefixes, key=len)]


def _resolve(name: str) -> str | None:
    # The deepest fcn_tutorial module an import names (``from a.b import c`` may name module
    # a.b.c or a name inside a.b).
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path, top_level_only: bool = False):
    """(imported module or module.name, line, inside a function) for every import."""
    tree = ast.parse(path.read_text())
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(child) for child in ast.walk(node) if child is not node)
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in inside
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module, node.lineno, id(node) in inside
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno, id(node) in inside


def _edges():
    for module, path in MODULES.items():
        for name, line, _ in _imports(path):
            target = _resolve(name) if name.startswith("fcn_tutorial") else None
            if target and target != module:
                yield module, target, line


def test_every_module_has_a_layer():
    for module in MODULES:
        _layer(module)


def test_imports_point_down_the_layers():
    upward = [
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)}), line {line}"
        for module, target, line in _edges()
        if _layer(target) > _layer(module)
    ]
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_third_party_imports_respect_the_layer(module):
    banned = set().union(*(v for k, v in FORBIDDEN.items() if module.startswith(k)))
    keras_late = module.startswith(KERAS_IN_FUNCTIONS_ONLY)
    bad = []
    for name, line, in_function in _imports(MODULES[module]):
        top = name.split(".")[0]
        if top in banned or (keras_late and top in ("keras", "tensorflow") and not in_function):
            bad.append(f"{name} (line {line})")
    assert not bad, f"{module} must not import {bad}"


def test_no_import_circles():
    graph = {}
    for module, target, _ in _edges():
        graph.setdefault(module, set()).add(target)
    # A package's __init__ gathers its own modules; those never count as a circle back.
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    circles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                circles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_no_private_names_borrowed_across_modules():
    borrowed = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fcn_"):
                for alias in node.names:
                    source = _resolve(f"{node.module}.{alias.name}")
                    private = alias.name.startswith("_") and not alias.name.startswith("__")
                    if private and source != module:
                        borrowed.append(f"{module} imports {node.module}.{alias.name}")
                    if f"{node.module}.{alias.name}" in MODULES:
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("fcn_tutorial"):
                        aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                borrowed.append(f"{module} uses {aliases[node.value.id]}.{node.attr}")
    assert not borrowed, "\n".join(borrowed)


def test_widgets_take_arrays_and_callables_not_models_or_data():
    # An explorer shows what a notebook hands it; the notebook builds the model and loads
    # the data, so a widget never depends on how either is made.
    reaching = [
        f"{module} imports {target}, line {line}"
        for module, target, line in _edges()
        if module.startswith("fcn_tutorial.widgets")
        and target.startswith(
            ("fcn_tutorial.models", "fcn_tutorial.datasets", "fcn_tutorial.training")
        )
    ]
    assert not reaching, "\n".join(reaching)


# The benchmark scripts are read like the library: the same limits.
READ = {
    **MODULES,
    **{f"benchmarks/{p.name}": p for p in sorted((ROOT / "benchmarks").glob("*.py"))},
}


@pytest.mark.parametrize("module", sorted(READ))
def test_modules_and_functions_fit_a_reading(module):
    path = READ[module]
    text = path.read_text()
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines: split it by job"
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        docstring = ast.get_docstring(node) or ""
        body = node.end_lineno - node.lineno + 1
        if docstring:
            first = node.body[0]
            body -= first.end_lineno - first.lineno + 1
        if body > MAX_FUNCTION_LINES and not LONG_FUNCTION_REASON.search(docstring):
            pytest.fail(
                f"{module}.{node.name} has {body} lines besides its docstring: name its "
                "steps as functions, or say in its docstring why it is long because ..."
            )
