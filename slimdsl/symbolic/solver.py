"""Solve constraints over the integers: valid sizes per independent group of dimensions.

:func:`solve` splits the dimensions into groups linked by constraints (H and W are usually
independent) and returns one :class:`Solution` per group:

* one symbol: exact, by :func:`.onevar.solve_one` (closed form, e.g. ``H = 32k, k ≥ 1``);
* several symbols: first every equation ``X = e`` with ``X`` alone and of coefficient +-1 (``H ==
  W``, ``W == 2*ceil(H / 2)``) is used to eliminate ``X``; this is exact and ``X`` becomes a
  *definition* (``W = H``). What remains in one symbol is solved exactly; what still links
  several symbols is searched exhaustively over each symbol's own valid values up to
  ``joint_bound`` (64 by default), and the solution says so (``exact=False``, ``bound``);
* no valid size: ``conflict`` is a minimal set of the given constraints that has no solution
  (QuickXplain: every proper subset has one), whose origins the checker reports.

>>> from slimdsl.symbolic.expr import sym, ceil_div, floor_div
>>> from slimdsl.symbolic.constraints import eq, positive
>>> H, W = sym("H"), sym("W")
>>> x = H
>>> for _ in range(5):
...     x = ceil_div(x, 2)
>>> sols = solve([eq(32 * x, H, "skip"), positive(floor_div(W - 7, 2) + 1, "conv")])
>>> [str(s) for s in sols]
['H = 32k, k ≥ 1', 'every W ≥ 7']
>>> sols[0].smallest(), sols[0].contains(64), sols[0].contains(48)
({'H': 32}, True, False)
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from .constraints import Constraint
from .expr import Expr, evaluate, substitute
from .intset import IntSet
from .onevar import solve_one, strongest_rays

__all__ = ["Solution", "Implication", "solve", "equivalent"]

_JOINT_MAX = 200_000  # assignments tried by the multi-symbol search
SOLVE_CACHE: OrderedDict = OrderedDict()
SOLVE_CACHE_SIZE = 512


class Implication(NamedTuple):
    """Answer of :meth:`Solution.classify`: ``verdict`` is ``"always"`` (implied by every valid
    size), ``"never"`` or ``"sometimes"``; ``witness`` a smallest valid size where the
    constraint fails (None for ``"always"``); ``exact`` False when a bounded search decided."""

    verdict: str
    exact: bool
    witness: dict | None


class Solution:
    """The valid sizes of one group of dimensions (see the module docstring).

    Attributes: ``symbols`` (sorted names), ``constraints`` (the group's), ``sets`` (name ->
    :class:`IntSet` for each dimension solved on its own), ``definitions`` (name -> Expr of the
    others), ``joint`` (``(names, points)`` from the bounded multi-symbol search, or None),
    ``exact``, ``bound`` (when not exact: the answer is exact for sizes up to it),
    ``conflict`` (conflicting constraints when empty, else ``()``; ``conflict_minimal`` False
    when the search budget ran out first), ``domain_min``.
    """

    def __init__(self, symbols, constraints, sets, definitions, joint, exact, bound, domain_min):
        self.symbols: tuple[str, ...] = tuple(symbols)
        self.constraints: tuple[Constraint, ...] = tuple(constraints)
        self.sets: dict[str, IntSet] = sets
        self.definitions: dict[str, Expr] = definitions
        self.joint = joint
        self.exact, self.bound, self.domain_min = exact, bound, domain_min
        self.conflict: tuple[Constraint, ...] = ()
        self.conflict_minimal = True
        self.windows: dict[str, tuple[int, int]] = {}
        self.search = (4096, 64)  # (search_bound, joint_bound) it was solved with

    @property
    def empty(self) -> bool:
        """True when no size satisfies the group's constraints (within ``bound`` if inexact)."""
        return self._empty

    @property
    def _empty(self) -> bool:
        if any(s.is_empty() for s in self.sets.values()):
            return True
        if self.joint is not None and not self.joint[1]:
            return True
        return self.symbols == () and self.conflict != ()

    @property
    def set(self) -> IntSet:
        """The :class:`IntSet` of a one-dimension group (ValueError otherwise)."""
        if len(self.symbols) != 1 or self.symbols[0] not in self.sets:
            raise ValueError(f"not a one-dimension solution: {self.symbols}")
        return self.sets[self.symbols[0]]

    def _free_sets(self) -> list[str]:
        joint = set(self.joint[0]) if self.joint else set()
        return [s for s in self.symbols if s in self.sets and s not in joint]

    def iterate(self, up_to: int) -> Iterator[dict[str, int]]:
        """Every valid assignment whose values are all ``<= up_to``, lexicographically."""
        if self.empty:
            return
        free = self._free_sets()
        joint_pts: Iterable = [()] if self.joint is None else \
            [p for p in self.joint[1] if max(p) <= up_to]
        for jp in joint_pts:
            for vals in itertools.product(*(list(self.sets[s].iterate(up_to)) for s in free)):
                env = dict(zip(free, vals))
                if self.joint is not None:
                    env.update(zip(self.joint[0], jp))
                for name, d in self.definitions.items():
                    env[name] = evaluate(d, env)
                if all(v <= up_to for v in env.values()):
                    yield {s: env[s] for s in self.symbols}

    def smallest(self) -> dict[str, int] | None:
        """The valid assignment with the smallest values (lexicographic in ``symbols`` order for
        joint searches); None when empty. Definitions follow from the free dimensions."""
        if self.empty:
            return None
        env = {s: self.sets[s].smallest() for s in self._free_sets()}
        if self.joint is not None:
            env.update(zip(self.joint[0], min(self.joint[1])))
        for name, d in self.definitions.items():
            env[name] = evaluate(d, env)
        return {s: env[s] for s in self.symbols}

    def contains(self, value: int | Mapping[str, int]) -> bool:
        """Exact membership of an assignment (an int for a one-dimension group)."""
        if not isinstance(value, Mapping):
            if len(self.symbols) != 1:
                raise ValueError("give a mapping for a multi-dimension group")
            value = {self.symbols[0]: value}
        if any(value[s] < self.domain_min for s in self.symbols):
            return False
        if self.exact or all(value[s] <= self.bound for s in self.symbols):
            if self.empty:
                return False
            if self.joint is not None and tuple(value[s] for s in self.joint[0]) \
                    not in set(self.joint[1]):
                return False
            if any(not self.sets[s].contains(value[s]) for s in self.sets):
                return False
            return all(evaluate(d, value) == value[n] for n, d in self.definitions.items())
        # past the search bound: the constraints themselves decide
        return all(c.holds(value) for c in self.constraints)

    def classify(self, c: Constraint) -> Implication:
        """Is ``c`` implied by every valid size, by none, or by some? (Vacuously ``always``
        when the solution is empty.)

        >>> from slimdsl.symbolic.expr import sym, ceil_div
        >>> from slimdsl.symbolic.constraints import eq
        >>> H = sym("H")
        >>> free = solve([], ["H"])[0]
        >>> free.classify(eq(2 * ceil_div(H, 2), H))
        Implication(verdict='sometimes', exact=True, witness={'H': 1})
        """
        syms = sorted(set(self.symbols) | c.free)
        base = list(self.constraints)
        exact = True
        with_c = _solve_group(syms, base + [c], self.domain_min, *self.search, conflicts=False)
        exact &= with_c.exact
        witness = None
        for neg in c.negation():
            s = _solve_group(syms, base + [neg], self.domain_min, *self.search, conflicts=False)
            exact &= s.exact
            if not s.empty:
                w = s.smallest()
                if witness is None or sorted(w.items()) < sorted(witness.items()):
                    witness = w
        if with_c.empty:
            return Implication("never" if not self.empty else "always", exact,
                               self.smallest())
        return Implication("always" if witness is None else "sometimes", exact, witness)

    def format(self, unicode: bool = True) -> str:
        """Closed form: ``H = 32k, k ≥ 1``; ``W = H; H = 32k, k ≥ 1``; ``no valid H``."""
        names = ", ".join(self.symbols) or "size"
        le = "≤" if unicode else "<="
        if self.empty:
            return f"no valid {names}" + ("" if self.exact else
                                          f" up to {names} {le} {self.bound} (search bound)")
        parts = [f"{n} = {d.format(unicode)}" for n, d in sorted(self.definitions.items())]
        for s in self._free_sets():
            parts.append(self.sets[s].format(s, unicode))
        if self.joint is not None:
            pts = self.joint[1]
            shown = ", ".join("(" + ", ".join(map(str, p)) + ")" for p in pts[:8])
            more = ", …" if len(pts) > 8 else ""
            parts.append(f"({', '.join(self.joint[0])}) {'∈' if unicode else 'in'} "
                         f"{{{shown}{more}}}")
        text = "; ".join(parts)
        if not self.exact:
            text += f" (searched up to {names} {le} {self.bound})"
        return text

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"<Solution {self.format(unicode=False)}>"


