"""Accounting again after an edit, looking only at the layers the edit changed.

After an incremental lowering (:mod:`slimdsl.lower.incremental`) most of a model's nodes are
the old objects, already accounted (``Node.accounted``); :func:`slimdsl.accounting.
account_collecting` would still visit every one of them to add up the totals and to look for
two layers creating the same variable. :class:`ModelAccounts` keeps, for one model, the node
list it accounted last, the totals and how many variables share each lower-cased name; after an
edit it finds the nodes that changed (the old list and the new one share a prefix and a
suffix of the same objects), accounts only the new ones (with ``account_collecting`` itself, on
a graph of just those nodes) and updates the totals and the name counts.

That is the answer ``account_collecting(graph, diags, reuse=True)`` gives whenever it reports
nothing: every node has its shapes and variables and no two variable names are equal ignoring
case. Otherwise (an error anywhere in the model, a name clash) the graph is accounted in full
by ``account_collecting``, which reports what is wrong in its order, and the counts are built
again from that. ``tests/lsp/test_accounts.py`` compares both on random edits.
"""

from __future__ import annotations

from collections import Counter

from ..accounting import account_collecting, runtime_params
from ..diagnostics import Diagnostics
from ..ir import Graph, Node, changed_range


class ModelAccounts:
    """The accounting state of one model between two edits (see the module's docstring)."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.variables: list = []  # graph.variables, as accounted last
        self.counts: list[int] = []  # each node's number of variables
        self.fast = False  # the last accounting found nothing wrong (the state is usable)
        self.folded: Counter[str] = Counter()  # lower-cased variable name -> variables
        self.clashes = 0  # names of ``folded`` held by more than one variable
        self.total = self.trainable = 0
        self.flops = 0
        #: How many accountings looked only at the changed nodes (``fast``) or at all.
        self.stats = {"fast": 0, "full": 0}

    def account(self, graph: Graph, diags: Diagnostics) -> None:
        """Account ``graph`` as ``account_collecting(graph, diags, reuse=True)`` does."""
        if not (self.fast and self._update(graph)):
            self._full(graph, diags)

    def _full(self, graph: Graph, diags: Diagnostics) -> None:
        self.stats["full"] += 1
        before = len(diags.items)
        account_collecting(graph, diags, reuse=True)
        self.nodes = list(graph.nodes)
        self.fast = len(diags.items) == before and graph.flops is not None and \
            graph.runtime_analysis is not None
        if not self.fast:
            return
        self.variables = graph.variables
        self.counts = [len(node.variables) for node in graph.nodes]
        self.folded = Counter(v.name.lower() for node in graph.nodes for v in node.variables)
        self.clashes = sum(1 for c in self.folded.values() if c > 1)
        self.total, self.trainable = graph.total_params, graph.trainable_params
        self.flops = graph.flops

    def _update(self, graph: Graph) -> bool:
        """Account the nodes that changed since the last time; False when the model must be
        accounted in full (a new node fails, or two variables now share a name)."""
        new = graph.nodes
        head, old_end, new_end = changed_range(self.nodes, new)
        removed, added = self.nodes[head:old_end], new[head:new_end]
        part = Graph(graph.name, graph.path, graph.span, graph.params, nodes=added)
        found = Diagnostics()
        account_collecting(part, found, reuse=True)
        if found.items or part.flops is None or part.runtime_analysis is None:
            return False
        folded, clashes = self.folded, self.clashes
        for node in removed:
            for v in node.variables:
                key = v.name.lower()
                folded[key] -= 1
                clashes -= folded[key] == 1
        for node in added:
            for v in node.variables:
                key = v.name.lower()
                folded[key] += 1
                clashes += folded[key] == 2
        self.clashes = clashes
        self.nodes = list(new)
        if clashes:  # account_collecting says which and where
            self.fast = False
            return False
        self.stats["fast"] += 1
        self.total += part.total_params - sum(node.params for node in removed)
        self.trainable += part.trainable_params - sum(node.trainable_params for node in removed)
        self.flops += part.flops - sum(node.flops or 0 for node in removed)
        # graph.variables: the kept nodes' variables around the new nodes' ones
        first = sum(self.counts[:head])
        last = first + sum(self.counts[head:old_end])
        self.variables = graph.variables = self.variables[:first] + part.variables + \
            self.variables[last:]
        self.counts[head:old_end] = [len(node.variables) for node in added]
        graph.total_params, graph.trainable_params = self.total, self.trainable
        graph.flops = self.flops
        graph.set_runtime_analysis(runtime_params)
        return True
