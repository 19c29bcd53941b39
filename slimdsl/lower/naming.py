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
    """

    def __init__(self) -> None:
        self._variables: Counter[str] = Counter()
        self._names: Counter[str] = _NameScopes()
        self._suffix_hint: dict[tuple[str, str, str], int] = {}  # see _unique

    def open_variable_scope(self, full: str) -> None:
        """Open the variable scope ``full`` (which also opens the name scope)."""
        self._variables[full] += 1
        self._names[full] += 1

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
        # Counts only grow, so the suffix found last time is a lower bound for this one:
        # resuming there keeps a chain of N unnamed layers linear instead of quadratic.
        key = (kind, parent, base)
        i = self._suffix_hint.get(key, 1)
        while counts[join_scope(parent, f"{base}_{i}")] > 0:
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
