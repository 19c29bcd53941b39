"""Convolutions: ``conv2d``, ``conv2d_same`` (resnet_utils), ``separable_conv2d``,
``conv2d_transpose`` and ``conv2d_in_plane``."""

from __future__ import annotations

from typing import Any

from ..values import show
from . import shapes as sh
from .base import RUNTIME_SIZE, Arg, LayerKind, VarSpec, window
from .linear import LINEAR_ARGS, bias_or_norm_vars, linear_vars, macs_flops, with_normalizer
from .shapes import Shape, ShapeError, in_channels, size

_WINDOW_ARGS = (
    Arg("stride", "int-or-pair", 1),
    Arg("padding", "padding", "SAME"),
    Arg("data_format", "conv-format", None),
    Arg("rate", "int-or-pair", 1, "dilation rate (atrous convolution)"),
)
_NUM_OUTPUTS = Arg("num_outputs", "int", runtime=RUNTIME_SIZE)


def check_rate_stride(a: dict[str, Any], n: int = 2) -> None:
    """TF-Slim's convolutions: a stride > 1 and a rate > 1 cannot be combined."""
    stride, rate = sh.expand(a["stride"], n, "stride"), sh.expand(a.get("rate", 1), n, "rate")
    if any(r != 1 for r in rate) and any(s != 1 for s in stride):
        raise ShapeError(f"stride {show(list(stride))} and rate {show(list(rate))}: "
                         f"stride > 1 is not supported together with rate > 1")


# conv2d
def _conv2d_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    check_rate_stride(a)
    in_channels(ins[0])
    sh.require_depth(ins[0], "a convolution")
    return sh.window_output(ins[0], window(a), a["num_outputs"])


def _conv2d_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    kh, kw = a["kernel_size"]
    return linear_vars((kh, kw, in_channels(ins[0]), a["num_outputs"]), out, a)


def _conv2d_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    n = size(out)
    macs = None if n is None else n * kh * kw * in_channels(ins[0])
    return macs_flops(macs, out, a)


# conv2d_same (resnet_utils): explicit symmetric padding then VALID when stride > 1
def _conv2d_same_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    check_rate_stride(a)
    in_channels(ins[0])
    sh.require_depth(ins[0], "a convolution")
    return sh.window_output(ins[0], window(a, "SAME"), a["num_outputs"],
                            explicit_pad=True)


# separable_conv2d
def _separable_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    check_rate_stride(a)  # TF 2.21 does not raise here, but TF-Slim documents it as invalid
    if a["num_outputs"] is None and a["padding"] not in ("SAME", "VALID"):
        raise ShapeError(f"padding {show(a['padding'])}: without num_outputs, "
                         f"separable_conv2d passes padding to tf.nn.depthwise_conv2d, which "
                         f"takes only \"SAME\" or \"VALID\"")
    cin = in_channels(ins[0])
    sh.require_depth(ins[0], "a separable convolution")  # depthwise or pointwise, TF refuses
    channels = a["num_outputs"] if a["num_outputs"] is not None else cin * a["depth_multiplier"]
    if a.get("rate", (1, 1)) != (1, 1) and (ins[0][1] is None or ins[0][2] is None):
        # atrous depthwise goes through space_to_batch: TF's static shape then loses BOTH
        # spatial dimensions (and cannot check them), so ours does too
        return (ins[0][0], None, None, channels)
    out = sh.window_output(ins[0], window(a), channels)
    if a["num_outputs"] is not None and 0 in out[1:3]:
        raise ShapeError(f"the depthwise output {sh.format_shape(out[:3] + (cin,))} is empty: "
                         f"the pointwise VALID 1x1 convolution on it gives floor((0-1)/1)+1 = 0")
    return out


def _separable_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    kh, kw = a["kernel_size"]
    cin = in_channels(ins[0])
    mult = a["depth_multiplier"]
    dw = VarSpec("depthwise_weights", (kh, kw, cin, mult), a["trainable"],
                 a["weights_initializer"], a["weights_regularizer"], "depthwise")
    if a["num_outputs"] is None:
        return [dw] + bias_or_norm_vars(out, a)
    pw = VarSpec("pointwise_weights", (1, 1, cin * mult, a["num_outputs"]), a["trainable"],
                 a["pointwise_initializer"] or a["weights_initializer"],
                 a["weights_regularizer"], "pointwise")
    return [dw, pw] + bias_or_norm_vars(out, a)


def _separable_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    cin = in_channels(ins[0])
    mult = a["depth_multiplier"]
    n = out[1] * out[2] if out[1] is not None and out[2] is not None else None
    if n is None:
        return None
    macs = n * kh * kw * cin * mult
    if a["num_outputs"] is not None:
        macs += n * cin * mult * a["num_outputs"]
    return macs_flops(macs, out, a)


