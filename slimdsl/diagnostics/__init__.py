"""Diagnostics: what every stage reports, and the one place that prints it.

- :mod:`.data`: :class:`Span`, :class:`Note`, :class:`Diagnostic`, the :class:`Diagnostics`
  collector, :class:`CompileError`, :func:`did_you_mean`;
- :mod:`.codes`: every stable code (:data:`CODES`, ``SHAPE``, ``BAD_VALUE``, ...);
- :mod:`.printer`: text with source line and caret, JSON, GitHub annotations, SARIF.

Stages import this package (``from slimdsl import diagnostics as dg``; ``dg.SHAPE``,
``dg.Note``); only the printer turns diagnostics into text.
"""

from .codes import (
    ARG_SCOPE,
    ASSERTION,
    BAD_VALUE,
    BUDGET,
    CODES,
    DUPLICATE_ARGUMENT,
    ENCODING,
    EXPRESSION,
    IMPORT,
    INCOMPATIBLE,
    INTERNAL,
    IO,
    MISSING_ARGUMENT,
    NO_VALID_SIZE,
    RANK,
    RECURSION,
    REDEFINED,
    SCOPE_NAME,
    SHAPE,
    SOME_SIZES,
    STRUCTURE,
    SYNTAX,
    TOO_DEEP,
    TOO_MANY_ARGUMENTS,
    UNKNOWN_ARGUMENT,
    UNKNOWN_LAYER,
    UNKNOWN_NAME,
    ErrorCode,
)
from .data import CompileError, Diagnostic, Diagnostics, Note, Span, did_you_mean

__all__ = [
    "ARG_SCOPE", "ASSERTION", "BAD_VALUE", "BUDGET", "CODES", "CompileError",
    "DUPLICATE_ARGUMENT", "Diagnostic", "Diagnostics", "ENCODING", "EXPRESSION", "ErrorCode",
    "IMPORT", "INCOMPATIBLE", "INTERNAL", "IO", "MISSING_ARGUMENT", "NO_VALID_SIZE", "Note",
    "RANK", "RECURSION", "REDEFINED", "SCOPE_NAME", "SHAPE", "SOME_SIZES", "STRUCTURE", "SYNTAX",
    "Span", "TOO_DEEP",
    "TOO_MANY_ARGUMENTS", "UNKNOWN_ARGUMENT", "UNKNOWN_LAYER", "UNKNOWN_NAME", "did_you_mean",
]
