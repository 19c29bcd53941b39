"""Paths the training tests share (a module of its own: test files cannot import conftest)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
TINY = ROOT / "tests" / "data" / "train_tiny.slim"
LENET = ROOT / "models" / "lenet.slim"
