"""The language server's latency: from an edit to its diagnostics and inlay hints.

    python benchmarks/bench_lsp.py            # 100 edits per file; writes docs/performance.md
    python benchmarks/bench_lsp.py --quick    # 10 edits per file, nothing written

A real ``slimc lsp`` process is driven over stdio, as an editor drives it (this script speaks
JSON-RPC itself, so the client's cost is a pipe write and a read). For each file, it opens the
document, then makes ``--edits`` edits, each a one-token change of a convolution's argument at
a random ``conv2d`` line (seeded): the first number of the line goes up by one (a channel
count, or a kernel size with SAME padding), or back down when that line was edited before, so
the model stays valid and every edit changes what the server computes. After each
``didChange`` it waits for the ``publishDiagnostics`` of that version, then asks for the inlay
hints of the 60 lines around the edit (what an editor showing them asks for) and waits for the
answer. The latency of an edit is the time from sending the change to receiving the hints; the
diagnostics' own latency is reported too, and the CPU time the server process used for each
edit (its threads' time on a core, from ``/proc``), which waiting for a core on a busy machine
does not inflate. Edits are sent at least ``--interval`` apart (100 ms, typing speed), so none
is coalesced with the previous one (the server coalesces changes closer than 30 ms).

Files: ``models/inception_v3.slim`` (target p95 <= 30 ms) and the flat 10,000-layer file of
``benchmarks/generate.py`` (target p95 <= 100 ms); the *lines* row makes other edits on the
flat file, that insert and delete a blank line
(:func:`line_edits_for`). Writes the "Language server" section of
docs/performance.md between its own markers.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/bench_lsp.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    DOCS,
    ROOT,
    child_env,
    log,
    machine_info,
    machine_markdown,
    ms,
    table,
    write_own_section,
)
from benchmarks.generate import generate  # noqa: E402

START = "<!-- lsp-bench:start -->"
END = "<!-- lsp-bench:end -->"
TARGETS = {"inception_v3": 0.030, "flat 10,000": 0.100}
WINDOW = 60  # lines of inlay hints asked for around an edit
#: A convolution's line: its first number is a channel count (``conv2d(depth(64), 1)``) or a
#: kernel size with SAME padding (``conv2d(depth, [3, 3])``); one more keeps the model valid.
_LAYER_LINE = re.compile(r"^\s*(?:\w+\s*=\s*)?conv2d\(.*?(\d+)")


class Client:
    """A minimal LSP client over a server process's stdin/stdout."""

    def __init__(self, command: list[str]):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=child_env(), cwd=ROOT)
        self.messages: queue.Queue = queue.Queue()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.messages.put((time.perf_counter(), json.loads(out.read(length))))

    def send(self, payload: dict) -> float:
        body = json.dumps({"jsonrpc": "2.0", **payload}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return time.perf_counter()

    def notify(self, method: str, params: dict) -> float:
        return self.send({"method": method, "params": params})

    def request(self, method: str, params: dict) -> int:
        self._next_id += 1
        self.send({"id": self._next_id, "method": method, "params": params})
        return self._next_id

    def wait(self, match, timeout: float = 120.0) -> tuple[float, dict]:
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("the server did not answer")
            stamp, message = self.messages.get(timeout=left)
            if match(message):
                return stamp, message

    def response(self, request_id: int) -> tuple[float, dict]:
        return self.wait(lambda m: m.get("id") == request_id and "method" not in m)

    def diagnostics(self, uri: str, version: int) -> tuple[float, dict]:
        return self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                         and m["params"]["uri"] == uri and m["params"].get("version") == version)

    def cpu_seconds(self) -> float:
        """CPU time the server's threads have used so far (0.0 where /proc is not there)."""
        total = 0
        try:
            for task in os.listdir(f"/proc/{self.proc.pid}/task"):
                with open(f"/proc/{self.proc.pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        return total / 1e9

    def close(self) -> None:
        try:
            self.response(self.request("shutdown", None))  # type: ignore[arg-type]
            self.notify("exit", None)  # type: ignore[arg-type]
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a benchmark must not hang on a broken server
            self.proc.kill()


def edits_for(text: str, count: int, seed: int) -> list[tuple[int, int, str, str]]:
    """``count`` edits (line, column, old, new): the first number of a random layer line up
    by one, or back when that line is currently edited."""
    rng = random.Random(seed)
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if _LAYER_LINE.match(line)
                  and not line.lstrip().startswith(("#", "block", "model", "input", "def"))]
    edited: dict[int, tuple[int, str, str]] = {}
    out = []
    for _ in range(count):
        i = rng.choice(candidates)
        if i in edited:
            col, old, new = edited.pop(i)
            out.append((i, col, new, old))
            continue
        m = _LAYER_LINE.match(lines[i])
        col, old = m.start(1), m.group(1)
        new = str(int(old) + 1)
        edited[i] = (col, old, new)
        out.append((i, col, old, new))
    return out


