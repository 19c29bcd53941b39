"""``slimc summary``: a per-layer table, totals and variables of a model, as text or JSON."""

from __future__ import annotations

from typing import Any

from ..ir import Graph, Node
from ..layers.shapes import format_shape


def shape_json(shape) -> list | None:
    """A shape in the JSON outputs: a list with null for unknown dimensions, or null."""
    return None if shape is None else list(shape)


def summary_dict(graph: Graph) -> dict[str, Any]:
    """The JSON form documented in docs/cli.md (keys are a stable interface)."""
    return {
        "name": graph.name,
        "path": graph.path,
        "params": {k: _jsonable(v) for k, v in graph.params.items()},
        "inputs": [{"name": p.name, "shape": shape_json(p.tensor.shape),
                    "dtype": p.tensor.dtype} for p in graph.inputs],
        "layers": [_layer_json(n) for n in graph.nodes],
        "outputs": [{"name": p.name, "shape": shape_json(p.tensor.shape)}
                    for p in graph.outputs],
        "end_points": [{"name": k, "shape": shape_json(t.shape)}
                       for k, t in graph.end_points.items()],
        "variables": [{"name": v.name, "shape": list(v.shape), "trainable": v.trainable}
                      for v in graph.variables],
        "trainable_params": graph.trainable_params,
        "total_params": graph.total_params,
        "flops": graph.flops,
    }


def _layer_json(n: Node) -> dict[str, Any]:
    out = {"name": n.scope, "op": n.kind, "output_shape": shape_json(n.output.shape),
           "params": n.params, "flops": n.flops, "line": n.span.line,
           "inputs": [t.name for t in n.inputs]}
    if n.more_outputs:  # split: every piece
        out["output_shapes"] = [shape_json(t.shape) for t in n.outputs]
    return out


def output_text(n: Node) -> str:
    """A node's output shape, or ``2 x [...]`` / ``[...] [...]`` for an op with several."""
    shapes = [format_shape(t.shape) for t in n.outputs]
    if len(shapes) == 1:
        return shapes[0]
    return f"{len(shapes)} x {shapes[0]}" if len(set(shapes)) == 1 else " ".join(shapes)


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return repr(v)


def _num(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def summary_text(graph: Graph, show_variables: bool = True) -> str:
    """A human-readable table: scope, layer kind, output shape, parameters, source line."""
    lines = [f"Model {graph.name} ({graph.path})"]
    for p in graph.inputs:
        lines.append(f"  input  {p.name}: {format_shape(p.tensor.shape)} {p.tensor.dtype}")
    lines.append("")
    rows = [["scope", "layer", "output shape", "params", "line"]]
    for n in graph.nodes:
        rows.append([n.scope, n.kind, output_text(n), _num(n.params),
                     str(n.span.line)])
    lines.extend(_table(rows, {3, 4}))
    lines.append("")
    for p in graph.outputs:
        lines.append(f"  output {p.name}: {format_shape(p.tensor.shape)}")
    lines.append("")
    lines.append(f"  Trainable params: {_num(graph.trainable_params)}")
    lines.append(f"  Total params:     {_num(graph.total_params)}")
    lines.append(f"  FLOPs:            {_num(graph.flops)} per example (multiply-add = 2)")
    lines.append(f"  End points:       {len(graph.end_points)}")
    if show_variables:
        lines.append("")
        lines.append(f"  Variables ({len(graph.variables)}):")
        rows = [[v.name, format_shape(v.shape), "trainable" if v.trainable else "-"]
                for v in graph.variables]
        if rows:
            lines.extend("  " + r for r in _table(rows, set()))
    return "\n".join(lines)
