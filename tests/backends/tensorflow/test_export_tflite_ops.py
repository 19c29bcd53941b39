"""3-D pooling written with TFLite's builtin ops (export/tflite_ops.py): the same numbers as
TensorFlow's MaxPool3D / AvgPool3D, and a TFLite file that converts with builtins only."""

from __future__ import annotations

import numpy as np
import pytest

from slimdsl.api import compile_source
from slimdsl.backends.tensorflow.export import tflite_ops

CASES = [  # input [T, H, W], ksize, strides, padding
    ((5, 7, 6), [2, 3, 3], [1, 2, 2], "SAME"),
    ((5, 7, 6), [2, 3, 3], [1, 2, 2], "VALID"),
    ((4, 9, 9), 3, 2, "SAME"),
    ((4, 9, 9), 3, 2, "VALID"),
    ((6, 5, 8), [3, 1, 2], [2, 1, 3], "SAME"),
    ((3, 4, 4), [1, 5, 5, 5, 1], [1, 1, 1, 1, 1], "SAME"),
    ((8, 4, 4), [8, 4, 4], 1, "VALID"),  # S3D-G's whole-map average
]


@pytest.mark.parametrize("op", ["max_pool3d", "avg_pool3d"])
@pytest.mark.parametrize(("dims", "ksize", "strides", "padding"), CASES)
def test_decomposed_pooling_equals_tensorflow(tf, op, dims, ksize, strides, padding):
    x = np.random.default_rng(0).normal(size=(2, *dims, 3)).astype(np.float32)
    want = getattr(tf.nn, op)(x, ksize, strides, padding).numpy()
    view = tflite_ops.builtin_view(tf)
    got = getattr(view.nn, op)(tf.constant(x), ksize, strides, padding)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_the_static_shape_survives_the_reshapes(tf):
    @tf.function(input_signature=[tf.TensorSpec([None, 5, 7, 6, 3], tf.float32)])
    def pooled(x):
        y = tflite_ops.builtin_view(tf).nn.max_pool3d(x, [2, 3, 3], [1, 2, 2], "VALID")
        assert y.shape.as_list() == [None, 4, 3, 2, 3], y.shape
        return y

    pooled.get_concrete_function()


POOLS_3D = """
model video {
  input clips: [?, 4, 8, 8, 3]
  conv3d(4, [1, 3, 3]) as conv
  max_pool3d([2, 3, 3], stride=[1, 2, 2], padding="SAME") as pool
  avg_pool3d([3, 4, 4], stride=1, padding="VALID") as global
  output features = net
}
"""


@pytest.mark.slow
def test_a_3d_network_converts_to_builtin_tflite_and_computes_the_same(tf):
    from slimdsl.backends.tensorflow.export import formats, runtimes
    from slimdsl.backends.tensorflow.export.build import ExportModel

    em = ExportModel(tf, compile_source(POOLS_3D, "video.slim"))
    x = np.random.default_rng(1).normal(size=(2, 4, 8, 8, 3)).astype(np.float32)
    want = {"features": em.model(tf.constant(x), training=False)[0].numpy()}
    got = runtimes.run_tflite(tf, formats.tflite_bytes(em, optimize=False), {"clips": x})
    assert runtimes.relative_difference(got, want) <= 1e-5
    # the generated module is TensorFlow's own again after the trace
    assert em.model.__class__.__init__.__globals__["tf"] is tf