def line_edits_for(text: str, count: int, seed: int) -> list[tuple[int, dict]]:
    """``count`` edits that change the line count (the *lines* mix): pressing Enter at the end
    of a random layer line (a new blank line, indented like it), or deleting the blank line
    the previous edit made. Each is (line, LSP content change)."""
    rng = random.Random(seed)
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if _LAYER_LINE.match(line)
                  and not line.lstrip().startswith(("#", "block", "model", "input", "def"))]
    out: list[tuple[int, dict]] = []
    blank: int | None = None  # the line (0-based) of the blank line the last edit made
    indent = ""
    for _ in range(count):
        if blank is not None:  # deleting the line, its indentation too
            end = len(lines[blank - 1])
            out.append((blank, {"range": {"start": {"line": blank - 1, "character": end},
                                          "end": {"line": blank, "character": len(indent)}},
                                "text": ""}))
            blank = None
            continue
        i = rng.choice(candidates)
        indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
        end = len(lines[i])
        out.append((i + 1, {"range": {"start": {"line": i, "character": end},
                                      "end": {"line": i, "character": end}},
                            "text": "\n" + indent}))
        blank = i + 1  # the next edit deletes it: the text is the original again
    return out


def token_edits(text: str, count: int, seed: int) -> list[tuple[int, dict]]:
    """:func:`edits_for` as (line, LSP content change)."""
    return [(line, {"range": {"start": {"line": line, "character": col},
                              "end": {"line": line, "character": col + len(old)}},
                    "text": new}) for line, col, old, new in edits_for(text, count, seed)]


