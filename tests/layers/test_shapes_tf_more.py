"""Differential tests of the N-d convolutions and pools, the normalizers besides batch_norm and
TF-Slim's less common layers, against real tf_slim (the harness is ``oracles.layer_shapes``).

Each case is one layer on placeholders of given static shapes; slimdsl and tf_slim must agree on
the output shape, the variables (names, shapes, trainable flags, initializer fingerprints,
regularizers) or on rejecting it (TF's error, at graph-building time or, for fully known shapes,
when the graph runs: TF checks a duplicated reduction axis only then). slimdsl's error must be a
diagnostic on the layer's line. Also here: every registry kind and alias has differential
cases (in this file or in test_shapes_tf.py), and the values TF-Slim accepts that slimdsl
rejects on purpose (renorm, zero-debiasing, per-example weights) are pinned.
"""

from __future__ import annotations

import itertools

import pytest
from oracles.layer_shapes import C, Case, Outcome, build_all, compare_all, mismatch, run_slimdsl
from oracles.slim_text import Sym
from test_ops_tf import KINDS as OP_KINDS
from test_shapes_tf import QUICK_CASES

from slimdsl.layers import LAYER_NAMES, LAYERS

V5 = (2, 4, 8, 8, 3)  # a small video: [N, T, H, W, C]
N4 = (None, 7, 7, 3)


