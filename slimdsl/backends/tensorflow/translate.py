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

from ...layers import ZEROS
from . import source as src
from .parts import dtype_kwargs, linear, regularization, window_kwargs
from .pieces import Emitted, NodeCtx, activation, dims, initializer, ints
from .translate_more import MORE_TRANSLATORS
from .translate_ops import OP_TRANSLATORS

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
    "hard_swish": (),
    "hard_sigmoid": (),
    "dropout": (),
    "drop_path": (),
    "unit_norm": (),
    "check_compiled": (),
    "check_input": (),
    "load_checkpoint": (),
    "scale_gradient": (),
    "maxout": (),
    "batch_norm": ("variable",),
    "instance_norm": ("variable",),
    "layer_norm": ("variable",),
    "group_norm": ("variable",),
    "gdn": ("variable",),
    "spatial_softmax": ("variable",),
    "bias_add": ("variable",),
    "layer": ("variable",),
    "conv2d": ("layer", "xavier"),
    "conv_nd": ("conv2d",),
    "separable_conv2d": ("layer", "xavier"),
    "conv2d_transpose": ("layer", "xavier"),
    "conv3d_transpose": ("layer", "xavier"),
    "conv2d_in_plane": ("layer", "xavier"),
    "fully_connected": ("layer", "xavier"),
}

#: Every top-level name the runtime snippets define; generated parameter, input and local
#: names must not shadow them.
RUNTIME_NAMES = frozenset({
    "_variable", "_variance_scaling", "_xavier", "_truncated_normal", "_random_normal",
    "_random_uniform", "_constant", "_leaky_relu", "_hard_swish", "_hard_sigmoid", "_dropout",
    "_drop_path", "_unit_norm", "_check_compiled",
    "_frozen", "_load_slim_checkpoint", "_Layer", "_Conv2D", "_SeparableConv2D",
    "_Conv2DTranspose", "_Conv2DInPlane", "_FullyConnected", "_BatchNorm", "_BiasAdd",
    "_SOURCE", "_check_input", "_scale_gradient", "_maxout", "_InstanceNorm", "_LayerNorm",
    "_GroupNorm",
    "_GDN", "_SpatialSoftmax", "_ConvND", "_Conv3DTranspose",
})

# ---------------------------------------------------------------------------- translation


def _conv2d(ctx: NodeCtx) -> Emitted:
    return linear(ctx, "_Conv2D", "conv2d", [dims(ctx.var_shape("weights"))], window_kwargs(ctx))


def _conv2d_same(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    if a["stride"] == (1, 1):
        return linear(ctx, "_Conv2D", "conv2d", [dims(ctx.var_shape("weights"))],
                       window_kwargs(ctx, padding=False))
    # resnet_utils.conv2d_same: pad the effective kernel size - 1 symmetrically, then VALID.
    pads = []
    for k, r in zip(a["kernel_size"], a["rate"]):
        total = k + (k - 1) * (r - 1) - 1
        pads.append([total // 2, total - total // 2])
    padded = f"tf.pad({ctx.ins[0]}, {src.literal([[0, 0], *pads, [0, 0]])})"
    return linear(ctx, "_Conv2D", "conv2d", [dims(ctx.var_shape("weights"))],
                   [f"stride={ints(a['stride'])}", 'padding="VALID"'], call_input=padded)


def _separable_conv2d(ctx: NodeCtx) -> Emitted:
    first = [dims(ctx.var_shape("depthwise_weights"))]
    if ctx.a["num_outputs"] is not None:
        first.append(dims(ctx.var_shape("pointwise_weights")))
    return linear(ctx, "_SeparableConv2D", "separable_conv2d", first, window_kwargs(ctx))


def _conv2d_transpose(ctx: NodeCtx) -> Emitted:
    return linear(ctx, "_Conv2DTranspose", "conv2d_transpose",
                   [dims(ctx.var_shape("weights"))], window_kwargs(ctx))


def _conv2d_in_plane(ctx: NodeCtx) -> Emitted:
    channels = dims(ctx.in_shape()[-1:])[1:-1]
    return linear(ctx, "_Conv2DInPlane", "conv2d_in_plane",
                   [dims(ctx.var_shape("weights")), channels], window_kwargs(ctx))


def _fully_connected(ctx: NodeCtx) -> Emitted:
    return linear(ctx, "_FullyConnected", "fully_connected", [dims(ctx.var_shape("weights"))],
                   [])


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
    args.extend(dtype_kwargs(ctx))
    return Emitted(f"self.{ctx.attr}", [ctx.ins[0]], "_BiasAdd", args, needs)


def _pool(op: str) -> Callable[[NodeCtx], Emitted]:
    def translate(ctx: NodeCtx) -> Emitted:
        a = ctx.a
        return Emitted(f"tf.nn.{op}", [ctx.ins[0], ints(a["kernel_size"]), ints(a["stride"]),
                                       src.string(a["padding"].upper())])
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
    "max_pool3d": _pool("max_pool3d"),
    "avg_pool3d": _pool("avg_pool3d"),
    "subsample": _subsample,
    "dropout": _dropout,
    "flatten": _flatten,
    "bias_add": _bias_add,
    "one_hot_encoding": _one_hot,
    "unit_norm": _unit_norm,
    "softmax": lambda ctx: Emitted("tf.nn.softmax", [ctx.ins[0]]),
    "squeeze": _axes_call("tf.squeeze"),
    "concat": _concat,
    "relu": _activation_layer("tf.nn.relu"),
    "relu6": _activation_layer("tf.nn.relu6"),
    "elu": _activation_layer("tf.nn.elu"),
    "leaky_relu": _activation_layer("tf.nn.leaky_relu"),
    "sigmoid": _activation_layer("tf.sigmoid"),
    "tanh": _activation_layer("tf.tanh"),
    **MORE_TRANSLATORS,
    **OP_TRANSLATORS,
}

#: Where each variable role lives on its layer object (for regularization terms); a
#: model_variable's layer object is the variable itself.
ROLE_ATTRS = {"weights": "weights", "biases": "biases", "depthwise": "depthwise_weights",
              "pointwise": "pointwise_weights", "beta": "beta", "gamma": "gamma",
              "moving_mean": "moving_mean", "moving_variance": "moving_variance",
              "temperature": "temperature", "reparam_beta": "reparam_beta",
              "reparam_gamma": "reparam_gamma", "variable": ""}
#: Kinds translated to a layer object built in ``__init__`` even when they have no variables
#: (instance_norm(center=false, scale=false) still is one).
LAYER_OBJECTS = frozenset({"batch_norm", "bias_add", "instance_norm", "layer_norm",
                           "group_norm"})

__all__ = ["LAYER_OBJECTS", "ROLE_ATTRS", "RUNTIME_NAMES", "SNIPPET_DEPS", "TRANSLATORS",
           "Emitted", "NodeCtx", "dims", "regularization"]
