"""Dense layers: ``fully_connected`` (over the last dimension), ``linear`` and ``bias_add``."""

from __future__ import annotations

from typing import Any

from ..records import replace
from . import shapes as sh
from .base import (
    COLLECT,
    NUMERIC_DTYPES,
    RUNTIME_SIZE,
    ZEROS,
    Arg,
    LayerKind,
    VarSpec,
    elementwise_flops,
)
from .linear import LINEAR_ARGS, linear_vars, macs_flops, with_normalizer
from .shapes import Shape, ShapeError, size


def _fc_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return sh.dense(ins[0], a["num_outputs"])


def _fc_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    return linear_vars((ins[0][-1], a["num_outputs"]), out, a)  # type: ignore


def _fc_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    n = size(out)
    return macs_flops(None if n is None else n * ins[0][-1], out, a)  # type: ignore[operator]


def _bias_add_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    if len(ins[0]) < 2 or not isinstance(ins[0][-1], int):
        raise ShapeError(f"bias_add needs rank >= 2 and a known last dimension, got "
                         f"{sh.format_shape(ins[0])}")
    return ins[0]


def _bias_add_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    return [VarSpec("biases", (ins[0][-1],), a["trainable"], a["initializer"],  # type: ignore
                    a["regularizer"], "biases")]


_FC_ARGS = (Arg("num_outputs", "int", runtime=RUNTIME_SIZE),) + LINEAR_ARGS

KINDS = [
    LayerKind(
        "fully_connected", "Dense layer over the LAST dimension (it does not flatten).",
        _FC_ARGS, with_normalizer(_fc_shape), default_scope="fully_connected",
        func_name="fully_connected", variables=_fc_vars, flops=_fc_flops,
        tf_name="slim.fully_connected"),
    LayerKind(
        "linear", "fully_connected with activation_fn=none (TF-Slim's functools.partial): "
        "arguments after num_outputs are keyword-only, arg_scope([fully_connected]) reaches it "
        "but never sets its activation_fn.",
        (_FC_ARGS[0], replace(_FC_ARGS[1], default=None)) + _FC_ARGS[2:],
        with_normalizer(_fc_shape), default_scope="fully_connected",
        func_name="fully_connected", arg_scope_key="fully_connected",
        own_args=("activation_fn",), positional=1, variables=_fc_vars, flops=_fc_flops,
        tf_name="slim.linear"),
    LayerKind(
        "bias_add", "Adds a learned bias over the last axis.",
        (Arg("activation_fn", "activation", None), Arg("initializer", "initializer!", ZEROS),
         Arg("regularizer", "regularizer", None), COLLECT, Arg("trainable", "bool", True),
         Arg("data_format", "data-format", "NHWC")),
        _bias_add_shape, default_scope="BiasAdd", func_name="bias_add", variables=_bias_add_vars,
        input_dtypes=NUMERIC_DTYPES,
        flops=elementwise_flops(1), tf_name="slim.bias_add"),
]
