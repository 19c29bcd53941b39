"""The language-server benchmark as paired, interleaved A/B rounds: a base checkout against this
one, on a machine whose load changes from minute to minute.

    git archive main | tar -x -C /tmp/base      # a checkout of the base, outside the repo
    python benchmarks/lsp_ab.py --base /tmp/base --rounds 3 --edits 100 --only flat

Each round runs ``benchmarks/bench_lsp.py --no-write`` of both trees, one after the other (the
order alternates from round to round), with this interpreter (the same dependencies); each
tree's server imports its own ``slimdsl`` (``bench_lsp`` puts its tree first on the path).
Prints each round's figures and, per column, both medians and the median of the per-round
ratios (this tree / base) with their range. Nothing is written.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["open", "diagnostics p50", "diagnostics p95", "+ hints p50", "+ hints p95", "max",
           "server CPU p50", "server CPU p95"]


def run(tree: Path, only: str, edits: int) -> dict[str, float]:
    """One run of a tree's benchmark: the row of its table, in ms."""
    out = subprocess.run([sys.executable, str(tree / "benchmarks" / "bench_lsp.py"), "--only",
                          only, "--edits", str(edits), "--no-write"], cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    row = next(line for line in out.splitlines()
               if line.startswith(("| flat", "| inception")))
    cells = [c.strip() for c in row.strip("|").split("|")][3:3 + len(COLUMNS)]
    return {k: float(c.split()[0].replace(",", "")) for k, c in zip(COLUMNS, cells)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/lsp_ab.py",
                                description=__doc__.split("\n")[0])
    p.add_argument("--base", type=Path, required=True, help="a checkout of the base commit")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--edits", type=int, default=100)
    p.add_argument("--only", choices=("inception", "flat", "flat-lines"), default="flat")
    args = p.parse_args(argv)
    trees = {"base": args.base.resolve(), "this": ROOT}
    results: dict[str, list[dict[str, float]]] = {"base": [], "this": []}
    for r in range(args.rounds):
        load = os.getloadavg()[0]
        for name in (("base", "this") if r % 2 == 0 else ("this", "base")):
            results[name].append(run(trees[name], args.only, args.edits))
        a, b = results["base"][-1], results["this"][-1]
        print(f"round {r + 1} (load {load:.1f}): + hints p95 base {a['+ hints p95']:.1f} ms, "
              f"this {b['+ hints p95']:.1f} ms; server CPU p95 base "
              f"{a['server CPU p95']:.1f} ms, this {b['server CPU p95']:.1f} ms", flush=True)
    for key in COLUMNS[1:]:
        base = [x[key] for x in results["base"]]
        this = [x[key] for x in results["this"]]
        ratios = sorted(t / b for b, t in zip(base, this))
        print(f"{key}: base {statistics.median(base):.1f} ms, this "
              f"{statistics.median(this):.1f} ms, ratio {statistics.median(ratios):.2f} "
              f"({ratios[0]:.2f}-{ratios[-1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
