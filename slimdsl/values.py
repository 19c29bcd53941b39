"""Compile-time values of the .slim expression language.

Numbers, strings, booleans, lists and dicts are plain Python values. Everything else a layer
argument can be (an activation, an initializer, a regularizer, a reference to a layer or block,
a tensor, an unknown dimension) is one of the small frozen records below, so the checker,
the summary and the code generator all see the same thing.
"""

from __future__ import annotations

import math
from typing import Any

from .records import dataclass, field


class _Unknown:
    """The ``?`` of a shape literal: an unknown dimension."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "?"


UNKNOWN = _Unknown()


@dataclass(frozen=True, slots=True)
class Training:
    """The model's run-time ``training`` flag (the default of ``is_training``)."""

    def __repr__(self) -> str:
        return "training"


TRAINING = Training()


@dataclass(frozen=True, slots=True)
class Activation:
    """An activation function such as ``relu``; ``params`` holds e.g. leaky_relu's alpha.

    A ``def`` used as an activation (``def gate(x) = relu6(x + 3) * 0.16667``) becomes one
    named after it whose ``expr`` is its body over the argument, as a tree of tuples:
    ``("x",)`` the argument, numbers, ``(op, a, b)`` for ``+ - * / **``, ``("neg", a)`` and
    ``("act", Activation, a)``; see :data:`ACTIVATION_OPS`.
    """

    name: str
    params: tuple[tuple[str, Any], ...] = ()
    expr: Any = None

    def __repr__(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.params)})"


ACTIVATIONS = ("relu", "relu6", "elu", "leaky_relu", "sigmoid", "tanh", "softmax", "hard_swish",
               "swish", "hard_sigmoid")
#: The arithmetic a ``def`` activation may apply to its argument (``Activation.expr``).
ACTIVATION_OPS = ("+", "-", "*", "/", "**", "neg")


@dataclass(frozen=True, slots=True)
class Initializer:
    """A variable initializer: ``xavier``, ``truncated_normal(0.01)``, ``constant(0.1)``, ..."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, key: str) -> Any:
        return dict(self.params)[key]

    def __repr__(self) -> str:
        """As written in .slim, leaving out parameters equal to their defaults."""
        defaults = {p.name: p.default for p in INITIALIZERS.get(self.name, ())}
        shown = [(k, v) for k, v in self.params if defaults.get(k, object()) != v]
        if not shown:
            return self.name
        return f"{self.name}({', '.join(f'{k}={show(v)}' for k, v in shown)})"


@dataclass(frozen=True, slots=True)
class Regularizer:
    """A weight regularizer: ``l1(s)``, ``l2(s)`` or ``l1_l2(s1, s2)``."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, key: str) -> Any:
        return dict(self.params)[key]

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={show(v)}' for k, v in self.params)})"


@dataclass(frozen=True, slots=True)
class LayerRef:
    """A layer kind used as a value: ``normalizer_fn=batch_norm``, ``repeat(2, conv2d, ...)``."""

    kind: str

    def __repr__(self) -> str:
        return self.kind


@dataclass(frozen=True, slots=True)
class BlockRef:
    """A user block used as a value (in ``repeat``, ``stack`` or ``arg_scope``)."""

    name: str

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, eq=False)
class Function:
    """A compile-time function defined with ``def``; ``closure`` is the defining environment."""

    name: str
    params: tuple[str, ...]
    body: Any  # slimdsl.frontend.tree.Expr
    closure: Any  # slimdsl.lower.evaluate.Env

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


