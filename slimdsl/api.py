"""The Python API: the stages chained (parse -> lower -> account [-> generate]) and file handling.

Everything the CLI does goes through these functions; none of them imports TensorFlow.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import diagnostics as dg
from .accounting import account_collecting
from .diagnostics import CompileError, Diagnostic, Diagnostics, Span
from .frontend.parser import MAX_SOURCE_BYTES
from .frontend.program import Program, load_program, read_text
from .ir import Graph
from .lint import LintCache, LintOptions, ignored, source_of
from .lint import lint as run_lints
from .lower import GivenShapes, lower_collecting
from .records import dataclass, field, replace

if TYPE_CHECKING:  # the language server's; a check does not import them
    from .lower.incremental import Change, IncrementalModel

SOURCE_SUFFIX = ".slim"


@dataclass(repr=False)
class CheckResult:
    """The outcome of checking one file: its diagnostics and the models it defines.

    ``str(result)`` is what ``slimc check`` prints for it (each diagnostic with its source line
    and caret, then the count); the repr is one line.
    """

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    graphs: list[Graph] = field(default_factory=list)
    source: str | None = None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def format(self, color: bool = False) -> str:
        """Every diagnostic in the printer's text form, then ``Found N errors...``."""
        from .diagnostics.printer import count_summary
        parts = [d.format(color=color) for d in self.diagnostics]
        return "\n".join(parts + [count_summary([(self.path, self.diagnostics)])])

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        errors = sum(1 for d in self.diagnostics if d.is_error)
        others = len(self.diagnostics) - errors
        state = "ok" if self.ok else f"{errors} error{'s' if errors != 1 else ''}"
        if others:
            state += f", {others} other diagnostic{'s' if others != 1 else ''}"
        models = ", ".join(g.name for g in self.graphs)
        return f"<CheckResult {self.path}: {state}; models: {models or 'none'}>"


def parse_value(text: str) -> Any:
    """A compile-time value written as in .slim (``relu``, ``leaky_relu(alpha=0.1)``,
    ``truncated_normal(0.01)``, ``none``, ``[3, 3]``, ``2 ** 3``), as ``-D name=value`` takes
    it; raise ValueError when ``text`` is not one."""
    from .frontend.parser import parse_expression
    from .lower.evaluate import Env, EvalError, Evaluator, Poisoned
    from .values import ACTIVATIONS, TensorValue

    def no_graph(*args: Any) -> Any:
        raise ValueError(f"{text!r} is not a compile-time value")

    def call(e: Any, env: Env) -> Any:  # leaky_relu(alpha=0.1): an activation value
        if e.func in ACTIVATIONS and not e.args:
            return evaluator.activation_value(e, env)
        return no_graph()

    evaluator = Evaluator(call, no_graph)
    try:
        value = evaluator.eval(parse_expression(text), Env())
    except CompileError as e:
        raise ValueError(e.diagnostics[0].message if e.diagnostics else text) from None
    except (EvalError, Poisoned) as e:
        raise ValueError(getattr(e, "message", text)) from None
    if isinstance(value, TensorValue):  # pragma: no cover - no tensors exist here
        raise ValueError(f"{text!r} is not a compile-time value")
    return value


def check_source(text: str, path: str = "<string>", *, models: Iterable[str] | None = None,
                 overrides: dict[str, Any] | None = None,
                 inputs: GivenShapes | None = None,
                 lint: LintOptions | None = None) -> CheckResult:
    """Parse, lower and account every model of a source text, collecting all diagnostics.

    ``overrides`` replace parameter defaults; ``inputs`` checks at concrete input shapes
    (``--input images=[1,512,384,3]``, same rank; ``None`` dimensions unknown), binding the
    named sizes. The lints (:mod:`slimdsl.lint`) add their warnings, chosen by ``lint`` (the
    default ones when None), and check the code the lowering never ran.

    Never raises for bad input. A failure of slimc itself becomes an ``internal`` diagnostic
    (and exit code 2) instead of a traceback; the fuzz tests treat one as a bug.
    """
    try:
        return _check_source(text, path, models, overrides, inputs, lint)
    except Exception as exc:  # noqa: BLE001 - the last line of defence, reported as a bug
        diag = Diagnostic(Span.point(path, 1, 1), "error", dg.INTERNAL.name,
                          f"internal compiler error: {type(exc).__name__}: {exc}",
                          (dg.Note("this is a bug in slimc; please report it with this file"),))
        return CheckResult(path, [diag], source=text)


def _check_source(text: str, path: str, models: Iterable[str] | None,
                  overrides: dict[str, Any] | None, inputs: GivenShapes | None,
                  lint: LintOptions | None) -> CheckResult:
    result = CheckResult(path, source=text)
    diags = Diagnostics()
    try:
        program = load_program(text, path)
    except CompileError as exc:
        result.diagnostics = _with_sources(exc.diagnostics, {path: text})
        return result
    except RecursionError:
        diags.error(Span.point(path, 1, 1), dg.TOO_DEEP,
                    "expression nested too deeply to analyse")
        result.diagnostics = _with_sources(diags.sorted(), {path: text})
        return result
    names = list(models) if models is not None else [m.name for m in program.own_models]
    diags.extend(program_diagnostics(program, names))
    covered: set[int] = set()  # the statement lists the lowering ran
    clean: list[Graph] = []  # lowered without errors: the graph lints need whole graphs
    for name in names:
        graph, found = check_model(program, name, overrides, inputs=inputs, covered=covered)
        diags.extend(found)
        if graph is not None:
            result.graphs.append(graph)
            if not any(d.is_error for d in found):
                clean.append(graph)
    diags.extend(lint_diagnostics(program, clean, names, covered, diags.items, lint))
    # `# slimc: ignore[CODE]` silences any warning on its line (some-sizes too), not errors
    kept = [d for d in diags.sorted() if d.is_error or not ignored(d, program.sources)]
    result.diagnostics = _with_sources(kept, program.sources)
    return result


