"""Stage 1, parse: .slim text -> :class:`slimdsl.frontend.tree.File`.

The lexer (:mod:`.lexer`) and the LALR parser loop (:mod:`.lalr`) run on the grammar's tables
(:mod:`.tables`, Lark's analysis of ``grammar/slim.lark``, cached on disk); each reduction builds
its :mod:`slimdsl.frontend.tree` node at once (:mod:`.builder`), with no parse tree in between
and no recursion, so deeply nested input cannot overflow the Python stack. Syntax errors become
:class:`~slimdsl.diagnostics.Diagnostic` records with Lark's wording of what was expected.
"""

from __future__ import annotations

import functools

from .. import diagnostics as dg
from ..diagnostics import CompileError, Diagnostics, Span
from ..records import replace
from . import tree as n
from .builder import AstBuilder
from .builder import token_span as _token_span
from .lalr import Parser, UnexpectedToken
from .lexer import (
    KEYWORDS,
    MAX_NESTING,
    Lexer,
    NestingTooDeep,
    Token,
    UnexpectedCharacters,
    make_token,
)
from .tables import start_tables, tables

#: Longest source accepted (files are read up to this many bytes). The largest model of the
#: zoo is 9 KB; parsing costs ~2 us a token, so this bounds the time any input can take.
MAX_SOURCE_BYTES = 1 << 20


@functools.lru_cache(maxsize=1)
def front_end() -> tuple[Lexer, Parser]:
    """The lexer and parser of whole files, built once per process."""
    t = tables()
    return Lexer(t), Parser(t)


def parse(text: str, path: str = "<string>") -> n.File:
    """Parse .slim source text into a syntax tree; raise :class:`CompileError` on bad syntax."""
    diags = Diagnostics()
    text = check_source(text, path, diags)
    lexer, parser = front_end()
    tokens, error = lexer.tokens(text)
    file = run_parser(parser, tokens, error, AstBuilder(path, diags), text, path)
    if diags.has_errors:
        raise CompileError(diags.items)
    return file


@functools.lru_cache(maxsize=1)
def _expression_parser() -> Parser:
    return Parser(start_tables("expr"))


def parse_expression(text: str, path: str = "<value>",
                     origin: tuple[int, int] = (1, 1)) -> n.Expr:
    """Parse one expression: a ``-D`` value such as ``leaky_relu(alpha=0.1)``, or the
    ``{i + 1}`` of an interpolated string, whose first character is at ``origin`` (line,
    column) of ``path``; raise :class:`CompileError` on bad syntax."""
    diags = Diagnostics()
    line, column = origin
    tokens, error = front_end()[0].tokens(text, line=line, column=column)
    try:
        expr = run_parser(_expression_parser(), tokens, error, AstBuilder(path, diags), text,
                          path, "expr")
    except CompileError as exc:
        if origin != (1, 1):  # "end of file" is placed from the text alone: move it
            end = column + len(text.rstrip())
            exc.diagnostics = [replace(d, span=Span.point(path, line, end))
                               if "end of file" in d.message else d for d in exc.diagnostics]
        raise
    if diags.has_errors:
        raise CompileError(diags.items)
    return expr


def check_source(text: str, path: str, diags: Diagnostics) -> str:
    """``text`` without a BOM; raise CompileError for a text too large or with a NUL byte."""
    if len(text) > MAX_SOURCE_BYTES:
        diags.error(Span.point(path, 1, 1), dg.IO,
                    f"source too large: {len(text):,} characters (slimc reads at most "
                    f"{MAX_SOURCE_BYTES:,})")
        raise CompileError(diags.items)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        col = text.index("\x00") - (text.rfind("\n", 0, text.index("\x00")) + 1) + 1
        diags.error(Span.point(path, line, col), dg.ENCODING,
                    "file contains a NUL byte; .slim files are UTF-8 text")
        raise CompileError(diags.items)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def run_parser(parser: Parser, tokens: list[Token], error: Exception | None,
               builder: AstBuilder, text: str, path: str, start: str = "start"):
    """Parse lexed tokens (and the lexer's ``error``, reported if the parser gets that far);
    raise CompileError with the syntax error, as Lark's parser would meet them.

    A syntax error is the only diagnostic then: what the builder found in the text before it
    (a bad escape, say) is dropped, as it was when the tree was built after parsing.
    """
    diags = builder.diags
    before = len(diags.items)
    last = tokens[-1] if tokens else None
    end = None
    if error is None:  # Lark's $END borrows the last token's position
        end = (make_token("$END", "", *last[2:]) if last is not None
               else make_token("$END", "", 1, 1, 1, 1, 0))
    try:
        result = parser.parse(tokens, builder, start, end)
    except UnexpectedToken as exc:
        error = exc
    if error is None:
        return result
    del diags.items[before:]
    if isinstance(error, NestingTooDeep):
        diags.error(_token_span(path, error.token), dg.TOO_DEEP,
                    f"brackets and blocks nested more than {MAX_NESTING} deep")
    else:
        diags.items.append(syntax_diagnostic(error, text, path))
    raise CompileError(diags.items)