# conv2d_transpose
def _transpose_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    in_channels(ins[0])
    return sh.transpose_output(ins[0], window(a), a["num_outputs"])


def _transpose_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    kh, kw = a["kernel_size"]
    return linear_vars((kh, kw, a["num_outputs"], in_channels(ins[0])), out, a)


def _transpose_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    n = size(ins[0])  # every input element is scattered through the kernel
    macs = None if n is None else n * kh * kw * a["num_outputs"]
    return macs_flops(macs, out, a)


# conv2d_in_plane
def _in_plane_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    cin = in_channels(ins[0])
    sh.require_depth(ins[0], "an in-plane convolution")  # TF's depthwise op fails when run
    return sh.window_output(ins[0], window(a), cin)


def _in_plane_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    kh, kw = a["kernel_size"]
    return linear_vars((kh, kw, 1, 1), out, a)


def _in_plane_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    kh, kw = a["kernel_size"]
    n = size(out)
    return macs_flops(None if n is None else n * kh * kw, out, a)


KINDS = [
    LayerKind(
        "conv2d", "2-D convolution, then normalizer or biases, then activation.",
        (_NUM_OUTPUTS, Arg("kernel_size", "int-or-pair")) + _WINDOW_ARGS + LINEAR_ARGS,
        with_normalizer(_conv2d_shape), aliases=("convolution2d",), default_scope="Conv",
        func_name="convolution2d", variables=_conv2d_vars, flops=_conv2d_flops,
        tf_name="slim.conv2d"),
    LayerKind(
        "conv2d_same", "resnet_utils.conv2d_same: stride-1 SAME conv, or explicit symmetric "
        "padding then a VALID strided conv (centred like ResNet). Reads arg_scope([conv2d]).",
        (_NUM_OUTPUTS, Arg("kernel_size", "int-or-pair"), Arg("stride", "int-or-pair"),
         Arg("rate", "int-or-pair", 1)) + LINEAR_ARGS,
        with_normalizer(_conv2d_same_shape), default_scope="Conv", func_name="conv2d_same",
        arg_scope_key="conv2d", own_args=("num_outputs", "kernel_size", "stride", "rate"),
        variables=_conv2d_vars, flops=_conv2d_flops,
        tf_name="resnet_utils.conv2d_same"),
    LayerKind(
        "separable_conv2d", "Depthwise conv (depth_multiplier per channel), then a 1x1 "
        "pointwise conv; depthwise only when num_outputs is none.",
        (Arg("num_outputs", "int?", runtime=RUNTIME_SIZE), Arg("kernel_size", "int-or-pair"),
         Arg("depth_multiplier", "int", 1), Arg("stride", "int-or-pair", 1),
         Arg("padding", "padding~", "SAME"), Arg("data_format", "data-format", "NHWC"),
         Arg("rate", "int-or-pair", 1))
        + LINEAR_ARGS[:4] + (Arg("pointwise_initializer", "initializer", None),)
        + LINEAR_ARGS[4:],
        with_normalizer(_separable_shape), aliases=("separable_convolution2d",),
        default_scope="SeparableConv2d", func_name="separable_convolution2d",
        variables=_separable_vars, flops=_separable_flops, tf_name="slim.separable_conv2d"),
    LayerKind(
        "conv2d_transpose", "Transposed 2-D convolution (weights [kh, kw, out, in]).",
        (_NUM_OUTPUTS, Arg("kernel_size", "int-or-pair"),
         Arg("stride", "int-or-pair", 1), Arg("padding", "padding", "SAME"),
         Arg("data_format", "data-format", "NHWC")) + LINEAR_ARGS,
        with_normalizer(_transpose_shape), aliases=("convolution2d_transpose",),
        default_scope="Conv2d_transpose", func_name="convolution2d_transpose",
        variables=_transpose_vars, flops=_transpose_flops, tf_name="slim.conv2d_transpose"),
    LayerKind(
        "conv2d_in_plane", "One [kh, kw, 1, 1] kernel applied to every channel.",
        (Arg("kernel_size", "int-or-pair"), Arg("stride", "int-or-pair", 1),
         Arg("padding", "padding!", "SAME")) + LINEAR_ARGS,
        with_normalizer(_in_plane_shape), aliases=("convolution2d_in_plane",),
        default_scope="ConvInPlane", func_name="convolution2d_in_plane",
        variables=_in_plane_vars, flops=_in_plane_flops, tf_name="slim.conv2d_in_plane"),
]
