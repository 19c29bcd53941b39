"""Diagnostics: what every stage reports, and the one place that prints it.

- :mod:`.data`: :class:`Span`, :class:`Note`, :class:`Fix`, :class:`Diagnostic`, the
  :class:`Diagnostics` collector, :class:`CompileError`, :func:`did_you_mean` and
  :func:`suggest` (the same suggestion as a :class:`Fix`);
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
    DEAD_LAYER,
    DEGENERATE_VALUE,
    DTYPE,
    DUPLICATE_ARGUMENT,
    ENCODING,
    EXPRESSION,
    FC_RANK4,
    IMPORT,
    INCOMPATIBLE,
    INTERNAL,
    IO,
    MISSING_ARGUMENT,
    NO_VALID_SIZE,
    RANK,
    RECURSION,
    REDEFINED,
    REDUNDANT_LAYER,
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
    UNUSED_BINDING,
    UNUSED_BLOCK,
    UNUSED_PARAMETER,
    ErrorCode,
)
from .data import (
    CompileError,
    Diagnostic,
    Diagnostics,
    Fix,
    Note,
    Span,
    closest,
    did_you_mean,
    suggest,
)

__all__ = [
    "ARG_SCOPE", "ASSERTION", "BAD_VALUE", "BUDGET", "CODES", "CompileError", "DEAD_LAYER",
    "DEGENERATE_VALUE", "DTYPE", "DUPLICATE_ARGUMENT", "Diagnostic", "Diagnostics", "ENCODING",
    "EXPRESSION", "ErrorCode", "FC_RANK4", "Fix", "REDUNDANT_LAYER", "UNUSED_BINDING",
    "UNUSED_BLOCK", "UNUSED_PARAMETER", "NO_VALID_SIZE", "SOME_SIZES",
    "IMPORT", "INCOMPATIBLE", "INTERNAL", "IO", "MISSING_ARGUMENT", "Note", "RANK",
    "RECURSION", "REDEFINED", "SCOPE_NAME", "SHAPE", "STRUCTURE", "SYNTAX", "Span", "TOO_DEEP",
    "TOO_MANY_ARGUMENTS", "UNKNOWN_ARGUMENT", "UNKNOWN_LAYER", "UNKNOWN_NAME", "closest",
    "did_you_mean", "suggest",
]
