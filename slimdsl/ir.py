"""The intermediate representation: a flat graph of layer nodes with static shapes.

:func:`slimdsl.lower.lower` builds it (expanding repeat/stack/blocks/loops, merging arg_scopes,
naming scopes exactly as TF-Slim does and computing shapes); :func:`slimdsl.accounting.account`
adds the variables, parameter counts, FLOPs and which model parameters stay parameters at run
time (:class:`RuntimeParams`). Every node keeps the span of the statement that produced it and
the trail of calls (blocks, repeat, stack) it was expanded through. Backends read only this.
"""

from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any

from .diagnostics import Span
from .layers.shapes import Shape, format_dim, format_shape
from .records import dataclass, field
from .symbolic.constraints import Constraint
from .symbolic.expr import Expr

if TYPE_CHECKING:
    from .symbolic.solver import Solution


def changed_range(old: list[Node], new: list[Node]) -> tuple[int, int, int]:
    """Where two node lists that share a prefix and a suffix of the same objects (a graph
    lowered again after an edit, :mod:`slimdsl.lower.incremental`) differ: ``(head, old_end,
    new_end)``, ``old[head:old_end]`` replaced by ``new[head:new_end]``."""
    same = list(map(operator.is_, old, new))
    head = same.index(False) if False in same else len(same)
    same = list(map(operator.is_, reversed(old[head:]), reversed(new[head:])))
    tail = same.index(False) if False in same else len(same)
    return head, len(old) - tail, len(new) - tail


def changed_nodes(old: list[Node], new: list[Node]) -> tuple[list[Node], list[Node]]:
    """The nodes of ``old`` that are not in ``new`` and those of ``new`` that were not in
    ``old`` (see :func:`changed_range`)."""
    head, old_end, new_end = changed_range(old, new)
    return old[head:old_end], new[head:new_end]


def relative_scope(scope: str, model: str) -> str:
    """``scope`` without its leading ``model/``, as messages, reports and names show it.

    >>> relative_scope("vgg_16/conv1/conv1_1", "vgg_16"), relative_scope("other", "vgg_16")
    ('conv1/conv1_1', 'other')
    >>> relative_scope("conv0/weights", "")
    'conv0/weights'
    """
    if not model:
        return scope
    prefix = model + "/"
    return scope[len(prefix):] if scope.startswith(prefix) else scope


@dataclass(frozen=True, slots=True)
class ArgSource:
    """Where an effective argument value came from."""

    kind: str  # "default" | "explicit" | "arg_scope" | "normalizer_params"
    span: Span | None = None
    param: str | None = None  # the model parameter the value is exactly, if any

    def describe(self) -> str:
        if self.kind == "default":
            return "layer default"
        if self.kind == "explicit":
            return f"explicit at line {self.span.line}" if self.span else "explicit"
        if self.kind == "arg_scope":
            return f"arg_scope at line {self.span.line}" if self.span else "arg_scope"
        return self.kind.replace("_", " ")


@dataclass(eq=False)
class Tensor:
    """A value flowing between nodes; ``shape`` is None when an earlier error poisoned it.

    A number in tensor arithmetic (``0.17 * up``) is a constant input of its node: a Tensor of
    shape ``[]`` with ``const`` set and no producer, whose dtype is ``"int"`` or ``"float"``
    until the op converts it to the other operand's, as TensorFlow does.
    """

    id: int
    shape: Shape | None
    name: str
    dtype: str = "float32"
    producer: Node | None = None
    const: int | float | None = None

    @property
    def poisoned(self) -> bool:
        return self.shape is None

    def __repr__(self) -> str:
        return f"<Tensor {self.name} {format_shape(self.shape)} {self.dtype}>"