def _quick_cases() -> list[Case]:
    c: list[Case] = []
    # conv1d (NWC)
    c += [C("conv1d", (None, 10, 3), args=(4, 3)),
          C("conv1d", (2, 10, 3), args=(4, 5), stride=2, padding="VALID"),
          C("conv1d", (2, 4, 3), args=(4, 5), padding="VALID"),
          C("conv1d", (2, 10, 3), args=(4, 3), stride=2, rate=2),
          C("conv1d", (2, 10, 10, 3), args=(4, 3)),
          C("conv1d", (2, 10, None), args=(4, 3)),
          C("conv1d", (None, 10, 3), args=(4, [3]), rate=2, call="convolution1d",
            normalizer_fn=Sym("batch_norm"))]
    # conv3d (NDHWC)
    c += [C("conv3d", (None, 8, 16, 16, 3), args=(4, [1, 3, 3]), stride=[1, 2, 2]),
          C("conv3d", (2, 4, 16, 16, 3), args=(4, [7, 7, 7]), padding="VALID"),
          C("conv3d", V5, args=(4, 3), padding="VALID", rate=[1, 2, 2]),
          C("conv3d", (None, None, None, None, 3), args=(4, 3), stride=2),
          C("conv3d", V5, args=(4, [3, 3])),
          C("conv3d", (2, 8, 8, 3), args=(4, 3)),
          C("conv3d", V5, args=(4, 1), call="convolution3d", normalizer_fn=Sym("instance_norm"),
            weights_regularizer=Sym("l2(0.1)")),
          C("conv3d", V5, args=(8, 1), normalizer_fn=Sym("group_norm"),
            normalizer_params={"groups": 2, "scale": False}),
          C("conv3d", V5, args=(4, 1), normalizer_fn=Sym("group_norm")),
          C("conv3d", V5, args=(4, 1), normalizer_fn=Sym("layer_norm"),
            normalizer_params={"begin_params_axis": 2}, activation_fn=None)]
    # convolution: 1-D, 2-D or 3-D by the input's rank
    c += [C("convolution", (2, 10, 3), args=(4, 3)), C("convolution", N4, args=(4, [1, 3])),
          C("convolution", V5, args=(4, [1, 3, 3]), stride=[1, 2, 2]),
          C("convolution", (2, 2, 4, 7, 7, 3), args=(4, 3)), C("convolution", (2, 3), args=(4, 3)),
          C("convolution", V5, args=(4, 3), conv_dims=2),
          C("convolution", N4, args=(4, [3, 3, 3])),
          C("convolution", N4, args=(4, 3), conv_dims=2, normalizer_fn=Sym("layer_norm"))]
    # conv3d_transpose
    c += [C("conv3d_transpose", (2, 4, 8, 8, 3), args=(5, 3), stride=2),
          C("conv3d_transpose", (None, 4, 8, None, 3), args=(5, [2, 4, 4]), stride=[1, 2, 2],
            padding="VALID"),
          C("conv3d_transpose", (2, 4, 8, 8, None), args=(5, 3)),
          C("conv3d_transpose", (2, 8, 8, 3), args=(5, 3)),
          C("conv3d_transpose", V5, args=(5, 1), call="convolution3d_transpose",
            biases_initializer=None)]
    # max_pool3d / avg_pool3d (TF-Slim defaults: stride 2, VALID)
    for kind in ("max_pool3d", "avg_pool3d"):
        c += [C(kind, (2, 8, 16, 16, 3), args=(2,)), C(kind, (2, 7, 9, 9, 3), args=(3,)),
              C(kind, (None, 7, 9, 9, 3), args=([1, 3, 3],), stride=[1, 2, 2], padding="SAME"),
              C(kind, (2, 2, 9, 9, 3), args=(3,)), C(kind, (2, 9, 9, 3), args=(3,))]
    # pool (tf.nn.pool)
    c += [C("pool", (2, 9, 9, 3), args=(3, "MAX")),
          C("pool", (2, 9, 9, 3), args=(3, "AVG"), padding="SAME", stride=2),
          C("pool", (2, 9, 9, 3), args=(3, "MAX"), dilation_rate=2),
          C("pool", (2, None, None, 3), args=(3, "MAX"), dilation_rate=2),
          C("pool", (2, 9, 9, 3), args=(3, "AVG"), padding="SAME", dilation_rate=2),
          C("pool", (2, 9, 9, 3), args=(3, "MAX"), stride=2, dilation_rate=2),
          C("pool", (2, 9, 9, 3), args=(1, "MAX"), stride=2),
          C("pool", (2, 10, 3), args=(3, "MAX")), C("pool", V5, args=(2, "AVG"), stride=2),
          C("pool", (2, 9), args=(2, "MAX")), C("pool", (2, 4, 4, 3), args=(5, "MAX")),
          C("pool", (2, 9, 9, 3), args=(3, "max")),
          C("pool", V5, args=(2, "MAX"), data_format="NHWC")]
    # instance_norm, layer_norm, group_norm
    c += [C("instance_norm", s) for s in [(None, 8, 8, 4), V5, (2, 10, 4), (2, 4), (2, 8, 8, None),
                                          (5,)]]
    c += [C("instance_norm", N4, center=False, epsilon=0.001, activation_fn=Sym("relu"),
            param_initializers={"gamma": Sym("constant(2.0)")}, trainable=False)]
    c += [C("layer_norm", s) for s in [(None, 8, 8, 4), (2, 10), (2, 8, 8, None), (4,)]]
    c += [C("layer_norm", (2, 8, 8, 4), begin_params_axis=1),
          C("layer_norm", (None, None, 8, 4), begin_params_axis=1),
          C("layer_norm", (2, 8, 8, 4), begin_norm_axis=-1, scale=False),
          C("layer_norm", (2, 8, 8, 4), begin_norm_axis=4),
          C("layer_norm", (2, 3, 3, 4), begin_norm_axis=-5),
          C("layer_norm", (2, 8, 8, 4), begin_params_axis=-5)]
    c += [C("group_norm", (None, 8, 8, 64)), C("group_norm", (2, 8, 8, 8), groups=4),
          C("group_norm", (2, 8, 8, 16)), C("group_norm", (2, 8, 8, 12), groups=8),
          C("group_norm", (2, 4, 8, 8, 8), groups=2),
          C("group_norm", (2, 8, 4, 4), groups=2, channels_axis=1, reduction_axes=[-2, -1]),
          C("group_norm", (2, 8, 4, 4), groups=2, channels_axis=1),
          C("group_norm", (2, None, None, 8), groups=2),
          C("group_norm", (2, 8, 8, 8), groups=2, reduction_axes=[-3, -3]),
          C("group_norm", (2, 8), groups=2), C("group_norm", (2, 8), groups=2, reduction_axes=[]),
          C("group_norm", (2, 8, 8, 8), groups=2, mean_close_to_zero=True, center=False)]
    # linear (fully_connected's partial), maxout, spatial_softmax
    c += [C("linear", (2, 10), args=(4,)), C("linear", (2, 3, 10), args=(4,)),
          C("linear", (2, None), args=(4,)),
          C("linear", (2, 10), args=(4,), normalizer_fn=Sym("layer_norm"))]
    c += [C("maxout", (2, 8), args=(4,)), C("maxout", (2, 5, 5, 6), args=(3,)),
          C("maxout", (None, 12), args=(4,)), C("maxout", (2, 8), args=(3,)),
          C("maxout", (2, None), args=(2,)), C("maxout", (2, 6, 5, 5), args=(2,), axis=1),
          C("maxout", (2, 4, 4, 4), args=(2,), axis=5)]
    c += [C("spatial_softmax", (2, 8, 6, 3)), C("spatial_softmax", (None, None, None, 5)),
          C("spatial_softmax", (2, 8, 6, 3), temperature=2.0, trainable=False),
          C("spatial_softmax", (2, 8, 6, None)), C("spatial_softmax", (2, 8, 3))]
    # images_to_sequence / sequence_to_images
    c += [C("images_to_sequence", s) for s in [(2, 4, 5, 3), (None, 4, 5, 3), (2, 4, None, 3),
                                               (4, 5, 3)]]
    c += [C("sequence_to_images", s, args=(4,)) for s in [(5, 8, 3), (5, None, 3), (5, 7, 3),
                                                          (None, 8, 3)]]
    c += [C("sequence_to_images", (5, 8, 3), args=(4,), output_data_format="channels_first")]
    # scale_gradient (positional only in TF-Slim's graph mode), gdn, model_variable
    c += [C("scale_gradient", (2, 7, 7, 3), args=(0.5,)), C("scale_gradient", (None, None),
                                                            args=(2.0,))]
    c += [C("gdn", s) for s in [(2, 8, 8, 4), (2, 10, 4), V5, (2, 4), (2, 8, 8, None),
                                (2, 2, 4, 8, 8, 4)]]
    c += [C("gdn", (2, 8, 8, 4), inverse=True, gamma_init=0.5, beta_min=0.001)]
    c += [C("model_variable", (1,), args=("w",), shape=[3, 4]),
          C("model_variable", (1,), args=("scale",), shape=[], initializer=Sym("constant(0.17)")),
          C("model_variable", (1,), args=("w",), shape=[3], trainable=False,
            regularizer=Sym("l2(0.1)")),
          C("model_variable", (1,), args=("w",))]
    # an alias, and batch_norm's arguments that change no shape
    c += [C("separable_conv2d", N4, args=(8, 3), call="separable_convolution2d")]
    c += [C("batch_norm", s, fused=f, updates_collections=u)
          for s, f, u in [(N4, True, "update_ops"), ((2, 3, 6), False, None),
                          ((2, 4, 3, 3, 6), None, None)]]
    c += [C("batch_norm", N4, renorm=False, renorm_decay=0.5, zero_debias_moving_mean=False,
            data_format="NHWC", scale=True)]
    return c


