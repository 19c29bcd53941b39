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
from collections.abc import Callable

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


class ScopeNames:
    """The variable scopes and name scopes opened so far in one model, and TF's uniquification.

    TF keeps the two apart. Variable scopes are counted per parent, case-sensitively, and
    leaving a variable scope resets the counts inside it (``close_variable_subscopes``): a scope
    ``S`` entered again names its default layers ``Conv`` again, whose variables then exist
    already. Name scopes (and op names) are counted for the whole graph, ignoring case, and never
    reset: ``S`` entered again opens the name scope ``S_1``, where a pool is ``S_1/MaxPool2D``.
    :meth:`enter_variable_scope` gives both names of a ``variable_scope``.

    For the language server, which resumes a lowering from a statement, :meth:`record` keeps a
    journal of every change (``("v", parent, child)`` a variable scope opened, ``("n", full)`` a
    name scope or op name taken, ``("c", full)`` a variable scope left); :meth:`rollback` undoes
    the changes after a mark by replaying the journal up to it (closing a scope forgets counts,
    which cannot be subtracted back), and :meth:`commit` ends the rollback.
    """

    def __init__(self) -> None:
        #: full variable scope of a parent -> how often each child scope was opened in it
        self._variables: dict[str, Counter[str]] = {}
        self._names: Counter[str] = _NameScopes()
        #: parent -> (kind, base) -> the suffix found last time (see _unique)
        self._suffix_hint: dict[str, dict[tuple[str, str], int]] = {}
        #: Every change, in order, when recording (see :meth:`record`); else None.
        self.journal: list[tuple[str, ...]] | None = None
        self._undone: list[tuple[str, ...]] = []  # taken off by rollback(), until commit()

    def record(self) -> None:
        """Keep a journal of the changes from now on, so that :meth:`rollback` can undo them."""
        self.journal = []

    def rollback(self, mark: int) -> list[tuple[str, ...]]:
        """Undo every change made since the journal had ``mark`` entries; return them."""
        assert self.journal is not None and not self._undone
        undone = self.journal[mark:]
        del self.journal[mark:]
        self._undone = undone
        self._variables, self._names, self._suffix_hint = {}, _NameScopes(), {}
        self._replay(self.journal)
        return undone

    def commit(self, keep_from: int | None = None) -> None:
        """End a rollback: the undone changes are gone, or with ``keep_from`` those from that
        index of the undone entries on are made again (the old lowering's rest is kept)."""
        undone, self._undone = self._undone, []
        if keep_from is not None:
            assert self.journal is not None
            kept = undone[keep_from:]
            self.journal.extend(kept)
            self._replay(kept)

    def _replay(self, entries: list[tuple[str, ...]]) -> None:
        for entry in entries:
            if entry[0] == "v":
                self._variables.setdefault(entry[1], Counter())[entry[2]] += 1
            elif entry[0] == "n":
                self._names[entry[1]] += 1
            else:
                self._close(entry[1])

    def enter_variable_scope(self, var_parent: str, name_parent: str, name: str | None,
                             default: str) -> tuple[str, str]:
        """``tf.variable_scope(name, default_name=default)`` opened in the variable scope
        ``var_parent`` and the name scope ``name_parent``: (its full variable scope, the full
        name scope it opens). A default name is uniquified among the variable scopes; the name
        scope is uniquified on its own."""
        var = name if name is not None else self.unique_variable_scope(var_parent, default)
        self._variables.setdefault(var_parent, Counter())[var] += 1
        scope = self.unique_name_scope(name_parent, name if name is not None else default)
        full_name = join_scope(name_parent, scope)
        self._names[full_name] += 1
        if self.journal is not None:
            self.journal += [("v", var_parent, var), ("n", full_name)]
        return join_scope(var_parent, var), full_name

    def close_variable_scope(self, full: str) -> None:
        """Leaving the variable scope ``full``: the counts of the scopes inside it start over."""
        if self.journal is not None:
            self.journal.append(("c", full))
        self._close(full)

    def _close(self, full: str) -> None:
        children = self._variables.pop(full, None)
        self._suffix_hint.pop(full, None)
        if children is None:
            return
        for child in children:
            self._close(join_scope(full, child))

    def open_name_scope(self, full: str) -> None:
        """Open the name scope (or take the op name) ``full``."""
        self._names[full] += 1
        if self.journal is not None:
            self.journal.append(("n", full))

    def unique_variable_scope(self, parent: str, base: str) -> str:
        """``base`` or the first free ``base_N`` among the variable scopes of ``parent``."""
        return self._unique(parent, base, lambda name: self._variables.get(parent, {}).get(
            name, 0), "variable")

    def unique_name_scope(self, parent: str, base: str) -> str:
        """``base`` or the first free ``base_N`` among the name scopes and ops of ``parent``."""
        return self._unique(parent, base, lambda name: self._names[join_scope(parent, name)],
                            "name")

    def _unique(self, parent: str, base: str, count: Callable[[str], int], kind: str) -> str:
        """TF's default-name uniquification: ``base``, then ``base_1``, ``base_2``, ..."""
        if count(base) == 0:
            return base
        # Counts only grow (until a variable scope closes, which drops its hints), so the
        # suffix found last time is a lower bound for this one: resuming there keeps a chain of
        # N unnamed layers linear instead of quadratic.
        hints = self._suffix_hint.setdefault(parent, {})
        i = hints.get((kind, base), 1)
        while count(f"{base}_{i}") > 0:
            i += 1
        hints[(kind, base)] = i
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