def solve(constraints: Iterable[Constraint], symbols: Iterable[str] = (),
          domain_min: int = 1, search_bound: int = 4096,
          joint_bound: int = 64) -> list[Solution]:
    """One :class:`Solution` per independent group of dimensions, sorted by first name.

    ``symbols`` adds dimensions that no constraint mentions; every dimension ranges over
    ``domain_min, domain_min + 1, ...``. Constraints without dimensions form a group ``()``
    that is empty (with that constraint as conflict) when one is false.

    >>> from slimdsl.symbolic.expr import sym
    >>> from slimdsl.symbolic.constraints import eq, ge
    >>> H, W = sym("H"), sym("W")
    >>> [str(s) for s in solve([eq(H, W), ge(H, 5), ge(9, W)])]
    ['W = H; H ∈ {5, 6, 7, 8, 9}']
    """
    cons = list(constraints)
    names = set(symbols)
    for c in cons:
        names |= c.free
    parent = {n: n for n in names}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for c in cons:
        fs = sorted(c.free)
        for other in fs[1:]:
            parent[find(other)] = find(fs[0])
    groups: dict[str, list[str]] = {}
    for n in sorted(names):
        groups.setdefault(find(n), []).append(n)
    by_group: dict[str, list[Constraint]] = {r: [] for r in groups}
    constant: list[Constraint] = []
    for c in cons:
        (by_group[find(min(c.free))] if c.free else constant).append(c)
    out = []
    if constant:
        out.append(_solve_group([], constant, domain_min, search_bound, joint_bound))
    for root, syms in sorted(groups.items(), key=lambda t: t[1][0]):
        out.append(_solve_group(syms, by_group[root], domain_min, search_bound, joint_bound))
    return out


