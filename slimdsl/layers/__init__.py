"""The registry of layer kinds: the single source of truth for every layer .slim knows.

Each :class:`LayerKind` declares, in one place: its argument schema with TF-Slim's names, order
and defaults; how its tensor inputs are passed; its default scope name and TF-Slim's
``__name__`` (used by ``repeat``/``stack`` naming); its shape rule; the variables it creates;
its FLOP count; and its documentation. The checker, the summary, the code generator, the editor
keyword lists and ``docs/layers.md`` all read this table; tests assert nothing drifts from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..values import (
    ACTIVATIONS,
    TRAINING,
    Activation,
    Initializer,
    LayerRef,
    Regularizer,
    Training,
    is_finite_number,
    show,
    type_name,
)
from . import shapes as sh
from .shapes import Shape, ShapeError, Window

REQUIRED = object()  # marker: the argument has no default


class ArgError(ValueError):
    """An argument value does not fit its declared type; the message says why."""


# ---------------------------------------------------------------------------- argument types


def _int(v: Any, *, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgError(f"expected an int, got {type_name(v)} {show(v)}")
    if v < minimum:
        raise ArgError(f"expected an int >= {minimum}, got {v}")
    return v


def _pair(v: Any, *, minimum: int = 1) -> tuple[int, int]:
    """An int or a list of two ints, as TF-Slim's kernel_size / stride / rate accept."""
    if isinstance(v, (list, tuple)):
        if len(v) != 2:
            raise ArgError(f"expected an int or a list of 2 ints, got a list of {len(v)}")
        return (_int(v[0], minimum=minimum), _int(v[1], minimum=minimum))
    n = _int(v, minimum=minimum)
    return (n, n)


@dataclass(frozen=True, slots=True)
class ArgType:
    """A named argument type: ``check`` validates and normalizes a value or raises ArgError."""

    name: str
    check: Callable[[Any], Any]
    doc: str


def _check_float(v: Any) -> float:
    if not is_finite_number(v):
        raise ArgError(f"expected a finite number, got {type_name(v)} {show(v)}")
    return float(v)


def _check_prob(v: Any) -> float:
    p = _check_float(v)
    if not 0.0 < p <= 1.0:
        raise ArgError(f"expected a probability in (0, 1], got {show(v)}")
    return p


def _check_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ArgError(f"expected true or false, got {type_name(v)} {show(v)}")
    return v


def _check_flag(v: Any) -> bool | Training:
    if isinstance(v, Training):
        return v
    return _check_bool(v)


def _check_padding(v: Any) -> str:
    if v not in ("SAME", "VALID"):
        raise ArgError(f'expected "SAME" or "VALID", got {show(v)}')
    return v


def _check_activation(v: Any) -> Activation | None:
    if v is None or isinstance(v, Activation):
        return v
    if isinstance(v, LayerRef) and v.kind in ACTIVATIONS:
        return Activation(v.kind)
    raise ArgError(f"expected an activation ({', '.join(ACTIVATIONS)} or none), "
                   f"got {type_name(v)} {show(v)}")


def _check_initializer(v: Any) -> Initializer | None:
    if v is None or isinstance(v, Initializer):
        return v
    raise ArgError(f"expected an initializer such as xavier or truncated_normal(0.01), "
                   f"got {type_name(v)} {show(v)}")


def _check_initializer_required(v: Any) -> Initializer:
    if v is None:
        raise ArgError("expected an initializer, got none")
    return _check_initializer(v)  # type: ignore[return-value]


def _check_regularizer(v: Any) -> Regularizer | None:
    if v is None or isinstance(v, Regularizer):
        return v
    raise ArgError(f"expected a regularizer such as l2(0.0005) or none, got {type_name(v)} "
                   f"{show(v)}")


def _check_normalizer(v: Any) -> LayerRef | None:
    if v is None:
        return None
    if isinstance(v, LayerRef) and v.kind == "batch_norm":
        return v
    raise ArgError(f"expected batch_norm or none, got {type_name(v)} {show(v)}")


def _check_dict(v: Any) -> dict | None:
    if v is None or isinstance(v, dict):
        return v
    raise ArgError(f"expected a dict such as {{decay: 0.997}} or none, got {type_name(v)}")


