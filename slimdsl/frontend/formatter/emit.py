"""Printing the layout tree of ``slimc fmt`` in the canonical style (see the package doc)."""

from __future__ import annotations

from .layout import Block, Comment, CommentItem, Group, Stmt, Tok, first_tok, last_tok

#: Lines are filled up to this many columns (comments are not counted).
LINE_LENGTH = 100
INDENT = 2
CONTINUATION = 4


# ---------------------------------------------------------------------------- printing


class Writer:
    """Accumulates output lines; trailing comments wait for the end of their line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cur: str | None = None
        self.pending: list[str] = []

    @property
    def col(self) -> int:
        return len(self.cur or "")

    def newline(self, indent: int) -> None:
        self.flush()
        self.cur = " " * indent

    def flush(self) -> None:
        if self.cur is None:
            return
        line = self.cur.rstrip()
        if self.pending:
            line = (line + "  " if line.strip() else line) + "  ".join(self.pending)
            self.pending = []
        self.lines.append(line)
        self.cur = None

    def blank(self) -> None:
        self.flush()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def text(self, text: str, space: bool) -> None:
        if self.cur is None:
            self.cur = ""
        if space and self.cur.strip() and not self.cur.endswith((" ", "(", "[", "{")):
            self.cur += " "
        self.cur += text

    def tok(self, tok: Tok, space: bool | None = None) -> None:
        self.text(tok.text, tok.space if space is None else space)
        self.pending.extend(c.text for c in tok.trailing)


def _flat(piece) -> str:
    if isinstance(piece, Tok):
        return piece.text
    inner = ", ".join(_flat_run(e) for e in piece.elements)
    if piece.kind == "tuple" and len(piece.elements) == 1:
        inner += ","
    return piece.open.text + inner + piece.close.text


def _flat_run(pieces: list) -> str:
    out = ""
    for i, p in enumerate(pieces):
        if i and first_tok(p).space:
            out += " "
        out += _flat(p)
    return out


def _width(piece) -> int:
    """Columns the piece takes on the current line (only the opener when it must break)."""
    if isinstance(piece, Group) and piece.forced:
        return len(piece.open.text)
    return len(_flat(piece))


def _emit_run(pieces: list, w: Writer, indent: int, tail: int) -> None:
    """Write pieces on the current line, breaking groups that do not fit."""
    for i, p in enumerate(pieces):
        space = bool(i) and first_tok(p).space
        if isinstance(p, Tok):
            w.tok(p, space if i else None)
            continue
        rest = tail + sum(_width(q) + (1 if first_tok(q).space else 0) for q in pieces[i + 1:])
        fits = w.col + (1 if space else 0) + len(_flat(p)) + rest <= LINE_LENGTH
        if fits and not p.forced:
            w.text(_flat(p), space if i else p.space)
            for tok in _all_toks(p):
                w.pending.extend(c.text for c in tok.trailing)
        else:
            _emit_broken(p, w, indent, rest, space if i else p.space)


def _all_toks(piece):
    if isinstance(piece, Tok):
        yield piece
        return
    yield piece.open
    for e in piece.elements:
        for q in e:
            yield from _all_toks(q)
    yield piece.close


def _emit_broken(g: Group, w: Writer, indent: int, rest: int, space: bool) -> None:
    inner = indent + CONTINUATION
    w.tok(g.open, space)
    if g.forced:
        _emit_exploded(g, w, indent, inner)
        return
    w.newline(inner)
    n = len(g.elements)
    for i, e in enumerate(g.elements):
        last = i == n - 1
        need = len(_flat_run(e)) + (len(g.close.text) + rest if last else 1)
        if i:
            if w.col + 1 + need > LINE_LENGTH:
                w.newline(inner)
            else:
                w.text("", True)
        if w.col + need > LINE_LENGTH:
            _emit_run(e, w, inner, len(g.close.text) + rest if last else 1)
        else:
            _emit_run(e, w, inner, 0)
        if not last:
            w.text(",", False)
    w.tok(g.close, False)


def _emit_exploded(g: Group, w: Writer, indent: int, inner: int) -> None:
    """One element per line, each followed by a comma and its comments."""
    leading: list[list[Comment]] = [[] for _ in g.elements]
    after: list[Comment] = []
    for c in sorted(g.comments, key=lambda c: c.pos):
        starts = [i for i, e in enumerate(g.elements) if first_tok(e[0]).pos <= c.pos]
        if not starts:
            (leading[0] if g.elements else after).append(c)
            continue
        i = starts[-1]
        end = last_tok(g.elements[i][-1]).end
        if c.own_line and c.pos > end:
            (leading[i + 1] if i + 1 < len(g.elements) else after).append(c)
        elif last_tok(g.elements[i][-1]).trailing:  # a second comment for this element
            (leading[i + 1] if i + 1 < len(g.elements) else after).append(c)
        else:
            last_tok(g.elements[i][-1]).trailing.append(c)
    n = len(g.elements)
    for i, e in enumerate(g.elements):
        for c in leading[i]:
            w.newline(inner)
            w.text(c.text, False)
        w.newline(inner)
        _emit_run(e, w, inner, 1)
        if i < n - 1 or g.comma_ok:
            w.text(",", False)
    for c in after:
        w.newline(inner)
        w.text(c.text, False)
    w.newline(indent)
    w.tok(g.close, False)


def _one_liner(block: Block) -> str | None:
    """``{ stmt }`` for a compact block holding one simple statement and no comment."""
    if not block.compact or len(block.items) != 1 or block.open.trailing:
        return None
    [stmt] = block.items
    if not isinstance(stmt, Stmt) or any(isinstance(s, Block) for s in stmt.segments):
        return None
    if any(t.trailing for s in stmt.segments for t in _all_toks(s)) or any(
            isinstance(s, Group) and s.forced for s in stmt.segments):
        return None
    return "{ " + _flat_run(stmt.segments) + " }"


def emit_block(block: Block, w: Writer, indent: int, blank: set[int]) -> None:
    inner = indent + INDENT
    if block.open is not None:
        one_line = _one_liner(block)
        if one_line is not None and w.col + 1 + len(one_line) <= LINE_LENGTH:
            w.text(one_line, True)
            w.pending.extend(c.text for c in block.close.trailing)
            return
        w.tok(block.open, True)
        if not block.items:
            w.tok(block.close, False)
            return
    previous = None
    for item in block.items:
        if previous is not None and any(
                line in blank for line in range(previous.end_line + 1, item.start_line)):
            w.blank()
        _emit_item(item, w, inner if block.open is not None else indent, blank)
        previous = item
    if block.close is not None:
        w.newline(indent)
        w.tok(block.close, False)


def _emit_item(item, w: Writer, indent: int, blank: set[int]) -> None:
    w.newline(indent)
    if isinstance(item, CommentItem):
        w.text(item.comment.text, False)
        return
    run: list = []
    for seg in item.segments:
        if isinstance(seg, Block):
            _emit_run(run, w, indent, 2)
            emit_block(seg, w, indent, blank)
            run = []
        else:
            run.append(seg)
    if run:  # after a `}`, `else` / `elif` continue its line
        _emit_run(run, w, indent, 0)
