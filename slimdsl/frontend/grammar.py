"""The grammar of the .slim language as Lark parsers, and its post-lexer.

``grammar/slim.lark`` is an LALR(1) grammar with Lark's basic lexer; :class:`NewlinePostLexer`
drops the newlines the grammar does not see (inside brackets, blank lines, before ``else``) and
bounds bracket nesting. :func:`grammar` is Lark's analysis of it (cached on disk, see
:func:`grammar_cache_file`), from which :mod:`.tables` takes the tables the front end's own
lexer and parser loop run on (:mod:`.parser` does not call Lark's parser; Lark's, with
``propagate_positions``, is the reference the tests hold it to); :func:`start_parser` is the
same grammar started at another rule (``stmts`` for the incremental re-parse);
:func:`full_parser` keeps every token for the formatter.
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
from .lexer import CLOSERS, MAX_NESTING, NL_EATERS, OPENERS, NestingTooDeep, opens_dict
from .tables import cache_directory


class NewlinePostLexer:
    """Drops insignificant newlines so that the grammar can stay LALR(1).

    - inside ``(...)``, ``[...]`` and dict literals (so long argument lists and dicts can
      wrap);
    - runs of newlines (blank lines, comment lines) collapse to one;
    - a newline right before ``else``/``elif`` (so ``}`` and ``else {`` may sit on two lines).
    It also enforces :data:`MAX_NESTING`.

    The front end's own lexer applies the same rules in its one pass
    (:meth:`slimdsl.frontend.lexer.Lexer.tokens`); this class serves the Lark parsers (the
    formatter's, and the reference parse ``tests/frontend/test_parser_reference.py`` holds the
    lexer to, so a rule changed here and not there fails that test).
    """

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        stack: list[str] = []
        pending_nl: Token | None = None
        previous: Token | None = None  # the token before, for telling a dict's { from a body's
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                if stack and stack[-1] in NL_EATERS:
                    continue
                if pending_nl is None:
                    pending_nl = tok
                continue
            if pending_nl is not None:
                if kind not in ("ELSE", "ELIF"):
                    yield pending_nl
                    previous = pending_nl
                pending_nl = None
            if kind in OPENERS:
                stack.append("DICT" if kind == "LBRACE" and opens_dict(
                    stack, None if previous is None else (previous.type, previous.value))
                             else kind)
                if len(stack) > MAX_NESTING:
                    raise NestingTooDeep(tok)
            elif kind in CLOSERS and stack:
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


def grammar_cache_file(path: Path, kind: str = "grammar") -> str | bool:
    """Where Lark may keep the analysed grammar between runs, or False for no cache.

    Building the LALR tables takes about a third of a small ``slimc check`` run; loading them
    takes a few milliseconds. The cache lives in the user's own cache directory
    (:func:`cache_directory`), named after the grammar, Lark and Python versions; Lark checks a
    hash of the grammar and options before using it and rebuilds on any mismatch or read error.
    """
    directory = cache_directory()
    if directory is None:
        return False
    try:
        key = hashlib.sha256(path.read_bytes() + f"{lark.__version__} {sys.version_info[:2]}"
                             .encode()).hexdigest()[:20]
    except OSError:
        return False
    return os.path.join(directory, f"{kind}-{key}.lark")


@functools.cache
def start_parser(start: str) -> Lark:
    """The same grammar started at another rule (``stmts``: a run of statements of one body,
    for the incremental re-parse; any rule can be one), its analysis cached as the main one."""
    path = grammar_path()
    return Lark.open(str(path), parser="lalr", lexer="basic", start=start,
                     propagate_positions=True, postlex=NewlinePostLexer(),
                     maybe_placeholders=True, cache=grammar_cache_file(path, f"start-{start}"))


@functools.lru_cache(maxsize=1)
def full_parser() -> Lark:
    """The same grammar keeping every token (punctuation included) in the tree, for ``fmt``."""
    return Lark.open(str(grammar_path()), parser="lalr", lexer="basic",
                     postlex=NewlinePostLexer(), maybe_placeholders=True,
                     keep_all_tokens=True)
