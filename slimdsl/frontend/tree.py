"""The syntax tree of a .slim file: one frozen dataclass per grammar rule, each with a span.

Produced by :func:`slimdsl.frontend.parser.parse`; consumed by :func:`slimdsl.lower.lower` and the
formatter. Nodes hold source structure only; names are resolved and defaults applied later.
"""

from __future__ import annotations

from ..diagnostics import Span
from ..records import dataclass

# ---------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Number:
    span: Span
    value: int | float
    text: str


@dataclass(frozen=True, slots=True)
class String:
    span: Span
    value: str


@dataclass(frozen=True, slots=True)
class Unknown:
    """The ``?`` of a shape: an unknown (symbolic) dimension."""

    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    span: Span
    name: str


@dataclass(frozen=True, slots=True)
class ListLit:
    span: Span
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class TupleLit:
    span: Span
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class DictLit:
    span: Span
    items: tuple[tuple[str, Expr, Span], ...]


@dataclass(frozen=True, slots=True)
class Keyword:
    """``name=value`` inside a call's argument list."""

    span: Span
    name: str
    name_span: Span
    value: Expr


@dataclass(frozen=True, slots=True)
class Call:
    span: Span
    func: str
    func_span: Span
    args: tuple[Expr, ...]
    kwargs: tuple[Keyword, ...]


@dataclass(frozen=True, slots=True)
class BinOp:
    span: Span
    op: str  # one of + - * / // % ** == != < <= > >= and or
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class UnaryOp:
    span: Span
    op: str  # "-" or "not"
    operand: Expr


@dataclass(frozen=True, slots=True)
class Conditional:
    span: Span
    then: Expr
    test: Expr
    otherwise: Expr


@dataclass(frozen=True, slots=True)
class Index:
    span: Span
    value: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class Slice:
    """``start:stop:step`` in a subscript; an omitted part is None."""

    span: Span
    start: Expr | None
    stop: Expr | None
    step: Expr | None


@dataclass(frozen=True, slots=True)
class EllipsisLit:
    """``...`` in a subscript: the dimensions not written."""

    span: Span


@dataclass(frozen=True, slots=True)
class Subscript:
    """``x[a:b, ..., 0]``: a subscript with slices, several items or ``...`` (a single plain
    expression is an :class:`Index`)."""

    span: Span
    value: Expr
    items: tuple[Expr | Slice | EllipsisLit, ...]


@dataclass(frozen=True, slots=True)
class Attribute:
    span: Span
    value: Expr
    attr: str


Expr = (Number | String | Unknown | Name | ListLit | TupleLit | DictLit | Call | BinOp | UnaryOp
        | Conditional | Index | Subscript | Attribute)


# ---------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class ScopeName:
    """The ``as NAME`` / ``as "unit_{i + 1}"`` of a statement. A quoted name with ``{...}``
    has ``parts``: its text pieces and the expressions to interpolate, in order."""

    span: Span
    text: str
    quoted: bool
    parts: tuple[str | Expr, ...] | None = None


@dataclass(frozen=True, slots=True)
class Branch:
    span: Span
    scope: ScopeName | None
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class LayerStmt:
    """``[target =] call [as scope] [{ branches }]``; without target it rebinds ``net``."""

    span: Span
    target: str | None
    target_span: Span | None
    value: Expr
    scope: ScopeName | None
    branches: tuple[Branch, ...] | None


@dataclass(frozen=True, slots=True)
class InputStmt:
    span: Span
    name: str
    shape: Expr
    dtype: str | None = None


@dataclass(frozen=True, slots=True)
class DefStmt:
    """``def name(a, b) = expr``: a compile-time function over values (not tensors' layers)."""

    span: Span
    name: str
    name_span: Span
    params: tuple[str, ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class OutputStmt:
    span: Span
    name: str
    value: Expr | None


@dataclass(frozen=True, slots=True)
class EndPointStmt:
    """``end_point ["KEY"] [= tensor]``; without a key, the producer's scope is the key.
    ``key_parts``: the key's text pieces and interpolated expressions, if it has ``{...}``."""

    span: Span
    key: str | None
    key_span: Span
    value: Expr | None
    key_parts: tuple[str | Expr, ...] | None = None


@dataclass(frozen=True, slots=True)
class ArgScopeStmt:
    span: Span
    layers: Expr
    kwargs: tuple[Keyword, ...]
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class ScopeStmt:
    span: Span
    scope: ScopeName
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class IfStmt:
    span: Span
    clauses: tuple[tuple[Expr, tuple[Stmt, ...]], ...]
    otherwise: tuple[Stmt, ...] | None


@dataclass(frozen=True, slots=True)
class ForStmt:
    span: Span
    var: str
    iterable: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class AssertStmt:
    span: Span
    test: Expr


Stmt = (LayerStmt | InputStmt | DefStmt | OutputStmt | EndPointStmt | ArgScopeStmt | ScopeStmt
        | IfStmt | ForStmt | AssertStmt)


# ---------------------------------------------------------------------------- definitions


@dataclass(frozen=True, slots=True)
class Param:
    span: Span
    name: str
    type_name: str
    type_span: Span
    default: Expr | None


@dataclass(frozen=True, slots=True)
class ModelDef:
    """``model NAME(params) [as SCOPE] { body }``; ``scope`` is the ``as`` clause, if any
    (``as none``: no outer variable scope)."""

    span: Span
    name: str
    name_span: Span
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    scope: ScopeName | None = None


@dataclass(frozen=True, slots=True)
class ModelAlias:
    """``model resnet_v1_50 = resnet_v1(units=[3, 4, 6, 3])``: a model with new defaults."""

    span: Span
    name: str
    name_span: Span
    base: str
    base_span: Span
    args: tuple[Expr, ...]
    kwargs: tuple[Keyword, ...]
    scope: ScopeName | None = None


@dataclass(frozen=True, slots=True)
class BlockDef:
    """``block NAME(params) [as SCOPE] { body }``; ``scope`` is the default scope of its calls
    (``as none``: a call opens no scope unless it says ``as NAME``)."""

    span: Span
    name: str
    name_span: Span
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    scope: ScopeName | None = None


@dataclass(frozen=True, slots=True)
class Import:
    span: Span
    path: str


@dataclass(frozen=True, slots=True)
class File:
    path: str
    imports: tuple[Import, ...]
    models: tuple[ModelDef | ModelAlias, ...]
    blocks: tuple[BlockDef, ...]
    functions: tuple[DefStmt, ...] = ()
