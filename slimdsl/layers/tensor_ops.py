"""Tensor operations: ``flatten``, ``one_hot_encoding``, ``squeeze``, ``reduce_mean`` /
``reduce_max`` / ``reduce_sum``, ``concat``, ``pad`` (CONSTANT, REFLECT, SYMMETRIC),
``split``, ``tile`` and ``cast``. Most take tensors of any dtype."""

from __future__ import annotations

from typing import Any

from . import op_shapes as ops
from . import shapes as sh
from .arithmetic import operand_dtype
from .base import (
    COLLECT,
    INTEGER_DTYPES,
    NUMERIC_DTYPES,
    RUNTIME_SIZE,
    RUNTIME_VALUE,
    Arg,
    DtypeError,
    LayerKind,
)
from .shapes import Shape, size


def _flatten_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.flatten(ins[0])


def _one_hot_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ins[0] + (a["num_classes"],)


def _squeeze_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.squeeze(ins[0], a["axis"])


def _reduce_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ops.reduce_axes(ins[0], a["axis"], a["keepdims"])


def _reduce_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    return size(ins[0])


def _concat_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.concat(ins, a["axis"])


def _concat_dtype(operands: list[tuple[str, Any]], a: dict[str, Any]) -> str:
    dtypes = sorted({d for d, _ in operands})
    if len(dtypes) > 1:
        raise DtypeError(f"concat of tensors of different dtypes ({', '.join(dtypes)}): "
                         f"TensorFlow never converts a dtype implicitly (cast them to one)")
    return operands[0][0]


def _pad_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ops.pad(ins[0], a["paddings"], a["mode"])


def _pad_scope(a: dict[str, Any]) -> str:
    """tf.pad's op: MirrorPad for REFLECT / SYMMETRIC, PadV2 for a non-zero constant."""
    if a["mode"] != "CONSTANT":
        return "MirrorPad"
    return "Pad" if a["constant_values"] == 0 else "PadV2"


def _pad_dtype(operands: list[tuple[str, Any]], a: dict[str, Any]) -> str:
    dtype = operands[0][0]
    value = a["constant_values"]
    if a["mode"] == "CONSTANT" and value != 0 and dtype != "bool":
        operand_dtype("pad", [(dtype, None), ("int" if isinstance(value, int) else "float",
                                               value)])
    return dtype


def _split_shapes(ins: list[Shape], a: dict[str, Any]) -> list[Shape]:
    return ops.split(ins[0], a["num_or_size_splits"], a["axis"])


def _split_names(a: dict[str, Any]) -> tuple[str, ...]:
    # a list of sizes becomes a constant at the caller's level before the op
    return ("Const",) if isinstance(a["num_or_size_splits"], list) else ()


def _tile_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ops.tile(ins[0], a["multiples"])


def _same_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ins[0]


def _reduce(name: str, op: str, doc: str) -> LayerKind:
    return LayerKind(
        name, doc, (Arg("axis", "axes", None), Arg("keepdims", "bool", False)),
        _reduce_shape, default_scope=op, func_name=name, scope_kind="op",
        flops=_reduce_flops, tf_name=f"tf.{name}", category="pool",
        input_dtypes=NUMERIC_DTYPES)


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
        input_dtypes=INTEGER_DTYPES, dtype_rule=lambda ins, a: "float32"),
    LayerKind(
        "squeeze", "tf.squeeze: removes size-1 axes.", (Arg("axis", "axes", None),),
        _squeeze_shape, default_scope="Squeeze", func_name="squeeze", scope_kind="op",
        tf_name="tf.squeeze", category="reshape", input_dtypes=None),
    _reduce("reduce_mean", "Mean", "tf.reduce_mean over axis (global pooling with axis=[1, 2]); "
            "an integer tensor gives an integer mean."),
    _reduce("reduce_max", "Max", "tf.reduce_max over axis (global max pooling with "
            "axis=[1, 2])."),
    _reduce("reduce_sum", "Sum", "tf.reduce_sum over axis."),
    LayerKind(
        "concat", "tf.concat of the tensors given, or of the branches that follow.",
        (Arg("axis", "axis"),),
        _concat_shape, inputs="list", default_scope="concat", func_name="concat",
        scope_kind="op", tf_name="tf.concat", category="combine", input_dtypes=None,
        dtype_rule=_concat_dtype),
    LayerKind(
        "pad", "tf.pad: one [before, after] pair per dimension. CONSTANT fills with "
        "constant_values; REFLECT mirrors around the edge (each pad < the dimension); "
        "SYMMETRIC mirrors including the edge (each pad <= the dimension).",
        (Arg("paddings", "paddings"), Arg("mode", "pad-mode", "CONSTANT"),
         Arg("constant_values", "number", 0, "the fill value of CONSTANT")),
        _pad_shape, default_scope="Pad", func_name="pad", scope_kind="op", tf_name="tf.pad",
        category="reshape", input_dtypes=None, scope_rule=_pad_scope, dtype_rule=_pad_dtype),
    LayerKind(
        "split", "tf.split along axis into num_or_size_splits equal pieces, or pieces of the "
        "sizes listed (one may be -1). Its value is a list of tensors: "
        "`parts = split(2, axis=3)`, then `parts[0]`.",
        (Arg("num_or_size_splits", "splits"), Arg("axis", "axis", 0)),
        _split_shapes, default_scope="split", func_name="split", scope_kind="op",
        tf_name="tf.split", category="reshape", input_dtypes=None, multi_output=True,
        more_names=_split_names),
    LayerKind(
        "tile", "tf.tile: each dimension repeated multiples[i] times.",
        (Arg("multiples", "multiples"),), _tile_shape, default_scope="Tile", func_name="tile",
        scope_kind="op", tf_name="tf.tile", category="reshape", input_dtypes=None),
    LayerKind(
        "cast", "tf.cast to dtype; the input itself when it has that dtype already.",
        (Arg("dtype", "dtype"),), _same_shape, default_scope="Cast", func_name="cast",
        scope_kind="op", tf_name="tf.cast", category="reshape", input_dtypes=None,
        dtype_rule=lambda ins, a: a["dtype"], identity_when=lambda dtype, a: dtype == a["dtype"]),
]
