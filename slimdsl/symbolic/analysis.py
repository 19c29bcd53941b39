"""Facts about expressions that the solver and ``max``/``min`` rely on (all cached per atom).

* :func:`affine_form`: a *quasi-affine* expression (every monomial a single atom of degree 1, floor
  numerators quasi-affine too) equals ``sum(slope_X * X) + c`` up to a bounded periodic deviation,
  because ``floor(N / m) = N / m - f`` with ``0 <= f <= (m - 1) / m``.
* :func:`period`: an ``L`` such that moving any symbol by a multiple of ``L`` changes every floor
  numerator by a multiple of its divisor, so on each residue class ``X = L*k + r`` the expression
  is a polynomial in ``k`` (affine when quasi-affine).
* :func:`k_degree`: the degree of that polynomial in ``k``.
* :func:`monotone`: +1 / -1 when provably non-decreasing / non-increasing in every symbol.
* :func:`bounds`: the minimum and maximum over sizes ``>= domain_min``; exact for one-symbol
  quasi-affine expressions (within a search budget), otherwise sound but possibly loose.
"""

from __future__ import annotations

from fractions import Fraction
from math import factorial, gcd, lcm

from ..records import dataclass
from .expr import Atom, Expr, Undecidable, as_expr, evaluate, floor_atoms_postorder

__all__ = ["Affine", "affine_form", "period", "k_degree", "monotone", "bounds", "max_", "min_"]


@dataclass(frozen=True)
class Affine:
    """``e(x) - (sum(slopes[X] * x[X]) + const)`` lies in ``[lo, hi]`` for every integer ``x``."""

    slopes: dict
    const: Fraction
    lo: Fraction
    hi: Fraction


_ONE = Fraction(1)
_ZERO = Fraction(0)


def _atom_affine(a: Atom) -> Affine | None:
    if a.name is not None:
        return Affine({a.name: _ONE}, _ZERO, _ZERO, _ZERO)
    return a.memo.get("aff")


def _combine(e: Expr) -> Affine | None:
    slopes: dict = {}
    c, lo, hi = Fraction(e.const), _ZERO, _ZERO
    for mono, k in e.terms.items():
        if len(mono) != 1:
            return None
        ((a, p),) = mono
        if p != 1:
            return None
        af = _atom_affine(a)
        if af is None:
            return None
        for s, v in af.slopes.items():
            slopes[s] = slopes.get(s, 0) + k * v
        c += k * af.const
        lo, hi = (lo + k * af.lo, hi + k * af.hi) if k > 0 else (lo + k * af.hi, hi + k * af.lo)
    return Affine({s: v for s, v in slopes.items() if v}, c, lo, hi)


def affine_form(e: Expr | int) -> Affine | None:
    """The affine part and deviation bounds of a quasi-affine ``e``; None if not quasi-affine.

    >>> from slimdsl.symbolic.expr import sym, ceil_div
    >>> a = affine_form(ceil_div(sym("H"), 4))
    >>> a.slopes, a.const, a.lo, a.hi
    ({'H': Fraction(1, 4)}, Fraction(3, 4), Fraction(-3, 4), Fraction(0, 1))
    """
    e = as_expr(e)
    got = e.memo.get("aff", False)
    if got is not False:
        return got
    for a in floor_atoms_postorder((e,), done=lambda a: "aff" in a.memo):
        n = _combine(a.num)
        m = a.den
        a.memo["aff"] = None if n is None else Affine(
            {s: v / m for s, v in n.slopes.items()}, n.const / m,
            n.lo / m - Fraction(m - 1, m), n.hi / m)
    got = e.memo["aff"] = _combine(e)
    return got


def k_degree(e: Expr | int) -> int:
    """Degree in ``k`` after substituting ``X = L*k + r`` (floor atoms count as their numerator).

    >>> from slimdsl.symbolic.expr import sym, floor_div
    >>> H = sym("H")
    >>> k_degree(floor_div(H, 2) * H + 1), k_degree(floor_div(H * H, 3)), k_degree(5)
    (2, 2, 0)
    """
    e = as_expr(e)
    got = e.memo.get("kdeg")
    if got is None:
        for a in floor_atoms_postorder((e,), done=lambda a: "kdeg" in a.memo):
            a.memo["kdeg"] = _kdeg(a.num)
        got = e.memo["kdeg"] = _kdeg(e)
    return got


