"""``slimc eval FILE --data 'validation-*.tfrecord' --checkpoint-path DIR_OR_FILE``: accuracy,
top-5 and loss of a checkpoint (eval_image_classifier.py). Text output reads ``accuracy
0.973``; ``--format json`` gives the same as an object. Exit codes: 0 evaluated, 1 the spec has
errors, 2 bad options, data, devices or checkpoints.
"""

from __future__ import annotations

import argparse
import json
import sys

from .common import EXIT_OK, EXIT_USAGE, load_model, positive
from .train import add_model_options, usage_errors

HELP = "accuracy, top-5 and loss of a checkpoint on TFRecords in TF-Slim's format"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("eval", help=HELP, description=HELP)
    add_model_options(p)
    p.add_argument("--checkpoint-path", required=True, metavar="PATH",
                   help="a checkpoint prefix, or a directory (its latest checkpoint)")
    p.add_argument("--batch-size", type=positive, default=100, metavar="N")
    p.add_argument("--max-batches", type=positive, metavar="N",
                   help="evaluate only the first N batches")
    p.add_argument("--moving-average", action="store_true",
                   help="evaluate the moving averages of the weights (trained with "
                        "--moving-average-decay)")
    p.add_argument("--device", help="cpu, gpu, gpu:1 (default: the first GPU, else the CPU)")
    return p


def run(args: argparse.Namespace) -> int:
    loaded = load_model(args, start_runtime=True)
    if isinstance(loaded, int):
        return loaded
    tf, graph, module, class_name = loaded
    cls = getattr(module, class_name)
    from ..backends.tensorflow import run as br
    from ..backends.tensorflow.train.evaluator import EvalOptions, evaluate

    opts = EvalOptions(args.data, args.checkpoint_path, args.batch_size, args.preprocessing,
                       args.labels_offset, args.moving_average, args.max_batches, args.device)
    try:
        device = br.resolve_device(tf, args.device)
        report = evaluate(tf, graph, cls, opts, device, progress=sys.stderr)
    except (br.DeviceError, *usage_errors()) as exc:
        print(f"slimc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2))
        return EXIT_OK
    step = f" (step {report.global_step})" if report.global_step is not None else ""
    print(f"{report.model}, checkpoint {report.checkpoint}{step}, {report.examples:,} "
          f"examples")
    print(f"accuracy {report.accuracy:.3f}")
    print(f"top-5 {report.top5:.3f}")
    print(f"loss {report.loss:.4f}")
    return EXIT_OK
