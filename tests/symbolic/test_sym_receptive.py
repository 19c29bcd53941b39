"""Receptive fields against an explicit index-mapping simulation, concrete and symbolic."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from slimdsl.symbolic import Undecidable, sym, tf
from slimdsl.symbolic.receptive import conv_field, input_field, pad_field, transpose_field

H = sym("H")

window = st.tuples(st.sampled_from(["conv", "pool"]), st.integers(1, 7), st.integers(1, 4),
                   st.integers(1, 3), st.sampled_from(["SAME", "VALID", "conv2d_same"]))
padl = st.tuples(st.just("pad"), st.integers(0, 3), st.integers(0, 3), st.just(1), st.just(""))
layers = st.lists(st.one_of(window, window, padl), min_size=1, max_size=6)


def _shifted(f, a):
    """``o -> f(o - a)``."""
    return lambda o: f(o - a)


def _keff(k, r):
    return k + (k - 1) * (r - 1)


def simulate(net, h):
    """Per layer: (lo, hi) image-pixel span of unit o, as functions built from index maps."""
    lo, hi = (lambda u: u), (lambda u: u)
    n = h
    for kind, a, b, rate, pad in net:
        if kind == "pad":
            lo, hi = _shifted(lo, a), _shifted(hi, a)
            n = n + a + b
            continue
        k, s = a, b
        ke = _keff(k, rate if kind == "conv" else 1)
        if pad == "VALID":
            p, out = 0, (n - ke) // s + 1
        elif pad == "SAME":
            out = -(-n // s)
            total = max((out - 1) * s + ke - n, 0)
            p = total // 2
        else:  # conv2d_same: pad (ke - 1) symmetrically (before: (ke - 1) // 2), then VALID
            p = (ke - 1) // 2
            out = -(-n // s) if s == 1 else (n + ke - 1 - ke) // s + 1
        if out <= 0:
            return None
        lo = (lambda lo, s, p: lambda o: lo(o * s - p))(lo, s, p)  # noqa: B023  # noqa: B023  # noqa: B023
        hi = (lambda hi, s, p, ke: lambda o: hi(o * s - p + ke - 1))(hi, s, p, ke)  # noqa: B023  # noqa: B023  # noqa: B023  # noqa: B023
        n = out
    return lo, hi


def fields(net, size):
    f = input_field()
    n = size
    for kind, a, b, rate, pad in net:
        if kind == "pad":
            f = pad_field(f, a)
            n = tf.pad_dim(n, a, b)
            continue
        r = rate if kind == "conv" else 1
        f = conv_field(f, a, b, pad, r, in_size=n)
        n = tf.conv2d_same_output_dim(n, a, b, r) if pad == "conv2d_same" else \
            tf.conv_output_dim(n, a, b, pad, r)
    return f


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(layers, st.integers(1, 200))
def test_fields_match_index_simulation(net, h):
    sim = simulate(net, h)
    assume(sim is not None)
    lo, hi = sim
    f = fields(net, h)
    centre0 = Fraction(lo(0) + hi(0), 2)
    centre1 = Fraction(lo(1) + hi(1), 2)
    assert f.size == hi(0) - lo(0) + 1 == hi(5) - lo(5) + 1
    assert f.jump == centre1 - centre0
    assert f.start.at() == centre0


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(layers, st.integers(1, 200))
def test_symbolic_offsets_evaluate_to_the_concrete_ones(net, h):
    assume(simulate(net, h) is not None)
    try:
        fs = fields(net, H)
    except Undecidable:  # SAME with 1 < k_eff < stride: size-dependent max
        return
    fc = fields(net, h)
    assert (fs.jump, fs.size) == (fc.jump, fc.size)
    assert fs.start.at({"H": h}) == fc.start.at()


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(window.filter(lambda w: w[4] != "SAME"), max_size=3),
       st.integers(1, 6), st.integers(1, 4), st.sampled_from(["SAME", "VALID"]))
def test_transposed_field_bounds_every_unit(net, k, s, padding):
    """After a transposed convolution units see ceil(k/s) or floor(k/s) inputs: the field is the
    maximum span, and every unit's centre is within half a jump of the affine model's."""
    h = 300
    sim = simulate(net, h)
    assume(sim is not None)
    lo, hi = sim
    f = fields(net, h)
    t = transpose_field(f, k, s, padding)
    p = max(k - s, 0) // 2 if padding == "SAME" else 0
    spans = []
    for o in range(0, 40):
        i1, i2 = -((-(o + p - k + 1)) // s), (o + p) // s
        if i1 > i2:
            continue
        spans.append(hi(i2) - lo(i1) + 1)
        centre = Fraction(lo(i1) + hi(i2), 2)
        assert abs(centre - (t.start.at() + o * t.jump)) <= f.jump / 2
    assert max(spans) == t.size
    assert t.jump == f.jump / s


def test_resnet_stem():
    f = conv_field(input_field(), 7, 2, "SAME", in_size=224)
    f = conv_field(f, 3, 2, "SAME", in_size=112)
    assert (f.jump, f.size, f.start.at()) == (4, 11, 3)
    g = conv_field(input_field(), 7, 2, "SAME", in_size=H)
    assert str(g.start) == "H - 2*ceil(H / 2) + 1"
    assert g.start.at({"H": 224}) == 1 and g.start.at({"H": 225}) == 0