MORE_CASES = _quick_cases()
#: The quick suite's share: a success of every kind and alias, and the run-time-only failures.
QUICK_MORE = [c for i, c in enumerate(MORE_CASES)
              if c.name not in {d.name for d in MORE_CASES[:i]}
              or c.id in ("group_norm(groups=2,reduction_axes=[-3,-3])@[2,8,8,8]",
                          "conv3d(4,1,normalizer_fn=group_norm)@[2,4,8,8,3]")]


def _outcomes(cases: list[Case], tf, slim) -> dict[str, Outcome]:
    """TF outcomes, built (and run where the shapes are known) in one graph."""
    return build_all(cases, tf, slim, run=True, fingerprints=True)


@pytest.fixture(scope="module")
def quick_more_tf(tf, slim) -> dict[str, Outcome]:
    return _outcomes(QUICK_MORE, tf, slim)


@pytest.fixture(scope="module")
def more_tf(tf, slim) -> dict[str, Outcome]:
    return _outcomes(MORE_CASES, tf, slim)


@pytest.mark.parametrize("case", QUICK_MORE, ids=[c.id for c in QUICK_MORE])
def test_layer_agrees_with_tf_slim_quick(case: Case, quick_more_tf) -> None:
    problem = mismatch(case, run_slimdsl(case, fingerprints=True), quick_more_tf[case.id])
    assert problem is None, f"{case.id}: {problem}\n{case.source()}"


