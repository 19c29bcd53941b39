"""The language server keeps the graph lints' findings between edits and looks again only at
the layers an edit changed and at those reading them (:class:`slimdsl.lint.LintCache`): after
every edit of a random series that makes and unmakes dead layers, redundant activations and
fully_connected on rank 4, the warnings are what a full check gives."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from slimdsl import check_source
from slimdsl.diagnostics import Diagnostics
from slimdsl.frontend.program import load_program
from slimdsl.lint import LintCache, lint
from slimdsl.lsp.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks.generate import generate  # noqa: E402

#: Lines an edit inserts before a convolution, and what each makes a lint say.
INSERTS = [
    "    relu()",  # after a convolution with activation_fn=relu: redundant
    "    conv2d(first, depth, 1)",  # the layers since `first` are dead
    "    fully_connected(depth)",  # on a rank-4 tensor
    "    y = conv2d(depth, 1)",  # unused binding (and no dead-layer report for it)
]


def versions(text: str, rng: random.Random, count: int) -> list[str]:
    lines = text.split("\n")
    out = []
    inserted: list[int] = []
    for _ in range(count):
        convs = [i for i, line in enumerate(lines) if line.startswith("    conv2d(depth, [3")]
        kind = rng.random()
        if kind < 0.3 and inserted:
            del lines[inserted.pop(rng.randrange(len(inserted)))]
        elif kind < 0.6:
            i = rng.choice(convs)
            lines.insert(i, rng.choice(INSERTS))
            inserted = [j + (j >= i) for j in inserted] + [i]
        elif kind < 0.8:
            i = rng.choice(convs)
            lines[i] = lines[i].replace(")", ", activation_fn=none)", 1) \
                if "activation_fn" not in lines[i] else lines[i].split(",")[0] + ", [3, 3])"
        else:
            i = rng.choice(convs)
            lines[i] = lines[i].replace("[3, 3]", f"[{rng.randint(1, 3)}, 3]")
        out.append("\n".join(lines))
    return out


def test_graph_lints_kept_between_edits_give_what_a_full_check_gives():
    path = "/virtual/flat.slim"
    text = generate(90, "flat").replace(" as stem\n", " as stem\n    first = net\n", 1)
    ws = Workspace()
    doc = ws.open("file://" + path, path, text, 1)
    ws.analysis(doc)
    seen: set[str] = set()
    for step, version in enumerate(versions(text, random.Random(3), 60)):
        ws.update(path, version, step + 2)
        analysis = ws.analysis(doc)
        full = check_source(version, path)
        assert sorted(map(repr, analysis.diagnostics)) == sorted(map(repr, full.diagnostics)), \
            step
        seen.update(d.code for d in full.diagnostics)
    assert {"dead-layer", "redundant-layer", "unflattened-fully-connected",
            "unused-binding"} <= seen, seen
    assert ws.checker.stats["cutoff"] > 10, ws.checker.stats


def test_the_graph_lints_of_a_renamed_model_are_forgotten():
    """Each model's graph lints hold its nodes: typing a model's new name must not keep one
    graph per keystroke."""
    path = "/virtual/m.slim"
    text = "model first() {\n  input images: [?, 8, 8, 3]\n  conv2d(4, 3)\n}\n"
    cache = LintCache()
    for name in ("first", "s", "se", "second"):
        version = text.replace("first", name)
        lint(load_program(version, path), check_source(version, path).graphs, [name], None,
             Diagnostics(), cache=cache)
    assert list(cache.graphs) == ["second"]


def test_ignore_comments_are_read_once_per_file_text():
    """Many warnings in a file with a ``# slimc:`` comment split its text once, not once per
    warning; the comment still silences its line, and only the codes it names."""
    from slimdsl.lint import ignore_comments
    layers = "\n".join(f"  y{i} = conv2d(8, 3)" for i in range(40))
    text = ("model m() {\n  input x: [1, 8, 8, 3]\n" + layers +
            "  # slimc: ignore[unused-binding]\n  z = relu(x)  # slimc: ignore[dead-layer]\n"
            "  output o = x\n}\n")
    ignore_comments.cache_clear()
    codes = [(d.code, d.span.line) for d in check_source(text, "m.slim").diagnostics]
    assert ignore_comments.cache_info().misses == 1
    assert ("unused-binding", 42) not in codes  # y39: silenced on its line
    assert ("unused-binding", 43) in codes  # z: the comment names another code
    assert sum(c == "unused-binding" for c, _ in codes) == 40
