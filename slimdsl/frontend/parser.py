"""Stage 1, parse: .slim text -> :class:`slimdsl.frontend.tree.File`.

The Lark parser (:func:`slimdsl.frontend.grammar.grammar`) builds a tree with positions; it is
turned into :mod:`slimdsl.frontend.tree` nodes by a separate, non-recursive pass so that deeply
nested input cannot overflow the Python stack. Lark's exceptions never leave this module: they
become :class:`~slimdsl.diagnostics.Diagnostic` records.
"""

from __future__ import annotations

import re
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .. import diagnostics as dg
from ..diagnostics import CompileError, Diagnostics, Span
from . import tree as n
from .grammar import KEYWORDS, MAX_NESTING, NestingTooDeep, expression_parser, grammar

#: Longest source accepted (files are read up to this many bytes). The largest model of the
#: zoo is 9 KB; parsing costs ~10 us a token, so this bounds the time any input can take.
MAX_SOURCE_BYTES = 1 << 20


def parse(text: str, path: str = "<string>") -> n.File:
    """Parse .slim source text into a syntax tree; raise :class:`CompileError` on bad syntax."""
    diags = Diagnostics()
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
    try:
        tree = grammar().parse(text)
    except NestingTooDeep as exc:
        tok = exc.token
        diags.error(_token_span(path, tok), dg.TOO_DEEP,
                    f"brackets and blocks nested more than {MAX_NESTING} deep")
        raise CompileError(diags.items) from None
    except UnexpectedInput as exc:
        diags.items.append(_syntax_diagnostic(exc, text, path))
        raise CompileError(diags.items) from None
    builder = _ToAst(path, diags)
    file = builder.transform(tree)
    if diags.has_errors:
        raise CompileError(diags.items)
    return file


def parse_expression(text: str, path: str = "<value>") -> n.Expr:
    """Parse one expression (a ``-D`` value such as ``leaky_relu(alpha=0.1)``); raise
    :class:`CompileError` on bad syntax."""
    diags = Diagnostics()
    try:
        tree = expression_parser().parse(text)
    except NestingTooDeep as exc:
        diags.error(_token_span(path, exc.token), dg.TOO_DEEP,
                    f"brackets nested more than {MAX_NESTING} deep")
        raise CompileError(diags.items) from None
    except UnexpectedInput as exc:
        diags.items.append(_syntax_diagnostic(exc, text, path))
        raise CompileError(diags.items) from None
    expr = _ToAst(path, diags).transform(tree)
    if diags.has_errors:
        raise CompileError(diags.items)
    return expr


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


def _token_span(path: str, tok: Token) -> Span:
    line = tok.line or 1
    col = tok.column or 1
    end_line = tok.end_line or line
    end_col = tok.end_column or col + 1
    if tok.type == "_NL":  # point at the end of the line, not at the newline's next line
        end_line, end_col = line, col + 1
    return Span(path, line, col, end_line, max(end_col, col + 1) if end_line == line else end_col)



def _end_of_text(text: str, path: str) -> Span:
    """The position just after the last non-blank character: where "end of file" is seen."""
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    col = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return Span.point(path, line, col)


def _syntax_diagnostic(exc: UnexpectedInput, text: str, path: str) -> dg.Diagnostic:
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
    elif isinstance(exc, UnexpectedEOF):
        span = _end_of_text(text, path)
        message = "unexpected end of file"
    else:  # pragma: no cover - Lark raises only the three above
        span = Span.point(path, 1, 1)
        message = str(exc).splitlines()[0]
    return dg.Diagnostic(span, "error", dg.SYNTAX.name, message, tuple(notes))


# ---------------------------------------------------------------------------- tree -> nodes

_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)")


def _meta_span(path: str, meta) -> Span:
    if getattr(meta, "empty", True):
        return Span.point(path, 1, 1)
    return Span(path, meta.line, meta.column, meta.end_line, meta.end_column)