@pytest.mark.slow
@pytest.mark.parametrize("case", MORE_CASES, ids=[c.id for c in MORE_CASES])
def test_layer_agrees_with_tf_slim(case: Case, more_tf: dict[str, Outcome]) -> None:
    problem = mismatch(case, run_slimdsl(case, fingerprints=True), more_tf[case.id])
    assert problem is None, f"{case.id}: {problem}\n{case.source()}"


def test_every_layer_kind_and_alias_has_differential_cases() -> None:
    """A new layer kind (or alias) fails here until it gets cases (here, in test_shapes_tf.py,
    or as a TensorFlow op in test_ops_tf.py), with both outcomes for most kinds."""
    cases = QUICK_CASES + MORE_CASES
    assert {c.kind for c in cases} | OP_KINDS == set(LAYERS)
    assert {c.name for c in cases} | OP_KINDS == set(LAYER_NAMES) | {"strided_slice"}
    assert len({c.id for c in cases}) == len(cases), "duplicate case ids"


@pytest.mark.slow
def test_the_new_kinds_have_errors_and_successes(more_tf) -> None:
    new = {c.kind for c in MORE_CASES} - {"batch_norm", "separable_conv2d"}
    passing = {c.kind for c in MORE_CASES if more_tf[c.id].ok}
    failing = {c.kind for c in MORE_CASES if not more_tf[c.id].ok}
    assert new <= passing
    assert len(new & failing) >= len(new) - 2, sorted(new - failing)


def test_errors_show_the_arithmetic() -> None:
    """slimdsl's messages for the new layers carry the numbers that went wrong."""
    expected = [
        (C("conv3d", (2, 4, 16, 16, 3), args=(4, [7, 7, 7]), padding="VALID"),
         "VALID 7x7x7 on 4x16x16: floor((4-7)/1)+1 = -2 by floor((16-7)/1)+1 = 10"),
        (C("max_pool3d", (2, 2, 9, 9, 3), args=(3,)), "floor((2-3)/2)+1 = 0"),
        (C("group_norm", (2, 8, 8, 12), groups=8), "12 channels do not split into 8 groups: "
                                                   "12 % 8 = 4"),
        (C("maxout", (2, 8), args=(3,)), "8 % 3 = 2"),
        (C("sequence_to_images", (5, 7, 3), args=(4,)), "7 % 4 = 3"),
        (C("conv3d", (2, 8, 8, 3), args=(4, 3)), "expected a rank-5 tensor [N, T, H, W, C]"),
    ]
    for case, text in expected:
        error = run_slimdsl(case).error
        assert text in error, (case.id, error)


