"""Symbolic shapes (issue 14): checking ~1,000-layer models whose input is ``[?, H, W, C]``.

    python benchmarks/bench_symbolic.py            # best of 7, writes docs/performance.md
    python benchmarks/bench_symbolic.py --no-write # print only

In-process ``check_source`` (parse, lower with symbolic shapes, account, solve the size
constraints) of generated models, cold (the symbolic caches cleared first) and warm (the same
text again, as an editor re-checking a file), next to the same model with concrete sizes. The
acceptance asks for under 0.5 s for a 1,000-layer symbolic model. Writes the "Symbolic shapes"
section of docs/performance.md between its own markers.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/bench_symbolic.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    DOCS,
    log,
    machine_info,
    machine_markdown,
    ms,
    table,
    write_own_section,
)
from benchmarks.generate import generate  # noqa: E402
from slimdsl.api import check_source  # noqa: E402
from slimdsl.symbolic import clear_caches  # noqa: E402

START = "<!-- symbolic-bench:start -->"
END = "<!-- symbolic-bench:end -->"


def unet(units: int, levels: int = 4, convs: int = 4, shape: str = "[?, H, W, 8]") -> str:
    """``units`` U-Nets in a row: per level ``convs`` SAME convolutions, a 2x2 max pool (VALID);
    back up with a stride-2 transposed convolution, a skip concat and ``convs`` convolutions.
    Valid sizes: multiples of ``2**levels``. ``units * levels * (2 * convs + 3)`` layers."""
    lines = ["model unet {", f"  input images: {shape}", "  net = images"]
    for u in range(units):
        for lv in range(levels):
            lines += ["  net = conv2d(net, 8, 3)" for _ in range(convs)]
            lines += [f"  s{u}_{lv} = net", "  net = max_pool2d(net, 2)"]
        for lv in reversed(range(levels)):
            lines += ["  net = conv2d_transpose(net, 8, 3, stride=2)",
                      f"  net = concat([net, s{u}_{lv}], axis=3)"]
            lines += ["  net = conv2d(net, 8, 3)" for _ in range(convs)]
    return "\n".join(lines + ["  output y = net", "}", ""])


def residual(layers: int) -> str:
    """The scaling benchmark's structured model (repeats, residual adds) on ``[?, H, W, 3]``."""
    return generate(layers).replace("input images: [?, 32, 32, 3]", "input images: [?, H, W, 3]")


def best(text: str, repeat: int, cold: bool) -> tuple[float, int, int]:
    """Best wall time of ``check_source(text)``; (seconds, nodes, diagnostics)."""
    times = []
    result = None
    for _ in range(repeat):
        if cold:
            clear_caches()
        t0 = time.perf_counter()
        result = check_source(text, "bench.slim")
        times.append(time.perf_counter() - t0)
    assert result is not None and result.ok, [d.message for d in result.diagnostics][:3]
    return min(times), len(result.graphs[0].nodes), len(result.diagnostics)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=1 if os.environ.get("SLIMDSL_BENCH_QUICK")
                   else 7)
    p.add_argument("--units", type=int, default=23, help="U-Nets in a row (23: 1,012 layers)")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=True)
    args = p.parse_args(argv)
    models = {
        "unet (symbolic H, W)": unet(args.units),
        "unet (concrete 512x512)": unet(args.units, shape="[?, 512, 512, 8]"),
        "residual (symbolic H, W)": residual(args.units * 44),
        "residual (concrete 32x32)": generate(args.units * 44),
    }
    rows = []
    for name, text in models.items():
        log(f"symbolic: {name}")
        cold, nodes, found = best(text, args.repeat, cold=True)
        warm, _, _ = best(text, args.repeat, cold=False)
        rows.append([name, f"{nodes:,}", str(found), ms(cold), ms(warm)])
    report = (f"{machine_markdown(machine_info())}\n\nIn-process `check_source` (parse, lower, "
              f"account, solve the sizes), best of {args.repeat}; cold = symbolic caches "
              f"cleared first. Diagnostics: the `some-sizes` warnings of the U-Nets "
              f"(H, W = 16k).\n\n"
              + table(["model", "layers", "diagnostics", "cold", "warm"], rows))
    print(report)
    if args.write:
        write_own_section(f"## Symbolic shapes\n\n{report}", START, END, DOCS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
