"""End to end: the real ``slimc lsp`` process, driven over stdio by pytest-lsp's client.

One server serves the whole module (starting one costs a second); each test opens its own
documents, in a folder of its own, so they do not see each other's files.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30.0

GOOD = """\
model small(depth: int = 16) {
  input images: [?, 32, 32, 3]
  conv2d(depth, 3, stride=2) as conv1
  max_pool2d(2) as pool1
  fully_connected(10) as logits
}
"""


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "slimdsl", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


async def eventually(condition, what: str):
    """Wait until ``condition()`` holds (the server answers asynchronously)."""
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def open_doc(client: LanguageClient, path: Path, text: str, write: bool = True) -> str:
    if write:
        path.write_text(text)
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="slimdsl", version=1, text=text)))
    await eventually(lambda: uri in client.diagnostics, f"diagnostics of {path.name}")
    return uri


def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)]))


def close(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))


def at(line: int, character: int) -> t.Position:
    return t.Position(line=line, character=character)


def doc_id(uri: str) -> t.TextDocumentIdentifier:
    return t.TextDocumentIdentifier(uri=uri)


# ---------------------------------------------------------------------------- diagnostics


async def test_diagnostics_on_open_change_and_save(client: LanguageClient, folder: Path):
    bad = GOOD.replace("max_pool2d(2)", "max_pool2d(64, padding=\"VALID\")")
    uri = await open_doc(client, folder / "bad.slim", bad)
    [d] = client.diagnostics[uri]
    assert d.code == "shape" and d.source == "slimc"
    assert d.severity == t.DiagnosticSeverity.Error
    assert "VALID 64x64 stride 2 on 16x16: floor((16-64)/2)+1 = -23" in d.message
    assert "note: the input was shaped by: 32x32 (images) -> 16x16 (conv1, line 3)" in d.message
    assert (d.range.start.line, d.range.start.character) == (3, 2)

    change(client, uri, GOOD, 2)
    await eventually(lambda: client.diagnostics.get(uri) == (), "clean diagnostics")

    change(client, uri, GOOD.replace("fully_connected(10) as logits", "fully_conected(10)"), 3)
    await eventually(lambda: client.diagnostics.get(uri), "an unknown layer")
    [d] = client.diagnostics[uri]
    assert d.code == "unknown-layer" and "did you mean 'fully_connected'" in d.message
    client.diagnostics.pop(uri)
    client.text_document_did_save(t.DidSaveTextDocumentParams(doc_id(uri)))
    await eventually(lambda: uri in client.diagnostics, "diagnostics after save")
    assert client.diagnostics[uri][0].code == "unknown-layer"
    close(client, uri)


async def test_notes_with_a_place_become_related_information(client: LanguageClient,
                                                             folder: Path):
    text = GOOD.replace("fully_connected(10) as logits", "conv2d(4, 1) as conv1")
    uri = await open_doc(client, folder / "twice.slim", text)
    [d] = client.diagnostics[uri]
    assert d.code == "scope-name"
    [related] = [r for r in d.related_information if r.message == "first created here"]
    assert related.location.uri == uri and related.location.range.start.line == 2
    close(client, uri)


# ---------------------------------------------------------------------------- inlay hints


async def test_inlay_hints_show_each_statement_output_shape(client: LanguageClient,
                                                            folder: Path):
    uri = await open_doc(client, folder / "good.slim", GOOD)
    found = await client.text_document_inlay_hint_async(t.InlayHintParams(
        text_document=doc_id(uri), range=t.Range(at(0, 0), at(6, 0))))
    by_line = {h.position.line: h.label for h in found}
    assert by_line == {2: "[?, 16, 16, 16]", 3: "[?, 8, 8, 16]", 4: "[?, 8, 8, 10]"}
    assert all(h.position.character == len(GOOD.splitlines()[h.position.line]) for h in found)
    only = await client.text_document_inlay_hint_async(t.InlayHintParams(
        text_document=doc_id(uri), range=t.Range(at(3, 0), at(3, 10))))
    assert [h.position.line for h in only] == [3]
    close(client, uri)


BLOCKS = """\
block unit(depth: int) {
  conv2d(depth, 3) as conv
  max_pool2d(2) as pool
}

