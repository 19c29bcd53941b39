"""Inference rewrites of a built generated model: frozen constants and folded batch norm.

Both work on the objects of the generated module (``_Conv2D``, ``_BatchNorm``, ...), not on a
TensorFlow graph: they change what the layer objects hold for the length of a ``with`` block,
during which the caller traces the forward pass, and put everything back afterwards. The
forward pass itself is the generated code, unchanged, so every layer kind keeps its one
translation.

- :func:`constants`: every ``tf.Variable`` attribute becomes its NumPy value, so that tracing
  embeds it as a ``Const`` node (a frozen graph, without ``convert_variables_to_constants``'
  graph copying, which takes seconds on large models). Variables held anywhere else than
  directly on a module stay variables: callers check what the trace captured.
- :func:`folded_batch_norms`: a convolution or fully connected layer normalized by
  ``batch_norm`` becomes the same layer with scaled weights and a bias, so the forward pass
  runs ``conv -> BiasAdd -> activation``, the pattern grappler's remapper fuses into one
  kernel (``_FusedConv2D``/``_FusedMatMul``). Only in inference: a layer called with
  ``training`` true (batch statistics) keeps its batch norm.

TensorFlow is passed in by the caller; this module does not import it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Layer classes of templates/runtime/ whose batch norm folds into their weights, with the
#: axis of their weights that indexes output channels (``_ConvND``: conv1d, conv3d and
#: convolution, weights [k..., in, out]; the transposed ones keep [k..., out, in]).
#: ``_Conv2DInPlane`` shares one kernel across channels (no per-channel scale fits it) and is
#: left alone, as is any class this table does not name (a layer kind added later stays
#: correct, just not folded, and :func:`_why_not` says so).
FOLDABLE = {"_Conv2D": -1, "_ConvND": -1, "_FullyConnected": -1, "_Conv2DTranspose": -2,
            "_Conv3DTranspose": -2, "_SeparableConv2D": -1}

#: Classes that cannot fold, and why (a class in neither table is one this module predates).
UNFOLDABLE = {"_Conv2DInPlane": "its one kernel is shared by every channel, so no per-channel "
                                "scale fits into it"}


@dataclass
class FoldReport:
    """What :func:`folded_batch_norms` did: the layers folded and the reasons others were left
    as they are, by the model attribute of the layer (``block1_unit_1_bottleneck_v1_conv1``)."""

    folded: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)


def modules_of(model: Any) -> list[Any]:
    """The model and every module under it (layer objects, their batch norms)."""
    return [model, *model.submodules]


class FrozenValue(np.ndarray):
    """A variable's value, frozen for tracing: it becomes a constant of the graph.

    Assignments do nothing: the only ones an inference pass makes are the moving-average
    updates of a batch norm told ``is_training=true``, which normalizes with the batch's
    statistics; an exported graph is a pure function of its inputs and does not update them.
    """

    def assign(self, *args: Any, **kwargs: Any) -> None:
        return None

    assign_add = assign_sub = assign


@contextlib.contextmanager
def constants(tf: Any, model: Any) -> Iterator[int]:
    """Within the block, each variable attribute of the model's modules is its NumPy value.

    Yields how many variables were swapped. Writes ``__dict__`` directly: tf.Module's attribute
    tracking must not see (or forget) anything, since everything is put back.
    """
    swapped = []
    for module in modules_of(model):
        for name, value in list(vars(module).items()):
            if isinstance(value, tf.Variable):
                swapped.append((module, name, value))
    try:
        for module, name, value in swapped:
            module.__dict__[name] = value.numpy().view(FrozenValue)
        yield len(swapped)
    finally:
        for module, name, value in swapped:
            module.__dict__[name] = value


class _Dispatch:
    """A layer slot during tracing: the folded layer in inference, the original when training.

    ``training`` is a Python bool in generated code (``is_training=true`` on a layer passes a
    literal ``True``), so the choice is made once, while tracing.
    """

    def __init__(self, original: Any, folded: Any):
        self.original, self.folded = original, folded

    def __call__(self, x: Any, training: bool = False) -> Any:
        return (self.original if training else self.folded)(x, training)


def _compose(first: Callable | None, then: Callable | None) -> Callable | None:
    """``then(first(x))``; either may be None (no activation)."""
    if first is None:
        return then
    if then is None:
        return first
    return lambda x: then(first(x))


def _array(v: Any) -> np.ndarray:
    """A variable's (or an already frozen attribute's) value, in its own dtype."""
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v).view(np.ndarray)


def _value(v: Any) -> np.ndarray:
    return _array(v).astype(np.float64)


def fold_values(weights: np.ndarray, axis: int, bn: Any) -> tuple[np.ndarray, np.ndarray]:
    """Folded (weights, bias) of a layer whose output goes through the batch norm ``bn``.

    ``scale = gamma / sqrt(moving_variance + epsilon)``; the weights' output channels (along
    ``axis``) are multiplied by it and ``bias = beta - moving_mean * scale``, in float64 and
    cast back, so ``conv(x, W') + b'`` equals ``batch_norm(conv(x, W))`` to float32 rounding.

    >>> class BN: gamma = None; beta = None; moving_mean = [1.0]; moving_variance = [3.0]; \
epsilon = 1.0
    >>> w, b = fold_values(np.array([[2.0]], np.float32), -1, BN())
    >>> w.tolist(), b.tolist(), w.dtype.name
    ([[1.0]], [-0.5], 'float32')
    """
    mean, variance = _value(bn.moving_mean), _value(bn.moving_variance)
    gamma = np.ones_like(mean) if bn.gamma is None else _value(bn.gamma)
    beta = np.zeros_like(mean) if bn.beta is None else _value(bn.beta)
    scale = gamma / np.sqrt(variance + float(bn.epsilon))
    w = np.asarray(weights, dtype=np.float64)
    shape = [1] * w.ndim
    shape[axis] = -1
    folded = w * scale.reshape(shape)
    bias = beta - mean * scale
    dtype = np.asarray(weights).dtype
    return folded.astype(dtype), bias.astype(np.float32 if dtype == np.float16 else dtype)


def _depthwise_fold(weights: np.ndarray, bn: Any) -> tuple[np.ndarray, np.ndarray]:
    """Depthwise weights [kh, kw, in, multiplier]: output channel ``i * multiplier + m``."""
    kh, kw, channels, multiplier = weights.shape
    flat = weights.reshape(kh, kw, 1, channels * multiplier)
    folded, bias = fold_values(flat, -1, bn)
    return folded.reshape(weights.shape), bias


def _fold_layer(layer: Any) -> Any:
    """A copy of ``layer`` with its batch norm folded into its weights and a new bias.

    The copy shares the original's state but its folded attributes, written straight into its
    ``__dict__`` (the original and its variable tracking are untouched).
    """
    bn, cls = layer.normalizer, type(layer).__name__
    changes: dict[str, Any] = {"normalizer": None,
                               "activation": _compose(bn.activation, layer.activation)}
    if cls == "_SeparableConv2D" and layer.pointwise_weights is None:
        changes["depthwise_weights"], changes["biases"] = _depthwise_fold(
            _array(layer.depthwise_weights), bn)
    else:
        attr = "pointwise_weights" if cls == "_SeparableConv2D" else "weights"
        changes[attr], changes["biases"] = fold_values(_array(getattr(layer, attr)),
                                                       FOLDABLE[cls], bn)
    folded = object.__new__(type(layer))
    folded.__dict__.update(layer.__dict__)
    folded.__dict__.update(changes)
    return folded


def _why_not(layer: Any) -> str | None:
    """Why a layer with a batch norm cannot be folded (None: it can)."""
    cls = type(layer).__name__
    if cls in UNFOLDABLE:
        return f"{cls}: {UNFOLDABLE[cls]}"
    if cls not in FOLDABLE:
        return f"{cls} is not a layer class the fold knows (rewrite.FOLDABLE)"
    if type(layer.normalizer).__name__ != "_BatchNorm":
        return f"its normalizer is {type(layer.normalizer).__name__}, not batch_norm"
    return None


@contextlib.contextmanager
def folded_batch_norms(model: Any) -> Iterator[FoldReport]:
    """Within the block, the model's layers with a batch norm run folded in inference."""
    report = FoldReport()
    replaced = []
    for name, layer in list(vars(model).items()):
        if getattr(layer, "normalizer", None) is None or not hasattr(layer, "_finish"):
            continue
        reason = _why_not(layer)
        if reason is not None:
            report.kept[name] = reason
            continue
        replaced.append((name, layer))
        report.folded.append(name)
    try:
        for name, layer in replaced:
            model.__dict__[name] = _Dispatch(layer, _fold_layer(layer))
        yield report
    finally:
        for name, layer in replaced:
            model.__dict__[name] = layer
