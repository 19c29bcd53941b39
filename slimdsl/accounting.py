"""Stage 3, account: the variables, parameter counts and FLOPs of a lowered graph, and which
model parameters may stay parameters at run time.

For every node, the registry says which variables TF-Slim would create (names relative to the
layer's scope, shapes, trainable flags); this pass makes the names absolute, checks that no two
layers would create the same variable (TF-Slim raises "Variable ... already exists"), and adds
up parameters and FLOPs (multiply-adds count 2; see docs/language.md, "FLOPs").

Then, for a complete graph, :func:`runtime_params`: a parameter used only as whole layer
arguments that the registry marks run-time (``Arg.runtime``) may be read at run time by
generated code. A *size* (``num_outputs``) qualifies only if the sizes that follow from it can
be named: the registry's own shape and variable rules run again with a marker value in its
place, and a marker that reaches anything but a plain dimension (a flatten size, a concat, a
stride, a loop bound...) makes the parameter structural, fixed at compile time.
"""

from __future__ import annotations

from math import prod
from typing import Any

from . import diagnostics as dg
from .diagnostics import CompileError, Diagnostics, Note
from .ir import Graph, Node, RuntimeParams, SymShape, Variable
from .layers import LAYERS, RUNTIME_SIZE, RUNTIME_VALUE
from .layers.shapes import Shape, ShapeError


def account(graph: Graph) -> Graph:
    """Fill ``variables``, ``params`` and ``flops`` of every node and the graph's totals, and
    set up the graph's :class:`~slimdsl.ir.RuntimeParams` (:func:`runtime_params`, run on
    first use of ``graph.runtime``); raise CompileError on any problem."""
    diags = Diagnostics()
    account_collecting(graph, diags)
    if diags.has_errors:
        raise CompileError(diags.items)
    return graph


def account_collecting(graph: Graph, diags: Diagnostics, *, reuse: bool = False) -> Graph:
    """Like :func:`account`, appending problems to ``diags`` instead of raising.

    ``reuse=True`` keeps the variables of nodes accounted before (the
    language server's incremental check keeps the nodes an edit did not change).
    """
    owners: dict[str, object] = {}
    folded: dict[str, str] = {}  # variable name in lower case -> the name as created
    graph.variables = []
    total_flops: int | None = 0
    total = trainable = 0
    complete = True
    for node in graph.nodes:
        if not (reuse and node.accounted):
            node.accounted = False
            kind = LAYERS[node.kind]
            in_shapes = [t.shape for t in node.inputs]
            out_shape = node.output.shape
            if out_shape is None or None in in_shapes:
                node.flops = None
                total_flops = None
                complete = False
                continue
            try:
                specs = kind.variables(in_shapes, out_shape, node.args)  # type: ignore[arg-type]
                flops = kind.flops(in_shapes, out_shape, node.args)  # type: ignore[arg-type]
            except ShapeError as e:  # e.g. unknown channel count with no shape rule for it
                diags.error(node.span, dg.SHAPE, f"{node.kind} '{node.scope}': {e}")
                complete = False
                continue
            # a spec named "" is the node's own name (model_variable: <scopes>/<name>)
            scope, variables, params, trainable_params = node.scope, [], 0, 0
            for v in specs:  # one loop (not three comprehensions): ~16,000 variables in the zoo
                variables.append(Variable(f"{scope}/{v.name}" if v.name else scope, v.shape,
                                          v.trainable, v.initializer, v.regularizer, v.role))
                size = prod(v.shape)  # Variable.size
                params += size
                if v.trainable:
                    trainable_params += size
            node.variables, node.params, node.trainable_params = variables, params, \
                trainable_params
            node.flops = flops
            node.accounted = True
        flops = node.flops
        total_flops = None if flops is None or total_flops is None else total_flops + flops
        clash = None
        for v in node.variables:
            if v.name in owners:
                clash = owners[v.name]
                break
        if clash is not None:  # one report per layer, not one per variable
            diags.error(node.span, dg.SCOPE_NAME,
                        f"scope '{node.scope}' is used twice: its variables already exist",
                        _clash_notes(node, clash))  # type: ignore[arg-type]
            complete = False
            continue
        lowered = [v.name.lower() for v in node.variables]
        twin = None
        for v, low in zip(node.variables, lowered):
            if low in folded:
                twin = (v, folded[low])
                break
        if twin is not None:  # `conv2d() as conv`, then `conv2d()`: m/conv and m/Conv
            diags.error(node.span, dg.SCOPE_NAME,
                        f"variable '{twin[0].name}' differs from '{twin[1]}' only in case",
                        [Note(f"'{twin[1]}' is created here", owners[twin[1]].span),
                         "TensorFlow keeps op names unique ignoring case, so TF-Slim names "
                         f"this variable '{twin[0].name}_1' (also in its checkpoints); slimc "
                         "does not rename variables: give one of the layers another name"])
            complete = False
            continue
        for v, low in zip(node.variables, lowered):
            owners[v.name] = node
            folded[low] = v.name
        graph.variables.extend(node.variables)
        total += node.params
        trainable += node.trainable_params
    graph.trainable_params = trainable
    graph.total_params = total
    graph.flops = total_flops
    graph.set_runtime_analysis(runtime_params if complete else None)  # run when asked for
    return graph