def _check_str_or_none(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    raise ArgError(f"expected a string or none, got {type_name(v)} {show(v)}")


def _check_axes(v: Any) -> list[int] | None:
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return [v]
    if isinstance(v, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool)
                                            for a in v):
        return list(v)
    raise ArgError(f"expected an axis or a list of axes, got {type_name(v)} {show(v)}")


def _check_axis(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgError(f"expected an int axis, got {type_name(v)} {show(v)}")
    return v


def _check_num_outputs_or_none(v: Any) -> int | None:
    return None if v is None else _int(v)


def _check_paddings(v: Any) -> list[list[int]]:
    ok = isinstance(v, (list, tuple)) and all(
        isinstance(p, (list, tuple)) and len(p) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in p) for p in v)
    if not ok:
        raise ArgError(f"expected a list of [before, after] pairs of ints >= 0, got {show(v)}")
    return [list(p) for p in v]


def _check_data_format(v: Any) -> str | None:
    if v in (None, "NHWC"):
        return v
    raise ArgError(f'only "NHWC" is supported, got {show(v)}')


TYPES = {t.name: t for t in (
    ArgType("int", _int, "a positive int"),
    ArgType("int?", _check_num_outputs_or_none, "a positive int or none"),
    ArgType("int-or-pair", _pair, "an int or a list of two ints, e.g. 3 or [3, 3]"),
    ArgType("float", _check_float, "a finite number"),
    ArgType("prob", _check_prob, "a probability in (0, 1]"),
    ArgType("bool", _check_bool, "true or false"),
    ArgType("flag", _check_flag, "true, false or training (the model's run-time flag)"),
    ArgType("padding", _check_padding, '"SAME" or "VALID"'),
    ArgType("activation", _check_activation, "relu, relu6, elu, leaky_relu, sigmoid, tanh, "
                                             "softmax or none"),
    ArgType("initializer", _check_initializer, "an initializer or none"),
    ArgType("initializer!", _check_initializer_required, "an initializer"),
    ArgType("regularizer", _check_regularizer, "l1(s), l2(s), l1_l2(s1, s2) or none"),
    ArgType("normalizer", _check_normalizer, "batch_norm or none"),
    ArgType("dict", _check_dict, "a dict literal or none"),
    ArgType("string?", _check_str_or_none, "a string or none"),
    ArgType("axes", _check_axes, "an axis, a list of axes, or none"),
    ArgType("axis", _check_axis, "an int axis (may be negative)"),
    ArgType("paddings", _check_paddings, "one [before, after] pair per dimension"),
    ArgType("data-format", _check_data_format, '"NHWC" (the only layout supported)'),
)}


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a layer: TF-Slim's name, its type, and its default (or REQUIRED)."""

    name: str
    type: str
    default: Any = REQUIRED
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def check(self, value: Any) -> Any:
        """Validate and normalize ``value`` (raises :class:`ArgError`)."""
        return TYPES[self.type].check(value)


# ---------------------------------------------------------------------------- variables


@dataclass(frozen=True, slots=True)
class VarSpec:
    """A variable a layer creates, relative to its scope (``weights``, ``BatchNorm/beta``)."""

    name: str
    shape: tuple[int, ...]
    trainable: bool
    initializer: Initializer
    regularizer: Regularizer | None = None
    role: str = ""  # weights | biases | depthwise | pointwise | beta | gamma | moving_mean | ...

    @property
    def size(self) -> int:
        total = 1
        for d in self.shape:
            total *= d
        return total


XAVIER = Initializer("xavier", (("uniform", True),))
ZEROS = Initializer("zeros")
ONES = Initializer("ones")

#: batch_norm's own defaults; also the base of ``normalizer_params`` when normalizer_fn is set.
BATCH_NORM_ARGS = (
    Arg("decay", "float", 0.999, "moving-average decay"),
    Arg("center", "bool", True, "add a learned offset beta"),
    Arg("scale", "bool", False, "multiply by a learned gamma"),
    Arg("epsilon", "float", 0.001, "added to the variance"),
    Arg("activation_fn", "activation", None),
    Arg("param_initializers", "dict", None,
        "initializers by variable: beta, gamma, moving_mean, moving_variance"),
    Arg("param_regularizers", "dict", None, "regularizers by variable: beta, gamma"),
    Arg("is_training", "flag", TRAINING,
        "batch statistics and moving-average updates when true"),
    Arg("trainable", "bool", True),
    Arg("outputs_collections", "string?", None),
)
BATCH_NORM_PARAM_KEYS = {a.name for a in BATCH_NORM_ARGS} - {"outputs_collections"}


