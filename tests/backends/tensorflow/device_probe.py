"""Where a generated model's variables and ops live, on a CPU split into logical devices.

``python device_probe.py FILE.slim DEVICE`` splits the CPU into three logical devices (this must
happen before TensorFlow initializes its devices, hence a process of its own), then builds the
model of FILE twice — through the Python API (``Model(device=DEVICE)``) and through
``slimc run FILE --device DEVICE`` — and prints one JSON line per route: the device of every
variable and of every op of the traced forward pass (the function's own argument and return
plumbing left out). ``tests/backends/tensorflow/test_backend_devices.py`` asserts on it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

#: Ops a tf.function adds around the body, outside any ``tf.device`` of the generated code, and
#: reads of a variable, which TensorFlow places with the variable (whose device is checked).
PLUMBING = {"Placeholder", "NoOp", "ReadVariableOp"}


def _placement(tf, model, inputs) -> dict:
    """{"variables": {name: device}, "ops": {name: device}} of ``model`` called on ``inputs``."""
    fn = model.__call__.get_concrete_function(*inputs, training=False)
    returned = {t.op.name for t in fn.outputs}
    ops = {op.name: op.device for op in fn.graph.get_operations()
           if op.type not in PLUMBING and op.name not in returned}
    return {"variables": {v.name: v.device for v in model.variables}, "ops": ops}


def main(path: str, device: str) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 3)
    from slimdsl import cli
    from slimdsl.api import compile_file
    from slimdsl.backends.tensorflow import run as br
    from slimdsl.backends.tensorflow.codegen import class_names, generate

    graph = compile_file(path, model="showcase")
    name = class_names([graph])[0]
    module = br.load_module(generate(graph, path), graph.name)
    model = getattr(module, name)(device=device)
    with tf.device(device):
        inputs = br.example_inputs(tf, graph, 2)
    model(*inputs)
    print(json.dumps({"route": "api", **_placement(tf, model, inputs)}))

    built = []  # the models `slimc run` builds, caught as they are constructed
    real_load = br.load_module

    def load_and_watch(code, module_name):
        loaded = real_load(code, module_name)
        cls = getattr(loaded, name)

        class Watched(cls):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                built.append(self)
        setattr(loaded, name, Watched)
        return loaded
    br.load_module = load_and_watch
    code = cli.main(["run", path, "--model", "showcase", "--device",
                     device.replace("/device:", "").lower(),
                     "--batch", "2", "--steps", "1"])
    if code != 0 or len(built) != 1:
        print(json.dumps({"route": "run", "exit": code, "built": len(built)}))
        return 1
    with tf.device(device):
        inputs = br.example_inputs(tf, graph, 2)
    print(json.dumps({"route": "run", **_placement(tf, built[0], inputs)}))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    sys.exit(main(sys.argv[1], sys.argv[2]))