model m() {
  input images: [?, 32, 32, 3]
  unit(8) as u1
  unit(16) as u2
}
"""


async def test_a_block_body_shows_its_last_call(client: LanguageClient, folder: Path):
    uri = await open_doc(client, folder / "blocks.slim", BLOCKS)
    found = await client.text_document_inlay_hint_async(t.InlayHintParams(
        text_document=doc_id(uri), range=t.Range(at(0, 0), at(10, 0))))
    by_line = {h.position.line: h for h in found}
    assert by_line[1].label == "[?, 16, 16, 16]  (2 runs, last shown)"
    assert "[?, 32, 32, 8]  via line 8 (m/u1/conv)" in by_line[1].tooltip
    assert by_line[2].label.startswith("[?, 8, 8, 16]")
    assert by_line[7].label == "[?, 16, 16, 8]" and by_line[8].label == "[?, 8, 8, 16]"
    close(client, uri)


# ---------------------------------------------------------------------------- hover


async def test_hover_explains_a_layer_and_documents_kinds_and_arguments(
        client: LanguageClient, folder: Path):
    uri = await open_doc(client, folder / "hover.slim", GOOD)
    layer = await client.text_document_hover_async(t.HoverParams(doc_id(uri), at(2, 34)))
    text = layer.contents.value
    assert "small/conv1  (conv2d" in text and "output  [?, 16, 16, 16]" in text
    assert "stride               (2, 2)" in text and "explicit at line 3" in text
    assert "parameters: 448" in text and "FLOPs: 225,280" in text
    kind = await client.text_document_hover_async(t.HoverParams(doc_id(uri), at(2, 4)))
    assert "`small/conv1` → `[?, 16, 16, 16]`" in kind.contents.value
    assert "| `num_outputs` |" in kind.contents.value
    arg = await client.text_document_hover_async(t.HoverParams(doc_id(uri), at(2, 21)))
    assert arg.contents.value.startswith("`conv2d` argument `stride`")
    nothing = await client.text_document_hover_async(t.HoverParams(doc_id(uri), at(40, 0)))
    assert nothing is None
    close(client, uri)


# ---------------------------------------------------------------------------- completion


async def test_completion_and_signature_help(client: LanguageClient, folder: Path):
    text = BLOCKS.replace("  unit(16) as u2\n", "  conv2d(16, 3, rate=2, st\n")
    uri = await open_doc(client, folder / "complete.slim", text)
    line = 8
    args = await client.text_document_completion_async(t.CompletionParams(
        doc_id(uri), at(line, len("  conv2d(16, 3, rate=2, st"))))
    labels = [i.label for i in args.items]
    assert "stride=" in labels and "padding=" in labels
    assert "num_outputs=" not in labels and "rate=" not in labels  # given already
    values = await client.text_document_completion_async(t.CompletionParams(
        doc_id(uri), at(7, len("  unit("))))
    assert "depth=" in [i.label for i in values.items]
    change(client, uri, text.replace("  conv2d(16, 3, rate=2, st\n",
                                     "  max_pool2d(2, padding=\n"), 2)
    padding = await client.text_document_completion_async(t.CompletionParams(
        doc_id(uri), at(line, len("  max_pool2d(2, padding="))))
    assert [i.label for i in padding.items][:2] == ['"SAME"', '"VALID"']
    change(client, uri, text.replace("  conv2d(16, 3, rate=2, st\n", "  \n"), 3)
    start = await client.text_document_completion_async(t.CompletionParams(
        doc_id(uri), at(line, 2)))
    labels = [i.label for i in start.items]
    assert {"conv2d", "unit", "images", "repeat", "arg_scope"} <= set(labels)
    change(client, uri, text.replace("  conv2d(16, 3, rate=2, st\n", "  conv2d(16, 3, \n"), 4)
    sig = await client.text_document_signature_help_async(t.SignatureHelpParams(
        doc_id(uri), at(line, len("  conv2d(16, 3, "))))
    [info] = sig.signatures
    assert info.label.startswith("conv2d(inputs, num_outputs, kernel_size, stride=1")
    start_, end_ = info.parameters[sig.active_parameter].label
    assert info.label[start_:end_] == "stride=1"
    close(client, uri)


# ---------------------------------------------------------------------------- navigation


async def test_definition_of_blocks_names_and_imports(client: LanguageClient, folder: Path):
    (folder / "lib.slim").write_text("block unit(depth: int) {\n  conv2d(depth, 3)\n}\n")
    text = ('import "lib.slim"\n\nmodel m() {\n  input images: [?, 8, 8, 3]\n'
            '  x = unit(4)\n  y = conv2d(x, 4, 1)\n}\n')
    uri = await open_doc(client, folder / "main.slim", text)
    block = await client.text_document_definition_async(t.DefinitionParams(doc_id(uri),
                                                                            at(4, 7)))
    assert block[0].uri == (folder / "lib.slim").as_uri() and block[0].range.start.line == 0
    name = await client.text_document_definition_async(t.DefinitionParams(doc_id(uri),
                                                                           at(5, 13)))
    assert name[0].uri == uri and name[0].range == t.Range(at(4, 2), at(4, 3))  # the x of x =
    imported = await client.text_document_definition_async(t.DefinitionParams(doc_id(uri),
                                                                               at(0, 10)))
    assert imported[0].uri == (folder / "lib.slim").as_uri()
    close(client, uri)


async def test_document_symbols_outline_models_blocks_and_scopes(client: LanguageClient,
                                                                folder: Path):
    (folder / "lib.slim").write_text("block other(depth: int) {\n  conv2d(depth, 3)\n}\n")
    text = 'import "lib.slim"\n' + BLOCKS.replace(
        "  unit(16) as u2\n", '  scope "head" {\n    unit(16) as u2\n  }\n')
    uri = await open_doc(client, folder / "outline.slim", text)
    symbols = await client.text_document_document_symbol_async(t.DocumentSymbolParams(
        doc_id(uri)))
    assert [(s.name, s.kind) for s in symbols] == [("lib.slim", t.SymbolKind.Module),
                                                    ("unit", t.SymbolKind.Function),
                                                    ("m", t.SymbolKind.Class)]
    _, unit, model = symbols
    assert [c.name for c in unit.children] == ["depth", "conv", "pool"]
    assert [c.name for c in model.children] == ["u1", "head"]
    assert [c.name for c in model.children[1].children] == ["u2"]
    close(client, uri)


# ---------------------------------------------------------------------------- edits


async def test_formatting(client: LanguageClient, folder: Path):
    messy = GOOD.replace("  input images", "    input   images").replace("stride=2", "stride = 2")
    uri = await open_doc(client, folder / "messy.slim", messy)
    options = t.FormattingOptions(tab_size=2, insert_spaces=True)
    [edit] = await client.text_document_formatting_async(t.DocumentFormattingParams(
        doc_id(uri), options))
    assert edit.new_text == GOOD and edit.range.start == at(0, 0)
    change(client, uri, messy + "model {", 2)
    broken = await client.text_document_formatting_async(t.DocumentFormattingParams(
        doc_id(uri), options))
    assert not broken
    close(client, uri)


async def test_code_actions_apply_did_you_mean_fixes(client: LanguageClient, folder: Path):
    uri = await open_doc(client, folder / "typo.slim", GOOD.replace("stride=2", "stridee=2"))
    [d] = client.diagnostics[uri]
    assert d.data["fixes"][0]["text"] == "stride"
    found = await client.text_document_code_action_async(t.CodeActionParams(
        doc_id(uri), d.range, t.CodeActionContext(diagnostics=[d])))
    [action] = found
    assert action.title == "Replace 'stridee' with 'stride'"
    assert action.kind == t.CodeActionKind.QuickFix and action.is_preferred
    [edit] = action.edit.changes[uri]
    assert edit.new_text == "stride" and edit.range == d.range
    close(client, uri)


# ---------------------------------------------------------------------------- imports


async def test_an_edit_rechecks_the_open_files_that_import_it(client: LanguageClient,
                                                              folder: Path):
    lib = "block unit(depth: int) {\n  conv2d(depth, 3)\n}\n"
    lib_uri = await open_doc(client, folder / "lib.slim", lib)
    main = ('import "lib.slim"\n\nmodel m() {\n  input images: [?, 8, 8, 3]\n'
            '  unit(4)\n}\n')
    main_uri = await open_doc(client, folder / "main.slim", main)
    assert client.diagnostics[main_uri] == ()
    # the open library, not the file on disk, is what main imports
    change(client, lib_uri, lib.replace("conv2d(depth, 3)", "conv2d(depth, 9, padding=\"VALID\")"),
           2)
    await eventually(lambda: client.diagnostics.get(main_uri), "main's diagnostics")
    [d] = client.diagnostics[main_uri]
    assert d.code == "shape" and d.message.startswith("in lib.slim:2: conv2d 'unit/Conv'")
    assert d.range.start.line == 4  # the call in main.slim
    assert d.related_information[0].location.uri == lib_uri
    change(client, lib_uri, lib.replace("block unit(", "block unit2("), 3)
    await eventually(lambda: client.diagnostics.get(main_uri)
                     and client.diagnostics[main_uri][0].code == "unknown-layer",
                     "the renamed block")
    client.diagnostics.pop(main_uri)
    close(client, lib_uri)  # main reads the file on disk again: the original block
    await eventually(lambda: client.diagnostics.get(main_uri) == (), "diagnostics from disk")
    close(client, main_uri)


# ---------------------------------------------------------------------------- robustness


GARBAGE = [
    "",
    "\x00\x01\x02",
    "model",
    "model m( {{{{ ]]] ))",
    "(" * 500,
    "model m() {\n" + "  conv2d(" * 80 + "\n}\n",
    "model m() { input x: [?, 8, 8, 3]\n" + "x = " + " + ".join(["1"] * 3000) + "\n}",
    "\ufeffmodel m() {\n  input x: [?, 8, 8, 3]\n  conv2d(4, 3) as 𝒳\n}\n",
    "import \"/dev/zero\"\nmodel m() {}\n",
    "import \"missing.slim\"\n",
    "model m(a: int = 1 / 0) {\n  input x: [?, 1]\n}\n",
]


async def test_garbage_never_stops_the_server(client: LanguageClient, folder: Path):
    uri = await open_doc(client, folder / "garbage.slim", "")
    for version, text in enumerate(GARBAGE, 2):
        change(client, uri, text, version)
        await eventually(lambda: uri in client.diagnostics, f"diagnostics of {text[:20]!r}")
        for position in (at(0, 0), at(1, 3), at(9999, 9999)):
            await client.text_document_hover_async(t.HoverParams(doc_id(uri), position))
            await client.text_document_completion_async(t.CompletionParams(doc_id(uri),
                                                                           position))
            await client.text_document_definition_async(t.DefinitionParams(doc_id(uri),
                                                                           position))
        await client.text_document_inlay_hint_async(t.InlayHintParams(
            doc_id(uri), t.Range(at(0, 0), at(9999, 0))))
        await client.text_document_document_symbol_async(t.DocumentSymbolParams(doc_id(uri)))
        await client.text_document_formatting_async(t.DocumentFormattingParams(
            doc_id(uri), t.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert not [m for m in client.log_messages if "internal error" in m.message]
    close(client, uri)


async def test_rapid_edits_end_with_the_last_texts_diagnostics(client: LanguageClient,
                                                              folder: Path):
    uri = await open_doc(client, folder / "rapid.slim", GOOD)
    typed = "  conv2d(8, 3) as final_layer_here\n"
    base = GOOD.replace("}\n", "")
    for i in range(1, len(typed) + 1):  # one change per keystroke, without waiting
        change(client, uri, base + typed[:i] + "}\n", i + 1)
    last = base + typed + "  unknown_marker_layer(3)\n}\n"
    change(client, uri, last, len(typed) + 2)
    await eventually(lambda: any("unknown_marker_layer" in d.message
                                 for d in client.diagnostics.get(uri, ())),
                     "the last text's diagnostics")
    await asyncio.sleep(0.3)  # nothing stale may follow
    [d] = client.diagnostics[uri]
    assert "unknown_marker_layer" in d.message
    hints = await client.text_document_inlay_hint_async(t.InlayHintParams(
        doc_id(uri), t.Range(at(0, 0), at(20, 0))))
    assert any(h.position.line == 5 and h.label == "[?, 8, 8, 8]" for h in hints)
    close(client, uri)
