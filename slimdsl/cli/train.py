"""``slimc train FILE --data 'train-*.tfrecord' --train-dir DIR --steps N``: train a model on
TF-Slim's dataset format, resumably, on one device, several (``--strategy mirrored``) or
several machines (``--strategy multi-worker``). The options are train_image_classifier.py's
flags with dashes. Exit codes: 0 trained, 1 the spec has errors, 2 bad options, data, devices
or checkpoints (nothing half-written is left).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from .common import EXIT_OK, EXIT_USAGE, add_define_option, load_model, positive

HELP = "train a model on TFRecords in TF-Slim's format (resumable, tf.distribute)"


def fraction(text: str) -> float:
    """An argparse type: a number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {value}")
    return value


def save_interval(text: str) -> tuple[str, float]:
    """``500`` (steps), ``2m`` / ``90s`` / ``1h`` (time) -> ("steps", 500) / ("minutes", 2)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*(s|m|min|h)?\s*", text)
    if not m or float(m.group(1)) <= 0 or (m.group(2) is None and "." in m.group(1)):
        raise argparse.ArgumentTypeError(
            f"expected steps (500) or a time (90s, 2m, 1h), got {text!r}")
    value, unit = float(m.group(1)), m.group(2)
    if unit is None:
        return "steps", int(value)
    return "minutes", value * {"s": 1 / 60, "m": 1.0, "min": 1.0, "h": 60.0}[unit]


def add_model_options(p: argparse.ArgumentParser) -> None:
    """FILE, --model, -D, --data, --preprocessing, --labels-offset: train and eval alike."""
    from ..backends.tensorflow.train.preprocessing import PREPROCESSING

    p.add_argument("path", metavar="FILE", help="a .slim file")
    p.add_argument("--model", help="the model to use (default: the file's first)")
    p.add_argument("--data", required=True, metavar="PATTERN",
                   help="TFRecord files in TF-Slim's format (a glob; comma-separate several)")
    p.add_argument("--preprocessing", choices=list(PREPROCESSING),
                   help="TF-Slim's preprocessing by name (default: the one TF-Slim's factory "
                        "uses for the model's name, else resize)")
    p.add_argument("--labels-offset", type=int, default=0, metavar="N",
                   help="subtracted from every label (1 for ImageNet's 1001 classes)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="the final report's format")
    add_define_option(p)


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from ..backends.tensorflow.train.distribute import STRATEGIES
    from ..backends.tensorflow.train.optimizers import DECAY_TYPES, DEFAULTS, OPTIMIZERS

    p = sub.add_parser("train", help=HELP, description=HELP)
    add_model_options(p)
    p.add_argument("--train-dir", required=True, metavar="DIR",
                   help="checkpoints and TensorBoard summaries; a run resumes from it")
    p.add_argument("--steps", type=positive, required=True, metavar="N",
                   help="train until global_step reaches N (TF-Slim's max_number_of_steps)")
    p.add_argument("--batch-size", type=positive, default=32, metavar="N",
                   help="global batch size, split over all replicas (default 32)")
    g = p.add_argument_group("optimization (train_image_classifier.py's flags)")
    g.add_argument("--optimizer", choices=list(OPTIMIZERS), default="rmsprop")
    g.add_argument("--learning-rate", type=float, default=0.01, metavar="LR")
    g.add_argument("--learning-rate-decay-type", choices=DECAY_TYPES, default="exponential")
    g.add_argument("--learning-rate-decay-factor", type=float, default=0.94, metavar="F")
    g.add_argument("--num-epochs-per-decay", type=float, default=2.0, metavar="E")
    g.add_argument("--end-learning-rate", type=float, default=0.0001, metavar="LR")
    g.add_argument("--num-samples", type=positive, metavar="N",
                   help="examples per epoch, for the decay (default: counted in --data)")
    for key, value in DEFAULTS.items():
        g.add_argument("--" + key.replace("_", "-"), type=float, default=value, dest=key,
                       metavar="X")
    g.add_argument("--label-smoothing", type=fraction, default=0.0, metavar="X")
    g.add_argument("--moving-average-decay", type=fraction, metavar="D",
                   help="keep moving averages of the model's variables (e.g. 0.9999)")
    g = p.add_argument_group("data")
    g.add_argument("--shuffle-buffer", type=positive, default=2048, metavar="N")
    g.add_argument("--seed", type=int, default=0, help="data order, augmentation, init")
    g.add_argument("--deterministic", action="store_true",
                   help="deterministic kernels too (tf.config.experimental."
                        "enable_op_determinism): bit-identical reruns, somewhat slower")
    g = p.add_argument_group("checkpoints and summaries")
    g.add_argument("--save-every", type=save_interval, action="append", metavar="N|TIME",
                   help="checkpoint every N steps and/or every TIME (90s, 2m); may be given "
                        "twice (default: 1m)")
    g.add_argument("--keep", type=positive, default=5, metavar="N",
                   help="checkpoints kept (default 5)")
    g.add_argument("--summary-every", type=int, default=100, metavar="N",
                   help="TensorBoard scalars every N steps (0: none; default 100)")
    g.add_argument("--histograms", action="store_true", help="variable histograms too")
    g.add_argument("--checkpoint-path", metavar="PATH",
                   help="initialize from this TF-Slim checkpoint (a file prefix or a "
                        "directory) when --train-dir has none")
    g.add_argument("--exclude-scopes", default="", metavar="S1,S2",
                   help="variables not restored from --checkpoint-path")
    g.add_argument("--trainable-scopes", default="", metavar="S1,S2",
                   help="train only these variables (default: all trainable)")
    g.add_argument("--ignore-missing-vars", action="store_true",
                   help="leave variables missing from --checkpoint-path as initialized")
    g = p.add_argument_group("devices (see docs/training.md)")
    g.add_argument("--strategy", choices=STRATEGIES, default="default")
    g.add_argument("--device", metavar="DEV[,DEV]",
                   help="cpu, gpu:1, or a list for mirrored: cpu:0,cpu:1 (splits the CPU)")
    g.add_argument("--sync-batch-norm", action="store_true",
                   help="batch statistics over every replica's examples")
    return p


def options(args: argparse.Namespace) -> Any:
    """The :class:`TrainOptions` of parsed arguments."""
    from ..backends.tensorflow.train.optimizers import DEFAULTS
    from ..backends.tensorflow.train.trainer import TrainOptions

    save = dict(args.save_every or [("minutes", 1.0)])
    return TrainOptions(
        data=args.data, train_dir=args.train_dir, steps=args.steps, batch_size=args.batch_size,
        preprocessing=args.preprocessing, optimizer=args.optimizer,
        optimizer_params={k: getattr(args, k) for k in DEFAULTS},
        learning_rate=args.learning_rate, decay=args.learning_rate_decay_type,
        decay_factor=args.learning_rate_decay_factor,
        epochs_per_decay=args.num_epochs_per_decay, end_learning_rate=args.end_learning_rate,
        num_samples=args.num_samples, label_smoothing=args.label_smoothing,
        moving_average_decay=args.moving_average_decay, labels_offset=args.labels_offset,
        shuffle_buffer=args.shuffle_buffer, seed=args.seed, deterministic=args.deterministic,
        save_steps=int(save["steps"]) if "steps" in save else None,
        save_minutes=save.get("minutes"), keep=args.keep, summary_every=args.summary_every,
        histograms=args.histograms, checkpoint_path=args.checkpoint_path,
        exclude_scopes=_scopes(args.exclude_scopes),
        trainable_scopes=_scopes(args.trainable_scopes),
        ignore_missing_vars=args.ignore_missing_vars, strategy=args.strategy,
        device=args.device, sync_batch_norm=args.sync_batch_norm)


def _scopes(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


def usage_errors() -> tuple[type, ...]:
    """The exceptions that mean bad input (exit 2), not a bug."""
    from ..backends.tensorflow.train.checkpoints import CheckpointError
    from ..backends.tensorflow.train.data import DataError
    from ..backends.tensorflow.train.distribute import DeviceError
    from ..backends.tensorflow.train.trainer import TrainError

    return DataError, CheckpointError, DeviceError, TrainError, OSError


def run(args: argparse.Namespace) -> int:
    loaded = load_model(args, start_runtime=False)
    if isinstance(loaded, int):
        return loaded
    tf, graph, module, class_name = loaded
    cls = getattr(module, class_name)
    from ..backends.tensorflow.run import captured_stderr
    from ..backends.tensorflow.train.trainer import Trainer

    try:
        trainer = Trainer(tf, graph, cls, options(args), progress=sys.stderr)
        with captured_stderr():  # the runtime's start-up chatter (GPU probing)
            trainer.prepare()
        report = trainer.run()
    except usage_errors() as exc:
        print(f"slimc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _print(report, args.format)
    return EXIT_OK


def _print(report: Any, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps({
            "model": report.model, "start_step": report.start_step, "step": report.step,
            "seconds": round(report.seconds, 3),
            "examples_per_second": round(report.steady_examples_per_second, 1),
            "examples_per_second_overall": round(report.examples_per_second, 1),
            "loss": report.loss, "accuracy": report.accuracy, "checkpoint": report.checkpoint,
            "strategy": report.strategy, "devices": report.devices,
            "replicas": report.replicas}, indent=2))
        return
    if report.step == report.start_step:
        print(f"{report.model}: already trained to step {report.step} "
              f"({report.checkpoint}); raise --steps to train further")
        return
    print(f"{report.model}: trained from step {report.start_step} to {report.step} in "
          f"{report.seconds:.1f} s on {', '.join(report.devices)} ({report.strategy}, "
          f"{report.replicas} replica{'s' if report.replicas > 1 else ''})")
    print(f"  loss {report.loss:.4f}, accuracy {report.accuracy:.3f} (last batch), "
          f"{report.steady_examples_per_second:,.0f} examples/s after the first step "
          f"({report.examples_per_second:,.0f} overall)")
    if report.checkpoint:
        print(f"  checkpoint {report.checkpoint}")
