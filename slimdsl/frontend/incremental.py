"""Incremental re-parse for editors: after an edit, parse only the statements it touched.

A :class:`Document` is a text, its path and its syntax tree (or the :class:`CompileError` its
parse raised). :meth:`Document.edit` applies one text edit and returns the next document; it
re-parses the smallest run of whole lines that holds the edit and only complete statements of
one body (or top-level definitions), splices the new statements into the tree and moves the
spans of everything after the edit by the number of lines it added or removed. The result is
always exactly what :func:`~slimdsl.frontend.parser.parse` gives for the new text (the same
nodes, spans and diagnostics): whenever the edit crosses structure (a bracket or a brace left
open, a statement split across a body's ``{``, a syntax error, a bad escape) it falls back to
parsing the whole text.

How the region is chosen, from the innermost body holding the edit's lines outwards:

- the run is the statements of that body whose lines meet the edit's (or, in a gap between
  statements, the one before it), and the region its lines and the edit's;
- the region must hold nothing but the run: only blanks and comments before its first
  statement and after its last one on their lines and on the region's other lines (else the
  enclosing statement becomes the run, one body up);
- the region's new text is lexed as it would be in the whole file (the lexer is told how many
  blocks are open around it) and parsed with the start symbol ``stmts`` (``start`` for
  top-level definitions).

A document whose text does not parse keeps the last document that did: the next edit is
re-parsed against that one, with all edits since merged into one.
"""

from __future__ import annotations

import bisect
import functools
from typing import Any

from ..diagnostics import CompileError, Diagnostics, Span
from . import tree as n
from .builder import AstBuilder
from .lalr import Parser
from .parser import check_source, front_end, parse, run_parser
from .tables import start_tables

_BLANKS = " \t\f\r"


class Document:
    """A text and its parse: ``tree`` (a :class:`~slimdsl.frontend.tree.File`) or ``error``.

    ``reparsed`` says how the document was made: ``"full"`` (the whole text was parsed) or the
    ``(first, last)`` lines of the new text that were.
    """

    __slots__ = ("path", "text", "tree", "error", "reparsed", "_good", "_prefix", "_suffix",
                 "_line_starts")

    def __init__(self, path: str, text: str, tree: n.File | None,
                 error: CompileError | None, reparsed: Any = "full",
                 good: Document | None = None, prefix: int = 0, suffix: int = 0):
        self.path = path
        self.text = text
        self.tree = tree
        self.error = error
        self.reparsed = reparsed
        # The last document that parsed, and how much of its text starts (prefix) and ends
        # (suffix) this one's too; only for a document that does not parse.
        self._good = good
        self._prefix = prefix
        self._suffix = suffix
        self._line_starts: list[int] | None = None

    @property
    def diagnostics(self) -> list:
        """The diagnostics of the parse (empty when it succeeded)."""
        return list(self.error.diagnostics) if self.error is not None else []

    def line_starts(self) -> list[int]:
        """The offset at which each line starts (line 1 at index 0)."""
        if self._line_starts is None:
            starts = [0]
            offset = 0
            for line in self.text.split("\n")[:-1]:
                offset += len(line) + 1
                starts.append(offset)
            self._line_starts = starts
        return self._line_starts

    def offset(self, line: int, column: int) -> int:
        """The offset of 1-based ``line`` and ``column`` (in characters) in :attr:`text`."""
        starts = self.line_starts()
        if not 1 <= line <= len(starts):
            raise ValueError(f"line {line} is not in the text (1-{len(starts)})")
        return min(starts[line - 1] + column - 1, len(self.text))

    def edit(self, start: int, end: int, new_text: str) -> Document:
        """The document with ``text[start:end]`` replaced by ``new_text``."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"edit {start}:{end} outside the text (0-{len(self.text)})")
        text = self.text[:start] + new_text + self.text[end:]
        if self.tree is not None:
            good, prefix, suffix = self, start, len(self.text) - end
        elif self._good is not None:  # merge with the edits since the last good parse
            good = self._good
            prefix = min(self._prefix, start)
            suffix = min(self._suffix, len(self.text) - end)
        else:
            return parse_document(text, self.path)
        return _reparse(good, text, prefix, suffix)

    def update(self, text: str) -> Document:
        """The document with its whole text replaced by ``text`` (re-parsed only where the
        two differ: the longest common start and end are kept)."""
        old = self.text
        prefix, suffix = common_ends(old, text)
        return self.edit(prefix, len(old) - suffix, text[prefix:len(text) - suffix])


def parse_document(text: str, path: str = "<string>") -> Document:
    """A document parsed in full."""
    try:
        return Document(path, text, parse(text, path), None)
    except CompileError as exc:
        return Document(path, text, None, exc)


def common_ends(old: str, new: str) -> tuple[int, int]:
    """The lengths of the longest common start and the longest common end of two texts, the
    end not overlapping the start (what an edit left alone on either side of it).

    >>> common_ends("conv2d(64, 3)", "conv2d(128, 3)")
    (7, 4)
    >>> common_ends("ab", "ab")
    (2, 0)
    """
    limit = min(len(old), len(new))
    start = 0
    for step in (4096, 64, 1):  # whole chunks compare in C; a step at most 64 times the next
        while start + step <= limit and old[start:start + step] == new[start:start + step]:
            start += step
    room, tail = limit - start, 0
    lo, hi = len(old), len(new)
    for step in (4096, 64, 1):
        while tail + step <= room and \
                old[lo - tail - step:lo - tail] == new[hi - tail - step:hi - tail]:
            tail += step
    return start, tail


# ---------------------------------------------------------------------------- re-parse


def _reparse(good: Document, text: str, prefix: int, suffix: int) -> Document:
    """``text`` (``good.text`` with ``good.text[prefix:len - suffix]`` replaced) parsed again
    where it changed, or in full when that cannot be done exactly."""
    path = good.path
    done = None
    if not good.text.startswith("\ufeff") and not text.startswith("\ufeff"):
        try:
            done = _splice(good, text, prefix, len(good.text) - suffix)
        except CompileError:
            done = None
    if done is not None:
        tree, lines = done
        return Document(path, text, tree, None, lines)
    result = parse_document(text, path)
    if result.error is not None:
        result._good, result._prefix, result._suffix = good, prefix, suffix
    return result


class _Level:
    """A statement list the run may come from: a body (under ``key`` of the statement at
    ``index`` of the level above) or the file's top-level definitions (index None)."""

    __slots__ = ("index", "key", "items", "depth")

    def __init__(self, index: int | None, key: Any, items: tuple, depth: int):
        self.index, self.key, self.items, self.depth = index, key, items, depth


