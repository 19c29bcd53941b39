"""The Python API: the stages chained (parse -> lower -> account [-> generate]) and file handling.

Everything the CLI does goes through these functions; none of them imports TensorFlow.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

from . import diagnostics as dg
from .accounting import account_collecting
from .diagnostics import CompileError, Diagnostic, Diagnostics, Span
from .frontend.parser import MAX_SOURCE_BYTES
from .frontend.program import Program, load_program, read_text
from .ir import Graph
from .lower import GivenShapes, lower_collecting
from .records import dataclass, field

SOURCE_SUFFIX = ".slim"


@dataclass
class CheckResult:
    """The outcome of checking one file: its diagnostics and the models it defines."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    graphs: list[Graph] = field(default_factory=list)
    source: str | None = None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def check_source(text: str, path: str = "<string>", *, models: Iterable[str] | None = None,
                 overrides: dict[str, Any] | None = None,
                 inputs: GivenShapes | None = None) -> CheckResult:
    """Parse, lower and account every model of a source text, collecting all diagnostics.

    ``inputs`` checks at concrete input shapes (``--input images=[1,512,384,3]``), binding the
    named dimensions. Never raises for bad input. A failure of slimc itself becomes an
    ``internal`` diagnostic (and exit code 2) instead of a traceback; the fuzz tests treat one as
    a bug.
    """
    try:
        return _check_source(text, path, models, overrides, inputs)
    except Exception as exc:  # noqa: BLE001 - the last line of defence, reported as a bug
        diag = Diagnostic(Span.point(path, 1, 1), "error", dg.INTERNAL.name,
                          f"internal compiler error: {type(exc).__name__}: {exc}",
                          (dg.Note("this is a bug in slimc; please report it with this file"),))
        return CheckResult(path, [diag], source=text)


def _check_source(text: str, path: str, models: Iterable[str] | None,
                  overrides: dict[str, Any] | None, inputs: GivenShapes | None) -> CheckResult:
    result = CheckResult(path, source=text)
    diags = Diagnostics()
    try:
        program = load_program(text, path)
    except CompileError as exc:
        result.diagnostics = exc.diagnostics
        return result
    except RecursionError:
        diags.error(Span.point(path, 1, 1), dg.TOO_DEEP,
                    "expression nested too deeply to analyse")
        result.diagnostics = diags.sorted()
        return result
    names = list(models) if models is not None else [m.name for m in program.own_models]
    if not names and not program.root.blocks:  # a file of blocks only is a library
        diags.error(Span.point(path, 1, 1), dg.STRUCTURE, "no model defined in this file",
                    ["a file defines models with: model NAME(params) { ... }"])
    for name in names:
        try:
            graph = lower_collecting(program, name, overrides, diags, inputs)
            if graph is not None:  # also after errors: a variable clash before them is found
                account_collecting(graph, diags)
                if graph.dims:  # named input sizes: the solver is loaded only for them
                    from .lower.sizes import solve_sizes
                    solve_sizes(graph, diags)
            if graph is not None:
                result.graphs.append(graph)
        except RecursionError:
            diags.error(Span.point(path, 1, 1), dg.TOO_DEEP,
                        "expression nested too deeply to analyse")
    result.diagnostics = diags.sorted()
    return result


def check_file(path: str, **kwargs: Any) -> CheckResult:
    """Check the file at ``path`` (``-`` reads standard input); I/O problems are diagnostics."""
    try:
        text, shown = read_source(path)
    except SourceError as exc:
        return CheckResult(exc.path, [exc.diagnostic])
    return check_source(text, shown, **kwargs)


def compile_source(text: str, path: str = "<string>", *, model: str | None = None,
                   overrides: dict[str, Any] | None = None,
                   inputs: GivenShapes | None = None) -> Graph:
    """Chain the stages for one model; raise :class:`CompileError` with every diagnostic."""
    result = check_source(text, path, models=[model] if model else None, overrides=overrides,
                          inputs=inputs)
    if not result.ok:
        raise CompileError(result.diagnostics)
    if not result.graphs:
        raise CompileError([Diagnostic(Span.point(path, 1, 1), "error", dg.STRUCTURE.name,
                                       "no model defined in this file")])
    return result.graphs[0]


def compile_file(path: str, **kwargs: Any) -> Graph:
    """:func:`compile_source` on a file (``-`` for standard input)."""
    try:
        text, shown = read_source(path)
    except SourceError as exc:
        raise CompileError([exc.diagnostic]) from None
    return compile_source(text, shown, **kwargs)


class SourceError(Exception):
    """A source path could not be read; carries an ``io`` diagnostic."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path
        self.diagnostic = Diagnostic(Span.point(path, 1, 1), "error", dg.IO.name, message)


def read_source(path: str) -> tuple[str, str]:
    """Return (text, display path); ``-`` is standard input. Raises :class:`SourceError`."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_SOURCE_BYTES + 1)
        shown = "<stdin>"
    else:
        shown = path
        if os.path.isdir(path):
            raise SourceError(path, f"{path} is a directory, not a .slim file")
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_SOURCE_BYTES + 1)  # bounded: /dev/zero is a path too
        except OSError as exc:
            raise SourceError(path, f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(shown, f"{shown} is larger than {MAX_SOURCE_BYTES:,} bytes, the "
                                 f"largest source slimc reads")
    try:
        return data.decode("utf-8-sig"), shown
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        err = SourceError(shown, f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be "
                                 f"decoded")
        err.diagnostic = Diagnostic(Span.point(shown, line, col), "error", dg.ENCODING.name,
                                    err.diagnostic.message)
        raise err from None


def expand_paths(paths: Iterable[str]) -> tuple[list[str], list[Diagnostic]]:
    """Files to check: files as given, folders searched recursively for ``*.slim``."""
    files: list[str] = []
    problems: list[Diagnostic] = []
    for p in paths:
        if p == "-":
            files.append(p)
        elif os.path.isdir(p):
            found = []
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, name) for name in sorted(names)
                             if name.endswith(SOURCE_SUFFIX))
            files.extend(found)
        elif os.path.exists(p):
            files.append(p)
        else:
            problems.append(Diagnostic(Span.point(p, 1, 1), "error", dg.IO.name,
                                       f"{p}: no such file or directory"))
    return files, problems


__all__ = ["CheckResult", "CompileError", "Program", "check_file", "check_source",
           "compile_file", "compile_source", "expand_paths", "read_source", "read_text"]
