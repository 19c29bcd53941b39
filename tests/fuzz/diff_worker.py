"""One worker of the large differential run: ``python diff_worker.py --cases N --seed S``.

Runs N seeded random networks (``fuzz_nets.random_network(S * 10**6 + i)``) through slimdsl and
the TensorFlow oracle in this process, in TF1 mode with cheap variable storage (see
``fuzz_oracle``), and prints one JSON line: the counts, the layer kinds exercised, the time, and
the report of every mismatch (its seed, .slim text and problems). The slow test runs two workers
in parallel (the machine has two cores); a failing seed is replayed with ``--replay SEED``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--replay", type=int, default=None, help="run one network seed")
    args = parser.parse_args(argv)

    import tensorflow as tf
    from oracles.tf_slim import apply_shim

    tf.compat.v1.disable_v2_behavior()  # cheaper graphs; this process stays in TF1 mode
    apply_shim()
    import fuzz_nets
    import fuzz_oracle
    import tf_slim as slim
    fuzz_oracle.speed_up_keras_layers()

    diff = fuzz_oracle.Differential(tf, slim, per_graph=40, cheap_variables=True)
    seeds = [args.replay] if args.replay is not None else \
        [args.seed * 10**6 + i for i in range(args.cases)]
    kinds: Counter[str] = Counter()
    reports = []
    start = time.perf_counter()
    for seed in seeds:
        net = fuzz_nets.random_network(seed)
        before = diff.counts["accept"]
        report = diff.run(net)
        if report:
            reports.append(f"seed {seed}\n{report}")
        if diff.counts["accept"] > before:
            kinds.update(k for k, _, _ in diff.last_built.layers)
    elapsed = time.perf_counter() - start
    print(json.dumps({"cases": diff.cases, **diff.counts, "layers": diff.layers,
                      "kinds": dict(sorted(kinds.items())), "seconds": round(elapsed, 1),
                      "reports": reports[:20]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