def batch_norm_variables(channels: int, bn: dict[str, Any], prefix: str = "BatchNorm/"
                         ) -> list[VarSpec]:
    """The variables of a batch_norm with effective arguments ``bn`` over ``channels``."""
    inits = bn.get("param_initializers") or {}
    regs = bn.get("param_regularizers") or {}
    trainable = bn.get("trainable", True)
    out = []
    if bn.get("center", True):
        out.append(VarSpec(prefix + "beta", (channels,), trainable, inits.get("beta", ZEROS),
                           regs.get("beta"), "beta"))
    if bn.get("scale", False):
        out.append(VarSpec(prefix + "gamma", (channels,), trainable, inits.get("gamma", ONES),
                           regs.get("gamma"), "gamma"))
    out.append(VarSpec(prefix + "moving_mean", (channels,), False,
                       inits.get("moving_mean", ZEROS), None, "moving_mean"))
    out.append(VarSpec(prefix + "moving_variance", (channels,), False,
                       inits.get("moving_variance", ONES), None, "moving_variance"))
    return out


# ---------------------------------------------------------------------------- layer kinds


@dataclass(frozen=True)
class LayerKind:
    """Everything slimdsl knows about one layer kind. See the module docstring."""

    name: str
    doc: str
    args: tuple[Arg, ...]
    shape: Callable[[list[Shape], dict[str, Any]], Shape]
    inputs: str = "one"  # one | two | list
    aliases: tuple[str, ...] = ()
    default_scope: str = ""
    func_name: str = ""  # TF-Slim's __name__, used by repeat/stack for inner scopes
    scope_kind: str = "variable"  # variable | name (pools, flatten) | op (tf.* ops)
    arg_scope_key: str | None = None  # None: the kind itself; else whose arg_scope applies
    variables: Callable[[list[Shape], Shape, dict[str, Any]], list[VarSpec]] = \
        field(default=lambda ins, out, a: [])
    flops: Callable[[list[Shape], Shape, dict[str, Any]], int | None] = \
        field(default=lambda ins, out, a: 0)
    tf_name: str = ""  # what it is in TF-Slim / TensorFlow, for docs
    category: str = "layer"  # layer | pool | combine | activation | reshape
    #: Input dtypes TensorFlow accepts (None: any); e.g. tf.one_hot needs integer labels.
    input_dtypes: tuple[str, ...] | None = None

    def arg(self, name: str) -> Arg | None:
        for a in self.args:
            if a.name == name:
                return a
        return None

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args)

    @property
    def scoped_key(self) -> str:
        """The arg_scope key whose defaults this kind reads (conv2d_same reads conv2d's)."""
        return self.arg_scope_key or self.name


# -- shared argument groups (TF-Slim signature order)

_RELU = Activation("relu")


def _common_linear(activation: Activation | None = _RELU) -> tuple[Arg, ...]:
    return (
        Arg("activation_fn", "activation", activation, "applied last; none for linear"),
        Arg("normalizer_fn", "normalizer", None, "batch_norm replaces the biases"),
        Arg("normalizer_params", "dict", None, "arguments of the normalizer"),
        Arg("weights_initializer", "initializer!", XAVIER),
        Arg("weights_regularizer", "regularizer", None),
        Arg("biases_initializer", "initializer", ZEROS, "none: no biases"),
        Arg("biases_regularizer", "regularizer", None),
        Arg("trainable", "bool", True),
        Arg("outputs_collections", "string?", None, "collect the output as an end point"),
    )


_CONV_WINDOW = (
    Arg("stride", "int-or-pair", 1),
    Arg("padding", "padding", "SAME"),
    Arg("data_format", "data-format", None),
    Arg("rate", "int-or-pair", 1, "dilation rate (atrous convolution)"),
)


def _size(shape: Shape) -> int | None:
    total = 1
    for d in shape[1:]:
        if d is None:
            return None
        total *= d
    return total


