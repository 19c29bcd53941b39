"""Lints read off the syntax tree: names bound and never read, parameters never read, blocks
nothing calls, and initializer/regularizer literals that make them useless.

They run on every model, block and function of the checked file as written, whether or not
the lowering reached it.
"""

from __future__ import annotations

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Span
from ..frontend import Program
from ..frontend import tree as n
from ..layers import LAYER_NAMES, META_LAYERS
from ..values import INITIALIZERS, POSITIONAL_LIMITS, REGULARIZERS, ParamSpec
from .syntax import Scan, ScanCache, expr_reads, scan_expr

#: Names whose binding is never an unused-name slip: ``net`` is read implicitly by the next layer.
_IMPLICIT = frozenset({"net"})


def exempt(name: str) -> bool:
    """``_name`` (and ``net``) may stay unread, as in Python linters."""
    return name.startswith("_") or name in _IMPLICIT


class Owner:
    """A model or block of the checked file, with one :class:`~.syntax.Scan` of its body (the
    parameters' defaults included)."""

    __slots__ = ("what", "name", "span", "params", "body", "scan")

    def __init__(self, what: str, name: str, span: Span, params: tuple[n.Param, ...],
                 body: tuple[n.Stmt, ...], cache: ScanCache | None = None):
        self.what, self.name, self.span, self.params, self.body = what, name, span, params, body
        self.scan = Scan(body, tuple(p.default for p in params if p.default is not None), cache)

    @property
    def title(self) -> str:
        return f"{self.what} '{self.name}'"


def owners(program: Program, cache: ScanCache | None = None) -> list[Owner]:
    """Every model and block of the checked file (their statements' scans from ``cache``, when
    given, for what it has)."""
    out = [Owner("model", m.name, m.span, m.params, m.body, cache) for m in program.root.models
           if isinstance(m, n.ModelDef)]
    out.extend(Owner("block", b.name, b.span, b.params, b.body, cache)
               for b in program.root.blocks)
    if cache is not None:
        cache.done([o.body for o in out])
    return out


def lint_usage(program: Program, scanned: list[Owner], diags: Diagnostics) -> list[Span]:
    """Report unused bindings, parameters and local functions; return the spans of the
    statements whose binding is unused (a dead layer there is the same finding)."""
    unused_stmts: list[Span] = []
    for owner in scanned:
        reads = owner.scan.reads
        for p in owner.params:
            if p.name not in reads and not exempt(p.name):
                diags.warning(p.span, dg.UNUSED_PARAMETER,
                              f"parameter '{p.name}' of {owner.title} is never used",
                              ["remove it, use it, or name it _" + p.name + " if it must stay"])
        for stmt in owner.scan.binders:
            if isinstance(stmt, n.LayerStmt) and stmt.target is not None \
                    and stmt.target not in reads and not exempt(stmt.target):
                unused_stmts.append(stmt.span)
                diags.warning(stmt.target_span or stmt.span, dg.UNUSED_BINDING,
                              f"'{stmt.target}' is assigned but never used",
                              _binding_notes(stmt, program))
            elif isinstance(stmt, n.DefStmt):
                if stmt.name not in reads and not exempt(stmt.name):
                    diags.warning(stmt.name_span, dg.UNUSED_BINDING,
                                  f"function '{stmt.name}' is defined but never called")
                _function_params(stmt, diags)
    for fn in program.root.functions:
        _function_params(fn, diags)
    return unused_stmts


def _binding_notes(stmt: n.LayerStmt, program: Program) -> list[str]:
    value = stmt.value
    if isinstance(value, n.Call) and (value.func in LAYER_NAMES or value.func in META_LAYERS
                                      or value.func in program.blocks):
        return [f"'{stmt.target} = {value.func}(...)' leaves net unchanged: the next layer "
                f"without an explicit input reads net, not '{stmt.target}'",
                f"pass it on explicitly (layer({stmt.target}, ...)) or drop '{stmt.target} ='"]
    return []


def _function_params(fn: n.DefStmt, diags: Diagnostics) -> None:
    reads = expr_reads(fn.body)
    for p in fn.params:
        if p not in reads and not exempt(p):
            diags.warning(fn.name_span, dg.UNUSED_PARAMETER,
                          f"parameter '{p}' of function '{fn.name}' is never used")


