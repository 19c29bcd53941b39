"""Activations as layers (``relu`` ... ``tanh``, ``softmax``), ``dropout`` and
``scale_gradient``."""

from __future__ import annotations

from typing import Any

from ..values import ACTIVATIONS, TRAINING
from . import shapes as sh
from .base import COLLECT, FLOAT_DTYPES, RUNTIME_VALUE, Arg, LayerKind
from .shapes import Shape, ShapeError

#: TF's op name of each activation (its default scope as a layer).
_OP_NAMES = {"relu": "Relu", "relu6": "Relu6", "elu": "Elu", "leaky_relu": "LeakyRelu",
             "sigmoid": "Sigmoid", "tanh": "Tanh"}
#: Activations TF applies to integer tensors too.
_ANY_DTYPE = {"relu", "relu6"}


def _same_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return ins[0]


def _softmax_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    # slim.softmax reshapes to [-1, classes]: rank >= 2 and a known last dimension
    if len(ins[0]) < 2 or not isinstance(ins[0][-1], int):
        raise ShapeError(f"softmax needs rank >= 2 and a known last dimension, got "
                         f"{sh.format_shape(ins[0])}")
    return ins[0]


def _dropout_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    """tf.nn.dropout broadcasts a noise_shape mask against the input; the layer then pins the
    result to the input's shape, so the mask must broadcast without growing it."""
    x, noise = ins[0], a.get("noise_shape")
    if noise is None or a["is_training"] is False:  # is_training=false: the identity
        return x
    try:
        grown = sh.broadcast(x, tuple(noise))
    except ShapeError:
        grown = None
    if grown is None or len(grown) != len(x) or any(
            d is not None and g is not None and d != g for d, g in zip(x, grown)):
        raise ShapeError(f"noise_shape {sh.format_shape(tuple(noise))} does not broadcast to "
                         f"the input {sh.format_shape(x)}")
    if a["is_training"] is True:  # a Python flag: TF keeps the dimensions the mask fixes
        return tuple(g if d is None else d for d, g in zip(x, grown))
    return x  # the run-time flag: tf.cond joins this branch with the identity


KINDS = [
    LayerKind(
        "dropout", "Dropout when training (kept elements scaled by 1/keep_prob); identity "
        "otherwise.",
        (Arg("keep_prob", "prob", 0.5, runtime=RUNTIME_VALUE), Arg("noise_shape", "axes", None),
         Arg("is_training", "flag", TRAINING), COLLECT, Arg("seed", "int?", None)),
        _dropout_shape, default_scope="Dropout", func_name="dropout", tf_name="slim.dropout",
        category="activation"),
    LayerKind(
        "softmax", "Softmax over the last axis (rank >= 2, known last dimension).", (),
        _softmax_shape, default_scope="softmax", func_name="softmax", scope_kind="name",
        tf_name="slim.softmax", category="activation"),
    LayerKind(
        "scale_gradient", "The identity forward; the gradient is multiplied by "
        "gradient_multiplier (a custom_gradient IdentityN op at the caller's level: no scope).",
        (Arg("gradient_multiplier", "float", runtime=RUNTIME_VALUE,
             doc="may be given by keyword too (TF-Slim's graph mode takes it positionally "
                 "only, a custom_gradient restriction)"),), _same_shape,
        default_scope="IdentityN", func_name="scale_gradient", scope_kind="op",
        tf_name="slim.scale_gradient", category="activation", arg_scopable=False,
        scope_arg=""),
] + [
    LayerKind(
        act, f"tf.nn.{act} as a layer.",
        (Arg("alpha", "float", 0.2, runtime=RUNTIME_VALUE),) if act == "leaky_relu" else (),
        _same_shape, default_scope=_OP_NAMES[act], func_name=act, scope_kind="op",
        tf_name=f"tf.nn.{act}", category="activation",
        input_dtypes=None if act in _ANY_DTYPE else FLOAT_DTYPES)
    for act in ACTIVATIONS if act != "softmax"
]
