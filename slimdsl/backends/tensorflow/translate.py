"""The TensorFlow backend's table of layer kinds: what each IR node becomes in generated code.

For every kind of :data:`slimdsl.layers.LAYERS`, :data:`TRANSLATORS` gives a function that
turns a node into (optionally) a layer object built in the model's ``__init__`` and one
expression of the forward pass. The layer classes and helpers the expressions use are static
snippets in ``templates/runtime/``; :data:`SNIPPET_DEPS` says which snippet needs which.

Model parameters the IR marks run-time (:class:`slimdsl.ir.RuntimeParams`, found by the
accounting) stay parameters of the generated class: ``dropout(keep_prob)``, ``batch_norm``
decay/epsilon, ``leaky_relu`` alpha, and ``num_outputs`` / ``num_classes`` when they only size
variables; the shapes they size name them (:func:`dims`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...ir import Node, RuntimeParams, SymShape
from ...layers import XAVIER, ZEROS
from ...values import (
    ACTIVATION_PARAMS,
    INITIALIZERS,
    Activation,
    Initializer,
    Regularizer,
    Training,
)
from . import source as src

#: Runtime snippets (templates/runtime/NAME.py.j2) in the order they are written, with the
#: snippets each one uses. Layer classes come last, base class first.
SNIPPET_DEPS: dict[str, tuple[str, ...]] = {
    "variable": (),
    "variance_scaling": (),
    "xavier": ("variance_scaling",),
    "truncated_normal": (),
    "random_normal": (),
    "random_uniform": (),
    "constant": (),
    "leaky_relu": (),
    "dropout": (),
    "unit_norm": (),
    "check_compiled": (),
    "load_checkpoint": (),
    "batch_norm": ("variable",),
    "bias_add": ("variable",),
    "layer": ("variable",),
    "conv2d": ("layer", "xavier"),
    "separable_conv2d": ("layer", "xavier"),
    "conv2d_transpose": ("layer", "xavier"),
    "conv2d_in_plane": ("layer", "xavier"),
    "fully_connected": ("layer", "xavier"),
}

#: Every top-level name the runtime snippets define; generated parameter, input and local
#: names must not shadow them.
RUNTIME_NAMES = frozenset({
    "_variable", "_variance_scaling", "_xavier", "_truncated_normal", "_random_normal",
    "_random_uniform", "_constant", "_leaky_relu", "_dropout", "_unit_norm", "_check_compiled",
    "_frozen", "_load_slim_checkpoint", "_Layer", "_Conv2D", "_SeparableConv2D",
    "_Conv2DTranspose", "_Conv2DInPlane", "_FullyConnected", "_BatchNorm", "_BiasAdd",
    "_SOURCE",
})

# ---------------------------------------------------------------------------- translation


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


def _pair(value: tuple[int, int]) -> str:
    return src.number(value[0]) if value[0] == value[1] else src.literal(list(value))


def activation(act: Activation | None, needs: set[str]) -> str:
    """An activation function as code (``tf.nn.relu``, ``_leaky_relu(0.1)``, ``None``)."""
    if act is None:
        return "None"
    if act.name == "leaky_relu":
        alpha = dict(act.params).get("alpha", ACTIVATION_PARAMS["leaky_relu"][0].default)
        if alpha == 0.2:
            return "tf.nn.leaky_relu"
        needs.add("leaky_relu")
        return f"_leaky_relu({src.number(alpha)})"
    return {"relu": "tf.nn.relu", "relu6": "tf.nn.relu6", "elu": "tf.nn.elu",
            "sigmoid": "tf.sigmoid", "tanh": "tf.tanh", "softmax": "tf.nn.softmax"}[act.name]


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


def regularization(reg: Regularizer | None, variable: str) -> src.Expr | None:
    """TF-Slim's loss term for one variable, or None (no regularizer, or a zero scale)."""
    if reg is None:
        return None
    p = dict(reg.params)
    if reg.name == "l1_l2":
        s1, s2 = float(p.get("scale_l1", 1.0)), float(p.get("scale_l2", 1.0))
    else:
        s1 = float(p["scale"]) if reg.name == "l1" else 0.0
        s2 = float(p["scale"]) if reg.name == "l2" else 0.0
    terms = []
    if s1:  # TF-Slim: a zero scale disables the regularizer
        terms.append((f"{src.number(s1)} * tf.reduce_sum(tf.abs(", [variable], "))"))
    if s2:
        terms.append((f"{src.number(s2)} * tf.nn.l2_loss(", [variable], ")"))
    if len(terms) == 2:  # l1_l2_regularizer is a sum_regularizer: add_n of both terms
        return ("tf.add_n([", terms, "])")
    return terms[0] if terms else None


