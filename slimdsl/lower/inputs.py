"""The shape of an ``input`` statement: ints, ``?`` and named dimensions (issue 14).

``input images: [?, H, W, 3]``: a bare name that is not a parameter or another bound name
declares a dimension, a symbolic size the shapes are then expressions of; the same name in two
inputs is the same size. ``--input images=[1,512,384,3]`` (:data:`GivenShapes`) binds them to
concrete sizes for one check: the model is then lowered with plain ints, exactly as if it had
declared them.
"""

from __future__ import annotations

from typing import Any

from .. import diagnostics as dg
from ..frontend import tree as n
from ..layers.shapes import Dim, format_shape
from ..symbolic.expr import Expr, sym
from ..values import UNKNOWN, describe, show
from .evaluate import Env, EvalError, Evaluator, builtin_value

#: ``--input NAME=[d, ...]``: the concrete shape to check an input at (None keeps a ``?``).
GivenShapes = dict[str, tuple[int | None, ...]]


def _is_free_name(item: n.Expr, env: Env) -> bool:
    """A bare name bound to nothing: it declares a dimension."""
    if not isinstance(item, n.Name) or env.find(item.name) is not None:
        return False
    try:
        builtin_value(item.name)
    except KeyError:
        return True
    return False


def declared_shape(evaluator: Evaluator, s: n.InputStmt, env: Env, dims: list[str]
                   ) -> tuple[Dim, ...]:
    """The shape an input statement declares; appends new dimension names to ``dims``."""
    if isinstance(s.shape, n.ListLit):
        value: Any = [sym(item.name) if _is_free_name(item, env) else evaluator.eval(item, env)
                      for item in s.shape.items]
    else:
        value = evaluator.eval(s.shape, env)
    if not isinstance(value, list):
        raise EvalError(s.shape.span, dg.BAD_VALUE,
                        f"an input shape is a list such as [?, H, W, 3], got "
                        f"{describe(value)}")
    out: list[Dim] = []
    for d in value:
        if d is UNKNOWN:
            out.append(None)
        elif isinstance(d, Expr):
            name = next(iter(d.free))
            if name not in dims:
                dims.append(name)
            out.append(d)
        elif isinstance(d, int) and not isinstance(d, bool) and d >= 1:
            out.append(d)
        else:
            raise EvalError(s.shape.span, dg.BAD_VALUE,
                            f"input dimensions are ints >= 1, ? or a size name such as H, "
                            f"got {show(d)}")
    return tuple(out)


def bind_given(s: n.InputStmt, declared: tuple[Dim, ...], given: tuple[int | None, ...],
               bound: dict[str, int]) -> tuple[Dim, ...]:
    """The declared shape at the concrete shape ``--input`` gave; named sizes go into ``bound``
    (a name met again must get the same size)."""
    where = f"--input {s.name}={format_shape(given)}"
    if len(given) != len(declared):
        raise EvalError(s.shape.span, dg.BAD_VALUE,
                        f"{where} has rank {len(given)}, but input '{s.name}' is declared "
                        f"{format_shape(declared)} (rank {len(declared)})")
    out: list[Dim] = []
    for axis, (d, g) in enumerate(zip(declared, given)):
        if g is None:
            out.append(d if not isinstance(d, Expr) else None)
        elif d is None:
            out.append(g)
        elif isinstance(d, int):
            if d != g:
                raise EvalError(s.shape.span, dg.BAD_VALUE,
                                f"{where}: dimension {axis} is declared {d}, given {g}")
            out.append(d)
        else:
            name = next(iter(d.free))
            if bound.setdefault(name, g) != g:
                raise EvalError(s.shape.span, dg.BAD_VALUE,
                                f"{where}: {name} is {bound[name]} in an earlier input, "
                                f"given {g} here")
            out.append(g)
    return tuple(out)
