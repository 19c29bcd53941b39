"""The inference rewrites (frozen constants, batch norm folded) and the serving signature.

Every variable gets a random value first (moving variances positive): with TF-Slim's initial
zeros and ones a folding mistake (a wrong axis, a forgotten mean) would go unnoticed.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

from slimdsl.api import compile_source

FOLDS = """
model folds(keep: float = 0.5) {
  input images: [?, 12, 12, 3]
  arg_scope([conv2d, separable_conv2d, conv2d_transpose, fully_connected, conv2d_in_plane],
            normalizer_fn=batch_norm, normalizer_params={scale: true}) {
    conv2d(6, 3) as conv1
    conv2d(6, 3, normalizer_params={scale: false, activation_fn: relu6},
           activation_fn=none) as conv2
    separable_conv2d(8, 3, depth_multiplier=2) as sep
    separable_conv2d(none, 3, depth_multiplier=2, activation_fn=tanh) as depthwise
    conv2d_transpose(5, 3, stride=2) as up
    conv2d_in_plane(3) as in_plane
    conv2d(4, 3, normalizer_params={is_training: true}) as batch_stats
    batch_norm(scale=true) as standalone
    dropout(keep) as drop
    flatten()
    fully_connected(7) as fc
  }
  output logits = net
}
"""


FOLDS_ND = """
model folds_nd {
  input clips: [?, 4, 8, 8, 3]
  arg_scope([conv3d, conv3d_transpose], normalizer_fn=batch_norm,
            normalizer_params={scale: true}) {
    conv3d(4, [3, 3, 3], stride=[1, 2, 2]) as c3
    conv3d_transpose(3, [1, 2, 2], stride=[1, 2, 2]) as up
  }
  convolution(5, 1, activation_fn=none, normalizer_fn=batch_norm) as mix
  output logits = net
}
"""


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    for v in model.variables:
        value = rng.uniform(-1.0, 1.0, v.shape)
        if "moving_variance" in v.name or "gamma" in v.name:
            value = np.abs(value) + 0.5
        v.assign(value.astype(v.dtype.as_numpy_dtype))


@pytest.fixture(scope="module")
def folds(tf):
    from slimdsl.backends.tensorflow.export.build import ExportModel

    em = ExportModel(tf, compile_source(FOLDS, "folds.slim"))
    _randomize(em.model)
    return em


def _ops(concrete) -> collections.Counter:
    return collections.Counter(op.type for op in concrete.graph.get_operations())


def test_batch_norm_folds_into_every_layer_kind_with_per_channel_weights(tf, folds):
    x = np.random.default_rng(1).uniform(size=(3, 12, 12, 3)).astype(np.float32)
    want = folds.model(tf.constant(x), training=False)[0].numpy()
    optimized = folds.function("optimized")
    got = optimized(tf.constant(x))["logits"].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())
    report = folds.fold_report
    assert sorted(report.folded) == ["batch_stats", "conv1", "conv2", "depthwise", "fc", "sep",
                                     "up"]
    assert report.kept == {"in_plane": "_Conv2DInPlane: its one kernel is shared by every "
                                       "channel, so no per-channel scale fits into it"}
    ops = _ops(optimized)
    # in_plane's, batch_stats' (batch statistics: is_training=true) and the standalone one
    assert ops["FusedBatchNormV3"] == 3
    assert not optimized.variables and not optimized.captured_inputs  # frozen
    assert ops["BiasAdd"] >= 6
    assert "RandomUniform" not in ops  # dropout is the identity in inference


def test_batch_norm_folds_into_n_d_convolutions(tf):
    """I3D's conv3d (the _ConvND class) and conv3d_transpose fold too (they were left with a
    wrong reason: "has no per-channel weights")."""
    from slimdsl.backends.tensorflow.export.build import ExportModel

    em = ExportModel(tf, compile_source(FOLDS_ND, "folds_nd.slim"))
    _randomize(em.model, seed=4)
    x = np.random.default_rng(5).uniform(size=(2, 4, 8, 8, 3)).astype(np.float32)
    want = em.model(tf.constant(x), training=False)[0].numpy()
    optimized = em.function("optimized")
    got = optimized(tf.constant(x))["logits"].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())
    assert sorted(em.fold_report.folded) == ["c3", "mix", "up"]
    assert em.fold_report.kept == {}
    assert _ops(optimized)["FusedBatchNormV3"] == 0


@pytest.mark.slow
def test_the_rewrites_leave_the_model_as_it_was(tf, folds):
    x = tf.constant(np.random.default_rng(2).uniform(size=(1, 12, 12, 3)).astype(np.float32))
    before = folds.model(x, training=False)[0].numpy()
    folds.function("frozen")
    folds.function("optimized")
    assert type(folds.model.conv1).__name__ == "_Conv2D"
    assert isinstance(folds.model.conv1.weights, tf.Variable)
    assert folds.model.conv1.normalizer is not None
    assert len(folds.model.variables) == 43
    np.testing.assert_array_equal(folds.model(x, training=False)[0].numpy(), before)
    # training still runs the batch norms (batch statistics) and still moves their averages
    saved = [v.numpy() for v in folds.model.variables]
    mean = folds.model.conv1.normalizer.moving_mean.numpy().copy()
    folds.model(x, training=True)
    assert not np.allclose(folds.model.conv1.normalizer.moving_mean.numpy(), mean)
    for v, value in zip(folds.model.variables, saved):  # the fixture is shared
        v.assign(value)


@pytest.mark.slow
def test_frozen_and_optimized_variants_compute_the_generated_forward_pass(tf, folds):
    x = np.random.default_rng(3).uniform(size=(2, 12, 12, 3)).astype(np.float32)
    want = folds.model(tf.constant(x), training=False)[0].numpy()
    for variant in ("variables", "frozen", "optimized"):
        got = folds.call(variant, x)["logits"]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max(),
                                   err_msg=variant)


@pytest.mark.slow
def test_the_generated_class_saves_with_a_serving_signature(tf, tmp_path):
    """The issue's first report: tf.saved_model.save(model, path) with a signature failed
    because __call__ also returns the end points dict. The generated ``serve`` is the
    signature; __call__ keeps returning (outputs..., end_points)."""
    from oracles.backend import build_generated

    _, _, cls, _ = build_generated(FOLDS, "folds.slim")
    model = cls()
    x = tf.constant(np.ones((2, 12, 12, 3), np.float32))
    logits, end_points = model(x)
    assert isinstance(end_points, dict)
    assert sorted(model.serve(x)) == ["logits"]
    tf.saved_model.save(model, str(tmp_path / "saved"))  # no signatures= needed
    loaded = tf.saved_model.load(str(tmp_path / "saved"))
    signature = loaded.signatures["serving_default"]
    assert list(signature.structured_outputs) == ["logits"]
    got = signature(images=x)["logits"].numpy()
    np.testing.assert_allclose(got, logits.numpy(), rtol=1e-6)
