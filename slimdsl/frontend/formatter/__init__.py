"""``slimc fmt``: one canonical layout for .slim files, comments kept.

The formatter re-parses the text with the project grammar in *keep-all-tokens* mode, so the parse
tree holds every token (brackets, commas, keywords) with its position, and builds a small layout
tree from it:

- a :class:`Block` (``{ ... }`` or the file itself) holds statements and own-line comments;
- a :class:`Stmt` is a run of tokens, bracket :class:`Group` s and nested blocks;
- a :class:`Group` (call arguments, list, tuple, parameters, ...) holds comma-separated elements.

Comments are not in the grammar's tree (``%ignore COMMENT``); they come from the lexer and are
placed by position: inside the innermost group that contains them (which then lays out one
element per line), as own-line items of the enclosing block, or after the token they follow.

Canonical style: 2-space indentation, one statement per line, ``a = b``, ``f(x, y=1)``,
``[3, 3]``, at most one blank line (none after ``{`` or before ``}``), ``} else {``, and
argument lists longer than :data:`LINE_LENGTH` columns broken after the opening bracket with a
4-space hanging indent and filled greedily. Only whitespace, line breaks and trailing commas
change, so formatting never changes what a file compiles to (the test suite checks the IR).
"""

from __future__ import annotations

from ...diagnostics import CompileError
from ..grammar import full_parser
from ..parser import parse
from .comments import lex_comments, place_in_block
from .emit import LINE_LENGTH, Writer, emit_block
from .layout import build_layout

__all__ = ["LINE_LENGTH", "format_source"]


def format_source(text: str, path: str = "<string>") -> str:
    """The canonical layout of ``text``; raises :class:`CompileError` if it does not parse."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")
    parse(text, path)  # syntax errors become diagnostics, with the parser's messages
    try:
        tree = full_parser().parse(text)
    except Exception as exc:  # pragma: no cover - parse() above accepted the same grammar
        raise CompileError([]) from exc
    root = build_layout(tree)
    for c in lex_comments(text):
        place_in_block(c, root)
    blank = {i for i, line in enumerate(text.split("\n"), 1) if not line.strip()}
    w = Writer()
    emit_block(root, w, 0, blank)
    w.flush()
    while w.lines and w.lines[-1] == "":
        w.lines.pop()
    return "\n".join(w.lines) + "\n" if w.lines else ""

