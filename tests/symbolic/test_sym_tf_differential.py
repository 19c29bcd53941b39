"""Differential test against real TensorFlow (slow): random U-Nets and branchy networks along one
axis, a graph built for every size 1..N; TF accepts a size iff the solver says it is valid, and
the output size is the formula's value.

    SYMDIM_TF_NETS=200 pytest -m slow tests/symbolic/test_sym_tf_differential.py
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from oracles.symbolic_nets import dags, symbolic, unets

from slimdsl.symbolic import evaluate, solve

pytest.importorskip("tensorflow")
from oracles.symbolic_tf import tf_output  # noqa: E402

NETS = int(os.environ.get("SYMDIM_TF_NETS", "15"))
SIZES = range(1, int(os.environ.get("SYMDIM_TF_SIZES", "48")) + 1)


def _differential(net):
    # TF has no strided dilated convolution (slim refuses it before any shape question)
    assume(not any(i[0] == "op" and i[2][0] in ("conv", "same2") and i[2][2] > 1 and i[2][3] > 1
                   for i in net))
    out, cons = symbolic(net)
    sols = {s.symbols: s for s in solve(cons, ["H"])}
    always_false = () in sols and sols[()].empty
    sol = sols[("H",)]
    for h in SIZES:
        got = tf_output(net, h)
        valid = sol.contains(h) and not always_false
        assert (got is not None) == valid, (net, h, str(sol))
        if got is not None:
            assert got == evaluate(out, {"H": h})


@pytest.mark.slow
@settings(max_examples=NETS, deadline=None, suppress_health_check=list(HealthCheck))
@given(unets())
def test_unets_against_tensorflow(net):
    _differential(net)


@pytest.mark.slow
@settings(max_examples=NETS, deadline=None, suppress_health_check=list(HealthCheck))
@given(dags(max_nodes=8))
def test_branchy_networks_against_tensorflow(net):
    _differential(net)
