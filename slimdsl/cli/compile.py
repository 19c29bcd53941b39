"""``slimc compile FILE -o OUT.py`` (or ``slimc FILE -o OUT.py``): generate TensorFlow code.

The output is written atomically (a temporary file in the same folder, then a rename that keeps
the mode of the file it replaces), so a failed compile leaves an existing output untouched. No
TensorFlow import: generating code is pure text.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

from ..diagnostics import CompileError
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    add_define_option,
    add_warning_options,
    check_models,
    emit_diagnostics,
    use_color,
    write_atomic,
)

HELP = "generate a TensorFlow module (one tf.Module class per model)"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("compile", help=HELP, description=HELP + ". Also: slimc FILE -o OUT.py")
    p.add_argument("path", metavar="FILE", help="a .slim file, or - for stdin")
    p.add_argument("-o", "--output", metavar="OUT.py",
                   help="the Python file to write (default: standard output)")
    p.add_argument("--model", help="only this model of the file (default: every model)")
    add_define_option(p)
    add_warning_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    if args.output and args.path != "-" and _same_file(args.output, args.path):
        print(f"slimc: error: refusing to overwrite the input file {args.path} with generated "
              f"code; choose another -o", file=sys.stderr)
        return EXIT_USAGE
    if args.output and os.path.isdir(args.output):
        print(f"slimc: error: {args.output} is a directory; -o takes a file name",
              file=sys.stderr)
        return EXIT_USAGE
    result = check_models(args)
    if isinstance(result, int):
        return result
    from ..backends.tensorflow.codegen import (  # jinja2: ~20 ms no other command needs
        class_names,
        generate,
    )

    try:
        code = generate(result.graphs, result.path, command=command_line(args))
    except CompileError as exc:
        result.diagnostics = exc.diagnostics
        emit_diagnostics([result], "text", use_color(sys.stderr), sys.stderr)
        return EXIT_FINDINGS
    if not args.output or args.output == "-":
        sys.stdout.write(code)
        return EXIT_OK
    try:
        write_atomic(args.output, code)
    except OSError as exc:
        print(f"slimc: error: cannot write {args.output}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_USAGE
    for graph, name in zip(result.graphs, class_names(result.graphs)):
        print(f"wrote {args.output}: class {name} (model {graph.name}, "
              f"{graph.total_params:,} parameters, {len(graph.variables)} variables)")
    return EXIT_OK


def command_line(args: argparse.Namespace) -> str:
    """The command that regenerates this output, for the module docstring."""
    parts = ["slimc", args.path]
    for name, value in args.define:
        parts += ["-D", f"{name}={_json(value)}"]
    if args.model:
        parts += ["--model", args.model]
    if args.output and args.output != "-":
        parts += ["-o", args.output]
    return shlex.join(parts)


def _json(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
