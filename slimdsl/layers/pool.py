"""Pooling: ``max_pool2d``, ``avg_pool2d`` and ``subsample`` (resnet_utils)."""

from __future__ import annotations

from typing import Any

from . import shapes as sh
from .base import COLLECT, NUMERIC_DTYPES, Arg, LayerKind, window
from .shapes import Shape, Window, size


def _pool_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    sh.require_rank(ins[0], 4)
    return sh.window_output(ins[0], window(a), ins[0][3])


def _max_pool_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    sh.require_rank(ins[0], 4)
    if window(a).padding == "VALID":  # TF's MaxPool slides a VALID depth window of 1
        sh.require_depth(ins[0], "VALID max pooling")
    return sh.window_output(ins[0], window(a), ins[0][3])


def _pool_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    n = size(out)
    return None if n is None else n * kh * kw


def _subsample_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    sh.require_rank(ins[0], 4)
    sh.require_depth(ins[0], "VALID max pooling")
    f = a["factor"]
    return sh.window_output(ins[0], Window((1, 1), (f, f), "VALID"), ins[0][3])


def _pool_args() -> tuple[Arg, ...]:
    return (Arg("kernel_size", "int-or-pair"), Arg("stride", "int-or-pair", 2),
            Arg("padding", "padding", "VALID"), Arg("data_format", "data-format", None), COLLECT)


KINDS = [
    LayerKind(
        "max_pool2d", "2-D max pooling; TF-Slim defaults: stride 2, VALID.", _pool_args(),
        _max_pool_shape, default_scope="MaxPool2D", func_name="max_pool2d", scope_kind="name",
        flops=_pool_flops, tf_name="slim.max_pool2d", category="pool",
        input_dtypes=NUMERIC_DTYPES),
    LayerKind(
        "avg_pool2d", "2-D average pooling (SAME padding is left out of the mean).", _pool_args(),
        _pool_shape, default_scope="AvgPool2D", func_name="avg_pool2d", scope_kind="name",
        flops=_pool_flops, tf_name="slim.avg_pool2d", category="pool"),
    LayerKind(
        "subsample", "resnet_utils.subsample: max_pool2d [1, 1] with stride factor; the input "
        "itself when factor is 1. Reads arg_scope([max_pool2d]).",
        (Arg("factor", "int"), COLLECT),
        _subsample_shape, default_scope="MaxPool2D", func_name="subsample", scope_kind="name",
        arg_scope_key="max_pool2d", tf_name="resnet_utils.subsample", category="pool",
        identity_when=lambda dtype, a: a["factor"] == 1, input_dtypes=NUMERIC_DTYPES),
]
