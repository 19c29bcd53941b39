"""Normalization layers: ``batch_norm``, ``instance_norm``, ``layer_norm``, ``group_norm`` (each
also a ``normalizer_fn`` of convolutions and dense layers), ``gdn``, ``unit_norm`` and ``lrn``
(local response normalization).

:data:`NORMALIZER_SCOPES` and :func:`normalizer_check` / :func:`normalizer_variables` are what
a layer with ``normalizer_fn`` needs: the normalizer runs inside the layer's variable scope under
its own default scope (``Conv/BatchNorm/beta``, ``Conv/InstanceNorm/gamma``).
"""

from __future__ import annotations

from typing import Any

from ..values import TRAINING, Initializer
from . import feature_shapes as fs
from . import shapes as sh
from .base import (
    COLLECT,
    ONES,
    RUNTIME_VALUE,
    ZEROS,
    Arg,
    LayerKind,
    VarSpec,
    elementwise_flops,
)
from .shapes import Shape, ShapeError

_TRAINABLE = Arg("trainable", "bool", True)

#: batch_norm's arguments in TF-Slim's order (without reuse, variables_collections and scope);
#: also the base of ``normalizer_params`` when normalizer_fn is batch_norm.
BATCH_NORM_ARGS = (
    Arg("decay", "float", 0.999, "moving-average decay", runtime=RUNTIME_VALUE),
    Arg("center", "bool", True, "add a learned offset beta"),
    Arg("scale", "bool", False, "multiply by a learned gamma"),
    Arg("epsilon", "float", 0.001, "added to the variance", runtime=RUNTIME_VALUE),
    Arg("activation_fn", "activation", None),
    Arg("param_initializers", "bn-initializers", None,
        "initializers by variable: beta, gamma, moving_mean, moving_variance"),
    Arg("param_regularizers", "norm-regularizers", None, "regularizers by variable: beta, gamma"),
    Arg("updates_collections", "string?", "update_ops",
        "no effect on the code (moving averages update in place when training); none on a "
        "rank-5 input selects TF-Slim's unfused path (see fused)"),
    Arg("is_training", "flag", TRAINING,
        "batch statistics and moving-average updates when true"),
    COLLECT,
    _TRAINABLE,
    Arg("batch_weights", "none-only", None, "per-example weights are not supported"),
    Arg("fused", "bool?", None,
        "false: the moving variance is updated with the biased batch variance (TF-Slim's "
        "unfused path); none/true: Bessel-corrected on ranks 2, 4, 5 (fused kernels)"),
    Arg("data_format", "data-format", "NHWC"),
    Arg("zero_debias_moving_mean", "no-zero-debias", False),
    Arg("renorm", "no-renorm", False),
    Arg("renorm_clipping", "dict", None, "no effect without renorm"),
    Arg("renorm_decay", "float", 0.99, "no effect without renorm"),
    Arg("adjustment", "none-only", None, "a function of the input shape: not supported"),
)

_EPSILON_6 = Arg("epsilon", "float", 1e-6, "added to the variance", runtime=RUNTIME_VALUE)
_CENTER = Arg("center", "bool", True, "add a learned offset beta")
_SCALE = Arg("scale", "bool", True, "multiply by a learned gamma")
_INITS = Arg("param_initializers", "norm-initializers", None,
             "initializers by variable: beta, gamma")

INSTANCE_NORM_ARGS = (
    _CENTER, _SCALE, _EPSILON_6, Arg("activation_fn", "activation", None), _INITS, COLLECT,
    _TRAINABLE, Arg("data_format", "data-format", "NHWC", "channels last, any rank >= 2"))

LAYER_NORM_ARGS = (
    _CENTER, _SCALE, Arg("activation_fn", "activation", None), COLLECT, _TRAINABLE,
    Arg("begin_norm_axis", "axis", 1, "moments over axes begin_norm_axis .. rank-1 "
                                      "(epsilon is fixed: 1e-12, 1e-3 for float16)"),
    Arg("begin_params_axis", "axis", -1, "beta and gamma take shape[begin_params_axis:]"))

