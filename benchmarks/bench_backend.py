"""The TensorFlow backend against tf_slim: forward throughput and build time, same machine, one run.

    python benchmarks/bench_backend.py            # full run (several minutes on 2 cores)
    python benchmarks/bench_backend.py --quick    # small batch, few steps: a smoke pass
    python benchmarks/bench_backend.py --no-write # print, leave docs/performance.md alone

For vgg_16 and resnet_v1_50 (models/*.slim against tf_slim.nets, each under its arg_scope,
inference mode), measure:

- build: tf_slim = build the TF1 graph, create the session, initialize the variables;
  generated = construct the tf.Module (creates and initializes the variables), then the first
  call (traces the tf.function); XLA = the first call of the jit_compile=True function.
- forward latency per batch for the same outputs on both sides: the logits only, and the
  logits with every end point. Medians over interleaved rounds, so that load on the shared
  machine hits every route alike. The input is already on the device on every route (a
  variable for tf_slim, a tensor for the generated code): nothing is fed.

The ratio is tf_slim's latency over ours: >= 1.0 means the generated code is not slower.
Writes the "Backend" section of docs/performance.md between its own markers.
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/bench_backend.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    DOCS,
    ROOT,
    log,
    machine_info,
    machine_markdown,
    ms,
    table,
    write_own_section,
)

START = "<!-- backend-bench:start -->"
END = "<!-- backend-bench:end -->"

#: model -> (tf_slim.nets module, function, arg_scope, input size, extra kwargs)
MODELS = {
    "vgg_16": ("vgg", "vgg_16", "vgg_arg_scope", 224, {}),
    "resnet_v1_50": ("resnet_v1", "resnet_v1_50", "resnet_arg_scope", 224,
                     {"num_classes": 1000}),
}


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    from benchmarks.tf_slim_vgg import apply_tf_slim_shim
    apply_tf_slim_shim()
    tf.get_logger().setLevel("ERROR")
    return tf


class SlimRoute:
    """tf_slim's own graph in a TF1 session, the input held in a variable (nothing is fed)."""

    def __init__(self, tf, name: str, batch: int):
        import importlib

        import tf_slim as slim
        module, fn, scope, size, kwargs = MODELS[name]
        nets = importlib.import_module(f"tf_slim.nets.{module}")
        v1 = tf.compat.v1
        start = time.perf_counter()
        self.graph = tf.Graph()
        with self.graph.as_default():
            images = v1.get_variable("bench_images", [batch, size, size, 3],
                                     initializer=v1.random_uniform_initializer(), trainable=False)
            with slim.arg_scope(getattr(nets, scope)()):
                self.logits, self.end_points = getattr(nets, fn)(images, is_training=False,
                                                                 **kwargs)
            self.session = v1.Session(graph=self.graph)
            self.session.run(v1.global_variables_initializer())
        self.build = time.perf_counter() - start

    def logits_only(self) -> None:
        self.session.run(self.logits)

    def with_end_points(self) -> None:
        self.session.run((self.logits, self.end_points))

    def close(self) -> None:
        self.session.close()


class GeneratedRoute:
    """The class slimc generates; ``model(x)`` returns the logits and every end point."""

    def __init__(self, tf, name: str, batch: int):
        from slimdsl.api import compile_file
        from slimdsl.backends.tensorflow.codegen import class_names, generate
        from slimdsl.backends.tensorflow.run import load_module

        size = MODELS[name][3]
        self.images = tf.random.uniform([batch, size, size, 3])
        start = time.perf_counter()
        graph = compile_file(str(ROOT / "models" / f"{name}.slim"))
        module = load_module(generate(graph, f"models/{name}.slim"), name)
        self.model = getattr(module, class_names([graph])[0])()
        self.construct = time.perf_counter() - start
        start = time.perf_counter()
        self.with_end_points()
        self.first_call = time.perf_counter() - start
        # Only the logits, as session.run(logits): the end points are pruned from the graph.
        forward = self.model.__call__.python_function
        self._logits = tf.function(lambda x: forward(x)[0])
        self._xla = tf.function(lambda x: forward(x)[0], jit_compile=True)
        self.logits_only()
        start = time.perf_counter()
        self.xla()
        self.xla_compile = time.perf_counter() - start

    def with_end_points(self) -> None:
        logits, end_points = self.model(self.images)
        logits.numpy()

    def logits_only(self) -> None:
        self._logits(self.images).numpy()

    def xla(self) -> None:
        self._xla(self.images).numpy()


