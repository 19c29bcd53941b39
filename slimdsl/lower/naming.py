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
from operator import itemgetter
from typing import Any

from .. import diagnostics as dg
from ..frontend import tree as n
from ..records import replace
from ..values import describe, show
from .evaluate import Env, EvalError

_SCOPE_PART = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.\-]*")


def join_scope(parent: str, name: str) -> str:
    """``parent/name``, or ``name`` at the top."""
    return f"{parent}/{name}" if parent else name


class _NameScopes(Counter):
    """Name-scope counts: TF keeps name scopes and op names unique regardless of case."""

    def __getitem__(self, key: str) -> int:
        return super().__getitem__(key.lower())

    def __setitem__(self, key: str, value: int) -> None:
        super().__setitem__(key.lower(), value)


def _counts(entries: list[tuple]) -> tuple[Counter[str], Counter[str]]:
    """How much journal entries change the count of each variable scope, and each name scope
    (lower case); counted in C, a journal may hold 30,000 entries. An entry is ``(True, full)``
    (a variable scope and its name scope), ``(False, full)`` (a name scope or op), and rarely
    ``("v", full)`` (a variable scope alone: its name scope was uniquified, an entry of its
    own) or ``("c", full, removed)`` (a scope left: the counts inside it set back to 0)."""
    fulls = list(map(itemgetter(1), entries))
    variables = Counter(map(itemgetter(1), filter(itemgetter(0), entries)))
    names = Counter(map(str.lower, fulls))
    for entry in [e for e in entries if e[0] in ("v", "c")]:  # (rare) corrections
        names[entry[1].lower()] -= 1
        if entry[0] == "c":
            variables[entry[1]] -= 1
            for key, count in entry[2]:
                variables[key] -= count
    return variables, names


class ScopeNames:
    """The variable scopes and name scopes opened so far in one model, and TF's uniquification.
    """

    def __init__(self) -> None:
        self._variables: Counter[str] = Counter()
        self._names: Counter[str] = _NameScopes()
        self._suffix_hint: dict[tuple[str, str, str], int] = {}  # see _unique
        #: The variable scopes counted under each path ("a/b" under "a", "a" under ""), for
        #: resetting a closed scope's subtree without scanning every count.
        self._under: dict[str, set[str]] = {}
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

    def open_variable_scope(self, full: str, name: str | None = None,
                            name_parent: str | None = None) -> str:
        """Open the variable scope ``full`` (``name``: its last part as written, which may hold
        "/"), and the name scope TF opens with it under ``name_parent`` (default: ``full``'s
        parent): ``name_parent/name``, or ``name_1``... when an op or name scope took that
        name already (TF compares names ignoring case). Returns the name scope's path."""
        self._variables[full] += 1
        child = full
        while True:  # index the path's every prefix (a scope "g/L7" sits under "g")
            parent = child.rpartition("/")[0]
            siblings = self._under.setdefault(parent, set())
            if child in siblings:
                break
            siblings.add(child)
            if not parent:
                break
            child = parent
        if name is None:
            name_parent, _, name = full.rpartition("/")
        elif name_parent is None:
            name_parent = full[:len(full) - len(name)].rstrip("/")
        ns = join_scope(name_parent, name)
        if self._taken(self._names, "name", ns):
            ns = join_scope(name_parent, self.unique_name_scope(name_parent, name))
        self._names[ns] += 1
        if self.journal is not None:
            self.journal.extend([(True, full)] if ns == full else [("v", full), (False, ns)])
        return ns

    def close_variable_scope(self, full: str) -> None:
        """Leave the variable scope ``full``. TF then forgets how often each scope *inside* it
        was opened (``close_variable_subscopes``): entered again, its default names start over
        (``Conv``, not ``Conv_1``), so a default-named layer clashes with its variables."""
        # Recording (the language server), the index keeps every scope (a rollback may bring
        # counts back) and the counts set back go into the journal; else it forgets the subtree.
        under = self._under.pop if self.journal is None else self._under.get
        stack = list(under(full, ()))
        removed = []
        while stack:
            key = stack.pop()
            count = self._count(self._variables, "variable", key)
            if count:
                self._variables[key] -= count
                removed.append((key, count))
            stack.extend(under(key, ()))
        if self.journal is not None and removed:
            self.journal.append(("c", full, tuple(removed)))
        prefix = full + "/"
        for key in [k for k in self._suffix_hint
                    if k[0] == "variable" and (k[1] == full or k[1].startswith(prefix))]:
            del self._suffix_hint[key]

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

    def _count(self, counts: Counter[str], kind: str, key: str) -> int:
        count = counts[key]
        if self._undone:  # net of a rollback not yet committed (a close undone: more)
            pending = self._pending_variables if kind == "variable" else self._pending_names
            count -= pending.get(key if kind == "variable" else key.lower(), 0)
        return count

    def _taken(self, counts: Counter[str], kind: str, key: str) -> bool:
        return self._count(counts, kind, key) > 0

    def _unique(self, parent: str, base: str, counts: Counter[str], kind: str) -> str:
        """TF's default-name uniquification: ``base``, then ``base_1``, ``base_2``, ..."""
        if not self._taken(counts, kind, join_scope(parent, base)):
            return base
        # Counts only grow (until close_variable_scope forgets a subtree, and its hints), so
        # the suffix found last time is a lower bound for this one: resuming there keeps a
        # chain of N unnamed layers linear instead of quadratic.
        key = (kind, parent, base)
        i = self._suffix_hint.get(key, 1)
        while self._taken(counts, kind, join_scope(parent, f"{base}_{i}")):
            i += 1
        self._suffix_hint[key] = i
        return f"{base}_{i}"


