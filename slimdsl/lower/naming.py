"""Scope names exactly as TF-Slim makes them.

A variable scope (``conv2d``, a block, ``scope``) also opens the name scope of the same name; a
name scope (pools, ``flatten``) and an op name (``tf.*`` layers) are counted on their own, and
TF keeps those unique regardless of case. A default name is uniquified per parent: ``Conv``,
``Conv_1``, ``Conv_2``... (:class:`ScopeNames`). Quoted scope names may interpolate ``{name}``
(:func:`interpolate`, :func:`scope_name`).
"""

from __future__ import annotations

import re
from collections import Counter
from operator import itemgetter

from .. import diagnostics as dg
from ..diagnostics import Span, did_you_mean
from ..frontend import tree as n
from ..values import show, type_name
from .evaluate import Env, EvalError

_SCOPE_PART = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.\-]*")
_INTERPOLATION = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def join_scope(parent: str, name: str) -> str:
    """``parent/name``, or ``name`` at the top."""
    return f"{parent}/{name}" if parent else name


class _NameScopes(Counter):
    """Name-scope counts: TF keeps name scopes and op names unique regardless of case."""

    def __getitem__(self, key: str) -> int:
        return super().__getitem__(key.lower())

    def __setitem__(self, key: str, value: int) -> None:
        super().__setitem__(key.lower(), value)


def _counts(entries: list[tuple[bool, str]]) -> tuple[Counter[str], Counter[str]]:
    """How many times journal entries open each variable scope, and each name scope (lower
    case); counted in C, a journal may hold 30,000 entries."""
    fulls = list(map(itemgetter(1), entries))
    return (Counter(map(itemgetter(1), filter(itemgetter(0), entries))),
            Counter(map(str.lower, fulls)))


class ScopeNames:
    """The variable scopes and name scopes opened so far in one model, and TF's uniquification.
    """

    def __init__(self) -> None:
        self._variables: Counter[str] = Counter()
        self._names: Counter[str] = _NameScopes()
        self._suffix_hint: dict[tuple[str, str, str], int] = {}  # see _unique
        #: Every scope opened, in order, when recording (see :meth:`record`); else None.
        self.journal: list[tuple[bool, str]] | None = None
        # Scopes undone by rollback() but not yet taken off the counts (see commit()).
        self._undone: list[tuple[bool, str]] = []
        self._pending_variables: Counter[str] = Counter()
        self._pending_names: Counter[str] = Counter()  # lower-cased, as name scopes count

    def record(self) -> None:
        """Keep a journal of the scopes opened from now on, so that :meth:`rollback` can undo
        them (the language server resumes a lowering from a statement)."""
        self.journal = []

    def rollback(self, mark: int) -> list[tuple[bool, str]]:
        """Undo every scope opened since the journal had ``mark`` entries; return them.

        The counts are corrected lazily (a resumed lowering that soon finds its old state again
        keeps most of them): until :meth:`commit`, they are read net of the undone entries.
        """
        assert self.journal is not None and not self._undone
        undone = self.journal[mark:]
        del self.journal[mark:]
        self._undone = undone
        self._pending_variables, self._pending_names = _counts(undone)
        self._suffix_hint.clear()  # the hints are lower bounds only for counts that grow
        return undone

    def commit(self, keep_from: int | None = None) -> None:
        """End a rollback: the undone scopes are gone, or with ``keep_from`` those from that
        index of the undone entries on are opened again (the old lowering's rest is kept)."""
        undone, self._undone = self._undone, []
        gone = undone if keep_from is None else undone[:keep_from]
        if keep_from is not None:
            assert self.journal is not None
            self.journal.extend(undone[keep_from:])
        variables, names = _counts(gone)
        for key, count in variables.items():
            self._variables[key] -= count
        for key, count in names.items():
            self._names[key] -= count
        self._pending_variables, self._pending_names = Counter(), Counter()

    def open_variable_scope(self, full: str) -> None:
        """Open the variable scope ``full`` (which also opens the name scope)."""
        self._variables[full] += 1
        self._names[full] += 1
        if self.journal is not None:
            self.journal.append((True, full))

    def open_name_scope(self, full: str) -> None:
        """Open the name scope (or take the op name) ``full``."""
        self._names[full] += 1
        if self.journal is not None:
            self.journal.append((False, full))

    def unique_variable_scope(self, parent: str, base: str) -> str:
        """``base`` or the first free ``base_N`` among the variable scopes of ``parent``."""
        return self._unique(parent, base, self._variables, "variable")

    def unique_name_scope(self, parent: str, base: str) -> str:
        """``base`` or the first free ``base_N`` among the name scopes and ops of ``parent``."""
        return self._unique(parent, base, self._names, "name")

    def _taken(self, counts: Counter[str], kind: str, key: str) -> bool:
        count = counts[key]
        if count and self._undone:  # net of a rollback not yet committed
            pending = self._pending_variables if kind == "variable" else self._pending_names
            count -= pending.get(key if kind == "variable" else key.lower(), 0)
        return count > 0

    def _unique(self, parent: str, base: str, counts: Counter[str], kind: str) -> str:
        """TF's default-name uniquification: ``base``, then ``base_1``, ``base_2``, ..."""
        if not self._taken(counts, kind, join_scope(parent, base)):
            return base
        # Counts only grow, so the suffix found last time is a lower bound for this one:
        # resuming there keeps a chain of N unnamed layers linear instead of quadratic.
        key = (kind, parent, base)
        i = self._suffix_hint.get(key, 1)
        while self._taken(counts, kind, join_scope(parent, f"{base}_{i}")):
            i += 1
        self._suffix_hint[key] = i
        return f"{base}_{i}"


def interpolate(text: str, span: Span, env: Env, scope: str) -> str:
    """``text`` with every ``{name}`` replaced by its int or string value (``{scope}``: the
    current variable scope)."""
    def repl(m: re.Match) -> str:
        key = m.group(1)
        if key == "scope":
            return scope
        try:
            value = env.lookup(key)
        except KeyError:
            raise EvalError(span, dg.UNKNOWN_NAME, f"unknown name '{key}' in \"{text}\""
                            f"{did_you_mean(key, env.names())}") from None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise EvalError(span, dg.BAD_VALUE,
                            f"'{{{key}}}' must be an int or a string, got {type_name(value)}")
        return str(value)

    return _INTERPOLATION.sub(repl, text)


def scope_name(scope: n.ScopeName, env: Env, parent: str) -> str:
    """The name an ``as NAME`` / ``scope NAME`` gives, interpolated and checked."""
    name = interpolate(scope.text, scope.span, env, parent) if scope.quoted else scope.text
    parts = name.split("/")
    if not name or not all(_SCOPE_PART.fullmatch(p) for p in parts):
        raise EvalError(scope.span, dg.SCOPE_NAME,
                        f"invalid scope name {show(name)}",
                        ("scope names are letters, digits, '_', '.', '-', "
                         "separated by '/'",))
    return name
