"""Expressions: normal forms, printing, evaluation, analysis facts (soundness by brute force)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slimdsl.symbolic import (
    Undecidable,
    as_expr,
    bounds,
    ceil_div,
    const,
    evaluate,
    exact_div,
    floor_div,
    format_expr,
    free_symbols,
    max_,
    min_,
    substitute,
    sym,
)
from slimdsl.symbolic import expr as E
from slimdsl.symbolic.analysis import affine_form, k_degree, monotone, period

H, W = sym("H"), sym("W")


@pytest.mark.parametrize("build,text", [
    (lambda: ceil_div(ceil_div(ceil_div(ceil_div(ceil_div(H, 2), 2), 2), 2), 2), "ceil(H / 32)"),
    (lambda: floor_div(H - 1, 2), "floor((H - 1) / 2)"),
    (lambda: 2 * ceil_div(H, 2), "2*ceil(H / 2)"),
    (lambda: H * W * 3, "3*H*W"),
    (lambda: floor_div(H, 2), "floor(H / 2)"),
    (lambda: ceil_div(H, 32) + 1, "ceil(H / 32) + 1"),
    (lambda: ceil_div(H, 32) - 2, "ceil(H / 32) - 2"),
    (lambda: floor_div(floor_div(H - 3, 2) + 1 - 3, 2) + 1, "floor((H - 3) / 4)"),
    (lambda: floor_div(floor_div(H, 2), 2), "floor(H / 4)"),
    (lambda: floor_div(H - floor_div(H, 2), 2), "floor((H + 1) / 4)"),
    (lambda: floor_div(2 * H + 2, 4), "ceil(H / 2)"),
    (lambda: floor_div(3 * H + 7, 3), "H + 2"),
    (lambda: H * H - 1, "H^2 - 1"),
    (lambda: -H + 5, "-H + 5"),
    (lambda: floor_div(H + W, 2) + W, "W + floor((H + W) / 2)"),
    (lambda: const(0), "0"),
])
def test_canonical_text(build, text):
    assert str(build()) == text


def test_unicode_printing():
    assert (H * W * 3 + H * H).format(unicode=True) == "3·H·W + H²"
    assert format_expr(2 * ceil_div(H, 2), unicode=True) == "2·ceil(H / 2)"


def test_identities_are_structural():
    assert floor_div(H, 2) + ceil_div(H, 2) == H
    assert floor_div(-H, 32) == -ceil_div(H, 32)
    assert floor_div(floor_div(H, 3), 5) == floor_div(H, 15)
    assert ceil_div(ceil_div(H, 3), 5) == ceil_div(H, 15)
    assert floor_div(2 * floor_div(H, 3) + 1, 2) == floor_div(H, 3)
    assert floor_div(H + 6, 3) == floor_div(H, 3) + 2
    assert (H + 1) * (H - 1) == H * H - 1
    assert hash(floor_div(H, 4)) == hash(floor_div(floor_div(H, 2), 2))


def test_interning_survives_cache_clearing():
    a = ceil_div(H + 3, 7)
    E.clear_caches()
    b = ceil_div(H + 3, 7)
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert pickle.loads(pickle.dumps(a)) == a


def test_evaluate_substitute_free_symbols():
    e = ceil_div(H, 32) * W + floor_div(W - 3, 2)
    assert evaluate(e, {"H": 100, "W": 9}) == 4 * 9 + 3
    assert free_symbols(e) == {"H", "W"}
    assert substitute(e, {"W": H}) == ceil_div(H, 32) * H + floor_div(H - 3, 2)
    assert substitute(e, {"H": 64, "W": 5}) == const(2 * 5 + 1)
    assert exact_div(6 * H + 12, 6) == H + 2
    with pytest.raises(ValueError):
        exact_div(H + 1, 2)
    with pytest.raises(KeyError, match="no value for the dimension 'W'"):
        evaluate(e, {"H": 1})


def test_bad_arguments():
    with pytest.raises(ValueError):
        floor_div(H, 0)
    with pytest.raises(TypeError):
        as_expr(1.5)
    with pytest.raises(TypeError):
        as_expr(True)
    with pytest.raises(TypeError):
        int(H)


@pytest.mark.slow
def test_deep_nests_do_not_recurse():
    # floors that cannot merge (coefficient 2 over 3) nested 3,000 deep
    x = H
    for _ in range(3000):
        x = floor_div(2 * x + 1, 3)
    assert evaluate(x, {"H": 10**9}) >= 0
    assert len(str(x)) > 3000
    assert period(x) > 0 and k_degree(x) == 1 and monotone(x) in (0, 1)  # sound, not complete


def test_max_min():
    assert max_(H - 1, 0) == H - 1
    assert max_(2 * ceil_div(H, 2) - H - 1, 0) == const(0)
    assert min_(H + 2, 1) == const(1)
    assert max_(H - 5, 0, domain_min=5) == H - 5
    with pytest.raises(Undecidable, match="depends on the size"):
        max_(H - 5, 0)
    with pytest.raises(Undecidable):
        max_(4 * ceil_div(H, 4) - H - 1, 0)  # periodic, takes -1 .. 2


# -- random expressions: facts checked by brute force --

def _exprs():
    leaf = st.sampled_from([H, H, W, const(1)])

    def extend(children):
        return st.one_of(
            st.tuples(children, st.integers(-4, 4), st.integers(-5, 5)).map(
                lambda t: t[0] * t[1] + t[2]),
            st.tuples(children, children).map(lambda t: t[0] + t[1]),
            st.tuples(children, st.integers(1, 6)).map(lambda t: floor_div(t[0], t[1])),
            st.tuples(children, st.integers(1, 6)).map(lambda t: ceil_div(t[0], t[1])),
        )
    return st.recursive(leaf, extend, max_leaves=8)


POINTS = [(h, w) for h in range(-12, 30) for w in (-3, 1, 4, 17)]


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_exprs())
def test_affine_form_period_monotone_are_sound(e):
    aff = affine_form(e)
    if aff is not None:
        for h, w in POINTS:
            v = evaluate(e, {"H": h, "W": w})
            lin = aff.const + aff.slopes.get("H", 0) * h + aff.slopes.get("W", 0) * w
            assert aff.lo <= v - lin <= aff.hi
    p = period(e)
    for h, w in POINTS[:60]:
        env = {"H": h, "W": w}
        if aff is not None:  # moving a symbol by a period moves the value by slope * period
            assert evaluate(e, {"H": h + p, "W": w}) - evaluate(e, env) == \
                aff.slopes.get("H", 0) * p
    m = monotone(e)
    if m:
        for w in (1, 4):
            vals = [evaluate(e, {"H": h, "W": w}) for h in range(-12, 30)]
            assert all((b - a) * m >= 0 for a, b in zip(vals, vals[1:]))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_exprs(), st.integers(1, 3))
def test_bounds_are_sound_and_exact_in_one_symbol(e, dmin):
    lo, hi = bounds(e, dmin)
    vals = [evaluate(e, {"H": h, "W": w}) for h in range(dmin, dmin + 200)
            for w in range(dmin, dmin + (5 if "W" in e.free else 1))]
    if lo is not None:
        assert min(vals) >= lo
    if hi is not None:
        assert max(vals) <= hi
    if e.free == {"H"} and affine_form(e) is not None:
        s = affine_form(e).slopes["H"] if "H" in affine_form(e).slopes else 0
        if s >= 0:
            assert lo == min(vals) or lo is None
        if s <= 0:
            assert hi == max(vals) or hi is None


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_exprs(), _exprs())
def test_arithmetic_and_substitution_evaluate_correctly(a, b):
    for h, w in POINTS[::7]:
        env = {"H": h, "W": w}
        va, vb = evaluate(a, env), evaluate(b, env)
        assert evaluate(a + b, env) == va + vb
        assert evaluate(a * b, env) == va * vb
        assert evaluate(floor_div(a - b, 3), env) == (va - vb) // 3
        assert evaluate(substitute(a, {"W": b}), env) == \
            evaluate(a, {"H": h, "W": vb})
    assert str(a) == str(a)  # printing terminates and is deterministic


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(_exprs())
def test_printed_form_is_mathematically_the_expression(e):
    """Parse the printed text back (Python with floor/ceil) and compare values."""
    text = str(e).replace("^", "**")
    for h, w in POINTS[::5]:
        v = eval(text, {"floor": _floor, "ceil": _ceil, "H": _Q(h), "W": _Q(w)})
        assert v == evaluate(e, {"H": h, "W": w})


class _Q(int):
    """An int whose / is exact (Fraction), so floor(...) and ceil(...) can be evaluated."""

    def __truediv__(self, o):
        from fractions import Fraction
        return Fraction(int(self), int(o))


def _wrap(x):
    return _Q(x) if isinstance(x, int) else x


for _op in ("__add__", "__sub__", "__mul__", "__radd__", "__rsub__", "__rmul__", "__neg__",
            "__pow__"):
    def _make(op):
        def f(self, *a):
            return _wrap(getattr(int, op)(self, *[int(x) if isinstance(x, _Q) else x for x in a]))
        return f
    setattr(_Q, _op, _make(_op))


def _floor(q):
    import math
    return _Q(math.floor(q))


def _ceil(q):
    import math
    return _Q(math.ceil(q))
