"""``slimc explain FILE LAYER``: a layer's effective arguments, each with where it came from."""

from __future__ import annotations

import argparse
import json
import sys

from ..tools.explain import LayerNotFound, explain_dict, explain_text, find_layer
from .common import EXIT_FINDINGS, EXIT_OK, add_define_option, add_warning_options, check_models

HELP = "show a layer's effective arguments and their origin, shapes, variables"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("explain", help=HELP, description=HELP + ". LAYER is a full scope "
                       "(vgg_16/conv1/conv1_1), one relative to the model (conv1/conv1_1), or a "
                       "unique last part of one (conv1_1).")
    p.add_argument("path", metavar="FILE", help="a .slim file, or - for stdin")
    p.add_argument("layer", metavar="LAYER", help="the layer's scope name")
    p.add_argument("--model", help="which model of the file (default: the first)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_define_option(p)
    add_warning_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    result = check_models(args)
    if isinstance(result, int):
        return result
    graph = result.graphs[0]
    try:
        node = find_layer(graph, args.layer)
    except LayerNotFound as exc:
        print(f"slimc: error: {exc}", file=sys.stderr)
        return EXIT_FINDINGS

    def read(path: str) -> str:  # the model's own text may have come from stdin
        if path == result.path and result.source is not None:
            return result.source
        with open(path, encoding="utf-8") as f:
            return f.read()

    if args.format == "json":
        print(json.dumps(explain_dict(graph, node, read), indent=2))
    else:
        print(explain_text(graph, node, read))
    return EXIT_OK
