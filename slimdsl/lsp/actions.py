"""Code actions (the quick fixes of "did you mean" suggestions) and formatting.

A diagnostic carries its fixes as data (:class:`slimdsl.diagnostics.Fix`); the server sends them
in the LSP diagnostic's ``data`` and turns each into a quick fix here, so nothing is parsed out of
a message. Formatting is ``slimc fmt``'s formatter; a text that does not parse is left alone.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ..diagnostics import CompileError
from ..frontend.formatter import format_source
from .diagnostics import Locator, to_lsp
from .text import same_file
from .workspace import Analysis


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def code_actions(analysis: Analysis, uri: str, request: lsp.Range,
                 client_diagnostics: list[lsp.Diagnostic]) -> list[lsp.CodeAction]:
    """A quick fix for every fix of the diagnostics that touch the requested range."""
    locator = Locator(analysis)
    actions: list[lsp.CodeAction] = []
    seen: set[tuple] = set()
    for diag in analysis.diagnostics:
        if not diag.fixes:
            continue
        converted = to_lsp(diag, locator)
        if not _overlaps(converted.range, request):
            continue
        # the client's copy of the diagnostic, so that the editor links the fix to it
        linked = next((d for d in client_diagnostics if d.range == converted.range
                       and d.code == converted.code), converted)
        for fix in diag.fixes:
            if not same_file(fix.span.path, analysis.path):
                continue
            edit_range = locator.range(fix.span)
            key = (edit_range.start.line, edit_range.start.character, fix.text)
            if key in seen:
                continue
            seen.add(key)
            actions.append(lsp.CodeAction(
                title=fix.title[0].upper() + fix.title[1:],
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[linked],
                is_preferred=len(diag.fixes) == 1,
                edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(edit_range, fix.text)]}),
            ))
    return actions


def formatting(analysis: Analysis) -> list[lsp.TextEdit] | None:
    """The edits that give the document ``slimc fmt``'s layout: one edit replacing the whole
    text, none when it is formatted already; None when it does not parse (nothing changes)."""
    try:
        formatted = format_source(analysis.text, analysis.path)
    except (CompileError, RecursionError):
        return None
    if formatted == analysis.text:
        return []
    lines = analysis.lines
    last = len(lines.lines)
    end = lines.position(last, len(lines.line(last)) + 1)
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), formatted)]
