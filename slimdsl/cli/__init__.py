"""``slimc``: a thin command-line shell over :mod:`slimdsl.api`.

Each subcommand is a module of this package (``register`` + ``run``), listed in
:data:`COMMANDS`. Exit codes: 0 clean, 1 findings, 2 usage or I/O errors. ``check`` and
``summary`` never import TensorFlow.
``slimc model.slim -o model.py`` is short for ``slimc compile model.slim -o model.py``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from .common import EXIT_OK, EXIT_USAGE

#: The subcommands in help order; a new command is a new module here plus one entry.
COMMANDS = ("check", "summary", "fmt", "compile", "run", "train", "eval", "data", "graph",
            "explain", "lsp")
GC_THRESHOLD = 50_000  # gen-0 allocations between collections during a run


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage errors exit 2, as ours do
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(only: str | None = None) -> tuple[argparse.ArgumentParser, dict]:
    """The argument parser and the command modules (``only``: of that command alone, so that
    ``slimc check`` does not import the formatter, the graph drawer or the code generator)."""
    parser = _Parser(prog="slimc",
                     description="Check, summarise and compile .slim neural network specs.")
    parser.add_argument("--version", action="version", version=f"slimc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules = {}
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f".{name}", __name__)
        module.register(sub)
        modules[name] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``slimc``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].endswith(".slim") and "compile" in COMMANDS:
        argv.insert(0, "compile")  # slimc model.slim -o model.py
    parser, modules = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # Compiling allocates many small objects and few reference cycles; with the default gen-0
    # threshold (700) the cycle collector keeps rescanning a growing heap, which costs 15-25%
    # on 10,000-layer models (docs/performance.md). Raised for this run, restored for callers.
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], GC_THRESHOLD), *thresholds[1:])
    try:
        return modules[args.command].run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    finally:
        gc.set_threshold(*thresholds)
