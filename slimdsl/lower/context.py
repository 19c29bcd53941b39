"""What the parts of the lowering share: where a statement is lowered (:class:`StmtCtx`), an
evaluated call argument (:class:`CallArg`), and the model being built (:class:`ModelBuild`)."""

from __future__ import annotations

from typing import Any

from ..diagnostics import Span
from ..ir import Graph
from ..records import dataclass, field


@dataclass(frozen=True)
class StmtCtx:
    """Where a statement is being lowered."""

    scope: str  # full variable scope, e.g. "vgg_16/conv1"
    trail: tuple[Span, ...] = ()
    top_level: bool = False  # directly in a model body (inputs may be declared here)
    blocks: tuple[str, ...] = ()  # block call stack, for recursion detection
    #: The name scope ops are named in, when it differs from ``scope``: TF gives a variable
    #: scope entered again (or named like an op before it) the name scope ``NAME_1``.
    name_scope: str | None = None

    @property
    def ns(self) -> str:
        """The name scope ops and pools are named in."""
        return self.scope if self.name_scope is None else self.name_scope


@dataclass
class CallArg:
    """An evaluated call argument with its spans."""

    value: Any
    span: Span
    name_span: Span | None = None
    param: str | None = None  # set when the argument is exactly a model parameter


@dataclass(eq=False)
class ModelBuild:
    """The model being lowered: its graph (set once the parameters are bound), the ids of its
    tensors, and the scope of the block call that returned a tensor (outermost call wins), so
    that a bare ``end_point`` after ``mixed(...) as Mixed_3b`` is keyed ``Mixed_3b``."""

    graph: Graph = None  # type: ignore[assignment]
    call_scopes: dict[int, str] = field(default_factory=dict)
    #: Constraints the running shape rule put on named sizes (``layers.shapes.collecting``).
    needs: list = field(default_factory=list)
    _ids: int = 0

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    @property
    def ids(self) -> int:
        """How many ids were given (a resumed lowering sets it back)."""
        return self._ids

    @ids.setter
    def ids(self, value: int) -> None:
        self._ids = value
