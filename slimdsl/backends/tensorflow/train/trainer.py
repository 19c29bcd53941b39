"""``slimc train``: train a generated model on TF-Slim's dataset format, resumably.

:class:`Trainer` builds the strategy (:mod:`.distribute`), the model, ``global_step``, the
optimizer's slots and the moving averages under the strategy's scope, restores the newest
checkpoint of ``--train-dir`` (or initializes from ``--checkpoint-path``), then runs steps
(:mod:`.step`) over epochs of the input pipeline (:mod:`.data`) until ``global_step`` reaches
``--steps``, writing checkpoints (:mod:`.checkpoints`) and TensorBoard summaries as it goes.

Resuming is exact: a checkpoint holds every variable the run changes (weights, batch-norm
statistics, optimizer slots, moving averages, ``global_step``) and the data position (epoch and
batches done in it), and the pipeline's order depends only on ``--seed`` and the epoch. Random
ops inside the model (dropout) are reseeded from ``--seed`` and the step whenever a checkpoint
is written, by tracing the step function anew, so with checkpoints at fixed steps
(``--save-every N``) a resumed run replays exactly what an uninterrupted one computes.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from ....ir import Graph
from . import summaries
from .checkpoints import CheckpointDir, CheckpointError, open_reader, resolve, restore
from .data import (
    DataError,
    InputSpec,
    count_records,
    epoch_seed,
    first_record_check,
    has_one_batch,
    list_files,
    locate_error,
    training_dataset,
)
from .distribute import Placement, make_placement
from .optimizers import OPTIMIZERS, MovingAverages, Schedule, decay_steps, make_optimizer
from .preprocessing import default_for
from .progress import Progress
from .step import StepParts, make_step

#: Names of slimc's own bookkeeping in a checkpoint (outside any model's scope).
POSITION_KEYS = ("slimc/epoch", "slimc/epoch_batches")
RUN_KEYS = ("slimc/batch_size", "slimc/seed")


class TrainError(Exception):
    """A training run that cannot start or go on: bad options, data, devices or checkpoints."""


@dataclass
class TrainOptions:
    """``slimc train``'s options (train_image_classifier.py's flags, by the same names)."""

    data: str
    train_dir: str
    steps: int
    batch_size: int = 32
    preprocessing: str | None = None
    optimizer: str = "rmsprop"
    optimizer_params: dict[str, float] = field(default_factory=dict)
    learning_rate: float = 0.01
    decay: str = "exponential"
    decay_factor: float = 0.94
    epochs_per_decay: float = 2.0
    end_learning_rate: float = 0.0001
    num_samples: int | None = None
    label_smoothing: float = 0.0
    moving_average_decay: float | None = None
    labels_offset: int = 0
    shuffle_buffer: int = 2048
    seed: int = 0
    deterministic: bool = False
    save_steps: int | None = None
    save_minutes: float | None = 1.0
    keep: int = 5
    summary_every: int = 100
    histograms: bool = False
    checkpoint_path: str | None = None
    exclude_scopes: tuple[str, ...] = ()
    trainable_scopes: tuple[str, ...] = ()
    ignore_missing_vars: bool = False
    strategy: str = "default"
    device: str | None = None
    sync_batch_norm: bool = False


@dataclass
class TrainReport:
    """What a run did."""

    model: str
    start_step: int
    step: int
    seconds: float
    examples_per_second: float
    loss: float | None
    accuracy: float | None
    checkpoint: str | None
    strategy: str
    devices: list[str]
    replicas: int
    notes: list[str] = field(default_factory=list)
    steady_examples_per_second: float = 0.0  # after the first step (tracing, first batches)


@dataclass(frozen=True)
class ModelIO:
    """The model's image input and logits, as the trainer and evaluator use them."""

    height: int
    width: int
    channels: int
    logits_index: int
    num_classes: int


def model_io(graph: Graph) -> ModelIO:
    """Check that ``graph`` is an image classifier the pipeline can feed (raises TrainError)."""
    if len(graph.inputs) != 1:
        raise TrainError(f"{graph.name} has {len(graph.inputs)} inputs; slimc train feeds "
                         f"models with one image input")
    port = graph.inputs[0]
    shape = port.tensor.shape
    if shape is None or len(shape) != 4 or any(d is None for d in shape[1:]):
        raise TrainError(f"{graph.name}'s input '{port.name}' is {_shape(shape)}; slimc train "
                         f"needs images [?, height, width, channels] of a declared size")
    if port.tensor.dtype not in ("float32", "float16", "bfloat16", "float64"):
        raise TrainError(f"{graph.name}'s input '{port.name}' is {port.tensor.dtype}; images "
                         f"are fed as floats")
    names = [p.name for p in graph.outputs]
    index = names.index("logits") if "logits" in names else 0
    out = graph.outputs[index].tensor.shape
    ok = out is not None and out[-1] is not None and (
        len(out) == 2 or len(out) == 4 and tuple(out[1:3]) == (1, 1))
    if not ok:
        raise TrainError(f"{graph.name}'s output '{names[index]}' is {_shape(out)}; slimc "
                         f"train needs logits [batch, classes] (or [batch, 1, 1, classes])")
    return ModelIO(shape[1], shape[2], shape[3], index, out[-1])