def optimized_kernels(tf, name: str, build) -> collections.Counter:
    """The ops TensorFlow actually runs for ``build(images) -> logits`` after grappler.

    Both routes run in a TF1 session here so that the partition graphs (grappler's output)
    can be read; the generated tf.function is inlined into them. Identity and NoOp plumbing
    (function outputs, control edges) is left out.
    """
    v1 = tf.compat.v1
    size = MODELS[name][3]
    with tf.Graph().as_default() as g:
        images = v1.get_variable("bench_images", [1, size, size, 3], trainable=False)
        logits = build(images)
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            meta = v1.RunMetadata()
            sess.run(logits, options=v1.RunOptions(output_partition_graphs=True),
                     run_metadata=meta)
    skip = {"Identity", "IdentityN", "NoOp", "_Arg", "_Retval", "Const", "VarHandleOp",
            "ReadVariableOp", "_Recv", "_Send"}
    return collections.Counter(n.op for pg in meta.partition_graphs for n in pg.node
                               if n.op not in skip)


def both_kernels(tf, name: str, model_class) -> tuple[collections.Counter, collections.Counter]:
    """The kernels tf_slim's graph and the generated one run for the logits: (theirs, ours)."""
    import importlib

    import tf_slim as slim
    module, fn, scope, _, kwargs = MODELS[name]
    nets = importlib.import_module(f"tf_slim.nets.{module}")

    def slim_logits(images):
        with slim.arg_scope(getattr(nets, scope)()):
            return getattr(nets, fn)(images, is_training=False, **kwargs)[0]

    models = []  # __call__.python_function holds its model weakly: keep it alive

    def our_logits(images):  # as the "logits" route runs it
        models.append(model_class())
        forward = models[-1].__call__.python_function
        return tf.function(lambda x: forward(x)[0])(images)

    return optimized_kernels(tf, name, slim_logits), optimized_kernels(tf, name, our_logits)


ROUTES = [  # (label, what is computed, route, method); speed-up is against the tf_slim row
    ("tf_slim", "logits", "slim", "logits_only"),
    ("generated", "logits", "ours", "logits_only"),
    ("generated + XLA", "logits", "ours", "xla"),
    ("tf_slim", "logits + end points", "slim", "with_end_points"),
    ("generated", "logits + end points", "ours", "with_end_points"),
]


def bench_model(tf, name: str, batch: int, rounds: int, steps: int) -> dict:
    log(f"backend: {name} batch {batch}: building the tf_slim graph")
    routes = {"slim": SlimRoute(tf, name, batch)}
    log(f"backend: {name}: building the generated model (and its XLA compilation)")
    routes["ours"] = GeneratedRoute(tf, name, batch)
    calls = {(label, what): getattr(routes[key], method) for label, what, key, method in ROUTES}
    for call in calls.values():  # warm-up: caches, oneDNN primitives, first allocations
        call()
    order = list(calls)
    rounds_times: list[dict[tuple, float]] = []
    for r in range(rounds):
        # Alternate the order so that no route always follows the same neighbour.
        this_round: dict[tuple, list[float]] = {k: [] for k in calls}
        for key in (order if r % 2 == 0 else order[::-1]):
            for _ in range(steps):
                start = time.perf_counter()
                calls[key]()
                this_round[key].append(time.perf_counter() - start)
        rounds_times.append({k: statistics.median(v) for k, v in this_round.items()})
        log(f"backend: {name}: round {r + 1}/{rounds}")
    times = {k: [t[k] for t in rounds_times] for k in calls}
    # Speed-up: the median over rounds of tf_slim's time / ours in the same round, a paired
    # estimate that load drifting during the run does not bias.
    ratios = {k: sorted(t[("tf_slim", k[1])] / t[k] for t in rounds_times) for k in calls}
    speedup = {k: statistics.median(v) for k, v in ratios.items()}
    quartiles = {k: statistics.quantiles(v, n=4)[::2] if len(v) > 1 else [v[0], v[0]]
                 for k, v in ratios.items()}
    slim_route, ours = routes["slim"], routes["ours"]
    slim_route.close()
    log(f"backend: {name}: comparing the kernels of both optimized graphs")
    theirs, our_kernels = both_kernels(tf, name, type(ours.model))
    result = {"name": name, "batch": batch, "rounds": rounds, "steps": steps,
              "median": {k: statistics.median(v) for k, v in times.items()},
              "best": {k: min(v) for k, v in times.items()}, "speedup": speedup,
              "quartiles": quartiles,
              "build": {"tf_slim": slim_route.build, "generated": ours.construct + ours.first_call,
                        "generated + XLA": ours.construct + ours.xla_compile},
              "construct": ours.construct, "trace": ours.first_call,
              "xla_compile": ours.xla_compile, "kernels": (theirs, our_kernels)}
    del routes, calls, slim_route, ours
    gc.collect()
    return result


