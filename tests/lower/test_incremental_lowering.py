"""Incremental lowering (what the language server does after an edit) gives exactly what a full
check gives: the same graph (nodes, shapes, arguments and their sources, spans, variables), the
same diagnostics, a consistent graph (producers and consumers agree), after every one of a
series of random edits; and it does resume, and cut off, where it should."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from slimdsl import check_source
from slimdsl.frontend.parser import parse
from slimdsl.lower.incremental import Change
from slimdsl.lsp.workspace import Workspace
from slimdsl.values import show

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks.generate import generate  # noqa: E402

NAMED = """\
block unit(depth: int) {
  conv2d(depth, 3) as conv
}

model m(depth: int = 8) {
  input images: [?, 32, 32, 3]
  arg_scope([conv2d], padding="SAME", activation_fn=relu) {
    conv2d(depth, 3) as conv1
    shortcut = net
    conv2d(depth, 3) as conv2
    scope "stage" {
      conv2d(16, 3)
      conv2d(16, 3, stride=2)
      unit(16) as u
      max_pool2d(2)
    }
    conv2d(depth, 1)
    end_point "mid"
    conv2d(depth, 3)
    y = conv2d(shortcut, depth, 1) as side
    conv2d(32, 3) as conv3
    max_pool2d(2) as pool
  }
  flatten()
  fully_connected(10, activation_fn=none) as logits
  output logits = net
}
"""


def dump(graph) -> list:
    """Everything the IR says, tensors by id (objects differ between two lowerings)."""
    if graph is None:
        return ["no graph"]
    def t(x):
        return None if x is None else (x.id, x.shape, x.name, x.dtype,
                                       x.producer.scope if x.producer else None)
    nodes = [(nd.id, nd.kind, nd.scope, [t(i) for i in nd.inputs], t(nd.output),
              {k: show(v) for k, v in nd.args.items()}, dict(nd.sources), nd.span, nd.trail,
              [(v.name, v.shape, v.trainable) for v in nd.variables], nd.params, nd.flops)
             for nd in graph.nodes]
    return [nodes, [(p.name, t(p.tensor), p.span) for p in graph.inputs],
            [(p.name, t(p.tensor), p.span) for p in graph.outputs],
            {k: t(v) for k, v in graph.end_points.items()},
            [(o.span, o.call_span, o.trail, t(o.tensor)) for o in graph.statement_outputs],
            graph.trainable_params, graph.total_params, graph.flops, dict(graph.param_uses),
            list(graph.dims), dict(graph.bound), symbolic(graph)]


def symbolic(graph) -> list:
    """The named sizes' constraints (each with its site) and what the solver made of them."""
    constraints = [(str(c), c.origin) for c in graph.constraints]
    sizes = graph.sizes
    solved = None if sizes is None else (
        sizes.dims, [repr(s) for s in sizes.solutions],
        [(str(c), c.origin) for c in sizes.restricting])
    return [constraints, solved]


def consistent(graph) -> None:
    if graph is None:
        return
    nodes = {id(nd) for nd in graph.nodes}
    for nd in graph.nodes:
        assert nd.output.producer is nd, nd
        for i in nd.inputs:
            assert i.producer is None or (id(i.producer) in nodes and i.producer.output is i)
    for o in graph.statement_outputs:
        p = o.tensor.producer
        assert p is None or (id(p) in nodes and p.output is o.tensor)


def mutate(text: str, rng: random.Random) -> str:
    """One random edit of a model body's line: a number, a scope name, a line added, removed,
    a typo; only texts that parse are used."""
    lines = text.split("\n")
    body = [i for i, line in enumerate(lines) if line.startswith("    ") or
            line.startswith("  ") and "(" in line]
    for _ in range(50):
        i = rng.choice(body)
        line = lines[i]
        kind = rng.random()
        digits = [k for k, ch in enumerate(line) if ch.isdigit()]
        if kind < 0.45 and digits:
            k = rng.choice(digits)
            new = line[:k] + str(rng.choice([1, 2, 3, 4, 5, 8])) + line[k + 1:]
        elif kind < 0.55 and " as " in line:
            new = line.replace(" as ", " as x", 1)
        elif kind < 0.65:
            new = line.replace("conv2d(", "conv2(", 1)
        elif kind < 0.75:
            new = line + "  # a comment"
        elif kind < 0.85:
            new = line + "\n" + line[:len(line) - len(line.lstrip())] + "conv2d(4, 1)"
        elif kind < 0.9:
            new = None
        else:
            new = line.replace(")", ", stride=2)", 1)
        out = parsing("\n".join(lines[:i] + ([] if new is None else [new]) + lines[i + 1:]))
        if out is not None:
            return out
    return text


