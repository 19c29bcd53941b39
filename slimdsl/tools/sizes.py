"""What the summary shows of symbolic sizes (issue 14): counts as formulas, the valid input sizes,
and the peak activation memory of one forward pass.

A model with named input sizes (``input images: [?, H, W, 3]``) has shapes and FLOP counts that
are expressions in them; these helpers print them (``4.1e6·H·W + …``), give their JSON form
(the exact expression as text), and say which sizes are valid.
"""

from __future__ import annotations

from typing import Any

from ..ir import Graph
from ..layers.shapes import format_dim
from ..symbolic.approx import approximate
from ..symbolic.expr import Expr

#: Bytes of one element of each dtype (activation memory).
DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "uint8": 1,
               "int32": 4, "int64": 8, "bool": 1}


def count_text(n: int | Expr | None, unicode: bool = True) -> str:
    """A count for people: ``1,234``, ``?``, or the leading terms of a formula.

    >>> from slimdsl.symbolic import sym, ceil_div
    >>> H = sym("H")
    >>> count_text(1234), count_text(None), count_text(ceil_div(H, 2) * ceil_div(H, 2) * 64)
    ('1,234', '?', '16·H² + 16·H + 4')
    """
    if n is None:
        return "?"
    if isinstance(n, Expr):
        return approximate(n, "mean").format(unicode, digits=2, max_terms=4)
    return f"{n:,}"


def count_json(n: int | Expr | None) -> int | str | None:
    """A count in JSON: an int, null, or the exact formula as text.

    >>> from slimdsl.symbolic import sym
    >>> count_json(7), count_json(sym("H") * 3)
    (7, '3*H')
    """
    return format_dim(n) if isinstance(n, Expr) else n


def dim_json(d: int | Expr | None) -> int | str | None:
    """A dimension in JSON: an int, null for ``?``, or a formula such as ``"ceil(H / 32)"``."""
    return format_dim(d) if isinstance(d, Expr) else d


def sizes_lines(graph: Graph, unicode: bool = True) -> list[str]:
    """The summary's lines about the named input sizes (none for a model without any)."""
    lines = []
    if graph.bound:
        at = ", ".join(f"{k} = {v}" for k, v in graph.bound.items())
        lines.append(f"  Checked at:       {at} (--input)")
    sizes = graph.sizes
    if sizes is None:
        return lines
    valid = "; ".join(s.format(unicode) for s in sizes.solutions)
    lines.append(f"  Valid sizes:      {valid}")
    smallest = sizes.smallest()
    if smallest:
        lines.append("  Smallest valid:   " + ", ".join(f"{k} = {v}" for k, v in
                                                       smallest.items()))
    return lines


def sizes_json(graph: Graph) -> dict[str, Any] | None:
    """``{"dims", "valid", "smallest", "exact", "bound"}``, or None without named sizes."""
    if not graph.dims:
        return None
    sizes = graph.sizes
    return {
        "dims": list(graph.dims),
        "bound": dict(graph.bound),
        "valid": [s.format(False) for s in sizes.solutions] if sizes else [],
        "smallest": sizes.smallest() if sizes else {},
        "exact": all(s.exact for s in sizes.solutions) if sizes else True,
    }


def peak_activation_bytes(graph: Graph) -> int | None:
    """The most bytes of activations alive at once when the layers run in order (each tensor
    lives from the layer that makes it to the last layer that reads it; the model's outputs
    until the end), per example; None unless every shape is concrete.

    A peak is a maximum over layers, which depends on the sizes: it is computed at concrete
    shapes (``--input``), not as a formula.
    """
    last_use: dict[int, int] = {}
    for i, node in enumerate(graph.nodes):
        for t in node.inputs:
            last_use[t.id] = i
    end = len(graph.nodes)
    for p in graph.outputs:
        last_use[p.tensor.id] = end
    live: dict[int, int] = {}
    for p in graph.inputs:
        size = _bytes(p.tensor.shape, p.tensor.dtype)
        if size is None:
            return None
        live[p.tensor.id] = size
    peak = sum(live.values())
    for i, node in enumerate(graph.nodes):
        size = _bytes(node.output.shape, node.output.dtype)
        if size is None:
            return None
        live[node.output.id] = size
        peak = max(peak, sum(live.values()))
        for t in [*node.inputs, node.output]:
            if last_use.get(t.id, -1) <= i:
                live.pop(t.id, None)
    return peak


def _bytes(shape, dtype: str) -> int | None:
    if shape is None:
        return None
    total = DTYPE_BYTES.get(dtype, 4)
    for d in shape[1:]:  # per example
        if not isinstance(d, int):
            return None
        total *= d
    return total
