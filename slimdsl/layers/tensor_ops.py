"""Tensor operations: ``flatten``, ``one_hot_encoding``, ``squeeze``, ``reduce_mean``,
``concat``, ``add`` and ``pad``. Most take tensors of any dtype."""

from __future__ import annotations

from typing import Any

from . import shapes as sh
from .base import (
    COLLECT,
    INTEGER_DTYPES,
    RUNTIME_SIZE,
    RUNTIME_VALUE,
    Arg,
    LayerKind,
    elementwise_flops,
)
from .shapes import Shape, ShapeError, size


def _flatten_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.flatten(ins[0])


def _one_hot_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ins[0] + (a["num_classes"],)


def _squeeze_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.squeeze(ins[0], a["axis"])


def _reduce_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.reduce(ins[0], a["axis"], a["keepdims"])


def _reduce_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    return size(ins[0])


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


KINDS = [
    LayerKind(
        "flatten", "[N, ...] -> [N, prod(...)]; a rank-1 [N] becomes [N, 1].", (COLLECT,),
        _flatten_shape, default_scope="Flatten", func_name="flatten", scope_kind="name",
        tf_name="slim.flatten", category="reshape", input_dtypes=None),
    LayerKind(
        "one_hot_encoding", "Integer labels [N] -> float32 one-hot [N, num_classes].",
        (Arg("num_classes", "int", runtime=RUNTIME_SIZE),
         Arg("on_value", "float", 1.0, runtime=RUNTIME_VALUE),
         Arg("off_value", "float", 0.0, runtime=RUNTIME_VALUE), COLLECT),
        _one_hot_shape, default_scope="OneHotEncoding", func_name="one_hot_encoding",
        scope_kind="name", tf_name="slim.one_hot_encoding", category="reshape",
        input_dtypes=INTEGER_DTYPES),
    LayerKind(
        "squeeze", "tf.squeeze: removes size-1 axes.", (Arg("axis", "axes", None),),
        _squeeze_shape, default_scope="Squeeze", func_name="squeeze", scope_kind="op",
        tf_name="tf.squeeze", category="reshape", input_dtypes=None),
    LayerKind(
        "reduce_mean", "tf.reduce_mean over axis (global pooling with axis=[1, 2]).",
        (Arg("axis", "axes", None), Arg("keepdims", "bool", False)),
        _reduce_shape, default_scope="Mean", func_name="reduce_mean", scope_kind="op",
        flops=_reduce_flops, tf_name="tf.reduce_mean", category="pool", input_dtypes=None),
    LayerKind(
        "concat", "tf.concat of the tensors given, or of the branches that follow.",
        (Arg("axis", "axis"),),
        _concat_shape, inputs="list", default_scope="concat", func_name="concat",
        scope_kind="op", tf_name="tf.concat", category="combine", input_dtypes=None),
    LayerKind(
        "add", "Element-wise sum of two tensors (broadcasting), e.g. a residual connection.",
        (), _add_shape, inputs="two", default_scope="add", func_name="add", scope_kind="op",
        flops=elementwise_flops(1), tf_name="tf.add", category="combine", input_dtypes=None),
    LayerKind(
        "pad", "tf.pad with constant zeros: one [before, after] pair per dimension.",
        (Arg("paddings", "paddings"),), _pad_shape, default_scope="Pad", func_name="pad",
        scope_kind="op", tf_name="tf.pad", category="reshape", input_dtypes=None),
]
