"""Generated code against real tf_slim, one layer kind and option at a time.

Each case is a .slim model and the same network written with tf_slim; oracles.backend.compare
checks variables, outputs (inference and training), moving averages and regularization.
A few cases run in the quick suite; the full grid is marked slow.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracles.backend import build_generated, compare

from slimdsl.backends.tensorflow.translate import TRANSLATORS
from slimdsl.layers import LAYERS

X = (2, 9, 9, 3)  # odd sizes: SAME padding is asymmetric, conv2d_same differs from SAME


def _model(body: str, shape: tuple = X, dtype: str = "") -> str:
    dims = ", ".join("?" if i == 0 else str(d) for i, d in enumerate(shape))
    return f"model m {{\n  input x: [{dims}] {dtype}\n{body}\n}}\n"


def _scoped(slim_fn):
    """Build inside variable_scope('m'), like the .slim model's own scope."""
    def build(phs, is_training):
        import tensorflow as tf
        with tf.compat.v1.variable_scope("m"):
            return slim_fn(phs[0], is_training)
    return build


def test_every_layer_kind_has_a_translator():
    assert set(TRANSLATORS) == set(LAYERS)


# (id, .slim body, tf_slim builder(x, is_training) using module `s` = tf_slim, `t` = tf)
CASES = [
    ("conv2d", "  conv2d(8, 3)", lambda s, t, x, tr: s.conv2d(x, 8, 3)),
    ("conv2d_valid_stride", '  conv2d(8, [3, 5], stride=2, padding="VALID")',
     lambda s, t, x, tr: s.conv2d(x, 8, [3, 5], stride=2, padding="VALID")),
    ("conv2d_stride_pair", "  conv2d(4, 3, stride=[2, 1])",
     lambda s, t, x, tr: s.conv2d(x, 4, 3, stride=[2, 1])),
    ("conv2d_rate", "  conv2d(8, 3, rate=2)", lambda s, t, x, tr: s.conv2d(x, 8, 3, rate=2)),
    ("conv2d_rate_valid", '  conv2d(8, 3, rate=[2, 3], padding="VALID")',
     lambda s, t, x, tr: s.conv2d(x, 8, 3, rate=[2, 3], padding="VALID")),
    ("conv2d_no_bias_inits",
     "  conv2d(6, 3, biases_initializer=none, weights_initializer=truncated_normal(0.1))",
     lambda s, t, x, tr: s.conv2d(x, 6, 3, biases_initializer=None,
                                  weights_initializer=t.compat.v1.truncated_normal_initializer(
                                      stddev=0.1))),
    ("conv2d_regularizers",
     "  conv2d(6, 3, weights_regularizer=l2(0.01), biases_regularizer=l1(0.5),"
     " biases_initializer=constant(0.1))\n"
     "  conv2d(5, 1, weights_regularizer=l1_l2(0.1, 0.2), trainable=false)\n"
     "  conv2d(4, 1, weights_regularizer=l2(0.0), biases_regularizer=l1_l2(0.0, 0.3))",
     lambda s, t, x, tr: s.conv2d(
         s.conv2d(s.conv2d(x, 6, 3, weights_regularizer=s.l2_regularizer(0.01),
                           biases_regularizer=s.l1_regularizer(0.5),
                           biases_initializer=t.compat.v1.constant_initializer(0.1)),
                  5, 1, weights_regularizer=s.l1_l2_regularizer(0.1, 0.2), trainable=False),
         4, 1, weights_regularizer=s.l2_regularizer(0.0),
         biases_regularizer=s.l1_l2_regularizer(0.0, 0.3))),
    ("conv2d_batch_norm",
     "  conv2d(8, 3, normalizer_fn=batch_norm)",
     lambda s, t, x, tr: s.conv2d(x, 8, 3, normalizer_fn=s.batch_norm,
                                  normalizer_params={"is_training": tr})),
    ("conv2d_batch_norm_scale",
     "  conv2d(8, 3, normalizer_fn=batch_norm, normalizer_params={scale: true, decay: 0.9,"
     " epsilon: 0.00001, param_regularizers: {gamma: l2(0.1), beta: l1(0.2)}})",
     lambda s, t, x, tr: s.conv2d(x, 8, 3, normalizer_fn=s.batch_norm, normalizer_params={
         "is_training": tr, "scale": True, "decay": 0.9, "epsilon": 1e-5,
         "param_regularizers": {"gamma": s.l2_regularizer(0.1),
                                "beta": s.l1_regularizer(0.2)}})),
    ("conv2d_batch_norm_no_center",
     "  conv2d(8, 1, activation_fn=none, normalizer_fn=batch_norm, normalizer_params={"
     "center: false, scale: true, activation_fn: relu6})",
     lambda s, t, x, tr: s.conv2d(x, 8, 1, activation_fn=None, normalizer_fn=s.batch_norm,
                                  normalizer_params={"is_training": tr, "center": False,
                                                     "scale": True,
                                                     "activation_fn": t.nn.relu6})),
    # Kernels that cover the whole input run as a matmul (VGG's fc6..fc8): same numbers.
    ("conv2d_covers_input",
     '  conv2d(8, [5, 4], padding="VALID")\n  conv2d(6, 1, normalizer_fn=batch_norm)\n'
     "  conv2d(4, 1, stride=2, weights_regularizer=l2(0.1))",
     lambda s, t, x, tr: s.conv2d(s.conv2d(s.conv2d(x, 8, [5, 4], padding="VALID"), 6, 1,
                                           normalizer_fn=s.batch_norm,
                                           normalizer_params={"is_training": tr}),
                                  4, 1, stride=2, weights_regularizer=s.l2_regularizer(0.1)),
     (3, 5, 4, 7)),
    ("conv2d_same_stride2", "  conv2d_same(8, 3, 2)\n  conv2d_same(4, 4, 2)",
     lambda s, t, x, tr: _conv2d_same(s, _conv2d_same(s, x, 8, 3, 2), 4, 4, 2, "Conv_1")),
    ("conv2d_same_stride1_rate", "  conv2d_same(8, 3, 1, rate=2)",
     lambda s, t, x, tr: _conv2d_same(s, x, 8, 3, 1, rate=2)),
    ("separable", "  separable_conv2d(8, 3, depth_multiplier=2)",
     lambda s, t, x, tr: s.separable_conv2d(x, 8, 3, depth_multiplier=2)),
    ("separable_stride_valid",
     '  separable_conv2d(8, [3, 1], stride=2, padding="VALID", '
     "pointwise_initializer=truncated_normal(0.3))",
     lambda s, t, x, tr: s.separable_conv2d(
         x, 8, [3, 1], depth_multiplier=1, stride=2, padding="VALID",
         pointwise_initializer=t.compat.v1.truncated_normal_initializer(stddev=0.3))),
    ("separable_rate", "  separable_conv2d(6, 3, rate=2, weights_regularizer=l2(0.1))",
     lambda s, t, x, tr: s.separable_conv2d(x, 6, 3, depth_multiplier=1, rate=2,
                                            weights_regularizer=s.l2_regularizer(0.1))),
    ("depthwise_only", "  separable_conv2d(none, 3, depth_multiplier=3, stride=2)",
     lambda s, t, x, tr: s.separable_conv2d(x, None, 3, depth_multiplier=3, stride=2)),
    ("depthwise_batch_norm",
     "  separable_conv2d(none, 3, normalizer_fn=batch_norm)\n"
     "  separable_conv2d(5, 3, normalizer_fn=batch_norm)",
     lambda s, t, x, tr: s.separable_conv2d(
         s.separable_conv2d(x, None, 3, depth_multiplier=1, normalizer_fn=s.batch_norm,
                            normalizer_params={"is_training": tr}),
         5, 3, depth_multiplier=1, normalizer_fn=s.batch_norm,
         normalizer_params={"is_training": tr})),
    ("transpose_same", "  conv2d_transpose(5, 3, stride=2)",
     lambda s, t, x, tr: s.conv2d_transpose(x, 5, 3, stride=2)),
    ("transpose_valid", '  conv2d_transpose(5, [3, 4], stride=[2, 3], padding="VALID")\n'
     '  conv2d_transpose(2, 1, stride=2, padding="VALID")',
     lambda s, t, x, tr: s.conv2d_transpose(
         s.conv2d_transpose(x, 5, [3, 4], stride=[2, 3], padding="VALID"),
         2, 1, stride=2, padding="VALID")),
    ("transpose_batch_norm", "  conv2d_transpose(4, 3, normalizer_fn=batch_norm)",
     lambda s, t, x, tr: s.conv2d_transpose(x, 4, 3, normalizer_fn=s.batch_norm,
                                            normalizer_params={"is_training": tr})),
    ("in_plane", '  conv2d_in_plane([2, 1], stride=2, padding="VALID")\n  conv2d_in_plane(3)',
     lambda s, t, x, tr: s.conv2d_in_plane(s.conv2d_in_plane(x, [2, 1], stride=2,
                                                             padding="VALID"), 3)),
    ("fully_connected", "  flatten()\n  fully_connected(7)\n"
     "  fully_connected(3, activation_fn=none, weights_regularizer=l2(0.1))",
     lambda s, t, x, tr: s.fully_connected(
         s.fully_connected(s.flatten(x), 7), 3, activation_fn=None,
         weights_regularizer=s.l2_regularizer(0.1))),
    ("fully_connected_rank4", "  fully_connected(5)",
     lambda s, t, x, tr: s.fully_connected(x, 5)),
    ("fully_connected_batch_norm", "  flatten()\n  fully_connected(6, normalizer_fn=batch_norm,"
     " normalizer_params={scale: true})",
     lambda s, t, x, tr: s.fully_connected(s.flatten(x), 6, normalizer_fn=s.batch_norm,
                                           normalizer_params={"is_training": tr,
                                                              "scale": True})),
    ("batch_norm_rank3", "  fully_connected(6, normalizer_fn=batch_norm)",
     lambda s, t, x, tr: s.fully_connected(x, 6, normalizer_fn=s.batch_norm,
                                           normalizer_params={"is_training": tr}),
     (4, 5, 3)),
    ("batch_norm", "  batch_norm()\n  batch_norm(center=false, scale=true, activation_fn=relu,"
     " decay=0.5, param_initializers={gamma: constant(2.0)})",
     lambda s, t, x, tr: s.batch_norm(
         s.batch_norm(x, is_training=tr), center=False, scale=True, activation_fn=t.nn.relu,
         decay=0.5, is_training=tr,
         param_initializers={"gamma": t.compat.v1.constant_initializer(2.0)})),
    ("batch_norm_rank5", "  batch_norm(scale=true, param_regularizers={gamma: l2(0.1)})",
     lambda s, t, x, tr: s.batch_norm(x, scale=True, is_training=tr,
                                      param_regularizers={"gamma": s.l2_regularizer(0.1)}),
     (3, 2, 4, 5, 6)),
    ("batch_norm_fixed_flag", "  batch_norm(is_training=false)\n  batch_norm(is_training=true)",
     lambda s, t, x, tr: s.batch_norm(s.batch_norm(x, is_training=False), is_training=True)),
    ("bias_add", "  bias_add(activation_fn=tanh, initializer=constant(0.5))",
     lambda s, t, x, tr: s.bias_add(x, activation_fn=t.tanh,
                                    initializer=t.compat.v1.constant_initializer(0.5))),
    ("pools", '  max_pool2d(3, stride=2, padding="SAME")\n  avg_pool2d([2, 3], stride=1)\n'
     '  avg_pool2d(2, stride=1, padding="SAME")\n  max_pool2d(2)',
     lambda s, t, x, tr: s.max_pool2d(s.avg_pool2d(s.avg_pool2d(
         s.max_pool2d(x, 3, stride=2, padding="SAME"), [2, 3], stride=1), 2, stride=1,
         padding="SAME"), 2)),
    ("subsample", "  subsample(2)\n  subsample(1)",
     lambda s, t, x, tr: s.max_pool2d(x, [1, 1], stride=2)),
    ("dropout", "  dropout(1.0)\n  dropout(0.5, is_training=false)",
     lambda s, t, x, tr: s.dropout(s.dropout(x, 1.0, is_training=tr), 0.5, is_training=False)),
    ("flatten_unit_norm_softmax", "  unit_norm(3)\n  unit_norm(1, epsilon=0.5)\n  flatten()\n"
     "  softmax()",
     lambda s, t, x, tr: s.softmax(s.flatten(s.unit_norm(s.unit_norm(x, 3), 1,
                                                         epsilon=0.5)))),
    ("tf_ops", "  reduce_mean([1, 2], keepdims=true)\n  squeeze([1, 2])",
     lambda s, t, x, tr: t.squeeze(t.reduce_mean(x, [1, 2], keepdims=True), [1, 2])),
    ("pad_concat_add", "  y = pad(net, [[0, 0], [1, 2], [0, 1], [0, 0]])\n"
     "  concat(axis=3) {\n    Branch_0 { conv2d(4, 1) }\n    { relu6() }\n  }\n"
     "  add(net)\n  y = add(y, y)\n  output a = net\n  output b = y",
     lambda s, t, x, tr: _pad_concat_add(s, t, x)),
    ("activations", "  relu()\n  elu()\n  leaky_relu()\n  leaky_relu(alpha=0.3)\n"
     "  sigmoid()\n  tanh()\n  relu6()",
     lambda s, t, x, tr: t.nn.relu6(t.tanh(t.sigmoid(t.nn.leaky_relu(t.nn.leaky_relu(
         t.nn.elu(t.nn.relu(x))), 0.3))))),
    ("activation_fns",
     "  conv2d(4, 1, activation_fn=relu6)\n  conv2d(4, 1, activation_fn=elu)\n"
     "  conv2d(4, 1, activation_fn=leaky_relu(alpha=0.1))\n"
     "  conv2d(4, 1, activation_fn=sigmoid)\n  conv2d(4, 1, activation_fn=tanh)\n"
     "  conv2d(4, 1, activation_fn=softmax)\n  conv2d(4, 1, activation_fn=leaky_relu)",
     lambda s, t, x, tr: _activation_chain(s, t, x)),
    ("repeat_stack_arg_scope",
     '  arg_scope([conv2d], padding="VALID", weights_regularizer=l2(0.01)) {\n'
     "    repeat(2, conv2d, 4, 3) as conv1\n"
     "    stack(conv2d, [[4, 1], [6, 1]]) as conv2\n"
     "    repeat(2, conv2d, 3, 1)\n  }\n  flatten()\n  stack(fully_connected, [5, 4])",
     lambda s, t, x, tr: _repeat_stack(s, t, x)),
]


