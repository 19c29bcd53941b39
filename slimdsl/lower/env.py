"""What evaluating and lowering share: name bindings (:class:`Env`), the errors an expression
raises (:class:`EvalError`, :class:`Poisoned`, :class:`WorkLimit`) and the limits that keep
hostile input from exhausting memory or time."""

from __future__ import annotations

from typing import Any

from .. import diagnostics as dg
from ..diagnostics import ErrorCode, Fix, Span
from ..values import describe

#: Limits that keep hostile input from exhausting memory or time.
MAX_LIST = 100_000
MAX_INT_BITS = 256
MAX_FUNCTION_DEPTH = 32
#: Function calls one model may evaluate: depth alone does not bound f(n-1) + f(n-1).
MAX_FUNCTION_CALLS = 20_000


class EvalError(Exception):
    """An expression cannot be evaluated; carries the diagnostic's pieces."""

    def __init__(self, span: Span, code: ErrorCode, message: str, notes: tuple[str, ...] = (),
                 fixes: tuple[Fix, ...] = ()):
        super().__init__(message)
        self.span = span
        self.code = code
        self.message = message
        self.notes = notes
        self.fixes = fixes  # a "did you mean" suggestion as data (dg.suggest)


class WorkLimit(Exception):
    """Expanding a model takes too many steps (loops, function calls); ends the lowering."""

    def __init__(self, span: Span, message: str):
        super().__init__(message)
        self.span = span
        self.message = message


class Poisoned(Exception):
    """A value depends on something an earlier diagnostic already reported."""


POISON = object()  # bound to names whose definition failed, so later uses stay silent


class Env:
    """Lexical name bindings; ``child()`` opens an inner scope (blocks, branches)."""

    __slots__ = ("vars", "parent")

    def __init__(self, parent: Env | None = None):
        self.vars: dict[str, Any] = {}
        self.parent = parent

    def lookup(self, name: str) -> Any:
        env = self.find(name)
        if env is None:
            raise KeyError(name)
        return env.vars[name]

    def find(self, name: str) -> Env | None:
        """The environment that binds ``name`` (this one or an enclosing one), or None."""
        env: Env | None = self
        while env is not None:
            if name in env.vars:
                return env
            env = env.parent
        return None

    def bind(self, name: str, value: Any) -> None:
        self.vars[name] = value

    def names(self) -> list[str]:
        out: list[str] = []
        env: Env | None = self
        while env is not None:
            out.extend(env.vars)
            env = env.parent
        return out

    def child(self) -> Env:
        return Env(self)


def check_int(v: Any, span: Span) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        if v.bit_length() > MAX_INT_BITS:
            raise EvalError(span, dg.EXPRESSION, f"integer too large ({v.bit_length()} bits)")
        return v
    raise EvalError(span, dg.EXPRESSION, f"expected an int, got {describe(v)}")
