"""Helpers shared by the subcommands: exit codes, colour, ``-D`` parsing, diagnostic output."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, TextIO

from ..api import CheckResult, LintOptions, parse_value
from ..diagnostics import Note, did_you_mean, printer
from ..lint import WARNING_CODES
from ..records import replace

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def use_color(stream: TextIO, flag: str = "auto") -> bool:
    """Colour when asked, or on a terminal unless NO_COLOR is set (no-color.org)."""
    if flag == "always":
        return True
    if flag == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"


def parse_define(text: str) -> tuple[str, Any]:
    """``-D name=value``: the value is JSON (``10``, ``true``, ``[1, 2]``), else a .slim value
    (``relu``, ``leaky_relu(alpha=0.1)``, ``truncated_normal(0.01)``, ``none``), else a bare
    string (``FAN_OUT``; quote one that is also a .slim name: ``-D name='"relu"'``)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    name, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        try:
            value = parse_value(raw)
        except ValueError:
            value = raw
    return name.strip(), value


def add_define_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-D", "--define", action="append", type=parse_define, default=[],
                        metavar="NAME=VALUE", help="override a model parameter (JSON value)")


def warning_code(text: str) -> str:
    """A warning code for ``--warn``/``--no-warn`` (or ``all``)."""
    if text in WARNING_CODES or text == "all":
        return text
    raise argparse.ArgumentTypeError(
        f"unknown warning {text!r}{did_you_mean(text, WARNING_CODES)}; warnings: "
        f"{', '.join(WARNING_CODES)}, all")


def add_warning_options(parser: argparse.ArgumentParser) -> None:
    """``--warn CODE``, ``--no-warn CODE`` and ``--warnings-as-errors``."""
    parser.add_argument("--warn", action="append", type=warning_code, default=[],
                        metavar="CODE", help="report this warning (also one off by default; "
                        "'all' for every one)")
    parser.add_argument("--no-warn", action="append", type=warning_code, default=[],
                        metavar="CODE", help="do not report this warning ('all': none)")
    parser.add_argument("--warnings-as-errors", action="store_true",
                        help="report warnings as errors (exit 1), for CI")


def lint_options(args: argparse.Namespace) -> LintOptions:
    """The :class:`LintOptions` of a command's ``--warn``/``--no-warn``."""
    return LintOptions(frozenset(getattr(args, "warn", None) or ()),
                       frozenset(getattr(args, "no_warn", None) or ()))


def apply_warning_policy(results: list[CheckResult], args: argparse.Namespace) -> None:
    """With ``--warnings-as-errors``, every warning of ``results`` becomes an error."""
    if not getattr(args, "warnings_as_errors", False):
        return
    note = Note("reported as an error because of --warnings-as-errors")
    for r in results:
        r.diagnostics = [replace(d, severity="error", notes=d.notes + (note,))
                         if d.severity == "warning" else d for d in r.diagnostics]


def parse_input_shape(text: str) -> tuple[str, tuple[int | None, ...]]:
    """``--input images=[1,512,384,3]``: check at this input shape (``?`` keeps a dimension
    unknown). The named sizes of the input (``H``, ``W``) take the values given.

    >>> parse_input_shape("images=[1, 512, 384, 3]"), parse_input_shape("x=[?,7]")
    (('images', (1, 512, 384, 3)), ('x', (None, 7)))
    """
    name, sep, raw = text.partition("=")
    name = name.strip()
    try:
        value = json.loads(raw.replace("?", "null")) if sep else None
    except json.JSONDecodeError:
        value = None
    if not name.isidentifier() or not isinstance(value, list) or not all(
            d is None or (type(d) is int and d >= 1) for d in value):
        raise argparse.ArgumentTypeError(
            f"expected NAME=[d, ...] with dimensions >= 1 or ?, such as images=[1,512,384,3], "
            f"got {text!r}")
    return name, tuple(value)


