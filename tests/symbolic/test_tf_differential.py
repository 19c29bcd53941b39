"""Differential test against real TensorFlow (slow): random U-Nets and branchy networks along one
axis, a graph built for every size 1..N; TF accepts a size iff the solver says it is valid, and
the output size is the formula's value.

    SYMDIM_TF_NETS=200 pytest -m slow tests/test_tf_differential.py
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from oracles.symbolic_nets import dags, k_eff, symbolic, unets

from slimdsl.symbolic import evaluate, solve

tf = pytest.importorskip("tensorflow")

NETS = int(os.environ.get("SYMDIM_TF_NETS", "40"))
SIZES = range(1, int(os.environ.get("SYMDIM_TF_SIZES", "48")) + 1)


def _filter(k, x):
    return tf.ones([k, 1, x.shape[-1], 1])


def _layer(op, x):
    kind, a, b, rate, padding = op
    dil = [rate, 1] if rate > 1 else None
    if kind == "conv":
        return tf.nn.conv2d(x, _filter(a, x), [1, b, 1, 1], padding, dilations=dil)
    if kind == "pool":
        return tf.nn.max_pool2d(x, [a, 1], [b, 1], padding)
    if kind == "same2":
        if b == 1:
            return tf.nn.conv2d(x, _filter(a, x), [1, 1, 1, 1], "SAME", dilations=dil)
        pad = k_eff(a, rate) - 1
        x = tf.pad(x, [[0, 0], [pad // 2, pad - pad // 2], [0, 0], [0, 0]])
        return tf.nn.conv2d(x, _filter(a, x), [1, b, 1, 1], "VALID", dilations=dil)
    if kind == "tconv":
        # tf_slim's conv2d_transpose: output length by tf.layers' deconv_output_length, then
        # the transposed convolution (whose gradient-shape checks must accept it)
        from tensorflow.python.layers import utils as layers_util
        out = layers_util.deconv_output_length(x.shape[1], a, padding.lower(), b)
        return tf.nn.conv2d_transpose(x, tf.ones([a, 1, 1, x.shape[-1]]), [1, out, 1, 1],
                                      [1, b, 1, 1], padding)
    if kind == "pad":
        if a < 0:  # a crop
            n = x.shape[1]
            if n - 2 * (-a) < 0:
                raise ValueError("crop larger than the tensor")
            return x[:, -a:n + a]
        return tf.pad(x, [[0, 0], [a, b], [0, 0], [0, 0]])
    raise AssertionError(kind)


def tf_output(net, h):
    """The output size TensorFlow's graph construction gives (static shape inference, as when
    slim builds a model), or None when it refuses. (Eager oneDNN kernels are not used: they
    return made-up shapes for some invalid windows, e.g. a VALID 2-kernel on 1 element.)"""

    def build(x):
        vals = [x]
        for ins in net:
            if ins[0] == "merge":
                vals.append(tf.concat([vals[ins[1]], vals[ins[2]]], axis=-1))
            else:
                vals.append(_layer(ins[2], vals[ins[1]]))
        return vals[-1]

    with tf.Graph().as_default():
        try:
            out = build(tf.compat.v1.placeholder(tf.float32, [1, h, 1, 1]))
        except (tf.errors.OpError, ValueError):
            return None
    return int(out.shape[1])


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
