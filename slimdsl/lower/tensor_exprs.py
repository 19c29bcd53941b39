"""Tensor expressions: what the evaluator needs besides compile-time values.

- arithmetic on tensors (``net + 0.17 * up``) and slicing (``x[:, 1:]``) become IR nodes
  through a hook the statement lowerer provides (see :class:`~.evaluate.Evaluator`);
- a ``def`` used as an activation (``def gate(x) = relu6(x + 3) * 0.16667``) is *traced*: its
  body is evaluated once with a :class:`Traced` argument, giving the expression tree of
  :attr:`slimdsl.values.Activation.expr`, which the backend writes as a lambda;
- ``**`` and slices of compile-time numbers and lists.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import diagnostics as dg
from ..diagnostics import Span
from ..frontend import tree as n
from ..layers import OPERATORS
from ..values import (
    ACTIVATION_PARAMS,
    ACTIVATIONS,
    UNKNOWN,
    Activation,
    Function,
    TensorValue,
    describe,
    is_finite_number,
    show,
    type_name,
)
from .env import Env, EvalError, check_int

#: Binary operators that act on tensors (and on the traced argument of an activation).
TENSOR_BINOPS = ("+", "-", "*", "/", "**")


class Traced:
    """The argument of a ``def`` traced as an activation, or an expression over it."""

    __slots__ = ("tree",)

    def __init__(self, tree: Any):
        self.tree = tree

    def __repr__(self) -> str:
        return "<activation argument>"


ARGUMENT = ("x",)


def operand_problem(op: str, value: Any) -> str | None:
    """Why ``value`` cannot be an operand of ``op`` next to a tensor, or None."""
    if isinstance(value, (TensorValue, Traced)) or is_finite_number(value):
        return None
    if value is UNKNOWN:
        return (f"operator '{op}' of a tensor and an unknown dimension '?' (a tensor's static "
                f"size is not a value)")
    return f"operator '{op}' combines tensors and numbers, got {describe(value)}"


def traced_binop(op: str, left: Any, right: Any) -> Traced:
    """``left op right`` where one side is the traced argument (the other a number)."""
    def tree(v: Any) -> Any:
        return v.tree if isinstance(v, Traced) else v
    return Traced((op, tree(left), tree(right)))


def traced_activation(act: Activation, arg: Traced) -> Traced:
    return Traced(("act", act, arg.tree))


class PowerError(ValueError):
    """``a ** b`` of numbers has no finite, real, bounded result."""


def number_power(a: int | float, b: int | float, max_bits: int) -> int | float:
    """``a ** b`` at compile time, refusing results that are huge, infinite or complex.

    >>> number_power(2, 10, 256), number_power(2, -1, 256), number_power(9, 0.5, 256)
    (1024, 0.5, 3.0)
    """
    if isinstance(a, int) and isinstance(b, int) and b >= 0:
        if abs(a) > 1 and (abs(a).bit_length() - 1) * b > max_bits:
            raise PowerError(f"{a} ** {b} is too large")
        return a ** b
    if a == 0 and b < 0:
        raise PowerError(f"0 to the negative power {b}")
    if a < 0 and not float(b).is_integer():
        raise PowerError(f"{a} ** {b} is not a real number")
    try:
        result = float(a) ** float(b)
    except OverflowError:
        raise PowerError(f"{a} ** {b} is too large") from None
    if not math.isfinite(result):
        raise PowerError(f"{a} ** {b} is not finite")
    return result


class TensorExprs:
    """The evaluator's part for tensors: arithmetic and slicing lowered through
    ``tensor_hook`` to IR nodes, and the tracing of a ``def`` used as an activation."""

    tensor_hook: Callable[[str, list, dict, Span], Any] | None
    _tracing: int
    eval: Callable[[n.Expr, Env], Any]
    _constructor_args: Callable[..., dict[str, Any]]

    def _tensor_binop(self, e: n.BinOp, left: Any, right: Any) -> Any:
        """``a op b`` where a side is a tensor (an IR node) or a traced activation argument."""
        for side, v in ((e.left, left), (e.right, right)):
            problem = operand_problem(e.op, v)
            if problem:
                raise EvalError(side.span, dg.EXPRESSION, problem)
        traced = [isinstance(v, Traced) for v in (left, right)]
        if any(traced):
            if any(isinstance(v, TensorValue) for v in (left, right)):
                raise EvalError(e.span, dg.EXPRESSION,
                                "an activation function may combine its argument only with "
                                "numbers, not with other tensors")
            return traced_binop(e.op, left, right)
        return self._tensor_op(OPERATORS[e.op], [left, right], {}, e.span)

    def _tensor_op(self, kind: str, operands: list, args: dict, span: Span) -> Any:
        if self.tensor_hook is None:  # pragma: no cover - every lowering installs one
            raise EvalError(span, dg.EXPRESSION, "tensor arithmetic outside a model")
        return self.tensor_hook(kind, operands, args, span)

    def _eval_Subscript(self, e: n.Subscript, env: Env) -> Any:
        value = self.eval(e.value, env)
        if isinstance(value, (TensorValue, Traced)):
            items = []
            for item in e.items:
                if isinstance(item, n.EllipsisLit):
                    items.append(("ellipsis",))
                elif isinstance(item, n.Slice):
                    items.append(("slice",) + tuple(self._slice_bound(x, env, what) for x, what
                                                    in ((item.start, "start"),
                                                        (item.stop, "stop"),
                                                        (item.step, "step"))))
                else:
                    items.append(self._subscript_item(item, self.eval(item, env)))
            return self._slice_tensor(e, value, items)
        if not isinstance(value, (list, tuple, str)):
            raise EvalError(e.value.span, dg.EXPRESSION, f"cannot slice a {type_name(value)}",
                            missing_comma_note(value))
        if len(e.items) != 1 or not isinstance(e.items[0], n.Slice):
            raise EvalError(e.span, dg.EXPRESSION,
                            f"a {type_name(value)} takes one index or one slice, such as "
                            f"shape[1:3]")
        item = e.items[0]
        bounds = [self._slice_bound(x, env, what) for x, what in
                  ((item.start, "start"), (item.stop, "stop"), (item.step, "step"))]
        if bounds[2] == 0:
            raise EvalError(item.span, dg.EXPRESSION, "a slice step cannot be 0")
        return value[slice(*bounds)]

    def _slice_bound(self, expr: n.Expr | None, env: Env, what: str) -> int | None:
        if expr is None:
            return None
        v = self.eval(expr, env)
        if v is None or (isinstance(v, int) and not isinstance(v, bool)):
            return check_int(v, expr.span) if v is not None else None
        raise EvalError(expr.span, dg.EXPRESSION,
                        f"a slice {what} is an int or none, got {describe(v)}")

    def _subscript_item(self, expr: n.Expr, value: Any) -> tuple:
        """One plain subscript of a tensor: an int index, or none (a new axis of size 1)."""
        if value is None:
            return ("newaxis",)
        return ("index", check_int(value, expr.span))

    def _slice_tensor(self, e: n.Expr, value: Any, items: list[tuple]) -> Any:
        if isinstance(value, Traced):
            raise EvalError(e.span, dg.EXPRESSION,
                            "an activation function applies element-wise arithmetic and "
                            "activations to its argument; it cannot slice it")
        return self._tensor_op("strided_slice", [value], {"subscripts": tuple(items)}, e.span)

    # -- a def traced as an activation
    def activation_of(self, value: Any, span: Span) -> Any:
        """``value`` as an activation argument: a ``def`` of one parameter becomes the traced
        :class:`Activation`; anything else is returned as is (the argument type checks it)."""
        if isinstance(value, Function) and len(value.params) == 1:
            return self.trace_activation(value, span)
        return value

    def trace_activation(self, fn: Function, span: Span) -> Activation:
        """The activation computed by ``fn`` (one parameter): its body over a symbolic
        argument, which may only meet numbers, arithmetic and other activations."""
        local = fn.closure.child()
        local.bind(fn.params[0], Traced(ARGUMENT))
        self._tracing += 1
        try:
            result = self.eval(fn.body, local)
        except EvalError as e:
            raise EvalError(e.span, e.code, e.message,
                            e.notes + (dg.Note(f"while using {fn.name} as an activation", span),)
                            ) from None
        finally:
            self._tracing -= 1
        if not isinstance(result, Traced):
            raise EvalError(span, dg.BAD_VALUE,
                            f"{fn.name}({fn.params[0]}) is not an activation: it gives "
                            f"{describe(result)}, not a tensor computed from "
                            f"{fn.params[0]}")
        return Activation(fn.name, (), result.tree)

    def _traced_call(self, e: n.Call, env: Env, bound: Any) -> Traced:
        """A call met while tracing an activation: only activations of the argument."""
        act = bound if isinstance(bound, Activation) else \
            Activation(e.func) if bound is None and e.func in ACTIVATIONS else None
        if act is None:
            raise EvalError(e.span, dg.EXPRESSION,
                            f"an activation function applies arithmetic and activations to "
                            f"its argument; {e.func}() is not an activation")
        if len(e.args) != 1:
            raise EvalError(e.span, dg.EXPRESSION,
                            f"{e.func}() takes the tensor it applies to, got {len(e.args)} "
                            f"positional arguments")
        arg = self.eval(e.args[0], env)
        if not isinstance(arg, Traced):
            raise EvalError(e.args[0].span, dg.EXPRESSION,
                            f"{e.func}() applies to a tensor, got {describe(arg)}")
        if e.kwargs:
            if bound is not None:
                raise EvalError(e.kwargs[0].span, dg.UNKNOWN_ARGUMENT,
                                f"{e.func} is an activation value: it takes no arguments")
            kwargs = self._constructor_args(n.Call(e.span, e.func, e.func_span, (), e.kwargs),
                                            env, ACTIVATION_PARAMS.get(e.func, ()))
            act = Activation(e.func, tuple(kwargs.items()))
        return traced_activation(act, arg)


def missing_comma_note(value: object) -> tuple[str, ...]:
    """For ``conv2d(64 [3, 3])``: a number indexed is most likely a comma left out."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (f"'{show(value)} [' indexes {show(value)}; two arguments are written "
                f"'{show(value)}, [...]'",)
    return ()