GROUP_NORM_ARGS = (
    Arg("groups", "int", 32, "contiguous channel groups"),
    Arg("channels_axis", "axis", -1),
    Arg("reduction_axes", "axes", (-3, -2), "moments over these axes and each group"),
    _CENTER, _SCALE, _EPSILON_6, Arg("activation_fn", "activation", None), _INITS, COLLECT,
    _TRAINABLE, Arg("mean_close_to_zero", "bool", False,
                    "variance from sufficient statistics (nn.sufficient_statistics)"))


# ---------------------------------------------------------------------------- variables


def batch_norm_path(bn: dict[str, Any], rank: int) -> str:
    """Which of TF-Slim's three batch_norm implementations runs on a rank-``rank`` input.

    ``"fused"``: TF-Slim's ``_fused_batch_norm`` (rank 2; rank 4 with a non-default
    updates_collections); ``"keras"``: Keras' BatchNormalization (the default
    updates_collections), which creates gamma before beta; ``"legacy"``: TF-Slim's own moments
    code (updates_collections none, or fused=false), which ignores param_regularizers.

    >>> batch_norm_path({}, 4), batch_norm_path({}, 2), batch_norm_path(
    ...     {"updates_collections": None}, 3)
    ('keras', 'fused', 'legacy')
    """
    fused = bn.get("fused") is not False
    default_updates = bn.get("updates_collections", "update_ops") == "update_ops"
    if fused and (rank == 2 or (rank == 4 and not default_updates)):
        return "fused"
    return "keras" if default_updates else "legacy"


def batch_norm_bessel(bn: dict[str, Any], rank: int) -> bool:
    """Whether training updates the moving variance with the Bessel-corrected batch variance
    (what TF's fused kernels return: TF-Slim's fused path, and Keras' for ranks 4 and 5 unless
    fused=false) rather than the biased one.

    >>> batch_norm_bessel({}, 5), batch_norm_bessel({"fused": False}, 4), batch_norm_bessel(
    ...     {}, 3)
    (True, False, False)
    """
    path = batch_norm_path(bn, rank)
    return path == "fused" or (path == "keras" and bn.get("fused") is not False
                               and rank in (4, 5))


def batch_norm_variables(channels: int, bn: dict[str, Any], prefix: str = "BatchNorm/",
                         rank: int = 4) -> list[VarSpec]:
    """The variables of a batch_norm with effective arguments ``bn`` over ``channels`` of a
    rank-``rank`` input (TF-Slim's legacy path does not regularize beta and gamma)."""
    inits = bn.get("param_initializers") or {}
    regs = bn.get("param_regularizers") or {} if batch_norm_path(bn, rank) != "legacy" else {}
    out = [VarSpec(v.name, v.shape, v.trainable, v.initializer, regs.get(v.role), v.role)
           for v in _beta_gamma((channels,), bn, prefix, scale_default=False)]
    out.append(VarSpec(prefix + "moving_mean", (channels,), False,
                       inits.get("moving_mean", ZEROS), None, "moving_mean"))
    out.append(VarSpec(prefix + "moving_variance", (channels,), False,
                       inits.get("moving_variance", ONES), None, "moving_variance"))
    return out


def _beta_gamma(shape: tuple[int, ...], a: dict[str, Any], prefix: str,
                scale_default: bool = True) -> list[VarSpec]:
    """beta (if center) then gamma (if scale), initialized from ``param_initializers``."""
    inits: dict[str, Initializer] = a.get("param_initializers") or {}
    trainable = a.get("trainable", True)
    out = []
    if a.get("center", True):
        out.append(VarSpec(prefix + "beta", shape, trainable, inits.get("beta", ZEROS), None,
                           "beta"))
    if a.get("scale", scale_default):
        out.append(VarSpec(prefix + "gamma", shape, trainable, inits.get("gamma", ONES), None,
                           "gamma"))
    return out


# ---------------------------------------------------------------------------- shape rules