def kernel_lines(result: dict) -> list[str]:
    """What each route runs for one model, and where the two differ."""
    theirs, ours = result["kernels"]
    name = result["name"]
    if theirs == ours:
        return [f"{name}: the same {sum(theirs.values())} kernels on both routes."]
    only = [(label, counter - other) for label, counter, other in
            (("tf_slim only", theirs, ours), ("generated only", ours, theirs))]
    parts = ["; ".join(f"{n} {op}" for op, n in sorted(diff.items())) or "nothing"
             for _, diff in only]
    return [f"{name}: tf_slim {sum(theirs.values())} kernels, generated "
            f"{sum(ours.values())}; {only[0][0]}: {parts[0]}; {only[1][0]}: {parts[1]}."]


def markdown(results: list[dict], info: dict) -> str:
    rows = []
    for r in results:
        for label, what, _, _ in ROUTES:
            key = (label, what)
            latency = r["median"][key]
            low, high = r["quartiles"][key]
            spread = "" if label == "tf_slim" else f" ({low:.2f}-{high:.2f})"
            rows.append([r["name"], label, what, r["batch"], ms(latency), ms(r["best"][key]),
                         f"{r['batch'] / latency:,.2f}", f"{r['speedup'][key]:.2f}x{spread}",
                         ms(r["build"][label])])
    detail = "; ".join(
        f"{r['name']}: constructor {ms(r['construct'])} + first call {ms(r['trace'])}, "
        f"XLA compilation {ms(r['xla_compile'])}" for r in results)
    worst, worst_name, worst_what, low, high = min(
        (r["speedup"][("generated", what)], r["name"], what,
         *r["quartiles"][("generated", what)])
        for r in results for what in ("logits", "logits + end points"))
    verdict = "target met: not slower" if worst >= 1.0 else \
        f"below the 1.0x target; the middle half of its rounds spans {low:.2f}-{high:.2f}x"
    return "\n".join([
        "## Backend",
        "",
        "Forward pass (inference) of the code `slimc compile` generates against tf_slim's own "
        "graph (`tf_slim.nets`, under its arg_scope), in one process on the same machine: "
        "`python benchmarks/bench_backend.py`. Each row computes either the logits only "
        "(tf_slim: `session.run(logits)`; generated: `tf.function(lambda x: model(x)[0])`, "
        "which prunes the end points) or the logits and every end point (tf_slim: "
        "`session.run((logits, end_points))`; generated: `model(x)`). Every route runs "
        f"{results[0]['steps']} calls in each of {results[0]['rounds']} rounds (the order "
        "alternates between rounds). Latency is the median of the per-round medians, best "
        "the fastest round; speed-up is the median over rounds of tf_slim's time / this "
        "route's in the same round, for the same outputs (>= 1.00x: not slower), a paired "
        "figure that load drifting on the shared machine does not bias; in brackets, the "
        "quartiles of those per-round ratios. "
        "Build: tf_slim = graph + session + variable initialization; generated = "
        "constructor (creates and initializes the variables) + first call (tracing); "
        "XLA = constructor + first `jit_compile=True` call (compilation).",
        "",
        machine_markdown(info),
        "",
        table(["model", "route", "computes", "batch", "latency", "best", "examples/s",
               "speed-up", "build"], rows),
        "",
        f"Build detail: {detail}.",
        "",
        "What runs (the optimized graphs TensorFlow executes for the logits, after grappler's "
        "fusions, without Identity/NoOp plumbing):",
        "",
        *[f"- {line}" for r in results for line in kernel_lines(r)],
        "",
        f"Slowest generated / tf_slim speed-up: {worst:.3f}x, {worst_name} {worst_what} "
        f"({verdict}).",
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/bench_backend.py",
                                description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", default=bool(
        os.environ.get("SLIMDSL_BENCH_QUICK")), help="batch 1, few steps (rough figures)")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="update docs/performance.md (default: yes, except with --quick)")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    args = p.parse_args(argv)
    write = (not args.quick) if args.write is None else args.write
    info = machine_info()
    tf = _tf()
    results = []
    for name in args.models.split(","):
        batch, rounds, steps = (1, 1, 2) if args.quick else \
            ({"vgg_16": 4, "resnet_v1_50": 8}[name], 15, 3)
        results.append(bench_model(tf, name, batch, rounds, steps))
    text = markdown(results, info)
    print(text)
    if write:
        write_own_section(text, START, END)
        log(f"backend: wrote the Backend section of {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