def _window(a: dict[str, Any], padding: str | None = None) -> Window:
    return Window(a["kernel_size"], a["stride"], padding or a["padding"], a.get("rate", (1, 1)))


def _check_rate_stride(a: dict[str, Any]) -> None:
    if a.get("rate", (1, 1)) != (1, 1) and a["stride"] != (1, 1):
        raise ShapeError(f"stride {show(list(a['stride']))} and rate {show(list(a['rate']))}: "
                         f"stride > 1 is not supported together with rate > 1")


def _in_channels(shape: Shape) -> int:
    sh.require_rank(shape, 4)
    if shape[3] is None:
        raise ShapeError("the number of input channels must be known, got "
                         f"{sh.format_shape(shape)}")
    return shape[3]


def _linear_vars(weights_shape: tuple[int, ...], out_channels: int, a: dict[str, Any],
                 weights_name: str = "weights") -> list[VarSpec]:
    """weights (+ biases, or normalizer variables), as TF-Slim's convolution/fully_connected."""
    out = [VarSpec(weights_name, weights_shape, a["trainable"], a["weights_initializer"],
                   a["weights_regularizer"], "weights")]
    return out + _bias_or_norm_vars(out_channels, a)


def _bias_or_norm_vars(channels: int, a: dict[str, Any]) -> list[VarSpec]:
    if a.get("normalizer_fn") is not None:
        return batch_norm_variables(channels, a["normalizer_params"] or {})
    if a.get("biases_initializer") is not None:  # use_bias = not normalizer_fn and biases_init
        return [VarSpec("biases", (channels,), a["trainable"], a["biases_initializer"],
                        a["biases_regularizer"], "biases")]
    return []


def _post_flops(out: Shape, a: dict[str, Any]) -> int | None:
    """Bias add (1/element) or inference-time batch norm (2/element) after a linear op."""
    n = _size(out)
    if n is None:
        return None
    if a.get("normalizer_fn") is not None:
        return 2 * n
    return n if a.get("biases_initializer") is not None else 0


def _macs_flops(macs: int | None, out: Shape, a: dict[str, Any]) -> int | None:
    post = _post_flops(out, a)
    if macs is None or post is None:
        return None
    return 2 * macs + post


# conv2d
def _conv2d_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    _check_rate_stride(a)
    _in_channels(ins[0])
    return sh.window_output(ins[0], _window(a), a["num_outputs"])


def _conv2d_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    kh, kw = a["kernel_size"]
    return _linear_vars((kh, kw, _in_channels(ins[0]), a["num_outputs"]), a["num_outputs"], a)


def _conv2d_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    n = _size(out)
    macs = None if n is None else n * kh * kw * _in_channels(ins[0])
    return _macs_flops(macs, out, a)


# conv2d_same (resnet_utils): explicit symmetric padding then VALID when stride > 1
def _conv2d_same_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    _check_rate_stride(a)
    _in_channels(ins[0])
    return sh.window_output(ins[0], _window(a, "SAME"), a["num_outputs"],
                            explicit_pad=True)


# separable_conv2d
def _separable_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    _check_rate_stride(a)  # TF 2.21 does not raise here, but TF-Slim documents it as invalid
    cin = _in_channels(ins[0])
    channels = a["num_outputs"] if a["num_outputs"] is not None else cin * a["depth_multiplier"]
    if a.get("rate", (1, 1)) != (1, 1) and (ins[0][1] is None or ins[0][2] is None):
        # atrous depthwise goes through space_to_batch: TF's static shape then loses BOTH
        # spatial dimensions (and cannot check them), so ours does too
        return (ins[0][0], None, None, channels)
    return sh.window_output(ins[0], _window(a), channels)


def _separable_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    kh, kw = a["kernel_size"]
    cin = _in_channels(ins[0])
    mult = a["depth_multiplier"]
    dw = VarSpec("depthwise_weights", (kh, kw, cin, mult), a["trainable"],
                 a["weights_initializer"], a["weights_regularizer"], "depthwise")
    if a["num_outputs"] is None:
        return [dw] + _bias_or_norm_vars(cin * mult, a)
    pw = VarSpec("pointwise_weights", (1, 1, cin * mult, a["num_outputs"]), a["trainable"],
                 a["pointwise_initializer"] or a["weights_initializer"],
                 a["weights_regularizer"], "pointwise")
    return [dw, pw] + _bias_or_norm_vars(a["num_outputs"], a)


