"""Hostile inputs for the front end: random bytes, token soup, mutations, and the nasty cases.

Every generator is a pure function of a ``random.Random`` (so a failing input is reproduced from
its seed) returning ``bytes``: the input goes through the same decoding as a file on disk.
:func:`check_diagnostics` states what "handled" means for one input: no exception, no
``internal`` diagnostic, every diagnostic at a line and column that exist in the input (or just
past its end), and every output format renders.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent

KEYWORDS = ("model", "block", "import", "input", "output", "end_point", "arg_scope", "scope",
            "def", "if", "elif", "else", "for", "in", "assert", "as", "and", "or", "not",
            "true", "false", "none", "training", "net", "range", "len", "repeat", "stack",
            "conv2d", "max_pool2d", "concat", "add", "relu", "batch_norm", "fully_connected",
            "separable_conv2d", "conv2d_same", "squeeze", "l2", "xavier", "shape", "rank",
            "float32", "int32", "int", "float", "bool", "string", "list", "tensor", "any")
PUNCT = ("(", ")", "[", "]", "{", "}", ",", ":", "=", ".", "+", "-", "*", "/", "//", "%", "?",
         "==", "!=", "<=", ">=", "<", ">", "\n", "\n", "\n", " ", "\t", "\r\n", "#", "\\", "'",
         '"', "@", "$", "`", ";")
NUMBERS = ("0", "1", "3", "64", "224", "-1", "0.5", "1e-3", "1e999", ".5", "5.", "007",
           "9" * 30, "9" * 120, "1e308", "2.5e-400")
STRINGS = ('"SAME"', '"VALID"', '"unit_{i}"', '"{scope}/x"', '"a/b"', '""', '"\\n"', '"\\q"',
           "'x'", '"unterminated', '"{nope}"', '"../x.slim"', '"/dev/null"', '"."',
           '"fuzz.slim"', '"' + "s" * 300 + '"')
UNICODE = ("é", "\u00a0", "\u200b", "\u2028", "\ufeff", "ｍodel", "а", "😀", "\x00", "\x7f",
           "\x1b[31m", "\u202e")
SNIPPETS = (
    "model m {\n  input x: [?, 8, 8, 3]\n", "}\n", "conv2d(8, 3) as c\n",
    "repeat(2, conv2d, 8, [3, 3]) as r\n", "concat(axis=3) {\n{ relu() }\n{ relu() }\n}\n",
    "arg_scope([conv2d], padding=\"VALID\") {\n", "scope \"s_{i}\" {\n",
    "for i in range(3) {\n", "if net.shape[1] > 2 {\n", "} else {\n", "block b(d: int) {\n",
    "b(4) as u\n", "def f(a) = a * 2\n", "assert net.shape == [?, 8, 8, 3]\n",
    "output y = net\n", "end_point\n", "model a = m(n=1)\n", "add(net, net)\n",
    "x = conv2d(net, 4, 1)\n", "squeeze([1, 2])\n", "import \"other.slim\"\n",
)


def seed_files() -> list[tuple[str, bytes]]:
    """Every .slim file of ``models/`` and the golden tests (the mutation seeds)."""
    files = sorted(ROOT.glob("models/**/*.slim")) + sorted(ROOT.glob("tests/golden/**/*.slim"))
    return [(str(p.relative_to(ROOT)), p.read_bytes()) for p in files]


def random_bytes(r: random.Random) -> bytes:
    n = r.choice((0, 1, 2, 8, 40, 200, 1000))
    if r.random() < 0.5:  # printable ASCII and whitespace: gets further into the lexer
        return bytes(r.choice(b" \t\n{}()[]=,:#\"'azAZ09_.-+*/?<>") for _ in range(n))
    return bytes(r.getrandbits(8) for _ in range(n))


def token(r: random.Random) -> str:
    roll = r.random()
    if roll < 0.35:
        return r.choice(KEYWORDS)
    if roll < 0.65:
        return r.choice(PUNCT)
    if roll < 0.75:
        return r.choice(NUMBERS)
    if roll < 0.83:
        return r.choice(STRINGS)
    if roll < 0.90:
        return "".join(r.choice("abcxyz_019") for _ in range(r.randint(1, 8)))
    if roll < 0.95:
        return r.choice(UNICODE)
    return r.choice(SNIPPETS)


def token_soup(r: random.Random) -> bytes:
    n = r.choice((1, 5, 20, 60, 150))
    return " ".join(token(r) for _ in range(n)).encode("utf-8", "surrogatepass")


def mutate(r: random.Random, data: bytes) -> bytes:
    """One to four random edits of ``data`` (a valid or golden file)."""
    for _ in range(r.randint(1, 4)):
        n = len(data)
        i = r.randint(0, n)
        j = min(n, i + r.choice((1, 1, 2, 5, 20, 100)))
        op = r.randrange(11)
        if op == 0:  # delete a span
            data = data[:i] + data[j:]
        elif op == 1:  # duplicate a span
            data = data[:j] + data[i:j] + data[j:]
        elif op == 2:  # insert a token
            data = data[:i] + token(r).encode("utf-8", "surrogatepass") + data[i:]
        elif op == 3:  # replace a byte
            data = data[:i] + bytes([r.getrandbits(8)]) + data[i + 1:]
        elif op == 4:  # truncate
            data = data[:i]
        elif op == 5:  # swap two lines
            lines = data.split(b"\n")
            a, b = r.randrange(len(lines)), r.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            data = b"\n".join(lines)
        elif op == 6:  # a bracket or brace flipped
            k = [m for m, c in enumerate(data) if c in b"()[]{}"]
            if k:
                m = r.choice(k)
                data = data[:m] + r.choice((b"(", b")", b"[", b"]", b"{", b"}")) + data[m + 1:]
        elif op == 7:  # a number replaced by a hostile one
            data = data[:i] + r.choice(NUMBERS).encode() + data[j:]
        elif op == 8:  # line endings and tabs
            data = data.replace(b"\n", r.choice((b"\r\n", b"\r", b"\n\n", b"\n\t")))
        elif op == 9:  # a deep or long run of one token
            data = data[:i] + r.choice((b"(", b"[", b"{", b"-", b"not ", b"x.", b"+1"))\
                * r.choice((10, 70, 300)) + data[i:]
        else:  # a snippet pasted in
            data = data[:i] + r.choice(SNIPPETS).encode() + data[i:]
    return data


def nasty_cases() -> dict[str, bytes]:
    """The cases the issue names, each a whole file."""
    model = b"model m {\n  input x: [?, 8, 8, 3]\n  conv2d(8, 3) as c\n}\n"
    head = "model m {\n  input x: [?, 8, 8, 3]\n"
    deep = 10_000
    return {
        "empty file": b"",
        "only comments": b"# a comment\n# another\n\n   # indented\n",
        "non-UTF-8 bytes": b"model m {\n  input x: [?, 8, \xff\xfe, 3]\n}\n",
        "latin-1 text": "model m {\n  # café\n}\n".encode("latin-1"),
        "UTF-8 BOM": b"\xef\xbb\xbf" + model,
        "BOM only": b"\xef\xbb\xbf",
        "BOM twice": b"\xef\xbb\xbf\xef\xbb\xbf" + model,
        "CRLF and tabs": model.replace(b"\n", b"\r\n").replace(b"  ", b"\t"),
        "lone CR": model.replace(b"\n", b"\r"),
        "NUL bytes": b"model m {\x00\n}\n",
        "NUL at start": b"\x00" + model,
        "deep parentheses": (head + "  a = " + "(" * deep + "1" + ")" * deep + "\n}\n").encode(),
        "deep lists": (head + "  a = " + "[" * deep + "]" * deep + "\n}\n").encode(),
        "deep dicts": (head + "  a = " + "{k: " * deep + "1" + "}" * deep + "\n}\n").encode(),
        "deep scopes": (head + "  scope s {\n" * deep + "  }\n" * deep + "}\n").encode(),
        "deep ifs": (head + "  if true {\n" * deep + "  }\n" * deep + "}\n").encode(),
        "deep branches": (head + "  concat(axis=3) {\n  {\n" * deep + "  }\n  }\n" * deep
                          + "}\n").encode(),
        "unclosed deep blocks": (head + "  scope s {\n" * deep).encode(),
        "deep unary minus": (head + "  a = " + "-" * deep + "1\n}\n").encode(),
        "deep not": (head + "  a = " + "not " * deep + "true\n}\n").encode(),
        "long sum": (head + "  a = " + " + ".join(["1"] * deep) + "\n}\n").encode(),
        "long conditional": (head + "  a = " + "1 if true else " * deep + "1\n}\n").encode(),
        "long attribute chain": (head + "  a = net" + ".shape" * deep + "\n}\n").encode(),
        "long index chain": (head + "  a = net.shape" + "[0]" * deep + "\n}\n").encode(),
        "long comparison chain": (head + "  a = 1" + " < 1" * deep + "\n}\n").encode(),
        "very long identifier": ("model " + "m" * 1_000_000 + " {\n  input x: [?, 3]\n}\n")
        .encode(),
        "very long layer name": (head + "  relu() as " + "n" * 1_000_000 + "\n}\n").encode(),
        "huge integer": (head + "  a = " + "9" * 100_000 + "\n}\n").encode(),
        "huge integer in a shape": b"model m {\n  input x: [?, " + b"9" * 60 + b", 3, 3]\n}\n",
        "huge float": (head + "  a = 1e999999\n  b = 1." + "9" * 10_000 + "\n}\n").encode(),
        "huge loop": (head + "  for i in range(100000) {\n    for j in range(100000) {\n"
                      "    }\n  }\n}\n").encode(),
        "exponential function": (b"def f(n) = f(n - 1) + f(n - 1) if n > 0 else 1\n"
                                 + head.encode() + b"  a = f(30)\n}\n"),
        "alias cycle": b"model a = b()\nmodel b = a()\n",
        "import of /dev/zero": b'import "/dev/zero"\n' + model,
        "import of a directory": b'import "/"\n' + model,
        "import of itself": b'import "fuzz.slim"\n' + model,
        "10 MB comment": b"# " + b"x" * 10_000_000 + b"\n" + model,
        "10 MB of statements": (head + "  a = 1\n" * 1_400_000 + "}\n").encode(),
        # just under MAX_SOURCE_BYTES (1 MiB): the slowest inputs slimc still reads
        "1 MB of blank lines": (head + "}\n" + "\n" * 1_040_000).encode(),
        "1 MB of relu layers": (head + "  relu()\n" * 115_000 + "}\n").encode(),
        "1 MB of errors": (head + "  relu(1)\n" * 100_000 + "}\n").encode(),
    }


def _line_col_ok(d: Any, lines: list) -> bool:
    line, col = d.span.line, d.span.column
    if line < 1 or col < 1 or line > len(lines):
        return False
    return col <= len(lines[line - 1]) + 2  # one past the end (end of line or file) is fine


def check_diagnostics(result: Any, data: bytes, path: str, machine_formats: bool = True
                      ) -> list[str]:
    """Why ``result`` (a CheckResult for ``data`` at ``path``) is not a clean answer.

    ``machine_formats``: also render JSON and SARIF (a third of the cost of a small input).
    """
    from slimdsl.diagnostics import printer
    problems = []
    # undecodable input: positions count bytes
    lines = data.split(b"\n") if result.source is None else result.source.split("\n")
    for d in result.diagnostics:
        if d.code == "internal":
            problems.append(f"internal error: {d.message[:300]}")
        if d.span.path == path and not _line_col_ok(d, lines):
            problems.append(f"position {d.span.line}:{d.span.column} outside the input "
                            f"({d.code}: {d.message[:120]})")
        elif d.span.line < 1 or d.span.column < 1:
            problems.append(f"position {d.span.line}:{d.span.column} in {d.span.path}")
    if not result.ok and not any(d.is_error for d in result.diagnostics):
        problems.append("not ok without an error diagnostic")
    for d in result.diagnostics:
        printer.format_text(d, result.source, False)
        printer.format_github(d)
    if machine_formats:
        pairs = [(result.path, result.diagnostics)]
        printer.format_json(pairs)
        printer.format_sarif(pairs)
    return problems


class InputTimeout(BaseException):
    """One input took longer than the per-input bound (not an Exception: the API's last line
    of defence, ``except Exception``, must not turn it into a diagnostic)."""


def run_inputs(seeds: range, limit: float = 10.0, compile_every: int = 10) -> dict:
    """Feed generated inputs ``seeds`` to the Python API; the figures and every problem.

    Each input is written to a file and checked with ``api.check_file`` (the decoding path
    included) under a ``SIGALRM`` bound of ``limit`` seconds; every ``compile_every``-th input
    is also rendered as JSON and SARIF and goes through ``api.compile_file``, which must return
    a graph or raise CompileError.
    """
    import signal
    import tempfile
    import time

    from slimdsl import api
    from slimdsl.diagnostics import CompileError

    corpus = seed_files()

    def on_alarm(signum: int, frame: Any) -> None:
        raise InputTimeout()

    old = signal.signal(signal.SIGALRM, on_alarm)
    stats: dict[str, Any] = {"inputs": 0, "accepted": 0, "rejected": 0, "crashes": 0,
                             "timeouts": 0, "by_kind": {}, "max_seconds": 0.0, "slowest": "",
                             "problems": []}
    with tempfile.TemporaryDirectory() as tmp:
        for model in ROOT.glob("models/*.slim"):  # so that mutated files' imports resolve
            (Path(tmp) / model.name).write_bytes(model.read_bytes())
        path = str(Path(tmp) / "fuzz.slim")
        weights = corpus_weights(corpus, path)
        start_all = time.perf_counter()
        for seed in seeds:
            how, data = generate_weighted(seed, corpus, weights)
            Path(path).write_bytes(data)
            kind = how.split(" of ")[0]
            stats["by_kind"][kind] = stats["by_kind"].get(kind, 0) + 1
            stats["inputs"] += 1
            start = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                result = api.check_file(path)
                every = bool(compile_every) and seed % compile_every == 0
                problems = check_diagnostics(result, data, path, machine_formats=every)
                if every:
                    try:
                        api.compile_file(path)
                    except CompileError as exc:
                        if not exc.diagnostics:
                            problems.append("CompileError without diagnostics")
            except InputTimeout:
                stats["timeouts"] += 1
                problems = [f"took more than {limit} s"]
            except Exception as exc:  # noqa: BLE001 - a traceback is what we hunt for
                problems = [f"{type(exc).__name__}: {exc}"[:300]]
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            elapsed = time.perf_counter() - start
            if elapsed > stats["max_seconds"]:
                stats["max_seconds"], stats["slowest"] = round(elapsed, 3), f"{seed}: {how}"
            if problems:
                stats["crashes"] += 1
                if len(stats["problems"]) < 20:
                    stats["problems"].append(f"input {seed} ({how}): {problems[:3]}")
            elif result.ok:
                stats["accepted"] += 1
            else:
                stats["rejected"] += 1
        stats["seconds"] = round(time.perf_counter() - start_all, 1)
    signal.signal(signal.SIGALRM, old)
    return stats


def corpus_weights(corpus: list[tuple[str, bytes]], path: str) -> list[float]:
    """Mutate cheap files more often than 200-layer ResNets: 1 / (layers + 5), deterministic
    (an input is reproduced from its seed alone)."""
    from slimdsl import api
    weights = []
    for _, data in corpus:
        Path(path).write_bytes(data)
        layers = sum(len(g.nodes) for g in api.check_file(path).graphs)
        weights.append(1 / (layers + 5))
    return weights


def replay(seed: int, folder: str) -> tuple[str, bytes]:
    """Input ``seed`` of :func:`run_inputs`, written to ``folder/fuzz.slim`` with the models
    next to it (as the run had them)."""
    corpus = seed_files()
    Path(folder).mkdir(parents=True, exist_ok=True)
    for model in ROOT.glob("models/*.slim"):
        (Path(folder) / model.name).write_bytes(model.read_bytes())
    path = str(Path(folder) / "fuzz.slim")
    how, data = generate_weighted(seed, corpus, corpus_weights(corpus, path))
    Path(path).write_bytes(data)
    return how, data


def generate_weighted(seed: int, corpus: list[tuple[str, bytes]], weights: list[float]
                      ) -> tuple[str, bytes]:
    """:func:`generate` with mutation seeds chosen by ``weights`` (1 / checking cost)."""
    r = random.Random(seed)
    roll = r.random()
    if roll < 0.15:
        return "bytes", random_bytes(r)
    if roll < 0.5:
        return "tokens", token_soup(r)
    if roll < 0.55:  # uniform: every file is mutated, however slow it is to check
        name, data = r.choice(corpus)
    else:
        name, data = r.choices(corpus, weights)[0]
    return f"mutation of {name}", mutate(r, data)
