"""Exact solution of constraints in one symbol ``X`` over the integers ``X >= domain_min``.

The state is a list of disjoint *pieces* ``(M, r, lo, hi)``: the values ``X = M*k + r`` with
``lo <= k <= hi`` (``hi`` None: unbounded). It starts as ``(1, 0, domain_min, None)``; each
constraint maps every piece to sub-pieces, by the first rule that applies:

1. few values (``hi - lo < 64``): check them one by one;
2. ``M`` is a multiple of the constraint's period (``analysis.period``): on the piece the
   expression is a polynomial in ``k``; quasi-affine ones are affine, ``a*k + b``, read off two
   evaluations, and the constraint becomes all / nothing / one ``k`` / a bound on ``k``. Higher
   degrees are interpolated exactly; outside Cauchy's root bound their sign is constant, inside it
   the values are checked one by one;
3. monotone quasi-affine expression: the constraint holds on an interval of ``k`` found by
   galloping + binary search (``ceil(H / 2**40) >= 3`` costs about 80 evaluations, not 2**40);
4. quasi-affine with a non-zero slope: outside a window (from the bounded deviation) the answer
   is known; the window is checked one by one when it has at most 4,096 values;
5. split the piece into ``lcm(M, period) / M`` residue classes (at most 4,096) and apply rule 2;
   a larger split is refined one prime at a time (up to 20,000 classes), and for an equation the
   classes where it (rewritten in ``k``) fails a gcd test are dropped on the way:
   ``2**40 * ceil(H / 2**40) == H`` takes 80 small steps.

Constraints go cheapest first (monotone ones, then by period), so U-Net chains split by 2 at a
time. If nothing applies (a split above 4,096, a window too wide, a root bound too large), more
than 20,000 pieces would be kept, or 20,000 piece/value checks have been spent (solution sets
such as "bit j of H - c is 0 for many j" need exponentially many residue classes), the solver
switches to *bounded mode*: every piece is cut at
``X <= bound`` and checked exhaustively, and the result is marked inexact (exact only up to the
bound). Every rule is exact, so exact results are the true set of solutions.
"""

from __future__ import annotations

from fractions import Fraction
from math import factorial, gcd, lcm

from .analysis import affine_form, k_degree, monotone, period
from .expr import Expr, evaluate, substitute, sym

__all__ = ["solve_one", "strongest_rays"]

_ENUM = 64
_WINDOW = 4096
_SPLIT = 4096
_PIECES = 20_000
_WORK = 20_000  # piece and value checks per solve before bounded mode (about 0.1-0.2 s)
_GALLOP = 400  # doublings before giving up on a monotone search (2**400 is far enough)


class _NeedBound(Exception):
    """No exact rule applies to this piece."""


class _Con:
    """A constraint ``e == 0`` / ``e >= 0`` and the facts the rules need, computed on demand
    (most constraints of a deep model are rays that never need their affine form)."""

    __slots__ = ("op", "e", "name", "_aff", "_per", "_deg", "_mono")

    def __init__(self, op: str, e: Expr, name: str):
        self.op, self.e, self.name = op, e, name
        self._aff = self._per = self._deg = self._mono = _UNSET

    @property
    def deg(self) -> int:
        if self._deg is _UNSET:
            self._deg = k_degree(self.e)
        return self._deg

    @property
    def aff(self):
        if self._aff is _UNSET:
            self._aff = affine_form(self.e) if self.deg <= 1 else None
        return self._aff

    @property
    def per(self) -> int:
        if self._per is _UNSET:
            self._per = period(self.e)
        return self._per

    @property
    def mono(self) -> int:
        if self._mono is _UNSET:  # k-degree <= 1 is exactly "quasi-affine"
            self._mono = monotone(self.e) if self.deg <= 1 else 0
        return self._mono

    @property
    def slope(self) -> Fraction | None:
        a = self.aff
        return None if a is None else a.slopes.get(self.name, Fraction(0))


_UNSET = object()


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


