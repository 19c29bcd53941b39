"""Diagnostics as data: spans, error codes, and the collector every stage writes to.

A diagnostic is a plain record (span, severity, code, message, notes). Stages append to a
:class:`Diagnostics` collector and keep going where they can; the pipeline raises
:class:`CompileError` once, at the end of a stage that produced errors. Rendering (text, JSON,
GitHub annotations, SARIF) lives in :mod:`slimdsl.render` and never in the stages.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file. Lines and columns are 1-based; ``end_column`` is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def point(path: str, line: int, column: int) -> Span:
        """A one-character span at ``line:column``."""
        return Span(path, line, column, line, column + 1)

    def to(self, other: Span) -> Span:
        """The span from the start of ``self`` to the end of ``other``."""
        return Span(self.path, self.line, self.column, other.end_line, other.end_column)


UNKNOWN_SPAN = Span("<unknown>", 1, 1, 1, 2)


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """A stable diagnostic code: the name users grep for and CI tools key rules on."""

    name: str
    title: str
    description: str


#: Every code slimdsl can emit, in documentation order. ``docs/errors.md`` is checked against it.
CODES: dict[str, ErrorCode] = {}


def _code(name: str, title: str, description: str) -> ErrorCode:
    code = ErrorCode(name, title, description)
    CODES[name] = code
    return code


SYNTAX = _code("syntax", "Syntax error", "The text is not valid .slim syntax.")
ENCODING = _code("encoding", "Unreadable text", "The file is not UTF-8 text or contains NUL bytes.")
TOO_DEEP = _code("too-deep", "Nesting too deep",
                 "Brackets or blocks are nested deeper than the compiler's limit.")
IMPORT = _code("import", "Import failed", "An imported file cannot be found or read.")
UNKNOWN_LAYER = _code("unknown-layer", "Unknown layer or block",
                      "A call names no layer of the registry and no block in scope.")
UNKNOWN_ARGUMENT = _code("unknown-argument", "Unknown argument",
                         "A keyword argument is not a parameter of the layer or block.")
MISSING_ARGUMENT = _code("missing-argument", "Missing argument",
                         "A required argument was not given and no arg_scope provides it.")
DUPLICATE_ARGUMENT = _code("duplicate-argument", "Argument given twice",
                           "An argument is given both positionally and by keyword, or twice.")
TOO_MANY_ARGUMENTS = _code("too-many-arguments", "Too many positional arguments",
                           "A call passes more positional arguments than the layer takes.")
BAD_VALUE = _code("bad-value", "Invalid argument value",
                  "An argument has the wrong type or a value outside its allowed range.")
UNKNOWN_NAME = _code("unknown-name", "Unknown name",
                     "A name refers to no parameter, tensor, loop variable or builtin.")
REDEFINED = _code("redefined", "Name defined twice",
                  "A model, block, parameter or input is defined twice.")
SCOPE_NAME = _code("scope-name", "Invalid or duplicate scope name",
                   "A scope name is not a valid TensorFlow name, or reuses variables.")
ARG_SCOPE = _code("arg-scope", "Invalid arg_scope",
                  "An arg_scope lists a non-layer, or sets a key none of its layers accept.")
SHAPE = _code("shape", "Shape error",
              "A layer cannot be applied to its input's shape (e.g. a kernel larger than the "
              "input with VALID padding).")
RANK = _code("rank", "Wrong rank", "A layer received a tensor of a rank it does not accept.")
INCOMPATIBLE = _code("incompatible-shapes", "Incompatible shapes",
                     "Tensors combined by concat or add have incompatible shapes.")
ASSERTION = _code("assertion", "Assertion failed", "An `assert` in the spec does not hold.")
EXPRESSION = _code("expression", "Invalid expression",
                   "An expression cannot be evaluated (type error, division by zero, ...).")
STRUCTURE = _code("structure", "Invalid model structure",
                  "A statement is in the wrong place, or a model has no input/output.")
RECURSION = _code("recursion", "Recursive block", "A block calls itself, directly or not.")
BUDGET = _code("budget", "Over budget", "A model exceeds --max-params or --max-flops.")
IO = _code("io", "I/O error", "A path cannot be read or written.")
INTERNAL = _code("internal", "Internal compiler error",
                 "slimc itself failed on this input. This is a bug in slimc: please report it "
                 "with the input file. The message names the Python exception.")


@dataclass(frozen=True, slots=True)
class Note:
    """Extra context attached to a diagnostic; may point elsewhere in the source."""

    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: where, how bad, which stable code, what, and supporting notes."""

    span: Span
    severity: str  # "error" | "warning" | "note"
    code: str
    message: str
    notes: tuple[Note, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass
class Diagnostics:
    """Collects diagnostics of one compilation; stages append and continue where they can."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, span: Span, code: ErrorCode, message: str,
              notes: Iterable[Note | str] = ()) -> Diagnostic:
        return self._add(span, "error", code, message, notes)

    def warning(self, span: Span, code: ErrorCode, message: str,
                notes: Iterable[Note | str] = ()) -> Diagnostic:
        return self._add(span, "warning", code, message, notes)

    def _add(self, span: Span, severity: str, code: ErrorCode, message: str,
             notes: Iterable[Note | str]) -> Diagnostic:
        note_objs = tuple(n if isinstance(n, Note) else Note(n) for n in notes)
        diag = Diagnostic(span, severity, code.name, message, note_objs)
        self.extend((diag,))  # the same root cause reached twice is reported once
        return diag

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        # A set next to the list keeps this linear: a file may have 100,000 errors. It is
        # rebuilt when ``items`` was changed directly.
        seen = self.__dict__.get("_seen")
        if seen is None or len(seen) != len(self.items):
            seen = self.__dict__["_seen"] = set(self.items)
        for d in diags:
            if d not in seen:
                seen.add(d)
                self.items.append(d)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.span.path, d.span.line, d.span.column))

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self.items)


class CompileError(Exception):
    """Raised at the end of a stage that found errors; carries every diagnostic collected."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics,
                                  key=lambda d: (d.span.path, d.span.line, d.span.column))
        first = self.diagnostics[0] if self.diagnostics else None
        summary = f"{first.span.path}:{first.span.line}:{first.span.column}: {first.message}" \
            if first else "compilation failed"
        super().__init__(summary)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A " (did you mean 'x'?)" suffix for the closest candidate, or "".

    >>> did_you_mean("conv2", ["conv2d", "fully_connected"])
    " (did you mean 'conv2d'?)"
    >>> did_you_mean("zzz", ["conv2d"])
    ''
    """
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""