def _conv2d_same(s, x, num_outputs, kernel_size, stride, scope="Conv", rate=1):
    from tf_slim.nets import resnet_utils
    return resnet_utils.conv2d_same(x, num_outputs, kernel_size, stride, rate=rate, scope=scope)


def _pad_concat_add(s, t, x):
    y = t.pad(x, [[0, 0], [1, 2], [0, 1], [0, 0]])
    with t.compat.v1.variable_scope("Branch_0"):
        b0 = s.conv2d(x, 4, 1)
    net = t.concat([b0, t.nn.relu6(x)], 3)
    return [net + net, y + y]


def _activation_chain(s, t, x):
    for fn in (t.nn.relu6, t.nn.elu, lambda v: t.nn.leaky_relu(v, 0.1), t.sigmoid, t.tanh,
               t.nn.softmax, t.nn.leaky_relu):
        x = s.conv2d(x, 4, 1, activation_fn=fn)
    return x


def _repeat_stack(s, t, x):
    with s.arg_scope([s.conv2d], padding="VALID", weights_regularizer=s.l2_regularizer(0.01)):
        x = s.repeat(x, 2, s.conv2d, 4, 3, scope="conv1")
        x = s.stack(x, s.conv2d, [(4, 1), (6, 1)], scope="conv2")
        x = s.repeat(x, 2, s.conv2d, 3, 1)
    return s.stack(s.flatten(x), s.fully_connected, [5, 4])


