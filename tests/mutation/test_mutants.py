"""Mutation testing of the core (``mutants.py``): every plausible bug listed there must make
its fast tests fail: no mutant survives (the equivalent ones are listed, with the reason, in
``mutants.py``). A survivor went unnoticed once behind a kill-rate threshold: the pool FLOPs
mutant, after the test that killed it was marked slow."""

from __future__ import annotations

import io
import json
import os

import mutants
import pytest


@pytest.mark.slow
def test_mutants_are_killed(figures):
    log = io.StringIO()
    summary = mutants.run(mutants.MUTANTS, out=log)
    brief = {k: v for k, v in summary.items() if k not in ("results", "equivalents")}
    figures("mutation testing", json.dumps(brief))
    if os.environ.get("SLIMDSL_FUZZ_REPORT"):
        with open(os.environ["SLIMDSL_FUZZ_REPORT"], "a") as f:
            f.write(json.dumps({"mutation": summary}) + "\n")
    assert summary["error"] == 0, log.getvalue()
    assert summary["survived"] == 0, f"survivors: {summary['survivors']}\n{log.getvalue()}"
    claims = {m.id for m in mutants.MUTANTS
              if [list(t) for t in m.tests] in mutants.CLAIMS}
    assert len(claims) == 5
    missed = [r["id"] for r in summary["results"] if r["id"] in claims and r["tier"] != 1]
    assert not missed, f"not killed by the test that claims to guard them: {missed}"


def test_every_mutant_applies_once():
    """A mutant whose text no longer occurs (the code moved) would test nothing."""
    from pathlib import Path
    stale = [m.id for m in mutants.MUTANTS
             if (Path(mutants.ROOT) / m.file).read_text().count(m.old) != 1]
    assert not stale, f"update these mutants: {stale}"
    assert len({m.id for m in mutants.MUTANTS}) == len(mutants.MUTANTS)