def _separable_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    cin = _in_channels(ins[0])
    mult = a["depth_multiplier"]
    n = out[1] * out[2] if out[1] is not None and out[2] is not None else None
    if n is None:
        return None
    macs = n * kh * kw * cin * mult
    if a["num_outputs"] is not None:
        macs += n * cin * mult * a["num_outputs"]
    return _macs_flops(macs, out, a)


# conv2d_transpose
def _transpose_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    _in_channels(ins[0])
    return sh.transpose_output(ins[0], _window(a), a["num_outputs"])


def _transpose_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    kh, kw = a["kernel_size"]
    return _linear_vars((kh, kw, a["num_outputs"], _in_channels(ins[0])), a["num_outputs"], a)


def _transpose_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    n = _size(ins[0])  # every input element is scattered through the kernel
    macs = None if n is None else n * kh * kw * a["num_outputs"]
    return _macs_flops(macs, out, a)


# conv2d_in_plane
def _in_plane_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    cin = _in_channels(ins[0])
    return sh.window_output(ins[0], _window(a), cin)


def _in_plane_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    kh, kw = a["kernel_size"]
    return _linear_vars((kh, kw, 1, 1), _in_channels(ins[0]), a)


def _in_plane_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    n = _size(out)
    return _macs_flops(None if n is None else n * kh * kw, out, a)


# fully_connected
def _fc_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.dense(ins[0], a["num_outputs"])


def _fc_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    return _linear_vars((ins[0][-1], a["num_outputs"]), a["num_outputs"], a)  # type: ignore


def _fc_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    n = _size(out)
    return _macs_flops(None if n is None else n * ins[0][-1], out, a)  # type: ignore[operator]


# pools
def _pool_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    sh.require_rank(ins[0], 4)
    return sh.window_output(ins[0], _window(a), ins[0][3])


def _pool_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    n = _size(out)
    return None if n is None else n * kh * kw


def _subsample_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    sh.require_rank(ins[0], 4)
    f = a["factor"]
    return sh.window_output(ins[0], Window((1, 1), (f, f), "VALID"), ins[0][3])


def _same_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ins[0]


def _softmax_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    # slim.softmax reshapes to [-1, classes]: rank >= 2 and a known last dimension
    if len(ins[0]) < 2 or ins[0][-1] is None:
        raise ShapeError(f"softmax needs rank >= 2 and a known last dimension, got "
                         f"{sh.format_shape(ins[0])}")
    return ins[0]


def _dropout_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    """tf.nn.dropout broadcasts a noise_shape mask against the input; the layer then pins the
    result to the input's shape, so the mask must broadcast without growing it."""
    x, noise = ins[0], a.get("noise_shape")
    if noise is None or a["is_training"] is False:  # is_training=false: the identity
        return x
    try:
        grown = sh.broadcast(x, tuple(noise))
    except ShapeError:
        grown = None
    if grown is None or len(grown) != len(x) or any(
            d is not None and g is not None and d != g for d, g in zip(x, grown)):
        raise ShapeError(f"noise_shape {sh.format_shape(tuple(noise))} does not broadcast to "
                         f"the input {sh.format_shape(x)}")
    if a["is_training"] is True:  # a Python flag: TF keeps the dimensions the mask fixes
        return tuple(g if d is None else d for d, g in zip(x, grown))
    return x  # the run-time flag: tf.cond joins this branch with the identity


def _elementwise_flops(per_element: int) -> Callable[[list[Shape], Shape, dict], int | None]:
    def flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
        n = _size(out)
        return None if n is None else per_element * n
    return flops


def _batch_norm_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    if len(ins[0]) < 1:
        raise ShapeError(f"batch_norm needs rank >= 1, got {sh.format_shape(ins[0])}")
    if ins[0][-1] is None:
        raise ShapeError(f"batch_norm needs a known channel dimension, got "
                         f"{sh.format_shape(ins[0])}")
    return ins[0]


def _batch_norm_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    return batch_norm_variables(ins[0][-1], a, prefix="")  # type: ignore[arg-type]


