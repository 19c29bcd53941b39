"""Normalization layers: ``batch_norm`` (also the normalizer of conv and dense layers) and
``unit_norm``."""

from __future__ import annotations

from typing import Any

from ..values import TRAINING
from . import shapes as sh
from .base import ONES, RUNTIME_VALUE, ZEROS, Arg, LayerKind, VarSpec, elementwise_flops
from .shapes import Shape, ShapeError

#: batch_norm's own defaults; also the base of ``normalizer_params`` when normalizer_fn is set.
BATCH_NORM_ARGS = (
    Arg("decay", "float", 0.999, "moving-average decay", runtime=RUNTIME_VALUE),
    Arg("center", "bool", True, "add a learned offset beta"),
    Arg("scale", "bool", False, "multiply by a learned gamma"),
    Arg("epsilon", "float", 0.001, "added to the variance", runtime=RUNTIME_VALUE),
    Arg("activation_fn", "activation", None),
    Arg("param_initializers", "dict", None,
        "initializers by variable: beta, gamma, moving_mean, moving_variance"),
    Arg("param_regularizers", "dict", None, "regularizers by variable: beta, gamma"),
    Arg("is_training", "flag", TRAINING,
        "batch statistics and moving-average updates when true"),
    Arg("trainable", "bool", True),
    Arg("outputs_collections", "string?", None),
)


def batch_norm_variables(channels: int, bn: dict[str, Any], prefix: str = "BatchNorm/"
                         ) -> list[VarSpec]:
    """The variables of a batch_norm with effective arguments ``bn`` over ``channels``."""
    inits = bn.get("param_initializers") or {}
    regs = bn.get("param_regularizers") or {}
    trainable = bn.get("trainable", True)
    out = []
    if bn.get("center", True):
        out.append(VarSpec(prefix + "beta", (channels,), trainable, inits.get("beta", ZEROS),
                           regs.get("beta"), "beta"))
    if bn.get("scale", False):
        out.append(VarSpec(prefix + "gamma", (channels,), trainable, inits.get("gamma", ONES),
                           regs.get("gamma"), "gamma"))
    out.append(VarSpec(prefix + "moving_mean", (channels,), False,
                       inits.get("moving_mean", ZEROS), None, "moving_mean"))
    out.append(VarSpec(prefix + "moving_variance", (channels,), False,
                       inits.get("moving_variance", ONES), None, "moving_variance"))
    return out


def _batch_norm_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    if len(ins[0]) < 1:
        raise ShapeError(f"batch_norm needs rank >= 1, got {sh.format_shape(ins[0])}")
    if not isinstance(ins[0][-1], int):  # variables are sized by it
        raise ShapeError(f"batch_norm needs a known channel dimension, got "
                         f"{sh.format_shape(ins[0])}")
    return ins[0]


def _batch_norm_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    return batch_norm_variables(ins[0][-1], a, prefix="")  # type: ignore[arg-type]


def _unit_norm_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    rank = len(ins[0])
    if not 0 <= a["dim"] < rank:
        raise ShapeError(f"dim {a['dim']} is out of range for rank {rank} "
                         f"{sh.format_shape(ins[0])} (valid: 0 .. {rank - 1})")
    return ins[0]


KINDS = [
    LayerKind(
        "batch_norm", "Batch normalization over the last axis.", BATCH_NORM_ARGS,
        _batch_norm_shape, default_scope="BatchNorm", func_name="batch_norm",
        variables=_batch_norm_vars, flops=elementwise_flops(2), tf_name="slim.batch_norm"),
    LayerKind(
        "unit_norm", "x / sqrt(epsilon + sum(x^2)) over axis dim.",
        (Arg("dim", "axis"), Arg("epsilon", "float", 1e-7, runtime=RUNTIME_VALUE)),
        _unit_norm_shape, default_scope="UnitNorm", func_name="unit_norm",
        flops=elementwise_flops(3), tf_name="slim.unit_norm", category="activation"),
]
