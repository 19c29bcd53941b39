"""The language server accounts a model again looking only at the layers an edit changed
(:mod:`slimdsl.lsp.accounts`): after every edit of a series (sizes changed, lines added and
removed, two layers given the same scope and told apart again, names equal but for case, an
unknown layer), the variables, parameter counts, FLOPs, run-time parameters and diagnostics
are what a full check gives, and the edits that can be accounted from the changed layers
are."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from slimdsl import check_source
from slimdsl.lsp.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks.generate import generate  # noqa: E402


def accounted(graph) -> list:
    runtime = graph.runtime
    return [[(v.name, v.shape, v.trainable) for v in graph.variables],
            [(nd.scope, nd.params, nd.trainable_params, nd.flops) for nd in graph.nodes],
            graph.total_params, graph.trainable_params, graph.flops,
            None if runtime is None else (sorted(runtime.names), dict(runtime.tensors))]


def edits(text: str, rng: random.Random, count: int) -> list[str]:
    """``count`` successive versions of ``text``: random edits of its convolutions; an
    edit that makes an error (a scope used twice, names equal but for case, an unknown layer)
    is undone by the next version."""
    lines = text.split("\n")
    layers = [i for i, line in enumerate(lines) if line.startswith("    conv2d(")]
    out = []
    undo: tuple[int, str] | None = None
    for _ in range(count):
        if undo is not None:
            lines[undo[0]] = undo[1]
            undo = None
            out.append("\n".join(lines))
            continue
        i = rng.choice(layers)
        line = lines[i]
        kind = rng.random()
        if kind < 0.3 and "[3, 3]" in line:
            lines[i] = line.replace("[3, 3]", f"[{rng.randint(1, 5)}, 3]")
        elif kind < 0.45 and " as " not in line:
            undo = (i, line)
            lines[i] = line.split(" as ")[0] + rng.choice([" as stem", " as Stem"])
        elif kind < 0.6:
            lines[i] = line.split(" as ")[0]
        elif kind < 0.7:
            lines.insert(i, "    conv2d(depth, 1)")
            layers = [j + (j >= i) for j in layers]
        elif kind < 0.75:
            undo = (i, line)
            lines[i] = line.replace("conv2d(", "conv2(", 1)
        else:
            lines[i] = line.replace("depth", str(rng.choice([8, 16, 32])), 1)
        out.append("\n".join(lines))
    return out


def test_accounting_the_changed_layers_gives_what_a_full_check_gives():
    path = "/virtual/flat.slim"
    text = generate(80, "flat").replace("(depth: int = 32,", "(depth: int = 32, width: int = 8,")
    text = text.replace("conv2d(depth, [3, 3])\n", "conv2d(width, [3, 3])\n", 3)
    ws = Workspace()
    doc = ws.open("file://" + path, path, text, 1)
    ws.analysis(doc)
    clashes = 0  # versions where two layers create the same variable (or but for case)
    for step, version in enumerate(edits(text, random.Random(5), 60)):
        ws.update(path, version, step + 2)
        analysis = ws.analysis(doc)
        full = check_source(version, path)
        clashes += any(d.code == "scope-name" for d in full.diagnostics)
        assert sorted(map(repr, analysis.diagnostics)) == sorted(map(repr, full.diagnostics)), \
            step
        assert [accounted(g) for g in analysis.graphs] == [accounted(g) for g in full.graphs], \
            step
    stats = ws.checker.accounting_stats
    assert clashes >= 2 and stats["full"] >= clashes + 1 and stats["fast"] > 30, (clashes, stats)
