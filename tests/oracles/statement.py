"""Checking one statement of a tiny .slim model with slimdsl: its errors, which must be
diagnostics of that statement (never of the harness around it)."""

from __future__ import annotations

from typing import Any

from slimdsl.api import check_source

#: Codes an error of a layer or op may carry; anything else (syntax, unknown names) is a
#: problem of the harness, not of the case.
STATEMENT_ERROR_CODES = {"shape", "rank", "incompatible-shapes", "bad-value", "dtype",
                         "expression"}


def check_statement(source: str, line: int, path: str = "case.slim") -> tuple[Any, str]:
    """(the check result, its errors joined as text or "") for ``source``; every error must
    be on ``line`` with a code of :data:`STATEMENT_ERROR_CODES`."""
    result = check_source(source, path)
    errors = [d for d in result.diagnostics if d.is_error]
    for d in errors:
        assert d.code in STATEMENT_ERROR_CODES and d.span.line == line, (
            f"harness problem, not an error of line {line}: {d.span.line}: {d.message} "
            f"[{d.code}]\n{source}")
    return result, "; ".join(f"{d.message} [{d.code}]" for d in errors)
