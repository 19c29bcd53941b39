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
from typing import Any

from .. import diagnostics as dg
from ..frontend import tree as n
from ..records import replace
from ..values import show, type_name
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
        if self._names[ns] > 0:
            ns = join_scope(name_parent, self.unique_name_scope(name_parent, name))
        self._names[ns] += 1
        return ns

    def close_variable_scope(self, full: str) -> None:
        """Leave the variable scope ``full``. TF then forgets how often each scope *inside* it
        was opened (``close_variable_subscopes``): entered again, its default names start over
        (``Conv``, not ``Conv_1``), so a default-named layer clashes with its variables."""
        stack = list(self._under.pop(full, ()))
        if not stack:
            return
        while stack:
            key = stack.pop()
            self._variables.pop(key, None)
            stack.extend(self._under.pop(key, ()))
        prefix = full + "/"
        for key in [k for k in self._suffix_hint
                    if k[0] == "variable" and (k[1] == full or k[1].startswith(prefix))]:
            del self._suffix_hint[key]

    def open_name_scope(self, full: str) -> None:
        """Open the name scope (or take the op name) ``full``."""
        self._names[full] += 1

    def unique_variable_scope(self, parent: str, base: str) -> str:
        """``base`` or the first free ``base_N`` among the variable scopes of ``parent``."""
        return self._unique(parent, base, self._variables, "variable")

    def unique_name_scope(self, parent: str, base: str) -> str:
        """``base`` or the first free ``base_N`` among the name scopes and ops of ``parent``."""
        return self._unique(parent, base, self._names, "name")

    def _unique(self, parent: str, base: str, counts: Counter[str], kind: str) -> str:
        """TF's default-name uniquification: ``base``, then ``base_1``, ``base_2``, ..."""
        if counts[join_scope(parent, base)] == 0:
            return base
        # Counts only grow (until close_variable_scope forgets a subtree, and its hints), so
        # the suffix found last time is a lower bound for this one: resuming there keeps a
        # chain of N unnamed layers linear instead of quadratic.
        key = (kind, parent, base)
        i = self._suffix_hint.get(key, 1)
        while counts[join_scope(parent, f"{base}_{i}")] > 0:
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
                            f"{type_name(value)} {show(value)}")
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