def _bias_add_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    if len(ins[0]) < 2 or ins[0][-1] is None:
        raise ShapeError(f"bias_add needs rank >= 2 and a known last dimension, got "
                         f"{sh.format_shape(ins[0])}")
    return ins[0]


def _bias_add_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    return [VarSpec("biases", (ins[0][-1],), a["trainable"], a["initializer"],  # type: ignore
                    a["regularizer"], "biases")]


def _one_hot_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ins[0] + (a["num_classes"],)


def _unit_norm_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    rank = len(ins[0])
    if not 0 <= a["dim"] < rank:
        raise ShapeError(f"dim {a['dim']} is out of range for rank {rank} "
                         f"{sh.format_shape(ins[0])} (valid: 0 .. {rank - 1})")
    return ins[0]


def _flatten_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.flatten(ins[0])


def _squeeze_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.squeeze(ins[0], a["axis"])


def _reduce_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.reduce(ins[0], a["axis"], a["keepdims"])


def _reduce_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    return _size(ins[0])


def _concat_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.concat(ins, a["axis"])


def _add_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.broadcast(ins[0], ins[1])


def _pad_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    pads = a["paddings"]
    if not pads:  # tf.pad reads [] as a tensor of shape [0], not [0, 2], and rejects it
        raise ShapeError("paddings is empty: tf.pad cannot pad a scalar")
    if len(pads) != len(ins[0]):
        raise ShapeError(f"paddings has {len(pads)} pairs but the input "
                         f"{sh.format_shape(ins[0])} has rank {len(ins[0])}")
    return tuple(None if d is None else d + p[0] + p[1] for d, p in zip(ins[0], pads))


_COLLECT = Arg("outputs_collections", "string?", None, "collect the output as an end point")