def _splice(good: Document, text: str, start: int, end: int) -> tuple[n.File, tuple] | None:
    """The new tree, or None when the edit (``good.text[start:end]`` replaced) must be
    parsed in full. Raises CompileError when the region does not parse."""
    old = good.text
    starts = good.line_starts()
    e1 = bisect.bisect_right(starts, start)
    e2 = bisect.bisect_right(starts, end)
    levels = _levels(good.tree, e1, e2)
    delta = len(text) - len(old)
    for level in reversed(levels):
        run = _run(level, e1, e2)
        if run is None:
            continue
        i, j = run
        if i <= j:  # statements i..j, with the lines of the edit
            first, last = level.items[i].span, level.items[j].span
            r1, r2 = min(e1, first.line), max(e2, last.end_line)
            if not _clean(old, starts, r1, r2, first, last):
                continue
        else:  # only blank or comment lines, before statement i
            r1, r2 = e1, e2
            if not _clean(old, starts, r1, r2, None, None):
                continue
        lo = starts[r1 - 1]
        hi = (starts[r2] - 1 if r2 < len(starts) else len(old)) + delta
        new_items = _parse_region(text, good.path, lo, hi, r1, level)
        lines_delta = text.count("\n", lo, hi) - old.count("\n", lo, hi - delta)
        tree = _replace(good.tree, levels, level, i, j, new_items, r2, lines_delta)
        return tree, (r1, r2 + lines_delta)
    return None


def _levels(file: n.File, e1: int, e2: int) -> list[_Level]:
    """The statement lists from the file down to the innermost body that holds lines e1-e2."""
    levels = [_Level(None, None, _top_items(file), 0)]
    while True:
        level = levels[-1]
        hit = _hits(level.items, e1, e2)
        if hit is None or hit[0] != hit[1]:
            return levels
        x = level.items[hit[0]]
        if not x.span.line < e1 <= e2 < x.span.end_line:
            return levels  # the edit meets its first or last line: the statement is the run
        inner = [(key, body, step) for key, body, step in bodies(x) if body]
        touched = [b for b in inner if _hits(b[1], e1, e2) is not None]
        if len(touched) > 1:
            return levels
        if not touched:  # between statements: the body whose statements come before it
            before = [b for b in inner if b[1][0].span.line <= e1]
            touched = [before[-1] if before else inner[0]] if inner else []
        if not touched:
            return levels
        key, body, step = touched[0]
        levels.append(_Level(hit[0], key, body, level.depth + step))


def _top_items(file: n.File) -> tuple:
    """The file's definitions in the order they are written."""
    return tuple(sorted((*file.imports, *file.models, *file.blocks, *file.functions),
                        key=lambda x: (x.span.line, x.span.column)))


