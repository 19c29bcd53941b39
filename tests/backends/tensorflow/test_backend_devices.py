"""Device placement of generated models: every variable and every op where it was asked for.

The CPU is split into three logical devices in a process of its own (``device_probe.py``:
TensorFlow fixes its devices when it first initializes, which this process may already have
done), and the showcase model is built on ``/device:CPU:1`` — not the default device, so code
that ignored the device (``tf.device(None)``) would put everything on CPU:0 and fail here —
through the Python API (``device=``) and through ``slimc run --device cpu:1``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
MODEL = ROOT / "tests" / "golden" / "codegen" / "showcase.slim"


@pytest.fixture(scope="module")
def placements(tf) -> dict[str, dict]:
    proc = subprocess.run([sys.executable, str(HERE / "device_probe.py"), str(MODEL),
                           "/device:CPU:1"], capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    routes = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return {r["route"]: r for r in routes}


@pytest.mark.parametrize("route", ["api", "run"])
def test_every_variable_and_op_lives_on_the_requested_device(placements, route):
    placed = placements[route]
    variables, ops = placed["variables"], placed["ops"]
    assert len(variables) >= 20 and len(ops) >= 30, placed  # the whole showcase model
    wrong = {k: v for k, v in variables.items() if not v.endswith("/device:CPU:1")}
    assert not wrong, f"{route}: variables not on CPU:1: {wrong}"
    wrong = {k: v for k, v in ops.items() if not v.endswith("device:CPU:1")}
    assert not wrong, f"{route}: ops not on CPU:1: {wrong}"
    kinds = {name.split("/")[-1].rstrip("_0123456789") for name in ops}
    assert {"convolution", "MatMul", "Relu"} <= kinds, sorted(kinds)
