"""Shared fixtures: the tf_slim oracle (with its TF 2.21 compatibility shim), golden updates.

The oracles themselves live in ``tests/oracles/``, importable without pytest.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from oracles.tf_slim import apply_shim

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files (tests/golden/**) from the current output")


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


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
    apply_shim()
    return pytest.importorskip("tf_slim")


TRAIN_TESTS = ROOT / "tests" / "backends" / "tensorflow" / "train"


@pytest.fixture(scope="session")
def digits(tf, tmp_path_factory) -> Path:
    """scikit-learn's digits as TF-Slim TFRecords (28x28, `slimc data digits`), built once."""
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn")
    from slimdsl.backends.tensorflow.train.digits import build_digits

    out = tmp_path_factory.mktemp("digits")
    build_digits(tf, str(out))
    return out


@pytest.fixture(scope="session")
def zygote():
    """A server forking slimc processes from one TensorFlow import (train/zygote.py)."""
    import sys

    sys.path.insert(0, str(TRAIN_TESTS))
    from zygote import Zygote

    server = Zygote()
    yield server
    server.close()
