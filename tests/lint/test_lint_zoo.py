"""The zoo (models/) is warning-free with every lint on, and the lints' options behave."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimdsl.api import LintOptions, check_file, check_source

ROOT = Path(__file__).resolve().parents[2]
ZOO = sorted((ROOT / "models").glob("*.slim"))

UNUSED = """
model m(unused: int = 3) {
  input images: [?, 8, 8, 3]
  x = conv2d(4, 3) as a
  conv2d(4, 3) as b
}
"""


@pytest.mark.parametrize("path", ZOO, ids=[p.stem for p in ZOO])
def test_the_zoo_is_warning_free(path: Path):
    found = [f"{d.span.line}:{d.span.column}: {d.message} [{d.code}]" for d in check_file(
        str(path), lint=LintOptions(enable=frozenset({"all"}))).diagnostics]
    assert found == []  # (strings: a failing CheckResult's repr would be huge)


def codes(**options) -> list[str]:
    diags = check_source(UNUSED, "m.slim", lint=LintOptions(**{
        k: frozenset(v) for k, v in options.items()})).diagnostics
    assert not any(d.is_error for d in diags)
    return sorted(d.code for d in diags)


def test_default_disable_and_enable():
    assert codes() == ["unused-binding", "unused-parameter"]
    assert codes(disable={"unused-binding"}) == ["unused-parameter"]
    assert codes(disable={"all"}) == []
    assert codes(enable={"all"}, disable={"unused-parameter"}) == ["unused-binding"]


def test_warnings_are_ordinary_diagnostics():
    d = next(d for d in check_source(UNUSED, "m.slim").diagnostics if d.code == "unused-binding")
    assert (d.severity, d.span.line, d.span.column) == ("warning", 4, 3)