QUICK = {"conv2d_batch_norm_scale", "conv2d_covers_input"}


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0], marks=() if c[0] in QUICK
                                               else (pytest.mark.slow,)) for c in CASES])
def test_layer_matches_tf_slim(tf, slim, case):
    name, body, slim_build = case[:3]
    shape = case[3] if len(case) > 3 else X
    source = _model(body, shape)
    build = _scoped(lambda x, tr: slim_build(slim, tf, x, tr))
    compare(tf, slim, source, build, shape)


@pytest.mark.slow
def test_dropout_training_scales_kept_elements(tf):
    _, _, cls, _ = build_generated(_model("  dropout(0.8)", (1000, 4)))
    out, _ = cls()(tf.ones([1000, 4]), training=True)
    values = np.unique(np.round(out.numpy(), 5))
    assert set(values) <= {0.0, 1.25}
    assert 0.1 < float(np.mean(out.numpy() == 0)) < 0.3
    same, _ = cls()(tf.ones([1000, 4]), training=False)
    assert np.all(same.numpy() == 1.0)


@pytest.mark.slow
def test_one_hot_encoding(tf, slim):
    source = "model m {\n  input labels: [?] int32\n  one_hot_encoding(5, on_value=2.0," \
             " off_value=-1.0)\n}\n"

    def build(phs, is_training):
        return slim.one_hot_encoding(phs[0], 5, on_value=2.0, off_value=-1.0)
    compare(tf, slim, source, build, (4,), dtypes=["int32"],
            inputs=[np.array([0, 3, 4, 1], np.int32)], training=False)


