"""What convolutions and dense layers share, as TF-Slim's ``convolution``/``fully_connected``
do: the activation / normalizer / weights / biases arguments, the variables they create, the
normalizer's check of the linear op's output and the FLOPs of the bias add or normalizer after
the linear op."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..values import Activation
from .base import COLLECT, XAVIER, ZEROS, Arg, VarSpec
from .norm import NORMALIZER_SCOPES, normalizer_check, normalizer_flops, normalizer_variables
from .shapes import Shape, size

#: The arguments after the layer's own, in TF-Slim's signature order.
LINEAR_ARGS = (
    Arg("activation_fn", "activation", Activation("relu"), "applied last; none for linear"),
    Arg("normalizer_fn", "normalizer", None,
        "replaces the biases; runs in the layer's scope (Conv/BatchNorm/...)"),
    Arg("normalizer_params", "dict", None, "arguments of the normalizer"),
    Arg("weights_initializer", "initializer!", XAVIER),
    Arg("weights_regularizer", "regularizer", None),
    Arg("biases_initializer", "initializer", ZEROS, "none: no biases"),
    Arg("biases_regularizer", "regularizer", None),
    COLLECT,
    Arg("trainable", "bool", True),
)


def linear_vars(weights_shape: tuple[int, ...], out: Shape, a: dict[str, Any]
                ) -> list[VarSpec]:
    """weights (+ biases, or normalizer variables), as TF-Slim's convolution/fully_connected."""
    weights = VarSpec("weights", weights_shape, a["trainable"], a["weights_initializer"],
                      a["weights_regularizer"], "weights")
    return [weights] + bias_or_norm_vars(out, a)


def bias_or_norm_vars(out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    """The biases, or the normalizer's variables, of a linear layer whose output is ``out``."""
    kind = a.get("normalizer_fn")
    if kind is not None:
        return normalizer_variables(kind.kind, out, a["normalizer_params"] or {},
                                    NORMALIZER_SCOPES[kind.kind] + "/")
    if a.get("biases_initializer") is not None:  # use_bias = not normalizer_fn and biases_init
        return [VarSpec("biases", (out[-1],), a["trainable"],  # type: ignore[arg-type]
                        a["biases_initializer"], a["biases_regularizer"], "biases")]
    return []


def with_normalizer(rule: Callable[[list[Shape], dict[str, Any]], Shape]
                    ) -> Callable[[list[Shape], dict[str, Any]], Shape]:
    """A linear layer's shape rule, followed by its normalizer's check of the output (a
    group_norm whose groups do not divide the channels fails on the layer's line)."""
    def shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
        out = rule(ins, a)
        if a.get("normalizer_fn") is not None:
            normalizer_check(a["normalizer_fn"].kind, out, a["normalizer_params"] or {})
        return out
    shape.__doc__ = rule.__doc__
    return shape


def _post_flops(out: Shape, a: dict[str, Any]) -> int | None:
    """Bias add (1/element) or the normalizer (batch_norm 2/element, others 6) after a linear
    op."""
    n = size(out)
    if n is None:
        return None
    if a.get("normalizer_fn") is not None:
        return normalizer_flops(a["normalizer_fn"].kind) * n
    return n if a.get("biases_initializer") is not None else 0


def activation_ops(act: Activation | None) -> int:
    """Element-wise operations of an activation: 0 for a builtin one (the convention for
    activations), the arithmetic of a ``def`` used as one (its ``expr`` tree).

    >>> activation_ops(Activation("gate", (), ("*", ("act", Activation("relu6"),
    ...                                                  ("+", ("x",), 3)), 0.16667)))
    2
    """
    def count(tree: Any) -> int:
        if not isinstance(tree, tuple) or tree == ("x",):
            return 0
        if tree[0] == "act":
            return activation_ops(tree[1]) + count(tree[2])
        return 1 + sum(count(t) for t in tree[1:])
    return 0 if act is None or act.expr is None else count(act.expr)


def macs_flops(macs: int | None, out: Shape, a: dict[str, Any]) -> int | None:
    """FLOPs of ``macs`` multiply-adds (2 each), the bias add or normalizer after them, and
    the arithmetic of a ``def`` activation."""
    post = _post_flops(out, a)
    if macs is None or post is None:
        return None
    n = size(out)
    ops = activation_ops(a.get("activation_fn"))
    return 2 * macs + post + (ops * n if ops and n is not None else 0)
