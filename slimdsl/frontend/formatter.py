"""``slimc fmt``: one canonical layout for .slim files, comments kept.

The formatter re-parses the text with the project grammar in *keep-all-tokens* mode, so the parse
tree holds every token (brackets, commas, keywords) with its position, and builds a small layout
tree from it:

- a :class:`_Block` (``{ ... }`` or the file itself) holds statements and own-line comments;
- a :class:`_Stmt` is a run of tokens, bracket :class:`_Group` s and nested blocks;
- a :class:`_Group` (call arguments, list, tuple, parameters, ...) holds comma-separated elements.

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

import functools
from dataclasses import dataclass, field

from lark import Lark, Token, Tree

from ..diagnostics import CompileError
from ..resources import grammar_path
from .parser import _NewlinePostLexer, grammar, parse

#: Lines are filled up to this many columns (comments are not counted).
LINE_LENGTH = 100
INDENT = 2
CONTINUATION = 4


@functools.lru_cache(maxsize=1)
def _full_parser() -> Lark:
    """The project grammar, keeping every token (punctuation included) in the tree."""
    return Lark.open(str(grammar_path()), parser="lalr", lexer="basic",
                     postlex=_NewlinePostLexer(), maybe_placeholders=True,
                     keep_all_tokens=True)


# ---------------------------------------------------------------------------- layout tree


@dataclass(eq=False)
class _Comment:
    pos: int
    line: int
    text: str
    own_line: bool


@dataclass(eq=False)
class _Tok:
    text: str
    pos: int
    end: int
    line: int
    space: bool = True  # a space before this token when it follows another on a line
    kind: str = ""  # the token type (NAME, LPAR, ...)
    trailing: list[_Comment] = field(default_factory=list)


@dataclass(eq=False)
class _Group:
    open: _Tok
    close: _Tok
    elements: list[list]  # each a list of pieces (_Tok | _Group)
    kind: str  # call | index | list | tuple | dict | paren | params | scope_args
    comments: list[_Comment] = field(default_factory=list)

    @property
    def space(self) -> bool:
        return self.open.space

    @property
    def comma_ok(self) -> bool:
        """May a trailing comma follow the last element (needed when laid out one per line)?"""
        if self.kind in ("paren", "index", "dict", "generic"):
            return False
        if self.kind == "scope_args":  # arg_scope([a],) is a syntax error
            return len(self.elements) > 1
        return True

    @functools.cached_property
    def forced(self) -> bool:
        """One element per line: a comment inside, or a nested group that must break."""
        return bool(self.comments) or any(
            isinstance(p, _Group) and p.forced for e in self.elements for p in e)


@dataclass(eq=False)
class _CommentItem:
    comment: _Comment

    @property
    def start_line(self) -> int:
        return self.comment.line

    @property
    def end_line(self) -> int:
        return self.comment.line

    @property
    def start(self) -> int:
        return self.comment.pos


@dataclass(eq=False)
class _Block:
    open: _Tok | None  # None for the file itself
    close: _Tok | None
    items: list = field(default_factory=list)  # _Stmt | _CommentItem
    compact: bool = False  # a branch body: one simple statement stays on the branch's line


@dataclass(eq=False)
class _Stmt:
    segments: list  # _Tok | _Group | _Block

    @property
    def start(self) -> int:
        return _first_tok(self.segments[0]).pos

    @property
    def end(self) -> int:
        return _last_tok(self.segments[-1]).end

    @property
    def start_line(self) -> int:
        return _first_tok(self.segments[0]).line

    @property
    def end_line(self) -> int:
        return _last_tok(self.segments[-1]).line


def _first_tok(piece) -> _Tok:
    if isinstance(piece, _Tok):
        return piece
    if isinstance(piece, _Group):
        return piece.open
    return piece.open


def _last_tok(piece) -> _Tok:
    if isinstance(piece, _Tok):
        return piece
    return piece.close


# ---------------------------------------------------------------------------- tree -> layout


_TIGHT_BEFORE = {"COMMA", "COLON", "DOT"}
#: Rules whose children are laid out as statement segments (blocks stay blocks), besides the
#: grammar's naming convention (``*_stmt``, ``*_def``, ``*_clause``, ``*_alias``).
_STMT_RULES = {"branch"}


def _tok(t: Token, space: bool = True) -> _Tok:
    return _Tok(str(t), t.start_pos, t.end_pos, t.line, space and t.type not in _TIGHT_BEFORE,
                t.type)


def _tight(pieces: list) -> list:
    """No space before the first piece (after ``=`` of a keyword, a unary minus, a dot)."""
    if pieces:
        _first_tok(pieces[0]).space = False
    return pieces


def _expr(node) -> list:
    """The pieces of an expression (or any token run) in source order."""
    if node is None:
        return []
    if isinstance(node, Token):
        return [_tok(node)]
    kind = node.data
    ch = node.children
    if kind == "call":
        return [_tok(ch[0]), _group(ch[1:], "call", tight=True)]
    if kind == "list_lit":
        return [_group(ch, "list")]
    if kind == "tuple_lit":
        return [_group(ch, "tuple")]
    if kind == "dict_lit":
        return [_group(ch, "dict")]
    if kind == "atom":  # "(" expr ")"
        return [_group(ch, "paren")]
    if kind == "index":
        return _expr(ch[0]) + [_group(ch[1:], "index", tight=True)]
    if kind == "attribute":
        return _expr(ch[0]) + [_tok(ch[1], False), _tok(ch[2], False)]
    if kind == "neg":
        return [_tok(ch[0])] + _tight(_expr(ch[1]))
    if kind == "keyword":
        return [_tok(ch[0]), _tok(ch[1], False)] + _tight(_expr(ch[2]))
    return _seq(ch, _expr)


_CLOSERS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
#: A bracket right after one of these is a call's (no space): `f(`, `arg_scope(`, `x[`.
_CALLERS = {"NAME", "ARG_SCOPE"}


def _seq(children: list, convert) -> list:
    """Pieces of a run of children, turning each bracket pair among them into a group.

    Rules without a dedicated case (new grammar rules included) are laid out this way.
    """
    kids = [c for c in children if c is not None]
    out: list = []
    i = 0
    while i < len(kids):
        c = kids[i]
        if isinstance(c, Token) and c.type in _CLOSERS:
            depth, j = 0, i
            for j in range(i, len(kids)):
                k = kids[j]
                if isinstance(k, Token) and k.type == c.type:
                    depth += 1
                elif isinstance(k, Token) and k.type == _CLOSERS[c.type]:
                    depth -= 1
                    if depth == 0:
                        break
            prev = out[-1] if out else None
            tight = isinstance(prev, _Tok) and prev.kind in _CALLERS
            kind = {"LPAR": "call" if tight else "generic", "LSQB": "index" if tight else "list",
                    "LBRACE": "dict"}[c.type]
            out.append(_group(kids[i:j + 1], kind, tight))
            i = j + 1
            continue
        out.extend(convert(c))
        i += 1
    return out


def _group(children: list, kind: str, tight: bool = False) -> _Group:
    opener, closer = children[0], children[-1]
    flat: list = []
    for c in children[1:-1]:
        if isinstance(c, Tree) and c.data == "arguments":
            flat.extend(c.children)
        else:
            flat.append(c)
    elements: list[list] = [[]]
    pending: list = []
    for c in flat + [None]:
        if c is None or (isinstance(c, Token) and c.type == "COMMA"):
            if pending:
                elements[-1].extend(_seq(pending, _expr))
                pending = []
            if c is not None:
                elements.append([])
            continue
        pending.append(c)
    if not elements[-1]:
        elements.pop()
    for e in elements:
        _tight(e)
    return _Group(_tok(opener, not tight), _tok(closer, False), elements, kind)


def _block(node: Tree, compact: bool = False) -> _Block:
    ch = node.children
    block = _Block(_tok(ch[0]), _tok(ch[-1]), compact=compact)
    for c in ch[1:-1]:
        if isinstance(c, Tree):
            block.items.append(_stmt(c))
    return block


def _stmt(node: Tree) -> _Stmt:
    def convert(n) -> list:
        if isinstance(n, Token):
            return [] if n.type == "_NL" else [_tok(n)]
        if n.data in ("body", "branches"):
            return [_block(n)]
        if n.data == "branch":  # `Branch_0 { conv2d(64, 1) as Conv2d_0a_1x1 }` stays compact
            return _seq(n.children[:-1], convert) + [_block(n.children[-1], compact=True)]
        if n.data == "param_list":
            return [_group(n.children, "params", tight=True)]
        if n.data == "arg_scope_stmt":
            return ([_tok(n.children[0]), _group(n.children[1:-1], "scope_args", tight=True),
                     _block(n.children[-1])])
        if n.data in _STMT_RULES or n.data.endswith(("_stmt", "_def", "_clause", "_alias")):
            return _seq(n.children, convert)
        return _expr(n)

    return _Stmt(convert(node))


def _file(tree: Tree) -> _Block:
    root = _Block(None, None)
    for c in tree.children:
        if isinstance(c, Tree):
            root.items.append(_stmt(c))
    return root


# ---------------------------------------------------------------------------- comments


def _comments(text: str) -> list[_Comment]:
    out = []
    for t in grammar().lex(text, dont_ignore=True):
        if t.type == "COMMENT":
            line_start = text.rfind("\n", 0, t.start_pos) + 1
            own = text[line_start:t.start_pos].strip() == ""
            out.append(_Comment(t.start_pos, t.line, str(t).rstrip(), own))
    return out


def _place_in_block(c: _Comment, block: _Block) -> None:
    k = 0
    for item in block.items:
        if isinstance(item, _Stmt) and item.start <= c.pos < item.end:
            _place_in_stmt(c, item)
            return
        if item.start < c.pos:
            k += 1
    if c.own_line:
        block.items.insert(k, _CommentItem(c))
    elif k > 0 and isinstance(block.items[k - 1], _Stmt):
        _last_tok(block.items[k - 1].segments[-1]).trailing.append(c)
    elif block.open is not None:
        block.open.trailing.append(c)
    else:  # pragma: no cover - a trailing comment always follows some token
        block.items.insert(k, _CommentItem(c))


def _place_in_stmt(c: _Comment, stmt: _Stmt) -> None:
    previous: _Tok | None = None
    for i, seg in enumerate(stmt.segments):
        first, last = _first_tok(seg), _last_tok(seg)
        if isinstance(seg, _Block) and first.pos < c.pos < last.end:
            _place_in_block(c, seg)
            return
        if isinstance(seg, _Group) and first.pos < c.pos < last.end:
            _place_in_group(c, seg)
            return
        if first.pos > c.pos:
            # Between tokens of a statement (e.g. between `}` and `else`): an own-line comment
            # moves into the next block, a trailing one stays after the token it follows.
            if c.own_line:
                for later in stmt.segments[i:]:
                    if isinstance(later, _Block):
                        later.items.insert(0, _CommentItem(c))
                        return
            break
        previous = last
    (previous or _first_tok(stmt.segments[0])).trailing.append(c)


def _place_in_group(c: _Comment, group: _Group) -> None:
    for element in group.elements:
        for piece in element:
            if isinstance(piece, _Group) and piece.open.pos < c.pos < piece.close.end:
                _place_in_group(c, piece)
                return
    group.comments.append(c)


# ---------------------------------------------------------------------------- printing


class _Writer:
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

    def tok(self, tok: _Tok, space: bool | None = None) -> None:
        self.text(tok.text, tok.space if space is None else space)
        self.pending.extend(c.text for c in tok.trailing)


def _flat(piece) -> str:
    if isinstance(piece, _Tok):
        return piece.text
    inner = ", ".join(_flat_run(e) for e in piece.elements)
    if piece.kind == "tuple" and len(piece.elements) == 1:
        inner += ","
    return piece.open.text + inner + piece.close.text


def _flat_run(pieces: list) -> str:
    out = ""
    for i, p in enumerate(pieces):
        if i and _first_tok(p).space:
            out += " "
        out += _flat(p)
    return out


def _width(piece) -> int:
    """Columns the piece takes on the current line (only the opener when it must break)."""
    if isinstance(piece, _Group) and piece.forced:
        return len(piece.open.text)
    return len(_flat(piece))


def _emit_run(pieces: list, w: _Writer, indent: int, tail: int) -> None:
    """Write pieces on the current line, breaking groups that do not fit."""
    for i, p in enumerate(pieces):
        space = bool(i) and _first_tok(p).space
        if isinstance(p, _Tok):
            w.tok(p, space if i else None)
            continue
        rest = tail + sum(_width(q) + (1 if _first_tok(q).space else 0) for q in pieces[i + 1:])
        fits = w.col + (1 if space else 0) + len(_flat(p)) + rest <= LINE_LENGTH
        if p.kind == "dict" or (fits and not p.forced):
            w.text(_flat(p), space if i else p.space)
            for tok in _all_toks(p):
                w.pending.extend(c.text for c in tok.trailing)
        else:
            _emit_broken(p, w, indent, rest, space if i else p.space)


def _all_toks(piece):
    if isinstance(piece, _Tok):
        yield piece
        return
    yield piece.open
    for e in piece.elements:
        for q in e:
            yield from _all_toks(q)
    yield piece.close


def _emit_broken(g: _Group, w: _Writer, indent: int, rest: int, space: bool) -> None:
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


def _emit_exploded(g: _Group, w: _Writer, indent: int, inner: int) -> None:
    """One element per line, each followed by a comma and its comments."""
    leading: list[list[_Comment]] = [[] for _ in g.elements]
    after: list[_Comment] = []
    for c in sorted(g.comments, key=lambda c: c.pos):
        starts = [i for i, e in enumerate(g.elements) if _first_tok(e[0]).pos <= c.pos]
        if not starts:
            (leading[0] if g.elements else after).append(c)
            continue
        i = starts[-1]
        end = _last_tok(g.elements[i][-1]).end
        if c.own_line and c.pos > end:
            (leading[i + 1] if i + 1 < len(g.elements) else after).append(c)
        elif _last_tok(g.elements[i][-1]).trailing:  # a second comment for this element
            (leading[i + 1] if i + 1 < len(g.elements) else after).append(c)
        else:
            _last_tok(g.elements[i][-1]).trailing.append(c)
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


def _one_liner(block: _Block) -> str | None:
    """``{ stmt }`` for a compact block holding one simple statement and no comment."""
    if not block.compact or len(block.items) != 1 or block.open.trailing:
        return None
    [stmt] = block.items
    if not isinstance(stmt, _Stmt) or any(isinstance(s, _Block) for s in stmt.segments):
        return None
    if any(t.trailing for s in stmt.segments for t in _all_toks(s)) or any(
            isinstance(s, _Group) and s.forced for s in stmt.segments):
        return None
    return "{ " + _flat_run(stmt.segments) + " }"


def _emit_block(block: _Block, w: _Writer, indent: int, blank: set[int]) -> None:
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


def _emit_item(item, w: _Writer, indent: int, blank: set[int]) -> None:
    w.newline(indent)
    if isinstance(item, _CommentItem):
        w.text(item.comment.text, False)
        return
    run: list = []
    for seg in item.segments:
        if isinstance(seg, _Block):
            _emit_run(run, w, indent, 2)
            _emit_block(seg, w, indent, blank)
            run = []
        else:
            run.append(seg)
    if run:  # after a `}`, `else` / `elif` continue its line
        _emit_run(run, w, indent, 0)


# ---------------------------------------------------------------------------- API


def format_source(text: str, path: str = "<string>") -> str:
    """The canonical layout of ``text``; raises :class:`CompileError` if it does not parse."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")
    parse(text, path)  # syntax errors become diagnostics, with the parser's messages
    try:
        tree = _full_parser().parse(text)
    except Exception as exc:  # pragma: no cover - parse() above accepted the same grammar
        raise CompileError([]) from exc
    root = _file(tree)
    for c in _comments(text):
        _place_in_block(c, root)
    blank = {i for i, line in enumerate(text.split("\n"), 1) if not line.strip()}
    w = _Writer()
    _emit_block(root, w, 0, blank)
    w.flush()
    while w.lines and w.lines[-1] == "":
        w.lines.pop()
    return "\n".join(w.lines) + "\n" if w.lines else ""


def is_formatted(text: str, path: str = "<string>") -> bool:
    """True when :func:`format_source` would not change ``text``."""
    return format_source(text, path) == text
