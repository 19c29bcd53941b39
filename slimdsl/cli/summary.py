"""``slimc summary FILE``: per-layer table, totals (params, FLOPs) and variables."""

from __future__ import annotations

import argparse
import json

from ..tools.summary import summary_dict, summary_text
from .common import EXIT_OK, add_define_option, add_input_option, add_warning_options, check_models

HELP = "per-layer table, parameter and FLOP totals, and variables of a model"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("summary", help=HELP, description=HELP)
    p.add_argument("path", metavar="FILE", help="a .slim file, or - for stdin")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--model", help="only this model of the file (default: every model)")
    p.add_argument("--no-variables", action="store_true", help="omit the variable list")
    p.add_argument("--receptive-field", action="store_true",
                   help="add each layer's effective stride, receptive field and centre of "
                        "unit 0 (in input pixels, height x width)")
    add_define_option(p)
    add_warning_options(p)
    add_input_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    result = check_models(args)
    if isinstance(result, int):
        return result
    if args.format == "json":
        print(json.dumps({"models": [summary_dict(g) for g in result.graphs]}, indent=2))
    else:
        print("\n\n".join(summary_text(g, not args.no_variables, args.receptive_field)
                            for g in result.graphs))
    return EXIT_OK