def equivalent(a: Expr | int, b: Expr | int, domain_min: int = 1) -> bool | None:
    """Are ``a`` and ``b`` equal for every size ``>= domain_min``? (``a == b`` on Exprs is the
    structural test: true implies equal, but equal forms can differ in structure when several
    floor atoms are summed.) None when only a bounded search could decide and found no
    counterexample.

    >>> from slimdsl.symbolic.expr import sym, floor_div
    >>> H = sym("H")
    >>> x = floor_div(H, 3) + floor_div(H + 1, 3) + floor_div(H + 2, 3)
    >>> x == H, equivalent(x, H), equivalent(floor_div(H, 2), floor_div(H + 1, 2))
    (False, True, False)
    """
    from .constraints import eq
    from .expr import as_expr
    c = eq(as_expr(a), as_expr(b))
    if c.constant_truth() is not None:
        return c.constant_truth()
    syms = sorted(c.free)
    every = IntSet.from_progressions([(domain_min, 1, None)])
    imp = Solution(syms, [], {s: every for s in syms}, {}, None, True, None,
                   domain_min).classify(c)
    if imp.verdict == "always":
        return True if imp.exact else None
    return False if imp.witness is not None else None


def _solve_group(syms: list[str], cons: list[Constraint], dmin: int, bound: int,
                 joint_bound: int, conflicts: bool = True) -> Solution:
    sol = _solve_raw(syms, cons, dmin, bound, joint_bound)
    sol.search = (bound, joint_bound)
    if sol.empty and conflicts:
        win = sol.windows.get(syms[0]) if len(syms) == 1 else None
        sol.conflict, sol.conflict_minimal = _minimal_conflict(syms, cons, dmin, bound,
                                                               joint_bound, win)
    return sol


