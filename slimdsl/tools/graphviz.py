"""``slimc graph``: a model as a Graphviz picture (DOT, or SVG/PNG through ``dot``).

Every layer is a box (scope name, layer kind with its key arguments, parameter count), every
edge carries the shape of the tensor it stands for, and variable scopes holding two or more
layers (``repeat``/``stack`` groups, block calls, ``scope`` statements, Inception branches)
are drawn as nested clusters. DOT is written directly; only SVG/PNG need Graphviz installed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from ..ir import Graph, Node, relative_scope
from ..layers import LAYERS
from ..layers.op_shapes import format_subscripts
from ..layers.shapes import format_shape
from ..values import show
from .sizes import count_text

#: Fill colours by registry category (pastel, readable with black text, printable).
COLORS = {"layer": "#dbe9f6", "pool": "#def2d9", "combine": "#fde2c4", "activation": "#eeeeee",
          "reshape": "#fff5c2"}
CLUSTER_COLORS = ("#f7f7f7", "#efefef", "#e7e7e7", "#dfdfdf")
IMAGE_FORMATS = ("svg", "png", "pdf")


class GraphvizMissing(RuntimeError):
    """Graphviz's ``dot`` is not installed (only DOT output is possible)."""


def quote(text: str) -> str:
    """A DOT double-quoted string (labels: ``\\n`` stays a line break)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _pair(v) -> str:
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return f"{v[0]}x{v[1]}"
    return f"{v}x{v}"


def describe(node: Node) -> str:
    """One line: the layer kind and its most telling arguments (``conv2d 3x3/2, 64``)."""
    a = node.args
    text = node.kind
    if "kernel_size" in a and a["kernel_size"] is not None:
        text += " " + _pair(a["kernel_size"])
        stride = a.get("stride")
        if stride not in (None, 1, (1, 1), [1, 1]):
            text += "/" + (str(stride[0]) if isinstance(stride, (list, tuple))
                           and stride[0] == stride[1] else _pair(stride))
        rate = a.get("rate")
        if rate not in (None, 1, (1, 1), [1, 1]):
            text += f" rate {rate[0] if isinstance(rate, (list, tuple)) else rate}"
    if a.get("num_outputs") is not None:
        text += f", {a['num_outputs']}"
    if node.kind == "dropout":
        text += f" {a.get('keep_prob')}"
    if node.kind == "concat":
        text += f" axis {a.get('axis')}"
    if node.kind == "subsample":
        text += f" /{a.get('factor')}"
    consts = [show(t.const) for t in node.inputs if t.const is not None]
    if consts:
        text += " " + ", ".join(consts)
    if node.kind == "strided_slice":
        text = f"[{format_subscripts(a['subscripts'])}]"
    if node.kind in ("reshape", "resize", "tile"):
        text += " " + show(a.get("shape") or a.get("size") or a.get("multiples"))
    if node.kind == "pad" and a.get("mode", "CONSTANT") != "CONSTANT":
        text += f" {a['mode']}"
    if a.get("padding") == "VALID" and node.kind not in ("max_pool2d", "avg_pool2d"):
        text += " VALID"
    return text


@dataclass
class _Cluster:
    name: str
    path: str
    children: dict[str, _Cluster] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)

    def count(self) -> int:
        return len(self.nodes) + sum(c.count() for c in self.children.values())


def _tree(graph: Graph) -> _Cluster:
    """Nodes placed in nested scope clusters. A scope with one layer gets no box of its own,
    unless it is one of several sibling scopes inside a box (an Inception branch)."""
    root = _Cluster("", "")
    for node in graph.nodes:
        parts = relative_scope(node.scope, graph.scope).split("/")[:-1]
        where = root
        for i, part in enumerate(parts):
            where = where.children.setdefault(part, _Cluster(part, "/".join(parts[:i + 1])))
        where.nodes.append(node)

    def dissolve(c: _Cluster) -> None:
        siblings = len(c.children) >= 2 and c is not root
        for name in list(c.children):
            child = c.children[name]
            dissolve(child)
            if child.count() < 2 and not siblings:  # no box; the layer's label says the scope
                del c.children[name]
                c.nodes.extend(child.nodes)
                for grandchild in child.children.values():  # pragma: no cover - count < 2
                    c.children[grandchild.name] = grandchild
    dissolve(root)
    return root


def to_dot(graph: Graph, rankdir: str = "TB") -> str:
    """The DOT text of ``graph``."""
    ids = {node.id: f"n{node.id}" for node in graph.nodes}
    lines = [f"digraph {quote(graph.name)} {{",
             f"  graph [rankdir={rankdir}, fontname=\"Helvetica\", fontsize=12, "
             f"label={quote(_title(graph))}, labelloc=t, nodesep=0.25, ranksep=0.35, "
             f"newrank=true];",
             "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, "
             "margin=\"0.12,0.04\", penwidth=0.8];",
             "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\", arrowsize=0.6];"]
    tensor_source: dict[int, str] = {}
    for i, port in enumerate(graph.inputs):
        pid = f"in{i}"
        tensor_source[port.tensor.id] = pid
        text = port.name
        if port.tensor.shape is not None:
            text += "\n" + format_shape(port.tensor.shape)
        lines.append(f"  {pid} [label={quote(text)}, shape=oval, fillcolor=\"#ffffff\"];")
    for node in graph.nodes:
        for t in node.outputs:
            tensor_source[t.id] = ids[node.id]

    def emit(c: _Cluster, depth: int, indent: str) -> None:
        for node in c.nodes:
            label = relative_scope(node.scope, graph.scope)
            if c.path and label.startswith(c.path + "/"):
                label = label[len(c.path) + 1:]
            kind = describe(node)
            text = label if kind == label else f"{label}\n{kind}"
            if node.params:
                text += f"\n{node.params:,} params"
            color = COLORS.get(LAYERS[node.kind].category, "#ffffff") \
                if node.kind in LAYERS else "#ffffff"
            lines.append(f"{indent}{ids[node.id]} [label={quote(text)}, fillcolor=\"{color}\", "
                         f"tooltip={quote(f'{node.scope} (line {node.span.line})')}];")
        for child in c.children.values():
            lines.append(f"{indent}subgraph {quote('cluster_' + child.path)} {{")
            fill = CLUSTER_COLORS[min(depth, len(CLUSTER_COLORS) - 1)]
            lines.append(f"{indent}  graph [label={quote(child.name)}, style=\"rounded,filled\", "
                         f"fillcolor=\"{fill}\", color=\"#999999\", labeljust=l, fontsize=11];")
            emit(child, depth + 1, indent + "  ")
            lines.append(f"{indent}}}")

    emit(_tree(graph), 0, "  ")
    for node in graph.nodes:
        for t in node.inputs:
            src = tensor_source.get(t.id)
            if src is None:
                continue
            label = quote(" " + format_shape(t.shape))
            lines.append(f"  {src} -> {ids[node.id]} [label={label}];")
    for i, port in enumerate(graph.outputs):
        pid = f"out{i}"
        lines.append(f"  {pid} [label={quote(port.name)}, shape=oval, fillcolor=\"#ffffff\"];")
        src = tensor_source.get(port.tensor.id)
        if src is not None:
            label = quote(" " + format_shape(port.tensor.shape))
            lines.append(f"  {src} -> {pid} [label={label}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _title(graph: Graph) -> str:
    flops = f"{graph.flops / 1e9:.2f} GFLOPs" if isinstance(graph.flops, int) \
        else f"{count_text(graph.flops)} FLOPs"
    return f"{graph.name}: {len(graph.nodes)} layers, {graph.total_params:,} params, {flops}"


def render(dot: str, fmt: str) -> bytes:
    """Run Graphviz ``dot -T<fmt>`` on DOT text; :class:`GraphvizMissing` if it is absent."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing(f"writing .{fmt} needs Graphviz's 'dot' program, which is not "
                              f"installed (Debian/Ubuntu: apt-get install graphviz; macOS: brew "
                              f"install graphviz); .dot output works without it")
    import subprocess  # only to render images; `slimc check` should not pay for it

    r = subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"dot -T{fmt} failed: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout
