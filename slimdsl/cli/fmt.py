"""``slimc fmt [--check] PATH...``: rewrite .slim files in the canonical layout.

Folders are searched recursively for ``*.slim``; ``-`` formats standard input to standard output.
With ``--check`` nothing is written: each file that is not formatted is shown as a unified diff
and the exit code is 1. Files that do not parse are reported (exit 1) and left untouched.

``slimc fmt -`` is a safe filter (an editor's ``formatprg``): a text that does not parse comes out
unchanged on standard output, with exit code 1. Editors that read the filter's standard error
into the buffer too (Vim does) get nothing there with ``--quiet``.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys

from ..api import SourceError, decode_source, expand_paths, read_source
from ..diagnostics import CompileError, printer
from ..frontend.formatter import format_source
from ..frontend.parser import MAX_SOURCE_BYTES
from .common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, use_color, write_atomic

HELP = "format .slim files in the canonical layout (--check: report, change nothing)"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("fmt", help=HELP, description=HELP)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for stdin")
    p.add_argument("--check", action="store_true",
                   help="change nothing; show a diff and exit 1 if a file is not formatted")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing on standard error (the exit code tells); for editors "
                        "that use slimc fmt - as a filter")
    return p


def _rewritable(path: str) -> bool:
    """Only a regular file is rewritten: a pipe or device (``/dev/stdin``) would lose the text,
    and ``/dev/fd/N`` or ``/proc`` paths would reach whatever file the shell redirected."""
    absolute = os.path.abspath(path)
    return os.path.isfile(absolute) and not absolute.startswith(("/dev/", "/proc/"))


def run(args: argparse.Namespace) -> int:
    stderr = open(os.devnull, "w") if args.quiet else sys.stderr
    try:
        return _run(args, stderr)
    finally:
        if args.quiet:
            stderr.close()


def _run(args: argparse.Namespace, stderr) -> int:
    files, missing = expand_paths(args.paths)
    for d in missing:
        print(f"slimc: error: {d.message}", file=stderr)
    if not files:
        if not missing:
            print("slimc: error: no .slim files found in " + ", ".join(args.paths),
                  file=stderr)
        return EXIT_USAGE
    color = use_color(stderr, args.color)
    changed = unchanged = failed = 0
    io_error = bool(missing)
    for path in files:
        raw = sys.stdin.buffer.read(MAX_SOURCE_BYTES + 1) if path == "-" else None
        try:
            text, shown = decode_source(raw, "<stdin>") if raw is not None else \
                read_source(path)
        except SourceError as exc:
            print(printer.format_text(exc.diagnostic, None, color), file=stderr)
            io_error = True
            if raw is not None and not args.check:  # a filter gives back what it cannot read
                sys.stdout.buffer.write(raw)
            continue
        try:
            formatted = format_source(text, shown)
        except CompileError as exc:
            for d in exc.diagnostics:
                print(printer.format_text(d, text, color), file=stderr)
            print(f"slimc: error: cannot format {shown}: it does not parse", file=stderr)
            failed += 1
            if path == "-" and not args.check:
                sys.stdout.write(text)  # a filter gives back what it could not format
            continue
        if path == "-" and not args.check:
            sys.stdout.write(formatted)
            continue
        if formatted == text:
            unchanged += 1
            continue
        if args.check:
            changed += 1
            for line in difflib.unified_diff(
                    text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                    f"{shown} (original)", f"{shown} (formatted)"):
                sys.stdout.write(line if line.endswith("\n") else line + "\n")
            print(f"would reformat {shown}", file=stderr)
        elif not _rewritable(path):
            print(f"slimc: error: cannot rewrite {shown} in place: not a regular file (to "
                  f"format a stream, use: slimc fmt - < FILE)", file=stderr)
            io_error = True
        else:
            try:
                write_atomic(path, formatted)
            except OSError as exc:
                print(f"slimc: error: cannot write {shown}: {exc.strerror or exc}",
                      file=stderr)
                io_error = True
                continue
            changed += 1  # counted once written: a refused or failed file was not reformatted
            print(f"reformatted {shown}", file=stderr)
    if files != ["-"] or args.check:
        verb = "would be reformatted" if args.check else "reformatted"
        parts = [f"{changed} file{'s' if changed != 1 else ''} {verb}",
                 f"{unchanged} file{'s' if unchanged != 1 else ''} already formatted"]
        if failed:
            parts.append(f"{failed} file{'s' if failed != 1 else ''} could not be parsed")
        print(", ".join(parts), file=stderr)
    if io_error:
        return EXIT_USAGE
    if failed or (args.check and changed):
        return EXIT_FINDINGS
    return EXIT_OK
