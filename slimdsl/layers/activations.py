"""Activations as layers (``relu`` ... ``tanh``, ``hard_swish``, ``swish``, ``hard_sigmoid``,
``softmax``), ``dropout``, NASNet's ``drop_path`` and ``scale_gradient``."""

from __future__ import annotations

from typing import Any

from ..values import ACTIVATIONS, TRAINING
from . import shapes as sh
from .base import COLLECT, FLOAT_DTYPES, RUNTIME_VALUE, Arg, LayerKind
from .shapes import Shape, ShapeError

#: TF's op name of each activation (its default scope as a layer): hard_swish and
#: hard_sigmoid are name scopes (MobileNet v3's ``tf.name_scope('hard_swish')``); tf.nn.swish
#: is a custom-gradient op, IdentityN.
_OP_NAMES = {"relu": "Relu", "relu6": "Relu6", "elu": "Elu", "leaky_relu": "LeakyRelu",
             "sigmoid": "Sigmoid", "tanh": "Tanh", "hard_swish": "hard_swish",
             "swish": "IdentityN", "hard_sigmoid": "hard_sigmoid"}
#: The ops tf.nn.swish builds at the caller's level before IdentityN.
_SWISH_OPS = ("beta", "mul", "Sigmoid", "mul", "Identity")
#: The ops NASNet's drop_path builds at the caller's level before its output op (mul_1).
_DROP_PATH_OPS = ("Shape", "strided_slice", "random_uniform", "add", "Floor", "Cast", "mul")
_DOCS = {
    "hard_swish": "MobileNet v3's hard swish, x * relu6(x + 3) * (1/6), in its float32 order.",
    "swish": "tf.nn.swish: x * sigmoid(x).",
    "hard_sigmoid": "relu6(x + 3) / 6 (Keras 3's and MobileNet v3's; tf_keras' "
                    "hard_sigmoid is the older clip(0.2 x + 0.5, 0, 1)).",
}
#: Activations TF applies to integer tensors too (leaky_relu casts them to float32 first).
_ANY_DTYPE = {"relu", "relu6", "leaky_relu"}


def _leaky_relu_dtype(ins: list[tuple[str, Any]], a: dict[str, Any]) -> str:
    return ins[0][0] if ins[0][0] in FLOAT_DTYPES else "float32"


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


def _drop_path_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    # Its mask is [N, 1, 1, 1]: TensorFlow would broadcast another rank into a new shape.
    if len(ins[0]) != 4:
        raise ShapeError(f"drop_path needs a rank-4 tensor [N, H, W, C] (its mask is "
                         f"[N, 1, 1, 1]), got rank {len(ins[0])} {sh.format_shape(ins[0])}")
    return ins[0]


KINDS = [
    LayerKind(
        "dropout", "Dropout when training (kept elements scaled by 1/keep_prob); identity "
        "otherwise.",
        (Arg("keep_prob", "prob", 0.5, runtime=RUNTIME_VALUE), Arg("noise_shape", "axes", None),
         Arg("is_training", "flag", TRAINING), COLLECT, Arg("seed", "int?", None)),
        _dropout_shape, default_scope="Dropout", func_name="dropout", tf_name="slim.dropout",
        category="activation"),
    LayerKind(
        "drop_path", "NASNet's drop_path (stochastic depth) when training: each example is "
        "kept whole, scaled by 1/keep_prob, or zeroed (keep = floor(keep_prob + U[0, 1))); "
        "the input itself otherwise. The schedule NASNet applies to keep_prob (by cell and "
        "training step) is the caller's to compute.",
        (Arg("keep_prob", "prob", runtime=RUNTIME_VALUE), Arg("is_training", "flag", TRAINING)),
        _drop_path_shape, default_scope="mul", func_name="drop_path", scope_kind="op",
        tf_name="nasnet_utils.drop_path", category="activation",
        more_names=lambda a: _DROP_PATH_OPS, identity_when=lambda dtype, a: a["is_training"]
        is False),
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
        tf_name="slim.scale_gradient", category="activation", arg_scope_decorated=False,
        scope_arg=""),
] + [
    LayerKind(
        act, _DOCS.get(act, f"tf.nn.{act} as a layer."),
        (Arg("alpha", "float", 0.2, runtime=RUNTIME_VALUE),) if act == "leaky_relu" else (),
        _same_shape, default_scope=_OP_NAMES[act], func_name=act, scope_kind="op",
        tf_name=f"tf.nn.{act}", category="activation",
        input_dtypes=None if act in _ANY_DTYPE else FLOAT_DTYPES,
        dtype_rule=_leaky_relu_dtype if act == "leaky_relu" else None,
        more_names=(lambda a: _SWISH_OPS) if act == "swish" else None)
    for act in ACTIVATIONS if act != "softmax"
]
