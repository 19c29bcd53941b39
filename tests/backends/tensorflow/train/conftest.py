"""Fixtures of the training tests: the digits data set (built once) and the zygote."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
TINY = ROOT / "tests" / "data" / "train_tiny.slim"
LENET = ROOT / "models" / "lenet.slim"
sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def digits(tf, tmp_path_factory) -> Path:
    """scikit-learn's digits as TF-Slim TFRecords (28x28), built once per session."""
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn")
    from slimdsl.backends.tensorflow.train.digits import build_digits

    out = tmp_path_factory.mktemp("digits")
    build_digits(tf, str(out))
    return out


@pytest.fixture(scope="session")
def zygote():
    """A server forking slimc processes from one TensorFlow import (see zygote.py)."""
    from zygote import Zygote

    server = Zygote()
    yield server
    server.close()
