"""Constraints on sizes: ``a == b`` (two branches meet) and ``a >= b`` (a kernel must fit).

A :class:`Constraint` keeps the two sides as the caller wrote them (for messages) and the
normalized difference ``expr = lhs - rhs`` that the solver works on; ``origin`` is opaque (the
checker stores a source span there) and never takes part in comparisons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .expr import Expr, as_expr, evaluate

__all__ = ["Constraint", "eq", "ge", "le", "positive"]


class Constraint:
    """``lhs == rhs`` (``op == "=="``) or ``lhs >= rhs`` (``op == ">="``) over the integers.

    >>> from slimdsl.symbolic.expr import sym, ceil_div
    >>> H = sym("H")
    >>> c = eq(2 * ceil_div(H, 2), H, origin="concat at line 7")
    >>> print(c), c.holds({"H": 6}), c.holds({"H": 7}), c.origin
    2*ceil(H / 2) == H
    (None, True, False, 'concat at line 7')
    """

    __slots__ = ("op", "lhs", "rhs", "expr", "origin")

    def __init__(self, op: str, lhs: Expr | int, rhs: Expr | int, origin: Any = None):
        if op not in ("==", ">="):
            raise ValueError(f"op must be '==' or '>=', got {op!r}")
        self.op, self.lhs, self.rhs, self.origin = op, as_expr(lhs), as_expr(rhs), origin
        self.expr = self.lhs - self.rhs

    @property
    def free(self) -> frozenset[str]:
        """The dimensions the constraint mentions."""
        return self.expr.free

    @property
    def key(self) -> tuple:
        """Identifies the mathematical content: ``a == b`` and ``b == a`` share a key."""
        if self.op == "==":
            return ("==", frozenset((self.expr, -self.expr)))
        return (">=", self.expr)

    def holds(self, env: Mapping[str, int], memo: dict | None = None) -> bool:
        """Whether the constraint holds at these sizes (exact)."""
        v = evaluate(self.expr, env, memo)
        return v == 0 if self.op == "==" else v >= 0

    def constant_truth(self) -> bool | None:
        """True/False for a constraint without symbols, None otherwise."""
        if self.expr.terms:
            return None
        return self.expr.const == 0 if self.op == "==" else self.expr.const >= 0

    def negation(self) -> list[Constraint]:
        """Constraints whose union is the complement (two for ``==``: below or above).

        >>> from slimdsl.symbolic.expr import sym
        >>> [str(c) for c in eq(sym("H"), 4).negation()]
        ['H >= 5', '4 >= H + 1']
        """
        if self.op == "==":
            return [Constraint(">=", self.lhs, self.rhs + 1, self.origin),
                    Constraint(">=", self.rhs, self.lhs + 1, self.origin)]
        return [Constraint(">=", self.rhs - 1, self.lhs, self.origin)]

    def format(self, unicode: bool = False) -> str:
        """``lhs == rhs`` / ``lhs >= rhs`` (``=`` / ``≥`` with unicode)."""
        op = {"==": "=", ">=": "≥"}[self.op] if unicode else self.op
        return f"{self.lhs.format(unicode)} {op} {self.rhs.format(unicode)}"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        tail = "" if self.origin is None else f", origin={self.origin!r}"
        return f"Constraint({str(self)!r}{tail})"


def eq(a: Expr | int, b: Expr | int, origin: Any = None) -> Constraint:
    """``a == b`` (concat, add, multiply of two branches).

    >>> from slimdsl.symbolic.expr import sym
    >>> eq(sym("H"), sym("W")).free == {"H", "W"}
    True
    """
    return Constraint("==", a, b, origin)


def ge(a: Expr | int, b: Expr | int, origin: Any = None) -> Constraint:
    """``a >= b``.

    >>> from slimdsl.symbolic.expr import sym
    >>> ge(sym("H"), 3).holds({"H": 3})
    True
    """
    return Constraint(">=", a, b, origin)


def le(a: Expr | int, b: Expr | int, origin: Any = None) -> Constraint:
    """``a <= b``, stored as ``b >= a``.

    >>> from slimdsl.symbolic.expr import sym
    >>> print(le(sym("H"), 9))
    9 >= H
    """
    return Constraint(">=", b, a, origin)


def positive(e: Expr | int, origin: Any = None) -> Constraint:
    """``e >= 1``: an output dimension must be positive (a VALID kernel must fit).

    >>> from slimdsl.symbolic.expr import sym, floor_div
    >>> print(positive(floor_div(sym("H") - 7, 2) + 1))
    ceil(H / 2) - 3 >= 1
    """
    return Constraint(">=", e, 1, origin)
