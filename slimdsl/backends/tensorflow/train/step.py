"""One training step under any tf.distribute strategy, as TF-Slim's model_deploy computes it.

Each replica runs the model on its slice of the global batch (batch norm updating its moving
statistics there, in replica context), and computes

    loss = sum(softmax cross-entropy of its examples) / global batch
           + sum(model.regularization_losses()) / replicas

so the gradients summed over replicas are exactly those of one device on the whole batch with
the regularization counted once. The step then leaves replica context (``merge_call``): the
gradients are summed across replicas and workers (``batch_reduce_to``), every device applies the
same update to its copy of each variable (``extended.update``), moving averages follow, and
``global_step`` goes up by one. The step returns the sums the progress display needs, reduced
in one all-reduce together with the replicas' votes to save a checkpoint (so every worker saves
at the same step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .optimizers import MovingAverages, Optimizer, Schedule


@dataclass
class StepParts:
    """What a training step reads and updates."""

    model: Any
    logits_index: int
    num_classes: int
    global_batch: int
    label_smoothing: float
    optimizer: Optimizer
    schedule: Schedule
    global_step: Any
    trainable: dict[str, Any]  # name -> variable the optimizer updates
    averaged: dict[str, Any]  # name -> variable with a moving average (when enabled)
    averages: MovingAverages | None = None


def forward(model: Any) -> Any:
    """The model's forward pass as plain Python, to be traced into the caller's function.

    The generated ``__call__`` is a tf.function; nested in a replica function it could not
    all-reduce (synchronized batch norm), and inlining it saves a function call per step.
    """
    call = model.__call__
    return getattr(call, "python_function", call)


def logits_of(tf: Any, outputs: Any, index: int) -> Any:
    """The model's logits as ``[batch, classes]`` float32 (``[b, 1, 1, n]`` is squeezed)."""
    logits = outputs[index]
    if logits.shape.rank == 4:
        logits = tf.squeeze(logits, [1, 2])
    return tf.cast(logits, tf.float32)


def cross_entropy(tf: Any, logits: Any, labels: Any, classes: int, smoothing: float) -> Any:
    """Per-example softmax cross-entropy, with TF-Slim's label smoothing."""
    onehot = tf.one_hot(labels, classes, dtype=tf.float32)
    if smoothing > 0:
        onehot = onehot * (1.0 - smoothing) + smoothing / classes
    return tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=logits)


def make_step(tf: Any, strategy: Any, parts: StepParts, seed: int) -> Any:
    """The step function: ``step(batch, vote) -> [ce_sum, reg, correct, votes]`` (float32).

    ``batch`` is a (per-replica) ``(images, labels)`` from the distributed dataset, ``vote``
    this worker's wish to save after the step (0 or 1). ``seed`` is the graph-level seed of
    the traced function: its random ops (dropout) start from it, whatever else ran before.
    """
    names = list(parts.trainable)
    variables = [parts.trainable[n] for n in names]
    slots = [parts.optimizer.slots.get(n, []) for n in names]
    replicas = float(strategy.num_replicas_in_sync)
    model = forward(parts.model)

    def update_one(var: Any, grad: Any, lr: Any, *var_slots: Any) -> Any:
        return parts.optimizer.apply(tf, var, grad, lr, *var_slots)  # on one device

    def average_one(shadow: Any, value: Any, rate: Any) -> Any:
        return MovingAverages.update(tf, shadow, value, rate)  # on one device

    def apply(strat: Any, grads: list[Any], lr: Any) -> None:
        pairs = [(g, v, s) for g, v, s in zip(grads, variables, slots) if g is not None]
        reduced = strat.extended.batch_reduce_to(
            tf.distribute.ReduceOp.SUM, [(g, v) for g, v, _ in pairs])
        for (_, var, var_slots), grad in zip(pairs, reduced):
            strat.extended.update(var, update_one, args=(grad, lr, *var_slots), group=False)
        parts.optimizer.finish(tf)
        if parts.averages is not None:
            rate = parts.averages.rate(tf, parts.global_step)
            for name, var in parts.averaged.items():
                shadow = parts.averages.shadows[name]
                strat.extended.update(shadow, average_one, args=(var, rate), group=False)

    def replica_step(images: Any, labels: Any, vote: Any) -> Any:
        ctx = tf.distribute.get_replica_context()
        with tf.GradientTape() as tape:
            logits = logits_of(tf, model(images, training=True), parts.logits_index)
            ce_sum = tf.reduce_sum(cross_entropy(tf, logits, labels, parts.num_classes,
                                                 parts.label_smoothing))
            regs = parts.model.regularization_losses()
            reg = tf.add_n([tf.cast(r, tf.float32) for r in regs]) if regs else \
                tf.constant(0.0)
            loss = ce_sum / parts.global_batch + reg / replicas
        grads = tape.gradient(loss, variables)
        lr = parts.schedule(tf, parts.global_step)
        ctx.merge_call(apply, args=(grads, lr))
        predicted = tf.argmax(logits, -1, output_type=tf.int32)
        correct = tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.float32))
        return tf.stack([ce_sum, reg / replicas, correct, tf.cast(vote, tf.float32)])

    def step(batch: Any, vote: Any) -> Any:
        tf.random.set_seed(seed)  # while tracing: the function graph's seed
        images, labels = batch
        sums = strategy.run(replica_step, args=(images, labels, vote))
        totals = strategy.reduce(tf.distribute.ReduceOp.SUM, sums, axis=None)
        with tf.control_dependencies([totals]):
            parts.global_step.assign_add(1)
        return totals

    return tf.function(step, autograph=False)  # no tensor-dependent Python control flow


def make_eval_step(tf: Any, model: Any, logits_index: int, num_classes: int) -> Any:
    """``eval_step(images, labels) -> [ce_sum, top1, top5, count]`` in inference mode."""
    k = min(5, num_classes)
    model = forward(model)

    def eval_step(images: Any, labels: Any) -> Any:
        logits = logits_of(tf, model(images, training=False), logits_index)
        ce = cross_entropy(tf, logits, labels, num_classes, 0.0)
        top1 = tf.equal(tf.argmax(logits, -1, output_type=tf.int32), labels)
        top5 = tf.math.in_top_k(labels, logits, k)
        return tf.stack([tf.reduce_sum(ce), tf.reduce_sum(tf.cast(top1, tf.float32)),
                         tf.reduce_sum(tf.cast(top5, tf.float32)),
                         tf.cast(tf.shape(labels)[0], tf.float32)])

    return tf.function(eval_step, autograph=False)
