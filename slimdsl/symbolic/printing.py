"""Canonical human form of expressions: ``ceil(H / 32)``, ``floor((H - 1) / 2)``, ``3*H*W``.

Rules (deterministic, content based, so two runs print the same text):

* terms by decreasing degree, then symbols (alphabetical) before floor atoms (by their text); the
  constant last; a coefficient leads its monomial (``2*ceil(H / 2)``, ``3*H*W``);
* ``*`` and ``^2`` in ASCII, ``·`` and ``²`` with ``unicode=True``; ``floor``/``ceil`` in both;
* an atom ``floor((P + b) / m)`` prints as ``ceil((P + b - m + 1) / m)`` when that constant is
  smaller in absolute value (``floor((H + 31) / 32)`` is ``ceil(H / 32)``);
* an expression that is one floor atom plus other terms is also tried through the atom's twin
  (``H - ceil(H / 2)`` prints as ``floor(H / 2)``); of the two the one with fewer terms wins;
* ``atom + t`` is shown in the equivalent floor/ceil form with the fewest non-zero constants,
  then the smallest ``|numerator constant| + |trailing constant|``, then no trailing constant,
  then floor: ``ceil(H / 2) - 1`` prints as ``floor((H - 1) / 2)``, ``floor((H + 1) / 4) - 1`` as
  ``floor((H - 3) / 4)``, while ``ceil(H / 32) - 2`` and ``ceil(H / 32) + 1`` stay.
"""

from __future__ import annotations

from .expr import (
    Atom,
    Expr,
    as_expr,
    floor_atoms_postorder,
    lone_floor_monomial,
    make_expr,
    monomial_sum,
    scale_expr,
)

__all__ = ["format_expr", "monomial_sort_key", "atom_sort_key"]

_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def atom_sort_key(a: Atom) -> tuple:
    """Symbols first, by name; then floor atoms by their ASCII text.

    >>> from slimdsl.symbolic.expr import sym, ceil_div
    >>> [atom_sort_key(a) for a in (ceil_div(sym("H"), 2) + sym("W")).atoms()][:1]
    [(1, 'ceil(H / 2)')]
    """
    if a.name is not None:
        return (0, a.name)
    return (1, _atom_text(a, False))


def monomial_sort_key(mono: tuple) -> tuple:
    """A content-based order on monomials (the ``terms`` dict has no meaningful order).

    >>> from slimdsl.symbolic.expr import sym
    >>> e = sym("W") * sym("H") * 2
    >>> [monomial_sort_key(m) for m in e.terms]
    [(((0, 'H'), 1), ((0, 'W'), 1))]
    """
    return tuple(sorted((atom_sort_key(a), p) for a, p in mono))


def _atom_text(a: Atom, uni: bool) -> str:
    key = ("txt", uni)
    got = a.memo.get(key)
    if got is None:
        for b in floor_atoms_postorder((a.num,), done=lambda b: key in b.memo):
            b.memo[key] = _view_text(b.num, b.den, uni)
        got = a.memo[key] = _view_text(a.num, a.den, uni)
    return got


def _view_text(num: Expr, m: int, uni: bool) -> str:
    """``floor(num / m)`` as floor or ceil, whichever shows the smaller constant (tie: floor)."""
    b = num.const
    if abs(b - (m - 1)) < abs(b):
        return _div_text("ceil", num - (m - 1), m, uni)
    return _div_text("floor", num, m, uni)


def _div_text(fn: str, num: Expr, m: int, uni: bool) -> str:
    inner = _poly_text(num, uni)
    if len(num.terms) + (num.const != 0) > 1:
        inner = f"({inner})"
    return f"{fn}({inner} / {m})"


def _mono_text(mono: tuple, uni: bool) -> str:
    parts = []
    for a, p in sorted(mono, key=lambda t: atom_sort_key(t[0])):
        t = a.name if a.name is not None else _atom_text(a, uni)
        if p != 1:
            t += str(p).translate(_SUP) if uni else f"^{p}"
        parts.append(t)
    return ("·" if uni else "*").join(parts)