def _dtype(ctx: NodeCtx) -> list[str]:
    dtype = ctx.node.inputs[0].dtype
    return [] if dtype == "float32" else [f"dtype=tf.{src.identifier(dtype)}"]


def _normalizer(ctx: NodeCtx, needs: set[str]) -> list[str]:
    """``normalizer_fn=_BatchNorm, normalizer_params={...}`` with the non-default values."""
    needs.add("batch_norm")
    params = _bn_kwargs(ctx.a["normalizer_params"] or {}, needs, dict_form=True)
    out = ["normalizer_fn=_BatchNorm"]
    if params:
        out.append("normalizer_params={" + ", ".join(params) + "}")
    return out


def _bn_kwargs(bn: dict[str, Any], needs: set[str], dict_form: bool,
               runtime: dict[str, str] | None = None) -> list[str]:
    out = []
    defaults = {"decay": 0.999, "center": True, "scale": False, "epsilon": 0.001}
    for key, default in defaults.items():
        if runtime and key in runtime:
            value = runtime[key]
        elif bn.get(key, default) != default:
            value = src.literal(bn[key])
        else:
            continue
        out.append(f'"{key}": {value}' if dict_form else f"{key}={value}")
    if bn.get("activation_fn") is not None:
        act = activation(bn["activation_fn"], needs)
        out.append(f'"activation": {act}' if dict_form else f"activation={act}")
    inits = bn.get("param_initializers") or {}
    if inits:
        items = ", ".join(f"{src.string(k)}: {initializer(v, needs)}" for k, v in inits.items())
        out.append(f'"param_initializers": {{{items}}}' if dict_form
                   else f"param_initializers={{{items}}}")
    if bn.get("trainable", True) is False:
        out.append('"trainable": False' if dict_form else "trainable=False")
    return out


def _linear(ctx: NodeCtx, cls: str, snippet: str, first: list[str], extra: list[str],
            call_input: str | None = None) -> Emitted:
    """Conv-like and fully connected layers: constructor kwargs that differ from TF-Slim's."""
    a, needs = ctx.a, {snippet}
    args = [src.string(ctx.node.scope)] + first + extra
    if a["activation_fn"] != Activation("relu"):
        args.append(f"activation={activation(a['activation_fn'], needs)}")
    if a["normalizer_fn"] is not None:
        args.extend(_normalizer(ctx, needs))
    if a["weights_initializer"] != XAVIER:
        args.append(f"weights_initializer={initializer(a['weights_initializer'], needs)}")
    if a.get("pointwise_initializer") is not None:
        args.append(f"pointwise_initializer={initializer(a['pointwise_initializer'], needs)}")
    if a["normalizer_fn"] is None and a["biases_initializer"] != ZEROS:
        args.append(f"biases_initializer={initializer(a['biases_initializer'], needs)}")
    if not a["trainable"]:
        args.append("trainable=False")
    args.extend(_dtype(ctx))
    call = [call_input or ctx.ins[0]]
    if a["normalizer_fn"] is not None:
        call.append(ctx.flag(a["normalizer_params"]["is_training"]))
    return Emitted(f"self.{ctx.attr}", call, cls, args, needs)


def _window(ctx: NodeCtx, padding: bool = True) -> list[str]:
    a, out = ctx.a, []
    if a["stride"] != (1, 1):
        out.append(f"stride={_pair(a['stride'])}")
    if padding and a["padding"] != "SAME":
        out.append(f"padding={src.string(a['padding'])}")
    if a.get("rate", (1, 1)) != (1, 1):
        out.append(f"rate={_pair(a['rate'])}")
    return out


def _conv2d(ctx: NodeCtx) -> Emitted:
    return _linear(ctx, "_Conv2D", "conv2d", [dims(ctx.var_shape("weights"))], _window(ctx))