def _solve_raw(syms, cons, dmin, bound, joint_bound, window=None) -> Solution:
    work: list[tuple[str, Expr]] = []
    false = None
    for c in cons:
        truth = c.constant_truth()
        if truth is False:
            false = c
        elif truth is None:
            work.append((c.op, c.expr))
    if not syms or false is not None:
        sol = Solution(syms, cons, {s: IntSet() for s in syms[:1]} if false else {}, {}, None,
                       True, None, dmin)
        if false is not None:
            sol.conflict = (false,)
        return sol
    defs, work = _eliminate(syms, work, dmin)
    exact = True
    sets: dict[str, IntSet] = {}
    multi: list[tuple[str, Expr]] = []
    per_sym: dict[str, list] = {s: [] for s in syms if s not in defs}
    tops: list[int] = []
    windows: dict[str, tuple[int, int]] = {}
    for op, e in work:
        if not e.free:
            if not ((e.const == 0) if op == "==" else (e.const >= 0)):
                return Solution(syms, cons, {syms[0]: IntSet()}, defs, None, True, None, dmin)
        elif len(e.free) == 1:
            per_sym[next(iter(e.free))].append((op, e))
        else:
            multi.append((op, e))
    for s, lst in per_sym.items():
        key = (s, frozenset(lst), dmin, bound, window)
        got = SOLVE_CACHE.get(key)
        if got is None:
            progs, ok, win = solve_one(s, lst, dmin, bound, window)
            got = (IntSet.from_progressions(progs), ok, win)
            SOLVE_CACHE[key] = got
            if len(SOLVE_CACHE) > SOLVE_CACHE_SIZE:
                SOLVE_CACHE.popitem(last=False)
        else:
            SOLVE_CACHE.move_to_end(key)
        sets[s], ok, win = got
        exact &= ok
        if not ok:
            tops.append(win[1])
            windows[s] = win
    joint = None
    used_bound = min(tops) if tops else None
    if multi:
        joint_syms = sorted(set().union(*(e.free for _, e in multi)))
        joint, jb = _joint_search(joint_syms, multi, sets, joint_bound)
        exact, used_bound = False, jb if used_bound is None else min(used_bound, jb)
    sol = Solution(syms, cons, sets, defs, joint, exact, used_bound, dmin)
    sol.windows = windows  # per symbol, the window an inexact answer is exact in
    return sol


def _eliminate(syms: list[str], work: list, dmin: int) -> tuple[dict, list]:
    """Use equations ``X = e`` (X alone, coefficient +-1, not in e) to remove X: exact."""
    defs: dict[str, Expr] = {}
    work = list(work)
    while len(syms) - len(defs) > 1:
        pick = None
        for i, (op, e) in enumerate(work):
            if op != "==" or len(e.free) < 2:
                continue
            for mono, k in e.terms.items():
                if abs(k) == 1 and len(mono) == 1:
                    ((a, p),) = mono
                    if a.name is not None and p == 1 and not any(
                            a.name in b.free for m2 in e.terms if m2 != mono for b, _ in m2):
                        if pick is None or a.name > pick[1]:
                            pick = (i, a.name, k, mono)
        if pick is None:
            break
        i, name, k, mono = pick
        e = work.pop(i)[1]
        rest = e - _term(mono, k)
        value = -rest if k == 1 else rest  # k*X + rest = 0
        work = [(op, substitute(x, {name: value})) for op, x in work]
        defs = {n: substitute(d, {name: value}) for n, d in defs.items()}
        defs[name] = value
        work.append((">=", value - dmin))  # the eliminated size is a size too
    return defs, work


