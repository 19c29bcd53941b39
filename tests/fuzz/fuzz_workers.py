"""Run the full-size fuzz workers (``diff_worker.py``, ``frontend_worker.py``) side by side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# A bound against a hang, not a speed check: on an idle 2-core machine a worker takes minutes,
# on a shared one (load 15-20) several times that. The CI limit is 90 minutes.
TIMEOUT = 3600


def run_workers(script: str, runs: list[list[str]]) -> list[dict]:
    """Start ``script`` once per argument list of ``runs`` at the same time; the JSON figures
    each prints on its last line. A worker that fails or outlives :data:`TIMEOUT` fails the
    test, and no worker outlives the test."""
    procs = [subprocess.Popen([sys.executable, str(HERE / script), *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args in runs]
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT)
            assert p.returncode == 0, err[-3000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            p.kill()
            p.wait()
    return results
