"""Golden tests of the lints: every case ``tests/golden/warnings/NAME.slim`` has a ``.out`` file
with exactly what ``slimc check`` prints, and a correct variant ``NAME_ok.slim`` on which the
same check is silent. A first line ``# slimc-args: ...`` gives extra options. Regenerate with
``pytest tests/lint --update-golden`` and review the diff like code.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

from slimdsl.cli import main
from slimdsl.diagnostics import CODES

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "warnings"
CASES = sorted(p for p in GOLDEN.glob("*.slim") if not p.stem.endswith("_ok"))
#: what each case is about: the code it must report (a warning, or an error of code not run)
EXPECTED = {
    "dead_layer": "dead-layer", "degenerate_value": "degenerate-value",
    "unflattened_fully_connected": "unflattened-fully-connected",
    "redundant_layer": "redundant-layer",
    "uncalled_block": "unknown-layer", "untaken_branch": "unknown-argument",
    "unused_binding": "unused-binding", "unused_block": "unused-block",
    "unused_parameter": "unused-parameter", "ignore_comment": "unused-parameter",
}


def run_check(path: Path) -> tuple[int, str]:
    first = path.read_text().splitlines()[0]
    extra = first.split(":", 1)[1].split() if first.startswith("# slimc-args:") else []
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["check", "--color", "never", *extra, os.path.relpath(path, ROOT)])
    return code, out.getvalue()


def test_every_warning_code_has_a_case():
    warnings = {c.name for c in CODES.values() if c.severity == "warning"}
    assert warnings <= set(EXPECTED.values())
    assert {c.stem for c in CASES} == set(EXPECTED)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_fires(case: Path, update_golden: bool, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out = run_check(case)
    used = re.findall(r" \[([a-z0-9-]+)\]$", out, re.M)
    assert EXPECTED[case.stem] in used, out
    assert all(u in CODES for u in used)
    expected_file = case.with_suffix(".out")
    text = f"exit: {code}\n{out}"
    if update_golden:
        expected_file.write_text(text)
    assert expected_file.exists(), f"missing golden file {expected_file.name}: --update-golden"
    assert text == expected_file.read_text()


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_silent_on_the_correct_variant(case: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out = run_check(case.with_name(case.stem + "_ok.slim"))
    assert (code, out.strip()) == (0, "Success: no issues found in 1 file")
