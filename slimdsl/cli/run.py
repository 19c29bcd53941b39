"""``slimc run FILE``: compile in memory, build the model on a device, feed it, time it.

Every end point's run-time shape is checked against the statically inferred one; a difference
is a bug in slimc and is reported as one (exit 2, as an internal error). An unavailable
``--device`` is an error that lists the visible devices (exit 2), never a silent fallback.
"""

from __future__ import annotations

import argparse
import sys

from ..layers.shapes import format_shape
from .common import (
    EXIT_OK,
    EXIT_USAGE,
    add_define_option,
    add_warning_options,
    check_models,
    load_model,
    parse_input_shape,
    positive,
)

HELP = "build a model with TensorFlow on a device, check its shapes and time it"
#: A run-time shape that differs from the inferred one is a bug in slimc: exit 2, like an
#: ``internal`` diagnostic (slimc's exit codes are 0, 1 and 2 only).
EXIT_INTERNAL = EXIT_USAGE


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help=HELP, description=HELP)
    p.add_argument("path", metavar="FILE", help="a .slim file")
    p.add_argument("--model", help="the model to run (default: the file's first)")
    p.add_argument("--device", help="cpu, gpu, gpu:1 or a TensorFlow device string "
                                    "(default: the first GPU TensorFlow sees, else the CPU)")
    p.add_argument("--batch", type=positive, default=1, metavar="N",
                   help="batch size of the random inputs (default 1)")
    p.add_argument("--steps", type=positive, default=10, metavar="K",
                   help="timed forward passes after the first (default 10)")
    p.add_argument("--input", action="append", default=[], metavar="[NAME=]X.npy|NAME=[d,...]",
                   help="feed a NumPy array instead of random data (NAME= for one of several "
                        "inputs), or give the shape of the random data, binding the input's "
                        "named sizes (images=[1,512,384,3])")
    p.add_argument("--training", action="store_true",
                   help="run in training mode (dropout, batch statistics)")
    p.add_argument("--xla", action="store_true", help="compile the forward pass with XLA")
    p.add_argument("--optimize", action="store_true",
                   help="inference rewrites of slimc export --optimize: batch norm folded into "
                        "the preceding layer, constants frozen")
    add_define_option(p)
    add_warning_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    if args.optimize and args.training:
        print("slimc: error: --optimize is for inference; it cannot run with --training",
              file=sys.stderr)
        return EXIT_USAGE
    shapes = [s for s in args.input if s.partition("=")[2].lstrip().startswith("[")]
    args.input = [s for s in args.input if s not in shapes]
    try:
        args.input_shapes = [parse_input_shape(s) for s in shapes]
    except argparse.ArgumentTypeError as exc:
        print(f"slimc: error: --input: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.input:  # arrays bind the named sizes (H, W): compile at their shapes
        probe = check_models(args)
        if isinstance(probe, int):
            return probe
        if probe.graphs[0].dims:
            try:
                arrays = _load_inputs(args.input, probe.graphs[0])
            except (ValueError, OSError) as exc:
                print(f"slimc: error: {exc}", file=sys.stderr)
                return EXIT_USAGE
            args.input_shapes += [(k, tuple(v.shape)) for k, v in arrays.items()]
    loaded = load_model(args, start_runtime=True)
    if isinstance(loaded, int):
        return loaded
    tf, graph, module, class_name = loaded
    from ..backends.tensorflow import run as br  # TensorFlow only from here on

    try:
        device = br.resolve_device(tf, args.device)
        given = _load_inputs(args.input, graph)
    except (br.DeviceError, ValueError, OSError) as exc:
        print(f"slimc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = br.run_generated(tf, graph, module, class_name, device,
                                  args.batch, args.steps, given, args.training, args.xla,
                                  progress=sys.stderr, optimize=args.optimize)
    except br.ShapeMismatch as exc:
        print(f"slimc: internal error: the generated {graph.name} does not match what slimc "
              f"inferred. This is a bug in slimc; please report it with {args.path}.\n{exc}",
              file=sys.stderr)
        return EXIT_INTERNAL
    except ValueError as exc:
        print(f"slimc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _print_report(graph, report, args)
    return EXIT_OK


def _load_inputs(specs: list[str], graph) -> dict:
    if not specs:
        return {}
    import numpy as np

    names = [p.name for p in graph.inputs]
    given = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or name not in names:
            if len(names) != 1 or sep and name not in names and not spec.endswith(".npy"):
                raise ValueError(f"--input {spec}: use NAME=X.npy with NAME one of "
                                 f"{', '.join(names)}")
            name, path = names[0], spec
        array = np.load(path, allow_pickle=False)
        port = next(p for p in graph.inputs if p.name == name)
        static = port.tensor.shape
        if len(array.shape) != len(static) or any(  # a named size (H) takes any value
                isinstance(s, int) and s != a for s, a in zip(static, array.shape)):
            raise ValueError(f"--input {path}: shape {list(array.shape)} does not fit input "
                             f"'{name}' {format_shape(static)}")
        given[name] = array
    return given


def _print_report(graph, report, args) -> None:
    mode = "training" if args.training else "inference"
    mode += ", optimized" if args.optimize else ""
    print(f"{graph.name} on {report.device} ({mode}{', XLA' if args.xla else ''})")
    if report.optimized:
        print(f"  optimized: {report.optimized}")
    for port, shape in zip(graph.inputs, report.input_shapes):
        print(f"  input  {port.name}: {format_shape(shape)}")
    for port, shape in zip(graph.outputs, report.output_shapes):
        print(f"  output {port.name}: {format_shape(shape)}")
    print(f"  end points: {len(graph.end_points)}, shapes as inferred")
    print(f"  parameters: {report.params:,} ({graph.trainable_params:,} trainable)")
    print(f"  build: {report.build_seconds:.2f} s, first call (tracing): "
          f"{report.first_call_seconds:.2f} s")
    batch = report.input_shapes[0][0] if report.input_shapes and report.input_shapes[0] else 1
    median = report.median
    print(f"  latency: {median * 1000:.1f} ms median over {len(report.latencies)} steps "
          f"(batch {batch}), {batch / median:.1f} examples/s")
