"""The TensorFlow backend's translators of TensorFlow ops and tensor expressions: arithmetic
(``a * b``, ``-x``), slicing, reshapes, padding, resizing, reductions, ``split`` and the
activations written as snippets. Each becomes one line of plain TensorFlow in the forward
pass, as hand-written TF-Slim code would write it (``net + 0.17 * up`` stays an operator)."""

from __future__ import annotations

from collections.abc import Callable

from ...layers.op_shapes import format_subscripts
from . import source as src
from .pieces import ATOM, Emitted, NodeCtx, binary, negate, operand, pair


def _operand(ctx: NodeCtx, i: int) -> tuple[str, int]:
    tensor = ctx.node.inputs[i]
    return operand(tensor.const) if tensor.const is not None else (ctx.ins[i], ATOM)


def _binary(op: str) -> Callable[[NodeCtx], Emitted]:
    def translate(ctx: NodeCtx) -> Emitted:
        return Emitted(binary(op, _operand(ctx, 0), _operand(ctx, 1))[0])
    return translate


def _negative(ctx: NodeCtx) -> Emitted:
    return Emitted(negate(_operand(ctx, 0))[0])


def _clip(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    return Emitted("tf.clip_by_value", [ctx.ins[0], src.number(a["clip_value_min"]),
                                        src.number(a["clip_value_max"])])


def _strided_slice(ctx: NodeCtx) -> Emitted:
    text = format_subscripts(ctx.a["subscripts"]).replace("none", "tf.newaxis")
    return Emitted(f"{ctx.ins[0]}[{text}]")


def _call(fn: str, *keys: str) -> Callable[[NodeCtx], Emitted]:
    """``fn(x, a[key], ...)`` with the arguments as literals."""
    def translate(ctx: NodeCtx) -> Emitted:
        return Emitted(fn, [ctx.ins[0]] + [src.literal(ctx.a[k]) for k in keys])
    return translate


def _transpose(ctx: NodeCtx) -> Emitted:
    perm = ctx.a["perm"]
    return Emitted("tf.transpose", [ctx.ins[0]] + ([] if perm is None else [src.literal(perm)]))


def _axes_call(op: str) -> Callable[[NodeCtx], Emitted]:
    def translate(ctx: NodeCtx) -> Emitted:
        axis = ctx.a["axis"]
        args = [ctx.ins[0]] + ([] if axis is None else [src.literal(list(axis))])
        if ctx.a.get("keepdims"):
            args.append("keepdims=True")
        return Emitted(op, args)
    return translate


def _pad(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    args = [ctx.ins[0], src.literal(a["paddings"])]
    if a["mode"] != "CONSTANT":
        args.append(f"mode={src.string(a['mode'])}")
    elif a["constant_values"] != 0:
        args.append(f"constant_values={src.number(a['constant_values'])}")
    return Emitted("tf.pad", args)


def _split(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    return Emitted("tf.split", [ctx.ins[0], src.literal(a["num_or_size_splits"]),
                                f"axis={src.number(a['axis'])}"])


def _cast(ctx: NodeCtx) -> Emitted:
    return Emitted("tf.cast", [ctx.ins[0], f"tf.{src.identifier(ctx.a['dtype'])}"])


def _resize(ctx: NodeCtx) -> Emitted:
    a = ctx.a
    fn = "resize_bilinear" if a["method"] == "bilinear" else "resize_nearest_neighbor"
    args = [ctx.ins[0], src.literal(a["size"])]
    for key in ("align_corners", "half_pixel_centers"):
        if a[key]:
            args.append(f"{key}=True")
    return Emitted(f"tf.compat.v1.image.{fn}", args)


def _lrn(ctx: NodeCtx) -> Emitted:
    args = [ctx.ins[0]]
    for key, default in (("depth_radius", 5), ("bias", 1.0), ("alpha", 1.0), ("beta", 0.5)):
        if key in ctx.runtime or ctx.a[key] != default:
            args.append(f"{key}={ctx.value(key, 'forward')}")
    return Emitted("tf.nn.lrn", args)


def _drop_path(ctx: NodeCtx) -> Emitted:
    return Emitted("_drop_path", [ctx.ins[0], ctx.value("keep_prob", "forward"),
                                  ctx.flag(ctx.a["is_training"])], needs={"drop_path"})


def _snippet(name: str) -> Callable[[NodeCtx], Emitted]:
    def translate(ctx: NodeCtx) -> Emitted:
        return Emitted(f"_{name}", [ctx.ins[0]], needs={name})
    return translate


#: Translators of the registry's TensorFlow ops (:data:`.translate.TRANSLATORS` adds them).
OP_TRANSLATORS: dict[str, Callable[[NodeCtx], Emitted]] = {
    "add": _binary("+"),
    "subtract": _binary("-"),
    "multiply": _binary("*"),
    "divide": _binary("/"),
    "pow": _binary("**"),
    "negative": _negative,
    "clip_by_value": _clip,
    "strided_slice": _strided_slice,
    "reshape": _call("tf.reshape", "shape"),
    "expand_dims": _call("tf.expand_dims", "axis"),
    "transpose": _transpose,
    "depth_to_space": _call("tf.nn.depth_to_space", "block_size"),
    "space_to_depth": _call("tf.nn.space_to_depth", "block_size"),
    "resize": _resize,
    "reduce_mean": _axes_call("tf.reduce_mean"),
    "reduce_max": _axes_call("tf.reduce_max"),
    "reduce_sum": _axes_call("tf.reduce_sum"),
    "pad": _pad,
    "split": _split,
    "tile": _call("tf.tile", "multiples"),
    "cast": _cast,
    "lrn": _lrn,
    "drop_path": _drop_path,
    "hard_swish": _snippet("hard_swish"),
    "hard_sigmoid": _snippet("hard_sigmoid"),
    "swish": lambda ctx: Emitted("tf.nn.swish", [ctx.ins[0]]),
}

__all__ = ["OP_TRANSLATORS", "pair"]
