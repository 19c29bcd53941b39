"""Syntax tree nodes (:mod:`.tree`) from the parser's reductions (:mod:`.lalr`).

One method per grammar rule (and alias), called as ``method(meta, children)``: ``children``
are those of Lark's tree for the rule (anonymous tokens dropped, ``None`` for an absent
``[optional]`` part), already built; tokens are :class:`~.lexer.Token` s (``str(tok)`` is the
text, ``tok.line``...); ``meta`` is the first and last token the rule covers, for
:meth:`AstBuilder._span`. A new grammar rule (or alias) needs a method here; the parser refuses
tables with a rule no method builds. Problems found while building (bad escapes, a positional
argument after a keyword, a huge integer) are collected as diagnostics, not raised.
"""

from __future__ import annotations

import re

from .. import diagnostics as dg
from ..diagnostics import CompileError, Diagnostics, Span
from . import tree as n
from .lexer import Token

_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)")


def token_span(path: str, tok: Token) -> Span:
    """The span of one token (a newline's is the one column at the end of its line)."""
    line = tok.line or 1
    col = tok.column or 1
    end_line = tok.end_line or line
    end_col = tok.end_column or col + 1
    if tok.type == "_NL":  # point at the end of the line, not at the newline's next line
        end_line, end_col = line, col + 1
    return Span(path, line, col, end_line, max(end_col, col + 1) if end_line == line else end_col)


class AstBuilder:
    """Builds :mod:`.tree` nodes; collects problems as diagnostics in ``diags``."""

    def __init__(self, path: str, diags: Diagnostics):
        self.path = path
        self.diags = diags

    # -- helpers
    def _span(self, meta) -> Span:
        first, last = meta
        if first is None:
            return Span.point(self.path, 1, 1)
        return Span(self.path, first[2], first[3], last[4], last[5])

    def _tok_span(self, tok: Token) -> Span:
        return token_span(self.path, tok)

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
        line, col = tok.line or 1, (tok.column or 1) + 1 + offset
        stripped = text.strip()
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", stripped):  # the common case, no parser
            col += len(text) - len(text.lstrip())
            return n.Name(Span(self.path, line, col, line, col + len(stripped)), stripped)
        from .parser import parse_expression  # the parser builds with this class

        try:
            return parse_expression(text, self.path, (line, col))
        except CompileError as exc:
            for d in exc.diagnostics:
                message = d.message.replace("end of file", "end")
                if d.code == dg.SYNTAX.name:
                    message = f"in the interpolation {{{text}}}: {message}"
                self.diags.items.append(dg.Diagnostic(d.span, d.severity, d.code, message,
                                                      d.notes))
            return n.Unknown(self._tok_span(tok))

    def _string_error(self, tok: Token, offset: int, message: str) -> None:
        col = (tok.column or 1) + 1 + offset
        self.diags.error(Span(self.path, tok.line or 1, col, tok.line or 1, col + 1), dg.SYNTAX,
                         message)

    def _unquote(self, tok: Token) -> str:
        return self._unescape(str(tok)[1:-1], tok)

    def _unescape(self, body: str, tok: Token) -> str:
        if "\\" not in body:
            return body

        def repl(m: re.Match) -> str:
            ch = m.group(1)
            if ch in _ESCAPES:
                return _ESCAPES[ch]
            self.diags.error(self._tok_span(tok), dg.SYNTAX,
                             f"unknown escape sequence '\\{ch}' in string",
                             ["allowed escapes: \\\\ \\\" \\' \\n \\t"])
            return ch

        return _ESCAPE_RE.sub(repl, body)

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

    def stmts(self, meta, children):  # a body's statements without its braces (incremental)
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
        if text.isdecimal():  # what the NUMBER terminal's \d+ matches: an integer
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
