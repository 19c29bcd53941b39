"""``slimc explain``: one layer's effective arguments and where each came from.

For a layer (found by its full or model-relative scope name, or by a unique trailing part of
it) this shows every effective argument with its origin — the layer default, the
``arg_scope(...)`` that set it (with its file and line), or the call itself — plus the input and
output shapes, the variables TF-Slim would create, parameters and FLOPs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ..diagnostics import CompileError, Span, did_you_mean
from ..frontend import tree as n
from ..frontend.parser import parse
from ..ir import ArgSource, Graph, Node, relative_scope
from ..layers.shapes import format_shape
from ..values import show
from .sizes import count_json, count_text
from .summary import shape_json

_VALUE_WIDTH = 40


class LayerNotFound(LookupError):
    """LAYER matched nothing, or several layers; the message says what to type instead."""


def find_layer(graph: Graph, query: str) -> Node:
    """The node whose scope is ``query`` (full, model-relative, or a unique suffix)."""
    q = query.strip("/")
    rel = {node: relative_scope(node.scope, graph.scope) for node in graph.nodes}
    for node in graph.nodes:
        if q in (node.scope, rel[node]):
            return node
    suffix = [node for node in graph.nodes if rel[node].endswith("/" + q)]
    if len(suffix) == 1:
        return suffix[0]
    if len(suffix) > 1:
        names = ", ".join(rel[node] for node in suffix[:8])
        more = f" (and {len(suffix) - 8} more)" if len(suffix) > 8 else ""
        raise LayerNotFound(f"'{query}' matches {len(suffix)} layers of {graph.name}: "
                           f"{names}{more}; give more of the scope")
    inside = [node for node in graph.nodes if (rel[node] + "/").startswith(q + "/")
              or (node.scope + "/").startswith(q + "/")]
    if inside:
        names = ", ".join(rel[node] for node in inside[:8])
        more = f" (and {len(inside) - 8} more)" if len(inside) > 8 else ""
        raise LayerNotFound(f"'{query}' is a scope holding {len(inside)} layers: {names}{more}")
    raise LayerNotFound(f"no layer '{query}' in {graph.name}"
                       f"{did_you_mean(q, list(rel.values()))}")


@dataclass
class Origin:
    """Where an argument came from, for people and for JSON."""

    kind: str  # default | explicit | arg_scope | derived
    text: str
    path: str | None = None
    line: int | None = None


#: Keyword position -> (the arg_scope statement holding it, its layer list as written).
ArgScopeIndex = dict[tuple[int, int], tuple[n.ArgScopeStmt, str]]


@functools.lru_cache(maxsize=32)
def _arg_scopes(path: str, text: str) -> ArgScopeIndex:
    try:
        tree = parse(text, path)
    except CompileError:
        return {}
    return arg_scope_index(tree, text)


def arg_scope_index(tree: n.File, text: str) -> ArgScopeIndex:
    """Every arg_scope keyword of a parsed file by position, with its statement and its layer
    list as written (``arg_scope([conv2d, fully_connected])``)."""
    lines = text.splitlines()
    out: dict[tuple[int, int], tuple[n.ArgScopeStmt, str]] = {}

    def walk(body) -> None:
        for stmt in body:
            if isinstance(stmt, n.ArgScopeStmt):
                listed = _source_text(lines, stmt.layers.span)
                for kw in stmt.kwargs:
                    out[(kw.span.line, kw.span.column)] = (stmt, listed)
                walk(stmt.body)
            elif isinstance(stmt, (n.ScopeStmt, n.ForStmt)):
                walk(stmt.body)
            elif isinstance(stmt, n.IfStmt):
                for _, b in stmt.clauses:
                    walk(b)
                walk(stmt.otherwise or ())
            elif isinstance(stmt, n.LayerStmt) and stmt.branches:
                for br in stmt.branches:
                    walk(br.body)

    for d in tuple(tree.models) + tuple(tree.blocks):
        walk(getattr(d, "body", ()))
    return out


def _source_text(lines: list[str], span: Span) -> str:
    if span.line != span.end_line or not 1 <= span.line <= len(lines):
        return "..."
    return lines[span.line - 1][span.column - 1:span.end_column - 1]


def origin(source: ArgSource | None, model_path: str,
           read=lambda path: open(path, encoding="utf-8").read(), scopes=None) -> Origin:
    """Describe one :class:`ArgSource`; ``arg_scope`` sources name the statement's layers.

    ``read(path)`` gives a file's text; ``scopes(path)``, when given, its
    :func:`arg_scope_index` instead (the language server has the trees already).
    """
    if source is None:
        return Origin("derived", "derived")
    where = ""
    if source.span is not None:
        where = f"line {source.span.line}" if source.span.path == model_path else \
            f"{source.span.path}:{source.span.line}"
    param = f", = parameter {source.param}" if source.param else ""
    if source.kind == "default":
        return Origin("default", "layer default")
    if source.kind == "explicit":
        return Origin("explicit", f"explicit at {where}{param}", source.span.path,
                      source.span.line)
    if source.kind == "arg_scope" and source.span is not None:
        try:
            found = scopes(source.span.path) if scopes is not None else \
                _arg_scopes(source.span.path, read(source.span.path))
        except OSError:
            found = {}
        stmt = found.get((source.span.line, source.span.column))
        if stmt is not None:
            at = f"line {stmt[0].span.line}" if source.span.path == model_path else \
                f"{source.span.path}:{stmt[0].span.line}"
            return Origin("arg_scope", f"arg_scope({stmt[1]}) at {at}{param}",
                          source.span.path, stmt[0].span.line)
        return Origin("arg_scope", f"arg_scope at {where}{param}", source.span.path,
                      source.span.line)
    return Origin(source.kind, source.kind.replace("_", " ") + (f" at {where}" if where else ""),
                  source.span.path if source.span else None,
                  source.span.line if source.span else None)


def explain_dict(graph: Graph, node: Node, read=None, scopes=None) -> dict[str, Any]:
    """Everything :func:`explain_text` shows, as JSON-ready data (``read`` and ``scopes`` as
    for :func:`origin`)."""
    kwargs: dict[str, Any] = {"read": read} if read else {}
    if scopes is not None:
        kwargs["scopes"] = scopes
    args = []
    for name, value in node.args.items():
        source = node.sources.get(name)
        o = origin(source, graph.path, **kwargs)
        if name == "normalizer_params" and node.args.get("normalizer_fn") is not None:
            # lowering merges the normalizer's defaults < its arg_scope < these params
            norm = node.args["normalizer_fn"].kind
            o = Origin("derived", f"derived: {norm} defaults < arg_scope([{norm}])"
                       + ("" if source is None or source.kind == "default"
                          else f" < normalizer_params ({o.text})"), o.path, o.line)
        args.append({"name": name, "value": show(value), "source": o.kind, "origin": o.text,
                     "path": o.path, "line": o.line})
    return {
        "model": graph.name,
        "layer": node.scope,
        "kind": node.kind,
        "path": node.span.path,
        "line": node.span.line,
        "expanded_through": [{"path": s.path, "line": s.line} for s in node.trail
                             if s != node.span],
        "inputs": [{"shape": shape_json(t.shape), "from": _producer(t, graph)}
                   for t in node.inputs],
        "output": {"shape": shape_json(node.output.shape)},
        **({"outputs": [{"shape": shape_json(t.shape)} for t in node.outputs]}
           if node.more_outputs else {}),
        "arguments": args,
        "variables": [{"name": v.name, "shape": list(v.shape), "trainable": v.trainable,
                       "initializer": show(v.initializer),
                       "regularizer": None if v.regularizer is None else show(v.regularizer)}
                      for v in node.variables],
        "params": node.params,
        "flops": count_json(node.flops),
    }


def _producer(tensor, graph: Graph) -> str:
    if tensor.const is not None:
        return "a number in the expression"
    if tensor.producer is not None:
        return relative_scope(tensor.producer.scope, graph.scope)
    return tensor.name


def explain_text(graph: Graph, node: Node, read=None, scopes=None) -> str:
    """The human-readable report of ``slimc explain``."""
    d = explain_dict(graph, node, read, scopes)
    where = f"{d['path']}:{d['line']}"
    out = [f"{node.scope}  ({node.kind}, {where})"]
    for t in d["expanded_through"]:
        out.append(f"  expanded through the call at {t['path']}:{t['line']}")
    out.append("")
    for tensor, t in zip(node.inputs, d["inputs"]):
        shown = show(tensor.const) if tensor.const is not None else format_shape(tensor.shape)
        out.append(f"  input   {shown}  from {t['from']}")
    for tensor in node.outputs:
        out.append(f"  output  {format_shape(tensor.shape)}")
    out.append("")
    out.append("  arguments:")
    if not d["arguments"]:
        out.append("    (none)")
    wn = max((len(a["name"]) for a in d["arguments"]), default=0)
    short = [a for a in d["arguments"] if len(a["value"]) <= _VALUE_WIDTH]
    wv = max((len(a["value"]) for a in short), default=0)
    for a in d["arguments"]:
        if len(a["value"]) <= _VALUE_WIDTH:
            out.append(f"    {a['name'].ljust(wn)}  {a['value'].ljust(wv)}  {a['origin']}")
        else:  # a long value (normalizer_params) on its own line
            out.append(f"    {a['name'].ljust(wn)}  {''.ljust(wv)}  {a['origin']}")
            out.append(f"      = {a['value']}")
    out.append("")
    out.append(f"  variables ({len(node.variables)}):" if node.variables else "  variables: none")
    if node.variables:
        rows = [(v["name"], format_shape(tuple(v["shape"])),
                 "trainable" if v["trainable"] else "not trainable",
                 v["initializer"] + (f", {v['regularizer']}" if v["regularizer"] else ""))
                for v in d["variables"]]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            out.append("    " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[3])
    flops = count_text(node.flops)
    out.append("")
    out.append(f"  parameters: {node.params:,}    FLOPs: {flops} per example")
    return "\n".join(out)