def _hits(items: tuple, e1: int, e2: int) -> tuple[int, int] | None:
    """The first and last index of the items whose lines meet lines e1-e2, or None."""
    i = bisect.bisect_left(items, e1, key=lambda x: x.span.end_line)
    j = bisect.bisect_right(items, e2, key=lambda x: x.span.line) - 1
    return (i, j) if i <= j else None


def _run(level: _Level, e1: int, e2: int) -> tuple[int, int] | None:
    """The statements i..j to re-parse: those meeting lines e1-e2. Lines between two of a
    body's statements (or anywhere between top-level definitions) are surely inside that
    body: none (j = i - 1, the new ones go before statement i). Before a body's first
    statement or after its last, the lines may be a header's or a ``} else {``: the statement
    next to them, so that the region's check decides."""
    items = level.items
    hit = _hits(items, e1, e2)
    if hit is not None:
        return hit
    k = bisect.bisect_left(items, e1, key=lambda x: x.span.end_line)
    if level.index is None or 0 < k < len(items):
        return k, k - 1
    if not items:
        return None
    return (k - 1, k - 1) if k > 0 else (0, 0)


def _clean(text: str, starts: list[int], r1: int, r2: int, first: Span | None,
           last: Span | None) -> bool:
    """Do lines r1-r2 hold only the run (``first`` ... ``last``; None: nothing) and blanks
    and comments?"""

    def line(k: int) -> str:
        return text[starts[k - 1]:starts[k] - 1] if k < len(starts) else text[starts[k - 1]:]

    def blank(s: str) -> bool:
        s = s.lstrip(_BLANKS)
        return not s or s[0] == "#"

    if first is None or last is None:
        return all(blank(line(k)) for k in range(r1, r2 + 1))
    if line(first.line)[:first.column - 1].strip(_BLANKS):
        return False
    if not blank(line(last.end_line)[last.end_column - 1:]):
        return False
    return all(blank(line(k)) for k in (*range(r1, first.line), *range(last.end_line + 1, r2 + 1)))


@functools.lru_cache(maxsize=1)
def _fragment_parser() -> Parser:
    return Parser(start_tables("stmts"))


def _parse_region(text: str, path: str, lo: int, hi: int, line: int, level: _Level) -> tuple:
    """The statements (or top-level definitions) of ``text[lo:hi]``, which starts a line."""
    diags = Diagnostics()
    check_source(text, path, diags)
    lexer, whole = front_end()
    tokens, error = lexer.tokens(text, lo, hi, line, 1, level.depth)
    builder = AstBuilder(path, diags)
    if level.index is None:
        file = run_parser(whole, tokens, error, builder, text, path)
        items: tuple = (*file.imports, *file.models, *file.blocks, *file.functions)
    else:
        items = run_parser(_fragment_parser(), tokens, error, builder, text, path, "stmts")
    if diags.items:  # a bad escape, say: the whole file's parse reports it, in its order
        raise CompileError(diags.items)
    return items


def bodies(stmt: Any) -> list[tuple[Any, tuple, int]]:
    """The statement lists inside a statement or definition: (key, statements, the number of
    ``{`` around them). A new kind of statement with a body needs a case here (and in
    :func:`_with_body`); without one its edits re-parse the whole statement, still exactly."""
    if isinstance(stmt, (n.ModelDef, n.BlockDef, n.ArgScopeStmt, n.ScopeStmt, n.ForStmt)):
        return [("body", stmt.body, 1)]
    if isinstance(stmt, n.IfStmt):
        out: list[tuple[Any, tuple, int]] = [(i, body, 1) for i, (_, body) in
                                             enumerate(stmt.clauses)]
        if stmt.otherwise is not None:
            out.append(("otherwise", stmt.otherwise, 1))
        return out
    if isinstance(stmt, n.LayerStmt) and stmt.branches:
        return [(i, branch.body, 2) for i, branch in enumerate(stmt.branches)]
    return []


def _with_body(stmt: Any, key: Any, body: tuple) -> Any:
    """``stmt`` with the statement list ``key`` of :func:`bodies` replaced."""
    if key == "body":
        fields = [f if name != "body" else body for name, f in _fields(stmt)]
        return type(stmt)(*fields)
    if isinstance(stmt, n.IfStmt):
        if key == "otherwise":
            return n.IfStmt(stmt.span, stmt.clauses, body)
        clauses = list(stmt.clauses)
        clauses[key] = (clauses[key][0], body)
        return n.IfStmt(stmt.span, tuple(clauses), stmt.otherwise)
    branches = list(stmt.branches)
    b = branches[key]
    branches[key] = n.Branch(b.span, b.scope, body)
    return n.LayerStmt(stmt.span, stmt.target, stmt.target_span, stmt.value, stmt.scope,
                       tuple(branches))


