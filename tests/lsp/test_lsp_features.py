"""The language server's pieces in-process (fast): conversions, the check cache, the cursor
context, hints, completion and outline on real zoo files. ``test_lsp_server.py`` drives the
real server end to end."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as t

from slimdsl.diagnostics import Diagnostic, Fix, Note, Span
from slimdsl.lsp import completion, hints, hover, navigation
from slimdsl.lsp.context import cursor_context
from slimdsl.lsp.diagnostics import Locator, to_lsp
from slimdsl.lsp.text import Lines
from slimdsl.lsp.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]

TWO_MODELS = """\
block unit(depth: int) {
  conv2d(depth, 3) as conv
}

model a() {
  input images: [?, 8, 8, 3]
  unit(4) as u
}

model b() {
  input images: [?, 8, 8, 3]
  conv2d(8, 3) as c
}
"""


def opened(text: str, path: str = "/virtual/m.slim"):
    ws = Workspace()
    doc = ws.open("file://" + path, path, text, 1)
    return ws, doc, ws.analysis(doc)


def test_a_diagnostic_keeps_its_severity_code_notes_and_fixes():
    path = "/virtual/m.slim"
    text = "model m() {\n  input x: [?, 8, 8, 3]\n  conv2d(4, 3, stridee=2)\n}\n"
    _, _, analysis = opened(text, path)
    here = Span(path, 3, 16, 3, 23)
    warning = Diagnostic(here, "warning", "unused-binding", "a test warning",
                         (Note("no place"), Note("somewhere", Span(path, 1, 7, 1, 8))),
                         (Fix(here, "stride", "replace 'stridee' with 'stride'"),))
    d = to_lsp(warning, Locator(analysis))
    assert d.severity == t.DiagnosticSeverity.Warning and d.code == "unused-binding"
    assert d.source == "slimc" and d.message == "a test warning\nnote: no place"
    assert d.range == t.Range(t.Position(2, 15), t.Position(2, 22))
    [related] = d.related_information
    assert related.message == "somewhere" and related.location.range.start == t.Position(0, 6)
    assert d.data == {"fixes": [{"range": {"start": {"line": 2, "character": 15},
                                           "end": {"line": 2, "character": 22}},
                                 "text": "stride", "title": "replace 'stridee' with 'stride'"}]}
    note = to_lsp(Diagnostic(here, "note", "x", "m"), Locator(analysis))
    assert note.severity == t.DiagnosticSeverity.Information


def test_positions_count_utf16_units_beyond_the_basic_plane():
    lines = Lines('a = "𝒳𝒳" x\n', "p")
    assert lines.position(1, 8).character == 9  # 𝒳 is one code point, two UTF-16 units
    assert lines.point(t.Position(0, 9)) == (1, 8)
    assert Lines('a = "𝒳𝒳" x\n', "p", "utf-32").position(1, 8).character == 7


def test_an_edit_relowers_only_the_models_it_can_change():
    ws, doc, _ = opened(TWO_MODELS)
    assert ws.checker.stats == {"full": 2, "resumed": 0, "cutoff": 0, "kept": 0}
    ws.update(doc.path, TWO_MODELS.replace("conv2d(8, 3) as c", "conv2d(16, 3) as c"), 2)
    analysis = ws.analysis(doc)  # model a is kept, model b resumes at the edited statement
    assert ws.checker.stats == {"full": 2, "resumed": 1, "cutoff": 0, "kept": 1}
    assert [g.nodes[-1].output.shape[-1] for g in analysis.graphs] == [4, 16]
    ws.update(doc.path, TWO_MODELS.replace("conv2d(depth, 3)", "conv2d(depth, 5)"), 3)
    ws.analysis(doc)  # a block changed: every model may call it
    assert ws.checker.stats == {"full": 4, "resumed": 1, "cutoff": 0, "kept": 1}


def test_cursor_context_reads_half_typed_calls():
    ctx = cursor_context(["model m() {", "  conv2d(64, [3, 3], stride=2, pad"], 2, 36)
    assert ctx.call.callee == "conv2d" and ctx.call.index == 3 and ctx.prefix == "pad"
    assert ctx.call.keywords == ["stride"]
    ctx = cursor_context(["  arg_scope([conv2d, max_"], 1, 26)
    assert ctx.in_list_of == "arg_scope" and ctx.prefix == "max_"
    ctx = cursor_context(['import "li'], 1, 11)
    assert ctx.in_string and ctx.string_owner == "import"
    assert cursor_context(["  conv2d(4, 3) as "], 1, 19).previous == "as"
    ctx = cursor_context(["  f(a, [1, (2, 3)], b="], 1, 23)
    assert ctx.call.callee == "f" and ctx.call.keyword == "b" and ctx.call.index == 2


def test_hints_show_the_last_run_of_a_block_statement():
    _, _, analysis = opened(TWO_MODELS.replace("  unit(4) as u\n",
                                               "  unit(4) as u\n  unit(6) as v\n"))
    found = {h.position.line: h for h in hints.inlay_hints(analysis, 1, 20)}
    assert found[1].label == "[?, 8, 8, 6]  (2 runs, last shown)"
    assert found[1].tooltip.splitlines() == ["[?, 8, 8, 4]  via line 7 (a/u/conv)",
                                             "[?, 8, 8, 6]  via line 8 (a/v/conv)"]
    assert found[6].label == "[?, 8, 8, 4]" and found[6].tooltip is None


def test_zoo_model_hover_hints_outline_and_completion():
    path = ROOT / "models" / "inception_v3.slim"
    text = path.read_text()
    _, _, analysis = opened(text, str(path))
    assert analysis.diagnostics == [] and len(analysis.graphs) == 1
    lines = text.split("\n")
    call = next(i for i, line in enumerate(lines, 1) if "mixed_17x17(128" in line)
    found = {h.position.line + 1: h.label for h in hints.inlay_hints(analysis, call, call)}
    assert found == {call: "[?, 17, 17, 768]"}
    report = hover.hover(analysis, call, lines[call - 1].index("as") + 1).contents.value
    assert report.startswith("**12 layers** → `[?, 17, 17, 768]`, 1,298,944 parameters")
    symbols = navigation.document_symbols(analysis)
    model = next(s for s in symbols if s.name == "InceptionV3")
    assert model.kind == t.SymbolKind.Class and "layers" in model.detail
    items = completion.completion(analysis, call, 5).items
    assert {"mixed_17x17", "conv2d", "num_classes"} <= {i.label for i in items}


def test_a_document_opened_broken_still_completes_its_blocks():
    text = TWO_MODELS.replace("  conv2d(8, 3) as c\n", "  unit(de\n")
    ws, doc, analysis = opened(text)
    assert analysis.tree is None and doc.last_tree is not None
    items = completion.completion(analysis, 12, 10, doc.last_tree).items
    assert "depth=" in [i.label for i in items]


def test_a_failing_feature_is_logged_and_answered_with_nothing(monkeypatch):
    """The server's guard: a request whose feature raises gets the default answer and a log
    message; a check that raises publishes an ``internal`` diagnostic instead."""
    from slimdsl.lsp import server as srv

    ls = srv.build_server()
    logged, published = [], []
    monkeypatch.setattr(ls, "window_log_message", logged.append)
    monkeypatch.setattr(ls, "text_document_publish_diagnostics", published.append)
    ls.documents.open("file:///virtual/m.slim", "/virtual/m.slim", TWO_MODELS, 1)

    def boom(*args, **kwargs):
        raise RuntimeError("feature broke")

    monkeypatch.setattr(srv.hover, "hover", boom)
    handler = ls.protocol.fm.features[t.TEXT_DOCUMENT_HOVER]
    params = t.HoverParams(t.TextDocumentIdentifier("file:///virtual/m.slim"), t.Position(1, 3))
    assert handler(params) is None
    assert "RuntimeError: feature broke" in logged[-1].message
    monkeypatch.setattr(srv, "document_diagnostics", boom)
    ls.publish("file:///virtual/m.slim")
    [d] = published[-1].diagnostics
    assert d.code == "internal" and "feature broke" in d.message


def test_slimc_lsp_without_its_extra_says_how_to_install_it(monkeypatch, capsys):
    import importlib.util

    from slimdsl.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pygls" else real(name, *a))
    assert main(["lsp"]) == 2
    assert "pip install 'slimdsl[lsp]'" in capsys.readouterr().err


def test_definition_of_a_def_function_and_a_loop_variable():
    text = ("def half(x) = x // 2\n\nmodel m() {\n  input images: [?, 8, 8, 3]\n"
            "  for k in [1, 2] {\n    conv2d(half(8) * k, 1)\n  }\n}\n")
    _, _, analysis = opened(text)
    assert analysis.diagnostics == []
    [fn] = navigation.definition(analysis, 6, 13)
    assert fn.range.start == t.Position(0, 4)
    [loop] = navigation.definition(analysis, 6, 22)
    assert loop.range.start == t.Position(4, 2)  # the for statement binds k


SYMBOLIC = """\
model fcn() {
  input images: [?, H, W, 3]
  conv2d(8, 3, stride=2) as c1
  repeat(2, conv2d, 8, [3, 3]) as r
}
"""


def test_hover_on_a_symbolic_model_shows_its_flops_as_a_formula():
    """A model with named sizes counts FLOPs as a formula in them (MobileNet, U-Net...)."""
    _, _, analysis = opened(SYMBOLIC)
    assert analysis.diagnostics == [] and len(analysis.graphs) == 1
    model = hover.hover(analysis, 1, 7).contents.value
    assert model.startswith("**model fcn**: 3 layers") and "H" in model and "FLOPs" in model, model
    run = hover.hover(analysis, 4, SYMBOLIC.split("\n")[3].index("as") + 1).contents.value
    assert run.startswith("**2 layers**") and "H" in run.split("FLOPs")[0], run
