"""Solver: closed forms, multi-symbol groups, conflicts, inexact fallbacks, classification."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slimdsl.symbolic import IntSet, ceil_div, eq, floor_div, ge, le, positive, solve, sym, tf

H, W, T = sym("H"), sym("W"), sym("T")


def one(cons, **kw):
    sols = solve(cons, **kw)
    assert len(sols) == 1
    return sols[0]


def test_closed_forms_from_the_issue():
    x = H
    for _ in range(5):
        x = ceil_div(x, 2)
    assert str(one([eq(32 * x, H)])) == "H = 32k, k ≥ 1"
    s = one([ge(H, 7), eq(floor_div(H - 3, 8) * 8 + 3, H)])
    assert str(s) == "H ≥ 11 and H ≡ 3 (mod 8)"
    assert str(one([eq(floor_div(H, 2), 3) if False else eq(floor_div(H - 1, 2), 2)])) == \
        "H ∈ {5, 6}"
    assert str(one([positive(tf.conv_output_dim(H, 11, 1, "VALID"))])) == "every H ≥ 11"
    assert str(one([eq(2 * H, 7)])) == "no valid H"
    assert one([eq(2 * H, 7)]).format(unicode=False) == "no valid H"
    assert one([ge(H, 7), eq(floor_div(H - 3, 8) * 8 + 3, H)]).format(unicode=False) == \
        "H >= 11 and H % 8 == 3"


def test_queries():
    s = one([eq(2 * ceil_div(H, 2), H), ge(H, 5)])
    assert s.smallest() == {"H": 6}
    assert s.contains(8) and not s.contains(7) and not s.contains(4) and not s.contains(0)
    assert [a["H"] for a in s.iterate(12)] == [6, 8, 10, 12]
    assert s.set == IntSet.from_progressions([(6, 2, None)])
    assert s.exact and s.bound is None and s.conflict == ()


def test_unconstrained_symbols_and_groups():
    sols = solve([ge(W, 3)], ["H", "W"])
    assert [str(s) for s in sols] == ["every H ≥ 1", "every W ≥ 3"]
    sols = solve([], ["H"], domain_min=0)
    assert str(sols[0]) == "every H ≥ 0"


def test_equal_dimensions_are_eliminated_exactly():
    s = one([eq(H, W), eq(2 * ceil_div(W, 2), W)])
    assert s.exact and str(s) == "W = H; H = 2k, k ≥ 1"
    assert s.smallest() == {"H": 2, "W": 2}
    assert s.contains({"H": 4, "W": 4}) and not s.contains({"H": 4, "W": 6})
    assert [a for a in s.iterate(4)] == [{"H": 2, "W": 2}, {"H": 4, "W": 4}]
    s = one([eq(W, 2 * ceil_div(H, 2) + 1), le(W, 6)])
    assert s.exact and s.format(unicode=False) == "W = 2*ceil(H / 2) + 1; H in {1, 2, 3, 4}"


def test_genuinely_joint_constraints_are_searched_and_flagged():
    s = one([eq(H * W, 12)])
    assert not s.exact and s.bound == 64
    assert sorted(tuple(a.values()) for a in s.iterate(100)) == \
        [(1, 12), (2, 6), (3, 4), (4, 3), (6, 2), (12, 1)]
    assert "searched up to" in str(s)
    assert s.contains({"H": 3, "W": 4}) and not s.contains({"H": 5, "W": 4})
    assert s.contains({"H": 1, "W": 12})
    # past the bound, membership is decided by the constraints themselves
    s = one([ge(H * W, 10_000)])
    assert s.contains({"H": 100, "W": 100}) and not s.contains({"H": 100, "W": 99})


def test_constant_constraints_form_their_own_group():
    sols = solve([eq(H - H + 1, 2, "never"), ge(H, 3)])
    assert sols[0].symbols == () and sols[0].empty
    assert [c.origin for c in sols[0].conflict] == ["never"]
    assert str(sols[1]) == "every H ≥ 3"


def test_minimal_conflict_reports_the_origins():
    cons = [positive(tf.conv_output_dim(H, 3, 1, "VALID"), f"conv{i}") for i in range(50)]
    cons += [le(H, 40, "crop"), eq(2 * ceil_div(H, 2), H, "concat"),
             ge(tf.conv_output_dim(H, 3, 2, "VALID"), 25, "fit")]
    s = one(cons)
    assert s.empty
    assert sorted(c.origin for c in s.conflict) == ["crop", "fit"]
    cons2 = [eq(2 * ceil_div(H, 2), H, "a"), eq(2 * ceil_div(H, 2), H + 1, "b"), ge(H, 3, "c")]
    assert [c.origin for c in one(cons2).conflict] == ["a", "b"]
    cons3 = [eq(ceil_div(H, 2) * 2, H, "even"), eq(ceil_div(H, 3) * 3, H, "div3"),
             le(H, 5, "small"), ge(H, 1, "pos")]
    assert sorted(c.origin for c in one(cons3).conflict) == ["div3", "even", "small"]


def test_huge_periods_stay_exact_and_fast():
    x = H
    for _ in range(40):
        x = tf.conv_output_dim(x, 3, 2, "SAME")
    s = one([positive(tf.conv_output_dim(x, 3, 1, "VALID"))])
    assert s.exact and s.smallest() == {"H": 2**41 + 1}
    s = one([eq(x, 1)])
    assert s.exact and str(s) == f"1 ≤ H ≤ {2**40}"
    up = x
    for _ in range(40):
        up = tf.transpose_output_dim(up, 2, 2, "SAME")
    s = one([eq(up, H)])
    assert s.exact and str(s) == f"H = {2**40}k, k ≥ 1"


def test_unet_chain_of_skips():
    x, skips, cons = H, [], []
    for _ in range(6):
        skips.append(x)
        x = tf.conv_output_dim(x, 3, 2, "SAME")
    for i, skip in enumerate(reversed(skips)):
        x = tf.transpose_output_dim(x, 3, 2, "SAME")
        cons.append(eq(x, skip, f"skip{i}"))
    assert str(one(cons)) == "H = 64k, k ≥ 1"


def test_polynomial_constraints_are_exact():
    s = one([ge(ceil_div(H, 2) * floor_div(H, 3), 50)])
    assert s.exact and str(s) == "every H ≥ 18"  # 9*5 < 50 <= 9*6
    s = one([eq(H * H - 5 * H + 6, 0)])
    assert s.exact and str(s) == "H ∈ {2, 3}"


def test_classify():
    free = solve([], ["H"])[0]
    imp = free.classify(positive(tf.conv_output_dim(H, 5, 1, "VALID")))
    assert imp.verdict == "sometimes" and imp.witness == {"H": 1} and imp.exact
    even = one([eq(2 * ceil_div(H, 2), H)])
    assert even.classify(eq(4 * ceil_div(H, 4), H)).verdict == "sometimes"
    assert even.classify(eq(floor_div(H, 2) * 2, H)).verdict == "always"
    imp = even.classify(eq(2 * floor_div(H, 2) + 1, H))
    assert imp.verdict == "never" and imp.witness == {"H": 2}


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 59), st.booleans()),
                min_size=1, max_size=4), st.integers(1, 3))
def test_residue_systems_against_brute_force(rules, dmin):
    """H = r (mod m) and bounds: the closed form matches brute force, and the printed text is
    the same for equivalent systems given in another order."""
    cons = []
    for m, r, bound in rules:
        r %= m
        cons.append(eq(ceil_div(H - r, m) * m + r, H) if not bound else ge(H, r + m))
    s = solve(cons, ["H"], domain_min=dmin)[-1]
    s2 = solve(list(reversed(cons)), ["H"], domain_min=dmin)[-1]
    assert str(s) == str(s2)
    brute = [h for h in range(dmin, 4000) if all(c.holds({"H": h}) for c in cons)]
    assert [a["H"] for a in s.iterate(3999)] == brute