@dataclass(frozen=True, slots=True)
class Variable:
    """A variable TF-Slim creates, with its full name (``vgg_16/conv1/conv1_1/weights``)."""

    name: str
    shape: tuple[int, ...]
    trainable: bool
    initializer: Any
    regularizer: Any
    role: str

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(eq=False)
class Node:
    """One layer application (or TensorFlow op); ``outputs`` lists every output of an op with
    several (``split``), ``output`` is the first."""

    id: int
    kind: str
    scope: str
    inputs: tuple[Tensor, ...]
    output: Tensor
    args: dict[str, Any]
    sources: dict[str, ArgSource]
    span: Span
    trail: tuple[Span, ...] = ()
    variables: list[Variable] = field(default_factory=list)
    params: int = 0
    trainable_params: int = 0
    flops: int | None = 0
    more_outputs: tuple[Tensor, ...] = ()
    #: ``variables``, ``params`` and ``flops`` are filled (an incremental check keeps them).
    accounted: bool = False

    @property
    def outputs(self) -> tuple[Tensor, ...]:
        return (self.output,) + self.more_outputs

    @property
    def tensor_inputs(self) -> tuple[Tensor, ...]:
        """The inputs other than constants."""
        return tuple(t for t in self.inputs if t.const is None)

    @property
    def param_args(self) -> dict[str, str]:
        """Arguments that are exactly a model parameter, e.g. ``{"num_outputs": "classes"}``."""
        return {arg: src.param for arg, src in self.sources.items() if src.param is not None}

    @property
    def short_scope(self) -> str:
        return self.scope.rsplit("/", 1)[-1]

    def __repr__(self) -> str:
        ins = ", ".join(format_shape(t.shape) for t in self.inputs)
        return (f"<Node {self.scope} {self.kind} {ins} -> {format_shape(self.output.shape)}, "
                f"line {self.span.line}>")


@dataclass(frozen=True, slots=True)
class StatementOutput:
    """The tensor one run of a layer statement produced (a statement in a block body or a loop
    runs once per call or iteration), in the order the statements ran; editors show it."""

    span: Span  # the statement
    call_span: Span  # its call (or value) expression
    trail: tuple[Span, ...]  # the calls (blocks, repeat, stack) it was expanded through
    tensor: Tensor


@dataclass(frozen=True, slots=True)
class Port:
    """A named model input or output."""

    name: str
    tensor: Tensor
    span: Span


_UNSET = object()


@dataclass(frozen=True, slots=True)
class ConstraintSite:
    """Where a constraint on the input sizes comes from: the layer, and what it needs
    (``VALID 3 on H - 4: H - 6 >= 1``, ``dimension 1 of the inputs: H vs 2*ceil(H / 2)``)."""

    span: Span
    scope: str
    kind: str
    what: str
    trail: tuple[Span, ...] = ()


@dataclass
class Sizes:
    """The input sizes a model with named dimensions accepts (issue 14).

    ``solutions``: one :class:`~slimdsl.symbolic.solver.Solution` per group of dimensions that
    constrain each other (H and W are usually separate); ``restricting``: the constraints that
    exclude some sizes (each a layer that works only for some), in source order.
    """

    dims: tuple[str, ...]
    solutions: list[Solution]
    restricting: list[Constraint] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No size at all is valid."""
        return any(s.empty for s in self.solutions)

    def smallest(self) -> dict[str, int]:
        """The smallest valid size of every dimension ({} when none is valid)."""
        out: dict[str, int] = {}
        for s in self.solutions:
            if s.empty:
                return {}
            out.update(s.smallest() or {})
        return out


@dataclass(eq=False)
class Graph:
    """One model, fully expanded. ``scope`` is its outer variable scope: its name, the one its
    definition gives with ``as``, or "" (``as none``: its variables sit at the top level)."""

    name: str
    path: str
    span: Span
    params: dict[str, Any]
    scope: str = ""
    inputs: list[Port] = field(default_factory=list)
    outputs: list[Port] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    end_points: dict[str, Tensor] = field(default_factory=dict)
    #: Every run of a layer statement and the tensor it produced, in execution order.
    statement_outputs: list[StatementOutput] = field(default_factory=list)
    #: How each model parameter is used: "plain" (only as a whole layer argument: generated code
    #: may read it at run time) or "structural" (shapes, control flow, arithmetic, blocks...).
    param_uses: dict[str, str] = field(default_factory=dict)
    #: The named dimensions of the inputs (``input images: [?, H, W, 3]``), in order of appearance.
    dims: list[str] = field(default_factory=list)
    #: What the shapes need of those dimensions; each origin is a :class:`ConstraintSite`.
    constraints: list[Constraint] = field(default_factory=list)
    #: The concrete sizes ``--input`` gave the named dimensions (the shapes are then concrete).
    bound: dict[str, int] = field(default_factory=dict)
    #: The valid sizes, when the model has named dimensions (``lower.sizes.solve_sizes``).
    sizes: Sizes | None = None
    # filled by accounting.account()
    variables: list[Variable] = field(default_factory=list)
    trainable_params: int = 0
    total_params: int = 0
    flops: int | None = 0
    #: The run-time parameter analysis (``accounting.runtime_params``, see
    #: :meth:`set_runtime_analysis`; None when the graph is incomplete, an error having left a
    #: shape or a variable out).
    runtime_analysis: Any = None

    def set_runtime_analysis(self, analysis: Any) -> None:
        """Make :attr:`runtime` ``analysis(graph)``, computed on first use: only code
        generation needs it, and it costs about as much as the rest of accounting."""
        self.runtime_analysis = analysis
        self.__dict__.pop("_runtime", None)

    @property
    def runtime(self) -> RuntimeParams | None:
        """Which model parameters generated code may read at run time (None when the graph
        is incomplete); computed on first use, then kept."""
        known = self.__dict__.get("_runtime", _UNSET)
        if known is _UNSET:
            known = self.runtime_analysis(self) if self.runtime_analysis is not None else None
            self.__dict__["_runtime"] = known
        return known

    @runtime.setter
    def runtime(self, value: RuntimeParams | None) -> None:
        self.__dict__["_runtime"] = value

    @property
    def structural_params(self) -> set[str]:
        """Parameters the graph's structure depends on; changing one needs a recompile."""
        return {p for p, use in self.param_uses.items() if use == "structural"}

    def summary(self) -> Summary:
        """The model's summary: a per-layer table and totals, as ``slimc summary`` prints it
        (``str()``), as data (``to_dict()``) and as an HTML table in notebooks."""
        return Summary(self)

    def __repr__(self) -> str:
        ins = ", ".join(f"{p.name} {format_shape(p.tensor.shape)}" for p in self.inputs)
        outs = ", ".join(f"{p.name} {format_shape(p.tensor.shape)}" for p in self.outputs)
        return (f"<Graph {self.name}: {len(self.nodes):,} layers, {self.total_params:,} "
                f"params; {ins or 'no input'} -> {outs or 'no output'}>")


