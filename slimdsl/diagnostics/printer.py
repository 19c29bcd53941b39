"""The one printer of diagnostics: text (with source line and caret), JSON, GitHub, SARIF.

Stages produce :class:`~slimdsl.diagnostics.Diagnostic` records; only this module turns them
into text. Columns are 1-based code points everywhere (SARIF says so with ``columnKind``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence

from .. import __version__
from .codes import CODES
from .data import Diagnostic, Span

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;35m", "note": "\x1b[1;36m"}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


@functools.lru_cache(maxsize=8)
def _lines(source: str) -> list[str]:
    """The lines of ``source`` as the lexer counts them (``\n`` only, unlike ``splitlines``,
    which also breaks at form feeds and U+2028); cached: a file may have 100,000 diagnostics."""
    return source.split("\n")


def source_excerpt(span: Span, source: str | None, color: bool = False) -> list[str]:
    """The source line of ``span`` and a ``^~~~`` marker under it (tabs expanded)."""
    if source is None:
        return []
    lines = _lines(source)
    if not 1 <= span.line <= len(lines):
        return []
    # Control characters (NUL, escape sequences...) would corrupt the terminal: show U+FFFD.
    raw = _CONTROL.sub("\ufffd", lines[span.line - 1].rstrip("\r"))
    if len(raw) > 400:  # keep huge generated lines readable around the error
        start = max(0, span.column - 1 - 60)
        raw = raw[start:start + 200]
        col = span.column - start
    else:
        col = span.column
    prefix = raw[:max(col - 1, 0)].expandtabs(4)
    text = raw.expandtabs(4)
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = len(raw[col - 1:col - 1 + (span.end_column - span.column)].expandtabs(4))
    marker = "^" + "~" * max(width - 1, 0)
    if color:
        marker = _COLORS["error"] + marker + _RESET
    return ["    " + text.rstrip(), "    " + " " * len(prefix) + marker]


def format_text(diag: Diagnostic, source: str | None = None, color: bool = False) -> str:
    """``path:line:col: error: message [code]``, the source line and caret, then notes."""
    sev = diag.severity
    head_sev = f"{_COLORS.get(sev, '')}{sev}:{_RESET}" if color else f"{sev}:"
    location = f"{diag.span.path}:{diag.span.line}:{diag.span.column}:"
    if color:
        location = _BOLD + location + _RESET
    out = [f"{location} {head_sev} {diag.message} [{diag.code}]"]
    out.extend(source_excerpt(diag.span, source, color))
    for note in diag.notes:
        if note.span is not None:
            out.append(f"{note.span.path}:{note.span.line}:{note.span.column}: note: "
                       f"{note.message}")
        else:
            out.append(f"  note: {note.message}")
    return "\n".join(out)


def diagnostic_dict(diag: Diagnostic) -> dict:
    """The JSON form of a diagnostic (documented in docs/cli.md)."""
    return {
        "severity": diag.severity, "code": diag.code, "message": diag.message,
        "line": diag.span.line, "column": diag.span.column,
        "end_line": diag.span.end_line, "end_column": diag.span.end_column,
        "notes": [{"message": n.message,
                   **({"path": n.span.path, "line": n.span.line, "column": n.span.column}
                      if n.span else {})} for n in diag.notes],
        "fixes": [{"replacement": f.text, "title": f.title, "line": f.span.line,
                   "column": f.span.column, "end_line": f.span.end_line,
                   "end_column": f.span.end_column} for f in diag.fixes],
    }


def format_json(files: Sequence[tuple[str, Sequence[Diagnostic]]]) -> str:
    """``{"files": [{"path", "ok", "diagnostics": [...]}]}``."""
    return json.dumps({"files": [
        {"path": path, "ok": not any(d.is_error for d in diags),
         "diagnostics": [diagnostic_dict(d) for d in diags]} for path, diags in files]},
        indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(diag: Diagnostic) -> str:
    """A GitHub Actions workflow command (``::error file=...::message``), fields escaped."""
    level = {"error": "error", "warning": "warning"}.get(diag.severity, "notice")
    s = diag.span
    props = [("file", s.path), ("line", str(s.line)), ("col", str(s.column)),
             ("endLine", str(s.end_line)), ("endColumn", str(s.end_column)),
             ("title", f"slimc [{diag.code}]")]
    prop_text = ",".join(f"{k}={_escape_property(v)}" for k, v in props)
    message = diag.message
    if diag.notes:
        message += "\n" + "\n".join("note: " + n.message for n in diag.notes)
    return f"::{level} {prop_text}::{_escape_data(message)}"


def format_sarif(files: Sequence[tuple[str, Sequence[Diagnostic]]]) -> str:
    """A SARIF 2.1.0 log with one run and one rule per diagnostic code used."""
    used = sorted({d.code for _, diags in files for d in diags})
    rules = [{"id": c, "name": "".join(w.title() for w in c.split("-")),
              "shortDescription": {"text": CODES[c].title if c in CODES else c},
              "fullDescription": {"text": CODES[c].description if c in CODES else c},
              "defaultConfiguration": {"level": "error"}} for c in used]
    index = {c: i for i, c in enumerate(used)}
    results = []
    for _, diags in files:
        for d in diags:
            s = d.span
            text = d.message + "".join(f"\nnote: {n.message}" for n in d.notes)
            results.append({
                "ruleId": d.code, "ruleIndex": index[d.code],
                "level": {"error": "error", "warning": "warning"}.get(d.severity, "note"),
                "message": {"text": text},
                "locations": [{"physicalLocation": {
                    "artifactLocation": _artifact_location(s.path),
                    "region": {"startLine": s.line, "startColumn": s.column,
                               "endLine": s.end_line, "endColumn": max(s.end_column, 1)}}}],
            })
    log = {
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                   "sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "slimc", "version": __version__,
                                      "informationUri": "https://pypi.org/project/slimdsl/",
                                      "rules": rules}},
                  "columnKind": "unicodeCodePoints", "results": results}],
    }
    return json.dumps(log, indent=2)


def _artifact_location(path: str) -> dict:
    """A relative path is relative to the repository root (``%SRCROOT%``); an absolute one is a
    ``file:`` URI (SARIF forbids a base id on an absolute URI)."""
    from pathlib import PurePath
    from urllib.parse import quote
    if PurePath(path).is_absolute():
        return {"uri": "file://" + quote(path.replace("\\", "/"))}
    rel = path.replace("\\", "/")
    while rel.startswith("./"):
        rel = rel[2:]
    return {"uri": quote(rel), "uriBaseId": "%SRCROOT%"}


def count_summary(results: Iterable[tuple[str, Sequence[Diagnostic]]]) -> str:
    """``Found 3 errors in 2 files (checked 5 files)`` or ``Success: ...``."""
    results = list(results)
    errors = sum(1 for _, ds in results for d in ds if d.is_error)
    bad = sum(1 for _, ds in results if any(d.is_error for d in ds))
    files = len(results)
    noun = "file" if files == 1 else "files"
    if errors:
        return (f"Found {errors} error{'s' if errors != 1 else ''} in {bad} "
                f"file{'s' if bad != 1 else ''} (checked {files} {noun})")
    return f"Success: no issues found in {files} {noun}"