Evaluate = Callable[[Any, Env], Any]  # an expression's value in an environment


def enter_scope(names: ScopeNames, ctx: Any, name: str) -> Any:
    """``ctx`` (a :class:`~.context.StmtCtx`) inside the variable scope ``name``, opened:
    ``scope`` is its variable scope, ``name_scope`` the name scope TF gave it."""
    full = join_scope(ctx.scope, name)
    ns = names.open_variable_scope(full, name, ctx.ns)
    return replace(ctx, scope=full, name_scope=None if ns == full else ns)


def interpolate(text: str, parts: tuple | None, env: Env, scope: str,
                evaluate: Evaluate) -> str:
    """``text`` with every ``{expression}`` replaced by its int or string value; ``{scope}`` is
    the current variable scope. ``parts`` are the pieces the parser split ``text`` into (None:
    nothing to interpolate)."""
    if parts is None:
        return text
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        if isinstance(part, n.Name) and part.name == "scope":  # `scope` is a reserved word
            out.append(scope)
            continue
        try:
            value = evaluate(part, env)
        except EvalError as e:
            if e.code is dg.UNKNOWN_NAME:
                raise EvalError(e.span, e.code, f"{e.message} in \"{text}\"", e.notes) \
                    from None
            raise
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise EvalError(part.span, dg.BAD_VALUE,
                            f"an interpolated {{...}} must be an int or a string, got "
                            f"{describe(value)}")
        out.append(str(value))
    return "".join(out)


#: What ``as none`` gives a model or block: no variable scope of its own.
NO_SCOPE = ""


def scope_name(scope: n.ScopeName, env: Env, parent: str, evaluate: Evaluate,
               allow_none: bool = False) -> str:
    """The name an ``as NAME`` / ``scope NAME`` gives, interpolated and checked; ``as none``
    gives :data:`NO_SCOPE` where ``allow_none`` (a model, or a call that may be a block's)."""
    if not scope.quoted and scope.text == "none":
        if allow_none:
            return NO_SCOPE
        raise EvalError(scope.span, dg.SCOPE_NAME,
                        "'as none' (no scope) applies to block calls and models only",
                        ("layers, repeat, stack, scope and branches always open a scope, as "
                         "in TF-Slim",))
    name = interpolate(scope.text, scope.parts, env, parent, evaluate) if scope.quoted \
        else scope.text
    parts = name.split("/")
    if not name or not all(_SCOPE_PART.fullmatch(p) for p in parts):
        raise EvalError(scope.span, dg.SCOPE_NAME,
                        f"invalid scope name {show(name)}",
                        ("scope names are letters, digits, '_', '.', '-', "
                         "separated by '/'",))
    return name