# ---------------------------------------------------------------------------- syntax errors

_TOKEN_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "_NL": "end of line",
    "$END": "end of file", "COMP_OP": "a comparison",
}
_PUNCT = {
    "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "LBRACE": "{", "RBRACE": "}",
    "COMMA": ",", "COLON": ":", "EQUAL": "=", "DOT": ".", "PLUS": "+", "MINUS": "-",
    "STAR": "*", "SLASH": "/", "DOUBLESLASH": "//", "PERCENT": "%", "QMARK": "?", "_AS": "as",
    "ELLIPSIS": "...",
}


def _describe_terminal(name: str) -> str:
    if name in _TOKEN_WORDS:
        return _TOKEN_WORDS[name]
    if name in _PUNCT:
        return f"'{_PUNCT[name]}'"
    return f"'{name.lower()}'"


def _describe_token(tok: Token) -> str:
    if tok.type == "_NL":
        return "end of line"
    if tok.type == "$END":
        return "end of file"
    text = str(tok)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"'{text}'"


def _end_of_text(text: str, path: str) -> Span:
    """The position just after the last non-blank character: where "end of file" is seen."""
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    col = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return Span.point(path, line, col)


def syntax_diagnostic(exc: Exception, text: str, path: str) -> dg.Diagnostic:
    """The diagnostic of the lexer's UnexpectedCharacters or the parser's UnexpectedToken
    (which carry what Lark's exceptions of the same names carry)."""
    notes: list[dg.Note] = []
    if isinstance(exc, UnexpectedCharacters):
        span = Span.point(path, exc.line, exc.column)
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        if char in "\"'":
            message = "unterminated string (strings end on the line they start)"
        elif char == "\t" or char.isspace():
            message = f"unexpected whitespace character {char!r}"
        elif char.isprintable() and char:
            message = f"unexpected character '{char}'"
        else:
            message = f"unexpected character {char!r}"
        if char and not char.isascii() and char.isalpha():
            notes.append(dg.Note("names are ASCII letters, digits and '_'"))
    elif isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            span = _end_of_text(text, path)
        else:
            span = _token_span(path, tok)
        expected = sorted({_describe_terminal(t) for t in exc.expected if not t.startswith("__")})
        message = f"unexpected {_describe_token(tok)}"
        if tok.type == "$END" and "'}'" in expected:
            message = "unexpected end of file: a '{' block is not closed"
            expected = []
        elif str(tok) in KEYWORDS and tok.type == str(tok).upper():
            message = f"unexpected keyword '{tok}'"
            if str(tok) == "scope":
                notes.append(dg.Note("a layer's scope is given after the call: "
                                     "conv2d(64, 3) as conv1"))
            else:
                notes.append(dg.Note(f"'{tok}' is a reserved word and cannot be a name"))
            expected = []
        if expected:
            if len(expected) > 6:
                expected = expected[:6] + ["..."]
            notes.append(dg.Note("expected " + ", ".join(expected)))
        if tok.type == "NAME" and str(tok) in ("True", "False", "None"):
            notes.append(dg.Note(f"write '{str(tok).lower()}'"))
    else:  # pragma: no cover - the lexer and the parser raise only the two above
        span = Span.point(path, 1, 1)
        message = str(exc).splitlines()[0]
    return dg.Diagnostic(span, "error", dg.SYNTAX.name, message, tuple(notes))