def _term(mono, k) -> Expr:
    from .expr import make_expr
    return make_expr({mono: k}, 0)


def _joint_search(names: list[str], multi: list, sets: dict[str, IntSet],
                  joint_bound: int) -> tuple[tuple, int]:
    """Every assignment of ``names`` within ``joint_bound`` (lowered so that at most
    200,000 are tried) satisfying the multi-symbol constraints, from each symbol's own set."""
    b = joint_bound
    while True:
        cands = [list(sets[n].iterate(b)) for n in names]
        total = 1
        for c in cands:
            total *= len(c)
        if total <= _JOINT_MAX or b <= 1:
            break
        b //= 2
    pts = []
    for vals in itertools.product(*cands):
        env = dict(zip(names, vals))
        memo: dict = {}
        if all((evaluate(e, env, memo) == 0) if op == "==" else (evaluate(e, env, memo) >= 0)
               for op, e in multi):
            pts.append(vals)
    return (tuple(names), tuple(pts)), b


_QX_SOLVES = 40  # solves a conflict search may spend before settling for a smaller set


def _minimal_conflict(syms, cons, dmin, bound, joint_bound, window=None
                      ) -> tuple[tuple[Constraint, ...], bool]:
    """QuickXplain (Junker 2004): a subset with no solution whose proper subsets all have one.

    Two shortcuts keep it fast on 1,000-constraint models: in one symbol, monotone inequalities
    are rays ``[t, oo)`` / ``(-oo, t]`` whose intersection is set by the strongest of each kind,
    so a minimal conflict needs at most those two (``strongest_rays``) and the other rays are
    dropped; then a constraint unsatisfiable alone is the answer. When the group's answer was
    only exact within a search window, the conflict is one within the same window. Returns
    ``(conflict, minimal)``: after 40 QuickXplain solves the search stops with a smaller but
    maybe not minimal set (``minimal`` False).
    """
    spent = [0]

    class _Budget(Exception):
        pass

    def unsat(subset: list[Constraint]) -> bool:
        spent[0] += 1
        if spent[0] > _QX_SOLVES:
            raise _Budget
        return _solve_raw(syms, subset, dmin, bound, joint_bound, window).empty

    def qx(background: list, has_delta: bool, cands: list) -> list:
        if has_delta and unsat(background):
            return []
        if len(cands) == 1:
            return cands
        half = len(cands) // 2
        c1, c2 = cands[:half], cands[half:]
        d2 = qx(background + c1, bool(c1), c2)
        d1 = qx(background + d2, bool(d2), c1)
        return d1 + d2

    if not cons or not unsat(cons):
        return (), True
    cands = list(cons)
    if len(syms) == 1:
        lo = dmin if window is None else max(dmin, window[0])
        rays, others = strongest_rays(syms[0], [(c.op, c.expr) for c in cons], lo)
        reduced = [cons[i] for i in sorted(others + rays)]
        if unsat(reduced):  # (always, unless a ray search gave up)
            cands = reduced
    if window is None:  # single checks are cheap when exact (and often find the culprit)
        for c in cands:
            if _solve_raw(syms, [c], dmin, bound, joint_bound).empty:
                return (c,), True
    try:
        return tuple(qx([], False, cands)), True
    except _Budget:
        return tuple(cands), False
