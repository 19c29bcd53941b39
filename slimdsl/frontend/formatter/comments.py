"""Comments of ``slimc fmt``: lexed from the text (the grammar ignores them) and placed by
position in the layout tree.

A comment goes inside the innermost group that contains it (which then lays out one element per
line), becomes an own-line item of the enclosing block, or trails the token it follows.
"""

from __future__ import annotations

from ..grammar import grammar
from .layout import Block, Comment, CommentItem, Group, Stmt, Tok, first_tok, last_tok

# ---------------------------------------------------------------------------- comments


def lex_comments(text: str) -> list[Comment]:
    out = []
    for t in grammar().lex(text, dont_ignore=True):
        if t.type == "COMMENT":
            line_start = text.rfind("\n", 0, t.start_pos) + 1
            own = text[line_start:t.start_pos].strip() == ""
            out.append(Comment(t.start_pos, t.line, str(t).rstrip(), own))
    return out


def place_in_block(c: Comment, block: Block) -> None:
    k = 0
    for item in block.items:
        if isinstance(item, Stmt) and item.start <= c.pos < item.end:
            _place_in_stmt(c, item)
            return
        if item.start < c.pos:
            k += 1
    if c.own_line:
        block.items.insert(k, CommentItem(c))
    elif k > 0 and isinstance(block.items[k - 1], Stmt):
        last_tok(block.items[k - 1].segments[-1]).trailing.append(c)
    elif block.open is not None:
        block.open.trailing.append(c)
    else:  # pragma: no cover - a trailing comment always follows some token
        block.items.insert(k, CommentItem(c))


def _place_in_stmt(c: Comment, stmt: Stmt) -> None:
    previous: Tok | None = None
    for i, seg in enumerate(stmt.segments):
        first, last = first_tok(seg), last_tok(seg)
        if isinstance(seg, Block) and first.pos < c.pos < last.end:
            place_in_block(c, seg)
            return
        if isinstance(seg, Group) and first.pos < c.pos < last.end:
            _place_in_group(c, seg)
            return
        if first.pos > c.pos:
            # Between tokens of a statement (e.g. between `}` and `else`): an own-line comment
            # moves into the next block, a trailing one stays after the token it follows.
            if c.own_line:
                for later in stmt.segments[i:]:
                    if isinstance(later, Block):
                        later.items.insert(0, CommentItem(c))
                        return
            break
        previous = last
    (previous or first_tok(stmt.segments[0])).trailing.append(c)


def _place_in_group(c: Comment, group: Group) -> None:
    for element in group.elements:
        for piece in element:
            if isinstance(piece, Group) and piece.open.pos < c.pos < piece.close.end:
                _place_in_group(c, piece)
                return
    group.comments.append(c)
