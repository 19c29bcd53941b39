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
import tempfile

from ..codegen import generate
from ..diagnostics import CompileError
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    add_define_option,
    check_models,
    emit_diagnostics,
    use_color,
)

HELP = "generate a TensorFlow module (one tf.Module class per model)"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("compile", help=HELP, description=HELP + ". Also: slimc FILE -o OUT.py")
    p.add_argument("path", metavar="FILE", help="a .slim file, or - for stdin")
    p.add_argument("-o", "--output", metavar="OUT.py",
                   help="the Python file to write (default: standard output)")
    p.add_argument("--model", help="only this model of the file (default: every model)")
    add_define_option(p)
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
