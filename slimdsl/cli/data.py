"""``slimc data digits OUT_DIR``: build a small real data set in TF-Slim's format.

scikit-learn's bundled 8x8 digits, upscaled (nothing is downloaded): TFRecord files for
training and a held-out validation split, and ``labels.txt``. Every file is written atomically.
"""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_OK, EXIT_USAGE, positive

HELP = "build a small data set in TF-Slim's TFRecord format (digits, from scikit-learn)"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("data", help=HELP, description=HELP)
    p.add_argument("name", choices=("digits",), help="the data set")
    p.add_argument("out_dir", metavar="OUT_DIR", help="where the files go (created)")
    p.add_argument("--size", type=positive, default=28, metavar="N",
                   help="image side in pixels (default 28, LeNet's input)")
    p.add_argument("--validation", type=float, default=0.2, metavar="F",
                   help="held-out fraction (default 0.2)")
    p.add_argument("--shards", type=positive, default=2, metavar="N",
                   help="training files (default 2)")
    p.add_argument("--seed", type=int, default=0, help="the split and the order")
    return p


def run(args: argparse.Namespace) -> int:
    from ..backends.tensorflow import run as br
    from ..backends.tensorflow.train.digits import build_digits

    try:
        tf = br.import_tensorflow()
        report = build_digits(tf, args.out_dir, size=args.size, validation=args.validation,
                              shards=args.shards, seed=args.seed)
    except (ImportError, ValueError, OSError) as exc:
        print(f"slimc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"digits: {report.train_examples} training and {report.validation_examples} "
          f"validation images, {report.size}x{report.size}x1, 10 classes, in {args.out_dir}")
    for path in report.train_files + report.validation_files:
        print(f"  {path}")
    return EXIT_OK
