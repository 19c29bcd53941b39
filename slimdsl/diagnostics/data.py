"""Diagnostics as data: spans, notes, diagnostics, and the collector every stage writes to.

A diagnostic is a plain record (span, severity, code, message, notes). Stages append to a
:class:`Diagnostics` collector and keep going where they can; the pipeline raises
:class:`CompileError` once, at the end of a stage that produced errors.
"""

from __future__ import annotations

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
class Fix:
    """A machine-applicable correction: replace the text at ``span`` with ``text``.

    Editors offer it as a quick fix (the language server's code actions), tools may apply it;
    ``title`` is what a person is shown (``replace 'conv2' with 'conv2d'``).
    """

    span: Span
    text: str
    title: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: where, how bad, which stable code, what, supporting notes, and the fixes
    that would resolve it (a "did you mean" suggestion as data).

    ``source`` is the text of the file the span points into when the API knows it (set by
    :func:`slimdsl.check_source`); it only serves :meth:`format`, so it takes no part in
    comparisons and is left out of the repr.
    """

    span: Span
    severity: str  # "error" | "warning" | "note"
    code: str
    message: str
    notes: tuple[Note, ...] = ()
    fixes: tuple[Fix, ...] = ()
    source: str | None = field(default=None, compare=False, repr=False)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format(self, source: str | None = None, color: bool = False) -> str:
        """The printer's text form: ``path:line:col: error: message [code]``, the source line
        with a caret under the span (when the source text is known), then the notes."""
        from .printer import format_text  # the printer imports this module
        return format_text(self, source if source is not None else self.source, color)

    def __str__(self) -> str:
        return self.format()


@dataclass
class Diagnostics:
    """Collects diagnostics of one compilation; stages append and continue where they can."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, span: Span, code: ErrorCode, message: str,
              notes: Iterable[Note | str] = (), fixes: Iterable[Fix] = ()) -> Diagnostic:
        return self._add(span, "error", code, message, notes, fixes)

    def warning(self, span: Span, code: ErrorCode, message: str,
                notes: Iterable[Note | str] = (), fixes: Iterable[Fix] = ()) -> Diagnostic:
        return self._add(span, "warning", code, message, notes, fixes)

    def _add(self, span: Span, severity: str, code: ErrorCode, message: str,
             notes: Iterable[Note | str], fixes: Iterable[Fix] = ()) -> Diagnostic:
        note_objs = tuple(n if isinstance(n, Note) else Note(n) for n in notes)
        diag = Diagnostic(span, severity, code.name, message, note_objs, tuple(fixes))
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


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` if one is close enough, else None.

    >>> closest("stridee", ["stride", "padding"]), closest("zzz", ["conv2d"])
    ('stride', None)
    """
    import difflib  # only for a diagnostic: a clean check does not load it

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A " (did you mean 'x'?)" suffix for the closest candidate, or "".

    >>> did_you_mean("conv2", ["conv2d", "fully_connected"])
    " (did you mean 'conv2d'?)"
    >>> did_you_mean("zzz", ["conv2d"])
    ''
    """
    match = closest(word, candidates)
    return f" (did you mean '{match}'?)" if match else ""


def suggest(word: str, candidates: Iterable[str], span: Span) -> tuple[str, tuple[Fix, ...]]:
    """:func:`did_you_mean`'s suffix and, with it, the same suggestion as data: a :class:`Fix`
    replacing ``span`` (where ``word`` is written) by the closest candidate.

    >>> text, fixes = suggest("conv2", ["conv2d"], Span("m.slim", 3, 3, 3, 8))
    >>> text, fixes[0].text, fixes[0].title
    (" (did you mean 'conv2d'?)", 'conv2d', "replace 'conv2' with 'conv2d'")
    """
    match = closest(word, candidates)
    if match is None:
        return "", ()
    return (f" (did you mean '{match}'?)",
            (Fix(span, match, f"replace '{word}' with '{match}'"),))
