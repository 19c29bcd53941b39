"""Array operations of TensorFlow: ``reshape``, ``expand_dims``, ``transpose``, slicing
``x[...]`` (``strided_slice``), ``depth_to_space``, ``space_to_depth`` and ``resize``.

None creates variables; all count 0 FLOPs but bilinear resizing. Their shape arithmetic is
:mod:`.op_shapes`.
"""

from __future__ import annotations

from typing import Any

from . import op_shapes as ops
from .base import NUMERIC_DTYPES, Arg, LayerKind
from .shapes import Shape, ShapeError, size


def _reshape_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ops.reshape(ins[0], a["shape"])


def _expand_dims_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ops.expand_dims(ins[0], a["axis"])


def _transpose_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ops.transpose(ins[0], a["perm"])


def _slice_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ops.strided_slice(ins[0], a["subscripts"])


def _d2s_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ops.depth_to_space(ins[0], a["block_size"])


def _s2d_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ops.space_to_depth(ins[0], a["block_size"])


def _resize_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    if a["align_corners"] and a["half_pixel_centers"]:
        raise ShapeError("align_corners and half_pixel_centers cannot both be true (TensorFlow "
                         "builds the op and fails when it runs)")
    return ops.resize(ins[0], a["size"])


def _resize_scope(a: dict[str, Any]) -> str:
    return "ResizeBilinear" if a["method"] == "bilinear" else "ResizeNearestNeighbor"


def _resize_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    if a["method"] != "bilinear":
        return 0
    n = size(out)
    return None if n is None else 8 * n  # four taps: 4 multiply-adds per output element


KINDS = [
    LayerKind(
        "reshape", "tf.reshape to shape; one size may be -1 (or ?), inferred from the element "
        "count. 0 is a real size.",
        (Arg("shape", "shape"),), _reshape_shape, default_scope="Reshape",
        func_name="reshape", scope_kind="op", tf_name="tf.reshape", category="reshape",
        input_dtypes=None),
    LayerKind(
        "expand_dims", "tf.expand_dims: a dimension of size 1 inserted at axis.",
        (Arg("axis", "axis"),), _expand_dims_shape, default_scope="ExpandDims",
        func_name="expand_dims", scope_kind="op", tf_name="tf.expand_dims", category="reshape",
        input_dtypes=None),
    LayerKind(
        "transpose", "tf.transpose: the dimensions in the order perm (default: reversed).",
        (Arg("perm", "perm", None),), _transpose_shape, default_scope="transpose",
        func_name="transpose", scope_kind="op", tf_name="tf.transpose", category="reshape",
        input_dtypes=None),
    LayerKind(
        "strided_slice", "Slicing, written `x[1:, :, ::2]`: Python's rules per dimension; an "
        "index (`x[0]`) drops its dimension, `none` inserts one of size 1, `...` stands for "
        "the dimensions not written.",
        (Arg("subscripts", "subscripts"),), _slice_shape, default_scope="strided_slice",
        func_name="strided_slice", scope_kind="op", tf_name="tf.strided_slice",
        category="reshape", input_dtypes=None, operator="[]", operator_scope="strided_slice",
        callable=False),
    LayerKind(
        "depth_to_space", "tf.nn.depth_to_space: [N, H, W, C] -> [N, H*b, W*b, C/(b*b)].",
        (Arg("block_size", "int"),), _d2s_shape, default_scope="DepthToSpace",
        func_name="depth_to_space", scope_kind="op", tf_name="tf.nn.depth_to_space",
        category="reshape", input_dtypes=None),
    LayerKind(
        "space_to_depth", "tf.nn.space_to_depth: [N, H, W, C] -> [N, H/b, W/b, C*b*b].",
        (Arg("block_size", "int"),), _s2d_shape, default_scope="SpaceToDepth",
        func_name="space_to_depth", scope_kind="op", tf_name="tf.nn.space_to_depth",
        category="reshape", input_dtypes=None),
    LayerKind(
        "resize", "Image resizing to size = [height, width], as TF 1's "
        "tf.image.resize_bilinear / resize_nearest_neighbor (method) with their "
        "align_corners and half_pixel_centers (both false: the legacy sampling, "
        "source = i * in / out). Bilinear gives float32 whatever the input; nearest keeps "
        "the dtype.",
        (Arg("size", "size2"), Arg("method", "resize-method", "bilinear"),
         Arg("align_corners", "bool", False), Arg("half_pixel_centers", "bool", False)),
        _resize_shape, default_scope="ResizeBilinear", func_name="resize", scope_kind="op",
        flops=_resize_flops, tf_name="tf.compat.v1.image.resize_bilinear",
        category="reshape", input_dtypes=NUMERIC_DTYPES, scope_rule=_resize_scope,
        dtype_rule=lambda ins, a: "float32" if a["method"] == "bilinear" else ins[0][0]),
]