def _conv2d_same(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    if a["stride"] == (1, 1):
        return _linear(ctx, "_Conv2D", "conv2d", [dims(ctx.var_shape("weights"))],
                       _window(ctx, padding=False))
    # resnet_utils.conv2d_same: pad the effective kernel size - 1 symmetrically, then VALID.
    pads = []
    for k, r in zip(a["kernel_size"], a["rate"]):
        total = k + (k - 1) * (r - 1) - 1
        pads.append([total // 2, total - total // 2])
    padded = f"tf.pad({ctx.ins[0]}, {src.literal([[0, 0], *pads, [0, 0]])})"
    return _linear(ctx, "_Conv2D", "conv2d", [dims(ctx.var_shape("weights"))],
                   [f"stride={_pair(a['stride'])}", 'padding="VALID"'], call_input=padded)


def _separable_conv2d(ctx: NodeCtx) -> Emitted:
    first = [dims(ctx.var_shape("depthwise_weights"))]
    if ctx.a["num_outputs"] is not None:
        first.append(dims(ctx.var_shape("pointwise_weights")))
    return _linear(ctx, "_SeparableConv2D", "separable_conv2d", first, _window(ctx))


def _conv2d_transpose(ctx: NodeCtx) -> Emitted:
    return _linear(ctx, "_Conv2DTranspose", "conv2d_transpose",
                   [dims(ctx.var_shape("weights"))], _window(ctx))


def _conv2d_in_plane(ctx: NodeCtx) -> Emitted:
    channels = dims(ctx.in_shape()[-1:])[1:-1]
    return _linear(ctx, "_Conv2DInPlane", "conv2d_in_plane",
                   [dims(ctx.var_shape("weights")), channels], _window(ctx))


def _fully_connected(ctx: NodeCtx) -> Emitted:
    return _linear(ctx, "_FullyConnected", "fully_connected", [dims(ctx.var_shape("weights"))],
                   [])


def _batch_norm(ctx: NodeCtx) -> Emitted:
    needs = {"batch_norm"}
    channels = dims(ctx.in_shape()[-1:])[1:-1]
    args = [src.string(ctx.node.scope), channels]
    args += _bn_kwargs(ctx.a, needs, dict_form=False,
                       runtime={k: p for k, p in ctx.runtime.items() if k in ("decay", "epsilon")})
    return Emitted(f"self.{ctx.attr}", [ctx.ins[0], ctx.flag(ctx.a["is_training"])],
                   "_BatchNorm", args, needs)


def _bias_add(ctx: NodeCtx) -> Emitted:
    needs = {"bias_add"}
    a = ctx.a
    args = [src.string(ctx.node.scope), dims(ctx.var_shape("biases"))[1:-1]]
    if a["activation_fn"] is not None:
        args.append(f"activation={activation(a['activation_fn'], needs)}")
    if a["initializer"] != ZEROS:
        args.append(f"initializer={initializer(a['initializer'], needs)}")
    if not a["trainable"]:
        args.append("trainable=False")
    args.extend(_dtype(ctx))
    return Emitted(f"self.{ctx.attr}", [ctx.ins[0]], "_BiasAdd", args, needs)


def _pool(op: str) -> Callable[[NodeCtx], Emitted]:
    def translate(ctx: NodeCtx) -> Emitted:
        a = ctx.a
        return Emitted(f"tf.nn.{op}", [ctx.ins[0], _pair(a["kernel_size"]), _pair(a["stride"]),
                                       src.string(a["padding"])])
    return translate


def _subsample(ctx: NodeCtx) -> Emitted:
    # resnet_utils.subsample: a 1x1 max pool with stride factor (SAME and VALID agree for 1x1)
    return Emitted("tf.nn.max_pool2d", [ctx.ins[0], "1", src.number(ctx.a["factor"]), '"VALID"'])


def _dropout(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    if a["is_training"] is False:
        return Emitted("tf.identity", [ctx.ins[0]])
    args = [ctx.ins[0], ctx.value("keep_prob", "forward"), ctx.flag(a["is_training"])]
    if a["noise_shape"] is not None:
        args.append(f"noise_shape={src.literal(list(a['noise_shape']))}")
    if a["seed"] is not None:
        args.append(f"seed={src.number(a['seed'])}")
    return Emitted("_dropout", args, needs={"dropout"})


def _flatten(ctx: NodeCtx) -> Emitted:
    x, shape = ctx.ins[0], ctx.in_shape()
    if len(shape) == 1:
        return Emitted("tf.expand_dims", [x, "1"])
    rest = ctx.out_shape[1]
    # Keras' Flatten: a static size when every non-batch dim is known (a number, or a
    # parameter); a size that depends on the input's named sizes (H*W*64) stays -1
    if isinstance(rest, (int, str)):
        return Emitted("tf.reshape", [x, f"[-1, {dims((rest,), 'forward')[1:-1]}]"])
    if isinstance(shape[0], int):
        return Emitted("tf.reshape", [x, f"[{src.number(shape[0])}, -1]"])
    return Emitted("tf.reshape", [x, f"[tf.shape({x})[0], -1]"])


def _one_hot(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    args = [ctx.ins[0], ctx.value("num_classes", "forward")]
    for key, default in (("on_value", 1.0), ("off_value", 0.0)):
        if key in ctx.runtime or a[key] != default:
            args.append(f"{key}={ctx.value(key, 'forward')}")
    return Emitted("tf.one_hot", args)


def _unit_norm(ctx: NodeCtx) -> Emitted:
    args = [ctx.ins[0], src.number(ctx.a["dim"])]
    if "epsilon" in ctx.runtime or ctx.a["epsilon"] != 1e-7:
        args.append(ctx.value("epsilon", "forward"))
    return Emitted("_unit_norm", args, needs={"unit_norm"})


def _axes_call(op: str, extra: str = "") -> Callable[[NodeCtx], Emitted]:
    def translate(ctx: NodeCtx) -> Emitted:
        axis = ctx.a["axis"]
        args = [ctx.ins[0]] + ([] if axis is None else [src.literal(list(axis))])
        if extra and ctx.a.get(extra):
            args.append(f"{extra}=True")
        return Emitted(op, args)
    return translate


def _concat(ctx: NodeCtx) -> Emitted:
    return Emitted("tf.concat", [f"[{', '.join(ctx.ins)}]", src.number(ctx.a["axis"])])


def _add(ctx: NodeCtx) -> Emitted:
    return Emitted(f"{ctx.ins[0]} + {ctx.ins[1]}")


def _pad(ctx: NodeCtx) -> Emitted:
    return Emitted("tf.pad", [ctx.ins[0], src.literal(ctx.a["paddings"])])


def _activation_layer(fn: str) -> Callable[[NodeCtx], Emitted]:
    def translate(ctx: NodeCtx) -> Emitted:
        if fn == "tf.nn.leaky_relu" and ("alpha" in ctx.runtime or ctx.a["alpha"] != 0.2):
            return Emitted("tf.nn.leaky_relu", [ctx.ins[0], ctx.value("alpha", "forward")])
        return Emitted(fn, [ctx.ins[0]])
    return translate


#: One translator per layer kind of the registry (a test checks they match).
TRANSLATORS: dict[str, Callable[[NodeCtx], Emitted]] = {
    "conv2d": _conv2d,
    "conv2d_same": _conv2d_same,
    "separable_conv2d": _separable_conv2d,
    "conv2d_transpose": _conv2d_transpose,
    "conv2d_in_plane": _conv2d_in_plane,
    "fully_connected": _fully_connected,
    "max_pool2d": _pool("max_pool2d"),
    "avg_pool2d": _pool("avg_pool2d"),
    "subsample": _subsample,
    "dropout": _dropout,
    "flatten": _flatten,
    "batch_norm": _batch_norm,
    "bias_add": _bias_add,
    "one_hot_encoding": _one_hot,
    "unit_norm": _unit_norm,
    "softmax": lambda ctx: Emitted("tf.nn.softmax", [ctx.ins[0]]),
    "squeeze": _axes_call("tf.squeeze"),
    "reduce_mean": _axes_call("tf.reduce_mean", "keepdims"),
    "concat": _concat,
    "add": _add,
    "pad": _pad,
    "relu": _activation_layer("tf.nn.relu"),
    "relu6": _activation_layer("tf.nn.relu6"),
    "elu": _activation_layer("tf.nn.elu"),
    "leaky_relu": _activation_layer("tf.nn.leaky_relu"),
    "sigmoid": _activation_layer("tf.sigmoid"),
    "tanh": _activation_layer("tf.tanh"),
}

#: Where each variable role lives on its layer object (for regularization terms).
ROLE_ATTRS = {"weights": "weights", "biases": "biases", "depthwise": "depthwise_weights",
              "pointwise": "pointwise_weights", "beta": "beta", "gamma": "gamma",
              "moving_mean": "moving_mean", "moving_variance": "moving_variance"}

__all__ = ["Emitted", "NodeCtx", "ROLE_ATTRS", "RUNTIME_NAMES", "SNIPPET_DEPS", "TRANSLATORS",
           "dims", "regularization"]
