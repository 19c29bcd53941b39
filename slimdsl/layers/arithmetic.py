"""Element-wise arithmetic: ``add``, ``subtract``, ``multiply``, ``divide``, ``pow`` and
``negative`` (the .slim operators ``+ - * / **`` and unary ``-`` on tensors), and
``clip_by_value``.

Shapes broadcast as TensorFlow's do (:func:`.shapes.broadcast`). Dtypes follow TensorFlow
exactly, which never converts one tensor's dtype to another's: both tensors must have the same
dtype; a number takes the tensor's dtype (so ``int32 * 0.5`` is an error), and dividing
integers gives floats (``int32 / int32`` is float64, as ``tf.truediv``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..values import show
from . import shapes as sh
from .base import (
    FLOAT_DTYPES,
    NUMERIC_DTYPES,
    Arg,
    DtypeError,
    LayerKind,
    elementwise_flops,
)
from .shapes import Shape

#: The dtype of a number in tensor arithmetic, until the op converts it.
WEAK_DTYPES = ("int", "float")
#: Range of each integer dtype: a number outside it would be wrapped silently by TensorFlow.
INT_RANGES = {"uint8": (0, 255), "int32": (-(1 << 31), (1 << 31) - 1),
              "int64": (-(1 << 63), (1 << 63) - 1)}
#: tf.truediv's result for integer tensors.
_TRUEDIV = {"uint8": "float32", "int32": "float64", "int64": "float64"}
#: Operand dtypes of pow and negative (TensorFlow's Pow and Neg take no uint8).
SIGNED_DTYPES = FLOAT_DTYPES + ("int32", "int64")

Operand = tuple[str, Any]  # (dtype, the number for a constant operand else None)


def _article(dtype: str) -> str:
    return "an" if dtype[0] in "aeiou" else "a"


def _describe(dtype: str, const: Any) -> str:
    if const is None:
        return f"{_article(dtype)} {dtype} tensor"
    return f"the number {show(const)} (made {dtype} on its own: it comes first)"


def operand_dtype(verb: str, operands: list[Operand]) -> str:
    """The dtype of tensors and numbers combined by ``verb``, or :class:`DtypeError`.

    >>> operand_dtype("add", [("float32", None), ("int", 3)])
    'float32'
    >>> operand_dtype("multiply", [("int32", None), ("float", 0.5)])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.base.DtypeError: cannot multiply an int32 tensor and the number 0.5: ...
    """
    tensors = [(d, c) for d, c in operands if d not in WEAK_DTYPES]
    for other, const in tensors[1:]:
        if other != tensors[0][0]:
            number = tensors[0][1] if tensors[0][1] is not None else const
            hint = "cast one with cast(...)" if number is None else \
                "put the tensor first, or write the number in the tensor's dtype"
            raise DtypeError(f"cannot {verb} {_describe(*tensors[0])} and "
                             f"{_describe(other, const)}: TensorFlow never converts a "
                             f"tensor's dtype implicitly ({hint})")
    dtype = tensors[0][0]
    for weak, value in operands:
        if weak == "float" and dtype not in FLOAT_DTYPES:
            raise DtypeError(f"cannot {verb} {_article(dtype)} {dtype} tensor and the number "
                             f"{show(value)}: TensorFlow converts the number to {dtype}, and "
                             f"it is not an integer")
        if weak == "int" and dtype in INT_RANGES:
            lo, hi = INT_RANGES[dtype]
            if not lo <= value <= hi:
                raise DtypeError(f"the number {value} does not fit {dtype} ({lo} .. {hi}): "
                                 f"TensorFlow would wrap it around silently")
    return dtype


def _binary(verb: str, result: Callable[[str, list[Operand]], str] | None = None
            ) -> Callable[[list[Operand], dict[str, Any]], str]:
    def rule(operands: list[Operand], a: dict[str, Any]) -> str:
        dtype = operand_dtype(verb, operands)
        return result(dtype, operands) if result is not None else dtype
    return rule


def _truediv(dtype: str, operands: list[Operand]) -> str:
    return _TRUEDIV.get(dtype, dtype)


def _pow(dtype: str, operands: list[Operand]) -> str:
    exponent = operands[1]
    if dtype in INT_RANGES and exponent[1] is not None and exponent[1] < 0:
        raise DtypeError(f"{_article(dtype)} {dtype} tensor to the power {exponent[1]}: "
                         f"TensorFlow refuses negative integer powers of integers when it runs")
    return dtype


def _shape(verb: str) -> Callable[[list[Shape], dict[str, Any]], Shape]:
    def rule(ins: list[Shape], a: dict[str, Any]) -> Shape:
        return sh.broadcast(ins[0], ins[1], verb)
    return rule


def _same_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ins[0]


def _clip_dtype(operands: list[Operand], a: dict[str, Any]) -> str:
    dtype = operands[0][0]
    bounds = [("int" if isinstance(v, int) else "float", v)
              for v in (a["clip_value_min"], a["clip_value_max"])]
    return operand_dtype("clip", [(dtype, None)] + bounds)


def _kind(name: str, operator: str, operator_scope: str, default_scope: str, verb: str,
          doc: str, result: Callable[[str, list[Operand]], str] | None = None,
          dtypes: tuple[str, ...] = NUMERIC_DTYPES) -> LayerKind:
    return LayerKind(
        name, doc, (), _shape(verb), inputs="two", default_scope=default_scope,
        func_name=name, scope_kind="op", flops=elementwise_flops(1), tf_name=f"tf.{name}",
        category="combine", input_dtypes=dtypes, dtype_rule=_binary(verb, result),
        operator=operator, operator_scope=operator_scope)


KINDS = [
    LayerKind(
        "add", "Element-wise sum of two tensors (broadcasting), e.g. a residual connection; "
        "`a + b`. The generated code writes `a + b` (TensorFlow's op `add`).",
        (), _shape("add"), inputs="two", default_scope="add", func_name="add", scope_kind="op",
        flops=elementwise_flops(1), tf_name="tf.add", category="combine",
        input_dtypes=NUMERIC_DTYPES, dtype_rule=_binary("add"), operator="+",
        operator_scope="add"),
    _kind("subtract", "-", "sub", "Sub", "subtract",
          "Element-wise difference (broadcasting); `a - b`."),
    _kind("multiply", "*", "mul", "Mul", "multiply",
          "Element-wise product (broadcasting): a scaled branch `0.17 * up`, a gate "
          "`x * sigmoid(g)`; `a * b`."),
    _kind("divide", "/", "truediv", "truediv", "divide",
          "Element-wise true division (broadcasting); integers give floats (int32 / int32 is "
          "float64); `a / b`.", _truediv),
    _kind("pow", "**", "pow", "Pow", "take the power of",
          "Element-wise power (broadcasting); `a ** b`.", _pow, SIGNED_DTYPES),
    LayerKind(
        "negative", "Element-wise negation; `-a`.", (), _same_shape, default_scope="Neg",
        func_name="negative", scope_kind="op", flops=elementwise_flops(1),
        tf_name="tf.negative", category="activation", input_dtypes=SIGNED_DTYPES,
        operator="neg", operator_scope="Neg"),
    LayerKind(
        "clip_by_value", "min(max(x, clip_value_min), clip_value_max) element-wise, as "
        "tf.clip_by_value computes it (Maximum(Minimum(x, max), min): with min > max every "
        "element becomes min). Counted like relu6: 0 FLOPs.",
        (Arg("clip_value_min", "number"), Arg("clip_value_max", "number")),
        _same_shape, default_scope="clip_by_value", func_name="clip_by_value", scope_kind="op",
        tf_name="tf.clip_by_value", category="activation", input_dtypes=NUMERIC_DTYPES,
        dtype_rule=_clip_dtype),
]
