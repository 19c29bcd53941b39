"""Receptive fields of a model's layers (``slimc summary --receptive-field``, issue 14).

For every layer whose output is an NHWC tensor, along the height and the width: the effective
stride (input pixels between neighbouring units), the receptive field's size (input pixels one
unit sees, padding included) and the centre of unit 0 in input pixels, which SAME padding makes
depend on the input size (an exact formula for named sizes, e.g. ``H - 2*ceil(H / 2) + 1``).
The arithmetic is :mod:`slimdsl.symbolic.receptive`; this module walks the graph.

Layers that combine branches (``concat``, ``add``) take the field of their widest input;
layers that mix every position (``reduce_mean`` over H and W, ``flatten``,
``fully_connected``) see the whole input and end the analysis along that path.
"""

from __future__ import annotations

from typing import Any

from ..ir import Graph, Node
from ..symbolic.expr import Undecidable
from ..symbolic.receptive import Field, conv_field, input_field, pad_field, transpose_field

#: Layer kinds that slide a window (kernel_size, stride, padding, rate in their arguments).
WINDOWS = {"conv2d", "separable_conv2d", "conv2d_in_plane", "max_pool2d", "avg_pool2d"}

Fields = tuple[Field | None, Field | None]  # height, width; None: the centre is undecidable


def receptive_fields(graph: Graph) -> dict[int, Fields]:
    """Node id -> its output's (height, width) fields, for the nodes that keep H and W."""
    by_tensor: dict[int, Fields] = {p.tensor.id: (input_field(), input_field())
                                    for p in graph.inputs if _spatial(p.tensor.shape)}
    out: dict[int, Fields] = {}
    for node in graph.nodes:
        ins = [by_tensor[t.id] for t in node.inputs if t.id in by_tensor]
        if not ins or not _spatial(node.output.shape) or len(ins) != len(node.inputs) or \
                _global(node):
            continue
        fields = tuple(_axis(node, axis, _widest([f[axis] for f in ins])) for axis in (0, 1))
        by_tensor[node.output.id] = out[node.id] = fields  # type: ignore[assignment]
    return out


def _spatial(shape: Any) -> bool:
    return shape is not None and len(shape) == 4


def _widest(fields: list[Field | None]) -> Field | None:
    if any(f is None for f in fields):
        return None
    return max(fields, key=lambda f: f.size)  # type: ignore[arg-type,return-value]


def _axis(node: Node, axis: int, f: Field | None) -> Field | None:
    """The field of ``node``'s output along spatial axis ``axis`` (0: height, 1: width)."""
    if f is None:
        return None
    a = node.args
    size = node.inputs[0].shape[1 + axis] if node.inputs[0].shape else None
    try:
        if node.kind in WINDOWS:
            return conv_field(f, a["kernel_size"][axis], a["stride"][axis], a["padding"],
                              a.get("rate", (1, 1))[axis], in_size=size)
        if node.kind == "conv2d_same":
            padding = "SAME" if a["stride"][axis] == 1 else "conv2d_same"
            return conv_field(f, a["kernel_size"][axis], a["stride"][axis], padding,
                              a["rate"][axis], in_size=size)
        if node.kind == "subsample":
            return conv_field(f, 1, a["factor"], "VALID")
        if node.kind == "conv2d_transpose":
            return transpose_field(f, a["kernel_size"][axis], a["stride"][axis], a["padding"])
        if node.kind == "pad":
            return pad_field(f, a["paddings"][1 + axis][0])
    except (Undecidable, ValueError):  # SAME with 1 < k < s on a named size: --input decides
        return None
    return f


def _global(node: Node) -> bool:
    """A layer that mixes every position of H or W (global pooling)."""
    axes = node.args.get("axis") if node.kind == "reduce_mean" else ()
    return axes is None or any(x % 4 in (1, 2) for x in axes)


def field_text(fields: Fields, part: str) -> str:
    """One column of the summary: ``32`` or ``32x16`` (height x width), ``?`` if unknown."""
    texts = []
    for f in fields:
        if f is None:
            texts.append("?")
        elif part == "stride":
            texts.append(_q(f.jump))
        elif part == "size":
            texts.append(_q(f.size))
        else:
            texts.append(_centre(f))
    return texts[0] if texts[0] == texts[1] else f"{texts[0]} x {texts[1]}"


def field_json(fields: Fields) -> dict[str, list]:
    """``{"stride": [h, w], "size": [h, w], "centre": [h, w]}``; numbers, or text for a
    formula or a fraction; null where unknown."""
    out: dict[str, list] = {"stride": [], "size": [], "centre": []}
    for f in fields:
        out["stride"].append(None if f is None else _json(f.jump))
        out["size"].append(None if f is None else _json(f.size))
        out["centre"].append(None if f is None else (
            f.start.num.const if not f.start.num.terms and f.start.den == 1 else _centre(f)))
    return out


def _centre(f: Field) -> str:
    """``2``, ``-3/2`` or a formula such as ``(H - 2*ceil(H / 2) + 1)/2``."""
    if not f.start.num.terms:
        return _q(f.start.at())
    return f.start.format()


def _q(q) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _json(q) -> int | str:
    return q.numerator if q.denominator == 1 else _q(q)
