"""Which input sizes a model with named dimensions accepts (issue 14).

The shape rules record what symbolic sizes must satisfy (a VALID window that fits, two
branches of a concat or add that line up) as constraints, each with the layer it comes from
(:class:`~slimdsl.ir.ConstraintSite`). :func:`solve_sizes` solves them once per model over the
integers (:func:`slimdsl.symbolic.solve`): the valid sizes in closed form (``H = 32k, k ≥ 1``),
an error when no size is valid (naming a minimal set of conflicting layers), and a warning when
only some are (naming the layers that exclude the others, with the smallest size each rejects).
"""

from __future__ import annotations

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Note
from ..ir import ConstraintSite, Graph, Sizes, relative_scope
from ..symbolic.constraints import Constraint
from ..symbolic.intset import IntSet
from ..symbolic.solver import Solution, solve

#: The restricting layers a warning names (each needs a solve to find and one to explain).
MAX_NOTED = 6

_EVERY = IntSet.from_progressions([(1, 1, None)])


def solve_sizes(graph: Graph, diags: Diagnostics) -> Sizes | None:
    """Solve the graph's size constraints into ``graph.sizes`` and report what they mean."""
    free = [d for d in graph.dims if d not in graph.bound]
    if not free:
        return None
    solutions = solve(graph.constraints, free)
    sizes = graph.sizes = Sizes(tuple(free), solutions)
    if sizes.empty:  # the root cause; what other dimensions allow can wait
        for sol in solutions:
            if sol.empty:
                _no_valid_size(graph, sol, diags)
        return sizes
    for sol in solutions:
        if not _unrestricted(sol):
            sizes.restricting.extend(_restricting(sol))
            _some_sizes(graph, sol, sizes.restricting, diags)
    return sizes


def _unrestricted(sol: Solution) -> bool:
    """Every size >= 1 is valid: no definitions, no joint search, only full sets."""
    return not sol.definitions and sol.joint is None and \
        all(s == _EVERY for s in sol.sets.values())


def _restricting(sol: Solution) -> list[Constraint]:
    """The first constraints (in source order) that exclude some sizes on their own."""
    out: list[Constraint] = []
    seen: set = set()
    for c in sol.constraints:
        if c.key in seen:
            continue
        seen.add(c.key)
        alone = solve([c], sorted(c.free))
        if not all(_unrestricted(s) for s in alone):
            out.append(c)
            if len(out) >= MAX_NOTED:
                break
    return out


def site(c: Constraint) -> ConstraintSite:
    """Where a recorded constraint comes from."""
    return c.origin


def describe(c: Constraint, model: str) -> str:
    """``concat 'Up1/concat' needs H == 2*ceil(H / 2) (dimension 1 of the inputs: ...)``."""
    s = site(c)
    return f"{s.kind} '{relative_scope(s.scope, model)}' needs {c} ({s.what})"


def _no_valid_size(graph: Graph, sol: Solution, diags: Diagnostics) -> None:
    names = f"no {', '.join(sol.symbols)} is valid"
    conflict = sorted(sol.conflict, key=lambda c: (site(c).span.line, site(c).span.column))
    first = site(conflict[0])
    searched = "" if sol.exact else f" (searched up to {sol.bound})"
    notes = [Note(describe(c, graph.name), site(c).span) for c in conflict]
    if not sol.conflict_minimal:
        notes.append(Note("the search for a minimal set of conflicting layers stopped early"))
    for where in reversed(first.trail):
        notes.append(Note("expanded from here", where))
    if not sol.symbols:  # sizes that differ whatever the input: one layer, no solving needed
        diags.error(first.span, dg.NO_VALID_SIZE,
                    f"model '{graph.name}' accepts no input size: "
                    f"{describe(conflict[0], graph.name)}, which holds for no size", notes[1:])
        return
    what = "these layers cannot all work at one size" if len(conflict) > 1 else \
        "this layer works for no size"
    diags.error(first.span, dg.NO_VALID_SIZE,
                f"model '{graph.name}' accepts no input size: {names}{searched}; {what}",
                notes)


def _some_sizes(graph: Graph, sol: Solution, restricting: list[Constraint],
                diags: Diagnostics) -> None:
    mine = [c for c in restricting if c.free & set(sol.symbols)]
    if not mine:
        return
    free = {}
    notes = []
    for c in mine:
        syms = tuple(sorted(c.free))
        if syms not in free:
            free[syms] = solve([], syms)[0]
        witness = free[syms].classify(c).witness or {}
        fails = ", ".join(f"{k} = {v}" for k, v in sorted(witness.items()))
        notes.append(Note(describe(c, graph.name) + (f"; fails at {fails}" if fails else ""),
                          site(c).span))
    if len(restricting) >= MAX_NOTED:
        notes.append(Note(f"(the first {MAX_NOTED} layers that restrict the sizes; there may be "
                          f"more)"))
    smallest = sol.smallest() or {}
    small = ", ".join(f"{k} = {v}" for k, v in smallest.items())
    diags.warning(site(mine[0]).span, dg.SOME_SIZES,
                  f"model '{graph.name}' accepts only some input sizes: {sol.format(False)} "
                  f"(smallest: {small})", notes)