def program_diagnostics(program: Program, names: list[str]) -> list[Diagnostic]:
    """What is wrong with a loaded program as a whole: a file with no model and no block (a
    file of blocks only is a library) when no model was asked for."""
    if names or program.root.blocks:
        return []
    return [Diagnostic(Span.point(program.root.path, 1, 1), "error", dg.STRUCTURE.name,
                       "no model defined in this file",
                       (dg.Note("a file defines models with: model NAME(params) { ... }"),))]


def check_model(program: Program, name: str, overrides: dict[str, Any] | None = None, *,
                incremental: IncrementalModel | None = None, change: Change | None = None,
                inputs: GivenShapes | None = None,
                covered: set[int] | None = None,
                account: Callable[[Graph, Diagnostics], None] | None = None
                ) -> tuple[Graph | None, list[Diagnostic]]:
    """Lower and account the model ``name`` of ``program``: its (possibly partial) graph, or
    None, and its diagnostics.

    Models are independent: the language server re-checks only the models an edit can change.
    With ``incremental`` (the model's state from the last check) and ``change`` (the lines the
    edit changed), lowering resumes where the edit is (:mod:`slimdsl.lower.incremental`) and
    accounting keeps the layers it kept. ``inputs`` give concrete input shapes (a full
    lowering only: the editor's incremental one never passes them). ``covered`` collects the
    ids of the statement lists a full lowering ran (for :func:`lint_diagnostics`). ``account``
    replaces the accounting (the language server's keeps state between edits: it must do
    what ``account_collecting(graph, diags, reuse=True)`` does).
    """
    diags = Diagnostics()
    graph = None
    try:
        if incremental is None:
            graph = lower_collecting(program, name, overrides, diags, inputs, covered)
        else:
            graph, lowered = incremental.lower(program, change)
            diags.extend(lowered.items)
        if graph is not None:  # also after errors: a variable clash before them is found
            if account is not None:
                account(graph, diags)
            else:
                account_collecting(graph, diags, reuse=incremental is not None)
            if graph.dims:  # named input sizes: the solver is loaded only for them
                from .lower.sizes import solve_sizes
                solve_sizes(graph, diags)
    except RecursionError:
        if incremental is not None:
            incremental.complete = False
        diags.error(Span.point(program.root.path, 1, 1), dg.TOO_DEEP,
                    "expression nested too deeply to analyse")
    return graph, diags.items


def lint_diagnostics(program: Program, graphs: Iterable[Graph], names: Iterable[str],
                     covered: set[int] | None, found: Iterable[Diagnostic] = (),
                     options: LintOptions | None = None,
                     cache: LintCache | None = None) -> list[Diagnostic]:
    """The lints' findings (:mod:`slimdsl.lint`) for a checked program: its warnings (chosen by
    ``options``) and the errors in the code the lowering never ran.

    ``graphs``: the models of ``names`` lowered without errors; ``covered``: the statement
    lists the lowering ran (from :func:`check_model`), or None when unknown (an incremental
    lowering): then only blocks nothing in the file calls are checked without values.
    ``found``: the diagnostics so far (an error in a model silences its unused-name warnings).
    ``cache``: kept by a caller that lints successive versions of one file (the language
    server), so that what an edit did not touch is not looked at again.
    """
    diags = Diagnostics(list(found))
    before = len(diags.items)
    try:
        run_lints(program, graphs, names, covered, diags, options, cache)
    except RecursionError:
        diags.error(Span.point(program.root.path, 1, 1), dg.TOO_DEEP,
                    "expression nested too deeply to analyse")
    return diags.items[before:]


def _with_sources(diags: list[Diagnostic], sources: dict[str, str]) -> list[Diagnostic]:
    """The diagnostics, each knowing the text of the file it points into (for ``str(d)``)."""
    out = []
    for d in diags:
        text = source_of(d.span.path, sources)
        out.append(replace(d, source=text) if text is not None else d)
    return out


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
    """Chain the stages for one model; raise :class:`CompileError` with every diagnostic.

    ``model`` names the model to compile; it may be left out when the file defines one (a file
    of several asks which, in the error). ``overrides`` replace parameter defaults; ``inputs``
    gives concrete input shapes (binding the named sizes).
    """
    result = check_source(text, path, models=[model] if model else None, overrides=overrides,
                          inputs=inputs)
    if not result.ok:
        raise CompileError(result.diagnostics)
    if model is None and len(result.graphs) > 1:
        names = ", ".join(g.name for g in result.graphs)
        raise CompileError([Diagnostic(
            Span.point(path, 1, 1), "error", dg.STRUCTURE.name,
            f"{path} defines {len(result.graphs)} models ({names}): say which one to compile",
            (dg.Note(f"compile_file({path!r}, model={result.graphs[0].name!r})"),),
            source=text)])
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
    return decode_source(data, shown)


def decode_source(data: bytes, shown: str) -> tuple[str, str]:
    """The text of a source read as bytes (UTF-8, a BOM allowed); raises :class:`SourceError`
    when it is too large or not UTF-8."""
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


__all__ = ["CheckResult", "CompileError", "LintOptions", "Program", "check_file", "check_model",
           "check_source", "compile_file", "compile_source", "expand_paths", "lint_diagnostics",
           "program_diagnostics", "read_source", "read_text"]
