"""The examples in the library's docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import fcn_tutorial

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(fcn_tutorial.__path__, "fcn_tutorial.")
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
