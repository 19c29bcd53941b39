"""tf_slim, the oracle: tf_slim 1.1.0 needs three aliases to run on TensorFlow 2.21.

Imported by ``conftest.py`` (the ``slim`` fixture), the fuzz workers and the benchmarks' tf_slim
route; it imports nothing but TensorFlow and tf_keras, when called.
"""

from __future__ import annotations

import sys


def apply_shim() -> None:
    """Make tf_slim 1.1.0 importable and runnable on TensorFlow 2.21 (idempotent)."""
    from tensorflow.python.framework import ops, tensor
    if not hasattr(ops, "Tensor"):
        ops.Tensor = tensor.Tensor
    import tf_keras.src.legacy_tf_layers as legacy
    import tf_keras.src.legacy_tf_layers.normalization as normalization
    sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy)
    sys.modules.setdefault("tf_keras.legacy_tf_layers.normalization", normalization)
    from tensorflow.python.ops import cond
    from tensorflow.python.ops import control_flow_ops as cfo
    if not hasattr(cfo, "cond"):
        cfo.cond = cond.cond
