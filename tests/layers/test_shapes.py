"""Shape arithmetic tables (pure functions; TensorFlow agreement is in test_shapes_tf.py)."""

from __future__ import annotations

import pytest

from slimdsl.layers import shapes as sh

# (size, kernel, stride, padding, rate, expected); figures verified in slim_semantics.md
CONV = [
    (224, 7, 2, "SAME", 1, 112), (225, 3, 2, "SAME", 1, 113), (224, 5, 3, "SAME", 1, 75),
    (224, 3, 1, "SAME", 3, 224), (224, 7, 2, "VALID", 1, 109), (224, 11, 4, "VALID", 1, 54),
    (224, 3, 1, "VALID", 2, 220), (7, 3, 1, "VALID", 3, 1), (8, 3, 1, "VALID", 3, 2),
    (224, 2, 2, "VALID", 1, 112), (224, 3, 2, "VALID", 1, 111), (225, 3, 2, "VALID", 1, 112),
    (35, 5, 3, "VALID", 1, 11), (7, 5, 3, "VALID", 1, 1), (1, 1, 1, "VALID", 1, 1),
]


@pytest.mark.parametrize("size,kernel,stride,padding,rate,expected", CONV)
def test_conv_output_dim(size, kernel, stride, padding, rate, expected):
    assert sh.conv_output_dim(size, kernel, stride, padding, rate) == expected


@pytest.mark.parametrize("size,kernel,stride,rate", [(2, 3, 1, 1), (4, 3, 1, 2), (6, 7, 2, 1)])
def test_valid_too_small_shows_arithmetic(size, kernel, stride, rate):
    with pytest.raises(sh.ShapeError, match=r"floor\(\(\d+-\d+\)/\d+\)\+1 = -?\d+"):
        sh.conv_output_dim(size, kernel, stride, "VALID", rate)


@pytest.mark.parametrize("size,kernel,stride,expected",
                         [(224, 7, 2, 112), (225, 7, 2, 113), (8, 3, 2, 4), (7, 3, 2, 4),
                          (112, 3, 1, 112)])
def test_conv2d_same_matches_ceil(size, kernel, stride, expected):
    assert sh.conv2d_same_output_dim(size, kernel, stride) == expected


@pytest.mark.parametrize("k,s,padding,expected",
                         [(3, 2, "SAME", 14), (5, 3, "SAME", 21), (3, 1, "VALID", 9),
                          (3, 2, "VALID", 15), (4, 2, "VALID", 16), (2, 2, "VALID", 14),
                          (1, 2, "VALID", 14), (5, 3, "VALID", 23)])
def test_transpose_output_dim(k, s, padding, expected):
    assert sh.transpose_output_dim(7, k, s, padding) == expected


def test_unknown_dimensions_propagate():
    assert sh.window_output((None, None, 7, 3), sh.Window((3, 3), (2, 2)), 8) == \
        (None, None, 4, 8)
    assert sh.flatten((None, None, 4)) == (None, None)
    assert sh.concat([(None, None, 4), (None, 5, 4)], -1) == (None, 5, 8)


def test_same_padding_is_asymmetric_like_tensorflow():
    assert sh.same_padding(224, 7, 2) == (2, 3)
    assert sh.same_padding(225, 3, 2) == (1, 1)
    assert sh.same_padding(4, 3, 2) == (0, 1)


@pytest.mark.parametrize("window, explicit, expected", [
    (sh.Window((5, 3), (1, 1), "VALID"), False, (None, 6, 10, 8)),
    (sh.Window((3, 1), (2, 3), "VALID"), False, (None, 4, 4, 8)),
    (sh.Window((1, 3), (1, 1), "VALID", (1, 2)), False, (None, 10, 8, 8)),
    (sh.Window((3, 3), (1, 4), "SAME"), False, (None, 10, 3, 8)),
    (sh.Window((7, 1), (2, 1), "SAME"), True, (None, 5, 12, 8)),
])
def test_each_axis_uses_its_own_kernel_stride_and_rate(window, explicit, expected):
    """Non-square windows: height and width must not borrow each other's numbers."""
    assert sh.window_output((None, 10, 12, 3), window, 8, explicit_pad=explicit) == expected
    with pytest.raises(sh.ShapeError, match=r"VALID 9x2 on 10x1: floor\(\(10-9\)/1\)\+1 = 2 by "
                                            r"floor\(\(1-2\)/1\)\+1 = 0"):
        sh.window_output((None, 10, 1, 3), sh.Window((9, 2), (1, 1), "VALID"), 8)


@pytest.mark.parametrize("body,message", [
    # found by the full differential run: TensorFlow refuses both while building the graph
    ("  net = net[1:, :-1]\n  gdn()\n", "gdn cannot take an empty spatial dimension"),
    ("  net = net[..., 1:1]\n  convolution(4, 3)\n", "convolution of a tensor with 0 channels"),
])
def test_empty_dimensions_tf_refuses(body, message):
    from slimdsl.api import check_source
    result = check_source(f"model m {{\n  input x: [1, 1, 8, 3]\n{body}}}\n", "m.slim")
    assert [d.code for d in result.diagnostics] == ["shape"], result.diagnostics
    assert message in result.diagnostics[0].message