def bench_file(name: str, text: str, edits: int, interval: float, seed: int = 13,
               mix=token_edits) -> dict:
    """Open ``text`` in a fresh server, make the edits (``mix``), return the latencies (s)."""
    folder = Path(tempfile.mkdtemp(prefix="slimdsl-lsp-bench-"))
    path = folder / f"{name.split()[0]}.slim"
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client = Client([sys.executable, "-m", "slimdsl", "lsp"])
    try:
        client.response(client.request("initialize", {
            "processId": os.getpid(), "rootUri": folder.as_uri(),
            "capabilities": {"textDocument": {"inlayHint": {}, "publishDiagnostics": {}}}}))
        client.notify("initialized", {})
        sent = client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "slimdsl", "version": 1, "text": text}})
        stamp, first = client.diagnostics(uri, 1)
        open_time = stamp - sent
        assert not first["params"]["diagnostics"], first["params"]["diagnostics"][:1]
        diag_times, total_times, cpu_times = [], [], []
        last_sent = 0.0
        for version, (line, change) in enumerate(mix(text, edits, seed), 2):
            time.sleep(max(0.0, last_sent + interval - time.perf_counter()))
            cpu = client.cpu_seconds()
            last_sent = client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
            stamp, published = client.diagnostics(uri, version)
            diag_times.append(stamp - last_sent)
            assert not published["params"]["diagnostics"], published["params"]["diagnostics"][:1]
            first_line = max(0, line - WINDOW // 2)
            rid = client.request("textDocument/inlayHint", {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": first_line, "character": 0},
                          "end": {"line": first_line + WINDOW, "character": 0}}})
            stamp, hints = client.response(rid)
            total_times.append(stamp - last_sent)
            cpu_times.append(client.cpu_seconds() - cpu)
            assert hints.get("result"), f"no hints around line {line}"
    finally:
        client.close()
    return {"name": name, "lines": text.count("\n"), "edits": edits, "open": open_time,
            "diagnostics": diag_times, "total": total_times, "cpu": cpu_times}


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def markdown(results: list[dict], info: dict, interval: float) -> str:
    rows = []
    verdicts = []
    for r in results:
        p95 = _p(r["total"], 95)
        target = TARGETS.get(r["name"])
        met = "—" if target is None else ("**met**" if p95 <= target else "**not met**")
        rows.append([r["name"], f"{r['lines']:,}", r["edits"], ms(r["open"]),
                     ms(_p(r["diagnostics"], 50)), ms(_p(r["diagnostics"], 95)),
                     ms(_p(r["total"], 50)), ms(p95), ms(max(r["total"])),
                     ms(_p(r["cpu"], 50)), ms(_p(r["cpu"], 95)),
                     f"≤ {ms(target)}" if target else "—", met])
        verdicts.append(f"{r['name']}: p95 {ms(p95)} ({met.strip('*')})")
    header = ["file", "lines", "edits", "open", "diagnostics p50", "diagnostics p95",
              "+ hints p50", "+ hints p95", "max", "server CPU p50", "server CPU p95",
              "target (p95)", "result"]
    return "\n\n".join([
        "## Language server",
        f"`python benchmarks/bench_lsp.py`: a real `slimc lsp` process driven over stdio; per "
        f"file {results[0]['edits']} edits (a convolution's first number, a channel count or a "
        f"SAME kernel size, up or back down by one, on a random `conv2d` line, seeded), one "
        f"every {interval * 1000:.0f} ms at least; the *lines* row makes edits that change "
        f"the line count instead: Enter at the end of a random layer line (a new blank "
        f"line), then Backspace deleting it, alternately. *diagnostics*:"
        f" from sending the `didChange` to receiving that version's `publishDiagnostics`; "
        f"*+ hints*: until the answer to the `inlayHint` request for the {WINDOW} lines around "
        f"the edit, sent once the diagnostics arrived (what an editor shows after an edit). "
        f"*open*: from `didOpen` to the first diagnostics (the first check, cold). *server "
        f"CPU*: the CPU time the server process used per edit (all its threads, from /proc), "
        f"which waiting for a core on the shared machine does not inflate.",
        machine_markdown(info),
        table(header, rows),
        "Targets (issue 13): " + "; ".join(verdicts) + "."])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/bench_lsp.py",
                                description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   default=bool(os.environ.get("SLIMDSL_BENCH_QUICK")),
                   help="10 edits per file (rough figures), nothing written")
    p.add_argument("--edits", type=int, help="edits per file (default 100, quick 10)")
    p.add_argument("--interval", type=float, default=0.1, help="seconds between edits")
    p.add_argument("--only", choices=("inception", "flat", "flat-lines"), action="append")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="update docs/performance.md (default: yes, except with --quick)")
    args = p.parse_args(argv)
    write = (not args.quick) if args.write is None else args.write
    edits = args.edits or (10 if args.quick else 100)
    info = machine_info()
    flat = generate(10_000, "flat")
    files = {"inception": ("inception_v3", (ROOT / "models" / "inception_v3.slim").read_text(),
                           token_edits),
             "flat": ("flat 10,000", flat, token_edits),
             "flat-lines": ("flat 10,000, lines", flat, line_edits_for)}
    results = []
    for key in args.only or ("inception", "flat", "flat-lines"):
        name, text, mix = files[key]
        log(f"lsp: {name}, {edits} edits")
        results.append(bench_file(name, text, edits, args.interval, mix=mix))
    text = markdown(results, info, args.interval)
    print(text)
    if write:
        write_own_section(text, START, END)
        log(f"lsp: wrote the Language server section of {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