INITIALIZERS = [
    ("xavier", lambda s, t: s.xavier_initializer()),
    ("glorot(uniform=false)", lambda s, t: s.xavier_initializer(uniform=False)),
    ("variance_scaling()", lambda s, t: s.variance_scaling_initializer()),
    ('variance_scaling(1.5, "FAN_OUT", true)',
     lambda s, t: s.variance_scaling_initializer(1.5, "FAN_OUT", True)),
    ('variance_scaling(0.5, "FAN_AVG")', lambda s, t: s.variance_scaling_initializer(0.5,
                                                                                    "FAN_AVG")),
    ("truncated_normal(0.02, mean=0.1)",
     lambda s, t: t.compat.v1.truncated_normal_initializer(0.1, 0.02)),
    ("random_normal(0.5)", lambda s, t: t.compat.v1.random_normal_initializer(0.0, 0.5)),
    ("random_uniform(-0.2, 0.3)",
     lambda s, t: t.compat.v1.random_uniform_initializer(-0.2, 0.3)),
    ("constant(0.25)", lambda s, t: t.compat.v1.constant_initializer(0.25)),
    ("zeros", lambda s, t: t.compat.v1.zeros_initializer()),
    ("ones", lambda s, t: t.compat.v1.ones_initializer()),
]


@pytest.mark.parametrize("init,slim_init", [
    pytest.param(*i, id=i[0], marks=() if i[0] == "xavier" else (pytest.mark.slow,))
    for i in INITIALIZERS])