def _clash_notes(node: Node, first: Node) -> list[Note | str]:
    """Where the two layers come from: the calls (blocks, repeat, stack) that expanded them,
    since the name to change is often at a call site, not inside the block."""
    notes: list[Note | str] = [Note("first created here", first.span)]
    shared = 0  # the calls both expansions went through
    while shared < min(len(node.trail), len(first.trail)) and \
            node.trail[shared] == first.trail[shared]:
        shared += 1
    for site in reversed(node.trail[shared:]):
        notes.append(Note("the second comes through this call", site))
    for site in reversed(first.trail[shared:]):
        notes.append(Note("the first comes through this call", site))
    if shared and shared == len(node.trail) == len(first.trail):
        notes.append(Note("both come through this call, which runs more than once (in a loop?): "
                          "give each run its own name, e.g. as \"unit_{i}\"",
                          node.trail[shared - 1]))
    elif shared:
        notes.append(Note("both are inside this call", node.trail[shared - 1]))
    notes.append("TF-Slim raises \"Variable ... already exists\"; give the layers (or the calls "
                 "that create them) different names with 'as NAME' (default names such as Conv "
                 "start over when their variable scope is entered again)")
    return notes


# ---------------------------------------------------------------------------- run-time params

_MARKER = 1_000_000_007  # far from any real size; a dim equal to it came from the parameter


class _Structural(Exception):
    """These parameters cannot be read at run time; the analysis starts over without them."""

    def __init__(self, params: set[str]):
        super().__init__(", ".join(sorted(params)))
        self.params = params


def _runtime(node: Node, arg: str) -> str:
    """The registry's ``Arg.runtime`` of a node's argument ("" for none)."""
    spec = LAYERS[node.kind].arg(arg)
    return spec.runtime if spec is not None else ""


def runtime_params(graph: Graph) -> RuntimeParams:
    """Which model parameters generated code may read at run time, and the shapes they size.

    A parameter qualifies only when some node's argument is exactly it and that argument is
    run-time (``Arg.runtime``); every other parameter (including one that reaches a layer
    through an arg_scope or a normalizer_params dict, where the IR does not follow it) is
    structural. Sizes are followed with markers; one that cannot be followed is structural.
    """
    uses = [(node, node.param_args) for node in graph.nodes]
    read = {p for node, given in uses for arg, p in given.items() if _runtime(node, arg)}
    structural = set(graph.structural_params) | (set(graph.params) - read)
    while True:
        try:
            result = _follow_sizes(graph, uses, structural)
            break
        except _Structural as e:
            assert not e.params <= structural, e.params
            structural |= e.params
    for node, given in uses:
        args = {arg: p for arg, p in given.items() if p in result.names and _runtime(node, arg)}
        if args:
            result.args[node.id] = args
    return result


def _follow_sizes(graph: Graph, uses: list[tuple[Node, dict[str, str]]],
                  structural: set[str]) -> RuntimeParams:
    """The shapes every non-structural int parameter sizes, found by running the registry's
    rules with a marker in its place; raises :class:`_Structural` for one that cannot be."""
    markers: dict[str, int] = {}
    for name, value in graph.params.items():
        if name not in structural and isinstance(value, int) and not isinstance(value, bool):
            markers[name] = _MARKER + 2 * len(markers)
    by_marker = {m: p for p, m in markers.items()}
    result = RuntimeParams(frozenset(p for p in graph.params if p not in structural))
    marked: dict[int, Shape] = {}  # tensors whose shape may hold markers
    for node, given in uses:
        args = dict(node.args) if given else node.args
        involved: set[str] = set()
        for arg, param in given.items():
            runtime = _runtime(node, arg)
            if param in structural or runtime == RUNTIME_VALUE:
                continue
            if runtime == RUNTIME_SIZE and param in markers:
                args[arg] = markers[param]
                involved.add(param)
                continue
            raise _Structural({param})
        ins = [marked.get(t.id, t.shape) for t in node.inputs]
        involved |= {by_marker[d] for s in ins for d in s if d in by_marker}  # type: ignore
        if not involved:
            continue  # its shapes are the real ones
        kind = LAYERS[node.kind]
        try:
            out = kind.shape(ins, args)  # type: ignore[arg-type]
            specs = [v.shape for v in kind.variables(ins, out, args)]  # type: ignore[arg-type]
        except (ShapeError, ValueError, TypeError, ArithmeticError):
            raise _Structural(involved) from None
        if len(specs) != len(node.variables):
            raise _Structural(involved)
        marked[node.output.id] = out
        result.tensors[node.output.id] = _symbolic(out, node.output.shape, graph, by_marker,
                                                   involved)
        for var, spec in zip(node.variables, specs):
            result.variables[var.name] = _symbolic(spec, var.shape, graph, by_marker, involved)
    return result


def _symbolic(marked: Any, real: Any, graph: Graph, by_marker: dict[int, str],
              involved: set[str]) -> SymShape:
    if len(marked) != len(real):
        raise _Structural(involved)
    out: list[Any] = []
    for m, r in zip(marked, real):
        if m == r:
            out.append(r)
        elif m in by_marker and graph.params[by_marker[m]] == r:
            out.append(by_marker[m])
        else:
            raise _Structural(involved)
    return tuple(out)