def parsing(text: str) -> str | None:
    """``text`` if it parses (an incremental check gets only those), else None."""
    try:
        parse(text, "m.slim")
    except Exception:  # noqa: BLE001 - any syntax error
        return None
    return text


SOURCES = {"named": NAMED, "flat": generate(120, "flat"),
           "inception": (ROOT / "models" / "inception_v3.slim").read_text(),
           "unet": (ROOT / "models" / "unet.slim").read_text()}
CASES = [pytest.param("named"), pytest.param("flat"), pytest.param("unet"),
         pytest.param("inception", marks=pytest.mark.slow)]


def opened(text: str, path: str) -> tuple[Workspace, object]:
    """A workspace with ``text`` open at ``path`` and checked once (the edits' starting point)."""
    ws = Workspace()
    doc = ws.open("file://" + path, path, text, 1)
    ws.analysis(doc)
    return ws, doc


@pytest.mark.parametrize("name", CASES)
def test_random_edits_give_what_a_full_check_gives(name):
    rng = random.Random(7)
    text = SOURCES[name]
    path = "/virtual/m.slim"
    ws, doc = opened(text, path)
    for step in range(30):
        text = mutate(text, rng)
        ws.update(path, text, step + 2)
        analysis = ws.analysis(doc)
        full = check_source(text, path)
        assert sorted(analysis.diagnostics, key=repr) == sorted(full.diagnostics, key=repr), step
        assert [dump(g) for g in analysis.graphs] == [dump(g) for g in full.graphs], step
        for g in analysis.graphs:
            consistent(g)
    stats = ws.checker.stats
    assert stats["resumed"] > 5 and stats["cutoff"] > 0, stats


def test_an_edit_resumes_at_its_statement_and_cuts_off_when_shapes_settle():
    path = "/virtual/m.slim"
    text = generate(300, "flat")
    ws, doc = opened(text, path)
    lines = text.split("\n")
    i = next(k for k, line in enumerate(lines) if k > 150 and "conv2d(depth, [3, 3])" in line)
    lines[i] = lines[i].replace("[3, 3]", "[5, 5]")
    ws.update(path, "\n".join(lines), 2)
    ws.analysis(doc)
    [model] = ws.checker._models[path][1].values()
    assert model.last_resume == (1, i - 4)  # model body: input, arg_scope; in it: the line
    assert model.stats == {"full": 1, "resumed": 1, "cutoff": 1, "kept": 0}


def test_change_finds_the_lines_an_edit_touched():
    assert Change.between("p", "a\nb\nc", "a\nb\nc") is None
    assert Change.between("p", "a\nbb\nc", "a\nbx\nc") == Change("p", 2, 2, 2)
    assert Change.between("p", "a\nb\nc", "a\nb\nx\nc") == Change("p", 3, 3, 4)
    assert Change.between("p", "a\nb\nc", "a\nc").delta == -1


def test_an_edit_in_a_block_resumes_at_its_first_call():
    text = NAMED.replace("  conv2d(depth, 3) as conv\n", "  conv2d(depth, 3) as conv\n  relu()\n")
    path = "/virtual/m.slim"
    ws, doc = opened(text, path)
    ws.update(path, text.replace("relu()", "relu6()"), 2)
    analysis = ws.analysis(doc)
    [model] = ws.checker._models[path][1].values()
    assert model.last_resume == (1, 3, 2)  # arg_scope, scope "stage", unit(16) as u
    # no cutoff: the layers opened other scope names (Relu6), which later layers could meet
    assert model.stats == {"full": 1, "resumed": 1, "cutoff": 0, "kept": 0}
    assert [nd.kind for nd in analysis.graphs[0].nodes if "/u/" in nd.scope] == ["conv2d", "relu6"]
    assert dump(analysis.graphs[0]) == dump(check_source(text.replace("relu()", "relu6()"),
                                                         path).graphs[0])


def test_a_block_called_twice_cuts_off_only_after_its_last_call():
    # between the two calls the shapes are the old ones again: no cutoff there
    text = NAMED.replace("      max_pool2d(2)\n    }", "      max_pool2d(2)\n      conv2d(16, 1)\n"
                         "      unit(16)\n      conv2d(16, 1)\n    }")
    path = "/virtual/m.slim"
    ws, doc = opened(text, path)
    new = text.replace("conv2d(depth, 3) as conv\n", "conv2d(depth + 1, 3) as conv\n", 1)
    ws.update(path, new, 2)
    analysis = ws.analysis(doc)
    [model] = ws.checker._models[path][1].values()
    assert model.last_resume == (1, 3, 2)  # the first call: unit(16) as u
    assert dump(analysis.graphs[0]) == dump(check_source(new, path).graphs[0])
    assert [nd.output.shape[-1] for nd in analysis.graphs[0].nodes
            if nd.scope.endswith(("/u/conv", "/unit/conv"))] == [17, 17]
    # cut off after the second call, at the first statement after the scope
    assert model.stats["cutoff"] == 1
    cut = [c for c in model.recorder.fresh if c.at[0] > 0]
    lines = new.split("\n")
    assert "conv2d(depth, 1)" in lines[cut[-1].at[0] - 1], [lines[c.at[0] - 1] for c in cut]


