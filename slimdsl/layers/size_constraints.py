"""What an operation needs of named (symbolic) sizes, collected while a shape rule runs.

``layers/shapes.py`` records a constraint (:func:`require`) instead of raising when a size is a
formula; the lowering wraps the model in :func:`collecting` and files each one under its layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ..symbolic.constraints import Constraint
from ..symbolic.expr import Expr

__all__ = ["collecting", "is_symbolic", "require", "symtf"]


class _LazySymbolicTF:
    """:mod:`slimdsl.symbolic.tf`, imported when a symbolic dimension first needs it: a model
    with only integer shapes never loads it (nor the solver), so its check costs nothing more."""

    def __getattr__(self, name: str):
        from ..symbolic import tf
        value = getattr(tf, name)
        setattr(self, name, value)  # found directly from now on (__getattr__ is the slow path)
        return value


symtf = _LazySymbolicTF()


#: The constraints of the shape rule running now (None: nobody collects them).
_PENDING: ContextVar[list[Constraint] | None] = ContextVar("slimdsl_shape_constraints",
                                                           default=None)


@contextmanager
def collecting() -> Iterator[list[Constraint]]:
    """Collect the constraints on symbolic sizes the shape rules run inside the block impose.

    >>> from slimdsl.symbolic import sym
    >>> from slimdsl.layers.shapes import conv_output_dim, format_dim
    >>> with collecting() as found:
    ...     out = conv_output_dim(sym("H"), 3, 1, "VALID")
    >>> format_dim(out), [str(c) for c in found]
    ('H - 2', ['H - 2 >= 1'])
    """
    sink: list[Constraint] = []
    token = _PENDING.set(sink)
    try:
        yield sink
    finally:
        _PENDING.reset(token)


def require(constraints: tuple[Constraint, ...] | list[Constraint], what: str) -> None:
    """Record what an operation needs of the sizes, described by ``what`` (its origin).

    >>> from slimdsl.symbolic import sym, ge
    >>> with collecting() as found:
    ...     require([ge(sym("H"), 8)], "crop 4+4")
    >>> [(str(c), c.origin) for c in found]
    [('H >= 8', 'crop 4+4')]
    """
    sink = _PENDING.get()
    if sink is not None:
        sink.extend(Constraint(c.op, c.lhs, c.rhs, what) for c in constraints)


def is_symbolic(d: object) -> bool:
    """Whether a dimension is an expression over named sizes.

    >>> from slimdsl.symbolic import sym
    >>> is_symbolic(sym("H")), is_symbolic(7), is_symbolic(None)
    (True, False, False)
    """
    return isinstance(d, Expr)
