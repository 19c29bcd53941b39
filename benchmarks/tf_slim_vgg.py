"""The tf_slim route to a model's shapes: build vgg_16 in a TF1 graph and print its end points.

This is what one had to run before slimc to learn a TF-Slim model's shapes: import TensorFlow and
tf_slim, build the network under its arg_scope on a placeholder, and read the static shapes.
The benchmark runs it as a child process (``python benchmarks/tf_slim_vgg.py``) next to
``slimc check models/vgg_16.slim``. The output (one ``name shape`` line per end point, then the
variable count and parameter total) is comparable with ``slimc summary``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def apply_tf_slim_shim() -> None:
    """The test suite's shim for tf_slim 1.1.0 on TensorFlow 2.21 (``tests/oracles/tf_slim.py``,
    which imports nothing of pytest, whose start-up would be billed to the tf_slim route)."""
    tests = str(Path(__file__).resolve().parent.parent / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from oracles.tf_slim import apply_shim

    apply_shim()


def main() -> int:
    import tensorflow as tf
    apply_tf_slim_shim()
    import tf_slim as slim
    from tf_slim.nets import vgg

    with tf.Graph().as_default():
        inputs = tf.compat.v1.placeholder(tf.float32, [None, 224, 224, 3], name="inputs")
        with slim.arg_scope(vgg.vgg_arg_scope()):
            logits, end_points = vgg.vgg_16(inputs, num_classes=1000, is_training=False)
        for name, tensor in end_points.items():
            print(name, tensor.shape.as_list())
        assert logits is end_points["vgg_16/fc8"]
        variables = tf.compat.v1.global_variables()
        total = sum(v.shape.num_elements() for v in variables)
        print(f"{len(variables)} variables, {total:,} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
