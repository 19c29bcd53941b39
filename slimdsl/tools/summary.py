"""``slimc summary``: a per-layer table, totals and variables of a model, as text or JSON.

The table itself is :class:`slimdsl.ir.Summary` (``graph.summary()``, which notebooks show as
HTML); these are the command's two forms of it.
"""

from __future__ import annotations

from typing import Any

from ..ir import Graph, Summary, shape_json
from .receptive import field_json, field_text, receptive_fields
from .sizes import peak_activation_bytes, sizes_json, sizes_lines

__all__ = ["shape_json", "summary_dict", "summary_text"]


class SizedSummary(Summary):
    """The summary with what named input sizes add (valid sizes, the sizes ``--input`` gave,
    peak activation memory) and, with ``receptive``, three columns of receptive fields."""

    def __init__(self, graph: Graph, receptive: bool = False):
        super().__init__(graph)
        self.receptive = receptive
        if receptive:
            self.COLUMNS = Summary.COLUMNS + ("stride", "field", "centre of unit 0")

    def rows(self) -> list[list[str]]:
        rows = super().rows()
        if self.receptive:
            fields = receptive_fields(self.graph)
            for row, n in zip(rows, self.graph.nodes):
                f = fields.get(n.id)
                row += [field_text(f, p) if f else "-" for p in ("stride", "size", "centre")]
        return rows

    def totals(self) -> list[tuple[str, str]]:
        totals = super().totals()
        g = self.graph
        extra = [tuple(p.strip() for p in line.split(": ", 1)) for line in sizes_lines(g)]
        peak = peak_activation_bytes(g) if g.dims else None
        if peak is not None:  # at the sizes --input gave
            extra.insert(0, ("Peak activations", f"{peak:,} bytes per example"))
        return totals[:-1] + extra + totals[-1:]  # type: ignore[operator]


def summary_dict(graph: Graph) -> dict[str, Any]:
    """The JSON form documented in docs/cli.md (keys are a stable interface)."""
    out = graph.summary().to_dict()
    fields = receptive_fields(graph)
    for layer, n in zip(out["layers"], graph.nodes):
        layer["receptive_field"] = field_json(fields[n.id]) if n.id in fields else None
    out["sizes"] = sizes_json(graph)
    out["peak_activation_bytes"] = peak_activation_bytes(graph)
    return out


def summary_text(graph: Graph, show_variables: bool = True, receptive: bool = False) -> str:
    """A human-readable table: scope, layer kind, output shape, parameters, source line;
    ``receptive`` adds each layer's effective stride, receptive field and centre of unit 0."""
    return SizedSummary(graph, receptive).text(show_variables)
