"""Measuring helpers shared by the benchmarks: whole processes, in-process stages, reports.

Whole-process figures come from :func:`measure_process`: each run is a fresh process reaped
with ``os.wait4``, which returns that one process's resource usage, so the peak resident set
size (``ru_maxrss``) is per process, not a maximum over every child this script ever had (which
``getrusage(RUSAGE_CHILDREN)`` would give). Time is wall-clock from spawn to exit.

Linux keeps a process's peak RSS across ``execve``, and a forked child starts with its parent's
pages: a child of this (large) benchmark process would report at least our own size. So the
measured command is spawned by a minimal launcher (``python -S``, only ``os`` imported, about
8 MiB, smaller than any Python program it launches), which times and reaps it and writes the
figures to a file. This gives the same peak RSS as ``/usr/bin/time -f %M``.
"""

from __future__ import annotations

import ast
import datetime
import gc
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"


def child_env() -> dict[str, str]:
    """The environment of measured children.

    Bytecode caching is switched back on (this sandbox sets ``PYTHONDONTWRITEBYTECODE``): an
    installed package has its ``.pyc`` files, so a user never pays for compiling slimdsl's
    sources at every start. The warm-up run writes them. TensorFlow's C++ logging is silenced
    so both routes print only their results.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


@dataclass
class ProcessStats:
    """Repeated runs of one command: wall times (s), peak RSS (KiB), last output."""

    command: list[str]
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_times)

    @property
    def rss_mib(self) -> float:
        return statistics.median(self.rss_kib) / 1024


_LAUNCHER = """\
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as f:
    f.write(repr((wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
                  os.waitstatus_to_exitcode(status))))
"""


def run_once(command: Sequence[str], cwd: Path = ROOT,
             env: dict[str, str] | None = None) -> tuple[float, float, int, int, str, str]:
    """Run ``command`` once: (wall s, user+sys s, peak RSS KiB, exit code, stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix="slim-bench-") as tmp:
        report = Path(tmp) / "usage"
        out_path, err_path = Path(tmp) / "out", Path(tmp) / "err"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, str(report), *command],
                           cwd=cwd, env=env or child_env(), stdin=subprocess.DEVNULL,
                           stdout=out, stderr=err, check=True)
        wall, cpu, rss, code = ast.literal_eval(report.read_text())
        return (wall, cpu, rss, code, out_path.read_text("utf-8", "replace"),
                err_path.read_text("utf-8", "replace"))


def measure_process(command: Sequence[str], repeat: int, warmup: int = 1,
                    cwd: Path = ROOT, check: bool = True) -> ProcessStats:
    """Run ``command`` ``warmup`` + ``repeat`` times; keep the last ``repeat`` measurements."""
    stats = ProcessStats(list(command))
    for i in range(warmup + repeat):
        wall, cpu, rss, code, out, err = run_once(command, cwd)
        if check and code not in (0,):
            raise RuntimeError(f"{' '.join(command)} exited {code}:\n{err[-2000:]}")
        if i >= warmup:
            stats.times.append(wall)
            stats.cpu_times.append(cpu)
            stats.rss_kib.append(rss)
        stats.returncode, stats.stdout, stats.stderr = code, out, err
    return stats


