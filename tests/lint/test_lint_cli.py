"""The warning options on the command line, in every output format."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from slimdsl.cli import main

CASE = "tests/golden/warnings/unused_binding.slim"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as e:  # argparse
            code = int(e.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _root(monkeypatch):
    from pathlib import Path
    monkeypatch.chdir(Path(__file__).resolve().parents[2])


def test_a_warning_is_not_a_finding_unless_asked():
    code, out, _ = run("check", "--color", "never", CASE)
    assert code == 0 and ": warning: " in out and "[unused-binding]" in out
    assert out.rstrip().endswith("Found 1 warning in 1 file (checked 1 file)")
    code, out, _ = run("check", "--color", "never", "--warnings-as-errors", CASE)
    assert code == 1 and ": error: " in out and "--warnings-as-errors" in out


def test_json_github_sarif():
    code, out, _ = run("check", "--format", "json", CASE)
    diag = json.loads(out)[0]["diagnostics"][0] if isinstance(json.loads(out), list) else None
    assert code == 0 and '"warning"' in out and "unused-binding" in out, diag
    code, out, _ = run("check", "--format", "github", CASE)
    assert code == 0 and out.startswith("::warning file=")
    code, out, _ = run("check", "--format", "sarif", CASE)
    sarif = json.loads(out)["runs"][0]
    assert code == 0 and sarif["results"][0]["level"] == "warning"
    assert sarif["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] == "warning"
    code, out, _ = run("check", "--format", "sarif", "--warnings-as-errors", CASE)
    assert code == 1 and json.loads(out)["runs"][0]["results"][0]["level"] == "error"


def test_no_warn_and_unknown_codes():
    code, out, _ = run("check", "--no-warn", "unused-binding", CASE)
    assert code == 0 and "warning" not in out
    code, _, err = run("check", "--no-warn", "unused-bindings", CASE)
    assert code == 2 and "did you mean 'unused-binding'" in err


def test_other_commands_show_warnings_on_stderr():
    code, out, err = run("summary", CASE)
    assert code == 0 and "[unused-binding]" in err and "unused-binding" not in out
    code, out, err = run("summary", "--warnings-as-errors", CASE)
    assert code == 1 and "[unused-binding]" in err and out == ""
