"""The lexer of the front end: text -> tokens, exactly as Lark's basic lexer and the grammar's
newline post-lexer (:class:`slimdsl.frontend.grammar.NewlinePostLexer`) would make them.

The terminals, their order of preference and the keywords come from the grammar through
:mod:`.tables`; one compiled regular expression tries them in that order, as Lark's scanner
does, and keywords are names re-typed by their text, as Lark's ``UnlessCallback`` does.
Tokens are tuples that read like Lark's (:class:`Token`): making 70,000 Lark ``Token`` objects
took longer than parsing them.

The post-lexer's rules, applied in the same pass: newlines inside ``(...)``, ``[...]`` and dict
literals ``{k: v}`` (:func:`opens_dict`) are dropped, runs of newlines collapse to their first,
a newline right before ``else``/``elif`` is dropped (so ``}`` and ``else {`` may sit on separate
lines), and brackets and blocks nested more than :data:`MAX_NESTING` deep stop the lexer.
"""

from __future__ import annotations

import re
from operator import itemgetter

from .tables import Tables

#: Brackets and blocks nested deeper than this are a diagnostic, not a stack overflow.
MAX_NESTING = 64

#: Reserved words of the grammar (they cannot be used as names).
KEYWORDS = ("model", "block", "def", "import", "input", "output", "end_point", "arg_scope", "scope",
            "if", "elif", "else", "for", "in", "assert", "as", "and", "or", "not")

OPENERS = frozenset({"LPAR", "LSQB", "LBRACE"})
CLOSERS = frozenset({"RPAR", "RSQB", "RBRACE"})
#: Inside (...), [...] and a dict literal {k: v} newlines are insignificant.
NL_EATERS = frozenset({"LPAR", "LSQB", "DICT"})
#: A ``{`` after one of these tokens (type or text) starts a dict literal, not a body: it
#: stands where an expression starts (``= {``, ``, {``, ``+ {``...). Inside brackets every
#: ``{`` is a dict.
BEFORE_DICT = frozenset({"EQUAL", "COLON", "COMMA", "LPAR", "LSQB", "PLUS", "MINUS", "STAR",
                         "SLASH", "PERCENT", "COMP_OP", "IN", "NOT", "AND", "OR", "IF", "//",
                         "**"})


def opens_dict(stack: list[str], previous) -> bool:
    """Does a ``{`` after the token ``previous`` (None at the start) open a dict literal?"""
    return bool(stack and stack[-1] in NL_EATERS) or (previous is not None and (
        previous[0] in BEFORE_DICT or previous[1] in BEFORE_DICT))


class Token(tuple):
    """A token: the tuple (type, value, line, column, end_line, end_column, start_pos), which
    also reads like a Lark ``Token``: ``tok.type``, ``tok.value``, ``tok.line``, ...; its
    ``str()`` is its text. ``end_line``/``end_column`` are just after it, as in Lark."""

    __slots__ = ()
    type = property(itemgetter(0))
    value = property(itemgetter(1))
    line = property(itemgetter(2))
    column = property(itemgetter(3))
    end_line = property(itemgetter(4))
    end_column = property(itemgetter(5))
    start_pos = property(itemgetter(6))

    def __str__(self) -> str:
        return self[1]

    def __repr__(self) -> str:
        return f"Token({self[0]!r}, {self[1]!r}, {self[2]}:{self[3]})"


def make_token(kind: str, value: str, line: int, column: int, end_line: int, end_column: int,
               start_pos: int) -> Token:
    """A :class:`Token` from its fields."""
    return _new(Token, (kind, value, line, column, end_line, end_column, start_pos))


_new = tuple.__new__


class NestingTooDeep(Exception):
    """Brackets and blocks nested deeper than :data:`MAX_NESTING`; carries the token (a token
    tuple, or a Lark ``Token`` from :class:`~slimdsl.frontend.grammar.NewlinePostLexer`)."""

    def __init__(self, token):
        super().__init__("nesting too deep")
        self.token = token


class UnexpectedCharacters(Exception):
    """No terminal matches at offset ``pos_in_stream`` (``line``:``column``), as Lark's
    exception of that name says."""

    def __init__(self, pos_in_stream: int, line: int, column: int):
        super().__init__(f"no token at {line}:{column}")
        self.pos_in_stream = pos_in_stream
        self.line = line
        self.column = column


class Lexer:
    """Tokens of a text (or of a slice of it) for the LALR tables of :mod:`.tables`."""

    def __init__(self, tables: Tables):
        terminals = "|".join(f"(?P<{name}>{rx})" for name, rx in tables.terminals)
        self.keywords = tables.keywords
        self.ignore = tables.ignore
        self.newline_types = tables.newline_types
        # Spaces are skipped by the same match as the token after them (a third of all matches
        # are spaces): Lark's ordered alternatives do the same where no terminal tried before a
        # skipped one can start as it does, which the tables checked (Tables.skip).
        if tables.skip:
            prefix = "(?:" + "|".join(rx for name, rx in tables.terminals
                                      if name in tables.skip) + ")*"
            self.regex = re.compile(f"{prefix}(?:{terminals})")
        else:
            self.regex = re.compile(terminals)

    def tokens(self, text: str, pos: int = 0, end: int | None = None, line: int = 1,
               column: int = 1, depth: int = 0) -> tuple[list[Token], Exception | None]:
        """The post-lexed tokens of ``text[pos:end]`` and the error that stopped the lexer.

        ``line``/``column`` are those of ``pos``; ``depth`` is the number of blocks already
        open around it (for :data:`MAX_NESTING`). On an error the tokens are those Lark's
        parser would have received before the lexer raised: the parser must see them first,
        since a syntax error among them is the one Lark reports.
        """
        if end is None:
            end = len(text)
        tokens: list[Token] = []
        append = tokens.append
        match = self.regex.scanner(text, pos, end).match
        ignore, newline_types, keywords = self.ignore, self.newline_types, self.keywords
        new = _new
        line_start = pos - column + 1
        stack = ["LBRACE"] * depth
        pending = None
        error: Exception | None = None
        m = last = None
        while True:
            m = match()
            if m is None:
                break
            last = m
            kind = m.lastgroup
            value = m.group(kind)
            start = m.start(kind)
            col = start - line_start + 1
            if kind in newline_types and "\n" in value:
                end_line = line + value.count("\n")
                line_start = start + value.rindex("\n") + 1
                tok = new(Token, (kind, value, line, col, end_line, m.end() - line_start + 1,
                                  start))
                line = end_line
                if kind in ignore:
                    continue
            elif kind in ignore:
                continue
            else:
                if kind in keywords:
                    kind = keywords[kind].get(value, kind)
                tok = new(Token, (kind, value, line, col, line, col + len(value), start))
            if kind == "_NL":
                if stack and stack[-1] in NL_EATERS:
                    continue
                if pending is None:
                    pending = tok
                continue
            if pending is not None:
                if kind != "ELSE" and kind != "ELIF":
                    append(pending)
                pending = None
            if kind in OPENERS:
                stack.append("DICT" if kind == "LBRACE" and opens_dict(
                    stack, tokens[-1] if tokens else None) else kind)
                if len(stack) > MAX_NESTING:
                    error = NestingTooDeep(tok)
                    break
            elif kind in CLOSERS and stack:
                stack.pop()
            append(tok)
        if error is None:
            here = last.end() if last is not None else pos
            if here < end:  # Lark's lexer raises before its post-lexer yields a pending newline
                error = UnexpectedCharacters(here, line, here - line_start + 1)
            elif pending is not None:
                append(pending)
        return tokens, error
