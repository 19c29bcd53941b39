"""Front-end fuzzing: hostile text through the Python API and ``slimc check``.

Inputs (``fuzz_text``): random bytes, token soup, and mutations of every file of ``models/`` and
``tests/golden/``, plus the nasty cases the issue names (empty file, comments only, non-UTF-8,
BOM, CRLF/tabs, NUL bytes, 10,000-deep nesting, 10 MB files, huge numbers and names, directories,
missing paths, imports of devices). For each: no exception, no ``internal`` diagnostic, no hang
(a per-input time bound), every diagnostic at a line and column of the input, every output
format renders; through the CLI: no traceback, exit code 0/1/2, valid JSON.

Quick: 500 generated inputs in-process, 60 through the CLI, the fast nasty cases. ``-m slow``:
100,000 generated inputs in two worker processes (``frontend_worker.py``), 400 through the CLI,
every nasty case including the 10 MB ones and 1 MB just under the size limit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fuzz_text
import pytest
from fuzz_workers import run_workers

from slimdsl import api
from slimdsl.frontend.parser import MAX_SOURCE_BYTES

HERE = Path(__file__).resolve().parent
SLOW_WORKERS = 2
SLOW_INPUTS_PER_WORKER = 50_000
#: Nasty cases that take more than a fraction of a second (run with -m slow only).
SLOW_NASTY = {"long sum", "long conditional", "long attribute chain", "long index chain",
              "long comparison chain", "deep unary minus", "deep not", "huge loop",
              "exponential function", "10 MB comment", "10 MB of statements",
              "1 MB of blank lines", "1 MB of relu layers", "1 MB of errors"}


def _bounded_check(path: Path, limit: float):
    """``api.check_file`` under a SIGALRM bound; (result, seconds)."""
    def on_alarm(signum, frame):
        raise fuzz_text.InputTimeout()
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        return api.check_file(str(path)), time.perf_counter() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _nasty(tmp_path: Path, slow: bool) -> list[tuple[str, Path, bytes]]:
    """The nasty cases as files (``slow``: all of them, else the fast ones)."""
    tmp_path.mkdir(exist_ok=True)
    out = []
    for i, (name, data) in enumerate(fuzz_text.nasty_cases().items()):
        if name in SLOW_NASTY and not slow:
            continue
        folder = tmp_path / f"case{i}"
        folder.mkdir()
        path = folder / "fuzz.slim"  # "import of itself" imports fuzz.slim
        path.write_bytes(data)
        out.append((name, path, data))
    return out


def _assert_nasty_cases(tmp_path: Path, slow: bool, limit: float) -> dict[str, float]:
    problems, seconds = [], {}
    for name, path, data in _nasty(tmp_path, slow):
        try:
            result, seconds[name] = _bounded_check(path, limit)
        except fuzz_text.InputTimeout:
            problems.append(f"{name}: took more than {limit} s")
            continue
        found = fuzz_text.check_diagnostics(result, data, str(path))
        problems += [f"{name}: {p}" for p in found]
    assert not problems, "\n".join(problems)
    return seconds


def test_nasty_cases_through_the_api(tmp_path):
    _assert_nasty_cases(tmp_path, slow=False, limit=20)


@pytest.mark.slow
def test_every_nasty_case_through_the_api(tmp_path, figures):
    seconds = _assert_nasty_cases(tmp_path, slow=True, limit=120)
    slowest = sorted(seconds.items(), key=lambda kv: -kv[1])[:5]
    figures("nasty cases", f"{len(seconds)}, slowest: "
            + ", ".join(f"{name} {s:.1f} s" for name, s in slowest))
    if os.environ.get("SLIMDSL_FUZZ_REPORT"):
        with open(os.environ["SLIMDSL_FUZZ_REPORT"], "a") as f:
            f.write(json.dumps({"nasty": {"cases": len(seconds), "slowest": slowest}}) + "\n")


def test_nasty_answers(tmp_path):
    """The nasty cases get the diagnostics they deserve, not just any."""
    cases = fuzz_text.nasty_cases()

    def codes(name: str) -> set[str]:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.slim"
        path.write_bytes(cases[name])
        return {d.code for d in api.check_file(str(path)).diagnostics}
    assert codes("non-UTF-8 bytes") == {"encoding"}
    assert codes("NUL bytes") == {"encoding"}
    assert codes("UTF-8 BOM") == set() and codes("CRLF and tabs") == set()
    assert codes("deep parentheses") == {"too-deep"} and codes("deep scopes") == {"too-deep"}
    assert codes("huge integer") == {"expression"}
    assert codes("import of /dev/zero") == {"import"}
    assert codes("10 MB comment") == {"io"}
    assert codes("alias cycle") == {"unknown-name"}


def test_generated_inputs_through_the_api():
    stats = fuzz_text.run_inputs(range(500), limit=10)
    assert stats["crashes"] == 0 and stats["timeouts"] == 0, "\n".join(stats["problems"])
    assert stats["by_kind"].keys() == {"bytes", "tokens", "mutation"}


def _cli(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slimdsl", *args], input=stdin,
                          capture_output=True, timeout=600)


def _assert_cli_json(paths: list[Path]) -> None:
    """One ``slimc check --format json`` over ``paths``: clean answers for every file."""
    proc = _cli(["check", "--format", "json", *map(str, paths)])
    assert proc.returncode in (0, 1, 2), proc.stderr.decode()[-2000:]
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()[-2000:]
    report = json.loads(proc.stdout)
    assert len(report["files"]) == len(paths)
    for entry in report["files"]:
        for d in entry["diagnostics"]:
            assert d["code"] != "internal", (entry["path"], d["message"])
            assert d["line"] >= 1 and d["column"] >= 1, (entry["path"], d)
    text = _cli(["check", "--color", "never", *map(str, paths)])
    assert text.returncode == proc.returncode
    assert b"Traceback" not in text.stderr + text.stdout


def _generated_files(tmp_path: Path, count: int) -> list[Path]:
    corpus = fuzz_text.seed_files()
    weights = [1.0] * len(corpus)
    paths = []
    for seed in range(5_000_000, 5_000_000 + count):
        path = tmp_path / f"in{seed}.slim"
        path.write_bytes(fuzz_text.generate_weighted(seed, corpus, weights)[1])
        paths.append(path)
    return paths


def test_generated_inputs_through_the_cli(tmp_path):
    _assert_cli_json(_generated_files(tmp_path, 60))


@pytest.mark.slow
def test_more_generated_inputs_through_the_cli(tmp_path):
    _assert_cli_json(_generated_files(tmp_path, 400))


def test_nasty_cases_through_the_cli(tmp_path):
    paths = [p for _, p, _ in _nasty(tmp_path / "nasty", slow=False)]
    folder = tmp_path / "folder"  # a folder is searched for .slim files
    folder.mkdir()
    (folder / "a.slim").write_bytes(b"model a {\n  input x: [?, 3]\n}\n")
    _assert_cli_json(paths + [tmp_path / "missing.slim", folder])


def test_cli_refuses_what_it_cannot_read(tmp_path):
    """Missing paths, /dev/zero and files over the size limit: exit 2 with a message."""
    big = tmp_path / "big.slim"
    big.write_bytes(b"#" * (MAX_SOURCE_BYTES + 1))
    proc = _cli(["check", str(tmp_path / "missing.slim"), "/dev/zero", str(big)])
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout.count(b"[io]") == 3 and b"Traceback" not in proc.stderr
    empty = tmp_path / "nothing"
    empty.mkdir()
    proc = _cli(["check", str(empty)])
    assert proc.returncode == 2 and b"no .slim files" in proc.stderr, proc.stderr


def test_stdin_garbage_through_the_cli():
    proc = _cli(["check", "-"], stdin=b"\xff\xfe\x00garbage" + os.urandom(3000))
    assert proc.returncode == 1 and b"[encoding]" in proc.stdout, proc.stdout
    assert b"Traceback" not in proc.stderr


@pytest.mark.slow
@pytest.mark.fullfuzz
def test_frontend_100000_inputs(figures):
    """100,000 generated inputs in two worker processes: no crash, no hang."""
    results = run_workers("frontend_worker.py", [
        ["--inputs", str(SLOW_INPUTS_PER_WORKER), "--seed", str(k + 1)]
        for k in range(SLOW_WORKERS)])
    total = {k: sum(r[k] for r in results)
             for k in ("inputs", "accepted", "rejected", "crashes", "timeouts")}
    by_kind: dict[str, int] = {}
    for r in results:
        for k, v in r["by_kind"].items():
            by_kind[k] = by_kind.get(k, 0) + v
    slowest = max(results, key=lambda r: r["max_seconds"])
    summary = {**total, "by_kind": by_kind, "max_seconds": slowest["max_seconds"],
               "slowest": slowest["slowest"], "seconds_per_worker": [r["seconds"]
                                                                     for r in results]}
    figures("front-end fuzzing", json.dumps(summary))
    if os.environ.get("SLIMDSL_FUZZ_REPORT"):
        with open(os.environ["SLIMDSL_FUZZ_REPORT"], "a") as f:
            f.write(json.dumps({"frontend": summary}) + "\n")
    problems = [p for r in results for p in r["problems"]]
    assert total["crashes"] == 0 and total["timeouts"] == 0, "\n".join(problems[:10])
    assert total["inputs"] >= 100_000
