"""The layout tree of ``slimc fmt``, built from the keep-all-tokens parse tree.

- a :class:`Block` (``{ ... }`` or the file itself) holds statements and own-line comments;
- a :class:`Stmt` is a run of tokens, bracket :class:`Group` s and nested blocks;
- a :class:`Group` (call arguments, list, tuple, parameters, ...) holds comma-separated elements.

Rules without a dedicated case (new grammar rules included) are laid out as runs of tokens with
their bracket pairs as groups.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from lark import Token, Tree

# ---------------------------------------------------------------------------- layout tree


@dataclass(eq=False)
class Comment:
    pos: int
    line: int
    text: str
    own_line: bool


@dataclass(eq=False)
class Tok:
    text: str
    pos: int
    end: int
    line: int
    space: bool = True  # a space before this token when it follows another on a line
    kind: str = ""  # the token type (NAME, LPAR, ...)
    trailing: list[Comment] = field(default_factory=list)


@dataclass(eq=False)
class Group:
    open: Tok
    close: Tok
    elements: list[list]  # each a list of pieces (Tok | Group)
    kind: str  # call | index | list | tuple | dict | paren | params | scope_args
    comments: list[Comment] = field(default_factory=list)

    @property
    def space(self) -> bool:
        return self.open.space

    @property
    def comma_ok(self) -> bool:
        """May a trailing comma follow the last element (needed when laid out one per line)?"""
        if self.kind in ("paren", "index", "generic"):
            return False
        if self.kind == "scope_args":  # arg_scope([a],) is a syntax error
            return len(self.elements) > 1
        return True

    @functools.cached_property
    def forced(self) -> bool:
        """One element per line: a comment inside, or a nested group that must break."""
        return bool(self.comments) or any(
            isinstance(p, Group) and p.forced for e in self.elements for p in e)


@dataclass(eq=False)
class CommentItem:
    comment: Comment

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
class Block:
    open: Tok | None  # None for the file itself
    close: Tok | None
    items: list = field(default_factory=list)  # Stmt | CommentItem
    compact: bool = False  # a branch body: one simple statement stays on the branch's line


@dataclass(eq=False)
class Stmt:
    segments: list  # Tok | Group | Block

    @property
    def start(self) -> int:
        return first_tok(self.segments[0]).pos

    @property
    def end(self) -> int:
        return last_tok(self.segments[-1]).end

    @property
    def start_line(self) -> int:
        return first_tok(self.segments[0]).line

    @property
    def end_line(self) -> int:
        return last_tok(self.segments[-1]).line


def first_tok(piece) -> Tok:
    if isinstance(piece, Tok):
        return piece
    if isinstance(piece, Group):
        return piece.open
    return piece.open


def last_tok(piece) -> Tok:
    if isinstance(piece, Tok):
        return piece
    return piece.close


# ---------------------------------------------------------------------------- tree -> layout


_TIGHT_BEFORE = {"COMMA", "COLON", "DOT"}
#: Rules whose children are laid out as statement segments (blocks stay blocks), besides the
#: grammar's naming convention (``*_stmt``, ``*_def``, ``*_clause``, ``*_alias``).
_STMT_RULES = {"branch"}


def _tok(t: Token, space: bool = True) -> Tok:
    return Tok(str(t), t.start_pos, t.end_pos, t.line, space and t.type not in _TIGHT_BEFORE,
                t.type)


def _tight(pieces: list) -> list:
    """No space before the first piece (after ``=`` of a keyword, a unary minus, a dot)."""
    if pieces:
        first_tok(pieces[0]).space = False
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
    if kind in ("index", "subscript"):
        return _expr(ch[0]) + [_group(ch[1:], "index", tight=True)]
    if kind == "slice":  # 1:3, ::2, i + 1: -- no spaces around the colons
        out: list = []
        tight = False
        for c in ch:
            if c is None:
                continue
            if isinstance(c, Token) and c.type == "COLON":
                out.append(_tok(c, False))
                tight = True
                continue
            pieces = _expr(c)
            out.extend(_tight(pieces) if tight else pieces)
            tight = False
        return out
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
            tight = isinstance(prev, Tok) and prev.kind in _CALLERS
            kind = {"LPAR": "call" if tight else "generic", "LSQB": "index" if tight else "list",
                    "LBRACE": "dict"}[c.type]
            out.append(_group(kids[i:j + 1], kind, tight))
            i = j + 1
            continue
        out.extend(convert(c))
        i += 1
    return out


def _group(children: list, kind: str, tight: bool = False) -> Group:
    opener, closer = children[0], children[-1]
    flat: list = []
    for c in children[1:-1]:
        if isinstance(c, Tree) and c.data in ("arguments", "subscripts"):
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
    return Group(_tok(opener, not tight), _tok(closer, False), elements, kind)


def _block(node: Tree, compact: bool = False) -> Block:
    ch = node.children
    block = Block(_tok(ch[0]), _tok(ch[-1]), compact=compact)
    for c in ch[1:-1]:
        if isinstance(c, Tree):
            block.items.append(_stmt(c))
    return block


def _stmt(node: Tree) -> Stmt:
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

    return Stmt(convert(node))


def build_layout(tree: Tree) -> Block:
    root = Block(None, None)
    for c in tree.children:
        if isinstance(c, Tree):
            root.items.append(_stmt(c))
    return root
