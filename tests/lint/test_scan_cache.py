"""The language server's lints reuse the scans of the statements an edit did not touch
(:class:`slimdsl.lint.ScanCache`): after every one of a series of random edits, re-parsed
incrementally as the server does, what the cached scans say equals a fresh scan of the new
tree, and the cache keeps no more than a bounded number of stale entries."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from slimdsl.frontend.incremental import parse_document
from slimdsl.frontend.parser import parse
from slimdsl.frontend.program import load_program
from slimdsl.lint import ScanCache
from slimdsl.lint.usage import owners

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks.generate import generate  # noqa: E402


def summary(program, cache=None) -> list:
    """Everything the lints read of the scans, objects by identity."""
    return [(o.what, o.name, sorted(o.scan.reads), [id(c) for c in o.scan.calls],
             [id(k) for k in o.scan.keywords], [id(s) for s in o.scan.stmts],
             [id(s) for s in o.scan.binders]) for o in owners(program, cache)]


def edit(text: str, rng: random.Random) -> str:
    """A random edit of a line that still parses: a digit, a binding added (read or not),
    a line added or removed."""
    lines = text.split("\n")
    body = [i for i, line in enumerate(lines) if line.startswith("  ") and "(" in line]
    for _ in range(50):
        i = rng.choice(body)
        line = lines[i]
        indent = line[:len(line) - len(line.lstrip())]
        kind = rng.random()
        digits = [k for k, ch in enumerate(line) if ch.isdigit()]
        if kind < 0.4 and digits:
            k = rng.choice(digits)
            new = [line[:k] + str(rng.randint(1, 9)) + line[k + 1:]]
        elif kind < 0.6:
            new = [f"{indent}x{i} = {line.strip()}"]
        elif kind < 0.7:
            new = [line, f"{indent}y{i} = conv2d(x{i}, 4, 1)"]
        elif kind < 0.85:
            new = [line, f"{indent}conv2d(4, 1)"]
        else:
            new = []
        out = "\n".join(lines[:i] + new + lines[i + 1:])
        try:
            parse(out, "m.slim")
        except Exception:  # noqa: BLE001 - the server only lints texts that parse
            continue
        return out
    return text


@pytest.mark.parametrize("name", ["flat", "inception_v3",
                                  pytest.param("nasnet", marks=pytest.mark.slow)])
def test_cached_scans_equal_fresh_ones_after_random_edits(name):
    text = generate(300, "flat") if name == "flat" else \
        (ROOT / "models" / f"{name}.slim").read_text()
    rng = random.Random(13)
    path = "/virtual/m.slim"
    doc = parse_document(text, path)
    cache = ScanCache()
    for step in range(40):
        program = load_program(doc.text, path, lambda p: "", root=doc.tree)
        fresh = summary(program)
        assert summary(program, cache) == fresh, step
        statements = sum(len(o[5]) for o in fresh)
        assert len(cache) <= 3 * statements + 512, (step, len(cache), statements)
        doc = doc.update(edit(doc.text, rng))
        assert doc.tree is not None