@dataclass(frozen=True, slots=True, eq=False)
class TensorValue:
    """A tensor of the IR graph, as an expression value (``net``, a named tensor)."""

    tensor: Any  # slimdsl.ir.Tensor; Any to keep this module import-free

    def __repr__(self) -> str:
        return f"<tensor {self.tensor.name}>"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of an initializer/regularizer/activation constructor."""

    name: str
    default: Any = field(default=None)
    required: bool = False
    kind: str = "float"  # float | str | bool


# Constructors callable (or nameable bare when every parameter has a default) in .slim files.
INITIALIZERS: dict[str, tuple[ParamSpec, ...]] = {
    "xavier": (ParamSpec("uniform", True, kind="bool"),),
    "glorot": (ParamSpec("uniform", True, kind="bool"),),
    "truncated_normal": (ParamSpec("stddev", 1.0), ParamSpec("mean", 0.0)),
    "random_normal": (ParamSpec("stddev", 1.0), ParamSpec("mean", 0.0)),
    "random_uniform": (ParamSpec("minval", 0.0), ParamSpec("maxval", 1.0)),
    "zeros": (),
    "ones": (),
    "constant": (ParamSpec("value", 0.0),),
    "variance_scaling": (ParamSpec("factor", 2.0), ParamSpec("mode", "FAN_IN", kind="str"),
                         ParamSpec("uniform", False, kind="bool")),
}
INITIALIZER_ALIASES = {"glorot": "xavier"}
#: Initializers that take fewer positional arguments than parameters. TensorFlow's normal
#: initializers take (mean, stddev); slimdsl's one positional argument is the stddev (TF-Slim's
#: nets write ``trunc_normal(stddev)``), so a second positional value would be read in the
#: reverse of TensorFlow's order: it must be given by keyword.
POSITIONAL_LIMITS = {"truncated_normal": 1, "random_normal": 1}
VARIANCE_SCALING_MODES = ("FAN_IN", "FAN_OUT", "FAN_AVG")

REGULARIZERS: dict[str, tuple[ParamSpec, ...]] = {
    "l1": (ParamSpec("scale", required=True),),
    "l2": (ParamSpec("scale", required=True),),
    "l1_l2": (ParamSpec("scale_l1", 1.0), ParamSpec("scale_l2", 1.0)),
}

ACTIVATION_PARAMS: dict[str, tuple[ParamSpec, ...]] = {
    "leaky_relu": (ParamSpec("alpha", 0.2),),
}


#: The language's named constants.
CONSTANTS: dict[str, Any] = {"true": True, "false": False, "none": None, "training": TRAINING}

#: Builtin functions of expressions (evaluated by :mod:`slimdsl.lower.evaluate`).
BUILTIN_FUNCTIONS = ("range", "len", "min", "max", "int", "float", "abs", "ceil", "floor",
                     "round", "str", "known")


#: Types a model or block parameter may declare (``model m(depth: int = 4)``).
PARAM_TYPES = ("int", "float", "bool", "string", "list", "dict", "tensor", "activation",
               "initializer", "regularizer", "any")
#: Element types an input may declare (``input labels: [?] int32``).
DTYPES = ("float32", "float16", "bfloat16", "float64", "int32", "int64", "uint8", "bool")


def is_finite_number(value: Any) -> bool:
    """True for ints and finite floats (not bools, nan or inf)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def type_name(value: Any) -> str:
    """The .slim name of a value's type, for messages."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    if value is UNKNOWN:
        return "unknown dimension '?'"
    if isinstance(value, TensorValue):
        return "tensor"
    if isinstance(value, Activation):
        return "activation"
    if isinstance(value, Initializer):
        return "initializer"
    if isinstance(value, Regularizer):
        return "regularizer"
    if isinstance(value, LayerRef):
        return "layer"
    if isinstance(value, BlockRef):
        return "block"
    if isinstance(value, Function):
        return "function"
    if isinstance(value, Training):
        return "training flag"
    return type(value).__name__


def show(value: Any) -> str:
    """A value the way a .slim file would write it, for messages and summaries.

    >>> show([3, 3]), show(None), show(True), show("SAME"), show(0.5)
    ('[3, 3]', 'none', 'true', '"SAME"', '0.5')
    """
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        inner = ", ".join(show(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def describe(value: Any) -> str:
    """A value with its type, for messages: ``int 3``, ``list [3, 3]``; ``none`` and the
    unknown dimension ``?`` say it once (their text is their type's name).

    >>> describe(3), describe([3, 3]), describe(None), describe(UNKNOWN)
    ('int 3', 'list [3, 3]', 'none', "unknown dimension '?'")
    """
    if value is None or value is UNKNOWN:
        return type_name(value)
    return f"{type_name(value)} {show(value)}"


def param_type_problem(type_name_: str, value: Any) -> str | None:
    """Why ``value`` does not fit a declared parameter type (one of :data:`PARAM_TYPES`), or
    None; an unknown type accepts anything (it is reported where it is declared)."""
    ok = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "list": lambda v: isinstance(v, (list, tuple)),
        "dict": lambda v: isinstance(v, dict),
        "tensor": lambda v: v is None or isinstance(v, TensorValue),
        "activation": lambda v: v is None or isinstance(v, Activation) or (
            isinstance(v, Function) and len(v.params) == 1),
        "initializer": lambda v: v is None or isinstance(v, Initializer),
        "regularizer": lambda v: v is None or isinstance(v, Regularizer),
        "any": lambda v: True,
    }.get(type_name_, lambda v: True)(value)
    if ok:
        return None
    return f"expected {type_name_}, got {describe(value)}"
