"""FLOPs/memory formulas: the approximation keeps the leading behaviour, evaluation stays exact."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slimdsl.symbolic import approximate, ceil_div, evaluate, floor_div, sym, tf

H, W = sym("H"), sym("W")


def _resnet_like_flops():
    """2 * macs of a few convolutions, per example, plus a bias per output element."""
    total, h, w, cin = 0, H, W, 3
    for k, s, cout in [(7, 2, 64), (3, 1, 64), (3, 2, 128), (3, 2, 256), (1, 1, 1000)]:
        h, w = tf.conv_output_dim(h, k, s, "SAME"), tf.conv_output_dim(w, k, s, "SAME")
        total = total + h * w * (2 * k * k * cin * cout + cout)
        cin = cout
    return total


def test_flops_formula_and_exact_value():
    flops = _resnet_like_flops()
    a = approximate(flops)
    assert a.degree() == 2
    lead = sum((2 * k * k * cin + 1) * cout / (s * s)
               for k, cin, cout, s in [(7, 3, 64, 2), (3, 64, 64, 2), (3, 64, 128, 4),
                                       (3, 128, 256, 8), (1, 256, 1000, 8)])
    assert abs(float(a.terms[(("H", 1), ("W", 1))]) - lead) < 1e-9
    text = a.format(max_terms=2)
    assert text.startswith(f"{lead:.2g}".replace("e+0", "e") + "·H·W + ") and text.endswith("+ …")
    exact = evaluate(flops, {"H": 224, "W": 224})
    assert abs(a.evaluate({"H": 224, "W": 224}) - exact) / exact < 0.05  # ceil(H/8) ~ (H+7)/8
    assert isinstance(exact, int)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 50)),
                min_size=1, max_size=5))
def test_relative_error_vanishes_for_large_sizes(layers):
    total, h, stride = 0, H, 1
    for k, s, c in layers:
        h = tf.conv_output_dim(h, k, s, "SAME")
        stride *= s
        total = total + h * h * c
    drop, mean = approximate(total), approximate(total, mode="mean")
    for size in (10**4, 10**6):  # relative error O(stride / size): floors move by < 1 each
        exact = evaluate(total, {"H": size})
        for a in (drop, mean):
            assert abs(a.evaluate({"H": size}) - exact) <= exact * 4 * stride / size


def test_mean_mode_is_exact_on_average():
    e = floor_div(H, 4) * 8
    mean = approximate(e, mode="mean")
    avg = sum(evaluate(e, {"H": h}) for h in range(1000, 1400)) / 400
    assert abs(mean.evaluate({"H": 1199.5}) - avg) < 1e-9
    assert str(approximate(ceil_div(H, 2) * W)) == "0.5·H·W + 0.5·W"
