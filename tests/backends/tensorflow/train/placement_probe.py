"""Run in a forked slimc process by test_distribute.py: train one step with a strategy, then
report where every variable's copies live and where the step's ops run (JSON on stdout)."""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    """argv: model, data pattern, train dir, strategy, devices."""
    from slimdsl.backends.tensorflow.run import import_tensorflow
    from slimdsl.backends.tensorflow.train.data import training_dataset
    from slimdsl.backends.tensorflow.train.trainer import Trainer, TrainOptions
    from slimdsl.cli.common import load_model

    model, data, train_dir, strategy, devices = argv
    args = type("Args", (), {"path": model, "model": None, "define": []})()
    tf = import_tensorflow(start_runtime=False)
    _, graph, module, class_name = load_model(args, start_runtime=False)
    trainer = Trainer(tf, graph, getattr(module, class_name), TrainOptions(
        data, train_dir, steps=1, batch_size=8, optimizer="momentum", decay="fixed",
        summary_every=0, strategy=strategy, device=devices))
    trainer.run()
    placement, spec = trainer.placement, trainer.loop.spec

    def fn(ctx):
        return training_dataset(tf, spec, pipeline=ctx.input_pipeline_id,
                             pipelines=ctx.num_input_pipelines,
                             replica_batch=ctx.get_per_replica_batch_size(spec.batch_size))

    element = placement.strategy.distribute_datasets_from_function(fn).element_spec[:2]
    concrete = trainer.loop.step_fn.get_concrete_function(element,
                                                          tf.TensorSpec([], tf.float32))
    ops: dict[str, list[str]] = {}
    for op in concrete.graph.get_operations():
        ops.setdefault(op.type, []).append(op.device)
    variables = {name: sorted(getattr(v, "values", None) and [c.device for c in v.values]
                              or [v.device])
                 for name, v in trainer.saveables.items()}
    json.dump({"variables": variables, "ops": ops, "devices": placement.devices}, sys.stdout)
    return 0
