"""The intermediate representation: a flat graph of layer nodes with static shapes.

:func:`slimdsl.lower.lower` builds it (expanding repeat/stack/blocks/loops, merging arg_scopes,
naming scopes exactly as TF-Slim does and computing shapes); :func:`slimdsl.accounting.account`
adds the variables, parameter counts, FLOPs and which model parameters stay parameters at run
time (:class:`RuntimeParams`). Every node keeps the span of the statement that produced it and
the trail of calls (blocks, repeat, stack) it was expanded through. Backends read only this.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .diagnostics import Span
from .layers.shapes import Shape
from .records import dataclass, field
from .symbolic.constraints import Constraint

if TYPE_CHECKING:
    from .symbolic.solver import Solution


def relative_scope(scope: str, model: str) -> str:
    """``scope`` without its leading ``model/``, as messages, reports and names show it.

    >>> relative_scope("vgg_16/conv1/conv1_1", "vgg_16"), relative_scope("other", "vgg_16")
    ('conv1/conv1_1', 'other')
    """
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
    """A value flowing between nodes; ``shape`` is None when an earlier error poisoned it."""

    id: int
    shape: Shape | None
    name: str
    dtype: str = "float32"
    producer: Node | None = None

    @property
    def poisoned(self) -> bool:
        return self.shape is None


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
    """One layer application."""

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
    flops: int | None = 0

    @property
    def param_args(self) -> dict[str, str]:
        """Arguments that are exactly a model parameter, e.g. ``{"num_outputs": "classes"}``."""
        return {arg: src.param for arg, src in self.sources.items() if src.param is not None}

    @property
    def short_scope(self) -> str:
        return self.scope.rsplit("/", 1)[-1]


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
    """One model, fully expanded."""

    name: str
    path: str
    span: Span
    params: dict[str, Any]
    inputs: list[Port] = field(default_factory=list)
    outputs: list[Port] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    end_points: dict[str, Tensor] = field(default_factory=dict)
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
