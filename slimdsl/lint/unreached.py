"""Checking code the lowering never ran: a block nothing calls, an ``if`` branch not taken with
the parameters' values, a loop body run zero times.

The lowering checks what it expands, with every value known; code it never reaches would pass
silently, typos included. Here such code is checked without values: every name must be defined
(a parameter, a name the body binds, a block, a function, a builtin), every call must name a
layer, block or function, and every keyword argument must exist. These are errors with the
same codes as when the code runs, since they fail whenever it does.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Note, did_you_mean
from ..frontend import Program
from ..frontend import tree as n
from ..layers import LAYER_NAMES, LAYERS, META_LAYERS
from ..lower.evaluate import BUILTIN_NAMES
from ..values import ACTIVATION_PARAMS, ACTIVATIONS, BUILTIN_FUNCTIONS, INITIALIZERS, REGULARIZERS
from .syntax import INTERPOLATION, body_bindings, statement_exprs, sub_bodies, walk_body, walk_expr

_CALLABLE = frozenset(LAYER_NAMES) | frozenset(META_LAYERS) | frozenset(BUILTIN_FUNCTIONS) \
    | frozenset(INITIALIZERS) | frozenset(REGULARIZERS) | frozenset(ACTIVATIONS)


class Unreached:
    """Finds the bodies of the checked file the lowering never ran and checks them."""

    def __init__(self, program: Program, diags: Diagnostics, covered: set[int] | None):
        self.program = program
        self.diags = diags
        self.covered = covered
        self._global = frozenset(BUILTIN_NAMES) | frozenset(program.blocks) \
            | frozenset(program.functions) | {"net"}

    def run(self, lowered: Iterable[str], calls: set[str]) -> None:
        """Check the blocks of the file and the models in ``lowered`` (by name). Without the
        statement lists the lowering ran (``covered`` None), check the blocks whose names
        nothing reads (``calls``: the names the file's models and blocks read)."""
        covered = self.covered
        for b in self.program.root.blocks:
            known = self._global | {p.name for p in b.params} | body_bindings(b.body)
            if covered is None:
                run = b.name in calls
            else:
                run = id(b.body) in covered
            if b.body and not run:
                why = f"block '{b.name}' is never called, so it is checked without its " \
                      f"parameters' values"
                self._check(b.body, known, Note(why, b.name_span))
            elif covered is not None:
                self._find(b.body, known)
        if covered is None:
            return
        wanted = set(lowered)
        for m in self.program.root.models:
            if isinstance(m, n.ModelDef) and m.name in wanted:
                self._find(m.body, self._global | {p.name for p in m.params}
                           | body_bindings(m.body))

    def _find(self, body: tuple[n.Stmt, ...], known: frozenset[str]) -> None:
        for stmt in body:
            for i, sub in enumerate(sub_bodies(stmt)):
                if not sub:
                    continue
                if id(sub) in self.covered:  # type: ignore[operator]
                    self._find(sub, known)
                else:
                    self._check(sub, known, _why(stmt, i))

    def _check(self, body: tuple[n.Stmt, ...], known: frozenset[str], why: Note) -> None:
        for stmt in walk_body(body):
            exprs = list(statement_exprs(stmt))
            local = known
            if isinstance(stmt, n.DefStmt):
                local = known | set(stmt.params)
                exprs.append(stmt.body)
            for e in exprs:
                self._expr(e, local, why)
            for name, span in _interpolations(stmt):
                if name not in known and name != "scope":
                    self._unknown_name(name, span, known, why)

    def _expr(self, root: n.Expr, known: frozenset[str], why: Note) -> None:
        for e in walk_expr(root):
            if isinstance(e, n.Name):
                if e.name not in known:
                    self._unknown_name(e.name, e.span, known, why)
            elif isinstance(e, n.Call):
                self._call(e, known, why)

    def _unknown_name(self, name: str, span: dg.Span, known: frozenset[str], why: Note) -> None:
        self.diags.error(span, dg.UNKNOWN_NAME,
                         f"unknown name '{name}'{did_you_mean(name, sorted(known))}", [why])

    def _call(self, call: n.Call, known: frozenset[str], why: Note) -> None:
        f = call.func
        local = f in known and f not in self._global  # a parameter or a name bound here
        if not local and f not in _CALLABLE and f not in self.program.blocks \
                and f not in self.program.functions:
            names = list(LAYER_NAMES) + list(self.program.blocks) + list(META_LAYERS)
            self.diags.error(call.func_span, dg.UNKNOWN_LAYER,
                             f"unknown layer or block '{f}'{did_you_mean(f, names)}", [why])
            return
        if local:
            return  # a value the code was not run with: its arguments are unknown too
        target, allowed = self._signature(call)
        if allowed is None:
            return
        for kw in call.kwargs:
            if kw.name not in allowed:
                self.diags.error(kw.name_span, dg.UNKNOWN_ARGUMENT,
                                 f"{target} has no argument '{kw.name}'"
                                 f"{did_you_mean(kw.name, allowed)}", [why])

    def _signature(self, call: n.Call) -> tuple[str, tuple[str, ...] | None]:
        """What a call's keywords go to, and the names it accepts (None: not checked)."""
        f = call.func
        if f in self.program.blocks:
            block = self.program.blocks[f]
            return f"block '{f}'", tuple(p.name for p in block.params) + ("outputs_collections",)
        if f in LAYER_NAMES:
            return LAYERS[LAYER_NAMES[f]].name, LAYERS[LAYER_NAMES[f]].arg_names
        if f in META_LAYERS:  # repeat/stack pass their keywords to the layer they repeat
            for a in call.args:
                if isinstance(a, n.Name) and (a.name in LAYER_NAMES or
                                              a.name in self.program.blocks):
                    return self._signature(n.Call(a.span, a.name, a.span, (), ()))
            return f, None
        specs = INITIALIZERS.get(f) or REGULARIZERS.get(f) or ACTIVATION_PARAMS.get(f)
        if specs is not None:
            return f"{f}()", tuple(s.name for s in specs)
        return f, None


def _why(stmt: n.Stmt, index: int) -> Note:
    """Why a nested body was not run, for the note of what is found in it."""
    if isinstance(stmt, n.IfStmt):
        if index < len(stmt.clauses):
            test = stmt.clauses[index][0]
            return Note("this branch is not taken with the parameters' values, so it is checked "
                        "without them", test.span)
        return Note("this else branch is not taken with the parameters' values, so it is "
                    "checked without them", stmt.span)
    if isinstance(stmt, n.ForStmt):
        return Note("this loop body runs zero times, so it is checked without values",
                    stmt.iterable.span)
    return Note("this code was not expanded (an error above stopped it), so it is checked "
                "without values", stmt.span)


def _interpolations(stmt: n.Stmt) -> list[tuple[str, dg.Span]]:
    """The ``{name}`` interpolations of a statement's scope names and end-point key."""
    out = []
    if isinstance(stmt, n.EndPointStmt) and stmt.key is not None:
        out.extend((m, stmt.key_span) for m in INTERPOLATION.findall(stmt.key))
    scopes: list[n.ScopeName | None] = []
    if isinstance(stmt, n.LayerStmt):
        scopes = [stmt.scope] + [b.scope for b in stmt.branches or ()]
    elif isinstance(stmt, n.ScopeStmt):
        scopes = [stmt.scope]
    for s in scopes:
        if s is not None and s.quoted:
            out.extend((m, s.span) for m in INTERPOLATION.findall(s.text))
    return out
