"""The pieces the TensorFlow backend's translators build code from: what one node becomes
(:class:`Emitted`), what a translator knows of it (:class:`NodeCtx`), and activations,
initializers and shapes as code. Used by :mod:`.parts`, :mod:`.translate` and
:mod:`.translate_more` (layers) and :mod:`.translate_ops` (TensorFlow ops and tensor
expressions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...ir import Node, RuntimeParams, SymShape
from ...values import ACTIVATION_PARAMS, INITIALIZERS, Activation, Initializer, Training
from . import source as src


@dataclass
class Emitted:
    """What one node becomes: an optional layer object and the forward expression.

    ``call`` is ``func(args...)`` when ``args`` is given (so long calls can be wrapped by
    argument), else ``call`` is the whole expression.
    """

    call: str
    args: list[str] | None = None
    cls: str | None = None
    init_args: list[str] = field(default_factory=list)
    needs: set[str] = field(default_factory=set)


@dataclass
class NodeCtx:
    """Everything a translator needs about one node."""

    node: Node
    ins: list[str]  # Python expressions of the input tensors
    attr: str  # the model attribute of its layer object ("self.<attr>")
    params: RuntimeParams  # the graph's run-time parameters and the shapes they size

    @property
    def a(self) -> dict[str, Any]:
        return self.node.args

    @property
    def runtime(self) -> dict[str, str]:
        """Argument -> the model parameter read at run time in its place."""
        return self.params.args.get(self.node.id, {})

    def in_shape(self, i: int = 0) -> SymShape:
        return self.params.tensor_shape(self.node.inputs[i])

    @property
    def out_shape(self) -> SymShape:
        return self.params.tensor_shape(self.node.output)

    def var_shape(self, suffix: str) -> SymShape:
        name = f"{self.node.scope}/{suffix}"
        return self.params.variable_shape(next(v for v in self.node.variables if v.name == name))

    def value(self, arg: str, where: str) -> str:
        """An argument as code: the plain parameter it is, or its literal value."""
        param = self.runtime.get(arg)
        if param is not None:
            return param if where == "init" else f"self.{param}"
        return src.literal(self.a[arg])

    def flag(self, value: Any) -> str:
        """``is_training``: the model's run-time ``training`` flag or a constant."""
        return "training" if isinstance(value, Training) else src.literal(bool(value))


def dims(shape: SymShape, where: str = "init") -> str:
    """A shape as a list literal; plain parameters by name (``self.`` in the forward pass)."""
    parts = []
    for d in shape:
        if isinstance(d, str):
            parts.append(d if where == "init" else f"self.{d}")
        else:
            parts.append(src.number(d))
    return "[" + ", ".join(parts) + "]"


def pair(value: tuple[int, int]) -> str:
    return src.number(value[0]) if value[0] == value[1] else src.literal(list(value))


def ints(value: int | tuple[int, ...]) -> str:
    """A window's kernel, stride or rate as code: one number when all axes agree, else a list.
    """
    if isinstance(value, int):
        return src.number(value)
    return src.number(value[0]) if len(set(value)) == 1 else src.literal(list(value))


#: Activation functions as code; the snippets (templates/runtime/) named ``_NAME`` are
#: MobileNet v3's formulas.
_ACTIVATIONS = {"relu": "tf.nn.relu", "relu6": "tf.nn.relu6", "elu": "tf.nn.elu",
                "sigmoid": "tf.sigmoid", "tanh": "tf.tanh", "softmax": "tf.nn.softmax",
                "swish": "tf.nn.swish", "hard_swish": "_hard_swish",
                "hard_sigmoid": "_hard_sigmoid"}