def test_a_statement_written_on_a_blank_line_is_not_cut_off_against_the_next_one():
    old = "model m {\n  input images: [?, 32, 32, 3]\n  conv2d(8, 3)\n\n  relu()\n" \
          "  conv2d(8, 3)\n  output logits = net\n}\n"
    new = old.replace("conv2d(8, 3)\n\n", "conv2d(8, 3)\n  relu()\n", 1)  # same line count
    path = "/virtual/m.slim"
    ws, doc = opened(old, path)
    ws.update(path, new, 2)
    analysis = ws.analysis(doc)
    assert [nd.scope for nd in analysis.graphs[0].nodes] == \
        ["m/Conv", "m/Relu", "m/Relu_1", "m/Conv_1"]
    assert dump(analysis.graphs[0]) == dump(check_source(new, path).graphs[0])


def test_an_edited_layer_that_is_an_end_point_still_cuts_off_and_later_edits_see_it():
    """End points are only written while lowering: a changed channel count of an end point
    settles one layer later, the end point shows the new shape, and a later edit that resumes
    from a checkpoint kept from before still gives the full check's graph."""
    path = "/virtual/inception.slim"
    text = SOURCES["inception"]
    ws, doc = opened(text, path)
    edits = [("conv2d(depth(32), 3) as Conv2d_2a_3x3", "conv2d(depth(33), 3) as Conv2d_2a_3x3"),
             ("conv2d(depth(192), 3) as Conv2d_4a_3x3", "conv2d(depth(193), 3) as Conv2d_4a_3x3"),
             ("conv2d(depth(64), 3, padding=", "conv2d(depth(65), 3, padding=")]
    for step, (old, new) in enumerate(edits):
        assert text.count(old) == 1
        text = text.replace(old, new)
        ws.update(path, text, step + 2)
        analysis = ws.analysis(doc)
        full = check_source(text, path)
        assert [dump(g) for g in analysis.graphs] == [dump(g) for g in full.graphs], step
        for g in analysis.graphs:
            consistent(g)
    [model] = ws.checker._models[path][1].values()
    assert model.stats["cutoff"] == 3, model.stats
    shapes = {k: t.shape for k, t in analysis.graphs[0].end_points.items()}
    assert shapes["Conv2d_2a_3x3"][-1] == 33 and shapes["Conv2d_4a_3x3"][-1] == 193


def test_edits_inside_a_scope_entered_again_give_what_a_full_check_gives():
    """Leaving a scope sets its default names back (TF's close_variable_subscopes); resuming
    inside a scope body must leave it the same way, and a rollback must bring the counts back."""
    path = "/virtual/m.slim"

    def text(first: str, second: str) -> str:
        return (f"model m {{\n  input x: [?, 8, 8, 3]\n  scope sc {{\n    conv2d(3, 1) as a\n"
                f"    {first}\n  }}\n  scope sc {{\n    relu() as b\n    {second}\n  }}\n}}\n")

    steps = [("conv2d(3, 1)", "relu()"), ("conv2d(3, 1)", "conv2d(3, 1)"),  # Conv twice: clash
             ("relu()", "conv2d(3, 1)"),  # an edit inside the first scope
             ("conv2d(3, 1)", "conv2d(3, 1)"), ("relu()", "conv2d(3, 1)"),
             ("relu()", "relu()")]
    ws = Workspace()
    doc = ws.open("file://" + path, path, text(*steps[0]), 1)
    ws.analysis(doc)
    codes = []
    for step, pair in enumerate(steps[1:]):
        ws.update(path, text(*pair), step + 2)
        analysis = ws.analysis(doc)
        full = check_source(text(*pair), path)
        assert sorted(analysis.diagnostics, key=repr) == sorted(full.diagnostics, key=repr), step
        assert [dump(g) for g in analysis.graphs] == [dump(g) for g in full.graphs], step
        codes.append([d.code for d in full.diagnostics if d.is_error])  # (lints warn too)
    assert codes == [["scope-name"], [], ["scope-name"], [], []]
    assert ws.checker.stats["resumed"] >= 2, ws.checker.stats