def _kdeg(e: Expr) -> int:
    best = 0
    for mono in e.terms:
        d = sum(p * (1 if a.name is not None else a.memo["kdeg"]) for a, p in mono)
        best = max(best, d)
    return best


def period(e: Expr | int) -> int:
    """A joint period ``L`` (see the module docstring); 1 for polynomials without floors.

    >>> from slimdsl.symbolic.expr import sym, ceil_div, floor_div
    >>> H = sym("H")
    >>> period(ceil_div(H, 32)), period(floor_div(3 * floor_div(H, 2) + 1, 5)), period(H * H)
    (32, 10, 1)
    """
    e = as_expr(e)
    got = e.memo.get("period")
    if got is None:
        for a in floor_atoms_postorder((e,), done=lambda a: "period" in a.memo):
            a.memo["period"] = _atom_period(a)
        got = 1
        for a in e.atoms():
            if a.name is None:
                got = lcm(got, a.memo["period"])
        e.memo["period"] = got
    return got


def _atom_period(a: Atom) -> int:
    pn = 1
    for b in a.num.atoms():
        if b.name is None:
            pn = lcm(pn, b.memo["period"])
    m = a.den
    aff = affine_form(a.num)
    if aff is not None:
        # moving a symbol by pn moves the numerator by slope*pn (an integer): need m | that*t
        g = m
        for s in aff.slopes.values():
            inc = s * pn
            if inc.denominator != 1:  # cannot happen (pn is a period of every atom); stay safe
                return pn * m
            g = gcd(g, inc.numerator)
        return pn * (m // g)
    # Integer-valued polynomials are Z-combinations of binomials C(k, i), i <= d, and
    # C(k + m*d!*u, i) = C(k, i) (mod m): so m * d! steps keep the numerator fixed mod m.
    return pn * m * factorial(k_degree(a.num))


def monotone(e: Expr | int) -> int:
    """+1 non-decreasing in every symbol, -1 non-increasing, 0 unknown (quasi-affine only).

    >>> from slimdsl.symbolic.expr import sym, ceil_div, floor_div
    >>> H = sym("H")
    >>> monotone(ceil_div(H - 3, 2) + 4), monotone(5 - H), monotone(H - 2 * floor_div(H, 2))
    (1, -1, 0)
    >>> print(floor_div(H, 2)), monotone(floor_div(H, 2))  # canonically H - ceil(H / 2)
    floor(H / 2)
    (None, 1)
    """
    e = as_expr(e)
    got = e.memo.get("mono")
    if got is None:
        for a in floor_atoms_postorder((e,), done=lambda a: "mono" in a.memo):
            a.memo["mono"] = _mono(a.num)
        got = e.memo["mono"] = _mono(e)
    return got


def _mono(e: Expr) -> int:
    # Each term moves with its atom (floor preserves monotonicity), times the sign of its
    # coefficient. If that mixes directions, floor atoms with a negative coefficient are
    # rewritten through their twins, F = S - F~ (an identity): the canonical H - ceil(H / 2),
    # which is floor(H / 2), is then seen as non-decreasing.
    for twins in (False, True):
        got = _mono_terms(e, twins)
        if got:
            return got
    return 0


def _mono_terms(e: Expr, twins: bool) -> int:
    terms = dict(e.terms)
    signs = []
    for mono, k in e.terms.items():
        if len(mono) != 1:
            return 0
        ((a, p),) = mono
        if p != 1:
            return 0
        if twins and a.name is None and k < 0:
            del terms[mono]
            for mu in a.num.terms:
                terms[mu] = terms.get(mu, 0) + k
            signs.append(_twin_mono(a))
    for mono, k in terms.items():
        if k:
            if len(mono) != 1:
                return 0
            ((a, p),) = mono
            if p != 1:
                return 0
            s = 1 if a.name is not None else a.memo["mono"]
            signs.append(s if k > 0 else -s)
    if all(s == 1 for s in signs):
        return 1
    return -1 if all(s == -1 for s in signs) else 0


def _twin_mono(a: Atom) -> int:
    got = a.memo.get("twin_mono")
    if got is None:
        m = a.den
        s = sum((_expr_of(mu) for mu in a.num.terms), as_expr(0))
        twin = s * m - a.num + (m - 1)
        got = a.memo["twin_mono"] = monotone(twin)
    return got


def _expr_of(mono) -> Expr:
    from .expr import make_expr
    return make_expr({mono: 1}, 0)


_SCAN = 4096  # evaluations allowed for an exact minimum / maximum


def bounds(e: Expr | int, domain_min: int = 1) -> tuple[int | None, int | None]:
    """``(min, max)`` of ``e`` over every size ``>= domain_min`` (None: unbounded or unknown).

    Exact for expressions in one symbol that are quasi-affine, when the scan that proves it stays
    within 4096 evaluations; otherwise derived from :func:`affine_form` (sound, maybe loose).

    >>> from slimdsl.symbolic.expr import sym, ceil_div
    >>> H = sym("H")
    >>> bounds(2 * ceil_div(H, 2) - H), bounds(ceil_div(H, 4) - 3), bounds(H * H)
    ((0, 1), (-2, None), (None, None))
    """
    e = as_expr(e)
    if not e.terms:
        return e.const, e.const
    aff = affine_form(e)
    if aff is None:
        return None, None
    if len(e.free) == 1:
        exact = _scan_bounds(e, aff, next(iter(e.free)), domain_min)
        if exact is not None:
            return exact
    lo = hi = aff.const
    lo_ok = hi_ok = True
    for s in aff.slopes.values():
        lo_ok, hi_ok = lo_ok and s >= 0, hi_ok and s <= 0
        lo, hi = lo + s * domain_min, hi + s * domain_min
    return (_ceil(lo + aff.lo) if lo_ok else None, _floor(hi + aff.hi) if hi_ok else None)


def _scan_bounds(e: Expr, aff: Affine, x: str, dmin: int):
    s = aff.slopes.get(x, _ZERO)
    if s == 0:
        p = period(e)
        if p > _SCAN:
            return None
        vals = [evaluate(e, {x: v}) for v in range(dmin, dmin + p)]
        return min(vals), max(vals)
    # e is within [s*x + c + lo, s*x + c + hi]: past the point where that band clears the best
    # value seen, no smaller (larger) value can occur
    best = evaluate(e, {x: dmin})
    v = dmin
    while True:
        band = s * v + aff.const + (aff.lo if s > 0 else aff.hi)
        if (s > 0 and band >= best) or (s < 0 and band <= best):
            return (best, None) if s > 0 else (None, best)
        v += 1
        if v - dmin > _SCAN:
            return None
        y = evaluate(e, {x: v})
        best = min(best, y) if s > 0 else max(best, y)


def _ceil(q: Fraction) -> int:
    return -((-q.numerator) // q.denominator)


def _floor(q: Fraction) -> int:
    return q.numerator // q.denominator


def max_(a: Expr | int, b: Expr | int, domain_min: int = 1) -> Expr:
    """``max(a, b)`` when one side is provably the larger for every size ``>= domain_min``.

    Otherwise raises :class:`Undecidable` (this representation has no max atom: a ``max`` that
    depends on the size would make every later rule piecewise).

    >>> from slimdsl.symbolic.expr import sym, ceil_div
    >>> H = sym("H")
    >>> max_(3 - 2, 0), max_(2 * ceil_div(H, 2) - H - 1, 0), max_(H - 1, 0)
    (Expr('1'), Expr('0'), Expr('H - 1'))
    >>> max_(H - 5, 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.symbolic.expr.Undecidable: max(H - 5, 0) depends on the size: H - 5 ranges ...
    """
    a, b = as_expr(a), as_expr(b)
    lo, hi = bounds(a - b, domain_min)
    if lo is not None and lo >= 0:
        return a
    if hi is not None and hi <= 0:
        return b
    rng = f"[{'-inf' if lo is None else lo}, {'+inf' if hi is None else hi}]"
    what = str(a) if b.is_const and b.const == 0 else f"{a} - ({b})"
    raise Undecidable(f"max({a}, {b}) depends on the size: {what} ranges over "
                      f"{rng.replace(', +inf]', ', +inf)').replace('[-inf', '(-inf')}")


def min_(a: Expr | int, b: Expr | int, domain_min: int = 1) -> Expr:
    """``min(a, b) = -max(-a, -b)``, with the same decidability as :func:`max_`.

    >>> from slimdsl.symbolic.expr import sym
    >>> print(min_(sym("H") + 2, 1))
    1
    """
    try:
        return -max_(-as_expr(a), -as_expr(b), domain_min)
    except Undecidable:
        raise Undecidable(f"min({as_expr(a)}, {as_expr(b)}) depends on the size") from None