class _ToAst:
    """Builds :mod:`.tree` nodes from Lark's tree; collects bad escapes as diagnostics.

    One method per grammar rule (and alias), called as ``method(meta, children)`` with the
    children already built. The walk is a loop over an explicit stack, so no tree is too
    deep for it (a long ``a + b + ...`` chain nests as deep as it is long). Lark's own
    Transformer does the same, but wraps the method anew for every node it visits.
    """

    def __init__(self, path: str, diags: Diagnostics, origin: tuple[int, int] | None = None):
        self.path = path
        self.diags = diags
        self._handlers: dict[str, Any] = {}
        #: (line, column) of the text's first character when it is a piece of a line (an
        #: interpolated expression), else None.
        self.origin = origin
        if origin is None:  # the common case without the shift (a call per node saved)
            self._span = lambda meta: _meta_span(path, meta)  # type: ignore[method-assign]

    def transform(self, tree: Tree) -> Any:
        """The AST of ``tree``: children first, then their rule's method (post-order)."""
        handlers = self._handlers
        results: list[Any] = []
        stack: list[tuple[Any, bool]] = [(tree, False)]
        while stack:
            node, expanded = stack.pop()
            if not isinstance(node, Tree):  # a Token, or None for an absent [optional] part
                results.append(node)
            elif not expanded:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
            else:
                start = len(results) - len(node.children)
                children = results[start:]
                del results[start:]
                handler = handlers.get(node.data)
                if handler is None:
                    handler = handlers[node.data] = getattr(self, node.data)
                results.append(handler(node.meta, children))
        return results[0]

    # -- helpers
    def _span(self, meta) -> Span:
        return self._shift(_meta_span(self.path, meta))

    def _tok_span(self, tok: Token) -> Span:
        return self._shift(_token_span(self.path, tok))

    def _shift(self, span: Span) -> Span:
        if self.origin is None:
            return span
        line, col = self.origin
        return Span(span.path, line, span.column + col - 1, line, span.end_column + col - 1)

    def _interpolation(self, tok: Token) -> tuple[str | n.Expr, ...] | None:
        """The pieces of a string with ``{expr}`` interpolations (None without any): text
        (``{{`` and ``}}`` are braces) and the expressions, parsed here."""
        raw = str(tok)[1:-1]
        if "{" not in raw and "}" not in raw:
            return None
        parts: list[str | n.Expr] = []
        literal, i = "", 0
        while i < len(raw):
            c = raw[i]
            if c == "\\":
                literal += raw[i:i + 2]
                i += 2
            elif raw.startswith(("{{", "}}"), i):
                literal += c
                i += 2
            elif c == "{":
                j = raw.find("}", i)
                if j < 0 or "\\" in raw[i:j]:
                    self._string_error(tok, i, "an interpolation {...} ends with '}' on the same "
                                       "string, without backslashes (write {{ for a brace)")
                    return None
                if literal:
                    parts.append(self._unescape(literal, tok))
                literal = ""
                parts.append(self._interpolated(raw[i + 1:j], tok, i + 1))
                i = j + 1
            elif c == "}":
                self._string_error(tok, i, "a '}' without its '{' (write }} for a brace)")
                return None
            else:
                literal += c
                i += 1
        if literal:
            parts.append(self._unescape(literal, tok))
        return tuple(parts)

    def _interpolated(self, text: str, tok: Token, offset: int) -> n.Expr:
        """One ``{...}`` of a string at ``offset`` in its body: a name, or any expression."""
        origin = (tok.line or 1, (tok.column or 1) + 1 + offset)
        stripped = text.strip()
        lead = len(text) - len(text.lstrip())
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", stripped):  # the common case, no parser
            col = origin[1] + lead
            return n.Name(Span(self.path, origin[0], col, origin[0], col + len(stripped)),
                          stripped)
        try:
            tree = expression_parser().parse(text)
        except NestingTooDeep:
            self._string_error(tok, offset, "brackets nested too deep in an interpolation")
            return n.Unknown(self._tok_span(tok))
        except UnexpectedInput as exc:
            d = _syntax_diagnostic(exc, text, self.path)
            shifted = _ToAst(self.path, self.diags, origin)._shift(d.span)
            message = d.message.replace("end of file", "end")
            self.diags.items.append(dg.Diagnostic(shifted, d.severity, d.code,
                                                  f"in the interpolation {{{text}}}: {message}",
                                                  d.notes))
            return n.Unknown(self._tok_span(tok))
        return _ToAst(self.path, self.diags, origin).transform(tree)

    def _string_error(self, tok: Token, offset: int, message: str) -> None:
        col = (tok.column or 1) + 1 + offset
        self.diags.error(Span(self.path, tok.line or 1, col, tok.line or 1, col + 1), dg.SYNTAX,
                         message)

    def _unescape(self, body: str, tok: Token) -> str:
        def repl(m: re.Match) -> str:
            ch = m.group(1)
            if ch in _ESCAPES:
                return _ESCAPES[ch]
            self.diags.error(self._tok_span(tok), dg.SYNTAX,
                             f"unknown escape sequence '\\{ch}' in string",
                             ["allowed escapes: \\\\ \\\" \\' \\n \\t"])
            return ch

        return _ESCAPE_RE.sub(repl, body)

    def _unquote(self, tok: Token) -> str:
        return self._unescape(str(tok)[1:-1], tok)

    # -- top level
    def start(self, meta, children):
        imports, models, blocks, functions = [], [], [], []
        for c in children:
            if isinstance(c, n.DefStmt):
                functions.append(c)
            elif isinstance(c, n.Import):
                imports.append(c)
            elif isinstance(c, (n.ModelDef, n.ModelAlias)):
                models.append(c)
            elif isinstance(c, n.BlockDef):
                blocks.append(c)
        return n.File(self.path, tuple(imports), tuple(models), tuple(blocks), tuple(functions))

    def import_stmt(self, meta, children):
        return n.Import(self._span(meta), self._unquote(children[0]))

    def model_def(self, meta, children):
        name, params, scope, body = children
        return n.ModelDef(self._span(meta), str(name), self._tok_span(name),
                          tuple(params or ()), body, scope)

    def model_alias(self, meta, children):
        name, base, arguments, scope = children
        args, kwargs = arguments or ((), ())
        return n.ModelAlias(self._span(meta), str(name), self._tok_span(name), str(base),
                            self._tok_span(base), args, kwargs, scope)

    def block_def(self, meta, children):
        name, params, scope, body = children
        return n.BlockDef(self._span(meta), str(name), self._tok_span(name),
                          tuple(params or ()), body, scope)

    def param_list(self, meta, children):
        return tuple(c for c in children if c is not None)

    def param(self, meta, children):
        name, type_tok, default = children
        return n.Param(self._span(meta), str(name), str(type_tok), self._tok_span(type_tok),
                       default)

    def body(self, meta, children):
        return tuple(c for c in children if c is not None)

    # -- statements
    def input_stmt(self, meta, children):
        name, shape, dtype = children
        return n.InputStmt(self._span(meta), str(name), shape,
                           str(dtype) if dtype is not None else None)

    def def_stmt(self, meta, children):
        name, *params, body = children
        names = tuple(str(p) for p in params if p is not None)
        if len(set(names)) != len(names):
            self.diags.error(self._span(meta), dg.REDEFINED,
                             f"function '{name}' names a parameter twice")
        return n.DefStmt(self._span(meta), str(name), self._tok_span(name), names, body)

    def output_stmt(self, meta, children):
        name, value = children
        return n.OutputStmt(self._span(meta), str(name), value)

    def end_point_stmt(self, meta, children):
        key, value = children
        span = self._span(meta)
        if key is None:
            return n.EndPointStmt(span, None, span, value)
        return n.EndPointStmt(span, self._unquote(key), self._tok_span(key), value,
                              self._interpolation(key))

    def layer_stmt(self, meta, children):
        call, scope, branches = children
        return n.LayerStmt(self._span(meta), None, None, call, scope, branches)

    def assign_stmt(self, meta, children):
        name, value, scope, branches = children
        return n.LayerStmt(self._span(meta), str(name), self._tok_span(name), value, scope,
                           branches)

    def arg_scope_stmt(self, meta, children):
        layers, arguments, body = children
        args, kwargs = arguments or ((), ())
        for extra in args:
            self.diags.error(extra.span, dg.SYNTAX,
                             "arg_scope takes a list of layers and keyword arguments only")
        return n.ArgScopeStmt(self._span(meta), layers, kwargs, body)

    def scope_stmt(self, meta, children):
        scope, body = children
        return n.ScopeStmt(self._span(meta), scope, body)

    def if_stmt(self, meta, children):
        test, body, *rest = children
        clauses = [(test, body)]
        otherwise = None
        for c in rest:
            if c is None:
                continue
            if c[0] == "elif":
                clauses.append((c[1], c[2]))
            else:
                otherwise = c[1]
        return n.IfStmt(self._span(meta), tuple(clauses), otherwise)

    def elif_clause(self, meta, children):
        return ("elif", children[0], children[1])

    def else_clause(self, meta, children):
        return ("else", children[0])

    def for_stmt(self, meta, children):
        var, iterable, body = children
        return n.ForStmt(self._span(meta), str(var), iterable, body)

    def assert_stmt(self, meta, children):
        return n.AssertStmt(self._span(meta), children[0])

    def branches(self, meta, children):
        return tuple(c for c in children if c is not None)

    def branch(self, meta, children):
        scope, body = children
        return n.Branch(self._span(meta), scope, body)

    def scope_ident(self, meta, children):
        return n.ScopeName(self._span(meta), str(children[0]), False)

    def scope_string(self, meta, children):
        return n.ScopeName(self._span(meta), self._unquote(children[0]), True,
                           self._interpolation(children[0]))

    # -- expressions
    def number(self, meta, children):
        text = str(children[0])
        if re.fullmatch(r"\d+", text):
            if len(text) > 100:  # int() refuses > 4300 digits; the evaluator caps at 256 bits
                self.diags.error(self._span(meta), dg.EXPRESSION,
                                 f"integer literal too large ({len(text)} digits)")
                return n.Number(self._span(meta), 0, "0")
            value: int | float = int(text)
        else:
            value = float(text)
        return n.Number(self._span(meta), value, text)

    def string(self, meta, children):
        return n.String(self._span(meta), self._unquote(children[0]))

    def unknown(self, meta, children):
        return n.Unknown(self._span(meta))

    def name(self, meta, children):
        return n.Name(self._span(meta), str(children[0]))

    def list_lit(self, meta, children):
        return n.ListLit(self._span(meta), tuple(c for c in children if c is not None))

    def tuple_lit(self, meta, children):
        return n.TupleLit(self._span(meta), tuple(c for c in children if c is not None))

    def dict_lit(self, meta, children):
        return n.DictLit(self._span(meta), tuple(c for c in children if c is not None))

    def dict_item(self, meta, children):
        key, value = children
        return (str(key), value, self._tok_span(key))

    def call(self, meta, children):
        func, arguments = children
        args, kwargs = arguments or ((), ())
        return n.Call(self._span(meta), str(func), self._tok_span(func), args, kwargs)

    def arguments(self, meta, children):
        args, kwargs = [], []
        for c in children:
            if c is None:
                continue
            if isinstance(c, n.Keyword):
                kwargs.append(c)
            else:
                if kwargs:
                    self.diags.error(c.span, dg.SYNTAX,
                                     "positional argument follows keyword argument")
                args.append(c)
        return tuple(args), tuple(kwargs)

    def keyword(self, meta, children):
        name, value = children
        return n.Keyword(self._span(meta), str(name), self._tok_span(name), value)

    def _binop(op):  # noqa: N805 - a factory used in the class body
        def method(self, meta, children):
            left, right = children
            return n.BinOp(self._span(meta), op, left, right)
        return method

    add = _binop("+")
    sub = _binop("-")
    mul = _binop("*")
    div = _binop("/")
    floordiv = _binop("//")
    mod = _binop("%")
    or_op = _binop("or")
    and_op = _binop("and")

    pow = _binop("**")

    def subscript(self, meta, children):
        value, items = children
        return n.Subscript(self._span(meta), value, items)

    def subscripts(self, meta, children):
        return tuple(self._item(c) for c in children if c is not None)

    def _item(self, c):
        if isinstance(c, Token):  # ELLIPSIS
            return n.EllipsisLit(self._tok_span(c))
        return c

    def slice(self, meta, children):
        start, stop, step = children
        return n.Slice(self._span(meta), start, stop, step)

    def compare(self, meta, children):
        left, op, right = children
        return n.BinOp(self._span(meta), str(op), left, right)

    def neg(self, meta, children):
        return n.UnaryOp(self._span(meta), "-", children[0])

    def not_op(self, meta, children):
        return n.UnaryOp(self._span(meta), "not", children[0])

    def conditional(self, meta, children):
        then, test, otherwise = children
        return n.Conditional(self._span(meta), then, test, otherwise)

    def index(self, meta, children):
        value, idx = children
        return n.Index(self._span(meta), value, idx)

    def attribute(self, meta, children):
        value, attr = children
        return n.Attribute(self._span(meta), value, str(attr))
