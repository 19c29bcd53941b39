"""Stage 2, lower: syntax tree -> :class:`slimdsl.ir.Graph` with static shapes.

Lowering elaborates a model: it evaluates parameters and expressions, expands ``repeat``,
``stack``, ``for``, ``if`` and block calls, merges ``arg_scope`` defaults with TF-Slim's
precedence (explicit > inner scope > outer scope > layer default, shallow per key), names every
scope exactly as TF-Slim would (``Conv``, ``Conv_1``, ``conv3/conv3_2``), and computes each
tensor's shape with the registry's rules. Shapes are computed here, not in a later pass, because
the language may branch on them (ResNet's shortcut depends on the input's depth).

Errors are collected, not raised one at a time: a failed statement poisons the tensor it would
have produced, and every later use of a poisoned tensor stays silent, so one root cause is
reported once while independent problems elsewhere are still found.

- :mod:`.statements`: :class:`~.statements.Lowerer`, one model's statements, scopes and control
  flow;
- :mod:`.calls`: :class:`~.calls.CallLowerer`, a layer, ``repeat``/``stack`` or block call;
- :mod:`.arg_scopes`: the arg_scope stack and TF-Slim's argument precedence;
- :mod:`.naming`: scope names and TF's uniquification (``Conv``, ``Conv_1``);
- :mod:`.params`: binding model and block parameters;
- :mod:`.evaluate`: compile-time values of expressions;
- :mod:`.inputs`: input shapes, their named dimensions and ``--input`` bindings;
- :mod:`.sizes`: solving what the shapes need of the named dimensions: the valid input sizes;
- :mod:`.context`: what these share (the statement's context, the model being built);
- :mod:`.incremental`: lowering a model again after an edit, from the statement it touched
  (the language server's); :mod:`.edits`: where an edit is.
"""

from __future__ import annotations

from typing import Any

from .. import diagnostics as dg
from ..diagnostics import CompileError, Diagnostics, Span, did_you_mean
from ..frontend import Program
from ..ir import Graph
from .calls import MAX_CALL_DEPTH
from .evaluate import WorkLimit
from .inputs import GivenShapes
from .nodes import MAX_NODES
from .statements import MAX_STEPS, Lowerer

__all__ = ["MAX_CALL_DEPTH", "MAX_NODES", "MAX_STEPS", "lower", "lower_collecting", "GivenShapes"]


def lower(program: Program, model: str | None = None,
          overrides: dict[str, Any] | None = None, inputs: GivenShapes | None = None) -> Graph:
    """Expand one model of ``program`` into an IR graph; raise CompileError on any error.

    ``model`` defaults to the first model of the root file; ``overrides`` replace parameter
    defaults (as ``slimc summary -D name=value`` does); ``input_shapes`` replace the declared
    shapes of inputs by name (same rank; as ``slimc export --input NAME=SHAPE`` does).
    """
    diags = Diagnostics()
    graph = lower_collecting(program, model, overrides, diags, inputs)
    if diags.has_errors or graph is None:
        raise CompileError(diags.items)
    return graph


def lower_collecting(program: Program, model: str | None, overrides: dict[str, Any] | None,
                     diags: Diagnostics, inputs: GivenShapes | None = None,
                     covered: set[int] | None = None) -> Graph | None:
    """Like :func:`lower` but appends to ``diags`` and returns the (possibly partial) graph.

    ``covered`` collects the ids of the statement lists the lowering ran (see
    :mod:`slimdsl.lint`)."""
    own = program.own_models
    if model is None:
        if not own:
            span = Span.point(program.root.path, 1, 1)
            diags.error(span, dg.STRUCTURE, "no model defined in this file",
                        ["a file defines models with: model NAME(params) { ... }"])
            return None
        model = own[0].name
    if model not in program.models:
        diags.error(Span.point(program.root.path, 1, 1), dg.UNKNOWN_NAME,
                    f"no model named '{model}'{did_you_mean(model, program.models)}")
        return None
    try:
        return Lowerer(program, diags, inputs, covered).lower_model(model, dict(overrides or {}))
    except WorkLimit as e:
        diags.error(e.span, dg.STRUCTURE, f"model '{model}' is too large: {e.message}",
                    ["are a loop's bounds or a repeat count too large?"])
        return None
