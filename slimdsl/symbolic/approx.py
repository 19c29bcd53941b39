"""Approximate formulas (FLOPs, memory) as plain polynomials in the dimensions.

An exact count such as ``sum over layers of c * Hout * Wout`` is an
:class:`~slimdsl.symbolic.expr.Expr` full of floors; :func:`approximate` replaces every
``floor(N / m)`` by ``N / m`` (``mode="drop"``) or by its average ``N / m - (m - 1) / (2m)``
(``mode="mean"``, exact on average over sizes when the numerator's residues are uniform) and
collects a polynomial with rational coefficients, printed with a few significant digits:
``4.1e6·H·W + 2.3e4·H + …``. The
exact value at a given size is still :func:`slimdsl.symbolic.expr.evaluate` of the original
expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from .expr import Expr, as_expr, floor_atoms_postorder

__all__ = ["Approx", "approximate"]

Mono = tuple  # sorted ((name, power), ...); () is the constant


class Approx:
    """A polynomial in the dimensions with rational coefficients (read-only ``terms``).

    >>> from slimdsl.symbolic.expr import sym
    >>> a = approximate(sym("H") * sym("W") * 4_100_000 + sym("H") * 23_000 + 5)
    >>> a.format()
    '4.1e6·H·W + 2.3e4·H + 5'
    >>> a.format(max_terms=1, unicode=False)
    '4.1e6*H*W + ...'
    """

    __slots__ = ("terms",)

    def __init__(self, terms: Mapping[Mono, Fraction]):
        self.terms = {m: Fraction(c) for m, c in terms.items() if c}

    def __add__(self, o: Approx) -> Approx:
        t = dict(self.terms)
        for m, c in o.terms.items():
            t[m] = t.get(m, 0) + c
        return Approx(t)

    def __mul__(self, o: Approx) -> Approx:
        t: dict = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in o.terms.items():
                m = _mono_mul(m1, m2)
                t[m] = t.get(m, 0) + c1 * c2
        return Approx(t)

    def scale(self, k: Fraction | int) -> Approx:
        """``k`` times the polynomial."""
        return Approx({m: c * k for m, c in self.terms.items()})

    def degree(self) -> int:
        """The total degree (0 for a constant)."""
        return max((sum(p for _, p in m) for m in self.terms), default=0)

    def evaluate(self, env: Mapping[str, float]) -> float:
        """The (approximate) value at these sizes.

        >>> from slimdsl.symbolic.expr import sym, ceil_div
        >>> approximate(ceil_div(sym("H"), 2) * 10).evaluate({"H": 100})
        505.0
        """
        total = Fraction(0)
        for m, c in self.terms.items():
            for name, p in m:
                c *= Fraction(env[name]) ** p
            total += c
        return float(total)

    def leading(self) -> Approx:
        """Only the terms of the highest degree.

        >>> from slimdsl.symbolic.expr import sym
        >>> approximate(sym("H") * sym("H") * 3 + sym("H")).leading().format()
        '3·H²'
        """
        d = self.degree()
        return Approx({m: c for m, c in self.terms.items() if sum(p for _, p in m) == d})

    def format(self, unicode: bool = True, digits: int = 2, max_terms: int | None = None) -> str:
        """Terms by decreasing degree, coefficients to ``digits`` significant digits;
        ``max_terms`` keeps the first terms and ends with ``+ …``."""
        items = sorted(self.terms.items(), key=lambda t: (-sum(p for _, p in t[0]), t[0]))
        if not items:
            return "0"
        star = "·" if unicode else "*"
        parts = []
        for i, (m, c) in enumerate(items):
            if max_terms is not None and i == max_terms:
                parts.append(" + …" if unicode else " + ...")
                break
            names = star.join(n + (_sup(p) if unicode else f"^{p}") if p != 1 else n
                              for n, p in m)
            mag = _number(abs(c), digits)
            text = names if names and mag == "1" else \
                (f"{mag}{star}{names}" if names else mag)
            parts.append(text if i == 0 and c > 0 else
                         ("-" + text if i == 0 else (" + " if c > 0 else " - ") + text))
        return "".join(parts)

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"Approx({self.format(unicode=False)!r})"


def _sup(p: int) -> str:
    return str(p).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _number(x: Fraction, digits: int) -> str:
    """``12``, ``0.5``, ``4.1e6``: integers below 10**4 exactly, others with ``digits`` digits."""
    if x.denominator == 1 and x < 10_000:
        return str(x.numerator)
    text = f"{float(x):.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return text


def _mono_mul(a: Mono, b: Mono) -> Mono:
    powers = dict(a)
    for n, p in b:
        powers[n] = powers.get(n, 0) + p
    return tuple(sorted(powers.items()))


def approximate(e: Expr | int, mode: str = "drop") -> Approx:
    """The polynomial obtained by replacing each ``floor(N / m)`` by ``N / m`` (``"drop"``) or
    by ``N / m - (m - 1) / (2m)`` (``"mean"``).

    >>> from slimdsl.symbolic.expr import sym, ceil_div, floor_div
    >>> H = sym("H")
    >>> print(approximate(ceil_div(H, 32) * ceil_div(H, 32) * 64))
    0.062·H² + 3.9·H + 60
    >>> print(approximate(floor_div(H, 2), mode="mean"))
    0.5·H - 0.25
    """
    if mode not in ("drop", "mean"):
        raise ValueError("mode is 'drop' or 'mean'")
    e = as_expr(e)
    vals: dict = {}

    def poly(x: Expr) -> Approx:
        out = Approx({(): Fraction(x.const)})
        for mono, c in x.terms.items():
            t = Approx({(): Fraction(c)})
            for a, p in mono:
                v = Approx({((a.name, 1),): Fraction(1)}) if a.name is not None else vals[a]
                for _ in range(p):
                    t = t * v
            out = out + t
        return out

    for a in floor_atoms_postorder((e,)):
        v = poly(a.num).scale(Fraction(1, a.den))
        if mode == "mean":
            v = v + Approx({(): -Fraction(a.den - 1, 2 * a.den)})
        vals[a] = v
    return poly(e)