class _Solver:
    def __init__(self, name: str, dmin: int, bound: int):
        self.name, self.dmin, self.bound = name, dmin, bound
        self.bounded = self.start_bounded = False
        self.top: int | None = None  # bounded mode: the answer is exact up to here
        self.start = dmin  # ... and nothing below here is missing
        self.work = 0
        self.memo: dict[int, dict] = {}

    def _spend(self, n: int) -> None:
        self.work += n
        if self.work > _WORK and not self.bounded:
            raise _NeedBound

    def ev(self, e: Expr, x: int) -> int:
        memo = self.memo.get(x)
        if memo is None:
            if len(self.memo) > 50_000:
                self.memo.clear()
            memo = self.memo[x] = {}
        return evaluate(e, {self.name: x}, memo)

    def holds(self, c: _Con, x: int) -> bool:
        v = evaluate(c.e, {self.name: x})
        return v == 0 if c.op == "==" else v >= 0

    # -- driver --
    def run(self, cons: list[_Con]) -> list[tuple]:
        lo, hi, rest = self._rays(cons)
        if hi is not None and lo > hi:
            return []
        pieces = [(1, 0, lo, hi)]
        if self.start_bounded:
            pieces = self._clamp(pieces)
        for c in sorted(rest, key=lambda c: (c.mono == 0, c.per, c.deg)):
            try:
                new = self._apply_all(c, pieces)
            except _NeedBound:
                pieces = self._clamp(pieces)
                new = self._apply_all(c, pieces)
            if len(new) > _PIECES and not self.bounded:
                new = self._clamp(new)
            pieces = new
            if not pieces:
                break
        return pieces

    def _rays(self, cons: list[_Con]) -> tuple[int, int | None, list[_Con]]:
        """Monotone inequalities hold on rays ``[t, oo)`` / ``(-oo, t]``: their intersection is
        found by checking each at the current bound and searching only when it fails, so a
        1,000-layer chain of kernels that must fit costs about one evaluation per kernel. The
        last constraints of a chain are usually the strongest, hence the reversed order.
        ``self.strongest`` records which constraints set the final bounds."""
        lo, hi = self.dmin, None
        rest = []
        self.strongest: list[_Con] = [None, None]
        for c in reversed(cons):
            if c.op != ">=" or not c.mono:
                rest.append(c)
                continue
            e, sgn = c.e, c.mono
            if hi is not None and lo > hi:
                continue  # already empty: only the other constraints are still collected
            if sgn > 0:
                if self.ev(e, lo) >= 0:
                    continue
                t = _first_true(lambda x: self.ev(e, x) >= 0, lo, hi)  # noqa: B023
                if t is _FAR:
                    rest.append(c)
                    continue
                self.strongest[0] = c
                if t is _NONE:  # (a constant that fails, or past the upper bound): empty
                    lo, hi = 1, 0
                else:
                    lo = t
            else:
                if hi is not None and self.ev(e, hi) >= 0:
                    continue
                t = _first_true(lambda x: self.ev(e, x) < 0, lo, hi)  # noqa: B023
                if t is _FAR:
                    rest.append(c)
                    continue
                if t is not _NONE:
                    self.strongest[1] = c
                    hi = t - 1
        return lo, hi, rest[::-1]

    def _clamp(self, pieces: list[tuple]) -> list[tuple]:
        # The window is ``bound`` values from the least candidate (the rays' lower bound):
        # everything below it is already excluded exactly, so the answer stays exact up to
        # ``self.top``, even for networks whose smallest valid size is astronomically large.
        if not self.bounded:
            self.bounded = True
            if self.top is None:
                start = min((m * lo + r for m, r, lo, _ in pieces), default=self.dmin)
                self.start = start if start > self.bound else self.dmin
                self.top = max(self.bound, start + self.bound - 1)
        out = []
        for m, r, lo, hi in pieces:
            top = (self.top - r) // m
            hi = top if hi is None else min(hi, top)
            if lo <= hi:
                out.append((m, r, lo, hi))
        return out

    def _apply_all(self, c: _Con, pieces: list[tuple]) -> list[tuple]:
        out: list[tuple] = []
        for p in pieces:
            out.extend(self._apply(c, p))
            if len(out) > _PIECES and not self.bounded:
                raise _NeedBound
        return out

    def _apply(self, c: _Con, piece: tuple) -> list[tuple]:
        m, r, lo, hi = piece
        if hi is not None and (hi - lo < _ENUM or (
                self.bounded and m % c.per and lcm(m, c.per) // m > hi - lo)):
            return self._enumerate(c, piece)  # (bounded: fewer values than classes)
        if m % c.per == 0:
            got = self._on_class(c, piece)
            if got is not None:
                return got
        elif c.mono:
            got = self._monotone(c, piece)
            if got is not None:
                return got
        elif c.aff is not None and c.slope:
            got = self._window(c, piece)
            if got is not None:
                return got
        t = lcm(m, c.per) // m
        if t > 1 and t <= _SPLIT:
            return self._split(c, piece, t)
        if t > 1:
            return self._refine(c, piece)
        if self.bounded and hi is not None:
            return self._enumerate(c, piece)
        raise _NeedBound

    # -- rule 5 --
    def _split(self, c: _Con, piece: tuple, t: int) -> list[tuple]:
        out: list[tuple] = []
        for sub in _sub_pieces(piece, t):
            got = self._on_class(c, sub)
            if got is None:
                if not self.bounded or sub[3] is None:
                    raise _NeedBound
                got = self._enumerate(c, sub)
            out.extend(got)
        return out

    def _refine(self, c: _Con, piece: tuple) -> list[tuple]:
        """A period too large to split at once: split one prime factor at a time; for an
        equation, drop the classes where it, rewritten in k, is ``sum(a_i * atom_i) + b == 0``
        with ``gcd(a_i)`` not dividing ``b`` (no integer solution). Exact; gives up (bounded
        mode) past 20,000 classes."""
        work, out = [(piece, c.op == "==")], []
        while work:
            p, test = work.pop()
            if p[0] % c.per == 0:
                got = self._on_class(c, p)
                if got is None:
                    raise _NeedBound
                out.extend(got)
                continue
            if len(work) + len(out) > _PIECES:
                raise _NeedBound
            q = _smallest_prime(lcm(p[0], c.per) // p[0])
            kept = []
            for sub in _sub_pieces(p, q):
                if test:
                    e = substitute(c.e, {self.name: _K * sub[0] + sub[1]})
                    g = 0
                    for v in e.terms.values():
                        g = gcd(g, v)
                    if g and e.const % g:
                        continue
                kept.append(sub)
            # when a split prunes nothing, the test is not paying for itself below it
            test = test and len(kept) < q
            work.extend((sub, test) for sub in kept)
        return out

    # -- rule 1 --
    def _enumerate(self, c: _Con, piece: tuple) -> list[tuple]:
        m, r, lo, hi = piece
        self._spend(hi - lo + 1)
        out: list[tuple] = []
        for k in range(lo, hi + 1):
            if self.holds(c, m * k + r):
                if out and out[-1][3] == k - 1:
                    out[-1] = (m, r, out[-1][2], k)
                else:
                    out.append((m, r, k, k))
        return out

    # -- rule 2 --
    def _on_class(self, c: _Con, piece: tuple) -> list[tuple] | None:
        m, r, lo, hi = piece
        self._spend(1)
        if c.deg <= 1:
            b = self.ev(c.e, r)
            a = self.ev(c.e, m + r) - b
            return _affine_solve(c.op, a, b, piece)
        return self._polynomial(c, piece)

    def _polynomial(self, c: _Con, piece: tuple) -> list[tuple] | None:
        m, r, lo, hi = piece
        d = c.deg
        # Newton forward differences at k = 0..d, then the monomial coefficients
        vals = [evaluate(c.e, {self.name: m * i + r}) for i in range(d + 1)]
        diffs = []
        row = vals
        while row:
            diffs.append(row[0])
            row = [row[i + 1] - row[i] for i in range(len(row) - 1)]
        coef = [Fraction(0)] * (d + 1)
        for i, delta in enumerate(diffs):  # delta * C(k, i) = delta/i! * k(k-1)...(k-i+1)
            falling = [Fraction(1)]  # coefficients of k(k-1)...(k-i+1), lowest degree first
            for j in range(i):
                falling = [Fraction(0)] + falling
                for t in range(len(falling) - 1):
                    falling[t] -= j * falling[t + 1]
            for t, v in enumerate(falling):
                coef[t] += delta * v / factorial(i)
        while len(coef) > 1 and coef[-1] == 0:
            coef.pop()
        if all(v == 0 for v in coef):
            return [piece]
        lead, n = coef[-1], len(coef) - 1
        if n == 0:
            ok = coef[0] == 0 if c.op == "==" else coef[0] >= 0
            return [piece] if ok else []
        bound = int(1 + max(abs(v / lead) for v in coef[:-1])) + 1  # Cauchy: |roots| < bound
        k1, k2 = max(lo, -bound), bound if hi is None else min(hi, bound)
        if k2 - k1 > _WINDOW:
            return None
        out: list[tuple] = []
        if c.op == ">=" and lo < -bound and lead * (-1) ** n > 0:
            out.append((m, r, lo, -bound - 1 if hi is None else min(hi, -bound - 1)))
        for k in range(k1, k2 + 1):
            v = sum(coef[t] * k ** t for t in range(n + 1))
            if (v == 0) if c.op == "==" else (v >= 0):
                if out and out[-1][3] == k - 1:
                    out[-1] = (m, r, out[-1][2], k)
                else:
                    out.append((m, r, k, k))
        if c.op == ">=" and lead > 0 and (hi is None or hi > bound):
            out.append((m, r, max(lo, bound + 1), hi))
        return [p for p in out if p[3] is None or p[2] <= p[3]]

    # -- rule 3 --
    def _monotone(self, c: _Con, piece: tuple) -> list[tuple] | None:
        m, r, lo, hi = piece
        e, sgn = c.e, c.mono

        if c.slope == 0:  # monotone and periodic: constant
            return [piece] if self.holds(c, m * lo + r) else []

        def first(t: int):
            # least k in [lo, hi] with sgn*e >= t (sgn*e never decreases along k)
            return _first_true(lambda k: sgn * self.ev(e, m * k + r) >= t, lo, hi)

        if c.op == ">=" and sgn > 0:
            k0 = first(0)
            if k0 is _FAR:
                return None
            return [] if k0 is _NONE else [(m, r, k0, hi)]
        if c.op == ">=":  # e >= 0 is -e <= 0: holds before the first k with -e >= 1
            k0 = first(1)
            if k0 is _FAR:
                return None
            top = hi if k0 is _NONE else k0 - 1
            return [(m, r, lo, top)] if top is None or lo <= top else []
        # e == 0 on [first k with sgn*e >= 0, first k with sgn*e >= 1)
        k1, k2 = first(0), first(1)
        if k1 is _FAR or k2 is _FAR:
            return None
        if k1 is _NONE:
            return []
        top = hi if k2 is _NONE else k2 - 1
        return [(m, r, k1, top)] if top is None or k1 <= top else []

    # -- rule 4 --
    def _window(self, c: _Con, piece: tuple) -> list[tuple] | None:
        m, r, lo, hi = piece
        a, s = c.aff, c.slope
        # e is in [s*x + C + a.lo, s*x + C + a.hi]
        if c.op == "==":
            ends = sorted(((-a.const - a.hi) / s, (-a.const - a.lo) / s))
            xa, xb = _ceil_q(ends[0]), _floor_q(ends[1])
            ka, kb = max(lo, _ceil_div(xa - r, m)), (xb - r) // m
            if hi is not None:
                kb = min(kb, hi)
            if kb - ka > _WINDOW:
                return None
            return self._enumerate(c, (m, r, ka, kb)) if ka <= kb else []
        if s > 0:  # true from x_true on, false below x_false
            x_false, x_true = _ceil_q((-a.const - a.hi) / s), _ceil_q((-a.const - a.lo) / s)
            ka, kb = max(lo, _ceil_div(x_false - r, m)), _ceil_div(x_true - r, m)
            if kb - ka > _WINDOW:
                return None
            out = self._enumerate(c, (m, r, ka, kb - 1 if hi is None else min(hi, kb - 1))) \
                if ka <= kb - 1 else []
            if hi is None or hi >= kb:
                out.append((m, r, max(lo, kb), hi))
            return _merge_adjacent(out)
        # s < 0: true up to x_true, false past x_false
        x_true, x_false = _floor_q((-a.const - a.lo) / s), _floor_q((-a.const - a.hi) / s)
        ka, kb = (x_true - r) // m, (x_false - r) // m
        if hi is not None:
            kb = min(kb, hi)
        if kb - ka > _WINDOW:
            return None
        top = ka if hi is None else min(ka, hi)
        out = [(m, r, lo, top)] if lo <= top else []
        out += self._enumerate(c, (m, r, max(lo, ka + 1), kb)) if max(lo, ka + 1) <= kb else []
        return _merge_adjacent(out)


_K = sym("k\x00")  # the class index, a name no model can use


def _sub_pieces(piece: tuple, t: int):
    """The t residue classes of a piece: X = M*k + r with k = t*k' + j."""
    m, r, lo, hi = piece
    for j in range(t):
        sub = (m * t, r + j * m, _ceil_div(lo - j, t), None if hi is None else (hi - j) // t)
        if sub[3] is None or sub[2] <= sub[3]:
            yield sub


def _smallest_prime(n: int) -> int:
    p = 2
    while p * p <= n:
        if n % p == 0:
            return p
        p += 1
    return n


_NONE = object()  # no k in range satisfies the predicate
_FAR = object()  # gave up: the threshold (if any) is astronomically far


def _first_true(f, lo: int, hi: int | None):
    if f(lo):
        return lo
    step, prev = 1, lo
    for _ in range(_GALLOP):
        k = prev + step if hi is None else min(prev + step, hi)
        if f(k):
            a, b = prev + 1, k  # f(prev) false, f(k) true
            while a < b:
                mid = (a + b) // 2
                if f(mid):
                    b = mid
                else:
                    a = mid + 1
            return a
        if hi is not None and k >= hi:
            return _NONE
        prev, step = k, step * 2
    return _FAR


def _ceil_q(q: Fraction) -> int:
    return -((-q.numerator) // q.denominator)


def _floor_q(q: Fraction) -> int:
    return q.numerator // q.denominator


def _merge_adjacent(pieces: list[tuple]) -> list[tuple]:
    out: list[tuple] = []
    for p in sorted(pieces, key=lambda p: p[2]):
        if out and out[-1][3] is not None and out[-1][3] + 1 == p[2]:
            out[-1] = (p[0], p[1], out[-1][2], p[3])
        else:
            out.append(p)
    return out


def _affine_solve(op: str, a: int, b: int, piece: tuple) -> list[tuple]:
    m, r, lo, hi = piece
    if op == "==":
        if a == 0:
            return [piece] if b == 0 else []
        if b % a:
            return []
        k = -b // a
        return [(m, r, k, k)] if lo <= k and (hi is None or k <= hi) else []
    if a == 0:
        return [piece] if b >= 0 else []
    if a > 0:
        lo = max(lo, -(b // a))  # a*k + b >= 0  <=>  k >= ceil(-b / a)
    else:
        top = b // -a
        hi = top if hi is None else min(hi, top)
    return [(m, r, lo, hi)] if hi is None or lo <= hi else []


def strongest_rays(name: str, cons: list[tuple[str, Expr]], domain_min: int = 1
                   ) -> tuple[list[int], list[int]]:
    """Indices ``(rays, others)``: among the monotone inequalities (rays), those that set the
    lower and the upper bound of their intersection; and every other constraint. A minimal
    conflict needs at most those two rays (the intersection of rays is the strongest ones).

    >>> from slimdsl.symbolic.expr import sym
    >>> H = sym("H")
    >>> strongest_rays("H", [(">=", H - 3), (">=", H - 9), ("==", H - 2), (">=", 5 - H)])
    ([1, 3], [2])
    """
    s = _Solver(name, domain_min, 0)
    wrapped = [_Con(op, e, name) for op, e in cons]
    _, _, rest = s._rays(wrapped)
    index = {id(c): i for i, c in enumerate(wrapped)}
    rays = sorted(index[id(c)] for c in s.strongest if c is not None)
    return rays, sorted(index[id(c)] for c in rest)


def solve_one(name: str, cons: list[tuple[str, Expr]], domain_min: int = 1,
              bound: int = 4096, window: tuple[int, int] | None = None
              ) -> tuple[list[tuple[int, int, int | None]], bool, tuple[int, int] | None]:
    """Solve ``(op, expr)`` constraints (``expr == 0`` / ``expr >= 0``) in the one symbol
    ``name`` for ``name >= domain_min``.

    Returns ``(progressions, exact, window)``: ``(first, step, last)`` progressions (``last``
    None: unbounded) whose union is the solution set. When ``exact`` is False it is the
    solution set up to ``top`` only, ``window = (start, top)`` being ``bound`` values from the
    least size the monotone constraints allow (nothing below ``start`` is valid; ``start`` is
    ``domain_min`` when that window begins below ``bound``); None when exact. Passing
    ``window`` searches exactly that window, in bounded mode from the start (the minimal
    conflict of an inexact answer is computed in the answer's window).

    >>> from slimdsl.symbolic.expr import sym, ceil_div
    >>> H = sym("H")
    >>> solve_one("H", [("==", 32 * ceil_div(H, 32) - H)])
    ([(32, 32, None)], True, None)
    >>> solve_one("H", [(">=", ceil_div(H, 2**40) - 3)])
    ([(2199023255553, 1, None)], True, None)
    """
    s = _Solver(name, domain_min if window is None else max(domain_min, window[0]), bound)
    if window is not None:
        s.start_bounded, s.start, s.top = True, max(domain_min, window[0]), window[1]
    pieces = s.run([_Con(op, e, name) for op, e in cons])
    progs = [(m * lo + r, m, None if hi is None else m * hi + r) for m, r, lo, hi in pieces]
    return progs, not s.bounded, None if not s.bounded else (s.start, s.top)
