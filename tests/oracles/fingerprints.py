"""Initializers and regularizers as comparable fingerprints, from slimdsl and from TensorFlow.

slimdsl's side reads the IR's variables; TensorFlow's side records the initializer every
variable is created with (:func:`recording_initializers`) and reads the regularization losses
of a graph (:func:`tf_regularizers`). Equal fingerprints mean the same distribution and the
same loss term.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np


def our_initializer(init: Any) -> tuple:
    """A .slim initializer in the canonical form of :func:`tf_initializer`."""
    p = dict(init.params)
    if init.name in ("xavier", "glorot"):
        return ("variance_scaling", 1.0, "FAN_AVG", p["uniform"])
    if init.name == "variance_scaling":
        return ("variance_scaling", float(p["factor"]), p["mode"], p["uniform"])
    if init.name in ("zeros", "ones", "constant"):
        return ("constant", {"zeros": 0.0, "ones": 1.0}.get(init.name, p.get("value")))
    if init.name in ("truncated_normal", "random_normal"):
        return (init.name, float(p["mean"]), float(p["stddev"]))
    if init.name == "random_uniform":
        return (init.name, float(p["minval"]), float(p["maxval"]))
    if init.name == "gdn_reparam_beta":
        return (init.name, float(p["reparam_offset"]))
    if init.name == "gdn_reparam_gamma":
        return (init.name, float(p["gamma_init"]), float(p["reparam_offset"]))
    raise AssertionError(f"unknown initializer {init!r}")


def tf_initializer(init: Any) -> tuple:
    """What a TF initializer object (or tf_slim initializer function) computes; None is the
    variable store's default for float variables, glorot_uniform."""
    if init is None:
        return ("variance_scaling", 1.0, "FAN_AVG", True)
    qualname = getattr(init, "__qualname__", "")
    if qualname.startswith("GDN.build.<locals>."):  # tf_slim's GDN layer, its own closures
        layer = inspect.getclosurevars(init).nonlocals["self"]
        if qualname.endswith("beta_initializer"):
            return ("gdn_reparam_beta", float(layer._reparam_offset))
        return ("gdn_reparam_gamma", float(layer._gamma_init), float(layer._reparam_offset))
    kind = type(init).__name__
    if kind in ("Zeros", "Ones", "Constant"):
        return ("constant", {"Zeros": 0.0, "Ones": 1.0}.get(kind, getattr(init, "value", None)))
    if kind == "GlorotUniform":
        return ("variance_scaling", 1.0, "FAN_AVG", True)
    if kind in ("TruncatedNormal", "RandomNormal"):
        name = "truncated_normal" if kind == "TruncatedNormal" else "random_normal"
        return (name, float(init.mean), float(init.stddev))
    if kind == "RandomUniform":
        return ("random_uniform", float(init.minval), float(init.maxval))
    if getattr(init, "__qualname__", "").startswith("variance_scaling_initializer."):
        c = inspect.getclosurevars(init).nonlocals
        return ("variance_scaling", float(c["factor"]), c["mode"], c["uniform"])
    raise AssertionError(f"unknown TF initializer {init!r}")


def our_regularizers(variables: Iterable[Any]) -> dict[str, tuple[str, float]]:
    """{variable: ("l1" | "l2", scale as a float32)} of slimdsl variables; a zero scale is left
    out, as TF-Slim's regularizers then add no loss at all."""
    out = {}
    for v in variables:
        reg = v.regularizer
        if reg is None or dict(reg.params).get("scale", 0.0) == 0.0:
            continue
        assert reg.name in ("l1", "l2"), reg
        out[v.name] = (reg.name, float(np.float32(reg.param("scale"))))
    return out


@contextlib.contextmanager
def recording_initializers() -> Iterator[dict[str, tuple]]:
    """While the block builds a TF1 graph: {variable: :func:`tf_initializer` fingerprint} of
    every variable created (by spying on TensorFlow's variable store)."""
    from tensorflow.python.ops import variable_scope as vs

    initializers: dict[str, tuple] = {}
    original = vs._VariableStore.get_variable
    signature = inspect.signature(original)

    def spy(*args: Any, **kwargs: Any) -> Any:
        variable = original(*args, **kwargs)
        init = signature.bind(*args, **kwargs).arguments.get("initializer")
        initializers[variable.op.name] = tf_initializer(init)
        return variable

    vs._VariableStore.get_variable = spy
    try:
        yield initializers
    finally:
        vs._VariableStore.get_variable = original


_REGULARIZER_OP = re.compile(r"/Regularizer/(l1|l2)_regularizer$")


def tf_regularizers(tf: Any, losses: list | None = None) -> dict[str, tuple[str, float]]:
    """{variable: ("l1" | "l2", scale)} from the default graph's REGULARIZATION_LOSSES (or
    from ``losses``, a part of it)."""
    out = {}
    if losses is None:
        losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
    for loss in losses:
        kind = _REGULARIZER_OP.search(loss.op.name).group(1)
        scale = next(tf.make_ndarray(i.op.get_attr("value")) for i in loss.op.inputs
                     if i.op.type == "Const")
        out[_variable_behind(loss.op)] = (kind, float(scale))
    return out


def _variable_behind(op: Any) -> str:
    """The variable a regularization loss reads (its op name scope may differ from the
    variable's: inception_v1 re-enters its scope, giving ``InceptionV1/InceptionV1/...``)."""
    todo = [op]
    while todo:
        op = todo.pop()
        if op.type in ("VarHandleOp", "VariableV2"):
            return op.name
        todo.extend(i.op for i in op.inputs)
    raise AssertionError("a regularization loss that reads no variable")
