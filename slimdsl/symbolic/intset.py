"""Sets of integers as finite unions of arithmetic progressions, in a canonical form.

An :class:`IntSet` is ``finite ∪ tail``: ``finite`` is a tuple of progressions
``(first, step, last)`` and ``tail`` a tuple of unbounded progressions ``(first, step)``.

Canonical form (computed by :meth:`IntSet.from_progressions`):

* the tail is *merged*: all its progressions share one step ``M``, the minimal period of the
  residues the unbounded part covers, and start at the smallest ``T`` from which
  ``{x >= T : x mod M in R}`` lies in the set (one progression per residue in ``R``);
* the finite part is the remaining elements, listed left to right as maximal arithmetic runs of
  length >= 3 (shorter stretches as single points): a deterministic function of the set.

Two canonical IntSets are equal iff they hold the same integers. Limits, where the form is kept
correct but not canonical: more than 8,192 residues in the unbounded part (the tail stays a plain
union), or more than 100,000 finite elements (the progressions are kept as found).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from math import lcm

__all__ = ["IntSet"]

_RESIDUES_MAX = 8192
_POINTS_MAX = 100_000
_SHOW = 12  # residues / runs printed before the text says how many more there are


class IntSet:
    """A canonical union of arithmetic progressions (see the module docstring).

    >>> s = IntSet.from_progressions([(32, 32, None)])
    >>> s.format("H"), s.smallest(), s.contains(64), s.contains(48), list(s.iterate(100))
    ('H = 32k, k ≥ 1', 32, True, False, [32, 64, 96])
    """

    __slots__ = ("finite", "tail")

    def __init__(self, finite: tuple = (), tail: tuple = ()):
        self.finite, self.tail = tuple(finite), tuple(tail)

    # -- construction --
    @classmethod
    def from_progressions(cls, progs: Iterable[tuple[int, int, int | None]]) -> IntSet:
        """Normalize ``(first, step, last)`` progressions (``last`` None: unbounded; step >= 1).

        >>> IntSet.from_progressions([(1, 2, None), (2, 2, None)]).format("H")
        'every H ≥ 1'
        >>> IntSet.from_progressions([(5, 1, 6), (11, 8, None)]).format("H")
        'H ∈ {5, 6} or H ≥ 11 and H ≡ 3 (mod 8)'
        """
        fin: list = []
        inf: list = []
        for f, s, last in progs:
            if s < 1:
                raise ValueError("a progression step must be >= 1")
            if last is None:
                inf.append((f, s))
            elif last >= f:
                fin.append((f, s, f + (last - f) // s * s))
        merged, tail, fin = _merge_tail(inf, fin)
        total = sum((last - f) // s + 1 for f, s, last in fin)
        if total > _POINTS_MAX:  # too many to list: kept as found (correct, not canonical)
            return cls(tuple(sorted(fin)), tail)
        points: set[int] = set()
        for f, s, last in fin:
            points.update(range(f, last + 1, s))
        if merged is not None:
            tail = _lower_tail(merged, points)
        return cls(_runs(sorted(x for x in points if not _in_tail(x, tail))), tail)

    # -- queries --
    def is_empty(self) -> bool:
        """True when the set has no element."""
        return not self.finite and not self.tail

    def smallest(self) -> int | None:
        """The least element, None when empty."""
        firsts = [p[0] for p in self.finite] + [t[0] for t in self.tail]
        return min(firsts) if firsts else None

    def is_finite(self) -> bool:
        """True when the set is bounded above."""
        return not self.tail

    def contains(self, v: int) -> bool:
        """Exact membership.

        >>> IntSet.from_progressions([(3, 4, 11)]).contains(7)
        True
        """
        for f, s, last in self.finite:
            if f <= v <= last and (v - f) % s == 0:
                return True
        return any(v >= f and (v - f) % s == 0 for f, s in self.tail)

    def iterate(self, up_to: int) -> Iterator[int]:
        """The elements ``<= up_to`` in increasing order.

        >>> list(IntSet.from_progressions([(1, 3, 7), (2, 5, None)]).iterate(12))
        [1, 2, 4, 7, 12]
        """
        gens = [range(f, min(last, up_to) + 1, s) for f, s, last in self.finite]
        gens += [range(f, up_to + 1, s) for f, s in self.tail]
        prev = None
        for v in heapq.merge(*gens):
            if v != prev:
                yield v
                prev = v

    def __eq__(self, o: object) -> bool:
        return isinstance(o, IntSet) and (self.finite, self.tail) == (o.finite, o.tail)

    def __hash__(self) -> int:
        return hash((self.finite, self.tail))

    def __repr__(self) -> str:
        return f"IntSet({self.format('x', unicode=False)!r})"

    # -- printing --
    def format(self, name: str = "x", unicode: bool = True) -> str:
        """Closed form: ``H = 32k, k ≥ 1``, ``H ≥ 7 and H ≡ 3 (mod 8)``, ``H ∈ {5, 6}``,
        ``every H ≥ 11``, ``no valid H``; ASCII (``>=``, ``in``, ``%``) when not ``unicode``.

        >>> IntSet.from_progressions([(7, 1, None)]).format("H", unicode=False)
        'every H >= 7'
        >>> IntSet.from_progressions([]).format("H")
        'no valid H'
        """
        if self.is_empty():
            return f"no valid {name}"
        parts = []
        if self.finite:
            parts.append(_finite_text(self.finite, name, unicode))
        if self.tail:
            parts.append(_tail_text(self.tail, name, unicode))
        return " or ".join(parts)


def _merge_tail(inf: list, fin: list) -> tuple:
    """(merged, tail, fin): ``merged = (t0, m, classes)`` describes the unbounded part as
    ``{x >= t0 : x mod m in classes}`` (None when there are too many residues, and ``tail`` is
    then the plain union); tail elements below ``t0`` are appended to ``fin``."""
    if not inf:
        return None, (), fin
    inf = _drop_subsumed(sorted(set(inf)))
    big = 1
    for _, s in inf:
        big = lcm(big, s)
    if sum(big // s for _, s in inf) > _RESIDUES_MAX:
        return None, tuple(inf), fin
    start: dict[int, int] = {}  # residue mod big -> its first covered element
    for f, s in inf:
        for j in range(big // s):
            x = f + j * s
            if start.get(x % big, x) >= x:
                start[x % big] = x
    m = _minimal_period(set(start), big)
    # from t0 on, every x with x mod big in the residues is covered: x > start - big, x = start
    # (mod big), so x >= start
    t0 = max(start.values()) - big + 1
    for f, s in inf:
        if f < t0:
            fin.append((f, s, f + (t0 - 1 - f) // s * s))
    return (t0, m, sorted({r % m for r in start})), (), fin


def _drop_subsumed(inf: list) -> list:
    """Drop the unbounded progressions contained in another: (f, s) lies in (f2, s2) when s2
    divides s, f = f2 (mod s2) and f >= f2. Indexed by step and residue: linear in the number
    of progressions times the number of distinct steps (thousands of classes are common)."""
    first: dict[int, dict[int, int]] = {}
    for f, s in inf:
        by_res = first.setdefault(s, {})
        if f % s not in by_res or f < by_res[f % s]:
            by_res[f % s] = f
    steps = sorted(first)
    out = []
    for f, s in inf:
        inside = False
        for s2 in steps:
            if s % s2 == 0:
                f2 = first[s2].get(f % s2)
                if f2 is not None and f2 <= f and (f2, s2) != (f, s):
                    inside = True
                    break
        if not inside:
            out.append((f, s))
    return out


def _lower_tail(merged: tuple, points: set[int]) -> tuple:
    """Move the tail's start down over finite elements that continue its pattern, so that the
    start is the least possible (canonical); those elements leave ``points``."""
    t, m, classes = merged
    t = min(t + (c - t) % m for c in classes)  # the first element
    while points:
        y = max(t - 1 - (t - 1 - c) % m for c in classes)  # the pattern's element before t
        if y not in points:
            break
        points.discard(y)
        t = y
    return tuple(sorted((t + (c - t) % m, m) for c in classes))


def _minimal_period(res: set[int], big: int) -> int:
    """The least m dividing ``big`` with ``res + m = res`` (mod big); greedy over prime factors
    is exact because the periods form a subgroup."""
    m = big
    for p in _prime_factors(big):
        while m % p == 0 and all((r + m // p) % big in res for r in res):
            m //= p
    return m


def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n and p < 100_000:
        if n % p == 0:
            out.append(p)
            while n % p == 0:
                n //= p
        p += 1
    if n > 1:
        out.append(n)  # maybe composite past the trial bound: then the period may not be minimal
    return out


def _in_tail(x: int, tail: tuple) -> bool:
    return any(x >= f and (x - f) % s == 0 for f, s in tail)


def _runs(points: list[int]) -> tuple:
    out, i, n = [], 0, len(points)
    while i < n:
        if i + 2 < n and points[i + 1] - points[i] == points[i + 2] - points[i + 1]:
            step = points[i + 1] - points[i]
            j = i + 2
            while j + 1 < n and points[j + 1] - points[j] == step:
                j += 1
            out.append((points[i], step, points[j]))
            i = j + 1
        else:
            out.append((points[i], 1, points[i]))
            i += 1
    return tuple(out)


def _finite_text(finite: tuple, name: str, uni: bool) -> str:
    items = []
    dots = "…" if uni else "..."
    if len(finite) == 1 and finite[0][1] == 1 and finite[0][2] - finite[0][0] >= 6:
        le = "≤" if uni else "<="
        return f"{finite[0][0]} {le} {name} {le} {finite[0][2]}"
    for f, s, last in finite[:_SHOW]:
        if f == last:
            items.append(str(f))
        elif (last - f) // s <= 5:
            items.extend(str(x) for x in range(f, last + 1, s))
        else:
            items.append(f"{f}, {f + s}, {dots}, {last}")
    if len(finite) > _SHOW:
        items.append(f"{dots} ({len(finite) - _SHOW} more runs)")
    return f"{name} {'∈' if uni else 'in'} {{{', '.join(items)}}}"


def _tail_text(tail: tuple, name: str, uni: bool) -> str:
    ge = "≥" if uni else ">="
    steps = {s for _, s in tail}
    if len(steps) != 1:  # not merged (too many residues): a plain union
        return " or ".join(_one_class(f, s, name, uni) for f, s in tail)
    m = steps.pop()
    t = min(f for f, _ in tail)
    if m == 1:
        return f"every {name} {ge} {t}"
    if len(tail) == 1:
        return _one_class(t, m, name, uni)
    classes = sorted(f % m for f, _ in tail)
    shown = ", ".join(map(str, classes[:_SHOW]))
    if len(classes) > _SHOW:  # the set is exact; only its text is shortened
        shown += f", {'…' if uni else '...'} ({len(classes)} residues)"
    if uni:
        return f"{name} ≥ {t} and {name} ≡ {shown} (mod {m})"
    return f"{name} >= {t} and {name} % {m} in {{{shown}}}"


def _one_class(f: int, m: int, name: str, uni: bool) -> str:
    ge = "≥" if uni else ">="
    if f % m == 0:
        return f"{name} = {m}k, k {ge} {f // m}"
    if uni:
        return f"{name} ≥ {f} and {name} ≡ {f % m} (mod {m})"
    return f"{name} >= {f} and {name} % {m} == {f % m}"
