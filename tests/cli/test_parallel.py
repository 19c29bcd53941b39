"""``slimc check`` of many files on several cores (slimdsl/cli/parallel.py): the same results,
in the same order, as one file after the other; a worker that dies loses nothing."""

from __future__ import annotations

import contextlib
import io
import os
import time

import pytest

from slimdsl.api import CheckResult
from slimdsl.cli import main, parallel

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")

GOOD = "model m{i} {{\n  input x: [?, 8, 8, 3]\n  conv2d(4, 3) as c\n}}\n"
BAD = "model m{i} {{\n  input x: [?, 2, 2, 3]\n  conv2d(4, 3, padding=\"VALID\") as c\n}}\n"
TYPO = "model m{i} {{\n  input x: [?, 8, 8, 3]\n  conv2x(4, 3)\n  relu(alpha=1)\n}}\n"


@pytest.fixture(autouse=True)
def two_cores(monkeypatch):
    """The tests describe a 2-core machine (CI's), whatever this one has."""
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)


def tagged(path: str) -> CheckResult:
    """A stand-in check that says which process ran it."""
    return CheckResult(f"{path}@{os.getpid()}")


def test_results_come_back_in_order_and_the_workers_did_the_work():
    def slow(path: str) -> CheckResult:  # long enough for the second worker to get some
        time.sleep(0.01)
        return tagged(path)

    paths = [str(i) for i in range(40)]
    results = list(parallel.check_all(paths, slow, serial_first=0, workers=2))
    assert [r.path.split("@")[0] for r in results] == paths
    workers = {r.path.split("@")[1] for r in results}
    assert str(os.getpid()) not in workers and len(workers) == 2


def test_serial_until_the_time_is_up_and_on_one_core():
    paths = [str(i) for i in range(6)]
    here = str(os.getpid())
    assert {r.path.split("@")[1] for r in parallel.check_all(
        paths, tagged, serial_first=60, workers=2)} == {here}
    assert {r.path.split("@")[1] for r in parallel.check_all(
        paths, tagged, serial_first=0, workers=1)} == {here}
    assert [r.path for r in parallel.check_all(["-", "a"], tagged, serial_first=0,
                                               workers=2)] == [f"-@{here}", f"a@{here}"]


def test_a_file_whose_worker_died_is_checked_here():
    parent = os.getpid()

    def check(path: str) -> CheckResult:
        if path == "5" and os.getpid() != parent:
            os._exit(3)  # as if killed while checking it
        return tagged(path)

    paths = [str(i) for i in range(12)]
    results = list(parallel.check_all(paths, check, serial_first=0, workers=2))
    assert [r.path.split("@")[0] for r in results] == paths
    assert results[5].path == f"5@{parent}"


def run(monkeypatch, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(parallel, "SERIAL_FIRST", 0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = main(list(args))
        except SystemExit as exc:  # a usage error
            code = exc.code
    return code, out.getvalue()


def spy_on_workers(monkeypatch) -> list[tuple[int, int]]:
    """(workers asked for, results they sent) of every set of forked workers."""
    calls, forked = [], parallel.forked_results

    def spied(paths, check, workers):
        found = forked(paths, check, workers)
        calls.append((workers, len(found)))
        return found

    monkeypatch.setattr(parallel, "forked_results", spied)
    return calls


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_check_prints_the_same_as_one_file_after_the_other(tmp_path, monkeypatch, fmt):
    for i in range(9):
        text = (GOOD, BAD, TYPO)[i % 3].format(i=i)
        (tmp_path / f"f{i}.slim").write_text(text)
    serial = run(monkeypatch, "check", "--jobs", "1", "--format", fmt, str(tmp_path))
    calls = spy_on_workers(monkeypatch)
    pooled = run(monkeypatch, "check", "-j", "2", "--format", fmt, str(tmp_path))
    assert pooled == serial
    # the workers checked files and sent them back (not the parent, after they all died)
    assert calls and sum(sent for _, sent in calls) > 0, calls
    assert serial[0] == 1 and "unknown-layer" in serial[1] and "shape" in serial[1]


def test_jobs_must_be_a_positive_number(tmp_path, monkeypatch):
    (tmp_path / "a.slim").write_text(GOOD.format(i=0))
    assert run(monkeypatch, "check", "--jobs", "0", str(tmp_path))[0] == 2
    assert run(monkeypatch, "check", "-j", "x", str(tmp_path))[0] == 2
    assert run(monkeypatch, "check", "-j", "3", str(tmp_path))[0] == 0


def test_no_more_workers_than_cores(monkeypatch):
    calls = spy_on_workers(monkeypatch)
    paths = [str(i) for i in range(20)]
    results = list(parallel.check_all(paths, tagged, serial_first=0, workers=1000))
    assert [r.path.split("@")[0] for r in results] == paths
    assert [workers for workers, _ in calls] == [2]


def test_out_of_file_descriptors_checks_everything_here(monkeypatch):
    """``-j`` under a low ``ulimit -n``: no pipe for a worker means fewer workers, or none."""
    here = str(os.getpid())
    real_pipe, opened = os.pipe, []

    def pipe_then_none(allowed: int):
        def pipe():
            if len(opened) >= allowed:
                raise OSError(24, "Too many open files")
            opened.append(1)
            return real_pipe()
        return pipe

    paths = [str(i) for i in range(8)]
    for allowed in (0, 1, 2):  # no task pipe; no result pipe; one worker's
        opened.clear()
        monkeypatch.setattr(os, "pipe", pipe_then_none(allowed))
        results = list(parallel.check_all(paths, tagged, serial_first=0, workers=2))
        assert [r.path.split("@")[0] for r in results] == paths
        if allowed < 2:
            assert {r.path.split("@")[1] for r in results} == {here}