def lint_unused_blocks(program: Program, scanned: list[Owner], diags: Diagnostics) -> None:
    """A block of a file with models that nothing in the file calls or lists."""
    if not program.root.models:
        return  # a library of blocks is there to be imported
    reads: set[str] = set()
    for owner in scanned:
        reads |= owner.scan.reads - {owner.name} if owner.what == "block" else owner.scan.reads
    for b in program.root.blocks:
        if b.name not in reads and not exempt(b.name):
            diags.warning(b.name_span, dg.UNUSED_BLOCK,
                          f"block '{b.name}' is never called in this file")


# ---------------------------------------------------------------------------- literal values


def _literal(e: n.Expr) -> float | None:
    """The number an expression is literally (``0.02``, ``-1``), else None."""
    if isinstance(e, n.Number) and not isinstance(e.value, bool):
        return float(e.value)
    if isinstance(e, n.UnaryOp) and e.op == "-" and isinstance(e.operand, n.Number):
        return -float(e.operand.value)
    return None


def _given(call: n.Call, specs: tuple[ParamSpec, ...]) -> dict[str, float | None]:
    """Each parameter's literal value (the default when not given; None when not literal)."""
    out: dict[str, float | None] = {
        s.name: s.default if isinstance(s.default, (int, float)) and
        not isinstance(s.default, bool) else None for s in specs}
    for spec, arg in zip(specs, call.args):
        out[spec.name] = _literal(arg)
    for kw in call.kwargs:
        if kw.name in out:
            out[kw.name] = _literal(kw.value)
    return out


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else repr(x)


def _degenerate(call: n.Call) -> tuple[str, list[str]] | None:
    """(message, notes) when a constructor call's literal arguments make it useless."""
    f = call.func
    if len(call.args) > POSITIONAL_LIMITS.get(f, len(call.args)):
        return None  # random_normal(0, 0.02): the compiler refuses the ambiguous order itself
    if f in ("truncated_normal", "random_normal"):
        v = _given(call, INITIALIZERS[f])
        if v["stddev"] == 0:
            mean = v["mean"]
            notes = []
            if mean:
                notes.append(f"{f} takes (stddev, mean), TF's {f}_initializer (mean, stddev): "
                             f"did you mean {f}({_fmt(mean)})?")
            shown = "the mean" if mean is None else _fmt(mean)
            return f"{f} with stddev 0: every weight starts as {shown}", notes
    elif f == "random_uniform":
        v = _given(call, INITIALIZERS[f])
        lo, hi = v["minval"], v["maxval"]
        if lo is not None and hi is not None and lo >= hi:
            return (f"random_uniform(minval={_fmt(lo)}, maxval={_fmt(hi)}): minval must be below "
                    f"maxval, or every weight starts equal"), []
    elif f == "variance_scaling":
        if _given(call, INITIALIZERS[f])["factor"] == 0:
            return "variance_scaling with factor 0: every weight starts as 0", []
    elif f in REGULARIZERS:
        v = _given(call, REGULARIZERS[f])
        if v and all(x == 0 for x in v.values()):
            return f"{f} with scale 0 regularizes nothing", ["remove it, or give it a scale"]
    return None


def _constant_weights(kw: n.Keyword) -> str | None:
    """``weights_initializer=zeros`` (ones, constant(...)): the name of the constant."""
    if kw.name != "weights_initializer":
        return None
    v = kw.value
    if isinstance(v, n.Name) and v.name in ("zeros", "ones", "constant"):
        return v.name
    if isinstance(v, n.Call) and v.func in ("zeros", "ones", "constant"):
        return v.func
    return None


def lint_values(program: Program, scanned: list[Owner], diags: Diagnostics) -> None:
    """Degenerate initializer and regularizer literals anywhere in the checked file."""
    calls: list[n.Call] = []
    keywords: list[n.Keyword] = []
    for fn in program.root.functions:
        scan_expr(fn.body, set(), calls)
    for owner in scanned:
        calls.extend(owner.scan.calls)
        keywords.extend(owner.scan.keywords)
    for call in calls:
        if call.func in _CONSTRUCTORS:
            found = _degenerate(call)
            if found is not None:
                diags.warning(call.span, dg.DEGENERATE_VALUE, found[0], found[1])
        for kw in call.kwargs:
            if kw.name == "weights_initializer":
                keywords.append(kw)
    for kw in keywords:
        const = _constant_weights(kw)
        if const is not None:
            diags.warning(kw.span, dg.DEGENERATE_VALUE,
                          f"weights initialized with {const}: every unit of the layer starts "
                          f"equal and they stay equal in training",
                          ["use a random initializer (xavier, variance_scaling, "
                           "truncated_normal(0.01), ...)"])


_CONSTRUCTORS = frozenset(INITIALIZERS) | frozenset(REGULARIZERS)