def _batch_norm_check(shape: Shape, a: dict[str, Any]) -> int:
    if len(shape) < 1:
        raise ShapeError(f"batch_norm needs rank >= 1, got {sh.format_shape(shape)}")
    if not isinstance(shape[-1], int):  # variables are sized by it
        raise ShapeError(f"batch_norm needs a known channel dimension, got "
                         f"{sh.format_shape(shape)}")
    return shape[-1]


def _layer_norm_params(shape: Shape, a: dict[str, Any]) -> tuple[int, ...]:
    return fs.layer_norm_params(shape, a["begin_norm_axis"], a["begin_params_axis"])


def _group_norm_check(shape: Shape, a: dict[str, Any]) -> int:
    return fs.group_norm(shape, a["groups"], a["channels_axis"], a["reduction_axes"])


#: normalizer kind -> (default scope, shape check returning the parameters' shape)
_NORMALIZERS = {
    "batch_norm": ("BatchNorm", lambda s, a: (_batch_norm_check(s, a),)),
    "instance_norm": ("InstanceNorm", lambda s, a: (fs.instance_norm(s),)),
    "layer_norm": ("LayerNorm", _layer_norm_params),
    "group_norm": ("GroupNorm", lambda s, a: (_group_norm_check(s, a),)),
}
#: The default scope each normalizer opens inside the layer it normalizes.
NORMALIZER_SCOPES = {kind: scope for kind, (scope, _) in _NORMALIZERS.items()}


def normalizer_check(kind: str, shape: Shape, params: dict[str, Any]) -> tuple[int, ...]:
    """Check that the normalizer ``kind`` can take ``shape``; its parameters' shape."""
    return _NORMALIZERS[kind][1](shape, params)


def normalizer_variables(kind: str, shape: Shape, params: dict[str, Any], prefix: str = ""
                         ) -> list[VarSpec]:
    """The variables the normalizer ``kind`` (effective arguments ``params``) creates on an
    input of ``shape``, named ``prefix`` + ``beta`` etc."""
    param_shape = normalizer_check(kind, shape, params)
    if kind == "batch_norm":
        return batch_norm_variables(param_shape[0], params, prefix, len(shape))
    return _beta_gamma(param_shape, params, prefix)


def normalizer_flops(kind: str) -> int:
    """FLOPs per element: batch_norm's inference is one multiply-add (2); the others compute
    their moments: mean 1, variance 3, scale-and-shift 2."""
    return 2 if kind == "batch_norm" else 6


