"""The incremental re-parse (frontend/incremental.py) gives exactly what a full parse gives.

Random edits of the zoo and the golden files (typing, deleting, new lines, pasted statements,
broken brackets), one at a time and in chains through texts that do not parse: after each,
``Document.edit`` must return the same tree, spans and diagnostics as ``parse`` of the new
text, and most clean edits must not have parsed the whole text.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from slimdsl.diagnostics import CompileError
from slimdsl.frontend.incremental import parse_document, shift
from slimdsl.frontend.parser import parse

ROOT = Path(__file__).resolve().parent.parent.parent
FILES = sorted(ROOT.glob("models/*.slim")) + sorted((ROOT / "tests" / "golden").glob("**/*.slim"))
SNIPPETS = ("relu()", "conv2d(8, [3, 3]) as c", "x = net", "# note", "", " ", "(", ")", "{",
            "}", "[", "]", ",", "1", "64", "as", "if", "else", "\n", "\n\n", "\t", '"s"', "'",
            "scope s {\n}", "batch_norm()\n", "repeat(2, conv2d, 8, 3) as r\n", "\\q", "model",
            "for i in range(2) {\n  relu()\n}\n", "} else {", "def f(a) = a + 1\n", "-", "not")


def outcome(doc_or_text, path: str = "f.slim"):
    if isinstance(doc_or_text, str):
        try:
            return "ok", parse(doc_or_text, path)
        except CompileError as exc:
            return "error", tuple(exc.diagnostics)
    doc = doc_or_text
    return ("ok", doc.tree) if doc.error is None else ("error", tuple(doc.error.diagnostics))


def random_edit(r: random.Random, text: str) -> tuple[int, int, str]:
    """A plausible keystroke or paste: (start, end, new text)."""
    lines = text.split("\n")
    kind = r.randrange(8)
    if kind == 0 or not text:  # type or paste at a random place
        i = r.randint(0, len(text))
        return i, i, r.choice(SNIPPETS)
    i = r.randrange(len(text))
    if kind == 1:  # delete a few characters
        return i, min(len(text), i + r.choice((1, 1, 2, 5))), ""
    if kind == 2:  # replace a few characters
        return i, min(len(text), i + r.randint(1, 4)), r.choice(SNIPPETS)
    k = r.randrange(len(lines))
    start = sum(len(x) + 1 for x in lines[:k])
    if kind == 3:  # delete a whole line
        return start, min(len(text), start + len(lines[k]) + 1), ""
    if kind == 4:  # duplicate a line
        return start, start, lines[k] + "\n"
    if kind == 5:  # a new statement line, indented like this one
        indent = lines[k][:len(lines[k]) - len(lines[k].lstrip())]
        return start, start, indent + r.choice(SNIPPETS[:3]) + "\n"
    if kind == 6:  # change a number
        digits = [j for j, c in enumerate(text) if c.isdigit()]
        if digits:
            j = r.choice(digits)
            return j, j + 1, str(r.randrange(10))
        return i, i, "1"
    return start + len(lines[k]), start + len(lines[k]), r.choice(("  # c", "\n", " relu()"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_random_edits_parse_as_the_whole_text_does(path):
    r = random.Random(path.name)
    text = path.read_text(encoding="utf-8")
    base = parse_document(text, "f.slim")
    incremental = clean = 0
    for _ in range(12):
        start, end, new = random_edit(r, text)
        doc = base.edit(start, end, new)
        assert doc.text == text[:start] + new + text[end:]
        assert outcome(doc) == outcome(doc.text), (start, end, new)
        if doc.error is None:
            clean += 1
            incremental += doc.reparsed != "full"
    if base.error is None and clean >= 4:
        assert incremental >= clean // 2, "most clean edits re-parse a part only"


@pytest.mark.parametrize("seed", range(6))
def test_chains_of_edits_through_broken_texts(seed):
    r = random.Random(seed)
    path = r.choice(FILES[:8])
    doc = parse_document(path.read_text(encoding="utf-8"), "f.slim")
    for _ in range(25):
        start, end, new = random_edit(r, doc.text)
        doc = doc.edit(start, end, new)
        assert outcome(doc) == outcome(doc.text), (start, end, new)


def test_a_one_line_edit_re_parses_that_line_only():
    text = (ROOT / "models" / "vgg.slim").read_text(encoding="utf-8")
    doc = parse_document(text, "vgg.slim")
    at = text.index("conv2d(4096, 1)") + len("conv2d(")
    edited = doc.edit(at, at + 4, "2048")
    line = text.count("\n", 0, at) + 1
    assert edited.reparsed == (line, line)
    assert edited.tree == parse(edited.text, "vgg.slim")
    fc7 = edited.tree.models[0].body[1].body[0].body[3]
    assert fc7.value.args[0].value == 2048


def test_new_lines_move_the_spans_after_them():
    text = (ROOT / "models" / "vgg.slim").read_text(encoding="utf-8")
    doc = parse_document(text, "vgg.slim")
    at = text.index("      conv2d(4096, 7")
    edited = doc.edit(at, at, "      relu() as r1\n      relu() as r2\n")
    assert edited.reparsed != "full"
    assert edited.tree == parse(edited.text, "vgg.slim")
    output = edited.tree.models[0].body[-1]
    assert output.span.line == text.count("\n", 0, text.index("output logits")) + 3


def test_update_finds_the_changed_region_and_offsets_count_characters():
    text = "model m {\n  input x: [?, 8, 8, 3]\n  relu()\n}\n"
    doc = parse_document(text, "m.slim")
    assert doc.offset(3, 3) == text.index("relu")
    new = doc.update(text.replace("relu()", "relu() as r"))
    assert new.reparsed == (3, 3) and new.tree == parse(new.text, "m.slim")
    assert doc.update(text).tree == doc.tree


def test_a_broken_document_is_repaired_against_the_last_good_parse():
    text = "model m {\n  input x: [?, 8, 8, 3]\n" + "  relu()\n" * 50 + "}\n"
    doc = parse_document(text, "m.slim")
    at = text.index("relu()") + len("relu(")
    broken = doc.edit(at, at, "(")  # relu(() : a syntax error
    assert broken.error is not None and broken.reparsed == "full"
    fixed = broken.edit(at, at + 1, "")
    assert fixed.error is None and fixed.reparsed == (3, 3)
    assert fixed.tree == doc.tree


def test_shift_moves_only_lines_after_the_edit():
    tree = parse("model m {\n  input x: [?, 3]\n  relu()\n}\n", "m.slim")
    moved = shift(tree, 2, 5)
    body = moved.models[0].body
    assert body[0] is tree.models[0].body[0]  # wholly before: the same object
    assert body[1].span.line == 8 and moved.models[0].span.end_line == 9
    assert moved.models[0].span.line == 1


def test_definitions_sharing_a_line_are_re_parsed_together():
    text = ('import "a.slim" import "b.slim"\nmodel m = n() model k = n()\nmodel n {\n'
            '  input x: [?, 3]\n} model o = n()\nmodel p = n() model q {\n  input y: [?, 3]\n}\n')
    doc = parse_document(text, "f.slim")
    for old, new in (('"a.slim"', '"c.slim"'), ('"b.slim"', '"d.slim"'), ("m = n", "q = n"),
                     ("k = n", "p = n"), ("model n {", "model n  {"), ("y: [", "y:  ["),
                     ("3]\n}\n", "3]\n }\n")):
        at = text.index(old)
        edited = doc.edit(at, at + len(old), new)
        assert outcome(edited) == outcome(edited.text), (old, new)