def measure_interleaved(commands: dict[str, Sequence[str]], repeats: dict[str, int],
                        warmup: int = 1, cwd: Path = ROOT) -> dict[str, ProcessStats]:
    """Like :func:`measure_process` for several commands, taking turns run by run.

    Alternating the commands exposes them to the same background load, so their ratio is
    fairer on a shared machine than two back-to-back series would be.
    """
    stats = {name: ProcessStats(list(cmd)) for name, cmd in commands.items()}
    for i in range(warmup + max(repeats.values())):
        for name, cmd in commands.items():
            if i >= warmup + repeats[name]:
                continue
            wall, cpu, rss, code, out, err = run_once(cmd, cwd)
            if code != 0:
                raise RuntimeError(f"{' '.join(cmd)} exited {code}:\n{err[-2000:]}")
            s = stats[name]
            if i >= warmup:
                s.times.append(wall)
                s.cpu_times.append(cpu)
                s.rss_kib.append(rss)
            s.returncode, s.stdout, s.stderr = code, out, err
    return stats


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The fastest of ``repeat`` calls (wall s) and the last result: the least disturbed run."""
    wall, _, result = best_of_both(fn, repeat)
    return wall, result


def best_of_both(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Fastest wall time and smallest CPU time (this thread) of ``repeat`` calls; last result.

    CPU time is the steadier figure on a shared machine: waiting for a core does not count.
    """
    wall = cpu = float("inf")
    result = None
    for _ in range(repeat):
        result = None  # free the previous result (and collect it) outside the timed region
        gc.collect()
        start, start_cpu = time.perf_counter(), time.thread_time()
        result = fn()
        cpu = min(cpu, time.thread_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start)
    return wall, cpu, result


# ---------------------------------------------------------------------------- machine


def machine_info() -> dict[str, str]:
    """CPU, cores, RAM, OS, Python and package versions, date and load: the context of a run."""
    cpu = "unknown"
    try:
        text = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        cpu = m.group(1).strip() if m else platform.processor() or cpu
    except OSError:
        cpu = platform.processor() or cpu
    ram = "unknown"
    try:
        m = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        ram = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB" if m else ram
    except OSError:
        pass
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    info = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": load,
    }
    info.update(package_versions())
    return info


def package_versions() -> dict[str, str]:
    """Versions of slimdsl, lark, tensorflow, tf_slim, without importing TensorFlow."""
    from importlib import metadata

    out = {}
    for dist in ("slimdsl", "lark", "tensorflow", "tf-slim", "tf-keras"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def machine_markdown(info: dict[str, str]) -> str:
    return (f"Measured {info['date']} on {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, "
            f"{info['os']}; Python {info['python']}, slimdsl {info['slimdsl']}, "
            f"lark {info['lark']}, TensorFlow {info['tensorflow']}, tf_slim {info['tf-slim']}, "
            f"tf-keras {info['tf-keras']}. Load average at the start: {info['load']} "
            f"(the machine is shared; in-process figures are best-of-N, whole-process figures "
            f"medians).")


# ---------------------------------------------------------------------------- output


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; numbers right-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    align = ["---:" if rows and _numeric(str(rows[0][i])) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,]*\.?\d+\s*(ms|s|MiB|KiB|x|µs|%)?", text.strip()))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.2f} s"


def secs(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.2f} s"


def mib(value: float) -> str:
    return f"{value:,.1f} MiB"


START = "<!-- core-bench:start -->"
END = "<!-- core-bench:end -->"

_PREAMBLE = """# Performance

How fast `slimc` is, measured by the scripts in `benchmarks/`. Regenerate with
`python benchmarks/run.py` (about four minutes for the core sections, then every
`benchmarks/bench_*.py`; `--quick` prints a rough pass without saving it). Each `##` section is
owned by one script and rewritten between its marker comments; text outside the markers is kept.
"""


def write_section(markdown: str, path: Path = DOCS, start: str = START, end: str = END) -> None:
    """Replace the text between ``start`` and ``end`` in ``path`` (append them if missing)."""
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else _PREAMBLE
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    elif "\n## " in text:  # first time, other sections present: go before them
        i = text.index("\n## ") + 1
        text = text[:i] + block + "\n\n" + text[i:]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_own_section(markdown: str, start: str, end: str, path: Path = DOCS) -> None:
    """:func:`write_section` for a benchmark script's own section: the first time, its markers
    go after every other section."""
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current is not None and start not in current:
        path.write_text(current.rstrip("\n") + f"\n\n{start}\n{end}\n", encoding="utf-8")
    write_section(markdown, path, start, end)


def log(message: str) -> None:
    """Progress on stderr, so stdout carries only the report."""
    print(message, file=sys.stderr, flush=True)