def activation(act: Activation | None, needs: set[str]) -> str:
    """An activation function as code (``tf.nn.relu``, ``_leaky_relu(0.1)``, ``None``); a
    ``def`` used as an activation becomes a lambda of its arithmetic."""
    if act is None:
        return "None"
    if act.expr is not None:
        return "lambda x: " + expression(act.expr, "x", needs)[0]
    if act.name == "leaky_relu":
        alpha = dict(act.params).get("alpha", ACTIVATION_PARAMS["leaky_relu"][0].default)
        if alpha == 0.2:
            return "tf.nn.leaky_relu"
        needs.add("leaky_relu")
        return f"_leaky_relu({src.number(alpha)})"
    code = _ACTIVATIONS[act.name]
    if code.startswith("_"):
        needs.add(code[1:])
    return code


#: Python's precedence of what an expression may hold (higher binds tighter).
ATOM, POWER, UNARY, PRODUCT, SUM = 5, 4, 3, 2, 1
BINARY = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "**": POWER}


def operand(value: Any) -> tuple[str, int]:
    """A number as code with its precedence (a negative literal is a unary minus)."""
    text = src.number(value)
    return text, UNARY if text.startswith("-") else ATOM


def binary(op: str, left: tuple[str, int], right: tuple[str, int]) -> tuple[str, int]:
    """``left op right`` as code, parenthesized so that Python groups it exactly this way
    (a different grouping rounds floats differently)."""
    p = BINARY[op]
    # ** groups to the right and binds tighter than a unary minus on its left: (-2) ** x
    left_min, right_min = (ATOM, UNARY) if op == "**" else (p, p + 1)
    return f"{_paren(left, left_min)} {op} {_paren(right, right_min)}", p


def negate(value: tuple[str, int]) -> tuple[str, int]:
    return f"-{_paren(value, UNARY)}", UNARY


def _paren(value: tuple[str, int], minimum: int) -> str:
    return value[0] if value[1] >= minimum else f"({value[0]})"


def expression(tree: Any, x: str, needs: set[str]) -> tuple[str, int]:
    """A def activation's expression tree (``Activation.expr``) as code over ``x``.

    >>> expression(("*", ("act", Activation("relu6"), ("+", ("x",), 3)), 0.16667), "x", set())
    ('tf.nn.relu6(x + 3) * 0.16667', 2)
    """
    if tree == ("x",):
        return x, ATOM
    if not isinstance(tree, tuple):
        return operand(tree)
    if tree[0] == "neg":
        return negate(expression(tree[1], x, needs))
    if tree[0] == "act":
        inner = expression(tree[2], x, needs)[0]
        act: Activation = tree[1]
        if act.expr is not None:  # a def activation inside another: inlined
            return expression(act.expr, f"({inner})", needs)
        if act.name == "leaky_relu":
            alpha = dict(act.params).get("alpha", 0.2)
            extra = "" if alpha == 0.2 else f", {src.number(alpha)}"
            return f"tf.nn.leaky_relu({inner}{extra})", ATOM
        return f"{activation(act, needs)}({inner})", ATOM
    return binary(tree[0], expression(tree[1], x, needs), expression(tree[2], x, needs))


def initializer(init: Initializer | None, needs: set[str]) -> str:
    """An initializer as code: a function of (shape, dtype)."""
    if init is None:
        return "None"
    name = {"glorot": "xavier"}.get(init.name, init.name)
    values = {p.name: p.default for p in INITIALIZERS[name]}
    values.update(dict(init.params))
    if name in ("zeros", "ones"):
        return f"tf.{name}"
    if name == "xavier":
        if values["uniform"]:
            needs.add("xavier")
            return "_xavier"
        name, values = "variance_scaling", {"factor": 1.0, "mode": "FAN_AVG", "uniform": False}
    needs.add(name)
    if name == "variance_scaling":
        return (f"_variance_scaling({src.number(float(values['factor']))}, "
                f"{src.string(values['mode'])}, {src.literal(bool(values['uniform']))})")
    if name == "constant":
        return f"_constant({src.number(values['value'])})"
    if name == "random_uniform":
        return f"_random_uniform({src.number(values['minval'])}, {src.number(values['maxval'])})"
    args = [src.number(values["stddev"])]
    if values["mean"] != 0:
        args.append(src.number(values["mean"]))
    return f"_{name}({', '.join(args)})"