#: Values TF-Slim accepts that slimdsl rejects, each with its reason (docs/layers.md lists them).
UNSUPPORTED = [
    (C("batch_norm", N4, renorm=True), "batch renormalization"),
    (C("batch_norm", N4, zero_debias_moving_mean=True), "zero-debiased moving mean"),
    (C("batch_norm", N4, data_format="NCHW"), "channels-first"),
    (C("gdn", (2, 4, 8, 8), data_format="channels_first"), "channels-first"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case,reason", UNSUPPORTED, ids=[c.id for c, _ in UNSUPPORTED])
def test_unsupported_values_are_rejected_on_purpose(case: Case, reason: str, tf, slim) -> None:
    """TF-Slim builds these; slimdsl says plainly that it does not support them, and why."""
    assert build_all([case], tf, slim)[case.id].ok
    error = run_slimdsl(case).error
    assert "is not supported" in error and reason in error, error


# ---------------------------------------------------------------------------- full grids (slow)

SPATIAL_3D = ((1, 8, 8), (4, 7, 9), (3, 2, 13), (None, 7, 8), (5, None, None))
KERNELS_3D = (1, 3, [1, 3, 3], [2, 5, 1])
#: (stride, rate): rates only at stride 1; the last one is an error
STRIDE_RATES_3D = ((1, 1), (2, 1), ([1, 2, 2], 1), ([2, 1, 3], 1), (1, 2), (1, [1, 2, 2]),
                   (2, 2))


def _grid(kind: str) -> list[Case]:
    product = itertools.product
    video = [(2, *s, 3) for s in SPATIAL_3D]
    if kind == "conv3d":
        return [C(kind, x, args=(4, k), stride=s, padding=p, **({"rate": r} if r != 1 else {}))
                for x, k, (s, r), p in product(video, KERNELS_3D, STRIDE_RATES_3D,
                                               ("SAME", "VALID"))]
    if kind in ("conv3d_transpose", "max_pool3d", "avg_pool3d"):
        head = () if "pool" in kind else (4,)
        return [C(kind, x, args=head + (k,), stride=s, padding=p)
                for x, k, (s, _), p in product(video, KERNELS_3D, STRIDE_RATES_3D[:4],
                                               ("SAME", "VALID"))]
    if kind in ("conv1d", "convolution", "pool"):
        shapes = [(2, 9, 3), (None, 2, 3), (2, None, 3), (2, 8, 9, 3), (2, None, 7, 3),
                  *video[:3], (2, 3), (2, 1, 1, 1, 1, 3)]
        if kind == "conv1d":
            shapes = shapes[:3]
        out = []
        for x, k, s, r, p in product(shapes, (1, 2, 3, 5) if kind == "conv1d" else (1, 2, 5),
                                     (1, 2, 3) if kind == "conv1d" else (1, 2), (1, 2),
                                     ("SAME", "VALID")):
            if kind == "pool":
                out.append(C(kind, x, args=(k, "MAX" if k % 2 else "AVG"), stride=s,
                             dilation_rate=r, padding=p))
            else:
                out.append(C(kind, x, args=(4, k), stride=s, rate=r, padding=p))
        return out
    shapes = [(2, 10), (None, 7, 8), (2, 4, 4, 8), (None, None, None, 16), (2, 3, 4, 4, 8),
              (2, 4, None), (5,), (2, 1, 1, 32)]
    if kind == "instance_norm":
        return [C(kind, s, center=c, scale=sc) for s, c, sc in
                product(shapes, (True, False), (True, False))]
    if kind == "layer_norm":
        return [C(kind, s, begin_norm_axis=b, begin_params_axis=q)
                for s, b, q in product(shapes, (1, -1, 2, 4), (-1, 1, -2, 3))]
    if kind == "group_norm":
        return [C(kind, s, groups=g, channels_axis=a, reduction_axes=r)
                for s, g, a, r in product(shapes, (1, 2, 4, 32), (-1, 1),
                                          ([-3, -2], [1], [], [-2, -1]))]
    if kind == "maxout":
        return [C(kind, s, args=(n,), axis=a) for s, n, a in product(shapes, (1, 2, 3), (-1, 1))]
    if kind == "gdn":
        return [C(kind, s, inverse=i) for s, i in product(shapes, (False, True))]
    if kind == "spatial_softmax":
        return [C(kind, s) for s in shapes]
    if kind == "images_to_sequence":
        return [C(kind, s) for s in shapes + [(3, 5, 7, 2), (None, 2, 3, 4)]]
    if kind == "sequence_to_images":
        return [C(kind, s, args=(h,)) for s, h in product(
            shapes + [(5, 12, 3), (5, None, 2), (None, 6, 1)], (1, 2, 3))]
    raise AssertionError(f"no grid for {kind}")


SLOW_KINDS = ["avg_pool3d", "conv1d", "conv3d", "conv3d_transpose", "convolution", "gdn",
              "group_norm", "images_to_sequence", "instance_norm", "layer_norm", "max_pool3d",
              "maxout", "pool", "sequence_to_images", "spatial_softmax"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", SLOW_KINDS)
def test_full_grid_agrees_with_tf_slim(kind: str, tf, slim) -> None:
    cases = list({c.id: c for c in _grid(kind)}.values())
    problems = compare_all(cases, tf, slim, share_variables=True, chunk=150, run=True)
    shown = "\n".join(problems[:25])
    more = f"\n... and {len(problems) - 25} more" if len(problems) > 25 else ""
    assert not problems, f"{len(problems)} of {len(cases)} {kind} cases disagree:\n{shown}{more}"


def _tf_raises(tf, slim, shape, fn) -> str:
    """The exception tf_slim raises building ``fn(slim, x)`` (or "")."""
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, shape)
        try:
            fn(slim, x)
        except (TypeError, ValueError, AttributeError) as e:
            return type(e).__name__
    return ""


#: TF-Slim's argument rules that are no shape rule: (.slim body, input, tf_slim code).
ARGUMENT_RULES = [
    ('arg_scope([convolution], padding="VALID") {\n    conv2d(4, 3)\n  }', [2, 8, 8, 3],
     lambda s, x: _scoped(s, [s.convolution], dict(padding="VALID"), s.conv2d, x, 4, 3)),
    ("arg_scope([convolution], stride=2) {\n    conv3d(4, 3)\n  }", [2, 4, 8, 8, 3],
     lambda s, x: _scoped(s, [s.convolution], dict(stride=2), s.conv3d, x, 4, 3)),
    ("linear(4, relu)", [2, 10], lambda s, x: s.linear(x, 4, s.conv2d)),
    ("arg_scope([linear], trainable=false) {\n    relu()\n  }", [2, 10],
     lambda s, x: _scoped(s, [s.linear], dict(trainable=False), s.fully_connected, x, 4)),
    ("arg_scope([gdn], trainable=false) {\n    relu()\n  }", [2, 10],
     lambda s, x: _scoped(s, [s.gdn], dict(trainable=False), s.fully_connected, x, 4)),
]


def _scoped(slim, fns, kwargs, layer, *args):
    with slim.arg_scope(fns, **kwargs):
        return layer(*args)


@pytest.mark.slow
@pytest.mark.parametrize("body,shape,fn", ARGUMENT_RULES,
                         ids=[b.split("\n")[0] for b, _, _ in ARGUMENT_RULES])
def test_argument_rules_agree_with_tf_slim(body, shape, fn, tf, slim):
    assert _tf_raises(tf, slim, shape, fn), "tf_slim accepts it"
    dims = ", ".join(str(d) for d in shape)
    source = f"model m {{\n  input x: [{dims}]\n  {body}\n}}\n"
    from slimdsl.api import check_source
    assert [d for d in check_source(source, "t.slim").diagnostics if d.is_error], source
