"""Walking the syntax tree generically: children, the nodes at a position, the names a
statement binds.

The tree (:mod:`slimdsl.frontend.tree`) is made of frozen records; these helpers read their
fields (``__match_args__``) rather than naming node kinds, so statements and expressions added
to the language later are walked too (tuples are looked into).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..diagnostics import Span
from ..frontend import tree as n

_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(node: Any) -> tuple[str, ...]:
    cls = type(node)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(cls.__match_args__)
    return names


def is_node(value: Any) -> bool:
    """A syntax-tree node: a dataclass instance other than a span."""
    return hasattr(type(value), "__match_args__") and not isinstance(value, (Span, type))


def children(node: Any) -> Iterator[Any]:
    """The nodes directly below ``node``, in field order (tuples are flattened)."""
    for name in _fields(node):
        value = getattr(node, name)
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, tuple):
                stack.extend(reversed(v))
            elif is_node(v):
                yield v


def walk(node: Any) -> Iterator[Any]:
    """``node`` and every node below it, parents before children, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


def span_of(node: Any) -> Span | None:
    span = getattr(node, "span", None)
    return span if isinstance(span, Span) else None


def contains(span: Span, line: int, column: int) -> bool:
    """Is (line, column) inside ``span``, its end included (a cursor just after a word)?"""
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def path_at(root: n.File, line: int, column: int) -> list[Any]:
    """The nodes whose span holds the position, outermost first (the file's definitions are
    the first level)."""
    out: list[Any] = []
    level = list(top_level(root))
    while True:
        inside = [c for c in level if (s := span_of(c)) is not None and contains(s, line, column)]
        if not inside:
            return out
        # the narrowest: a cursor right between two nodes belongs to the one it starts
        node = min(inside, key=lambda c: _width(span_of(c)))
        out.append(node)
        level = list(children(node))


def _width(span: Span) -> tuple[int, int]:
    return (span.end_line - span.line, span.end_column - span.column)


def top_level(root: n.File) -> list[Any]:
    """The definitions and imports of a file, in source order."""
    items = [*root.imports, *root.models, *root.blocks, *root.functions]
    return sorted(items, key=lambda d: (d.span.line, d.span.column))


def definition_at(root: n.File, line: int, column: int) -> Any | None:
    """The top-level definition (model, block, def) holding a position, or None."""
    for d in top_level(root):
        if contains(d.span, line, column):
            return d
    return None


def statements(node: Any) -> Iterator[Any]:
    """Every statement below ``node`` (nested bodies, branches and clauses too)."""
    for child in walk(node):
        if child is not node and isinstance(child, n.Stmt):
            yield child


def bindings(stmt: Any) -> list[tuple[str, Span | None]]:
    """The names a statement binds and where each is written (None: somewhere in the
    statement): ``x = conv2d(...)``, ``input x: [...]``, ``for i in ...``, ``def f(...) = ...``.
    A statement without a target rebinds ``net``, which is not listed."""
    out: list[tuple[str, Span | None]] = []
    target = getattr(stmt, "target", None)
    if isinstance(target, str):
        out.append((target, getattr(stmt, "target_span", None)))
    var = getattr(stmt, "var", None)
    if isinstance(var, str):
        out.append((var, None))
    name = getattr(stmt, "name", None)
    if isinstance(name, str) and not isinstance(stmt, n.OutputStmt):
        out.append((name, getattr(stmt, "name_span", None)))
    return out
