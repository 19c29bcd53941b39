"""Where an edit is: the lines it changed (:class:`Change`) and the statement of a model's body
it touched first (:func:`resume_point`), for lowering again from there
(:mod:`.incremental`)."""

from __future__ import annotations

from typing import Any

from ..diagnostics import Span
from ..frontend import tree as n
from ..frontend.incremental import common_ends
from ..records import dataclass, replace

#: Statements whose body runs once, in order, where a lowering may resume: the attribute that
#: holds the body, and what ending the statement does once its body has run.
RESUMABLE: dict[type, tuple[str, str | None]] = {
    n.ArgScopeStmt: ("body", "close_arg_scope"),
    n.ScopeStmt: ("body", "close_scope"),  # TF forgets the default names used inside
}


@dataclass
class Change:
    """What an edit changed, in lines of a file: lines ``first..last_old`` of the old text
    became ``first..last_new`` of the new one (1-based, inclusive)."""

    path: str
    first: int
    last_old: int
    last_new: int

    @property
    def delta(self) -> int:
        return self.last_new - self.last_old

    @staticmethod
    def between(path: str, old: str, new: str) -> Change | None:
        r"""The lines that differ between two texts (None when they are equal).

        >>> Change.between("m.slim", "a\nb\nc\n", "a\nB\nc\n")
        Change(path='m.slim', first=2, last_old=2, last_new=2)
        >>> Change.between("m.slim", "a\nc\n", "a\nb\nc\n").delta
        1
        """
        if old == new:
            return None
        start, tail = common_ends(old, new)
        first = old.count("\n", 0, start) + 1
        last_old = old.count("\n", 0, len(old) - tail) + 1
        last_new = new.count("\n", 0, len(new) - tail) + 1
        return Change(path, first, max(last_old, first), max(last_new, first))


def header_end(stmt: Any, body_field: str) -> int:
    """The last line of a statement's header: its fields but the body."""
    last = stmt.span.line
    stack = [getattr(stmt, f) for f in type(stmt).__match_args__
             if f not in ("span", body_field)]
    while stack:
        value = stack.pop()
        if isinstance(value, tuple):
            stack.extend(value)
        elif isinstance(getattr(value, "span", None), Span):
            last = max(last, value.span.end_line)
    return last


def resume_point(old_body: tuple, new_body: tuple, change: Change
                  ) -> tuple[tuple[int, ...], list[tuple]] | None:
    """The path of the first statement the edit touches (descending into resumable statements
    whose header and closing line it leaves alone) and the new tree's body at each level. The
    statements before it end before the edit, so they read the same text in both trees."""
    path: list[int] = []
    bodies: list[tuple] = []
    old, new = old_body, new_body
    while True:
        if not old:
            return None
        i = next((k for k, s in enumerate(old) if s.span.end_line >= change.first), len(old))
        i = min(i, len(old) - 1)  # after the last statement: run the last one again
        if i >= len(new) or (i > 0 and old[i - 1].span != new[i - 1].span):
            return None
        path.append(i)
        bodies.append(new)
        stmt, stmt_new = old[i], new[i]
        rule = RESUMABLE.get(type(stmt))
        if rule is None or type(stmt_new) is not type(stmt) or \
                stmt.span.line != stmt_new.span.line:
            break
        inner, inner_new = getattr(stmt, rule[0]), getattr(stmt_new, rule[0])
        if not inner or not inner_new or change.first <= header_end(stmt, rule[0]) or \
                change.last_old >= stmt.span.end_line or \
                change.last_new >= stmt_new.span.end_line or \
                replace(stmt, span=None, **{rule[0]: ()}) != \
                replace(stmt_new, span=None, **{rule[0]: ()}):
            break  # the edit is in the header or on the closing line: the statement runs again
        old, new = inner, inner_new
    return tuple(path), bodies


def bodies_along(body: tuple, path: tuple[int, ...]) -> list[tuple] | None:
    """The body at each level of ``path`` in a tree (None if the tree has no such path)."""
    bodies = []
    for k, i in enumerate(path):
        if i >= len(body):
            return None
        bodies.append(body)
        if k < len(path) - 1:
            rule = RESUMABLE.get(type(body[i]))
            if rule is None:
                return None
            body = getattr(body[i], rule[0])
    return bodies
