"""``slimc graph FILE -o out.{dot,svg,png}``: the network as a picture.

DOT is written directly (``-o -`` or no ``-o``: DOT on standard output); SVG, PNG and PDF go
through Graphviz's ``dot``, and a missing Graphviz is a clear usage error (exit 2).
``--netron`` instead exports the model to ONNX and opens it in Netron's local viewer (the
optional extra ``slimdsl[netron]``; without it, exit 2 naming the extra).
"""

from __future__ import annotations

import argparse
import os
import sys

from ..tools.graphviz import IMAGE_FORMATS, GraphvizMissing, render, to_dot
from .common import EXIT_OK, EXIT_USAGE, add_define_option, add_warning_options, check_models

HELP = "draw a model: layers, shapes on the edges, scopes as clusters (DOT, SVG, PNG)"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("graph", help=HELP, description=HELP)
    p.add_argument("path", metavar="FILE", help="a .slim file, or - for stdin")
    p.add_argument("-o", "--output", default="-", metavar="OUT",
                   help="out.dot, out.svg, out.png or out.pdf (format from the extension); "
                        "- for DOT on stdout (default)")
    p.add_argument("--format", choices=("dot",) + IMAGE_FORMATS,
                   help="output format when the extension does not say")
    p.add_argument("--model", help="which model of the file (default: the first)")
    p.add_argument("--rankdir", choices=("TB", "LR"), default="TB",
                   help="layout direction: top to bottom (default) or left to right")
    p.add_argument("--netron", action="store_true",
                   help="show the model in Netron instead: exported to ONNX in a temporary "
                        "folder and served on localhost until Ctrl-C (pip install "
                        "'slimdsl[netron]')")
    p.add_argument("--port", type=int, default=None, metavar="N",
                   help="with --netron: the port to serve on (default: a free one)")
    p.add_argument("--no-browser", dest="browse", action="store_false",
                   help="with --netron: print the address instead of opening a browser")
    add_define_option(p)
    add_warning_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    if args.netron:
        return _netron(args)
    fmt = args.format
    if fmt is None:
        ext = os.path.splitext(args.output)[1].lower().lstrip(".")
        fmt = ext if args.output != "-" and ext in ("dot", "gv") + IMAGE_FORMATS else "dot"
        if args.output != "-" and ext not in ("dot", "gv") + IMAGE_FORMATS:
            print(f"slimc: error: cannot tell the format of {args.output!r} from its extension; "
                  f"use .dot, .svg, .png or .pdf, or --format", file=sys.stderr)
            return EXIT_USAGE
        fmt = "dot" if fmt == "gv" else fmt
    result = check_models(args)
    if isinstance(result, int):
        return result
    dot = to_dot(result.graphs[0], args.rankdir)
    if fmt == "dot":
        data = dot.encode()
    else:
        try:
            data = render(dot, fmt)
        except GraphvizMissing as exc:
            print(f"slimc: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except RuntimeError as exc:
            print(f"slimc: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.output == "-":
        if fmt != "dot" and sys.stdout.isatty():
            print(f"slimc: error: not writing {fmt} to a terminal; use -o FILE", file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return EXIT_OK
    try:
        with open(args.output, "wb") as f:
            f.write(data)
    except OSError as exc:
        print(f"slimc: error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _netron(args: argparse.Namespace) -> int:
    from ..backends.tensorflow.export.request import ExportError, missing_extra

    if args.output != "-" or args.format:
        print("slimc: error: --netron shows the model in a browser; it takes no -o or --format",
              file=sys.stderr)
        return EXIT_USAGE
    result = check_models(args)
    if isinstance(result, int):
        return result
    missing = missing_extra("netron")
    if missing:
        print(f"slimc: error: --{missing}", file=sys.stderr)
        return EXIT_USAGE
    from ..backends.tensorflow import run as br
    from ..backends.tensorflow.export import viewer

    try:
        tf = br.import_tensorflow()
        viewer.serve(tf, result.graphs[0], sys.stdout, port=args.port, browse=args.browse)
    except (ImportError, ExportError, OSError) as exc:
        print(f"slimc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
