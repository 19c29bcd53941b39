"""Run every benchmark and record the results in docs/performance.md.

    python benchmarks/run.py            # full run: core sections ~4 min on 2 cores, then extras
    python benchmarks/run.py --quick    # one repetition, smaller sizes: a rough pass, not saved
    python -m benchmarks --no-write     # print the report, leave the docs alone

The core benchmarks (:mod:`benchmarks.core`) write the sections "Core: check vs tf_slim",
"Core: scaling", "Core: incremental re-parse" and "Zoo check" between
``<!-- core-bench:start -->`` and ``<!-- core-bench:end -->``. Then every
``benchmarks/bench_*.py`` that defines ``main()`` runs in its own process (``main()`` takes no
arguments and owns its own section of the file; ``SLIMDSL_BENCH_QUICK=1`` is set under
``--quick``). They run when the docs are written, or when
asked for with ``--only extras``.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/run.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from benchmarks import core  # noqa: E402
from benchmarks.common import (  # noqa: E402
    DOCS,
    ROOT,
    child_env,
    log,
    machine_info,
    machine_markdown,
    write_section,
)

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python benchmarks/run.py", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="one repetition, sizes up to 10,000 layers (rough figures)")
    p.add_argument("--repeat", type=int, help="whole-process repetitions (default 7, quick 1)")
    p.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                   help="comma-separated layer counts for the scaling benchmark")
    p.add_argument("--only", choices=("vs-tf", "scaling", "incremental", "zoo", "extras"),
                   action="append",
                   help="run only these parts (repeatable); default: all")
    p.add_argument("--no-tf", action="store_true", help="skip the tf_slim route")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="update docs/performance.md (default: yes, except with --quick)")
    p.add_argument("--docs", type=Path, default=DOCS, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run_core(args: argparse.Namespace) -> str:
    """Run the selected core benchmarks; return their markdown (with the machine line)."""
    parts = set(args.only or ("vs-tf", "scaling", "incremental", "zoo", "extras"))
    repeat = args.repeat or (1 if args.quick else 7)
    info = machine_info()
    sections = [machine_markdown(info)]
    if "vs-tf" in parts:
        r = core.bench_check_vs_tf(repeat=repeat, tf_repeat=1 if args.quick else min(repeat, 5),
                                   with_tf=not args.no_tf)
        sections.append(core.check_vs_tf_markdown(r))
    if "scaling" in parts:
        sizes = args.sizes or ((100, 1_000, 10_000) if args.quick else core.DEFAULT_SIZES)
        r = core.bench_scaling(sizes, repeat=3 if args.quick else 5,
                               process_repeat=1 if args.quick else 5)
        sections.append(core.scaling_markdown(r))
    if "incremental" in parts:
        r = core.bench_incremental(edits=20 if args.quick else 100, repeat=1 if args.quick else 5)
        sections.append(core.incremental_markdown(r))
    if "zoo" in parts:
        r = core.bench_zoo(repeat=repeat)
        sections.append(core.zoo_markdown(r))
    return "\n\n".join(sections)


def extra_scripts() -> list[Path]:
    """``benchmarks/bench_*.py`` files that define a top-level ``main`` function."""
    found = []
    for path in sorted(HERE.glob("bench_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body):
            found.append(path)
    return found


def run_extras(quick: bool) -> int:
    """Run each extra benchmark's ``main()`` in a fresh process; return the worst exit code."""
    worst = 0
    env = child_env()
    if quick:
        env["SLIMDSL_BENCH_QUICK"] = "1"
    for path in extra_scripts():
        module = f"benchmarks.{path.stem}"
        log(f"extra: {module}.main()")
        code = subprocess.call(
            [sys.executable, "-c",
             f"import sys, importlib; sys.exit(importlib.import_module({module!r}).main())"],
            cwd=ROOT, env=env)
        if code:
            log(f"extra: {module} exited {code}")
        worst = max(worst, code)
    return worst


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    write = (not args.quick) if args.write is None else args.write
    os.chdir(ROOT)
    parts = set(args.only or ("vs-tf", "scaling", "incremental", "zoo", "extras"))
    if parts - {"extras"}:
        markdown = run_core(args)
        print(markdown)
        if write:
            write_section(markdown, args.docs)
            log(f"wrote the core sections of {args.docs}")
    code = 0
    if "extras" in parts and (write or args.only):
        code = run_extras(args.quick)
    return code


if __name__ == "__main__":
    sys.exit(main())
