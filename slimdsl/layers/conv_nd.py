"""Convolutions over 1 or 3 spatial axes, and the N-d one: ``conv1d`` (NWC), ``conv3d`` and
``conv3d_transpose`` (NDHWC: ``[N, T, H, W, C]``), and ``convolution``, whose number of spatial
axes is the input's rank minus 2, as TF-Slim's ``convolution`` picks Conv1D/2D/3D.

conv1d, conv2d, conv3d and convolution are four arg_scope keys, as in TF-Slim:
``arg_scope([conv2d])`` does not reach conv3d.
"""

from __future__ import annotations

from math import prod
from typing import Any

from . import shapes as sh
from .base import RUNTIME_SIZE, Arg, LayerKind, VarSpec, window
from .conv import check_rate_stride
from .linear import LINEAR_ARGS, linear_vars, macs_flops, with_normalizer
from .shapes import Shape, ShapeError, in_channels, size

_NUM_OUTPUTS = Arg("num_outputs", "int", runtime=RUNTIME_SIZE)


def _spatial(ins: list[Shape], a: dict[str, Any], fixed: int) -> int:
    """The number of spatial axes: ``fixed`` (conv1d/conv3d) or the input's rank - 2."""
    rank = len(ins[0])
    if fixed:
        sh.require_rank(ins[0], fixed + 2)
        return fixed
    dims = a.get("conv_dims")
    if dims is not None and dims + 2 != rank:
        raise ShapeError(f"conv_dims={dims} needs an input of rank {dims + 2}, got rank "
                         f"{rank} {sh.format_shape(ins[0])}")
    if rank not in (3, 4, 5):
        raise ShapeError(f"convolution takes a rank-3, rank-4 or rank-5 tensor (1 to 3 spatial "
                         f"axes), got rank {rank} {sh.format_shape(ins[0])}")
    return rank - 2


def _conv_rule(fixed: int):
    def shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
        n = _spatial(ins, a, fixed)
        check_rate_stride(a, n)
        if in_channels(ins[0], n + 2) == 0:
            raise ShapeError(f"convolution of a tensor with 0 channels "
                             f"{sh.format_shape(ins[0])}: TensorFlow refuses a filter depth of 0")
        return sh.window_output(ins[0], window(a, n=n), a["num_outputs"])

    def variables(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
        n = len(ins[0]) - 2
        kernel = sh.expand(a["kernel_size"], n, "kernel_size")
        return linear_vars((*kernel, in_channels(ins[0], n + 2), a["num_outputs"]), out, a)

    def flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
        n = len(ins[0]) - 2
        kernel = sh.expand(a["kernel_size"], n, "kernel_size")
        elements = size(out)
        macs = None if elements is None else elements * prod(kernel) * ins[0][-1]
        return macs_flops(macs, out, a)
    return with_normalizer(shape), variables, flops


def _transpose_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    in_channels(ins[0], 5)
    return sh.transpose_output(ins[0], window(a), a["num_outputs"])


def _transpose_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    return linear_vars((*a["kernel_size"], a["num_outputs"], in_channels(ins[0], 5)), out, a)


def _transpose_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    n = size(ins[0])  # every input element is scattered through the kernel
    macs = None if n is None else n * prod(a["kernel_size"]) * a["num_outputs"]
    return macs_flops(macs, out, a)


def _window_args(kind: str, data_format: Arg) -> tuple[Arg, ...]:
    return (Arg("stride", kind, 1), Arg("padding", "padding", "SAME"), data_format,
            Arg("rate", kind, 1, "dilation rate (atrous convolution)"))


_CONV_FORMAT = Arg("data_format", "conv-format", None)
_CONVOLUTION = _conv_rule(0)


def _fixed_conv(n: int, window_type: str, layout: str, weights: str) -> LayerKind:
    """conv1d (n=1) or conv3d (n=3): a convolution over exactly ``n`` spatial axes."""
    shape, variables, flops = _conv_rule(n)
    return LayerKind(
        f"conv{n}d", f"{n}-D convolution over {layout} (weights {weights}), then normalizer or "
        "biases, then activation.",
        (_NUM_OUTPUTS, Arg("kernel_size", window_type)) + _window_args(window_type, _CONV_FORMAT)
        + LINEAR_ARGS,
        shape, aliases=(f"convolution{n}d",), default_scope="Conv",
        func_name=f"convolution{n}d", variables=variables, flops=flops,
        tf_name=f"slim.conv{n}d")


KINDS = [
    _fixed_conv(1, "int-or-single", "[N, W, C]", "[k, in, out]"),
    _fixed_conv(3, "int-or-triple", "[N, T, H, W, C]", "[kt, kh, kw, in, out]"),
    LayerKind(
        "convolution", "N-d convolution: 1-D, 2-D or 3-D as the input has rank 3, 4 or 5 "
        "(conv_dims, if given, must agree); kernel_size, stride and rate are ints or one value "
        "per spatial axis.",
        (_NUM_OUTPUTS, Arg("kernel_size", "int-or-list"))
        + _window_args("int-or-list", _CONV_FORMAT) + LINEAR_ARGS
        + (Arg("conv_dims", "int?", None, "the number of spatial axes the input must have"),),
        _CONVOLUTION[0], default_scope="Conv", func_name="convolution",
        variables=_CONVOLUTION[1], flops=_CONVOLUTION[2], tf_name="slim.convolution"),
    LayerKind(
        "conv3d_transpose", "Transposed 3-D convolution over [N, T, H, W, C] (weights "
        "[kt, kh, kw, out, in]): SAME gives in * stride, VALID in * stride + max(k - stride, 0).",
        (_NUM_OUTPUTS, Arg("kernel_size", "int-or-triple"), Arg("stride", "int-or-triple", 1),
         Arg("padding", "padding", "SAME"), Arg("data_format", "data-format-3d", "NDHWC"))
        + LINEAR_ARGS,
        with_normalizer(_transpose_shape), aliases=("convolution3d_transpose",),
        default_scope="Conv3d_transpose", func_name="convolution3d_transpose",
        variables=_transpose_vars, flops=_transpose_flops, tf_name="slim.conv3d_transpose"),
]
