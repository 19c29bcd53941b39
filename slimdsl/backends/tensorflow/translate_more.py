"""Translators of the N-d convolutions and pools, the normalizers as layers, and TF-Slim's
less common layers (maxout, spatial_softmax, gdn, the sequence reshapes, scale_gradient,
model_variable, linear); :mod:`.translate` merges :data:`MORE_TRANSLATORS` into its table.
"""

from __future__ import annotations

from collections.abc import Callable

from ...layers.shapes import expand
from . import source as src
from .parts import NORMALIZER_CLASSES, dtype_kwargs, linear, normalizer_kwargs, window_kwargs
from .pieces import Emitted, NodeCtx, dims, initializer


def normalizer_layer(ctx: NodeCtx) -> Emitted:
    """batch_norm, instance_norm, layer_norm or group_norm as a layer of its own."""
    kind = ctx.node.kind
    cls, snippet = NORMALIZER_CLASSES[kind]
    needs = {snippet}
    channels = dims(ctx.in_shape()[-1:])[1:-1]
    args = [src.string(ctx.node.scope), channels]
    args += normalizer_kwargs(kind, ctx.a, ctx.in_shape(), needs, dict_form=False,
                              runtime=ctx.runtime)
    if kind != "batch_norm":
        args.extend(dtype_kwargs(ctx))
    call = [ctx.ins[0]]
    if kind == "batch_norm":
        call.append(ctx.flag(ctx.a["is_training"]))
    return Emitted(f"self.{ctx.attr}", call, cls, args, needs)


def _conv_nd(ctx: NodeCtx) -> Emitted:
    """conv1d, conv3d, and convolution (2-D on a rank-4 input: the same code as conv2d)."""
    two_d = len(ctx.node.inputs[0].shape or ()) == 4
    cls, snippet = ("_Conv2D", "conv2d") if two_d else ("_ConvND", "conv_nd")
    return linear(ctx, cls, snippet, [dims(ctx.var_shape("weights"))], window_kwargs(ctx))


def _conv3d_transpose(ctx: NodeCtx) -> Emitted:
    return linear(ctx, "_Conv3DTranspose", "conv3d_transpose", [dims(ctx.var_shape("weights"))],
                  window_kwargs(ctx))


def _pool(ctx: NodeCtx) -> Emitted:
    """slim.pool: tf.nn.pool with one window size, stride and dilation per spatial axis."""
    a = ctx.a
    n = len(ctx.in_shape()) - 2
    args = [ctx.ins[0], src.literal(list(expand(a["kernel_size"], n, "kernel_size"))),
            src.string(a["pooling_type"])]
    stride = list(expand(a["stride"], n, "stride"))
    rate = list(expand(a["dilation_rate"], n, "dilation_rate"))
    if any(s != 1 for s in stride):
        args.append(f"strides={src.literal(stride)}")
    if a["padding"] != "VALID":
        args.append(f"padding={src.string(a['padding'])}")
    if any(r != 1 for r in rate):
        args.append(f"dilations={src.literal(rate)}")
    return Emitted("tf.nn.pool", args)


def _maxout(ctx: NodeCtx) -> Emitted:
    args = [ctx.ins[0], src.number(ctx.a["num_units"])]
    if ctx.a["axis"] != -1:
        args.append(src.number(ctx.a["axis"]))
    return Emitted("_maxout", args, needs={"maxout"})


def _spatial_softmax(ctx: NodeCtx) -> Emitted:
    args = [src.string(ctx.node.scope)]
    if ctx.a["temperature"] is not None:
        args.append(f"temperature={src.number(float(ctx.a['temperature']))}")
    if not ctx.a["trainable"]:
        args.append("trainable=False")
    return Emitted(f"self.{ctx.attr}", [ctx.ins[0]], "_SpatialSoftmax", args,
                   {"spatial_softmax"})


def _gdn(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    args = [src.string(ctx.node.scope), dims(ctx.in_shape()[-1:])[1:-1]]
    for key, default in (("inverse", False), ("beta_min", 1e-6), ("gamma_init", 0.1),
                         ("reparam_offset", 2.0 ** -18), ("trainable", True)):
        if a[key] != default:
            args.append(f"{key}={src.literal(a[key])}")
    args.extend(dtype_kwargs(ctx))
    return Emitted(f"self.{ctx.attr}", [ctx.ins[0]], "_GDN", args, {"gdn"})


def _linear_layer(ctx: NodeCtx) -> Emitted:
    return linear(ctx, "_FullyConnected", "fully_connected", [dims(ctx.var_shape("weights"))],
                  [])


def _images_to_sequence(ctx: NodeCtx) -> Emitted:
    _, _, width, depth = ctx.in_shape()
    shape = f"[{dims((width,), 'forward')[1:-1]}, -1, {dims((depth,), 'forward')[1:-1]}]"
    return Emitted("tf.reshape", [f"tf.transpose({ctx.ins[0]}, [2, 0, 1, 3])", shape])


def _sequence_to_images(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    time, batch, depth = ctx.in_shape()
    groups = -1 if batch is None or isinstance(batch, str) else batch // a["height"]
    shape = [dims((time,), "forward")[1:-1], src.number(groups), src.number(a["height"]),
             dims((depth,), "forward")[1:-1]]
    perm = [1, 3, 2, 0] if a["output_data_format"] == "channels_first" else [1, 2, 0, 3]
    return Emitted("tf.transpose", [f"tf.reshape({ctx.ins[0]}, [{', '.join(shape)}])",
                                    src.literal(perm)])


def _scale_gradient(ctx: NodeCtx) -> Emitted:
    return Emitted("_scale_gradient", [ctx.ins[0], ctx.value("gradient_multiplier", "forward")],
                   needs={"scale_gradient"})


def _model_variable(ctx: NodeCtx) -> Emitted:
    """The variable, created in ``__init__``; the forward pass reads it as a tensor."""
    a, var = ctx.a, ctx.node.variables[0]
    parent = ctx.node.scope[:len(ctx.node.scope) - len(a["name"])].rstrip("/")
    needs = {"variable"}
    args = [src.string(parent), src.string(a["name"]), initializer(var.initializer, needs),
            dims(ctx.params.variable_shape(var))]
    if a["dtype"] != "float32":
        args.append(f"dtype=tf.{src.identifier(a['dtype'])}")
    if not a["trainable"]:
        args.append("trainable=False")
    return Emitted(f"self.{ctx.attr}", None, "_variable", args, needs)


#: The translators of this module, by registry kind.
MORE_TRANSLATORS: dict[str, Callable[[NodeCtx], Emitted]] = {
    "batch_norm": normalizer_layer,
    "instance_norm": normalizer_layer,
    "layer_norm": normalizer_layer,
    "group_norm": normalizer_layer,
    "conv1d": _conv_nd,
    "conv3d": _conv_nd,
    "convolution": _conv_nd,
    "conv3d_transpose": _conv3d_transpose,
    "pool": _pool,
    "maxout": _maxout,
    "spatial_softmax": _spatial_softmax,
    "gdn": _gdn,
    "linear": _linear_layer,
    "images_to_sequence": _images_to_sequence,
    "sequence_to_images": _sequence_to_images,
    "scale_gradient": _scale_gradient,
    "model_variable": _model_variable,
}
