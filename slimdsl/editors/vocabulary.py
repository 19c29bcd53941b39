"""The words of the language by category, for syntax highlighters.

Every list is derived, never typed in: keywords from the grammar's keyword literals, layer names
from :data:`slimdsl.layers.LAYER_NAMES` (+ ``repeat``/``stack``), builtins from
:mod:`slimdsl.lower.evaluate`, constants, parameter types and dtypes from :mod:`slimdsl.values`.
The Pygments lexer reads them at import time; ``editors/generate.py`` writes them into the VS
Code and Vim files.
"""

from __future__ import annotations

import functools
import re

from ..resources import grammar_path

#: How grammar keywords are highlighted; a keyword not listed here is a plain statement keyword.
KEYWORD_CATEGORIES = {
    "declarations": ("model", "block", "def"),
    "imports": ("import",),
    "control": ("if", "elif", "else", "for", "in", "assert"),
    "logical": ("and", "or", "not"),
}


def grammar_keywords() -> list[str]:
    """The reserved words of ``grammar/slim.lark`` (its identifier-like string literals)."""
    text = grammar_path().read_text(encoding="utf-8")
    text = re.sub(r"//[^\n]*", "", text)  # comments mention words that are not keywords
    return sorted({m for m in re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', text)})


@functools.lru_cache(maxsize=1)
def word_lists() -> dict[str, tuple[str, ...]]:
    """Words by category: declarations, imports, control, logical, statements, constants,
    layers, builtins, types, dtypes (each sorted; every builtin name is in exactly one of
    constants / layers / builtins)."""
    from ..layers import LAYER_NAMES, META_LAYERS
    from ..lower.evaluate import BUILTIN_NAMES
    from ..values import CONSTANTS, DTYPES, PARAM_TYPES

    keywords = grammar_keywords()
    out: dict[str, tuple[str, ...]] = {}
    for category, words in KEYWORD_CATEGORIES.items():
        out[category] = tuple(sorted(k for k in keywords if k in words))
    categorized = {k for words in KEYWORD_CATEGORIES.values() for k in words}
    out["statements"] = tuple(k for k in keywords if k not in categorized)
    out["constants"] = tuple(sorted(CONSTANTS))
    out["layers"] = tuple(sorted(set(LAYER_NAMES) | set(META_LAYERS)))
    taken = set(out["constants"]) | set(out["layers"])
    out["builtins"] = tuple(sorted(set(BUILTIN_NAMES) - taken))
    out["types"] = tuple(sorted(PARAM_TYPES))
    out["dtypes"] = tuple(sorted(DTYPES))
    return out