def _fields(node: Any) -> list[tuple[str, Any]]:
    return [(name, getattr(node, name)) for name in type(node).__slots__]


def _replace(file: n.File, levels: list[_Level], level: _Level, i: int, j: int,
             new_items: tuple, after: int, delta: int) -> n.File:
    """The file with ``level.items[i:j + 1]`` replaced by ``new_items`` (already placed) and
    every line after ``after`` moved by ``delta``."""
    if delta:
        file = shift(file, after, delta)  # the run ends by line ``after``: kept as it is
    top = _top_items(file)
    if level.index is None:
        kept = top[:i] + top[j + 1:] + tuple(new_items)
    else:
        # Down the (moved) tree to the body, the run replaced, and the way back up rebuilt.
        path = levels[1:levels.index(level) + 1]
        holders = []
        items = top
        for step in path:
            holders.append(items[step.index])
            items = dict((k, b) for k, b, _ in bodies(holders[-1]))[step.key]
        items = items[:i] + tuple(new_items) + items[j + 1:]
        for step, holder in zip(reversed(path), reversed(holders)):
            new = _with_body(holder, step.key, items)
            parent = levels[levels.index(step) - 1]
            if parent.index is None:
                items = top
            else:
                items = dict((k, b) for k, b, _ in bodies(holders[path.index(step) - 1])
                             )[parent.key]
            items = items[:step.index] + (new,) + items[step.index + 1:]
        kept = items
    lists: dict[str, tuple] = {}
    for name, kind in (("imports", n.Import), ("models", (n.ModelDef, n.ModelAlias)),
                       ("blocks", n.BlockDef), ("functions", n.DefStmt)):
        lists[name] = tuple(sorted((x for x in kept if isinstance(x, kind)),
                                   key=lambda x: (x.span.line, x.span.column)))
    return n.File(file.path, **lists)


# ---------------------------------------------------------------------------- moving spans

_NODE_TYPES = {cls for cls in vars(n).values()
               if isinstance(cls, type) and cls.__module__ == n.__name__ and
               hasattr(cls, "__slots__")}


def shift(root: Any, after: int, delta: int) -> Any:
    """``root`` with every line number greater than ``after`` moved by ``delta``: new nodes
    where a span changes, the same objects elsewhere."""
    try:
        return _shift_fast(root, after, delta)
    except RecursionError:  # a long ``a + b + ...`` nests as deep as it is long
        return _shift_deep(root, after, delta)


def _shift_fast(root: Any, after: int, delta: int) -> Any:
    """:func:`shift` by recursion, one small function per node class."""

    def span(x: Span) -> Span:
        if x.end_line <= after:
            return x
        return Span(x.path, x.line + delta if x.line > after else x.line, x.column,
                    x.end_line + delta, x.end_column)

    def anything(x: Any) -> Any:
        t = type(x)
        if t is Span:
            return span(x)
        if t is tuple:
            return tuple([anything(c) for c in x])
        node = nodes.get(t)
        return node(x) if node is not None else x

    def for_class(cls: type):
        names = cls.__slots__

        def node(x: Any) -> Any:
            s = getattr(x, "span", None)
            if s is not None and s.end_line <= after:
                return x  # wholly before: unchanged
            return cls(*[anything(getattr(x, name)) for name in names])
        return node

    nodes = {cls: for_class(cls) for cls in _NODE_TYPES}
    return anything(root)


def _shift_deep(root: Any, after: int, delta: int) -> Any:
    """:func:`shift` as a loop over an explicit stack: no tree is too deep for it."""
    results: list[Any] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        x, built = stack.pop()
        t = type(x)
        if built:
            k = len(x) if t is tuple else len(t.__slots__)
            first = len(results) - k
            values = results[first:]
            del results[first:]
            results.append(tuple(values) if t is tuple else t(*values))
        elif t is Span:
            if x.end_line > after:
                x = Span(x.path, x.line + delta if x.line > after else x.line, x.column,
                         x.end_line + delta, x.end_column)
            results.append(x)
        elif t is tuple:
            stack.append((x, True))
            stack.extend((c, False) for c in reversed(x))
        elif t in _NODE_TYPES:
            span = getattr(x, "span", None)
            if span is not None and span.end_line <= after:
                results.append(x)  # wholly before: unchanged
                continue
            stack.append((x, True))
            stack.extend((getattr(x, name), False) for name in reversed(t.__slots__))
        else:
            results.append(x)
    return results[0]
