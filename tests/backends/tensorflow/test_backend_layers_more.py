"""Generated code of the N-d convolutions and pools, the normalizers and TF-Slim's less common
layers against real tf_slim: variables, outputs (inference and training), moving averages after
one training step and regularization losses (``oracles.backend.compare``), plus gradients where
a layer defines its own (scale_gradient, gdn).

A few cases run in the quick suite; the rest are marked slow.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracles.backend import build_generated, compare

V = (2, 4, 9, 9, 3)  # a small video [N, T, H, W, C]: odd sizes make SAME padding asymmetric
X = (2, 9, 9, 3)
S = (2, 9, 3)


def _model(body: str, shape: tuple) -> str:
    dims = ", ".join("?" if i == 0 else str(d) for i, d in enumerate(shape))
    return f"model m {{\n  input x: [{dims}]\n{body}\n}}\n"


def _bn(s, tr, **kw):
    return {"normalizer_fn": s.batch_norm, "normalizer_params": {"is_training": tr, **kw}}


# (id, input shape, .slim body, tf_slim builder(s = tf_slim, t = tf, x, is_training))
CASES = [
    ("conv1d", S, "  conv1d(8, 3)\n  convolution1d(4, 5, stride=2, padding=\"VALID\","
                  " normalizer_fn=batch_norm)\n  conv1d(3, 3, rate=2)",
     lambda s, t, x, tr: s.conv1d(s.convolution1d(s.conv1d(x, 8, 3), 4, 5, stride=2,
                                                  padding="VALID", **_bn(s, tr)), 3, 3, rate=2)),
    ("conv3d", V, '  conv3d(4, [1, 3, 3], stride=[1, 2, 2])\n'
                  '  conv3d(5, 3, rate=[1, 2, 2], weights_regularizer=l2(0.1))\n'
                  '  convolution3d(6, [3, 1, 1], padding="VALID", biases_initializer=none)',
     lambda s, t, x, tr: s.convolution3d(s.conv3d(s.conv3d(x, 4, [1, 3, 3], stride=[1, 2, 2]),
                                                  5, 3, rate=[1, 2, 2],
                                                  weights_regularizer=s.l2_regularizer(0.1)),
                                         6, [3, 1, 1], padding="VALID",
                                         biases_initializer=None)),
    ("conv3d_batch_norm", V,
     "  conv3d(4, 3, normalizer_fn=batch_norm, normalizer_params={scale: true, decay: 0.9,"
     " param_regularizers: {gamma: l2(0.1), beta: l1(0.2)}})",
     lambda s, t, x, tr: s.conv3d(x, 4, 3, **_bn(s, tr, scale=True, decay=0.9,
                                                 param_regularizers={
                                                     "gamma": s.l2_regularizer(0.1),
                                                     "beta": s.l1_regularizer(0.2)}))),
    ("conv3d_normalizers", V,
     "  conv3d(8, 1, normalizer_fn=instance_norm, normalizer_params={epsilon: 0.001})\n"
     "  conv3d(8, 1, normalizer_fn=group_norm, normalizer_params={groups: 4, scale: false},"
     " activation_fn=relu6)\n"
     "  conv3d(8, 1, normalizer_fn=layer_norm, normalizer_params={begin_params_axis: 2})",
     lambda s, t, x, tr: s.conv3d(s.conv3d(s.conv3d(
         x, 8, 1, normalizer_fn=s.instance_norm, normalizer_params={"epsilon": 0.001}),
         8, 1, normalizer_fn=s.group_norm, normalizer_params={"groups": 4, "scale": False},
         activation_fn=t.nn.relu6),
         8, 1, normalizer_fn=s.layer_norm, normalizer_params={"begin_params_axis": 2})),
    ("convolution", X, "  convolution(4, [1, 3], stride=2)\n  convolution(5, 3, rate=2,"
                       " normalizer_fn=instance_norm)",
     lambda s, t, x, tr: s.convolution(s.convolution(x, 4, [1, 3], stride=2), 5, 3, rate=2,
                                       normalizer_fn=s.instance_norm)),
    ("convolution_3d_1d", V, "  convolution(4, [2, 3, 3], padding=\"VALID\")",
     lambda s, t, x, tr: s.convolution(x, 4, [2, 3, 3], padding="VALID")),
    ("conv3d_transpose", V,
     '  conv3d_transpose(4, 3, stride=2)\n'
     '  convolution3d_transpose(3, [2, 3, 3], stride=[1, 2, 1], padding="VALID",'
     ' normalizer_fn=batch_norm)',
     lambda s, t, x, tr: s.convolution3d_transpose(s.conv3d_transpose(x, 4, 3, stride=2),
                                                   3, [2, 3, 3], stride=[1, 2, 1],
                                                   padding="VALID", **_bn(s, tr))),
    ("pools_3d", V, '  max_pool3d([1, 3, 3], stride=[1, 2, 2], padding="SAME")\n'
                    '  avg_pool3d(2, stride=1, padding="SAME")\n  avg_pool3d([2, 2, 2])',
     lambda s, t, x, tr: s.avg_pool3d(s.avg_pool3d(s.max_pool3d(
         x, [1, 3, 3], stride=[1, 2, 2], padding="SAME"), 2, stride=1, padding="SAME"),
         [2, 2, 2])),
    ("pool", X, '  pool(3, "MAX", dilation_rate=2)\n  pool(2, "AVG", padding="SAME",'
                ' stride=[1, 2])\n  pool(1, "MAX")',
     lambda s, t, x, tr: s.pool(s.pool(s.pool(x, 3, "MAX", dilation_rate=2), 2, "AVG",
                                       padding="SAME", stride=[1, 2]), 1, "MAX")),
    ("pool_1d_3d", V, '  pool([1, 2, 2], "AVG", stride=[1, 2, 2])\n  pool(2, "MAX")',
     lambda s, t, x, tr: s.pool(s.pool(x, [1, 2, 2], "AVG", stride=[1, 2, 2]), 2, "MAX")),
    ("pool_1d", S, '  pool(3, "MAX", stride=2, padding="SAME")',
     lambda s, t, x, tr: s.pool(x, 3, "MAX", stride=2, padding="SAME")),
    ("instance_norm", X,
     "  instance_norm()\n  instance_norm(center=false, epsilon=0.01, activation_fn=relu,"
     " param_initializers={gamma: constant(2.0)})",
     lambda s, t, x, tr: s.instance_norm(
         s.instance_norm(x), center=False, epsilon=0.01, activation_fn=t.nn.relu,
         param_initializers={"gamma": t.compat.v1.constant_initializer(2.0)})),
    ("instance_norm_ranks", (2, 6), "  instance_norm()\n  fully_connected(4,"
                                    " normalizer_fn=instance_norm)",
     lambda s, t, x, tr: s.fully_connected(s.instance_norm(x), 4,
                                           normalizer_fn=s.instance_norm)),
    ("layer_norm", X, "  layer_norm()\n  layer_norm(begin_params_axis=1, scale=false)\n"
                      "  layer_norm(begin_norm_axis=-1, activation_fn=tanh)",
     lambda s, t, x, tr: s.layer_norm(s.layer_norm(s.layer_norm(x), begin_params_axis=1,
                                                   scale=False),
                                      begin_norm_axis=-1, activation_fn=t.tanh)),
    ("group_norm", (2, 6, 5, 6), "  group_norm(groups=3)\n  group_norm(groups=2,"
                                 " channels_axis=1, reduction_axes=[-2, -1],"
                                 " mean_close_to_zero=true)",
     lambda s, t, x, tr: s.group_norm(s.group_norm(x, groups=3), groups=2, channels_axis=1,
                                      reduction_axes=(-2, -1), mean_close_to_zero=True)),
    ("group_norm_video", (2, 3, 4, 4, 8), "  group_norm(groups=4, epsilon=0.01)",
     lambda s, t, x, tr: s.group_norm(x, groups=4, epsilon=0.01)),
    ("batch_norm_paths", (4, 3, 6),
     "  batch_norm(scale=true, updates_collections=none, param_regularizers={gamma: l2(0.1),"
     " beta: l2(0.2)})\n  batch_norm(fused=false, decay=0.5)",
     lambda s, t, x, tr: s.batch_norm(s.batch_norm(
         x, scale=True, is_training=tr, updates_collections=None,
         param_regularizers={"gamma": s.l2_regularizer(0.1), "beta": s.l2_regularizer(0.2)}),
         fused=False, decay=0.5, is_training=tr)),
    ("batch_norm_fused_flag", X,
     "  batch_norm(fused=false, scale=true, param_regularizers={gamma: l2(0.1),"
     " beta: l2(0.2)})\n  batch_norm(fused=true, updates_collections=none, decay=0.9)",
     lambda s, t, x, tr: s.batch_norm(s.batch_norm(
         x, fused=False, scale=True, is_training=tr,
         param_regularizers={"gamma": s.l2_regularizer(0.1), "beta": s.l2_regularizer(0.2)}),
         fused=True, updates_collections=None, decay=0.9, is_training=tr)),
    ("batch_norm_video", V, "  batch_norm(updates_collections=none, decay=0.5)\n"
                            "  batch_norm(decay=0.5)",
     lambda s, t, x, tr: s.batch_norm(s.batch_norm(x, updates_collections=None, decay=0.5,
                                                   is_training=tr), decay=0.5,
                                      is_training=tr)),
    ("linear", (2, 10), "  linear(6)\n  arg_scope([fully_connected], activation_fn=relu6,"
                        " weights_regularizer=l2(0.1)) {\n    linear(5)\n"
                        "    fully_connected(4)\n  }",
     lambda s, t, x, tr: _linear_scope(s, t, x)),
    ("maxout", X, "  conv2d(6, 1)\n  maxout(3)\n  maxout(3, axis=1)",
     lambda s, t, x, tr: s.maxout(s.maxout(s.conv2d(x, 6, 1), 3), 3, axis=1)),
    ("spatial_softmax", X, "  spatial_softmax()\n",
     lambda s, t, x, tr: s.spatial_softmax(x)),
    ("spatial_softmax_temperature", (2, 5, 7, 4), "  spatial_softmax(temperature=0.5)",
     lambda s, t, x, tr: s.spatial_softmax(x, temperature=0.5)),
    ("sequences", (2, 4, 5, 3), "  images_to_sequence()\n  sequence_to_images(4)\n"
                                "  images_to_sequence()\n  sequence_to_images(2,"
                                ' output_data_format="channels_first")',
     lambda s, t, x, tr: s.sequence_to_images(s.images_to_sequence(s.sequence_to_images(
         s.images_to_sequence(x), 4)), 2, output_data_format="channels_first")),
    ("gdn", X, "  gdn()\n  gdn(inverse=true, gamma_init=0.5, beta_min=0.01)",
     lambda s, t, x, tr: s.gdn(s.gdn(x), inverse=True, gamma_init=0.5, beta_min=0.01)),
    ("gdn_ranks", V, "  gdn()", lambda s, t, x, tr: s.gdn(x)),
    ("scale_gradient", X, "  scale_gradient(0.5)\n  conv2d(4, 1)",
     lambda s, t, x, tr: s.conv2d(s.scale_gradient(x, 0.5), 4, 1)),
    ("model_variable", X, '  s = model_variable("scale", [3], initializer=constant(0.17),'
                          " regularizer=l2(0.1))\n  w = model_variable(\"w\", [9, 3])\n"
                          "  add(net, s)\n  add(net, w)",
     lambda s, t, x, tr: _model_variables(s, t, x)),
    ("repeat_stack", V, "  repeat(2, conv3d, 4, 1)\n  stack(conv3d_transpose, [(3, 1), (2, 1)])"
                        "\n  repeat(2, instance_norm)\n  flatten()\n  stack(linear, [5, 4])",
     lambda s, t, x, tr: s.stack(s.flatten(s.repeat(s.stack(s.repeat(
         x, 2, s.conv3d, 4, 1), s.conv3d_transpose, [(3, 1), (2, 1)]), 2, s.instance_norm)),
         s.linear, [5, 4])),
]


def _linear_scope(s, t, x):
    x = s.linear(x, 6)
    with s.arg_scope([s.fully_connected], activation_fn=t.nn.relu6,
                     weights_regularizer=s.l2_regularizer(0.1)):
        return s.fully_connected(s.linear(x, 5), 4)


def _model_variables(s, t, x):
    scale = s.model_variable("scale", shape=[3],
                             initializer=t.compat.v1.constant_initializer(0.17),
                             regularizer=s.l2_regularizer(0.1))
    return x + scale + s.model_variable("w", shape=[9, 3])


QUICK = {"conv3d_normalizers"}


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0], marks=() if c[0] in QUICK
                                               else (pytest.mark.slow,)) for c in CASES])
def test_layer_matches_tf_slim(tf, slim, case):
    name, shape, body, slim_build = case

    def build(phs, is_training):
        with tf.compat.v1.variable_scope("m"):
            return slim_build(slim, tf, phs[0], is_training)
    compare(tf, slim, _model(body, shape), build, shape)


def _gradients(tf, slim, source, slim_build, shape):
    """d(sum(out * r))/d(input and every variable): generated code vs tf_slim, same weights."""
    graph, _, cls, _ = build_generated(source)
    model = cls()
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    with tf.Graph().as_default() as g:
        ph = tf.compat.v1.placeholder(tf.float32, shape)
        with tf.compat.v1.variable_scope("m"):
            out = slim_build(slim, tf, ph)
        r = rng.uniform(-1, 1, out.shape.as_list()).astype(np.float32)
        variables = tf.compat.v1.global_variables()
        grads = tf.gradients(tf.reduce_sum(out * r), [ph] + variables)
        with tf.compat.v1.Session(graph=g) as sess:
            values = {}
            for v in variables:  # random weights, some below gdn's lower bounds
                values[v.op.name] = rng.uniform(-1, 1, v.shape.as_list()).astype(np.float32)
                v.load(values[v.op.name], sess)
            theirs = sess.run(grads, {ph: x})
    ours = {v.name[:v.name.rindex(":")]: v for v in model.variables}
    for name, value in values.items():
        ours[name].assign(value)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = model(xt, training=True)[0]
        loss = tf.reduce_sum(y * r)
    mine = tape.gradient(loss, [xt] + [ours[v.op.name] for v in variables])
    for got, want in zip(mine, theirs):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-5)
    return mine, theirs


def test_scale_gradient_scales_the_gradient_only(tf, slim):
    mine, _ = _gradients(tf, slim, _model("  scale_gradient(0.25)", X),
                         lambda s, t, x: s.scale_gradient(x, 0.25), X)
    assert mine[0] is not None


@pytest.mark.slow
def test_gdn_gradients_match_tf_slims_lower_bound(tf, slim):
    """gdn's reparameterization: gradients through the lower bound as TF-Slim's GDN defines
    them (with weights below the bound, where that gradient matters). tf_slim 1.1.0 defines
    GDN._lower_bound_grad but never registers it, so its gdn cannot be differentiated at all;
    the oracle registers TF-Slim's own function under the name its graph asks for."""
    from tf_slim.layers.layers import GDN
    try:
        tf.RegisterGradient("GDNLowerBound")(GDN._lower_bound_grad)
    except KeyError:  # registered already (a rerun in the same process)
        pass
    source = _model("  gdn(beta_min=0.5)", X)
    mine, _ = _gradients(tf, slim, source, lambda s, t, x: s.gdn(x, beta_min=0.5), X)
    assert len(mine) == 3


