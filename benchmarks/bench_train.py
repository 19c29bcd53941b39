"""slimc train's throughput against a hand-written tf.function training step, same machine.

    python benchmarks/bench_train.py            # full run (a few minutes on 2 cores)
    python benchmarks/bench_train.py --quick    # few steps: a smoke pass
    python benchmarks/bench_train.py --no-write # print, leave docs/performance.md alone

LeNet (models/lenet.slim) on the digits (``slimc data digits``, built in a temporary folder),
batch 32, momentum, one CPU device. Both routes use the same generated model class and the same
input pipeline (``data.training_dataset``: parallel reads and decoding,
shuffle, prefetch):

- **slimc train**: the Trainer of ``slimc train`` (OneDeviceStrategy, the TF1 momentum kernel,
  batch-norm / regularization / accuracy sums, the save vote, progress bookkeeping), its
  examples/s after the first step, checkpoints only at the end;
- **hand-written**: the loop a person would write: ``for images, labels in dataset:
  step(images, labels)`` with a ``@tf.function`` step (GradientTape, sparse softmax
  cross-entropy + regularization, ``ResourceApplyMomentum`` per variable), timed after a
  warm-up step.

Rounds alternate between the routes so that load on the shared machine hits both alike; the
medians are compared. Writes the "Training" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/bench_train.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    DOCS,
    ROOT,
    log,
    machine_info,
    machine_markdown,
    table,
    write_section,
)

START = "<!-- train-bench:start -->"
END = "<!-- train-bench:end -->"
BATCH = 32
MODEL = ROOT / "models" / "lenet.slim"


def _model_class(tf):
    """The generated LeNet class (compiled in memory, as slimc train does)."""
    from slimdsl.api import compile_file
    from slimdsl.backends.tensorflow.codegen import class_names, generate
    from slimdsl.backends.tensorflow.run import load_module

    graph = compile_file(str(MODEL))
    module = load_module(generate(graph, str(MODEL)), graph.name)
    return graph, getattr(module, class_names([graph])[0])


def run_slimc(tf, graph, cls, data: str, steps: int, folder: str) -> float:
    """examples/s of slimc train's loop after its first step."""
    from slimdsl.backends.tensorflow.train.trainer import Trainer, TrainOptions

    opts = TrainOptions(data, tempfile.mkdtemp(dir=folder), steps + 1, BATCH,
                        optimizer="momentum", decay="fixed", summary_every=0,
                        save_minutes=None, device="cpu")
    return Trainer(tf, graph, cls, opts).run().steady_examples_per_second


def run_hand_written(tf, cls, data: str, steps: int) -> float:
    """examples/s of a plain tf.function training loop on the same model and pipeline."""
    from slimdsl.backends.tensorflow.train.data import InputSpec, list_files, training_dataset

    spec = InputSpec(tuple(list_files(data)), 28, 28, 1, 10, "lenet", BATCH)
    with tf.device("/device:CPU:0"):
        model = cls()
        variables = model.trainable_variables
        accums = [tf.Variable(tf.zeros_like(v)) for v in variables]

    @tf.function
    def step(images, labels):
        with tf.GradientTape() as tape:
            logits, _ = model(images, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
            regs = model.regularization_losses()
            if regs:
                loss += tf.add_n(regs)
        grads = tape.gradient(loss, variables)
        for var, grad, accum in zip(variables, grads, accums):
            tf.raw_ops.ResourceApplyMomentum(var=var.handle, accum=accum.handle, lr=0.01,
                                             grad=grad, momentum=0.9)
        return loss

    batches = iter(training_dataset(tf, spec))
    images, labels, _ = next(batches)
    step(images, labels).numpy()  # trace
    start = time.perf_counter()
    for _ in range(steps):
        images, labels, _ = next(batches)
        loss = step(images, labels)
    loss.numpy()
    return steps * BATCH / (time.perf_counter() - start)


def markdown(rows: list[tuple[float, float]], info: dict, steps: int) -> str:
    slimc = statistics.median(r[0] for r in rows)
    hand = statistics.median(r[1] for r in rows)
    lines = ["## Training: slimc train against a hand-written step", "",
             machine_markdown(info), "",
             f"LeNet on the digits (`slimc data digits`), batch {BATCH}, momentum, one CPU "
             f"device, {steps} steps per round after a warm-up step, {len(rows)} rounds "
             f"alternating between the routes; `benchmarks/bench_train.py` says what each "
             f"route runs.", "",
             table(["route", "examples/s (median)", "rounds"],
                   [["slimc train", f"{slimc:,.0f}", ", ".join(f"{r[0]:,.0f}" for r in rows)],
                    ["hand-written tf.function step", f"{hand:,.0f}",
                     ", ".join(f"{r[1]:,.0f}" for r in rows)]]), "",
             f"slimc train runs at **{slimc / hand:.0%}** of the hand-written loop's rate "
             f"(target: within 10%, i.e. at least 90%: "
             f"**{'met' if slimc >= 0.9 * hand else 'not met'}**).", "",
             "Rounds alternate between the routes, but on a shared machine a single round can "
             "swing by a\nfactor of two either way: compare the medians, and re-measure on an "
             "idle machine."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/bench_train.py",
                                description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", default=bool(
        os.environ.get("SLIMDSL_BENCH_QUICK")), help="few steps, one round (rough figures)")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="update docs/performance.md (default: yes, except with --quick)")
    args = p.parse_args(argv)
    write = (not args.quick) if args.write is None else args.write
    info = machine_info()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from slimdsl.backends.tensorflow.run import import_tensorflow
    from slimdsl.backends.tensorflow.train.digits import build_digits

    tf = import_tensorflow()
    steps, rounds = (10, 1) if args.quick else (200, 5)
    with tempfile.TemporaryDirectory() as folder:
        build_digits(tf, folder)
        data = os.path.join(folder, "digits_train-*")
        graph, cls = _model_class(tf)
        rows = []
        for i in range(rounds):
            slimc = run_slimc(tf, graph, cls, data, steps, folder)
            hand = run_hand_written(tf, cls, data, steps)
            log(f"train: round {i + 1}/{rounds}: slimc train {slimc:,.0f}, hand-written "
                f"{hand:,.0f} examples/s")
            rows.append((slimc, hand))
    text = markdown(rows, info, steps)
    print(text)
    if write:
        current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else None
        if current is not None and START not in current:  # append ours after the others
            DOCS.write_text(current.rstrip("\n") + f"\n\n{START}\n{END}\n", encoding="utf-8")
        write_section(text, DOCS, START, END)
        log(f"train: wrote the Training section of {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