def _norm_kind(kind: str, doc: str, args: tuple[Arg, ...], tf_name: str) -> LayerKind:
    """A normalizer as a layer: its shape rule and variables are the normalizer's own."""
    def shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
        normalizer_check(kind, ins[0], a)
        return ins[0]

    def variables(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
        return normalizer_variables(kind, ins[0], a)

    return LayerKind(kind, doc, args, shape, default_scope=NORMALIZER_SCOPES[kind],
                     func_name=kind, variables=variables,
                     flops=elementwise_flops(normalizer_flops(kind)), tf_name=tf_name)


# ---------------------------------------------------------------------------- gdn, unit_norm

#: gdn's initializers, as TF-Slim's GDN layer computes them (not writable in .slim).
GDN_BETA = "gdn_reparam_beta"
GDN_GAMMA = "gdn_reparam_gamma"


def _gdn_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    sh.require_rank(ins[0], 3, 4, 5)
    if ins[0][-1] is None:
        raise ShapeError(f"gdn needs a known channel dimension, got {sh.format_shape(ins[0])}")
    if any(d == 0 for d in ins[0][1:-1]):  # its norm pool is a VALID 1x1 convolution
        raise ShapeError(f"gdn cannot take an empty spatial dimension {sh.format_shape(ins[0])}: "
                         f"its VALID 1x1 convolution over 0 gives a negative size in TensorFlow")
    return ins[0]


def _gdn_vars(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    c = ins[0][-1]
    offset = ("reparam_offset", a["reparam_offset"])
    return [VarSpec("reparam_beta", (c,), a["trainable"],  # type: ignore[arg-type]
                    Initializer(GDN_BETA, (offset,)), None, "reparam_beta"),
            VarSpec("reparam_gamma", (c, c), a["trainable"],  # type: ignore[arg-type]
                    Initializer(GDN_GAMMA, (("gamma_init", a["gamma_init"]), offset)), None,
                    "reparam_gamma")]


def _gdn_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    n = sh.size(out)
    c = out[-1]
    # x^2 pooled over channels by gamma (a 1x1 conv: C multiply-adds per element), plus the
    # square, the bias add and the division (the square root is not counted)
    return None if n is None or c is None else n * (2 * c + 3)


def _unit_norm_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    rank = len(ins[0])
    if not 0 <= a["dim"] < rank:
        raise ShapeError(f"dim {a['dim']} is out of range for rank {rank} "
                         f"{sh.format_shape(ins[0])} (valid: 0 .. {rank - 1})")
    return ins[0]


def _lrn_shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    sh.require_rank(ins[0], 4)
    return ins[0]


def _lrn_flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
    # the window's sum of squares (2 per tap), bias + alpha * sum, the power, the multiply
    n = sh.size(out)
    return None if n is None else n * (2 * (2 * a["depth_radius"] + 1) + 3)


KINDS = [
    _norm_kind("batch_norm", "Batch normalization over the last axis (moving statistics at "
               "inference).", BATCH_NORM_ARGS, "slim.batch_norm"),
    _norm_kind("instance_norm", "Instance normalization: per example and channel, over every "
               "other axis (no moving statistics; epsilon 1e-6).", INSTANCE_NORM_ARGS,
               "slim.instance_norm"),
    _norm_kind("layer_norm", "Layer normalization over axes begin_norm_axis .. rank-1 of each "
               "example.", LAYER_NORM_ARGS, "slim.layer_norm"),
    _norm_kind("group_norm", "Group normalization: channels in `groups` contiguous groups, "
               "moments over each group and reduction_axes.", GROUP_NORM_ARGS,
               "slim.group_norm"),
    LayerKind(
        "gdn", "Generalized divisive normalization: x / sqrt(beta + gamma . x^2) over the "
        "channels (inverse: times); ranks 3 to 5. Its scope argument is TF-Slim's `name`.",
        (Arg("inverse", "bool", False), Arg("beta_min", "float", 1e-6),
         Arg("gamma_init", "float", 0.1), Arg("reparam_offset", "float", 2.0 ** -18),
         Arg("data_format", "channels-last", "channels_last"),
         Arg("activity_regularizer", "none-only", None, "a loss on the output: not supported"),
         _TRAINABLE),
        _gdn_shape, default_scope="gdn", func_name="gdn", variables=_gdn_vars,
        flops=_gdn_flops, tf_name="slim.gdn", arg_scope_decorated=False, scope_arg="name"),
    LayerKind(
        "unit_norm", "x / sqrt(epsilon + sum(x^2)) over axis dim.",
        (Arg("dim", "axis"), Arg("epsilon", "float", 1e-7, runtime=RUNTIME_VALUE)),
        _unit_norm_shape, default_scope="UnitNorm", func_name="unit_norm",
        flops=elementwise_flops(3), tf_name="slim.unit_norm", category="activation"),
    LayerKind(
        "lrn", "tf.nn.lrn (local response normalization) across channels: "
        "x / (bias + alpha * sum(x^2 over depth_radius channels each side))^beta. alpha is "
        "not divided by the window size (Caffe's is); the defaults are TensorFlow's, not "
        "AlexNet's.",
        (Arg("depth_radius", "int>=0", 5), Arg("bias", "float", 1.0, runtime=RUNTIME_VALUE),
         Arg("alpha", "float", 1.0, runtime=RUNTIME_VALUE),
         Arg("beta", "float", 0.5, runtime=RUNTIME_VALUE)),
        _lrn_shape, default_scope="LRN", func_name="lrn", scope_kind="op", flops=_lrn_flops,
        tf_name="tf.nn.lrn", category="activation",
        input_dtypes=("float16", "bfloat16", "float32")),
]