def add_or_remove_line(text: str, rng: random.Random) -> str:
    """One random edit that changes the line count: a blank line, a comment or a layer line
    inserted (anywhere: at the top and bottom of the file, in blocks, loops, arg_scope and
    scope bodies), or a line deleted (the blank and comment lines most often, so the file
    does not dwindle); only texts that parse are used."""
    lines = text.split("\n")
    for _ in range(50):
        i = rng.randrange(len(lines) + 1)
        kind = rng.random()
        indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())] if i < len(lines) else ""
        if kind < 0.3:
            new = [indent]  # Enter
        elif kind < 0.4:
            new = [indent + "# a new comment line"]
        elif kind < 0.55:
            new = [indent + rng.choice(["conv2d(4, 1)", "relu()", "y = net", "max_pool2d(1)"])]
        elif kind < 0.65:
            new = ["", ""]
        else:  # delete a line, a blank or comment one when there is one nearby
            near = [k for k in range(max(0, i - 8), min(len(lines), i + 8))
                    if not lines[k].strip() or lines[k].lstrip().startswith("#")]
            k = rng.choice(near) if near and kind < 0.9 else min(i, len(lines) - 1)
            candidate = lines[:k] + lines[k + 1:]
            new = None
        if new is not None:
            candidate = lines[:i] + new + lines[i:]
        out = parsing("\n".join(candidate))
        if out is not None:
            return out
    return text


NASNET = (ROOT / "models" / "nasnet.slim").read_text() + "\n" + "\n".join(
    (ROOT / "models" / "nasnet_cifar.slim").read_text().split("\n")[2:])  # no import: one file
LINE_SOURCES = {**SOURCES, "nasnet": NASNET, "vgg": (ROOT / "models" / "vgg.slim").read_text()}


#: The edits an early cutoff ends (the kept rest's spans moved), at least.
CUTOFFS = {"named": 1, "flat": 1, "unet": 1, "nasnet": 1, "vgg": 1}


def hints_of(analysis, text: str) -> list:
    from slimdsl.lsp.hints import inlay_hints
    return [(h.position.line, h.position.character, h.label, h.tooltip)
            for h in inlay_hints(analysis, 1, text.count("\n") + 1)]


@pytest.mark.parametrize("name", ["named", "flat", "unet", "nasnet", "vgg"])
def test_edits_that_add_or_remove_lines_give_what_a_full_check_gives(name):
    """Enter, Backspace over a line, a comment or a layer on a new line, anywhere: every span
    of the graph, every diagnostic (lints too) and every inlay hint is a fresh check's."""
    rng = random.Random(11)
    text = LINE_SOURCES[name]
    path = "/virtual/m.slim"
    ws, doc = opened(text, path)
    for step in range(25 if name != "nasnet" else 12):
        text = add_or_remove_line(text, rng)
        ws.update(path, text, step + 2)
        analysis = ws.analysis(doc)
        fresh = Workspace()
        again = fresh.analysis(fresh.open("file://" + path, path, text, 1))
        full = check_source(text, path)
        assert sorted(analysis.diagnostics, key=repr) == sorted(full.diagnostics, key=repr), step
        assert analysis.diagnostics == again.diagnostics, step
        assert [dump(g) for g in analysis.graphs] == [dump(g) for g in full.graphs], step
        assert hints_of(analysis, text) == hints_of(again, text), step
        assert [g.span for g in analysis.graphs] == [g.span for g in full.graphs], step
        for g in analysis.graphs:
            consistent(g)
    assert ws.checker.stats["cutoff"] >= CUTOFFS[name], ws.checker.stats


def test_a_lint_warning_after_a_new_line_moves_with_its_layer():
    """The early cutoff keeps the layers after the edit, their spans moved; the lints' cache
    holds them too and reports their warnings on the new lines, as a fresh check does."""
    path = "/virtual/m.slim"
    lines = generate(40, "flat").split("\n")
    last = max(i for i, line in enumerate(lines) if line.startswith("    conv2d(depth, [3"))
    lines.insert(last + 1, "    relu()")  # after a convolution with activation_fn=relu
    text = "\n".join(lines)
    ws = Workspace()
    doc = ws.open("file://" + path, path, text, 1)
    before = [d for d in ws.analysis(doc).diagnostics if d.code == "redundant-layer"]
    first = next(i for i, line in enumerate(lines) if line.startswith("    conv2d(depth, [3"))
    for step, new in enumerate(["\n".join(lines[:first + 1] + ["", ""] + lines[first + 1:]),
                                text]):
        ws.update(path, new, step + 2)
        moved = ws.analysis(doc).diagnostics
        full = check_source(new, path).diagnostics
        assert moved == sorted(full, key=lambda d: (d.span.line, d.span.column)), step
        assert [d.span.line for d in moved if d.code == "redundant-layer"] == \
            [before[0].span.line + 2 - 2 * step]
    after = [d for d in moved if d.code == "redundant-layer"]
    assert len(before) == 1 and after == before
    assert ws.checker.stats["cutoff"] == 2, ws.checker.stats
