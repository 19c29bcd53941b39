"""IntSet: membership is exact, the form is canonical (equal sets, equal objects and text)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slimdsl.symbolic import IntSet

LIMIT = 600

progs = st.lists(st.tuples(st.integers(0, 80), st.integers(1, 12),
                           st.one_of(st.none(), st.integers(0, 200))), max_size=6)


def brute(ps, up_to=LIMIT):
    out = set()
    for f, s, last in ps:
        top = up_to if last is None else min(last, up_to)
        out.update(range(f, top + 1, s))
    return sorted(out)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(progs)
def test_membership_and_iteration(ps):
    s = IntSet.from_progressions(ps)
    want = brute(ps)
    assert list(s.iterate(LIMIT)) == want
    assert all(s.contains(v) == (v in set(want)) for v in range(-5, LIMIT + 1))
    assert s.smallest() == (want[0] if want else None)
    assert s.is_empty() == (not want)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(progs, st.randoms(use_true_random=False))
def test_canonical_whatever_the_decomposition(ps, rnd):
    """Re-describe the same set differently (points below a cut, other orders, split classes):
    the normal form is the same object and the same text."""
    s = IntSet.from_progressions(ps)
    cut = rnd.randint(0, 250)
    alt = []
    for f, st_, last in ps:
        # split each progression in two classes of double step, and spell out points below cut
        for f2 in (f, f + st_):
            if last is not None and f2 > last:
                continue
            below = [v for v in range(f2, cut, 2 * st_) if last is None or v <= last]
            alt.extend((v, 1, v) for v in below)
            start = below[-1] + 2 * st_ if below else f2
            alt.append((start, 2 * st_, last))
    rnd.shuffle(alt)
    t = IntSet.from_progressions(alt)
    assert t == s, (s, t)
    assert t.format("H") == s.format("H")


def test_texts():
    assert IntSet.from_progressions([(32, 32, None)]).format("H") == "H = 32k, k ≥ 1"
    assert IntSet.from_progressions([(3, 8, None), (11, 8, None)]).format("H") == \
        "H ≥ 3 and H ≡ 3 (mod 8)"
    assert IntSet.from_progressions([(1, 8, None), (3, 8, None)]).format("H") == \
        "H ≥ 1 and H ≡ 1, 3 (mod 8)"
    assert IntSet.from_progressions([(1, 8, None), (3, 8, None)]).format("H", False) == \
        "H >= 1 and H % 8 in {1, 3}"
    assert IntSet.from_progressions([(5, 1, 6)]).format("H") == "H ∈ {5, 6}"
    assert IntSet.from_progressions([(5, 1, 600)]).format("H") == "5 ≤ H ≤ 600"
    assert IntSet.from_progressions([(11, 1, None)]).format("H") == "every H ≥ 11"
    assert IntSet.from_progressions([]).format("H") == "no valid H"
    assert IntSet.from_progressions([(5, 5, 5), (7, 1, None)]).format("H") == \
        "H ∈ {5} or every H ≥ 7"
    # the tail starts as low as its pattern allows
    assert IntSet.from_progressions([(2, 2, 40), (42, 2, None)]).format("H") == "H = 2k, k ≥ 1"


def test_large_sets_stay_correct():
    s = IntSet.from_progressions([(1, 1, 10**12)])
    assert s.contains(10**12) and not s.contains(10**12 + 1) and s.smallest() == 1
    rng = random.Random(1)
    steps = [rng.randint(1000, 5000) for _ in range(5)]
    s = IntSet.from_progressions([(rng.randint(0, 100), st_, None) for st_ in steps])
    assert not s.is_empty() and s.contains(s.smallest())
