"""Every public function carries a doctest; run them all (also collected by --doctest-modules)."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

MODULES = ["expr", "printing", "analysis", "constraints", "intset", "onevar", "solver", "tf",
           "approx", "receptive"]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    mod = importlib.import_module(f"slimdsl.symbolic.{name}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_public_functions_have_doctests(name):
    mod = importlib.import_module(f"slimdsl.symbolic.{name}")
    finder = doctest.DocTestFinder()
    tested = {t.name.split(".")[-1] for t in finder.find(mod) if t.examples}
    for public in getattr(mod, "__all__", []):
        obj = getattr(mod, public)
        if inspect.isfunction(obj):
            assert public in tested, f"{name}.{public} has no doctest"


def test_readme_examples():
    import pathlib
    readme = pathlib.Path(__file__).resolve().parents[2] / "docs" / "symbolic.md"
    result = doctest.testfile(str(readme), module_relative=False)
    assert result.failed == 0
