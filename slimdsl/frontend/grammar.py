"""The grammar of the .slim language, loaded once per process, and its post-lexer.

``grammar/slim.lark`` is an LALR(1) grammar with Lark's basic lexer; :class:`NewlinePostLexer`
drops the newlines the grammar does not see (inside brackets, blank lines, before ``else``) and
bounds bracket nesting. :func:`grammar` is the parser of :mod:`.parser` (its LALR tables cached
on disk, see :func:`grammar_cache_file`); :func:`full_parser` keeps every token for the
formatter.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import lark
from lark import Lark, Token

from ..resources import grammar_path

#: Brackets and blocks nested deeper than this are a diagnostic, not a stack overflow.
MAX_NESTING = 64

#: Reserved words of the grammar (they cannot be used as names).
KEYWORDS = ("model", "block", "def", "import", "input", "output", "end_point", "arg_scope", "scope",
            "if", "elif", "else", "for", "in", "assert", "as", "and", "or", "not")

_OPENERS = {"LPAR", "LSQB", "LBRACE"}
_CLOSERS = {"RPAR", "RSQB", "RBRACE"}
_NL_EATERS = {"LPAR", "LSQB", "DICT"}  # inside (...), [...] and {k: v} newlines are insignificant
#: A ``{`` after one of these tokens starts a dict literal, not a body: it stands where an
#: expression starts (``= {``, ``, {``, ``+ {``...). Inside brackets every ``{`` is a dict.
_BEFORE_DICT = {"EQUAL", "COLON", "COMMA", "LPAR", "LSQB", "PLUS", "MINUS", "STAR", "SLASH",
                "PERCENT", "COMP_OP", "IN", "NOT", "AND", "OR", "IF", "//", "**"}


class NestingTooDeep(Exception):
    """Brackets and blocks nested deeper than :data:`MAX_NESTING`; carries the token."""

    def __init__(self, token: Token):
        super().__init__("nesting too deep")
        self.token = token


class NewlinePostLexer:
    """Drops insignificant newlines so that the grammar can stay LALR(1).

    - inside ``(...)``, ``[...]`` and dict literals (so long argument lists and dicts can
      wrap);
    - runs of newlines (blank lines, comment lines) collapse to one;
    - a newline right before ``else``/``elif`` (so ``}`` and ``else {`` may sit on two lines).
    It also enforces :data:`MAX_NESTING`.
    """

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        stack: list[str] = []
        pending_nl: Token | None = None
        previous: Token | None = None  # the token before, for telling a dict's { from a body's
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                if stack and stack[-1] in _NL_EATERS:
                    continue
                if pending_nl is None:
                    pending_nl = tok
                continue
            if pending_nl is not None:
                if kind not in ("ELSE", "ELIF"):
                    yield pending_nl
                    previous = pending_nl
                pending_nl = None
            if kind in _OPENERS:
                dict_literal = kind == "LBRACE" and (
                    (stack and stack[-1] in _NL_EATERS) or (previous is not None and (
                        previous.type in _BEFORE_DICT or previous.value in _BEFORE_DICT)))
                stack.append("DICT" if dict_literal else kind)
                if len(stack) > MAX_NESTING:
                    raise NestingTooDeep(tok)
            elif kind in _CLOSERS and stack:
                stack.pop()
            previous = tok
            yield tok
        if pending_nl is not None:
            yield pending_nl


@functools.lru_cache(maxsize=1)
def grammar() -> Lark:
    """The compiled LALR parser, built once per process (or loaded from the user's cache)."""
    # The basic lexer (not the contextual one): the post-lexer looks one token ahead, which a
    # contextual lexer cannot tolerate. Keywords are therefore reserved words everywhere.
    path = grammar_path()
    return Lark.open(str(path), parser="lalr", lexer="basic",
                     propagate_positions=True, postlex=NewlinePostLexer(),
                     maybe_placeholders=True, cache=grammar_cache_file(path))


def grammar_cache_file(path: Path) -> str | bool:
    """Where Lark may keep the analysed grammar between runs, or False for no cache.

    Building the LALR tables takes about a third of a small ``slimc check`` run; loading them
    takes a few milliseconds. The cache lives in the user's own cache directory (not the shared
    temporary directory Lark would pick, where another user could plant a file), named after the
    grammar, Lark and Python versions; Lark checks a hash of the grammar and options before using
    it and rebuilds on any mismatch or read error. When no directory is writable there is no
    cache, silently.
    """
    try:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                ".cache")
        if not os.path.isabs(base):
            return False
        directory = os.path.join(base, "slimdsl")
        for d in (base, directory):  # create at most these two, never a missing home
            if not os.path.isdir(d):
                os.mkdir(d, 0o700)
        if not os.access(directory, os.W_OK) or (
                hasattr(os, "getuid") and os.stat(directory).st_uid != os.getuid()):
            return False  # only a directory of our own: the cache file is a pickle
        key = hashlib.sha256(path.read_bytes() + f"{lark.__version__} {sys.version_info[:2]}"
                             .encode()).hexdigest()[:20]
        return os.path.join(directory, f"grammar-{key}.lark")
    except (OSError, RuntimeError, ValueError):  # no home, read-only file system, ...
        return False


@functools.lru_cache(maxsize=1)
def expression_parser() -> Lark:
    """The same grammar parsing one expression: the ``{i + 1}`` of an interpolated string.

    Built (or loaded from its cache) only when a string interpolates more than a plain name.
    """
    path = grammar_path()
    cache = grammar_cache_file(path)
    return Lark.open(str(path), parser="lalr", lexer="basic", start="expr",
                     propagate_positions=True, postlex=NewlinePostLexer(),
                     maybe_placeholders=True, cache=cache + "-expr" if cache else False)


@functools.lru_cache(maxsize=1)
def full_parser() -> Lark:
    """The same grammar keeping every token (punctuation included) in the tree, for ``fmt``."""
    return Lark.open(str(grammar_path()), parser="lalr", lexer="basic",
                     postlex=NewlinePostLexer(), maybe_placeholders=True,
                     keep_all_tokens=True)