def _join(items: list[tuple[tuple, int, str]], c: int, uni: bool) -> str:
    """items: (sort key, coefficient, monomial text); c the constant."""
    items.sort(key=lambda t: t[0])
    star = "·" if uni else "*"
    out = []
    for _, k, text in items:
        mag = text if abs(k) == 1 else f"{abs(k)}{star}{text}"
        if not out:
            out.append(mag if k > 0 else "-" + mag)
        else:
            out.append((" + " if k > 0 else " - ") + mag)
    if c or not out:
        out.append(str(c) if not out else (" + " if c > 0 else " - ") + str(abs(c)))
    return "".join(out)


def _poly_items(e: Expr, uni: bool) -> list[tuple[tuple, int, str]]:
    return [((-sum(p for _, p in mono), monomial_sort_key(mono)), c, _mono_text(mono, uni))
            for mono, c in e.terms.items()]


def _poly_text(e: Expr, uni: bool) -> str:
    return _join(_poly_items(e, uni), e.const, uni)


def _size(e: Expr) -> int:
    return len(e.terms) + (e.const != 0)


def format_expr(e: Expr | int, unicode: bool = False) -> str:
    """The canonical human text of ``e`` (see the module docstring).

    >>> from slimdsl.symbolic.expr import sym, floor_div, ceil_div
    >>> H, W = sym("H"), sym("W")
    >>> format_expr(floor_div(H - 1, 2)), format_expr(ceil_div(H, 2) * 2)
    ('floor((H - 1) / 2)', '2*ceil(H / 2)')
    >>> format_expr(H * W * 3 + H * H, unicode=True)
    '3·H·W + H²'
    >>> format_expr(floor_div(H, 2)), format_expr(ceil_div(H, 32) + 1)
    ('floor(H / 2)', 'ceil(H / 32) + 1')
    """
    e = as_expr(e)
    key = ("str", unicode)
    got = e.memo.get(key)
    if got is None:
        got = e.memo[key] = _format_top(e, unicode)
    return got


def _format_top(e: Expr, uni: bool) -> str:
    lone = lone_floor_monomial(e)
    if lone is None:
        return _poly_text(e, uni)
    f, c = lone
    m = f.den
    rest = e - make_expr({f.mono: c}, 0)
    s = monomial_sum(f.num)
    twin_num = scale_expr(s, m) - f.num + (m - 1)
    alt_rest = rest + scale_expr(s, c)
    if _size(alt_rest) < _size(rest):
        rest, c, num = alt_rest, -c, twin_num
    else:
        num = f.num
    if c == 1 and not rest.terms:
        return _absorbed(num, m, rest.const, uni)
    items = _poly_items(rest, uni)
    text = _view_text(num, m, uni)
    items.append(((-1, (((1, _view_text(num, m, False)), 1),)), c, text))
    return _join(items, rest.const, uni)


def _absorbed(num: Expr, m: int, t: int, uni: bool) -> str:
    """``floor(num / m) + t`` in its shortest equivalent floor/ceil form."""
    b = num.const
    p = num - b
    js = {t, -b // m, -(b // m), (m - 1 - b) // m, -((b - m + 1) // m)}
    best = None
    for j in js | {j + 1 for j in js} | {j - 1 for j in js}:
        for is_ceil in (False, True):
            numc = b + j * m - (m - 1 if is_ceil else 0)
            trail = t - j
            score = ((numc != 0) + (trail != 0), abs(numc) + abs(trail), trail != 0, is_ceil)
            if best is None or score < best[0]:
                best = (score, is_ceil, numc, trail)
    _, is_ceil, numc, trail = best
    text = _div_text("ceil" if is_ceil else "floor", p + numc, m, uni)
    if trail:
        text += (" + " if trail > 0 else " - ") + str(abs(trail))
    return text
