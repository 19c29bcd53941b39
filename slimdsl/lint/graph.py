"""Lints read off a model's IR graph: layers whose output reaches nothing, ``fully_connected``
on image-shaped tensors, layers that repeat what the layer before them did.

They run only on graphs lowered without errors: a partial graph would make live layers look
dead.
"""

from __future__ import annotations

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Span
from ..ir import Graph, Node, changed_nodes, relative_scope
from ..layers.shapes import format_shape
from ..values import Activation, LayerRef

#: Activation layers applying which twice changes nothing, and the activation value that
#: makes them redundant after a layer.
_IDEMPOTENT = {kind: Activation(kind) for kind in ("relu", "relu6")}
_BATCH_NORM = LayerRef("batch_norm")
#: The kinds :func:`lint_layers` looks at (the language server lints every edit: the other
#: layers are not looked at one by one).
_LINTED = frozenset({"fully_connected", "batch_norm", *_IDEMPOTENT})


def site(node: Node) -> Span:
    """Where a node is reported: the outermost call it was expanded from (a block call in the
    model body), else its own statement."""
    return node.trail[0] if node.trail else node.span


def _contains(outer: Span, inner: Span) -> bool:
    return outer.path == inner.path and \
        (outer.line, outer.column) <= (inner.line, inner.column) and \
        (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


def lint_dead_layers(graph: Graph, diags: Diagnostics, known: list[Span]) -> None:
    """Report each call whose layers reach no output, end point or later layer, once (not
    within a statement in ``known``: an unused binding already explains it)."""
    live: set[int] = set()
    stack = [p.tensor for p in graph.outputs] + list(graph.end_points.values())
    while stack:
        t = stack.pop()
        if t.id in live:
            continue
        live.add(t.id)
        if t.producer is not None:
            stack.extend(t.producer.inputs)
    dead: dict[Span, list[Node]] = {}
    for node in graph.nodes:
        if node.output.id not in live:
            dead.setdefault(site(node), []).append(node)
    if not dead:
        return
    consumed = {t.id for node in graph.nodes for t in node.inputs}
    for where, nodes in dead.items():
        if any(_contains(k, where) for k in known):
            continue
        sinks = [nd for nd in nodes if nd.output.id not in consumed]
        if not sinks:
            continue  # feeds another dead call, reported there
        last = sinks[-1]
        scope = relative_scope(last.scope, graph.name)
        notes = []
        if len(nodes) > 1:
            notes.append(f"{len(nodes)} layers of this statement are dead "
                         f"({', '.join(relative_scope(x.scope, graph.name) for x in nodes[:4])}"
                         f"{', ...' if len(nodes) > 4 else ''})")
        notes.append("its output is not an output or end point, and no later layer reads it: "
                      "did a later layer mean to take it as its input?")
        diags.warning(where, dg.DEAD_LAYER,
                      f"the output of '{scope}' ({last.kind}) is never used", notes)


def lint_layers(graph: Graph, diags: Diagnostics) -> None:
    """``fully_connected`` on rank 4, and layers redundant after their input's layer."""
    for node in graph.nodes:
        if node.kind in _LINTED:
            lint_layer(node, graph.name, diags)


def lint_layer(node: Node, model: str, diags: Diagnostics) -> None:
    """:func:`lint_layers` for one node (``model``: the graph's name)."""
    kind = node.kind
    if kind not in _LINTED or not node.inputs:
        return
    x = node.inputs[0]
    if kind == "fully_connected" and x.shape is not None and len(x.shape) == 4:
        diags.warning(node.span, dg.FC_RANK4,
                      f"fully_connected on the rank-4 tensor {format_shape(x.shape)} acts "
                      f"on its last axis only (output {format_shape(node.output.shape)})",
                      ["flatten() it first, or write conv2d(n, 1) if a 1x1 convolution is "
                       "meant"])
    producer = x.producer
    if producer is None:
        return
    if kind in _IDEMPOTENT:
        given = producer.args.get("activation_fn")
        if given is not None and given == _IDEMPOTENT[kind]:
            diags.warning(node.span, dg.REDUNDANT_LAYER,
                          f"{kind} after '{relative_scope(producer.scope, model)}', "
                          f"whose activation_fn is already {kind}: it changes nothing",
                          ["remove it, or give that layer activation_fn=none"])
    elif kind == "batch_norm":
        given = producer.args.get("normalizer_fn")
        if given is not None and given == _BATCH_NORM:
            diags.warning(node.span, dg.REDUNDANT_LAYER,
                          f"batch_norm after '{relative_scope(producer.scope, model)}', "
                          f"which is already normalized (normalizer_fn=batch_norm)",
                          ["remove one of the two"])


class GraphLints:
    """The graph lints of one model, kept between edits (the language server's): after an
    edit, only the nodes that changed (:func:`~slimdsl.ir.changed_nodes`) and those reading
    their outputs are looked at again.

    :func:`lint_layers`' findings are kept per node. :func:`lint_dead_layers` runs only when
    some layer may be dead: a tensor that a node produces, no node reads and that is not an
    output or end point (without one, following any tensor's readers always reaches an
    output or end point: every layer is live). Tensors are counted by id (the ids a node had
    when it was counted: an early cutoff may give a dropped node's output another id).
    """

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self._counted: dict[int, tuple[Node, tuple[int, ...], tuple[int, ...]]] = {}
        self._readers: dict[int, list[Node]] = {}  # tensor id -> the nodes reading it
        self._produced: set[int] = set()
        self._unread: set[int] = set()  # produced and read by no node
        #: id(node) -> the node, lint_layer's findings, and the node's span then (an edit that
        #: adds or removes lines moves the spans of the nodes an early cutoff keeps)
        self._findings: dict[int, tuple[Node, list, Span]] = {}

    def run(self, graph: Graph, diags: Diagnostics, known: list[Span]) -> None:
        """Add the graph lints' findings for ``graph`` to ``diags``, as
        ``lint_dead_layers(graph, diags, known)`` and ``lint_layers(graph, diags)`` do."""
        removed, added = changed_nodes(self.nodes, graph.nodes)
        self.nodes = list(graph.nodes)
        for node in removed:
            self._remove(node)
        again = dict.fromkeys(added)  # and the nodes reading what they produce
        for node in added:
            self._add(node)
        for node in added:
            for t in node.outputs:
                again.update(dict.fromkeys(self._readers.get(t.id, ())))
        for node in again:
            if node.kind in _LINTED:
                self._lint(node, graph.name)
        roots = {p.tensor.id for p in graph.outputs} | \
            {t.id for t in graph.end_points.values()}
        if not self._unread <= roots:
            lint_dead_layers(graph, diags, known)
        if self._findings:
            for node in graph.nodes:
                found = self._findings.get(id(node))
                if found is not None and found[2] is not node.span:  # moved
                    self._lint(node, graph.name)
                    found = self._findings.get(id(node))
                if found is not None:
                    diags.extend(found[1])

    def _lint(self, node: Node, model: str) -> None:
        found = Diagnostics()
        lint_layer(node, model, found)
        if found.items:
            self._findings[id(node)] = (node, found.items, node.span)
        else:
            self._findings.pop(id(node), None)

    def _add(self, node: Node) -> None:
        ins = tuple(t.id for t in node.inputs)
        outs = tuple(t.id for t in node.outputs)
        self._counted[id(node)] = (node, ins, outs)
        for t in ins:
            readers = self._readers.setdefault(t, [])
            readers.append(node)
            if len(readers) == 1:
                self._unread.discard(t)
        for t in outs:
            self._produced.add(t)
            if not self._readers.get(t):
                self._unread.add(t)

    def _remove(self, node: Node) -> None:
        _, ins, outs = self._counted.pop(id(node))
        self._findings.pop(id(node), None)
        for t in outs:
            self._produced.discard(t)
            self._unread.discard(t)
        for t in ins:
            readers = self._readers[t]
            readers.remove(node)
            if not readers:
                del self._readers[t]
                if t in self._produced:
                    self._unread.add(t)
