"""Diagnostics as data: spans, notes, diagnostics, and the collector every stage writes to.

A diagnostic is a plain record (span, severity, code, message, notes). Stages append to a
:class:`Diagnostics` collector and keep going where they can; the pipeline raises
:class:`CompileError` once, at the end of a stage that produced errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from ..records import dataclass, field
from .codes import ErrorCode


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