#: A shape whose dimensions are ints, None (unknown) or the name of a model parameter.
SymShape = tuple[int | str | None, ...]


@dataclass
class RuntimeParams:
    """The model parameters generated code may read at run time, and what they size.

    ``names``: parameters used only as whole layer arguments whose kind allows a run-time value
    (the registry's ``Arg.runtime``: dropout's keep_prob, a num_outputs that only sizes
    variables, ...); every other parameter is structural, fixed at compile time. ``args``:
    node id -> {argument: parameter} for the arguments read at run time. ``tensors`` (by id)
    and ``variables`` (by name): the shapes a run-time parameter sizes, with that dimension
    named by the parameter; any other shape is the real one.
    """

    names: frozenset[str]
    args: dict[int, dict[str, str]] = field(default_factory=dict)
    tensors: dict[int, SymShape] = field(default_factory=dict)
    variables: dict[str, SymShape] = field(default_factory=dict)

    def tensor_shape(self, tensor: Tensor) -> SymShape:
        return self.tensors.get(tensor.id, tensor.shape)  # type: ignore[arg-type]

    def variable_shape(self, variable: Variable) -> SymShape:
        return self.variables.get(variable.name, variable.shape)


# ---------------------------------------------------------------------------- summary


def shape_json(shape) -> list | None:
    """A shape in the JSON outputs: a list with null for unknown dimensions and the formula of a
    symbolic one (``"ceil(H / 32)"``), or null."""
    return None if shape is None else [count_json(d) for d in shape]


def count_json(n: Any) -> Any:
    """A dimension or a count in JSON: an int, null, or a formula of named sizes as text."""
    return format_dim(n) if isinstance(n, Expr) else n


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return repr(v)


def _num(n: Any) -> str:
    """``1,234``, ``?``, or the leading terms of a formula of named sizes."""
    if isinstance(n, Expr):
        from .symbolic.approx import approximate
        return approximate(n, "mean").format(True, digits=2, max_terms=4)
    return "?" if n is None else f"{n:,}"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _layer_json(n: Node) -> dict[str, Any]:
    out = {"name": n.scope, "op": n.kind, "output_shape": shape_json(n.output.shape),
           "params": n.params, "flops": count_json(n.flops), "line": n.span.line,
           "inputs": [t.name for t in n.inputs]}
    if n.more_outputs:  # split: every piece
        out["output_shapes"] = [shape_json(t.shape) for t in n.outputs]
    return out