_KINDS: list[LayerKind] = [
    LayerKind(
        "conv2d", "2-D convolution, then normalizer or biases, then activation.",
        (Arg("num_outputs", "int"), Arg("kernel_size", "int-or-pair")) + _CONV_WINDOW
        + _common_linear(),
        _conv2d_shape, aliases=("convolution2d",), default_scope="Conv", func_name="convolution2d",
        variables=_conv2d_vars, flops=_conv2d_flops, tf_name="slim.conv2d"),
    LayerKind(
        "conv2d_same", "resnet_utils.conv2d_same: stride-1 SAME conv, or explicit symmetric "
        "padding then a VALID strided conv (centred like ResNet). Reads arg_scope([conv2d]).",
        (Arg("num_outputs", "int"), Arg("kernel_size", "int-or-pair"), Arg("stride", "int-or-pair"),
         Arg("rate", "int-or-pair", 1)) + _common_linear(),
        _conv2d_same_shape, default_scope="Conv", func_name="conv2d_same",
        arg_scope_key="conv2d", variables=_conv2d_vars, flops=_conv2d_flops,
        tf_name="resnet_utils.conv2d_same"),
    LayerKind(
        "separable_conv2d", "Depthwise conv (depth_multiplier per channel), then a 1x1 "
        "pointwise conv; depthwise only when num_outputs is none.",
        (Arg("num_outputs", "int?"), Arg("kernel_size", "int-or-pair"),
         Arg("depth_multiplier", "int", 1), Arg("stride", "int-or-pair", 1),
         Arg("padding", "padding", "SAME"), Arg("data_format", "data-format", None),
         Arg("rate", "int-or-pair", 1))
        + _common_linear()[:4] + (Arg("pointwise_initializer", "initializer", None),)
        + _common_linear()[4:],
        _separable_shape, default_scope="SeparableConv2d", func_name="separable_convolution2d",
        variables=_separable_vars, flops=_separable_flops, tf_name="slim.separable_conv2d"),
    LayerKind(
        "conv2d_transpose", "Transposed 2-D convolution (weights [kh, kw, out, in]).",
        (Arg("num_outputs", "int"), Arg("kernel_size", "int-or-pair"),
         Arg("stride", "int-or-pair", 1), Arg("padding", "padding", "SAME"),
         Arg("data_format", "data-format", None)) + _common_linear(),
        _transpose_shape, aliases=("convolution2d_transpose",), default_scope="Conv2d_transpose",
        func_name="convolution2d_transpose", variables=_transpose_vars, flops=_transpose_flops,
        tf_name="slim.conv2d_transpose"),
    LayerKind(
        "conv2d_in_plane", "One [kh, kw, 1, 1] kernel applied to every channel.",
        (Arg("kernel_size", "int-or-pair"), Arg("stride", "int-or-pair", 1),
         Arg("padding", "padding", "SAME")) + _common_linear(),
        _in_plane_shape, aliases=("convolution2d_in_plane",), default_scope="ConvInPlane",
        func_name="convolution2d_in_plane", variables=_in_plane_vars, flops=_in_plane_flops,
        tf_name="slim.conv2d_in_plane"),
    LayerKind(
        "fully_connected", "Dense layer over the LAST dimension (it does not flatten).",
        (Arg("num_outputs", "int"),) + _common_linear(),
        _fc_shape, default_scope="fully_connected", func_name="fully_connected",
        variables=_fc_vars, flops=_fc_flops, tf_name="slim.fully_connected"),
    LayerKind(
        "max_pool2d", "2-D max pooling; TF-Slim defaults: stride 2, VALID.",
        (Arg("kernel_size", "int-or-pair"), Arg("stride", "int-or-pair", 2),
         Arg("padding", "padding", "VALID"), Arg("data_format", "data-format", None), _COLLECT),
        _pool_shape, default_scope="MaxPool2D", func_name="max_pool2d", scope_kind="name",
        flops=_pool_flops, tf_name="slim.max_pool2d", category="pool"),
    LayerKind(
        "avg_pool2d", "2-D average pooling (SAME padding is left out of the mean).",
        (Arg("kernel_size", "int-or-pair"), Arg("stride", "int-or-pair", 2),
         Arg("padding", "padding", "VALID"), Arg("data_format", "data-format", None), _COLLECT),
        _pool_shape, default_scope="AvgPool2D", func_name="avg_pool2d", scope_kind="name",
        flops=_pool_flops, tf_name="slim.avg_pool2d", category="pool"),
    LayerKind(
        "subsample", "resnet_utils.subsample: max_pool2d [1, 1] with stride factor; the input "
        "itself when factor is 1. Reads arg_scope([max_pool2d]).",
        (Arg("factor", "int"), _COLLECT),
        _subsample_shape, default_scope="MaxPool2D", func_name="subsample", scope_kind="name",
        arg_scope_key="max_pool2d", tf_name="resnet_utils.subsample", category="pool"),
    LayerKind(
        "dropout", "Dropout when training (kept elements scaled by 1/keep_prob); identity "
        "otherwise.",
        (Arg("keep_prob", "prob", 0.5), Arg("noise_shape", "axes", None),
         Arg("is_training", "flag", TRAINING), _COLLECT, Arg("seed", "int?", None)),
        _dropout_shape, default_scope="Dropout", func_name="dropout", tf_name="slim.dropout",
        category="activation"),
    LayerKind(
        "flatten", "[N, ...] -> [N, prod(...)]; a rank-1 [N] becomes [N, 1].", (_COLLECT,),
        _flatten_shape, default_scope="Flatten", func_name="flatten", scope_kind="name",
        tf_name="slim.flatten", category="reshape"),
    LayerKind(
        "batch_norm", "Batch normalization over the last axis.", BATCH_NORM_ARGS,
        _batch_norm_shape, default_scope="BatchNorm", func_name="batch_norm",
        variables=_batch_norm_vars, flops=_elementwise_flops(2), tf_name="slim.batch_norm"),
    LayerKind(
        "bias_add", "Adds a learned bias over the last axis.",
        (Arg("activation_fn", "activation", None), Arg("initializer", "initializer!", ZEROS),
         Arg("regularizer", "regularizer", None), Arg("trainable", "bool", True), _COLLECT,
         Arg("data_format", "data-format", None)),
        _bias_add_shape, default_scope="BiasAdd", func_name="bias_add", variables=_bias_add_vars,
        flops=_elementwise_flops(1), tf_name="slim.bias_add"),
    LayerKind(
        "one_hot_encoding", "Integer labels [N] -> float32 one-hot [N, num_classes].",
        (Arg("num_classes", "int"), Arg("on_value", "float", 1.0),
         Arg("off_value", "float", 0.0), _COLLECT),
        _one_hot_shape, default_scope="OneHotEncoding", func_name="one_hot_encoding",
        scope_kind="name", tf_name="slim.one_hot_encoding", category="reshape"),
    LayerKind(
        "unit_norm", "x / sqrt(epsilon + sum(x^2)) over axis dim.",
        (Arg("dim", "axis"), Arg("epsilon", "float", 1e-7)),
        _unit_norm_shape, default_scope="UnitNorm", func_name="unit_norm",
        flops=_elementwise_flops(3), tf_name="slim.unit_norm", category="activation"),
    LayerKind(
        "softmax", "Softmax over the last axis (rank >= 2, known last dimension).", (),
        _softmax_shape, default_scope="softmax", func_name="softmax", scope_kind="name",
        tf_name="slim.softmax", category="activation"),
    LayerKind(
        "squeeze", "tf.squeeze: removes size-1 axes.", (Arg("axis", "axes", None),),
        _squeeze_shape, default_scope="Squeeze", func_name="squeeze", scope_kind="op",
        tf_name="tf.squeeze", category="reshape"),
    LayerKind(
        "reduce_mean", "tf.reduce_mean over axis (global pooling with axis=[1, 2]).",
        (Arg("axis", "axes", None), Arg("keepdims", "bool", False)),
        _reduce_shape, default_scope="Mean", func_name="reduce_mean", scope_kind="op",
        flops=_reduce_flops, tf_name="tf.reduce_mean", category="pool"),
    LayerKind(
        "concat", "tf.concat of the tensors given, or of the branches that follow.",
        (Arg("axis", "axis"),),
        _concat_shape, inputs="list", default_scope="concat", func_name="concat",
        scope_kind="op", tf_name="tf.concat", category="combine"),
    LayerKind(
        "add", "Element-wise sum of two tensors (broadcasting), e.g. a residual connection.",
        (), _add_shape, inputs="two", default_scope="add", func_name="add", scope_kind="op",
        flops=_elementwise_flops(1), tf_name="tf.add", category="combine"),
    LayerKind(
        "pad", "tf.pad with constant zeros: one [before, after] pair per dimension.",
        (Arg("paddings", "paddings"),), _pad_shape, default_scope="Pad", func_name="pad",
        scope_kind="op", tf_name="tf.pad", category="reshape"),
]