def _shape(shape: Any) -> str:
    from ....layers.shapes import format_shape
    return format_shape(shape)


def matches(name: str, scopes: tuple[str, ...]) -> bool:
    """Whether a variable name falls under one of ``scopes`` (TF-Slim's prefix match)."""
    return any(name.startswith(s.strip()) for s in scopes if s.strip())


class Trainer:
    """One ``slimc train`` run (see the module docstring)."""

    def __init__(self, tf: Any, graph: Graph, cls: Any, opts: TrainOptions,
                 progress: TextIO | None = None):
        self.tf, self.graph, self.cls, self.opts = tf, graph, cls, opts
        self.progress_out = progress
        self.io = model_io(graph)
        if opts.optimizer not in OPTIMIZERS:
            raise TrainError(f"unknown optimizer '{opts.optimizer}'")
        self.notes: list[str] = []
        self.placement: Placement | None = None
        self.loop: _Loop | None = None  # the running loop (tests inspect its step function)

    # ------------------------------------------------------------------ set-up

    def _placement(self) -> Placement:
        tf, opts = self.tf, self.opts
        placement = make_placement(tf, opts.strategy, opts.device)
        if opts.batch_size % placement.replicas:
            raise TrainError(f"--batch-size {opts.batch_size} does not split over "
                             f"{placement.replicas} replicas; use a multiple of "
                             f"{placement.replicas}")
        if opts.deterministic:
            tf.config.experimental.enable_op_determinism()
        return placement

    def _input_spec(self) -> InputSpec:
        opts, io = self.opts, self.io
        spec = InputSpec(
            tuple(list_files(opts.data)), io.height, io.width, io.channels, io.num_classes,
            opts.preprocessing or default_for(self.graph.name), opts.batch_size, opts.seed,
            opts.labels_offset, opts.shuffle_buffer)
        from .data import check_spec
        check_spec(spec)
        first_record_check(self.tf, spec)
        return spec

    def _build(self, placement: Placement) -> None:
        tf, opts = self.tf, self.opts
        tf.random.set_seed(opts.seed)
        with placement.strategy.scope():
            self.model = self.cls()
            self.global_step = tf.Variable(0, dtype=tf.int64, trainable=False,
                                           name="global_step")
            self.variables = {v.name[: v.name.rindex(":")]: v for v in self.model.variables}
            trainable = {n: v for n, v in self.variables.items() if v.trainable}
            if opts.trainable_scopes:
                trainable = {n: v for n, v in trainable.items()
                             if matches(n, opts.trainable_scopes)}
                if not trainable:
                    raise TrainError(f"--trainable-scopes {','.join(opts.trainable_scopes)} "
                                     f"matches no trainable variable of {self.graph.name}")
            self.trainable = trainable
            self.optimizer = make_optimizer(opts.optimizer, opts.optimizer_params)
            self.saveables = dict(self.variables)
            self.saveables["global_step"] = self.global_step
            self.saveables.update(self.optimizer.create(tf, trainable))
            self.averages = None
            if opts.moving_average_decay:
                self.averages = MovingAverages(opts.moving_average_decay)
                self.saveables.update(self.averages.create(tf, self.variables))
        if opts.sync_batch_norm:
            for module in self.model.submodules:
                if hasattr(module, "synchronized"):
                    module.synchronized = True

    def _restore(self, ckdir: CheckpointDir) -> tuple[int, int, str | None]:
        """Resume from the train dir, else initialize from --checkpoint-path.

        Returns (epoch, batches done in it, the checkpoint restored from).
        """
        tf, opts = self.tf, self.opts
        latest = ckdir.latest(tf)
        if latest is None:
            if opts.checkpoint_path:
                self._fine_tune_init()
            return 0, 0, None
        prefix, reader = latest
        shapes = reader.get_variable_to_shape_map()
        for key, mine in zip(RUN_KEYS, (opts.batch_size, opts.seed)):
            if key in shapes and int(reader.get_tensor(key)) != mine:
                flag = "--" + key.split("/")[1].replace("_", "-")
                raise TrainError(
                    f"{opts.train_dir} was trained with {flag} {int(reader.get_tensor(key))}; "
                    f"resuming with {mine} would change the data order: use the same value "
                    f"or another --train-dir")
        try:
            restore(tf, reader, self.saveables, prefix)
        except CheckpointError as exc:
            raise CheckpointError(f"{exc}\n  was it trained with another --optimizer or "
                                  f"--moving-average-decay? resume with the same options, or "
                                  f"start another --train-dir from it with --checkpoint-path"
                                  ) from None
        if opts.checkpoint_path:
            self.notes.append(f"--checkpoint-path ignored: resuming from {prefix}")
        position = [int(reader.get_tensor(k)) if k in shapes else 0 for k in POSITION_KEYS]
        return position[0], position[1], prefix

    def _fine_tune_init(self) -> None:
        tf, opts = self.tf, self.opts
        prefix = resolve(opts.checkpoint_path)
        reader = open_reader(tf, prefix)
        shapes = reader.get_variable_to_shape_map()
        wanted = {n: v for n, v in self.variables.items()
                  if not matches(n, opts.exclude_scopes)}
        if opts.ignore_missing_vars:
            skipped = sorted(n for n in wanted if n not in shapes)
            wanted = {n: v for n, v in wanted.items() if n in shapes}
            if skipped:
                self.notes.append(f"not in {prefix}, left as initialized: {len(skipped)} "
                                  f"variables ({', '.join(skipped[:4])}...)")
        try:
            restore(tf, reader, wanted, prefix)
        except CheckpointError as exc:
            raise CheckpointError(f"{exc}\n  exclude variables with --exclude-scopes (e.g. the "
                                  f"logits' scope when the classes differ), or skip missing "
                                  f"ones with --ignore-missing-vars") from None
        self.notes.append(f"initialized {len(wanted)} variables from {prefix}")

    def _schedule(self, spec: InputSpec) -> Schedule:
        opts = self.opts
        steps = 1
        if opts.decay != "fixed":
            samples = opts.num_samples or count_records(self.tf, spec.files)
            steps = decay_steps(samples, opts.batch_size, opts.epochs_per_decay)
        return Schedule(opts.decay, opts.learning_rate, steps, opts.decay_factor,
                        opts.end_learning_rate)

    # ------------------------------------------------------------------ the run

    def prepare(self) -> None:
        """Configure the devices and start TensorFlow's runtime (its start-up messages go to
        stderr: callers may hold them back around this call)."""
        if self.placement is None:
            self.placement = self._placement()
            self.tf.config.list_logical_devices()

    def run(self) -> TrainReport:
        opts = self.opts
        self.prepare()
        placement = self.placement
        spec = self._input_spec()
        schedule = self._schedule(spec)
        if placement.is_chief:
            os.makedirs(opts.train_dir, exist_ok=True)
        ckdir = CheckpointDir(opts.train_dir, opts.keep)
        if placement.is_chief:
            ckdir.clean_temporaries()
        self._build(placement)
        epoch, done, resumed = self._restore(ckdir)
        start = int(self.global_step.numpy())
        parts = StepParts(self.model, self.io.logits_index, self.io.num_classes,
                          opts.batch_size, opts.label_smoothing, self.optimizer, schedule,
                          self.global_step, self.trainable, self.variables, self.averages)
        self.loop = loop = _Loop(self, placement, spec, parts, ckdir, epoch, done, start)
        if resumed:
            loop.progress.note(f"resuming from {resumed} (step {start}, epoch {epoch})")
        for note in self.notes:
            loop.progress.note(note)
        return loop.run()


