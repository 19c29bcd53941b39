"""What the TensorFlow backend's layer translators share beyond :mod:`.pieces`: regularization
terms, dtypes, the code of normalizers (as layers and as normalizer_fn) and of the linear
layers (convolutions, fully_connected) with their windows.

The translators themselves are :mod:`.translate` and :mod:`.translate_more`.
"""

from __future__ import annotations

from typing import Any

from ...ir import SymShape
from ...layers import LAYERS, XAVIER, ZEROS
from ...layers.norm import batch_norm_bessel
from ...values import Activation, Regularizer
from . import source as src
from .pieces import Emitted, NodeCtx, activation, dims, initializer, ints


def regularization(reg: Regularizer | None, variable: str) -> src.Expr | None:
    """TF-Slim's loss term for one variable, or None (no regularizer, or a zero scale)."""
    if reg is None:
        return None
    p = dict(reg.params)
    if reg.name == "l1_l2":
        s1, s2 = float(p.get("scale_l1", 1.0)), float(p.get("scale_l2", 1.0))
    else:
        s1 = float(p["scale"]) if reg.name == "l1" else 0.0
        s2 = float(p["scale"]) if reg.name == "l2" else 0.0
    terms = []
    if s1:  # TF-Slim: a zero scale disables the regularizer
        terms.append((f"{src.number(s1)} * tf.reduce_sum(tf.abs(", [variable], "))"))
    if s2:
        terms.append((f"{src.number(s2)} * tf.nn.l2_loss(", [variable], ")"))
    if len(terms) == 2:  # l1_l2_regularizer is a sum_regularizer: add_n of both terms
        return ("tf.add_n([", terms, "])")
    return terms[0] if terms else None


def dtype_kwargs(ctx: NodeCtx) -> list[str]:
    """``dtype=tf.float16`` for a layer whose input is not float32 (its variables follow)."""
    dtype = ctx.node.inputs[0].dtype
    return [] if dtype == "float32" else [f"dtype=tf.{src.identifier(dtype)}"]


#: The runtime class (and snippet) of each normalizer.
NORMALIZER_CLASSES = {"batch_norm": ("_BatchNorm", "batch_norm"),
                      "instance_norm": ("_InstanceNorm", "instance_norm"),
                      "layer_norm": ("_LayerNorm", "layer_norm"),
                      "group_norm": ("_GroupNorm", "group_norm")}
#: Normalizer arguments that are no constructor argument of its class: is_training is passed
#: when it is called, begin_params_axis as the parameters' shape, fused and
#: updates_collections as ``fused=False`` where they select the biased variance update
#: (:func:`~slimdsl.layers.norm.batch_norm_bessel`), param_regularizers as loss terms; the
#: rest change nothing in the generated code (see docs/layers.md).
_NOT_CONSTRUCTOR = frozenset({
    "is_training", "outputs_collections", "updates_collections", "data_format",
    "batch_weights", "fused", "zero_debias_moving_mean", "renorm", "renorm_clipping",
    "renorm_decay", "adjustment", "param_regularizers", "begin_params_axis"})


def normalizer_kwargs(kind: str, args: dict[str, Any], shape: SymShape, needs: set[str],
                      dict_form: bool, runtime: dict[str, str] | None = None) -> list[str]:
    """The constructor arguments of a normalizer's class that differ from its defaults
    (``key=value``, or ``"key": value`` for a normalizer_params dict); ``shape`` is the
    normalized tensor's."""
    out = []

    def put(key: str, code: str) -> None:
        out.append(f'"{key}": {code}' if dict_form else f"{key}={code}")

    for arg in LAYERS[kind].args:
        if arg.name in _NOT_CONSTRUCTOR:
            continue
        value = args.get(arg.name, arg.default)
        default = arg.check(arg.default) if arg.default is not None else None
        key = "activation" if arg.name == "activation_fn" else arg.name
        if runtime and arg.name in runtime:
            put(key, runtime[arg.name])
        elif value != default and not (default is None and value == {}):
            put(key, _constructor_value(value, needs))
    if kind == "batch_norm" and len(shape) in (2, 4, 5) and not batch_norm_bessel(
            args, len(shape)):
        put("fused", "False")
    if kind == "layer_norm" and len(shape[args["begin_params_axis"]:]) != 1:
        put("params_shape", dims(shape[args["begin_params_axis"]:]))
    return out


def _constructor_value(value: Any, needs: set[str]) -> str:
    if isinstance(value, Activation):
        return activation(value, needs)
    if isinstance(value, dict):  # param_initializers
        items = ", ".join(f"{src.string(k)}: {initializer(v, needs)}" for k, v in value.items())
        return f"{{{items}}}"
    return src.literal(value)


def _normalizer(ctx: NodeCtx, needs: set[str]) -> list[str]:
    """``normalizer_fn=_BatchNorm, normalizer_params={...}`` with the non-default values."""
    kind = ctx.a["normalizer_fn"].kind
    cls, snippet = NORMALIZER_CLASSES[kind]
    needs.add(snippet)
    params = normalizer_kwargs(kind, ctx.a["normalizer_params"] or {}, ctx.out_shape, needs,
                               dict_form=True)
    if kind != "batch_norm" and ctx.node.inputs and ctx.node.inputs[0].dtype != "float32":
        params.append(f'"dtype": tf.{src.identifier(ctx.node.inputs[0].dtype)}')
    out = [f"normalizer_fn={cls}"]
    if params:
        out.append("normalizer_params={" + ", ".join(params) + "}")
    return out


def linear(ctx: NodeCtx, cls: str, snippet: str, first: list[str], extra: list[str],
           call_input: str | None = None) -> Emitted:
    """Conv-like and fully connected layers: constructor kwargs that differ from TF-Slim's."""
    a, needs = ctx.a, {snippet}
    args = [src.string(ctx.node.scope)] + first + extra
    if a["activation_fn"] != Activation("relu"):
        args.append(f"activation={activation(a['activation_fn'], needs)}")
    if a["normalizer_fn"] is not None:
        args.extend(_normalizer(ctx, needs))
    if a["weights_initializer"] != XAVIER:
        args.append(f"weights_initializer={initializer(a['weights_initializer'], needs)}")
    if a.get("pointwise_initializer") is not None:
        args.append(f"pointwise_initializer={initializer(a['pointwise_initializer'], needs)}")
    if a["normalizer_fn"] is None and a["biases_initializer"] != ZEROS:
        args.append(f"biases_initializer={initializer(a['biases_initializer'], needs)}")
    if not a["trainable"]:
        args.append("trainable=False")
    args.extend(dtype_kwargs(ctx))
    call = [call_input or ctx.ins[0]]
    if a["normalizer_fn"] is not None and a["normalizer_fn"].kind == "batch_norm":
        call.append(ctx.flag(a["normalizer_params"]["is_training"]))
    return Emitted(f"self.{ctx.attr}", call, cls, args, needs)


def window_kwargs(ctx: NodeCtx, padding: bool = True, rate: str = "rate") -> list[str]:
    """``stride=``, ``padding=`` and ``rate=`` where they differ from 1, SAME and 1."""
    a, out = ctx.a, []
    if _not_ones(a["stride"]):
        out.append(f"stride={ints(a['stride'])}")
    if padding and a["padding"] != "SAME":
        out.append(f"padding={src.string(a['padding'])}")
    if _not_ones(a.get(rate, 1)):
        out.append(f"{rate}={ints(a[rate])}")
    return out


def _not_ones(value: int | tuple[int, ...]) -> bool:
    return value != 1 if isinstance(value, int) else any(v != 1 for v in value)
