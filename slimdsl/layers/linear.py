"""What convolutions and dense layers share, as TF-Slim's ``convolution``/``fully_connected``
do: the activation / normalizer / weights / biases arguments, the variables they create and the
FLOPs of the bias add or batch norm after the linear op."""

from __future__ import annotations

from typing import Any

from ..values import Activation
from .base import COLLECT, XAVIER, ZEROS, Arg, VarSpec
from .norm import batch_norm_variables
from .shapes import Shape, size

#: The arguments after the layer's own, in TF-Slim's signature order.
LINEAR_ARGS = (
    Arg("activation_fn", "activation", Activation("relu"), "applied last; none for linear"),
    Arg("normalizer_fn", "normalizer", None, "batch_norm replaces the biases"),
    Arg("normalizer_params", "dict", None, "arguments of the normalizer"),
    Arg("weights_initializer", "initializer!", XAVIER),
    Arg("weights_regularizer", "regularizer", None),
    Arg("biases_initializer", "initializer", ZEROS, "none: no biases"),
    Arg("biases_regularizer", "regularizer", None),
    Arg("trainable", "bool", True),
    COLLECT,
)


def linear_vars(weights_shape: tuple[int, ...], out_channels: int, a: dict[str, Any]
                ) -> list[VarSpec]:
    """weights (+ biases, or normalizer variables), as TF-Slim's convolution/fully_connected."""
    out = [VarSpec("weights", weights_shape, a["trainable"], a["weights_initializer"],
                   a["weights_regularizer"], "weights")]
    return out + bias_or_norm_vars(out_channels, a)


def bias_or_norm_vars(channels: int, a: dict[str, Any]) -> list[VarSpec]:
    """The biases, or the normalizer's variables, of a linear layer with ``channels`` outputs."""
    if a.get("normalizer_fn") is not None:
        return batch_norm_variables(channels, a["normalizer_params"] or {})
    if a.get("biases_initializer") is not None:  # use_bias = not normalizer_fn and biases_init
        return [VarSpec("biases", (channels,), a["trainable"], a["biases_initializer"],
                        a["biases_regularizer"], "biases")]
    return []


def _post_flops(out: Shape, a: dict[str, Any]) -> int | None:
    """Bias add (1/element) or inference-time batch norm (2/element) after a linear op."""
    n = size(out)
    if n is None:
        return None
    if a.get("normalizer_fn") is not None:
        return 2 * n
    return n if a.get("biases_initializer") is not None else 0


def macs_flops(macs: int | None, out: Shape, a: dict[str, Any]) -> int | None:
    """FLOPs of ``macs`` multiply-adds (2 each) and the bias add or batch norm after them."""
    post = _post_flops(out, a)
    if macs is None or post is None:
        return None
    return 2 * macs + post
