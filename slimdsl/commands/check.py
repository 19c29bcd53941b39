"""``slimc check PATH...``: parse and shape-check files and folders (recursively)."""

from __future__ import annotations

import argparse
import sys

from ..api import CheckResult, check_file, expand_paths
from .common import EXIT_USAGE, add_define_option, emit_diagnostics, exit_code, use_color

HELP = "parse and shape-check .slim files or folders"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("check", help=HELP, description=HELP)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for stdin")
    p.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    add_define_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    files, missing = expand_paths(args.paths)
    if not files and not missing:
        print("slimc: error: no .slim files found in " + ", ".join(args.paths), file=sys.stderr)
        return EXIT_USAGE
    results = [CheckResult(d.span.path, [d]) for d in missing]
    overrides = dict(args.define) or None
    results.extend(check_file(path, overrides=overrides) for path in files)
    emit_diagnostics(results, args.format, use_color(sys.stdout, args.color), sys.stdout)
    return exit_code(results)
