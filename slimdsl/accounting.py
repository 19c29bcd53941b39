"""Stage 3, infer: the variables, parameter counts and FLOPs of a lowered graph.

For every node, the registry says which variables TF-Slim would create (names relative to the
layer's scope, shapes, trainable flags); this pass makes the names absolute, checks that no two
layers would create the same variable (TF-Slim raises "Variable ... already exists"), and adds
up parameters and FLOPs (multiply-adds count 2; see docs/language.md, "FLOPs").
"""

from __future__ import annotations

from . import diagnostics as dg
from .diagnostics import CompileError, Diagnostics, Note
from .ir import Graph, Variable
from .layers import LAYERS
from .layers.shapes import ShapeError


def infer(graph: Graph) -> Graph:
    """Fill ``variables``, ``params`` and ``flops`` of every node and the graph's totals."""
    diags = Diagnostics()
    infer_collecting(graph, diags)
    if diags.has_errors:
        raise CompileError(diags.items)
    return graph


def infer_collecting(graph: Graph, diags: Diagnostics) -> Graph:
    """Like :func:`infer`, appending problems to ``diags`` instead of raising."""
    owners: dict[str, object] = {}
    graph.variables = []
    total_flops: int | None = 0
    for node in graph.nodes:
        kind = LAYERS[node.kind]
        in_shapes = [t.shape for t in node.inputs]
        out_shape = node.output.shape
        if out_shape is None or any(s is None for s in in_shapes):
            node.flops = None
            total_flops = None
            continue
        try:
            specs = kind.variables(in_shapes, out_shape, node.args)  # type: ignore[arg-type]
            flops = kind.flops(in_shapes, out_shape, node.args)  # type: ignore[arg-type]
        except ShapeError as e:  # e.g. unknown channel count with no shape rule to catch it
            diags.error(node.span, dg.SHAPE, f"{node.kind} '{node.scope}': {e}")
            continue
        node.variables = [Variable(f"{node.scope}/{v.name}", v.shape, v.trainable,
                                   v.initializer, v.regularizer, v.role) for v in specs]
        node.params = sum(v.size for v in node.variables)
        node.flops = flops
        total_flops = None if flops is None or total_flops is None else total_flops + flops
        clash = next((owners[v.name] for v in node.variables if v.name in owners), None)
        if clash is not None:  # one report per layer, not one per variable
            diags.error(node.span, dg.SCOPE_NAME,
                        f"scope '{node.scope}' is used twice: its variables already exist",
                        [Note("first created here", clash.span),  # type: ignore[attr-defined]
                         "TF-Slim raises \"Variable ... already exists\"; give the layers "
                         "different names with 'as NAME'"])
            continue
        for v in node.variables:
            owners[v.name] = node
            graph.variables.append(v)
    graph.trainable_params = sum(v.size for v in graph.variables if v.trainable)
    graph.total_params = sum(v.size for v in graph.variables)
    graph.flops = total_flops
    return graph