def _output_text(n: Node) -> str:
    """A node's output shape, or ``2 x [...]`` / ``[...] [...]`` for an op with several."""
    shapes = [format_shape(t.shape) for t in n.outputs]
    if len(shapes) == 1:
        return shapes[0]
    return f"{len(shapes)} x {shapes[0]}" if len(set(shapes)) == 1 else " ".join(shapes)


class Summary:
    """A model's per-layer table (scope, layer kind, output shape, parameters, source line),
    inputs, outputs and totals: ``slimc summary``'s text (``str()``), its JSON (``to_dict()``)
    and, in a notebook, an HTML table (``_repr_html_``)."""

    COLUMNS = ("scope", "layer", "output shape", "params", "line")

    def __init__(self, graph: Graph):
        self.graph = graph

    def rows(self) -> list[list[str]]:
        return [[n.scope, n.kind, _output_text(n), _num(n.params), str(n.span.line)]
                for n in self.graph.nodes]

    def totals(self) -> list[tuple[str, str]]:
        g = self.graph
        return [("Trainable params", _num(g.trainable_params)),
                ("Total params", _num(g.total_params)),
                ("FLOPs", f"{_num(g.flops)} per example (multiply-add = 2)"),
                ("End points", str(len(g.end_points)))]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form documented in docs/cli.md (keys are a stable interface)."""
        g = self.graph
        return {
            "name": g.name,
            "path": g.path,
            "params": {k: _jsonable(v) for k, v in g.params.items()},
            "inputs": [{"name": p.name, "shape": shape_json(p.tensor.shape),
                        "dtype": p.tensor.dtype} for p in g.inputs],
            "layers": [_layer_json(n) for n in g.nodes],
            "outputs": [{"name": p.name, "shape": shape_json(p.tensor.shape)}
                        for p in g.outputs],
            "end_points": [{"name": k, "shape": shape_json(t.shape)}
                           for k, t in g.end_points.items()],
            "variables": [{"name": v.name, "shape": list(v.shape), "trainable": v.trainable}
                          for v in g.variables],
            "trainable_params": g.trainable_params,
            "total_params": g.total_params,
            "flops": count_json(g.flops),
        }

    def text(self, show_variables: bool = True) -> str:
        """The human-readable table ``slimc summary`` prints."""
        g = self.graph
        lines = [f"Model {g.name} ({g.path})"]
        for p in g.inputs:
            lines.append(f"  input  {p.name}: {format_shape(p.tensor.shape)} {p.tensor.dtype}")
        lines.append("")
        lines.extend(_table([list(self.COLUMNS)] + self.rows(), {3, 4}))
        lines.append("")
        for p in g.outputs:
            lines.append(f"  output {p.name}: {format_shape(p.tensor.shape)}")
        lines.append("")
        width = max(len(k) for k, _ in self.totals()) + 1
        lines.extend(f"  {(k + ':').ljust(width)} {v}" for k, v in self.totals())
        if show_variables:
            lines.append("")
            lines.append(f"  Variables ({len(g.variables)}):")
            rows = [[v.name, format_shape(v.shape), "trainable" if v.trainable else "-"]
                    for v in g.variables]
            if rows:
                lines.extend("  " + r for r in _table(rows, set()))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Summary of {self.graph!r}>"

    def _repr_html_(self) -> str:
        """The table as HTML, for Jupyter."""
        import html  # notebooks only

        g, esc = self.graph, html.escape
        head = "".join(f"<th>{esc(c)}</th>" for c in self.COLUMNS)
        body = "".join(
            "<tr>" + "".join(f'<td style="text-align:{"right" if i >= 3 else "left"}">'
                             f"{'<code>' if i in (0, 2) else ''}{esc(c)}"
                             f"{'</code>' if i in (0, 2) else ''}</td>"
                             for i, c in enumerate(row)) + "</tr>"
            for row in self.rows())
        ports = "".join(f"<li>{kind} <code>{esc(p.name)}</code>: "
                        f"<code>{esc(format_shape(p.tensor.shape))}</code></li>"
                        for kind, ports in (("input", g.inputs), ("output", g.outputs))
                        for p in ports)
        totals = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
                         for k, v in self.totals())
        return (f"<div><strong>Model {esc(g.name)}</strong> <small>({esc(g.path)})</small>"
                f"<ul>{ports}</ul><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                f"</table><table>{totals}</table></div>")
