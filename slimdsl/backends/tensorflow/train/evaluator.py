"""``slimc eval``: accuracy, top-5 and loss of a checkpoint on TF-Slim-format data.

As eval_image_classifier.py: the model runs in inference mode (batch norm on its moving
statistics, no dropout) on every record once, in order, preprocessed for evaluation at the
model's declared input size. ``--moving-average`` evaluates the moving averages of the weights
(``<variable>/ExponentialMovingAverage``) instead of the weights, as TF-Slim's
``--moving_average_decay`` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TextIO

from ....ir import Graph
from .checkpoints import CheckpointError, open_reader, resolve
from .data import InputSpec, check_spec, epoch_dataset, first_record_check, list_files, locate_error
from .preprocessing import default_for
from .progress import format_duration
from .step import make_eval_step
from .trainer import model_io


@dataclass
class EvalOptions:
    """``slimc eval``'s options."""

    data: str
    checkpoint_path: str
    batch_size: int = 100
    preprocessing: str | None = None
    labels_offset: int = 0
    moving_average: bool = False
    max_batches: int | None = None
    device: str | None = None


@dataclass
class EvalReport:
    """The metrics of one evaluation."""

    model: str
    checkpoint: str
    global_step: int | None
    examples: int
    accuracy: float
    top5: float
    loss: float
    seconds: float
    files: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"model": self.model, "checkpoint": self.checkpoint,
                "global_step": self.global_step, "examples": self.examples,
                "accuracy": self.accuracy, "top5": self.top5, "loss": self.loss,
                "seconds": round(self.seconds, 3), "files": self.files}


def evaluate(tf: Any, graph: Graph, cls: Any, opts: EvalOptions, device: str,
             progress: TextIO | None = None) -> EvalReport:
    """Restore ``opts.checkpoint_path`` into a new model on ``device`` and measure it."""
    io = model_io(graph)
    spec = InputSpec(tuple(list_files(opts.data)), io.height, io.width, io.channels,
                     io.num_classes, opts.preprocessing or default_for(graph.name),
                     opts.batch_size, labels_offset=opts.labels_offset)
    check_spec(spec)
    prefix = resolve(opts.checkpoint_path)
    reader = open_reader(tf, prefix)
    first_record_check(tf, spec)
    model = cls(device=device)
    try:
        model.load_slim_checkpoint(prefix, strict=True)
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None
    if opts.moving_average:
        _load_averages(tf, model, reader, prefix)
    shapes = reader.get_variable_to_shape_map()
    step = int(reader.get_tensor("global_step")) if "global_step" in shapes else None
    eval_step = make_eval_step(tf, model, io.logits_index, io.num_classes)
    totals = [0.0, 0.0, 0.0, 0.0]
    began = last = time.monotonic()
    try:
        with tf.device(device):
            for i, (images, labels) in enumerate(epoch_dataset(tf, spec)):
                if opts.max_batches is not None and i >= opts.max_batches:
                    break
                totals = [a + float(b) for a, b in zip(totals, eval_step(images, labels))]
                if progress is not None and time.monotonic() - last > 10.0:
                    last = time.monotonic()
                    progress.write(f"eval: {int(totals[3])} examples, accuracy "
                                   f"{totals[1] / totals[3]:.3f}, "
                                   f"{format_duration(last - began)}\n")
                    progress.flush()
    except tf.errors.OpError as exc:
        raise locate_error(tf, spec, exc) from None
    count = totals[3]
    if count == 0:
        raise CheckpointError(f"no examples in {', '.join(spec.files)}")
    return EvalReport(graph.name, prefix, step, int(count), totals[1] / count,
                      totals[2] / count, totals[0] / count, time.monotonic() - began,
                      list(spec.files))


def _load_averages(tf: Any, model: Any, reader: Any, prefix: str) -> None:
    shapes = reader.get_variable_to_shape_map()
    names = {v.name[: v.name.rindex(":")]: v for v in model.variables}
    missing = sorted(n for n in names if f"{n}/ExponentialMovingAverage" not in shapes)
    if missing:
        raise CheckpointError(
            f"{prefix} has no moving averages of {len(missing)} variables ({missing[0]}...): "
            f"train with --moving-average-decay, or evaluate without --moving-average")
    for name, var in names.items():
        var.assign(reader.get_tensor(f"{name}/ExponentialMovingAverage"))