class _Loop:
    """The step loop of one run: epochs, checkpoints, summaries, progress."""

    def __init__(self, trainer: Trainer, placement: Placement, spec: InputSpec,
                 parts: StepParts, ckdir: CheckpointDir, epoch: int, done: int, start: int):
        self.t, self.tf, self.opts = trainer, trainer.tf, trainer.opts
        self.placement, self.spec, self.parts, self.ckdir = placement, spec, parts, ckdir
        self.epoch, self.done, self.start, self.step = epoch, done, start, start
        self.reseed = any(n.kind == "dropout" for n in trainer.graph.nodes)
        self.step_fn = None
        self.last_save = time.monotonic()
        self.checkpoint: str | None = None
        self.sums = [0.0, 0.0, 0.0, 0]  # ce, reg, correct, steps since the last summary
        self.times: list[float] = []  # when this run's first and latest steps ended
        self.loss = self.accuracy = None
        self.writer = None
        if placement.is_chief and self.opts.summary_every > 0:
            self.writer = self.tf.summary.create_file_writer(self.opts.train_dir)
        out = trainer.progress_out if placement.is_chief else None
        self.progress = Progress(out, self.opts.steps, start, self.opts.batch_size)

    def _trace(self) -> None:
        """A new step function: its random ops start from a seed fixed by (seed, step)."""
        if self.step_fn is None or self.reseed:
            self.step_fn = make_step(self.tf, self.placement.strategy, self.parts,
                                     epoch_seed(self.opts.seed, 1_000_003 + self.step))

    def _batches(self) -> Any:
        """The distributed iterator of training batches, from the data position on."""
        tf, spec = self.tf, self.spec
        if not has_one_batch(tf, spec):
            raise DataError(f"fewer records than one batch of {spec.batch_size} in "
                            f"{', '.join(spec.files)}")

        def fn(ctx: Any) -> Any:
            return training_dataset(
                tf, spec, epoch=self.epoch, skip_batches=self.done,
                pipeline=ctx.input_pipeline_id, pipelines=ctx.num_input_pipelines,
                replica_batch=ctx.get_per_replica_batch_size(spec.batch_size))

        return iter(self.placement.strategy.distribute_datasets_from_function(fn))

    def run(self) -> TrainReport:
        tf, opts = self.tf, self.opts
        began = time.monotonic()
        self._trace()
        local = self.placement.strategy.experimental_local_results
        try:
            batches = self._batches()
            while self.step < opts.steps:
                images, labels, epochs = next(batches)
                epoch = int(local(epochs)[0][0])
                if epoch != self.epoch:  # the batch opens a new epoch
                    self.epoch, self.done = epoch, 0
                self._one_step((images, labels))
        except tf.errors.OpError as exc:
            if isinstance(exc, (tf.errors.ResourceExhaustedError, tf.errors.UnavailableError)):
                raise
            raise locate_error(tf, self.spec, exc) from None
        finally:
            self.progress.close()
        if self.step > self.start or self.checkpoint is None and self.step == self.start == 0:
            self._save()
        seconds = time.monotonic() - began
        rate = (self.step - self.start) * opts.batch_size / seconds if seconds > 0 else 0.0
        final = self.checkpoint or (self.ckdir.listed() or [None])[-1]
        steady = (self.step - self.start - 1) * opts.batch_size / (self.times[1] - self.times[0]) \
            if len(self.times) == 2 and self.times[1] > self.times[0] else rate
        return TrainReport(self.t.graph.name, self.start, self.step, seconds, rate, self.loss,
                           self.accuracy, final, self.placement.kind, self.placement.devices,
                           self.placement.replicas, self.t.notes, steady)

    def _one_step(self, batch: Any) -> None:
        tf, opts = self.tf, self.opts
        due_time = opts.save_minutes is not None and opts.save_minutes > 0 and \
            time.monotonic() - self.last_save >= opts.save_minutes * 60
        vote = tf.constant(1.0 if due_time and self.placement.is_chief else 0.0)
        ce, reg, correct, votes = (float(x) for x in self.step_fn(batch, vote).numpy())
        self.times[1 if self.times else 0:] = [time.monotonic()]
        self.step += 1
        self.done += 1
        self.loss = ce / opts.batch_size + reg
        self.accuracy = correct / opts.batch_size
        self.sums = [self.sums[0] + ce, self.sums[1] + reg, self.sums[2] + correct,
                     self.sums[3] + 1]
        self.progress.update(self.step, self.loss, self.accuracy)
        if opts.summary_every > 0 and self.step % opts.summary_every == 0:
            self._summaries()
        by_steps = opts.save_steps is not None and self.step % opts.save_steps == 0
        if (by_steps or votes > 0) and self.step < opts.steps:
            self._save()
            self._trace()

    def _summaries(self) -> None:
        tf, n = self.tf, max(self.sums[3], 1)
        if self.writer is not None:
            ce, reg = self.sums[0] / (n * self.opts.batch_size), self.sums[1] / n
            with self.writer.as_default(step=self.step):
                for tag, value in (
                        ("total_loss", ce + reg), ("losses/cross_entropy", ce),
                        ("losses/regularization", reg),
                        ("accuracy", self.sums[2] / (n * self.opts.batch_size)),
                        ("learning_rate", self.parts.schedule(tf, self.step - 1)),
                        ("examples_per_second", self.progress.rate(self.step))):
                    summaries.scalar(tf, tag, value)
                if self.opts.histograms:
                    for name, var in self.t.variables.items():
                        summaries.histogram(tf, name, var.read_value())
            self.writer.flush()
        self.sums = [0.0, 0.0, 0.0, 0]

    def _save(self) -> None:
        """Every worker reads the values (synced-on-read statistics need all of them); the
        chief writes."""
        tf, opts = self.tf, self.opts
        values = {name: var.read_value() for name, var in self.t.saveables.items()}
        for key, value in zip(POSITION_KEYS + RUN_KEYS,
                              (self.epoch, self.done, opts.batch_size, opts.seed)):
            values[key] = tf.constant(value, tf.int64)
        if self.placement.is_chief:
            self.checkpoint = self.ckdir.save(tf, values, self.step)
        self.last_save = time.monotonic()