@pytest.mark.slow
def test_the_video_showcase_runs_with_the_inferred_shapes(tf):
    """Every model of the golden showcase_video.slim builds, runs (inference and training)
    and produces the shapes slimdsl inferred."""
    from pathlib import Path

    from slimdsl.api import check_file
    from slimdsl.backends.tensorflow.codegen import class_names, generate
    from slimdsl.backends.tensorflow.run import load_module

    path = Path(__file__).resolve().parents[2] / "golden" / "codegen" / "showcase_video.slim"
    graphs = check_file(str(path)).graphs
    assert len(graphs) == 2
    module = load_module(generate(graphs, str(path)), "showcase_video")
    for graph, name in zip(graphs, class_names(graphs)):
        model = getattr(module, name)()
        inputs = [tf.ones([2 if d is None else d for d in p.tensor.shape]) for p in graph.inputs]
        for training in (False, True):
            outputs = model(*inputs, training=training)[:-1]
            for port, out in zip(graph.outputs, outputs):
                assert all(d is None or d == o for d, o in zip(port.tensor.shape, out.shape))
                assert np.all(np.isfinite(out.numpy()))


VIDEO_NET = """model video {
  input clips: [?, 4, 8, 8, 3]
  conv3d(4, [3, 3, 3], stride=[1, 2, 2], normalizer_fn=batch_norm,
         normalizer_params={scale: true}) as Conv3d_1a
  max_pool3d([1, 3, 3], stride=[1, 2, 2], padding="SAME") as MaxPool3d_2a
  conv3d(6, 1, normalizer_fn=group_norm, normalizer_params={groups: 2}) as Conv3d_2b
  gdn() as gdn
  conv3d_transpose(3, [1, 2, 2], stride=[1, 2, 2], normalizer_fn=instance_norm) as up
  avg_pool3d([4, 4, 4], stride=1) as pool
  flatten()
  linear(5) as Logits
}
"""


