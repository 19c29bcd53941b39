"""Golden tests for diagnostics: every bad input in tests/golden/errors/ has a ``.out`` file with
the exact text ``slimc check`` prints (location, message, code, source line, caret, notes) and
the exit code. Regenerate with ``pytest tests/diagnostics/test_diagnostics_golden.py
--update-golden`` and review the diff like code.
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
CASES = sorted((ROOT / "tests" / "golden" / "errors").glob("*.slim"))


def run_check(path: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--color", "never", path])
    return code, out.getvalue(), err.getvalue()


def test_enough_distinct_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden_diagnostics(case: Path, update_golden: bool, monkeypatch):
    monkeypatch.chdir(ROOT)
    rel = os.path.relpath(case, ROOT)
    code, out, err = run_check(rel)
    text = f"exit: {code}\n{out}"
    assert "Traceback" not in out + err
    assert code == 1, "a bad input is a finding (exit 1)"
    first = out.splitlines()[0]
    assert re.match(rf"^{re.escape(rel)}:\d+:\d+: error: .+ \[[a-z-]+\]$", first), first
    for used in re.findall(r" \[([a-z-]+)\]$", out, re.M):
        assert used in CODES, f"undocumented code {used}"
    expected_file = case.with_suffix(".out")
    if update_golden:
        expected_file.write_text(text)
    assert expected_file.exists(), \
        f"{expected_file.name} is missing: pytest --update-golden writes it (review it first)"
    assert text == expected_file.read_text(), \
        f"{expected_file.name} differs (pytest --update-golden records a deliberate change)"


def test_every_golden_output_has_its_input():
    """An .out without its .slim is a case someone deleted half of."""
    outs = sorted((ROOT / "tests" / "golden" / "errors").glob("*.out"))
    orphans = [o.name for o in outs if not o.with_suffix(".slim").exists()]
    assert not orphans, f"golden outputs without an input: {orphans}"
