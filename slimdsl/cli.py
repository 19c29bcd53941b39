"""``slimc``: a thin command-line shell over :mod:`slimdsl.api`.

Exit codes: 0 clean, 1 findings (diagnostics), 2 usage or I/O errors. ``check`` and ``summary``
never import TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from . import __version__
from . import render
from .api import CheckResult, check_file, expand_paths

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
COMMANDS = ("check", "summary")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2, which is our usage code too
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _use_color(stream, flag: str) -> bool:
    if flag == "always":
        return True
    if flag == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"


def _parse_define(text: str) -> tuple[str, Any]:
    """``-D name=value``: the value is JSON (``10``, ``true``, ``[1, 2]``) or a bare string."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    name, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name.strip(), value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="slimc", description="Check, summarise and compile .slim networks.")
    parser.add_argument("--version", action="version", version=f"slimc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="parse and shape-check files or folders")
    check.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - (stdin)")
    check.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.add_argument("-D", "--define", action="append", type=_parse_define, default=[],
                       metavar="NAME=VALUE", help="override a model parameter")

    summary = sub.add_parser("summary", help="per-layer table, totals and variables")
    summary.add_argument("path", metavar="FILE")
    summary.add_argument("--format", choices=("text", "json"), default="text")
    summary.add_argument("--model", help="which model of the file (default: all)")
    summary.add_argument("--no-variables", action="store_true", help="omit the variable list")
    summary.add_argument("-D", "--define", action="append", type=_parse_define, default=[],
                         metavar="NAME=VALUE", help="override a model parameter")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``slimc``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return {"check": _cmd_check, "summary": _cmd_summary}[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _emit_diagnostics(results: list[CheckResult], fmt: str, color: bool, out) -> None:
    pairs = [(r.path, r.diagnostics) for r in results]
    if fmt == "json":
        print(render.format_json(pairs), file=out)
    elif fmt == "sarif":
        print(render.format_sarif(pairs), file=out)
    elif fmt == "github":
        for r in results:
            for d in r.diagnostics:
                print(render.format_github(d), file=out)
        print(render.count_summary(pairs), file=out)
    else:
        for r in results:
            for d in r.diagnostics:
                print(render.format_text(d, r.source, color), file=out)
        print(render.count_summary(pairs), file=out)


def _cmd_check(args: argparse.Namespace) -> int:
    files, missing = expand_paths(args.paths)
    results = [CheckResult(d.span.path, [d]) for d in missing]
    overrides = dict(args.define) or None
    for path in files:
        results.append(check_file(path, overrides=overrides))
    if not files and not missing:
        print("slimc: error: no .slim files found in " + ", ".join(args.paths), file=sys.stderr)
        return EXIT_USAGE
    _emit_diagnostics(results, args.format, _use_color(sys.stdout, args.color), sys.stdout)
    if missing or any(d.code in ("io",) for r in results for d in r.diagnostics):
        return EXIT_USAGE
    return EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS


def _cmd_summary(args: argparse.Namespace) -> int:
    from .summary import summary_dict, summary_text
    result = check_file(args.path, models=[args.model] if args.model else None,
                        overrides=dict(args.define) or None)
    if not result.ok:
        _emit_diagnostics([result], "text", _use_color(sys.stderr, "auto"), sys.stderr)
        return EXIT_USAGE if any(d.code == "io" for d in result.diagnostics) else EXIT_FINDINGS
    if args.format == "json":
        print(json.dumps({"models": [summary_dict(g) for g in result.graphs]}, indent=2))
    else:
        print("\n\n".join(summary_text(g, not args.no_variables) for g in result.graphs))
    return EXIT_OK
