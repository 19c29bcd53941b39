"""The solver against brute force: random networks (chains, branches, U-Nets), every size."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracles.symbolic_nets import (
    H,
    Invalid,
    chains,
    dags,
    reference,
    sym_layer,
    symbolic,
    unets,
    valid_sizes,
)

from slimdsl.symbolic import evaluate, solve
from slimdsl.symbolic.onevar import solve_one

BRUTE = 2000
N = int(os.environ.get("SYMDIM_EXAMPLES", "150"))
FAST = settings(max_examples=N, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(net, cons):
    sols = solve(cons, ["H"])
    by = {s.symbols: s for s in sols}
    assert set(by) <= {("H",), ()}
    sol = by[("H",)]
    assert sol.exact, (net, [str(c) for c in cons])
    brute = valid_sizes(net, BRUTE)
    if () in by:  # constraints without symbols (H == H + 1): all or nothing
        const = by[()]
        if const.empty:
            assert not brute and len(const.conflict) == 1
            return sol
    got = [a["H"] for a in sol.iterate(BRUTE)]
    assert got == brute, (net, str(sol))
    assert (sol.smallest() or {}).get("H") == (brute[0] if brute else None) or \
        (not brute and sol.smallest()["H"] > BRUTE)
    # past the brute-force range, sample (the tail must stay right)
    rng = random.Random(hash(str(net)))
    for h in [rng.randint(BRUTE, 10**9) for _ in range(30)]:
        try:
            reference(net, h)
            ok = True
        except Invalid:
            ok = False
        assert sol.contains(h) == ok, (net, h, str(sol))
    if sol.empty:
        _check_conflict(sol)
    return sol


def _check_conflict(sol):
    conflict = list(sol.conflict)
    assert conflict, "an empty solution names its conflict"
    assert solve(conflict, ["H"])[0].empty
    for i in range(len(conflict)):  # minimal: every proper subset has a solution
        rest = conflict[:i] + conflict[i + 1:]
        assert not solve(rest, ["H"])[0].empty


@pytest.mark.slow
@FAST
@given(unets())
def test_unet_valid_sizes_equal_brute_force(net):
    out, cons = symbolic(net)
    _check(net, cons)


@pytest.mark.slow
@FAST
@given(dags(max_nodes=12))
def test_dag_valid_sizes_equal_brute_force(net):
    out, cons = symbolic(net)
    _check(net, cons)


@pytest.mark.slow
@FAST
@given(chains(), chains(), st.booleans())
def test_two_branches_meet(a, b, crop):
    """Two branches of the same input joined by concat (equality) after kernels that must fit."""
    net = [("op", 0, op) for op in a[:1]]
    for op in a[1:]:
        net.append(("op", len(net), op))
    end_a = len(net)
    net.append(("op", 0, b[0]))
    for op in b[1:]:
        net.append(("op", len(net), op))
    net.append(("merge", end_a, len(net)))
    out, cons = symbolic(net)
    _check(net, cons)


@pytest.mark.slow
@FAST
@given(chains(), st.integers(1, 40), st.integers(1, 40))
def test_equal_to_constants_and_upper_bounds(net, c, top):
    """Finite answers: an output pinned to a constant, or bounded above."""
    x = H
    cons = []
    for op in net:
        x, cs = sym_layer(op, x)
        cons.extend(cs)
    from slimdsl.symbolic import eq, ge
    extra = [eq(x, c), ge(top * 8, x)]
    for more in ([extra[0]], [extra[1]]):
        sol = solve(cons + more, ["H"])[0]
        brute = []
        for h in range(1, BRUTE + 1):
            if all(k.holds({"H": h}) for k in cons + more):
                brute.append(h)
        assert [a["H"] for a in sol.iterate(BRUTE)] == brute


@pytest.mark.slow
@FAST
@given(dags(max_nodes=8), chains(max_len=3))
def test_classify_against_brute_force(net, extra_chain):
    out, cons = symbolic(net)
    sol = solve(cons, ["H"])[0]
    x = H
    for op in extra_chain:
        x, _ = sym_layer(op, x)
    from slimdsl.symbolic import eq
    c = eq(x, out)
    imp = sol.classify(c)
    valid = [a["H"] for a in sol.iterate(600)]
    holds = [c.holds({"H": h}) for h in valid]
    if imp.verdict == "always":
        assert all(holds)
    elif imp.verdict == "never":
        assert not any(holds)
    else:
        assert any(holds) or not valid or sol.smallest()["H"] > 600
        assert imp.witness is not None and not c.holds(imp.witness)
        assert sol.contains(imp.witness)


@pytest.mark.slow
@settings(max_examples=N, deadline=None)
@given(st.data())
def test_solve_one_random_quasi_polynomials(data):
    """Products of floors (non-affine, but still one symbol): exact via interpolation."""
    from slimdsl.symbolic import ceil_div, floor_div
    def atom():
        m = data.draw(st.integers(1, 6))
        c = data.draw(st.integers(-6, 6))
        return floor_div(H * data.draw(st.integers(1, 3)) + c, m) if data.draw(st.booleans()) \
            else ceil_div(H + c, m)
    cons = []
    for _ in range(data.draw(st.integers(1, 3))):
        e = atom() * atom() - atom() * data.draw(st.integers(0, 4)) - data.draw(st.integers(0, 300))
        cons.append((data.draw(st.sampled_from(["==", ">="])), e))
    progs, exact, _ = solve_one("H", cons, 1, bound=BRUTE)
    from slimdsl.symbolic import IntSet
    s = IntSet.from_progressions(progs)
    brute = [h for h in range(1, BRUTE + 1)
             if all((evaluate(e, {"H": h}) == 0) if op == "==" else (evaluate(e, {"H": h}) >= 0)
                    for op, e in cons)]
    assert list(s.iterate(BRUTE)) == brute
    if exact:
        for h in range(BRUTE, BRUTE + 200):
            truth = all((evaluate(e, {"H": h}) == 0) if op == "==" else
                        (evaluate(e, {"H": h}) >= 0) for op, e in cons)
            assert s.contains(h) == truth