def _video_net(slim, tf, x):
    with tf.compat.v1.variable_scope("video"):
        net = slim.conv3d(x, 4, [3, 3, 3], stride=[1, 2, 2], normalizer_fn=slim.batch_norm,
                          normalizer_params={"scale": True, "is_training": False},
                          scope="Conv3d_1a")
        net = slim.max_pool3d(net, [1, 3, 3], stride=[1, 2, 2], padding="SAME",
                              scope="MaxPool3d_2a")
        net = slim.conv3d(net, 6, 1, normalizer_fn=slim.group_norm,
                          normalizer_params={"groups": 2}, scope="Conv3d_2b")
        net = slim.gdn(net, name="gdn")
        net = slim.conv3d_transpose(net, 3, [1, 2, 2], stride=[1, 2, 2],
                                    normalizer_fn=slim.instance_norm, scope="up")
        net = slim.avg_pool3d(net, [4, 4, 4], stride=1, scope="pool")
        return slim.linear(slim.flatten(net), 5, scope="Logits")


@pytest.mark.slow
def test_a_tf_slim_video_checkpoint_gives_tf_slims_logits(tf, slim, tmp_path):
    """A checkpoint tf_slim's Saver wrote (random weights) restores into the generated model by
    TF-Slim's names (strict), and the logits agree."""
    rng = np.random.RandomState(1)
    x = rng.uniform(-1, 1, (2, 4, 8, 8, 3)).astype(np.float32)
    v1 = tf.compat.v1
    with tf.Graph().as_default() as g:
        ph = v1.placeholder(tf.float32, [None, 4, 8, 8, 3])
        logits = _video_net(slim, tf, ph)
        with v1.Session(graph=g) as sess:
            for v in v1.global_variables():
                value = rng.uniform(0.5, 1.5, v.shape.as_list()).astype(np.float32)
                v.load(value, sess)
            want = sess.run(logits, {ph: x})
            prefix = v1.train.Saver().save(sess, str(tmp_path / "video.ckpt"))
    _, _, cls, _ = build_generated(VIDEO_NET)
    model = cls()
    report = model.load_slim_checkpoint(prefix)
    assert not report["missing"] and not report["unexpected"] and not report["mismatched"]
    assert len(report["loaded"]) == len(model.variables) == 15
    got = model(tf.constant(x))[0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
