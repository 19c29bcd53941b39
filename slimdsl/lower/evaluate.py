"""Evaluation of .slim expressions to compile-time values.

Expressions are evaluated while a model is lowered: parameters, loop variables and shapes of
tensors are all known statically. Errors raise :class:`EvalError` (reported once by the caller);
:class:`Poisoned` means an earlier error already explains why a value is missing, so the caller
stays silent instead of reporting a cascade.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import diagnostics as dg
from ..diagnostics import Span, did_you_mean, suggest
from ..frontend import tree as n
from ..layers import LAYER_NAMES, META_LAYERS, OPERATORS
from ..values import (
    ACTIVATION_PARAMS,
    ACTIVATIONS,
    BUILTIN_FUNCTIONS,
    CONSTANTS,
    INITIALIZER_ALIASES,
    INITIALIZERS,
    POSITIONAL_LIMITS,
    REGULARIZERS,
    UNKNOWN,
    VARIANCE_SCALING_MODES,
    Activation,
    Function,
    Initializer,
    LayerRef,
    ParamSpec,
    Regularizer,
    TensorValue,
    describe,
    is_finite_number,
    show,
    type_name,
)
from .env import (
    MAX_FUNCTION_CALLS,
    MAX_FUNCTION_DEPTH,
    MAX_INT_BITS,
    MAX_LIST,
    POISON,
    Env,
    EvalError,
    Poisoned,
    WorkLimit,
    check_int,
)
from .tensor_exprs import (
    TENSOR_BINOPS,
    PowerError,
    TensorExprs,
    Traced,
    missing_comma_note,
    number_power,
)

_TENSORS = (TensorValue, Traced)


def builtin_value(name: str) -> Any:
    """The value of a builtin name (constant, activation, bare initializer, layer), or KeyError."""
    if name in CONSTANTS:
        return CONSTANTS[name]
    if name in ACTIVATIONS:
        return Activation(name)
    if name in INITIALIZERS and all(not p.required for p in INITIALIZERS[name]):
        canonical = INITIALIZER_ALIASES.get(name, name)
        return Initializer(canonical, tuple((p.name, p.default) for p in INITIALIZERS[name]))
    if name in LAYER_NAMES:
        return LayerRef(LAYER_NAMES[name])
    raise KeyError(name)


#: Every builtin name an expression may use, for "did you mean" and editor keyword lists.
BUILTIN_NAMES = tuple(CONSTANTS) + ACTIVATIONS + tuple(INITIALIZERS) + tuple(REGULARIZERS) \
    + BUILTIN_FUNCTIONS + tuple(LAYER_NAMES) + META_LAYERS


def _number(v: Any, span: Span, op: str) -> int | float:
    if v is POISON:
        raise Poisoned()
    if v is UNKNOWN:
        raise EvalError(span, dg.EXPRESSION,
                        f"'{op}' of an unknown dimension '?'",
                        ("test it first: x if known(x) else ...",))
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise EvalError(span, dg.EXPRESSION,
                        f"operator '{op}' needs numbers, got {describe(v)}")
    return v


def _shape_equal(a: list, b: list) -> bool:
    """List equality where ``?`` (UNKNOWN) on either side matches any dimension."""
    if len(a) != len(b):
        return False
    return all(x is UNKNOWN or y is UNKNOWN or _equal(x, y) for x, y in zip(a, b))


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return _shape_equal(list(a), list(b))
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


#: Makes the IR node of tensor arithmetic or slicing: (registry kind, operands, arguments,
#: span of the expression) -> the TensorValue of its output.
TensorHook = Callable[[str, list, dict, Span], Any]


class Evaluator(TensorExprs):
    """Evaluates expressions in an :class:`Env`; layer and block calls go to ``call_hook``,
    arithmetic and slicing of tensors to ``tensor_hook``."""

    def __init__(self, call_hook: Callable[[n.Call, Env], Any],
                 tensor_hook: TensorHook | None = None):
        self.call_hook = call_hook
        self.tensor_hook = tensor_hook
        self._tracing = 0  # > 0 while a def is traced as an activation
        #: > 0 while a parameter default is evaluated (calls there make values, not layers)
        self.in_default = 0
        #: The environment of the model's parameters, whose uses are tracked for codegen.
        self.param_env: Env | None = None
        self.param_names: frozenset[str] = frozenset()
        #: How each model parameter is used: "plain" (only ever the whole value of a layer
        #: argument, so generated code can read it at run time) or "structural" (anything else).
        self.param_uses: dict[str, str] = {}
        self._plain_name: n.Name | None = None  # the bare-name layer argument being evaluated
        self._function_depth = 0
        self._function_calls = 0
        self._unknown: set[str] = set()  # names reported as unknown (bound to POISON since)

    @property
    def function_calls(self) -> int:
        """``def`` calls evaluated so far (bounded by ``MAX_FUNCTION_CALLS``)."""
        return self._function_calls

    @function_calls.setter
    def function_calls(self, value: int) -> None:
        self._function_calls = value

    def track(self, env: Env, names: Iterable[str]) -> None:
        """Record in :attr:`param_uses` how the model parameters ``names`` (bound in ``env``)
        are used from now on."""
        self.param_env = env
        self.param_names = frozenset(names)

    def eval_argument(self, expr: n.Expr, env: Env, plain: bool) -> tuple[Any, str | None]:
        """Evaluate a layer argument: its value, and the model parameter it is exactly (a bare
        name) or None. With ``plain``, such a use keeps the parameter "plain"."""
        param = None
        if plain and isinstance(expr, n.Name) and expr.name in self.param_names \
                and env.find(expr.name) is self.param_env:
            param = expr.name
            self._plain_name = expr
        try:
            value = self.eval(expr, env)
        finally:
            self._plain_name = None
        return value, param

    def eval(self, expr: n.Expr, env: Env) -> Any:
        method = getattr(self, "_eval_" + type(expr).__name__)
        value = method(expr, env)
        if value is POISON:
            raise Poisoned()
        return value

    # -- atoms
    def _eval_Number(self, e: n.Number, env: Env) -> Any:
        if isinstance(e.value, float) and not math.isfinite(e.value):
            raise EvalError(e.span, dg.EXPRESSION, f"number {e.text} is out of range")
        if isinstance(e.value, int):
            return check_int(e.value, e.span)
        return e.value

    def _eval_String(self, e: n.String, env: Env) -> Any:
        return e.value

    def _eval_Unknown(self, e: n.Unknown, env: Env) -> Any:
        return UNKNOWN

    def _eval_Name(self, e: n.Name, env: Env) -> Any:
        holder = env.find(e.name)
        if holder is not None:
            if holder is self.param_env and e.name in self.param_names:
                if self._plain_name is e:
                    self.param_uses.setdefault(e.name, "plain")
                else:
                    self.param_uses[e.name] = "structural"
            return holder.vars[e.name]
        try:
            return builtin_value(e.name)
        except KeyError:
            pass
        if e.name in INITIALIZERS or e.name in REGULARIZERS:
            raise EvalError(e.span, dg.EXPRESSION,
                            f"'{e.name}' needs arguments: write {e.name}(...)")
        if e.name in ("True", "False", "None"):
            raise EvalError(e.span, dg.UNKNOWN_NAME, f"unknown name '{e.name}'",
                            (f"write '{e.name.lower()}'",))
        # names reported unknown earlier are bound (to POISON) too: never suggest one of them
        known = [k for k in env.names() if k not in self._unknown]
        suggestion, fixes = suggest(e.name, known + list(BUILTIN_NAMES), e.span)
        env_root = env
        while env_root.parent is not None:
            env_root = env_root.parent
        env_root.bind(e.name, POISON)  # report an unknown name once, not at every use
        self._unknown.add(e.name)
        raise EvalError(e.span, dg.UNKNOWN_NAME, f"unknown name '{e.name}'{suggestion}",
                        fixes=fixes)

    def _eval_ListLit(self, e: n.ListLit, env: Env) -> Any:
        return [self.eval(item, env) for item in e.items]

    def _eval_TupleLit(self, e: n.TupleLit, env: Env) -> Any:
        return tuple(self.eval(item, env) for item in e.items)

    def _eval_DictLit(self, e: n.DictLit, env: Env) -> Any:
        out: dict[str, Any] = {}
        for key, value, key_span in e.items:
            if key in out:
                raise EvalError(key_span, dg.DUPLICATE_ARGUMENT, f"key '{key}' appears twice")
            out[key] = self.eval(value, env)
        return out

    # -- operators
    def _eval_UnaryOp(self, e: n.UnaryOp, env: Env) -> Any:
        v = self.eval(e.operand, env)
        if e.op == "not":
            if not isinstance(v, bool):
                raise EvalError(e.span, dg.EXPRESSION, f"'not' needs a bool, got {type_name(v)}")
            return not v
        if isinstance(v, Traced):
            return Traced(("neg", v.tree))
        if isinstance(v, TensorValue):
            return self._tensor_op(OPERATORS["neg"], [v], {}, e.span)
        return -_number(v, e.span, "-")

    def _eval_BinOp(self, e: n.BinOp, env: Env) -> Any:
        if e.op in ("and", "or"):
            left = self.eval(e.left, env)
            if not isinstance(left, bool):
                raise EvalError(e.left.span, dg.EXPRESSION,
                                f"'{e.op}' needs bools, got {type_name(left)}")
            if (e.op == "and" and not left) or (e.op == "or" and left):
                return left
            right = self.eval(e.right, env)
            if not isinstance(right, bool):
                raise EvalError(e.right.span, dg.EXPRESSION,
                                f"'{e.op}' needs bools, got {type_name(right)}")
            return right
        left = self.eval(e.left, env)
        right = self.eval(e.right, env)
        op = e.op
        if isinstance(left, _TENSORS) or isinstance(right, _TENSORS):
            if op in TENSOR_BINOPS:
                return self._tensor_binop(e, left, right)
            if op in ("==", "!=") and (left is None or right is None):  # `prev != none`
                return (left is right) == (op == "==")
            side = e.left if isinstance(left, _TENSORS) else e.right
            raise EvalError(side.span, dg.EXPRESSION,
                            f"operator '{op}' does not apply to tensors"
                            + (" (conditions are compile-time values: compare shapes, "
                               "e.g. x.shape[1] == 7)" if op in ("==", "!=", "<", "<=",
                                                                 ">", ">=") else ""))
        if op in ("==", "!="):
            eq = _equal(left, right)
            return eq if op == "==" else not eq
        if op in ("<", "<=", ">", ">="):
            if isinstance(left, str) and isinstance(right, str):
                pass
            else:
                _number(left, e.left.span, op)
                _number(right, e.right.span, op)
            return {"<": left < right, "<=": left <= right, ">": left > right,
                    ">=": left >= right}[op]
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right
        if op == "+" and isinstance(left, list) and isinstance(right, list):
            if len(left) + len(right) > MAX_LIST:
                raise EvalError(e.span, dg.EXPRESSION, f"list longer than {MAX_LIST}")
            return left + right
        if op == "*" and isinstance(left, list) and isinstance(right, int) \
                and not isinstance(right, bool):
            if len(left) * max(right, 0) > MAX_LIST:
                raise EvalError(e.span, dg.EXPRESSION, f"list longer than {MAX_LIST}")
            return left * right
        a = _number(left, e.left.span, op)
        b = _number(right, e.right.span, op)
        if op == "**":
            try:
                return number_power(a, b, MAX_INT_BITS)
            except PowerError as exc:
                raise EvalError(e.span, dg.EXPRESSION, str(exc)) from None
        if op in ("/", "//", "%") and b == 0:
            raise EvalError(e.right.span, dg.EXPRESSION, f"division by zero in '{op}'")
        if op == "*" and isinstance(a, int) and isinstance(b, int) \
                and a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise EvalError(e.span, dg.EXPRESSION, "integer too large")
        result = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                  "/": lambda: a / b, "//": lambda: a // b, "%": lambda: a % b}[op]()
        if isinstance(result, float) and not math.isfinite(result):
            raise EvalError(e.span, dg.EXPRESSION, f"result of '{op}' is not finite")
        return result

    def _eval_Conditional(self, e: n.Conditional, env: Env) -> Any:
        test = self.eval(e.test, env)
        if not isinstance(test, bool):
            raise EvalError(e.test.span, dg.EXPRESSION,
                            f"condition must be a bool, got {describe(test)}")
        return self.eval(e.then if test else e.otherwise, env)

    def _eval_Index(self, e: n.Index, env: Env) -> Any:
        value = self.eval(e.value, env)
        idx = self.eval(e.index, env)
        if isinstance(value, (TensorValue, Traced)):
            return self._slice_tensor(e, value, [self._subscript_item(e.index, idx)])
        if isinstance(value, dict):
            if not isinstance(idx, str) or idx not in value:
                raise EvalError(e.index.span, dg.EXPRESSION,
                                f"key {show(idx)} not in dict{did_you_mean(str(idx), value)}")
            return value[idx]
        if not isinstance(value, (list, tuple, str)):
            raise EvalError(e.value.span, dg.EXPRESSION, f"cannot index a {type_name(value)}",
                            missing_comma_note(value))
        i = check_int(idx, e.index.span)
        if not -len(value) <= i < len(value):
            raise EvalError(e.index.span, dg.EXPRESSION,
                            f"index {i} out of range for length {len(value)}")
        return value[i]

    def _eval_Attribute(self, e: n.Attribute, env: Env) -> Any:
        value = self.eval(e.value, env)
        if isinstance(value, Traced):
            raise EvalError(e.span, dg.EXPRESSION,
                            f"an activation function's argument has no static '.{e.attr}': "
                            f"it stands for any tensor")
        if isinstance(value, TensorValue):
            shape = value.tensor.shape
            if shape is None:
                raise Poisoned()
            if e.attr == "shape":
                # a symbolic size (H) is not a compile-time number: the language sees ?
                return [d if isinstance(d, int) else UNKNOWN for d in shape]
            if e.attr == "rank":
                return len(shape)
            raise EvalError(e.span, dg.EXPRESSION,
                            f"a tensor has no attribute '{e.attr}' (it has: shape, rank)"
                            f"{did_you_mean(e.attr, ['shape', 'rank'])}")
        raise EvalError(e.span, dg.EXPRESSION,
                        f"a {type_name(value)} has no attribute '{e.attr}'")

    # -- calls
    def _eval_Call(self, e: n.Call, env: Env) -> Any:
        name = e.func
        bound = env.find(name)
        if bound is not None and isinstance(bound.vars[name], Function):
            return self._call_function(bound.vars[name], e, env)
        if name in BUILTIN_FUNCTIONS and not _shadowed(name, env):
            return _builtin_function(self, e, env)
        if name in INITIALIZERS and not _shadowed(name, env):
            kwargs = self._constructor_args(e, env, INITIALIZERS[name])
            if name == "variance_scaling" and kwargs["mode"] not in VARIANCE_SCALING_MODES:
                raise EvalError(e.span, dg.BAD_VALUE,
                                f"variance_scaling mode must be one of "
                                f"{', '.join(VARIANCE_SCALING_MODES)}, got {show(kwargs['mode'])}")
            return Initializer(INITIALIZER_ALIASES.get(name, name), tuple(kwargs.items()))
        if name in REGULARIZERS and not _shadowed(name, env):
            kwargs = self._constructor_args(e, env, REGULARIZERS[name])
            for k, v in kwargs.items():
                if v < 0:
                    raise EvalError(e.span, dg.BAD_VALUE, f"{name} {k} must be >= 0, got {v}")
            return Regularizer(name, tuple(kwargs.items()))
        if self._tracing:
            return self._traced_call(e, env, bound.vars[name] if bound is not None else None)
        return self.call_hook(e, env)

    def _call_function(self, fn: Function, e: n.Call, env: Env) -> Any:
        if e.kwargs or len(e.args) != len(fn.params):
            raise EvalError(e.span, dg.EXPRESSION,
                            f"{fn.name}() takes {len(fn.params)} positional argument"
                            f"{'s' if len(fn.params) != 1 else ''}: {fn!r}")
        if self._function_depth >= MAX_FUNCTION_DEPTH:
            raise EvalError(e.span, dg.RECURSION,
                            f"functions nested more than {MAX_FUNCTION_DEPTH} deep in {fn.name}()")
        self._function_calls += 1
        if self._function_calls > MAX_FUNCTION_CALLS:
            raise WorkLimit(e.span, f"it takes more than {MAX_FUNCTION_CALLS:,} function "
                                    f"calls (in {fn.name}()) to expand")
        local = fn.closure.child()
        for pname, arg in zip(fn.params, e.args):
            local.bind(pname, self.eval(arg, env))
        self._function_depth += 1
        try:
            return self.eval(fn.body, local)
        finally:
            self._function_depth -= 1

    def activation_value(self, e: n.Call, env: Env) -> Activation:
        """``leaky_relu(alpha=0.1)`` used as a value (``activation_fn=...``)."""
        kwargs = self._constructor_args(e, env, ACTIVATION_PARAMS.get(e.func, ()))
        return Activation(e.func, tuple(kwargs.items()))

    def _constructor_args(self, e: n.Call, env: Env, specs: tuple[ParamSpec, ...]
                          ) -> dict[str, Any]:
        limit = POSITIONAL_LIMITS.get(e.func)
        if limit is not None and len(e.args) > limit:  # random_normal(0, 0.02): which is which?
            shown = ", ".join(f"{spec.name}={literal_text(a)}"
                              for spec, a in zip(reversed(specs), e.args))
            raise EvalError(e.args[limit].span, dg.TOO_MANY_ARGUMENTS,
                            f"{e.func}() takes one positional argument, the stddev; give the "
                            f"mean by keyword",
                            (f"TensorFlow's {e.func}_initializer takes (mean, stddev), slimdsl's "
                             f"positional argument is the stddev: the order is ambiguous",
                             f"as TensorFlow reads it: {e.func}({shown})"))
        if len(e.args) > len(specs):
            raise EvalError(e.span, dg.TOO_MANY_ARGUMENTS,
                            f"{e.func}() takes at most {len(specs)} positional arguments, "
                            f"got {len(e.args)}")
        given: dict[str, tuple[Any, Span]] = {}
        for spec, arg in zip(specs, e.args):
            given[spec.name] = (self.eval(arg, env), arg.span)
        names = [s.name for s in specs]
        for kw in e.kwargs:
            if kw.name not in names:
                suffix, fixes = suggest(kw.name, names, kw.name_span)
                raise EvalError(kw.name_span, dg.UNKNOWN_ARGUMENT,
                                f"{e.func}() has no argument '{kw.name}'{suffix}",
                                (f"arguments: {', '.join(names) or '(none)'}",), fixes)
            if kw.name in given:
                raise EvalError(kw.name_span, dg.DUPLICATE_ARGUMENT,
                                f"{e.func}() got '{kw.name}' twice")
            given[kw.name] = (self.eval(kw.value, env), kw.value.span)
        out: dict[str, Any] = {}
        for spec in specs:
            if spec.name not in given:
                if spec.required:
                    raise EvalError(e.span, dg.MISSING_ARGUMENT,
                                    f"{e.func}() needs '{spec.name}'")
                out[spec.name] = spec.default
                continue
            value, span = given[spec.name]
            if spec.kind == "float":
                if not is_finite_number(value):
                    raise EvalError(span, dg.BAD_VALUE,
                                    f"{e.func}() {spec.name} must be a finite number, got "
                                    f"{describe(value)}")
                value = float(value)
            elif spec.kind == "bool" and not isinstance(value, bool):
                raise EvalError(span, dg.BAD_VALUE,
                                f"{e.func}() {spec.name} must be true or false, got {show(value)}")
            elif spec.kind == "str" and not isinstance(value, str):
                raise EvalError(span, dg.BAD_VALUE,
                                f"{e.func}() {spec.name} must be a string, got {show(value)}")
            out[spec.name] = value
        return out

def _builtin_function(ev: Evaluator, e: n.Call, env: Env) -> Any:
    """A call of a builtin function (``range``, ``len``, ``min``, ...)."""
    if e.kwargs:
        raise EvalError(e.kwargs[0].span, dg.UNKNOWN_ARGUMENT,
                        f"{e.func}() takes no keyword arguments")
    args = [ev.eval(a, env) for a in e.args]
    name = e.func
    if name == "range":
        if not 1 <= len(args) <= 3:
            raise EvalError(e.span, dg.EXPRESSION, "range() takes 1 to 3 ints")
        ints = [check_int(a, s.span) for a, s in zip(args, e.args)]
        if len(ints) == 3 and ints[2] == 0:
            raise EvalError(e.args[2].span, dg.EXPRESSION, "range() step must not be zero")
        r = range(*ints)
        if max(0, -((r.start - r.stop) // r.step)) > MAX_LIST:  # len() may overflow
            raise EvalError(e.span, dg.EXPRESSION, f"range longer than {MAX_LIST}")
        return list(r)
    if name == "len":
        if len(args) != 1 or not isinstance(args[0], (list, tuple, str)):
            raise EvalError(e.span, dg.EXPRESSION, "len() takes one list or string")
        return len(args[0])
    if name in ("min", "max"):
        items = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        if not items:
            raise EvalError(e.span, dg.EXPRESSION, f"{name}() of nothing")
        for a, s in zip(items, e.args if len(args) > 1 else [e] * len(items)):
            _number(a, s.span, name)
        return min(items) if name == "min" else max(items)
    if len(args) != 1:
        raise EvalError(e.span, dg.EXPRESSION, f"{name}() takes exactly one argument")
    (v,) = args
    if name == "known":  # known(net.shape[1]): false for an unknown (?) dimension
        return v is not UNKNOWN
    if name == "str":
        if isinstance(v, (int, str)) and not isinstance(v, bool):
            return str(v)
        raise EvalError(e.span, dg.EXPRESSION, "str() takes an int or a string")
    x = _number(v, e.args[0].span, name)
    if name == "float":
        return float(x)
    if name == "abs":
        return abs(x)
    if isinstance(x, float) and not math.isfinite(x):
        raise EvalError(e.span, dg.EXPRESSION, f"{name}() of a non-finite number")
    return {"int": int, "ceil": math.ceil, "floor": math.floor, "round": round}[name](x)


def _shadowed(name: str, env: Env) -> bool:
    try:
        env.lookup(name)
        return True
    except KeyError:
        return False


def literal_text(expr: n.Expr) -> str:
    """A literal argument as written (numbers, names), else '...'."""
    if isinstance(expr, n.Number):
        return expr.text
    if isinstance(expr, n.UnaryOp) and expr.op == "-" and isinstance(expr.operand, n.Number):
        return "-" + expr.operand.text
    if isinstance(expr, n.Name):
        return expr.name
    return "..."
