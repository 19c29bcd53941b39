"""Pooling: ``max_pool2d``, ``avg_pool2d``, ``max_pool3d``, ``avg_pool3d``, ``pool`` (N-d,
tf.nn.pool), ``subsample`` (resnet_utils), and the channel-wise reductions ``maxout`` and
``spatial_softmax``."""

from __future__ import annotations

from math import prod
from typing import Any

from ..values import Initializer, show
from . import feature_shapes as fs
from . import shapes as sh
from .base import COLLECT, NUMERIC_DTYPES, ONES, Arg, LayerKind, VarSpec, window
from .shapes import Shape, ShapeError, Window, size

#: The channels-last data_format of each rank (tf.nn.pool checks it against the rank).
_POOL_FORMATS = {3: "NWC", 4: "NHWC", 5: "NDHWC"}


def _pool_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    n = len(a["kernel_size"])
    sh.require_rank(ins[0], n + 2)
    return sh.window_output(ins[0], window(a), ins[0][-1])


def _max_pool_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    sh.require_rank(ins[0], 4)
    if window(a).padding == "VALID":  # TF's MaxPool slides a VALID depth window of 1
        sh.require_depth(ins[0], "VALID max pooling")
    return sh.window_output(ins[0], window(a), ins[0][3])


def _pool_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kernel = a["kernel_size"]
    if isinstance(kernel, int):
        kernel = (kernel,) * (len(out) - 2)
    n = size(out)
    return None if n is None else n * prod(kernel)


def _nd_pool_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    """slim.pool: tf.nn.pool over the input's 1 to 3 spatial axes."""
    x = ins[0]
    if not 3 <= len(x) <= 5:
        raise ShapeError(f"pool takes a rank-3, rank-4 or rank-5 tensor (1 to 3 spatial axes), "
                         f"got rank {len(x)} {sh.format_shape(x)}")
    n = len(x) - 2
    if a["data_format"] not in (None, _POOL_FORMATS[len(x)]):
        raise ShapeError(f"data_format {show(a['data_format'])} does not fit a rank-{len(x)} "
                         f"input: use {show(_POOL_FORMATS[len(x)])} or none")
    win = Window(sh.expand(a["kernel_size"], n, "kernel_size"),
                 sh.expand(a["stride"], n, "stride"), a["padding"],
                 sh.expand(a["dilation_rate"], n, "dilation_rate"))
    fs.pool_window(win.kernel, win.stride, win.rate, win.padding)
    out = sh.window_output(x, win, x[-1])
    if any(r > 1 for r in win.rate) and any(d is None for d in x[1:-1]):
        # dilated pooling goes through space_to_batch: TF's static shape then loses every
        # spatial dimension, so ours does too
        return (x[0],) + (None,) * n + (x[-1],)
    return out


def _maxout_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return fs.maxout(ins[0], a["num_units"], a["axis"])


def _spatial_softmax_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    t = a["temperature"]
    init = ONES if t is None else Initializer("constant", (("value", t),))
    return [VarSpec("temperature", (), a["trainable"], init, None, "temperature")]


def _spatial_softmax_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    n = size(ins[0])  # divide by the temperature, then two expected coordinates (multiply-adds)
    return None if n is None else 5 * n


def _subsample_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    sh.require_rank(ins[0], 4)
    sh.require_depth(ins[0], "VALID max pooling")
    f = a["factor"]
    return sh.window_output(ins[0], Window((1, 1), (f, f), "VALID"), ins[0][3])


def _pool_args(window: str = "int-or-pair", data_format: str = "data-format",
               layout: str = "NHWC") -> tuple[Arg, ...]:
    return (Arg("kernel_size", window), Arg("stride", window, 2),
            Arg("padding", "padding", "VALID"), Arg("data_format", data_format, layout), COLLECT)


_3D = ("int-or-triple", "data-format-3d", "NDHWC")


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
    LayerKind(
        "max_pool3d", "3-D max pooling over [N, T, H, W, C]; TF-Slim defaults: stride 2, VALID.",
        _pool_args(*_3D), _pool_shape, default_scope="MaxPool3D", func_name="max_pool3d",
        scope_kind="name", flops=_pool_flops, tf_name="slim.max_pool3d", category="pool"),
    LayerKind(
        "avg_pool3d", "3-D average pooling over [N, T, H, W, C] (SAME padding is left out of "
        "the mean); TF-Slim defaults: stride 2, VALID.",
        _pool_args(*_3D), _pool_shape, default_scope="AvgPool3D", func_name="avg_pool3d",
        scope_kind="name", flops=_pool_flops, tf_name="slim.avg_pool3d", category="pool"),
    LayerKind(
        "pool", "tf.nn.pool over 1 to 3 spatial axes (the input's rank - 2): pooling_type "
        '"MAX" or "AVG", with dilation; defaults stride 1, VALID; a stride may not exceed '
        "its window. The scope is max_pool / avg_pool.",
        (Arg("kernel_size", "int-or-list"), Arg("pooling_type", "pooling-type"),
         Arg("padding", "padding!", "VALID"), Arg("data_format", "pool-format", None),
         Arg("dilation_rate", "int-or-list", 1), Arg("stride", "int-or-list", 1), COLLECT),
        _nd_pool_shape, default_scope="max_pool", func_name="pool", scope_kind="name",
        scope_rule=lambda a: f"{a['pooling_type'].lower()}_pool", flops=_pool_flops,
        tf_name="slim.pool", category="pool"),
    LayerKind(
        "maxout", "Max over groups of shape[axis] / num_units contiguous channels.",
        (Arg("num_units", "int"), Arg("axis", "axis", -1)), _maxout_shape,
        default_scope="MaxOut", func_name="maxout",
        flops=lambda ins, out, a: size(ins[0]), tf_name="slim.maxout", category="pool"),
    LayerKind(
        "spatial_softmax", "Expected (x, y) keypoint of every channel: a softmax over H*W "
        "(divided by a learned temperature), [N, H, W, C] -> [N, 2C]; x runs over rows. Its "
        "scope argument is TF-Slim's `name`.",
        (Arg("temperature", "float?", None, "the temperature variable's initial value "
                                            "(none: 1.0); always a variable"),
         Arg("trainable", "bool", True), Arg("data_format", "data-format", "NHWC")),
        lambda ins, a: fs.spatial_softmax(ins[0]), default_scope="spatial_softmax",
        func_name="spatial_softmax", variables=_spatial_softmax_vars,
        flops=_spatial_softmax_flops, tf_name="slim.spatial_softmax", category="pool",
        scope_arg="name", input_dtypes=("float32",)),
]
