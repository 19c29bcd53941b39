"""``slimc summary``: a per-layer table, totals and variables of a model, as text or JSON.

The table itself is :class:`slimdsl.ir.Summary` (``graph.summary()``, which notebooks show as
HTML); these are the command's two forms of it.
"""

from __future__ import annotations

from typing import Any

from ..ir import Graph, shape_json

__all__ = ["shape_json", "summary_dict", "summary_text"]


def summary_dict(graph: Graph) -> dict[str, Any]:
    """The JSON form documented in docs/cli.md (keys are a stable interface)."""
    return graph.summary().to_dict()


def summary_text(graph: Graph, show_variables: bool = True) -> str:
    """A human-readable table: scope, layer kind, output shape, parameters, source line."""
    return graph.summary().text(show_variables)