def test_initializers_draw_from_tf_slim_distributions(tf, slim, init, slim_init):
    """Same distribution as TF-Slim's (bounds, mean, spread) on a [3, 3, 32, 64] kernel."""
    source = _model(f"  conv2d(64, 3, weights_initializer={init})", (1, 5, 5, 32))
    _, _, cls, _ = build_generated(source)
    model = cls()
    ours = next(v for v in model.variables if v.name.endswith("weights:0")).numpy()
    with tf.Graph().as_default() as g:
        with tf.compat.v1.variable_scope("m"):
            slim.conv2d(tf.compat.v1.placeholder(tf.float32, [1, 5, 5, 32]), 64, 3,
                        weights_initializer=slim_init(slim, tf))
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            theirs = sess.run(tf.compat.v1.global_variables()[0])
    assert ours.shape == theirs.shape == (3, 3, 32, 64)
    spread = max(float(theirs.std()), 1e-3)
    bounded = not init.startswith("random_normal")  # a plain normal's extremes are noise
    for stat in (np.min, np.max, np.mean, np.std) if bounded else (np.mean, np.std):
        assert abs(float(stat(ours)) - float(stat(theirs))) <= 0.05 * spread + 1e-7, stat


def _graph_ops(tf, fn, *specs) -> set[str]:
    return {op.type for op in fn.get_concrete_function(*specs).graph.get_operations()}


