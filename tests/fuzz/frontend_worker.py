"""One worker of the large front-end run: ``python frontend_worker.py --inputs N --seed S``.

Feeds inputs ``S * 10**7 + i`` (``fuzz_text.generate_weighted``) to the Python API in this
process and prints one JSON line of figures (``fuzz_text.run_inputs``). No TensorFlow here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--replay", type=int, help="write input SEED to FOLDER/fuzz.slim")
    parser.add_argument("--folder", default=".", help="where --replay writes (with models)")
    args = parser.parse_args(argv)
    import fuzz_text
    if args.replay is not None:
        how, _ = fuzz_text.replay(args.replay, args.folder)
        print(f"{args.folder}/fuzz.slim: input {args.replay} ({how})")
        return 0
    base = args.seed * 10**7
    stats = fuzz_text.run_inputs(range(base, base + args.inputs), args.limit)
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
