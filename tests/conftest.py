"""Shared fixtures: the tf_slim oracle (with its TF 2.21 compatibility shim), golden updates."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files (tests/golden/**) from the current output")


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def _apply_tf_slim_shim() -> None:
    """tf_slim 1.1.0 on TensorFlow 2.21 needs three aliases (see ../shared/reference)."""
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


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, or a skip with the reason when it is not installed."""
    tensorflow = pytest.importorskip("tensorflow", reason="TensorFlow is not installed "
                                     "(pip install -e '.[tf,test]')")
    return tensorflow


@pytest.fixture(scope="session")
def slim(tf):
    """The real tf_slim package (the oracle), patched to run on TF 2.21."""
    pytest.importorskip("tf_keras", reason="tf-keras is needed by tf_slim's batch_norm")
    _apply_tf_slim_shim()
    return pytest.importorskip("tf_slim")
