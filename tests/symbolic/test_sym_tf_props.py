"""TF shape rules: symbolic chains evaluate exactly like integer chains, and the int path mirrors
slimdsl's shapes.py (which is verified against TensorFlow 2.21)."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.symbolic_nets import (
    H,
    Invalid,
    chains,
    dags,
    ref_layer,
    reference,
    sym_layer,
    symbolic,
)

from slimdsl.symbolic import Expr, evaluate, sym, tf
from slimdsl.symbolic.expr import floor_atoms_postorder

SIZES = range(1, 301)


SLIM = importlib.import_module("slimdsl.layers.shapes")


def _canonical(e) -> None:
    """Structural invariants of the normal form (checked on every generated expression)."""
    if not isinstance(e, Expr):
        return
    for a in floor_atoms_postorder((e,)):
        assert a.den >= 2
        assert 0 <= a.num.const < a.den
        assert all(0 < c < a.den for c in a.num.terms.values())


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(chains(max_len=10))
def test_chain_expression_equals_integer_chain(net):
    x = H
    cons = []
    for op in net:
        x, cs = sym_layer(op, x)
        cons.extend(cs)
    _canonical(x)
    for h in SIZES:
        try:
            want = h
            for op in net:
                want = ref_layer(op, want)
        except Invalid:
            assert not all(c.holds({"H": h}) for c in cons), (net, h)
            continue
        assert all(c.holds({"H": h}) for c in cons), (net, h)
        assert evaluate(x, {"H": h}) == want, (net, h, str(x))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(dags())
def test_dag_with_branches(net):
    out, cons = symbolic(net)
    _canonical(out)
    for h in SIZES:
        try:
            want = reference(net, h)
        except Invalid:
            assert not all(c.holds({"H": h}) for c in cons)
            continue
        assert all(c.holds({"H": h}) for c in cons)
        assert evaluate(out, {"H": h}) == want


def test_five_same_stride_two_is_ceil_h_over_32():
    x = H
    for _ in range(5):
        x = tf.conv_output_dim(x, 3, 2, "SAME")
    assert str(x) == "ceil(H / 32)"
    y = sym("H")
    for _ in range(5):
        y = tf.conv2d_same_output_dim(y, 7, 2)
    assert y is x or y == x


def test_valid_on_floors_collapses_to_one_floor():
    x = tf.conv_output_dim(H, 3, 2, "VALID")            # floor((H - 1) / 2)
    x = tf.conv_output_dim(x, 3, 2, "VALID")            # floor((H - 3) / 4)
    assert str(x) == "floor((H - 3) / 4)"
    y = tf.conv_output_dim(tf.conv_output_dim(H, 3, 2, "SAME"), 5, 3, "VALID")
    assert len([a for a in floor_atoms_postorder((y,))]) == 1


def test_transposed_and_flatten_and_concat():
    up = tf.transpose_output_dim(tf.conv_output_dim(H, 3, 2, "SAME"), 3, 2, "SAME")
    assert str(up) == "2*ceil(H / 2)"
    assert str(tf.transpose_output_dim(H, 5, 2, "VALID")) == "2*H + 3"
    assert str(tf.flatten_dim([H, sym("W"), 3])) == "3*H*W"
    assert str(tf.concat_dim([H, up])) == "H + 2*ceil(H / 2)"
    assert tf.concat_dim([H, None]) is None


def test_constant_results_are_ints():
    assert tf.conv_output_dim(H - H + 9, 3, 1, "VALID") == 7
    assert type(tf.pad_dim(H - H + 2, 1, 1)) is int


# -- the int path is slimdsl's shapes.py --

CONV = [(224, 7, 2, "SAME", 1, 112), (225, 3, 2, "SAME", 1, 113), (224, 5, 3, "SAME", 1, 75),
        (224, 3, 1, "SAME", 3, 224), (224, 7, 2, "VALID", 1, 109), (224, 11, 4, "VALID", 1, 54),
        (224, 3, 1, "VALID", 2, 220), (7, 3, 1, "VALID", 3, 1), (8, 3, 1, "VALID", 3, 2),
        (224, 2, 2, "VALID", 1, 112), (35, 5, 3, "VALID", 1, 11), (1, 1, 1, "VALID", 1, 1)]


@pytest.mark.parametrize("size,kernel,stride,padding,rate,expected", CONV)
def test_conv_table(size, kernel, stride, padding, rate, expected):
    assert tf.conv_output_dim(size, kernel, stride, padding, rate) == expected
    assert evaluate(tf.conv_output_dim(H, kernel, stride, padding, rate), {"H": size}) == expected


@pytest.mark.skipif(SLIM is None, reason="slimdsl not importable")
@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.integers(1, 400), st.integers(1, 9), st.integers(1, 5), st.integers(1, 4),
       st.sampled_from(["SAME", "VALID"]))
def test_int_path_mirrors_slimdsl(size, k, s, rate, padding):
    def both(f_ours, f_slim):
        try:
            want = f_slim()
        except SLIM.ShapeError as exc:
            with pytest.raises(tf.ShapeError) as got:
                f_ours()
            assert str(got.value) == str(exc)
            return
        assert f_ours() == want
    both(lambda: tf.conv_output_dim(size, k, s, padding, rate),
         lambda: SLIM.conv_output_dim(size, k, s, padding, rate))
    both(lambda: tf.conv2d_same_output_dim(size, k, s, rate),
         lambda: SLIM.conv2d_same_output_dim(size, k, s, rate))
    both(lambda: tf.transpose_output_dim(size, k, s, padding),
         lambda: SLIM.transpose_output_dim(size, k, s, padding))
    both(lambda: tf.same_padding(size, k, s, rate), lambda: SLIM.same_padding(size, k, s, rate))
    sh = (None, size, 7, 3)
    both(lambda: tf.concat([sh, (None, size + k % 2, 7, 5)], -1)[0],
         lambda: SLIM.concat([sh, (None, size + k % 2, 7, 5)], -1))
    both(lambda: tf.flatten(sh), lambda: SLIM.flatten(sh))
    # symbolic at this size agrees too
    for f in (lambda d: tf.conv_output_dim(d, k, s, padding, rate),
              lambda d: tf.conv2d_same_output_dim(d, k, s, rate),
              lambda d: tf.transpose_output_dim(d, k, s, padding)):
        try:
            want = f(size)
        except tf.ShapeError:
            continue
        assert evaluate(f(H), {"H": size}) == want


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300), st.integers(1, 7), st.integers(1, 4), st.integers(1, 3))
def test_symbolic_same_padding(size, k, s, rate):
    from slimdsl.symbolic import Undecidable
    try:
        before, after = tf.same_padding(H, k, s, rate)
    except Undecidable:
        assert 1 < tf.effective_kernel(k, rate) < s
        return
    assert (evaluate(before, {"H": size}), evaluate(after, {"H": size})) == \
        tf.same_padding(size, k, s, rate)


def test_merge_and_broadcast_rules():
    with pytest.raises(tf.ShapeError, match="dimension 1 differs"):
        tf.merge_dims([28, H, 27], 1)
    assert tf.equal_requires([H, H, None]) == ()
    shape, cs = tf.broadcast((None, H, 1), (None, 1, 5))
    assert shape == (None, H, 5) and cs == ()
    with pytest.raises(tf.ShapeError, match="cannot add"):
        tf.broadcast((None, 7, 256), (None, 7, 128))
    d, cs = tf.reshape_infer(H * 3, 3)
    assert d == H and cs == ()
    with pytest.raises(tf.ShapeError):
        tf.crop_dim(3, 2, 2)
    assert [str(c) for c in tf.slice_requires(H, 2)] == ["H >= 2"]


SLICES = [(None, None), (1, None), (-1, None), (None, -1), (0, 10), (3, None), (-2, -1), (2, 5)]


@pytest.mark.parametrize(("start", "stop"), SLICES)
def test_a_slice_of_a_named_size_is_what_tensorflow_gives_at_every_size(start, stop):
    """x[:, start:stop] on H: the formula where slimc gives one, at every H in 1..12 (TF's
    clamping, computed by Python's, which TF follows); no requirement on H ever."""
    from slimdsl.layers.op_shapes import slice_length
    from slimdsl.layers.size_constraints import collecting

    with collecting() as found:
        length = slice_length(H, start, stop, None)
    assert found == []
    for size in range(1, 13):
        want = len(range(size)[start:stop])
        if length is not None:
            assert evaluate(length, {"H": size}) == want, (start, stop, size)