for _act in ACTIVATIONS:
    if _act == "softmax":
        continue
    _KINDS.append(LayerKind(
        _act, f"tf.nn.{_act} as a layer.",
        (Arg("alpha", "float", 0.2),) if _act == "leaky_relu" else (),
        _same_shape, default_scope={"relu": "Relu", "relu6": "Relu6", "elu": "Elu",
                                    "leaky_relu": "LeakyRelu", "sigmoid": "Sigmoid",
                                    "tanh": "Tanh"}[_act],
        func_name=_act, scope_kind="op", tf_name=f"tf.nn.{_act}", category="activation"))

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
INTEGER_DTYPES = ("uint8", "int32", "int64")
_INTEGER_ONLY = {"one_hot_encoding"}
_ANY_DTYPE = {"squeeze", "concat", "pad", "flatten", "reduce_mean", "add", "relu", "relu6"}
for _i, _kind in enumerate(_KINDS):  # the floating-point math layers reject integer tensors
    if _kind.name in _INTEGER_ONLY:
        _KINDS[_i] = replace(_kind, input_dtypes=INTEGER_DTYPES)
    elif _kind.name not in _ANY_DTYPE:
        _KINDS[_i] = replace(_kind, input_dtypes=FLOAT_DTYPES)

#: All layer kinds by canonical name.
LAYERS: dict[str, LayerKind] = {k.name: k for k in _KINDS}
#: Every name (canonical or alias) a call may use, mapped to its canonical kind.
LAYER_NAMES: dict[str, str] = {**{k.name: k.name for k in _KINDS},
                               **{a: k.name for k in _KINDS for a in k.aliases}}

#: Built-in statements that take a layer as argument (TF-Slim's repeat/stack).
META_LAYERS = ("repeat", "stack")


def lookup(name: str) -> LayerKind | None:
    """The layer kind a call name refers to (aliases included), or None."""
    canonical = LAYER_NAMES.get(name)
    return LAYERS[canonical] if canonical else None
