"""``slimc summary``: a per-layer table, totals and variables of a model, as text or JSON."""

from __future__ import annotations

from typing import Any

from ..ir import Graph
from ..layers.shapes import format_shape
from .receptive import field_json, field_text, receptive_fields
from .sizes import count_json, count_text, dim_json, peak_activation_bytes, sizes_json, sizes_lines


def shape_json(shape) -> list | None:
    """A shape in the JSON outputs: a list with null for unknown dimensions and the formula of a
    symbolic one (``"ceil(H / 32)"``), or null."""
    return None if shape is None else [dim_json(d) for d in shape]


def summary_dict(graph: Graph) -> dict[str, Any]:
    """The JSON form documented in docs/cli.md (keys are a stable interface)."""
    fields = receptive_fields(graph)
    return {
        "name": graph.name,
        "path": graph.path,
        "params": {k: _jsonable(v) for k, v in graph.params.items()},
        "inputs": [{"name": p.name, "shape": shape_json(p.tensor.shape),
                    "dtype": p.tensor.dtype} for p in graph.inputs],
        "layers": [{"name": n.scope, "op": n.kind, "output_shape": shape_json(n.output.shape),
                    "params": n.params, "flops": count_json(n.flops), "line": n.span.line,
                    "inputs": [t.name for t in n.inputs],
                    "receptive_field": field_json(fields[n.id]) if n.id in fields else None}
                   for n in graph.nodes],
        "outputs": [{"name": p.name, "shape": shape_json(p.tensor.shape)}
                    for p in graph.outputs],
        "end_points": [{"name": k, "shape": shape_json(t.shape)}
                       for k, t in graph.end_points.items()],
        "variables": [{"name": v.name, "shape": list(v.shape), "trainable": v.trainable}
                      for v in graph.variables],
        "trainable_params": graph.trainable_params,
        "total_params": graph.total_params,
        "flops": count_json(graph.flops),
        "sizes": sizes_json(graph),
        "peak_activation_bytes": peak_activation_bytes(graph),
    }


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return repr(v)


def _num(n: Any) -> str:
    return count_text(n)


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def summary_text(graph: Graph, show_variables: bool = True, receptive: bool = False) -> str:
    """A human-readable table: scope, layer kind, output shape, parameters, source line;
    ``receptive`` adds each layer's effective stride, receptive field and centre of unit 0."""
    lines = [f"Model {graph.name} ({graph.path})"]
    for p in graph.inputs:
        lines.append(f"  input  {p.name}: {format_shape(p.tensor.shape)} {p.tensor.dtype}")
    lines.append("")
    rows = [["scope", "layer", "output shape", "params", "line"]]
    fields = receptive_fields(graph) if receptive else {}
    if receptive:
        rows[0] += ["stride", "field", "centre of unit 0"]
    for n in graph.nodes:
        rows.append([n.scope, n.kind, format_shape(n.output.shape), _num(n.params),
                     str(n.span.line)])
        if receptive:
            f = fields.get(n.id)
            rows[-1] += [field_text(f, p) if f else "-" for p in ("stride", "size", "centre")]
    lines.extend(_table(rows, {3, 4, 5, 6}))
    lines.append("")
    for p in graph.outputs:
        lines.append(f"  output {p.name}: {format_shape(p.tensor.shape)}")
    lines.append("")
    lines.append(f"  Trainable params: {_num(graph.trainable_params)}")
    lines.append(f"  Total params:     {_num(graph.total_params)}")
    lines.append(f"  FLOPs:            {_num(graph.flops)} per example (multiply-add = 2)")
    peak = peak_activation_bytes(graph)
    if graph.dims and peak is not None:  # at the sizes --input gave
        lines.append(f"  Peak activations: {peak:,} bytes per example")
    lines.extend(sizes_lines(graph))
    lines.append(f"  End points:       {len(graph.end_points)}")
    if show_variables:
        lines.append("")
        lines.append(f"  Variables ({len(graph.variables)}):")
        rows = [[v.name, format_shape(v.shape), "trainable" if v.trainable else "-"]
                for v in graph.variables]
        if rows:
            lines.extend("  " + r for r in _table(rows, set()))
    return "\n".join(lines)
