"""Generated code of tensor expressions, TensorFlow ops and scope-less models against the same
network written with TensorFlow and tf_slim (oracles.backend.compare: variables by name, outputs
in inference and training, regularization). One case runs in the quick suite; the rest are slow.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracles.backend import build_generated, compare

from slimdsl.api import check_source
from slimdsl.backends.tensorflow.codegen import generate

X = (2, 9, 9, 3)


def _model(body: str, shape: tuple = X, head: str = "model m", dtype: str = "") -> str:
    dims = ", ".join("?" if i == 0 else str(d) for i, d in enumerate(shape))
    return f"{head} {{\n  input x: [{dims}] {dtype}\n{body}\n}}\n"


def _arithmetic(s):
    def build(tf, x, tr):
        up = s.conv2d(x, 3, 1, scope="up")
        net = x + 0.17 * up
        a = net * tf.sigmoid(up)
        b = a / 2.0 - 1.5
        c = -b ** 2
        d = 2.0 ** (b * 0.1)
        e = tf.multiply(a, d)
        f = tf.subtract(e, c)
        g = tf.divide(f, 3.0) + (1 - up) ** 2
        return [tf.clip_by_value(g, -1.0, 1.0), tf.negative(c) - 2 * up]
    return build


def _arrays(s):
    def build(tf, x, tr):
        p = tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]])[:, 1:, 1:, :]
        r = tf.pad(x, [[0, 0], [3, 3], [2, 1], [0, 0]], mode="REFLECT")
        y = tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]], mode="SYMMETRIC", constant_values=3.0)
        c = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], constant_values=0.5)
        a, b, _ = tf.split(tf.concat([r[:, :9, :9], y[:, 3:, :9], c[:, 2:, :9, ::-1]], 3), 3, 3)
        t = tf.tile(tf.reduce_mean(a, [1, 2], keepdims=True), [1, 9, 9, 1]) + b[..., :9, :]
        u = tf.transpose(tf.reshape(t, [-1, 9, 27]), [0, 2, 1])
        v = tf.squeeze(tf.expand_dims(u, 2), [2])[:, None, :, 3]
        w = tf.nn.space_to_depth(tf.nn.depth_to_space(tf.tile(p, [1, 1, 1, 4]), 2), 2)
        first, rest = tf.split(w, [2, -1], axis=-1)
        return [v, first * 2.0 + tf.reduce_max(rest, -1, keepdims=True),
                tf.reduce_sum(p, [1, 3]), p]
    return build


ARRAYS = """\
  p = pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]])[:, 1:, 1:, :]
  r = pad(x, [[0, 0], [3, 3], [2, 1], [0, 0]], mode="REFLECT")
  y = pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]], mode="symmetric", constant_values=3.0)
  c = pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], constant_values=0.5)
  halves = split(concat([r[:, :9, :9], y[:, 3:, :9], c[:, 2:, :9, ::-1]], axis=3), 3, axis=3)
  t = tile(reduce_mean(halves[0], [1, 2], keepdims=true), [1, 9, 9, 1]) + halves[1][..., :9, :]
  u = transpose(reshape(t, [?, 9, 27]), [0, 2, 1])
  v = squeeze(expand_dims(u, 2), [2])[:, none, :, 3]
  w = space_to_depth(depth_to_space(tile(p, [1, 1, 1, 4]), 2), 2)
  parts = split(w, [2, -1], axis=-1)
  output v = v
  output z = parts[0] * 2.0 + reduce_max(parts[1], -1, keepdims=true)
  output s = reduce_sum(p, [1, 3])
  output p = p"""

ACTIVATIONS = """\
  conv2d(4, 1, activation_fn=hard_swish) as a
  conv2d(4, 1, activation_fn=gate, normalizer_fn=batch_norm) as b
  conv2d(4, 1, activation_fn=leaky) as c
  hard_sigmoid()
  y = swish(net) + gate(net) + act(net) + hard_swish(net)
  conv2d(4, 1, activation_fn=act) as d
  output y = y
  output n = net"""


def _activations(s):
    def build(tf, x, tr):
        def hard_swish(v):
            return v * tf.nn.relu6(v + np.float32(3)) * np.float32(1.0 / 6.0)

        def gate(v):
            return tf.nn.relu6(v + 3) * 0.16667

        def leaky(v):
            return tf.nn.leaky_relu(-v, 0.1) * 2 - v ** 2

        net = s.conv2d(x, 4, 1, activation_fn=hard_swish, scope="a")
        net = s.conv2d(net, 4, 1, activation_fn=gate, normalizer_fn=s.batch_norm,
                       normalizer_params={"is_training": tr}, scope="b")
        net = s.conv2d(net, 4, 1, activation_fn=leaky, scope="c")
        net = tf.nn.relu6(net + 3.0) / 6.0
        y = tf.nn.swish(net) + gate(net) + tf.nn.elu(net) + hard_swish(net)
        return [y, s.conv2d(net, 4, 1, activation_fn=tf.nn.elu, scope="d")]
    return build


def _resize(s):
    def build(tf, x, tr):
        img = tf.compat.v1.image
        return [img.resize_bilinear(x, [13, 7]),
                img.resize_bilinear(x, [5, 12], align_corners=True),
                img.resize_bilinear(x, [17, 17], half_pixel_centers=True),
                img.resize_nearest_neighbor(x, [13, 4]),
                img.resize_nearest_neighbor(x, [5, 12], align_corners=True),
                img.resize_nearest_neighbor(x, [18, 17], half_pixel_centers=True),
                tf.nn.lrn(x), tf.nn.lrn(x * 3.0, depth_radius=1, bias=2.0, alpha=1e-2, beta=0.75)]
    return build


RESIZE = """\
  output a = resize(x, [13, 7])
  output b = resize(x, [5, 12], align_corners=true)
  output c = resize(x, [17, 17], half_pixel_centers=true)
  output d = resize(x, [13, 4], method="nearest")
  output e = resize(x, [5, 12], method="nearest", align_corners=true)
  output f = resize(x, [18, 17], method="nearest", half_pixel_centers=true)
  output g = lrn(x)
  output h = lrn(x * 3.0, depth_radius=1, bias=2.0, alpha=0.01, beta=0.75)"""


def _generator(s):
    """A CycleGAN-like generator with no outer scope and a helper opening none."""
    def build(tf, x, tr):
        def padded(v, n, k, stride=1):
            p = (k - 1) // 2
            v = tf.pad(v, [[0, 0], [p, k // 2], [p, k // 2], [0, 0]], mode="REFLECT")
            return s.conv2d(v, n, k, stride=stride, padding="VALID")
        with tf.compat.v1.variable_scope("input"):
            net = padded(x, 4, 7)
        with tf.compat.v1.variable_scope("encoder"):
            net = padded(net, 8, 3, 2)
            net = padded(net, 8, 3, 2)
        with tf.compat.v1.variable_scope("decoder"):
            net = s.conv2d_transpose(net, 4, 3, stride=2, padding="VALID")[:, 1:, 1:, :]
        with tf.compat.v1.variable_scope("output"):
            logits = s.conv2d(net, 3, 1, activation_fn=None)
        return tf.tanh(logits) + logits * 0.25
    return build


GENERATOR = """\
block padded(n: int, k: int, stride: int = 1) as none {
  pad([[0, 0], [(k - 1) // 2, k // 2], [(k - 1) // 2, k // 2], [0, 0]], mode="REFLECT")
  conv2d(n, k, stride=stride, padding="valid")
}
model gen(slope: float = 0.25) as none {
  input x: [?, 9, 9, 3]
  scope "input" { padded(4, 7) }
  scope encoder {
    padded(8, 3, 2)
    padded(8, 3, 2)
  }
  scope decoder { net = conv2d_transpose(4, 3, stride=2, padding="VALID")[:, 1:, 1:, :] }
  scope "output" { logits = conv2d(3, 1, activation_fn=none) }
  output predictions = tanh(logits) + logits * slope
}
model gen_alias = gen(slope=0.25)
"""

CASES = [
    ("arithmetic", _model("  up = conv2d(3, 1) as up\n  net = net + 0.17 * up\n"
                          "  a = net * sigmoid(up)\n  b = a / 2.0 - 1.5\n  c = -b ** 2\n"
                          "  d = 2.0 ** (b * 0.1)\n  e = multiply(a, d)\n  f = subtract(e, c)\n"
                          "  g = divide(f, 3.0) + (1 - up) ** 2\n"
                          "  output clipped = clip_by_value(g, -1.0, 1.0)\n"
                          "  output other = negative(c) - 2 * up"), "m", _arithmetic, True),
    ("arrays", _model(ARRAYS), "m", _arrays, False),
    ("activations", "def gate(v) = relu6(v + 3) * 0.16667\n"
     "def leaky(v) = leaky_relu(-v, alpha=0.1) * 2 - v ** 2\n"
     + _model(ACTIVATIONS, head="model m(act: activation = elu)"),
     "m", _activations, False),
    ("resize_lrn", _model(RESIZE), "m", _resize, False),
    ("no_scope_generator", GENERATOR, None, _generator, False),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0], marks=() if c[4]
                                               else (pytest.mark.slow,)) for c in CASES])
def test_ops_match_tensorflow(tf, slim, case):
    _name, source, scope, factory, _quick = case
    fn = factory(slim)

    def build(phs, is_training):  # in the .slim model's scope (none: at the top level)
        if scope is None:
            return fn(tf, phs[0], is_training)
        with tf.compat.v1.variable_scope(scope):
            return fn(tf, phs[0], is_training)
    compare(tf, slim, source, build, X)


def test_alias_keeps_the_scope_clause():
    """An alias of a scope-less model is scope-less too (the `as` clause is the definition's);
    the generated checkpoint loader looks for unexpected names under each top-level scope."""
    result = check_source(GENERATOR + "model gen2 = gen_alias(slope=0.5)\n"
                          "model gen3 = gen(slope=0.5) as G\n", "gen.slim")
    assert result.ok, [d.message for d in result.diagnostics]
    graphs = {g.name: g for g in result.graphs}
    for name in ("gen", "gen_alias", "gen2"):
        names = [v.name for v in graphs[name].variables]
        assert names[0] == "input/Conv/weights" and "encoder/Conv_1/weights" in names
        assert "decoder/Conv2d_transpose/biases" in names and "output/Conv/biases" in names
    assert graphs["gen3"].variables[0].name == "G/input/Conv/weights"
    code = generate(graphs["gen2"], "gen.slim")
    assert "scopes = tuple({name.split" in code and 'super().__init__(name="gen2")' in code


@pytest.mark.slow
def test_drop_path_drops_whole_examples_when_training(tf):
    _, _, cls, _ = build_generated(_model("  drop_path(0.75)", (400, 3, 3, 2)))
    out, _ = cls()(tf.ones([400, 3, 3, 2]), training=True)
    per_example = out.numpy().reshape(400, -1)
    assert np.all(np.isclose(per_example, 0.0) | np.isclose(per_example, 1 / 0.75))
    assert np.all(per_example.min(1) == per_example.max(1))  # whole examples
    assert 0.15 < float(np.mean(per_example[:, 0] == 0)) < 0.35
    same, _ = cls()(tf.ones([400, 3, 3, 2]), training=False)
    assert np.all(same.numpy() == 1.0)


@pytest.mark.slow
def test_ops_showcase_runs_with_the_static_shapes(tf):
    """The golden showcase of tensor expressions builds, runs in training and inference, and
    every output and end point has the static shape slimc inferred."""
    from pathlib import Path
    source = (Path(__file__).resolve().parents[2] / "golden" / "codegen" /
              "ops_showcase.slim").read_text()
    graph, _, cls, _ = build_generated(source, "ops_showcase.slim")
    model = cls()
    x = tf.random.stateless_normal([2, 32, 32, 3], seed=[1, 2])
    for training in (False, True):
        *outs, end_points = model(x, training=training)
        for port, out in zip(graph.outputs, outs):
            assert out.shape[1:] == port.tensor.shape[1:]
            assert np.all(np.isfinite(out.numpy()))
        assert {k: v.shape[1:] for k, v in end_points.items()} == \
            {k: t.shape[1:] for k, t in graph.end_points.items()}
    names = [v.name for v in model.variables]
    assert "encoder/Conv_1/weights:0" in names and "squeeze_excite/Conv_1/biases:0" in names