def test_conv_covering_its_input_runs_as_a_matmul(tf):
    """fc6-style convolutions become one MatMul when the input size is known at trace time,
    and stay convolutions (same numbers) when it is not."""
    source = _model('  conv2d(8, [5, 4], padding="VALID")\n  conv2d(6, 1)\n  conv2d(4, 1)',
                    (2, 5, 4, 3))
    _, _, cls, _ = build_generated(source)
    model = cls()
    forward = model.__call__
    known = _graph_ops(tf, forward, tf.TensorSpec([None, 5, 4, 3]))
    assert "MatMul" in known and "Conv2D" not in known, known
    unknown = _graph_ops(tf, forward, tf.TensorSpec([None, None, None, 3]))
    assert "Conv2D" in unknown and "MatMul" not in unknown, unknown
    x = np.random.default_rng(0).standard_normal((2, 5, 4, 3)).astype(np.float32)
    dense = forward.get_concrete_function(tf.TensorSpec([None, 5, 4, 3]))(tf.constant(x))
    conv = forward.get_concrete_function(tf.TensorSpec([None, None, None, 3]))(tf.constant(x))
    np.testing.assert_allclose(dense[0].numpy(), conv[0].numpy(), rtol=1e-5, atol=1e-6)
    # A larger input is a fully convolutional use: the convolutions run, the map grows.
    wide = forward(tf.zeros([1, 7, 6, 3]))[0]
    assert wide.shape[1:3] == (3, 3)
    # Other channels than the weights': the convolution decides (TF runs 6 channels against
    # 3-channel weights as a grouped convolution); a reshape would fold them into the batch.
    _, _, one_layer, _ = build_generated(_model('  conv2d(8, [5, 4], padding="VALID")',
                                                (2, 5, 4, 3)))
    single = one_layer()
    assert "MatMul" in _graph_ops(tf, single.__call__, tf.TensorSpec([None, 5, 4, 3]))
    with pytest.raises(ValueError, match="must have the shape"):  # the model refuses it...
        _graph_ops(tf, single.__call__, tf.TensorSpec([None, 5, 4, 6]))
    (conv,) = [m for m in single.submodules if type(m).__name__ == "_Conv2D"]
    layer = tf.function(lambda x: conv(x))  # ...the layer itself must not fold it either
    other = _graph_ops(tf, layer, tf.TensorSpec([None, 5, 4, 6]))
    assert "MatMul" not in other and "Conv2D" in other, other


@pytest.mark.parametrize("body, shape", [
    ('  conv2d(4, 3, padding="SAME")', (1, 3, 3, 2)),   # SAME pads a 3x3 kernel: stays a conv
    ("  conv2d(4, 1, rate=2)", (1, 2, 2, 2)),           # 1x1 kernel but a 2x2 map
    ('  conv2d(4, [3, 1], padding="VALID")', (1, 3, 2, 2)),  # covers the height only
])
def test_conv_not_covering_its_input_stays_a_convolution(tf, body, shape):
    _, _, cls, _ = build_generated(_model(body, shape))
    model = cls()  # __call__ holds its model weakly
    ops = _graph_ops(tf, model.__call__, tf.TensorSpec(shape))
    assert "Conv2D" in ops and "MatMul" not in ops, ops
