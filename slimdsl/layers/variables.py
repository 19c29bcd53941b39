"""``model_variable``: a named variable as a tensor, e.g. a learned scale used in an
expression (``scale = model_variable("scale", [], initializer=constant(0.17))``).

It takes no input tensor; its variable is ``<enclosing variable scopes>/<name>`` (the name is
its first argument, not ``as``), created once: a second one of the same name is an error, as
TF-Slim's "Variable ... already exists".
"""

from __future__ import annotations

from typing import Any

from .base import XAVIER, Arg, LayerKind, VarSpec
from .shapes import Shape, ShapeError


def _shape(ins: list[Shape], a: dict[str, Any]) -> Shape:
    if a["shape"] is None:
        raise ShapeError(f"model_variable '{a['name']}' needs a shape, e.g. [] or [64]: "
                         f"slimdsl's initializers do not carry one")
    return tuple(a["shape"])


def _variables(ins: list[Shape], out: Shape, a: dict[str, Any]) -> list[VarSpec]:
    return [VarSpec("", out, a["trainable"], a["initializer"] or XAVIER,  # type: ignore
                    a["regularizer"], "variable")]


KINDS = [
    LayerKind(
        "model_variable", "A trainable variable named `name` in the enclosing variable scopes, "
        "as a tensor of `shape` (no input). Without an initializer TensorFlow's default, "
        "glorot_uniform (= xavier).",
        (Arg("name", "variable-name", doc="the variable's name (not `as`)"),
         Arg("shape", "variable-shape", None, "required"),
         Arg("dtype", "float-dtype", "float32"),
         Arg("initializer", "initializer", None, "none: xavier (glorot_uniform)"),
         Arg("regularizer", "regularizer", None),
         Arg("trainable", "bool", True),
         Arg("collections", "strings?", None, "no effect on the code (no graph collections)")),
        _shape, inputs="none", default_scope="", func_name="model_variable", scope_kind="none",
        variables=_variables, tf_name="slim.model_variable", category="variable",
        scope_arg="", dtype_rule=lambda ins, a: a["dtype"]),
]
