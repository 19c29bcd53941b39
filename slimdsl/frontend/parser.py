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
from .grammar import KEYWORDS, MAX_NESTING, NestingTooDeep, grammar

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


# ---------------------------------------------------------------------------- syntax errors

_TOKEN_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "_NL": "end of line",
    "$END": "end of file", "COMP_OP": "a comparison",
}
_PUNCT = {
    "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "LBRACE": "{", "RBRACE": "}",
    "COMMA": ",", "COLON": ":", "EQUAL": "=", "DOT": ".", "PLUS": "+", "MINUS": "-",
    "STAR": "*", "SLASH": "/", "DOUBLESLASH": "//", "PERCENT": "%", "QMARK": "?", "_AS": "as",
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
        index = _index_before(text, tok) if tok.type == "COMMA" and "']'" in expected else None
        if tok.type == "$END" and "'}'" in expected:
            message, notes = _unclosed_block(text, path)
            expected = []
        elif index is not None:  # `conv2d(64 [3, 3])`: a '[' after a value indexes it
            value, bracket = index
            message = f"unexpected ',' in an index: is a ',' missing between '{value}' and '['?"
            notes.append(dg.Note(f"'{value} [' indexes {value}; two arguments are written "
                                 f"'{value}, [...]'", Span.point(path, *bracket)))
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


_Bracket = tuple[str, int, int, int, int]  # bracket, offset, line, column, indentation


def _brackets(text: str, end: int) -> tuple[list[_Bracket], list[tuple[_Bracket, tuple[int, int]]]]:
    """The brackets still open at offset ``end`` (strings and comments skipped), outermost
    first, as (bracket, offset, line, column, indentation of its line); and every '{' closed
    before ``end`` with the (line, indentation) of its '}'."""
    stack: list[_Bracket] = []
    closed: list[tuple[_Bracket, tuple[int, int]]] = []
    line, line_start, i = 1, 0, 0
    pairs = {")": "(", "]": "[", "}": "{"}
    while i < end:
        c = text[i]
        if c == "\n":
            line, line_start = line + 1, i + 1
        elif c == "#":
            nl = text.find("\n", i)
            i = end if nl < 0 else nl
            continue
        elif c in "\"'":
            j = i + 1
            while j < end and text[j] not in (c, "\n"):
                j += 2 if text[j] == "\\" else 1
            i = j + 1 if j < end and text[j] == c else j
            continue
        elif c in "([{":
            indent = len(text[line_start:i]) - len(text[line_start:i].lstrip(" \t"))
            stack.append((c, i, line, i - line_start + 1, indent))
        elif c in ")]}" and stack and stack[-1][0] == pairs[c]:
            opener = stack.pop()
            if c == "}":
                closer_indent = len(text[line_start:i]) - len(text[line_start:i].lstrip(" \t"))
                closed.append((opener, (line, closer_indent)))
        i += 1
    return stack, closed


def _unclosed_block(text: str, path: str) -> tuple[str, list[dg.Note]]:
    """Which '{' is not closed: the one whose '}' sits at another indentation (the '}' that
    closes it was meant for an outer block), else the innermost one still open."""
    stack, closed = _brackets(text, len(text))
    open_now = [b for b in stack if b[0] == "{"]
    if not open_now:
        return "unexpected end of file: a '{' block is not closed", []
    suspect = open_now[-1]
    for opener, (close_line, close_indent) in closed:
        if opener[1] > open_now[-1][1] and close_indent != opener[4] \
                and close_line != opener[2]:
            suspect = opener  # its '}' is indented like an outer block: this one lacks its own
            break
    _, _, line, col, _ = suspect
    source = text.splitlines()[line - 1].strip() if line <= len(text.splitlines()) else ""
    notes = [dg.Note(f"this '{{' (line {line}) is not closed", Span.point(path, line, col))]
    return (f"unexpected end of file: the '{{' of line {line} ({source[:40]}) is not closed",
            notes)


def _index_before(text: str, tok: Token) -> tuple[str, tuple[int, int]] | None:
    """For a ',' inside ``VALUE [``: (VALUE, position of the '[') when a value and a space
    stand before the '[' (``64 [3, 3]``: a missing comma, not an index)."""
    stack, _ = _brackets(text, tok.start_pos or 0)
    if not stack or stack[-1][0] != "[":
        return None
    _, offset, line, col, _ = stack[-1]
    before = text[:offset]
    if not before.endswith((" ", "\t")):
        return None
    value = before.rstrip().split()[-1] if before.strip() else ""
    value = value.split("(")[-1].split(",")[-1]
    if not value or not (value[-1].isalnum() or value[-1] in "_)]?"):
        return None
    return value, (line, col)


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

    def __init__(self, path: str, diags: Diagnostics):
        self.path = path
        self.diags = diags
        self._handlers: dict[str, Any] = {}

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
        return _meta_span(self.path, meta)

    def _tok_span(self, tok: Token) -> Span:
        return _token_span(self.path, tok)

    def _unquote(self, tok: Token) -> str:
        body = str(tok)[1:-1]

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
        name, params, body = children
        return n.ModelDef(self._span(meta), str(name), self._tok_span(name),
                          tuple(params or ()), body)

    def model_alias(self, meta, children):
        name, base, arguments = children
        args, kwargs = arguments or ((), ())
        return n.ModelAlias(self._span(meta), str(name), self._tok_span(name), str(base),
                            self._tok_span(base), args, kwargs)

    def block_def(self, meta, children):
        name, params, body = children
        return n.BlockDef(self._span(meta), str(name), self._tok_span(name),
                          tuple(params or ()), body)

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
        return n.EndPointStmt(span, self._unquote(key), self._tok_span(key), value)

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
        return n.ScopeName(self._span(meta), self._unquote(children[0]), True)

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
