"""``slimc export FILE --format saved_model|tflite|onnx -o OUT``: a model for deployment.

Everything that can be checked without TensorFlow is checked first, in a fraction of a second:
the options, the output path, ``--input`` shapes (with slimdsl's own shape inference: the model
must take them), ``--outputs`` names (with a did-you-mean) and the optional packages a format
needs. Then the model is built, converted, run in its runtime against the generated module
(``--no-verify`` skips that) and written atomically. Bad input is exit 2 with nothing written.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys

from ..layers.shapes import format_shape
from .common import (
    EXIT_OK,
    EXIT_USAGE,
    add_define_option,
    check_models,
    emit_diagnostics,
    use_color,
)

HELP = "export a model for deployment: a SavedModel, a .tflite or an .onnx file"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from ..backends.tensorflow.export.request import DEFAULT_OPSET, FORMATS

    p = sub.add_parser("export", help=HELP, description=HELP + ".")
    p.add_argument("path", metavar="FILE", help="a .slim file")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="the SavedModel directory, .tflite or .onnx file to write")
    p.add_argument("--format", choices=tuple(FORMATS),
                   help="the format (default: from OUT's extension; a directory: saved_model)")
    p.add_argument("--model", help="which model of the file (default: the first)")
    p.add_argument("--checkpoint", metavar="CKPT",
                   help="bake in trained weights: a TF-Slim checkpoint (matched by variable "
                        "name) or tf.train.Checkpoint(model=...)'s")
    p.add_argument("--input", action="append", default=[], metavar="NAME=SHAPE",
                   help="fix an input's shape, such as inputs=1x224x224x3 (? for unknown); "
                        "checked against the model before anything is built")
    p.add_argument("--outputs", metavar="NAMES",
                   help="comma-separated outputs and end points to export, by name (default: "
                        "the model's outputs), such as logits,Predictions")
    p.add_argument("--optimize", action="store_true",
                   help="for inference: batch norm folded into the preceding layer, constants "
                        "frozen (same numbers within 1e-4)")
    p.add_argument("--quantize", choices=("none", "dynamic"), default="none",
                   help="tflite only: dynamic-range quantization of the weights to int8")
    p.add_argument("--opset", type=int, default=None, metavar="N",
                   help=f"onnx only: the ONNX opset (default {DEFAULT_OPSET})")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip running the export against the generated module")
    add_define_option(p)
    return p


def _error(message: str) -> int:
    print(f"slimc: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _format_of(args: argparse.Namespace) -> str | None:
    from ..backends.tensorflow.export.request import FORMATS

    if args.format:
        return args.format
    ext = os.path.splitext(args.output)[1].lower()
    for fmt, suffix in FORMATS.items():
        if suffix and ext == suffix:
            return fmt
    return "saved_model" if not ext or os.path.isdir(args.output) else None


def run(args: argparse.Namespace) -> int:
    from ..backends.tensorflow.export import request as rq

    fmt = _format_of(args)
    if fmt is None:
        return _error(f"cannot tell the format of {args.output!r} from its extension; use "
                      f"--format {'|'.join(rq.FORMATS)}")
    if args.quantize != "none" and fmt != "tflite":
        return _error("--quantize applies to --format tflite only")
    if args.opset is not None and fmt != "onnx":
        return _error("--opset applies to --format onnx only")
    problem = rq.output_path_problem(fmt, args.output)
    if problem is None and os.path.exists(args.path) and os.path.exists(args.output) \
            and os.path.samefile(args.path, args.output):
        problem = f"refusing to overwrite the input file {args.path}; choose another -o"
    if problem is None and args.checkpoint and not glob.glob(glob.escape(args.checkpoint) + "*"):
        problem = f"--checkpoint {args.checkpoint}: no such checkpoint (a prefix such as " \
                  f"ckpt/model.ckpt-1000, or its folder)"
    if problem:
        return _error(problem)
    result = check_models(args)
    if isinstance(result, int):
        return result
    graph = result.graphs[0]
    try:
        shapes = rq.parse_input_specs(args.input, [p.name for p in graph.inputs])
        if shapes:
            graph = _reshaped(args, graph.name, shapes)
            if graph is None:
                return EXIT_USAGE
        names = [n.strip() for n in args.outputs.split(",") if n.strip()] \
            if args.outputs else None
        outputs = rq.resolve_outputs(graph, names)
    except rq.ExportError as exc:
        return _error(str(exc))
    missing = rq.missing_extra(fmt)
    if missing:
        return _error(missing)
    return _export(args, fmt, graph, outputs)


def _reshaped(args: argparse.Namespace, model: str, shapes: dict):
    """The graph at the ``--input`` shapes, or None (diagnostics printed) if it cannot take
    them."""
    from ..api import check_file

    result = check_file(args.path, models=[model],
                        overrides=dict(args.define or []) or None, inputs=shapes)
    if not result.ok:
        emit_diagnostics([result], "text", use_color(sys.stderr), sys.stderr,
                         summary_line=False)
        asked = ", ".join(f"{k}={format_shape(v)}" for k, v in shapes.items())
        print(f"slimc: error: {model} cannot take --input {asked} (see above)", file=sys.stderr)
        return None
    return result.graphs[0]


def _export(args: argparse.Namespace, fmt: str, graph, outputs) -> int:
    from ..backends.tensorflow import run as br
    from ..backends.tensorflow.export import build, pipeline
    from ..backends.tensorflow.export.request import DEFAULT_OPSET, ExportError, describe_outputs

    try:
        tf = br.import_tensorflow()
    except ImportError as exc:
        return _error(str(exc).replace("slimc run", "slimc export"))
    try:
        em = build.ExportModel(tf, graph, outputs)
        if args.checkpoint:
            em.load_checkpoint(args.checkpoint)
        done = pipeline.export(em, fmt, args.output, optimize=args.optimize,
                               quantize=args.quantize, opset=args.opset or DEFAULT_OPSET,
                               verify=args.verify, source=graph.path)
    except ExportError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write {args.output}: {exc.strerror or exc}")
    kind = {"saved_model": "SavedModel", "tflite": "TFLite", "onnx": f"ONNX opset {done.opset}"}
    quantized = ", weights quantized to int8 (dynamic range)" if args.quantize != "none" else ""
    print(f"wrote {args.output} ({kind[fmt]}{quantized}, {done.size / 1e6:,.1f} MB) in "
          f"{done.seconds:.1f} s")
    print(f"  model:     {graph.name} from {graph.path}")
    print("  inputs:    " + ", ".join(f"{s.name} {format_shape(tuple(s.shape))} "
                                      f"{s.dtype.name}" for s in em.input_specs))
    print(f"  outputs:   {describe_outputs(outputs)}")
    print(f"  weights:   {em.weights}")
    if args.optimize:
        report = em.fold_report
        kept = f"; kept: {', '.join(f'{k} ({v})' for k, v in report.kept.items())}" \
            if report and report.kept else ""
        print(f"  optimized: batch norm folded into {len(report.folded) if report else 0} "
              f"layers, constants frozen{kept}")
    if done.verification is not None:
        print(f"  verified:  {done.verification.text()}")
    else:
        print(f"  verified:  no: {done.skipped}")
    return EXIT_OK
