"""slimdsl diagnostics as LSP diagnostics, faithfully: the span, the severity, the stable code,
the message, every note (a note that points somewhere is ``relatedInformation``, one that does
not is appended to the message) and the fixes of a "did you mean" (in ``data``, for the code
actions).

A diagnostic in another file (an imported block that cannot take this file's tensor, a syntax
error in an import) is shown where this file leads to it: the outermost call site among its
notes, else the import statement that brought the file in; the original place is the first
related location.
"""

from __future__ import annotations

import os

from lsprotocol import types as lsp

from ..diagnostics import Diagnostic, Span
from .text import Lines, path_to_uri, same_file
from .workspace import Analysis, file_key

SOURCE = "slimc"

SEVERITIES = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "note": lsp.DiagnosticSeverity.Information,
    "info": lsp.DiagnosticSeverity.Information,
    "hint": lsp.DiagnosticSeverity.Hint,
}


class Locator:
    """Ranges and locations of spans in the files of one analysis (the document and what it
    imports), in the client's position encoding."""

    def __init__(self, analysis: Analysis):
        self.analysis = analysis
        self._lines: dict[str, Lines] = {file_key(analysis.path): analysis.lines}

    def lines(self, path: str) -> Lines:
        key = file_key(path)
        found = self._lines.get(key)
        if found is None:
            text = self.analysis.deps.get(key)
            if text is None and self.analysis.program is not None:
                text = self.analysis.program.sources.get(key)
            found = self._lines[key] = Lines(text or "", path, self.analysis.lines.encoding)
        return found

    def range(self, span: Span) -> lsp.Range:
        return self.lines(span.path).range(span)

    def location(self, span: Span) -> lsp.Location:
        return lsp.Location(path_to_uri(span.path), self.range(span))


def to_lsp(diag: Diagnostic, locator: Locator) -> lsp.Diagnostic:
    """One diagnostic of the analysed document (see the module's docstring)."""
    analysis = locator.analysis
    related: list[lsp.DiagnosticRelatedInformation] = []
    message = diag.message
    span = diag.span
    if not same_file(span.path, analysis.path):
        related.append(lsp.DiagnosticRelatedInformation(locator.location(span),
                                                        "the error is here"))
        span = _local_site(diag, analysis)
        message = f"in {os.path.basename(diag.span.path)}:{diag.span.line}: {message}"
    for note in diag.notes:
        if note.span is not None:
            related.append(lsp.DiagnosticRelatedInformation(locator.location(note.span),
                                                            note.message))
        else:
            message += f"\nnote: {note.message}"
    fixes = [{"range": _range_json(locator.range(f.span)), "text": f.text, "title": f.title}
             for f in diag.fixes if same_file(f.span.path, analysis.path)]
    return lsp.Diagnostic(
        range=locator.range(span),
        message=message,
        severity=SEVERITIES.get(diag.severity, lsp.DiagnosticSeverity.Information),
        code=diag.code,
        source=SOURCE,
        related_information=related or None,
        data={"fixes": fixes} if fixes else None,
    )


def _local_site(diag: Diagnostic, analysis: Analysis) -> Span:
    """Where in the analysed document a diagnostic of another file comes from."""
    sites = [note.span for note in diag.notes
             if note.span is not None and same_file(note.span.path, analysis.path)]
    if sites:
        return sites[-1]  # the trail's notes run inner to outer: the outermost call
    imp = analysis.via.get(file_key(diag.span.path))
    if imp is not None:
        return imp.span
    return Span.point(analysis.path, 1, 1)


def _range_json(r: lsp.Range) -> dict:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def document_diagnostics(analysis: Analysis) -> list[lsp.Diagnostic]:
    """Every diagnostic of a document, converted."""
    locator = Locator(analysis)
    return [to_lsp(d, locator) for d in analysis.diagnostics]
