"""Grammar-aware front-end fuzzing (``fuzz_grammar``): generated programs and structural
mutations of the zoo, most of which reach lowering. No input may crash slimc; the share of
inputs per stage (parse error / lowering error / accepted / crash) is printed, and at least
half of the inputs must get past the parser.

Quick: 200 inputs (about 3 s). ``-m slow``: 6,000 inputs, whose figures go to
docs/reliability.md. A removed ``range()`` zero-step guard crashes about one input in thirty.
"""

from __future__ import annotations

import json
import os

import fuzz_grammar
import pytest

QUICK = range(0, 200)
SLOW = range(1_000_000, 1_006_000)


def _check(stats: dict, label: str, figures) -> None:
    figures(label, f"{stats['inputs']} inputs: {fuzz_grammar.shares(stats)}; "
                   f"by kind {json.dumps(stats['by_kind'])}")
    if os.environ.get("SLIMDSL_FUZZ_REPORT"):
        with open(os.environ["SLIMDSL_FUZZ_REPORT"], "a") as f:
            f.write(json.dumps({label: {k: v for k, v in stats.items() if k != "crashes"}})
                    + "\n")
    assert stats["stages"]["crash"] == 0, "\n".join(stats["crashes"][:10])
    past = stats["inputs"] - stats["stages"]["parse"]
    assert past >= stats["inputs"] / 2, fuzz_grammar.shares(stats)
    assert stats["stages"]["accepted"] > 0 and stats["stages"]["lower"] > 0


def test_grammar_fuzzing_quick(figures):
    _check(fuzz_grammar.run(QUICK), "grammar fuzzing (quick)", figures)


@pytest.mark.slow
def test_grammar_fuzzing_6000_inputs(figures):
    stats = fuzz_grammar.run(SLOW)
    _check(stats, "grammar fuzzing", figures)
    assert stats["inputs"] == 6000


def test_generated_programs_parse():
    """Generation is syntactically valid by construction: none stops at the parser."""
    import random

    from slimdsl.frontend.parser import parse
    for seed in range(40):
        parse(fuzz_grammar.generate_program(random.Random(seed)), "g.slim")


def test_stages_are_told_apart():
    """The classification itself: a syntax error, a lowering error, a clean file."""
    head = "model m {\n  input x: [?, 8, 8, 3]\n"
    assert fuzz_grammar.stage(head + "  conv2d(4, 3\n}\n", "m.slim") == ("parse", "syntax")
    assert fuzz_grammar.stage(head + "  conv2d(4, 99, padding=\"VALID\")\n}\n",
                              "m.slim") == ("lower", "shape")
    assert fuzz_grammar.stage(head + "  conv2d(4, 3)\n}\n", "m.slim") == ("accepted", "")