def add_input_option(parser: argparse.ArgumentParser) -> None:
    """``--input NAME=[d, ...]`` (repeatable): check a model at concrete input shapes."""
    parser.add_argument("--input", dest="input_shapes", action="append",
                        type=parse_input_shape, default=[], metavar="NAME=[d,...]",
                        help="check at this input shape, binding its named sizes "
                             "(e.g. images=[1,512,384,3])")


def positive(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def load_model(args: argparse.Namespace, start_runtime: bool) -> Any:
    """(tf, graph, module, class name) for the command's model (compiled in memory and
    imported), or an exit code after printing why."""
    from ..diagnostics import CompileError

    result = check_models(args)
    if isinstance(result, int):
        return result
    from ..backends.tensorflow.codegen import class_names, generate

    graph = result.graphs[0]
    try:
        code = generate(graph, result.path)
    except CompileError as exc:
        result.diagnostics = exc.diagnostics
        emit_diagnostics([result], "text", use_color(sys.stderr), sys.stderr)
        return EXIT_FINDINGS
    from ..backends.tensorflow import run as br

    try:
        tf = br.import_tensorflow(start_runtime=start_runtime)
    except ImportError as exc:
        print(f"slimc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return tf, graph, br.load_module(code, graph.name), class_names([graph])[0]


def emit_diagnostics(results: list[CheckResult], fmt: str, color: bool, out: TextIO,
                     summary_line: bool = True) -> None:
    """Print every diagnostic of ``results`` in ``fmt`` (text, json, github, sarif)."""
    pairs = [(r.path, r.diagnostics) for r in results]
    if fmt == "json":
        print(printer.format_json(pairs), file=out)
    elif fmt == "sarif":
        print(printer.format_sarif(pairs), file=out)
    else:
        for r in results:
            for d in r.diagnostics:
                text = printer.format_github(d) if fmt == "github" else \
                    printer.format_text(d, r.source, color)
                print(text, file=out)
        if summary_line:
            print(printer.count_summary(pairs), file=out)


def check_models(args: argparse.Namespace) -> CheckResult | int:
    """Check ``args.path`` (with ``--model`` and ``-D``) for a command that needs its models.

    Warnings (``--warn``, ``--no-warn``, ``--warnings-as-errors``) are printed to stderr.
    Returns the result when it is clean and defines a model; otherwise prints the diagnostics
    (or says that there is no model) to stderr and returns the exit code.
    """
    from ..api import check_file
    result = check_file(args.path, models=[args.model] if getattr(args, "model", None) else None,
                        overrides=dict(getattr(args, "define", None) or []) or None,
                        inputs=dict(getattr(args, "input_shapes", None) or []) or None,
                        lint=lint_options(args))
    apply_warning_policy([result], args)
    if not result.ok:
        emit_diagnostics([result], "text", use_color(sys.stderr), sys.stderr)
        return exit_code([result])
    if result.diagnostics:  # warnings: shown, and the command goes on
        emit_diagnostics([result], "text", use_color(sys.stderr), sys.stderr,
                         summary_line=False)
    if not result.graphs:
        print(f"slimc: error: {result.path} defines no model (only blocks)", file=sys.stderr)
        return EXIT_USAGE
    return result


def exit_code(results: list[CheckResult]) -> int:
    """2 if a path could not be read (or slimc failed), 1 if any error was found, else 0."""
    if any(d.code in ("io", "internal") for r in results for d in r.diagnostics):
        return EXIT_USAGE
    return EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    Readers never see a half-written file, and on any error the old file is left as it was.
    The new file keeps the old one's permission bits (a new file gets the umask's); a symlink
    is followed, so the file it points to is replaced and the link kept.
    """
    if os.path.exists(path) and not os.path.isfile(path):
        # a device or a pipe (-o /dev/null, -o /dev/stdout, a FIFO): write into it; renaming
        # a temporary file over it would replace /dev/null itself when run as root
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        return
    target = os.path.realpath(path)
    directory = os.path.dirname(target) or "."
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    import tempfile  # here: its imports (random, shutil) would slow every slimc check

    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
