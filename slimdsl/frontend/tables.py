"""The grammar's lexer and LALR(1) tables as plain data, loaded without Lark.

Lark analyses ``grammar/slim.lark`` (:func:`slimdsl.frontend.grammar.grammar`); this module
copies what the front end's own lexer and parser loop (:mod:`.lexer`, :mod:`.lalr`) need out of
the analysed parser: the terminals in Lark's order of preference, the keywords Lark re-types from
names, the LALR actions and gotos, and every rule's shape. The copy is cached with :mod:`marshal`
(plain lists, dicts and strings only) beside Lark's own cache, with the grammar text it was made
from (used only for exactly that text), so a ``slimc check`` neither imports Lark nor unpickles
its parser: it reads one small file.

Nothing here changes what the grammar means: the tables are Lark's, read as they are.
"""

from __future__ import annotations

import functools
import marshal
import os
import sys
import zlib
from typing import Any

from ..resources import grammar_path

#: Bump when the layout of the cached data changes.
FORMAT = 2


class Rule:
    """One alternative of a grammar rule, as the parser loop reduces it.

    ``include`` lists the children the syntax tree keeps, as ``(index, expand, nones_before)``:
    Lark drops anonymous tokens (``"("``) and ``_NAME`` terminals, splices the children of
    ``_rule`` and ``__rule_star_N`` helpers into their parent (``expand``), and puts ``None``
    where an absent ``[optional]`` part would be (``maybe_placeholders``).
    """

    __slots__ = ("origin", "size", "symbols", "name", "inline", "expand1", "include",
                 "nones_after", "identity")

    def __init__(self, origin: str, expansion: list, alias: str | None, expand1: bool,
                 keep_all_tokens: bool, empty_indices: list):
        self.origin = origin
        self.size = len(expansion)
        self.symbols = tuple(sym for sym, _, _ in expansion)
        self.name = alias or origin  # the builder method that makes its node
        self.inline = origin.startswith("_")
        self.expand1 = bool(expand1) and not alias
        if empty_indices:  # Lark's maybe_create_child_filter: Nones to insert at each index
            runs = "".join(str(int(b)) for b in empty_indices).split("0")
            nones = [len(ones) for ones in runs]
        else:
            nones = [0] * (len(expansion) + 1)
        include = []
        pending = 0
        for i, (sym, is_term, filter_out) in enumerate(expansion):
            pending += nones[i]
            if keep_all_tokens or not (is_term and filter_out):
                include.append((i, not is_term and sym.startswith("_"), pending))
                pending = 0
        self.include = tuple(include)
        self.nones_after = pending + nones[len(expansion)]
        #: ``?rule: other``: the child itself, a unit reduction the parser loop can skip over
        self.identity = (self.expand1 and self.size == 1 and self.include == ((0, False, 0),)
                         and not self.nones_after)


class Tables:
    """The lexer's terminals and the LALR automaton of one set of start symbols."""

    __slots__ = ("terminals", "keywords", "ignore", "newline_types", "skip", "actions",
                 "gotos", "rules", "start_states", "end_states", "unit_memo")

    def __init__(self, data: dict[str, Any]):
        #: (name, regexp) in the order Lark's basic lexer tries them
        self.terminals: list[tuple[str, str]] = [tuple(t) for t in data["terminals"]]
        #: terminal -> {text: terminal}: keywords, matched as names and re-typed
        self.keywords: dict[str, dict[str, str]] = data["keywords"]
        self.ignore = frozenset(data["ignore"])
        self.newline_types = frozenset(data["newline_types"])
        #: ignored terminals the lexer may skip before a token in the same match
        self.skip = frozenset(data["skip"])
        #: state -> terminal -> action: a state to shift to (>= 0) or ~rule index (< 0)
        self.actions: dict[int, dict[str, int]] = data["actions"]
        #: state -> nonterminal -> state
        self.gotos: dict[int, dict[str, int]] = data["gotos"]
        self.rules = [Rule(*r) for r in data["rules"]]
        self.start_states: dict[str, int] = data["start_states"]
        self.end_states: dict[str, int] = data["end_states"]
        #: (state below, state, terminal) -> the state a chain of unit reductions ends in
        self.unit_memo: dict[tuple[int, int, str], int] = {}


def extract(parser: Any) -> dict[str, Any]:
    """The plain data of a Lark LALR parser built with ``lexer="basic"``."""
    from lark.lexer import UnlessCallback
    from lark.parsers.lalr_analysis import Shift

    if parser.options.g_regex_flags:
        raise ValueError("the front end does not support global regexp flags")
    basic = parser.parser.lexer
    basic = getattr(basic, "lexer", basic)  # behind the post-lexer's PostLexConnector
    # Lark's names may be str subclasses (Token); marshal stores only plain str
    terminals = [(str(t.name), str(t.pattern.to_regexp())) for t in basic.scanner.terminals]
    keywords: dict[str, dict[str, str]] = {}
    for name, callback in basic.callback.items():
        if not isinstance(callback, UnlessCallback):
            raise ValueError(f"unsupported lexer callback on {name}")
        words = {}
        for t in callback.scanner.terminals:
            if t.pattern.type != "str" or t.pattern.flags:
                raise ValueError(f"unsupported keyword terminal {t.name}")
            words[str(t.pattern.value)] = str(t.name)
        keywords[str(name)] = words
    table = parser.parser.parser.parser.parse_table
    rule_index: dict[Any, int] = {}
    actions: dict[int, dict[str, int]] = {}
    gotos: dict[int, dict[str, int]] = {}
    for state, row in table.states.items():
        acts, goes = {}, {}
        for symbol, (action, arg) in row.items():
            if action is Shift:
                (acts if symbol.isupper() else goes)[str(symbol)] = int(arg)
            else:
                acts[str(symbol)] = ~rule_index.setdefault(arg, len(rule_index))
        actions[int(state)] = acts
        gotos[int(state)] = goes
    placeholders = parser.options.maybe_placeholders
    rules: list[Any] = [None] * len(rule_index)
    for rule, i in rule_index.items():
        expansion = [(str(s.name), bool(s.is_term), bool(getattr(s, "filter_out", False)))
                     for s in rule.expansion]
        empty = [bool(b) for b in rule.options.empty_indices] if placeholders else []
        alias = str(rule.alias) if rule.alias else None
        rules[i] = (str(rule.origin.name), expansion, alias, bool(rule.options.expand1),
                    bool(rule.options.keep_all_tokens), empty)
    ignore = sorted(map(str, basic.ignore_types))
    newline_types = sorted(map(str, basic.newline_types))
    return {"format": FORMAT, "terminals": terminals, "keywords": keywords,
            "ignore": ignore, "newline_types": newline_types,
            "skip": skippable(terminals, ignore, newline_types),
            "actions": actions, "gotos": gotos, "rules": rules,
            "start_states": {str(k): int(v) for k, v in table.start_states.items()},
            "end_states": {str(k): int(v) for k, v in table.end_states.items()}}


def skippable(terminals: list[tuple[str, str]], ignore: list[str],
              newline_types: list[str]) -> list[str]:
    """The ignored terminals (spaces) the lexer may skip as a prefix of the next match.

    Lark tries the terminals in order at each position: skipping an ignored one first gives
    the same tokens only if no terminal tried before it can match where it starts. That is
    checked on every character up to U+2FFF the ignored one can start with. Ignored terminals
    that may hold a newline are never skipped (the lexer counts lines on the tokens it sees).
    """
    import re

    order = [name for name, _ in terminals]
    out = []
    for name, rx in terminals:
        if name not in ignore or name in newline_types:
            continue
        starts = [chr(c) for c in range(1, 0x3000) if re.match(rx, chr(c))]
        before = [orx for other, orx in terminals[:order.index(name)] if other not in ignore]
        if not any(re.match(orx, c + tail) for orx in before for c in starts
                   for tail in ("", c, "a", "0", "(")):
            out.append(name)
    return out


def cache_directory() -> str | None:
    """``$XDG_CACHE_HOME/slimdsl`` (default ``~/.cache/slimdsl``), or None for no cache.

    The user's own cache directory, not the shared temporary directory Lark would pick, where
    another user could plant a file: the caches are a pickle (Lark's) and marshal data (the
    front end's tables, :mod:`.tables`). Only a directory the user owns is used; it is created
    (mode 0700) when missing, but never a missing home. When no directory is usable there is no
    cache, silently.
    """
    try:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                ".cache")
        if not os.path.isabs(base):
            return None
        directory = os.path.join(base, "slimdsl")
        for d in (base, directory):  # create at most these two, never a missing home
            if not os.path.isdir(d):
                os.mkdir(d, 0o700)
        if not os.access(directory, os.W_OK) or (
                hasattr(os, "getuid") and os.stat(directory).st_uid != os.getuid()):
            return None  # only a directory of our own
        return directory
    except (OSError, RuntimeError, ValueError):  # no home, read-only file system, ...
        return None


def cache_file(kind: str, grammar_text: bytes) -> str | None:
    """Where the tables of ``kind`` for this grammar text are cached, or None for nowhere."""
    directory = cache_directory()
    if directory is None:
        return None
    name = f"tables-{kind}-{FORMAT}-{zlib.crc32(grammar_text):08x}-{sys.version_info[0]}" \
           f"{sys.version_info[1]}.marshal"
    return os.path.join(directory, name)


def _load(path: str | None, grammar_text: bytes) -> dict[str, Any] | None:
    """The cached data, if it was made from exactly this grammar text."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            data = marshal.load(f)
        if isinstance(data, dict) and data.get("format") == FORMAT and \
                data.get("grammar") == grammar_text:
            return data
    except (OSError, EOFError, ValueError, TypeError):
        pass
    return None


def _store(path: str | None, data: dict[str, Any]) -> None:
    if path is None:
        return
    import tempfile

    try:  # atomically: a reader sees the old file, the new one, or none
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tables-")
        try:
            with os.fdopen(fd, "wb") as f:
                marshal.dump(data, f)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def load_tables(kind: str, build) -> Tables:
    """The cached tables of ``kind``, or those of the Lark parser ``build()`` returns (then
    cached)."""
    text = grammar_path().read_bytes()
    path = cache_file(kind, text)
    data = _load(path, text)
    if data is None:
        data = extract(build())
        data["grammar"] = text  # the cache is used for exactly this text
        _store(path, data)
    return Tables(data)


def _lark(start: str):
    """The Lark parser of ``start`` (imported only when the tables are not cached)."""
    from . import grammar

    return grammar.grammar() if start == "start" else grammar.start_parser(start)


@functools.lru_cache(maxsize=1)
def tables() -> Tables:
    """The tables of a whole file (start symbol ``start``), loaded once per process."""
    return load_tables("file", lambda: _lark("start"))


@functools.cache
def start_tables(start: str) -> Tables:
    """The tables of the grammar started at another rule: ``stmts`` (a run of statements of
    one body) for the incremental re-parse. A separate automaton for each, so that the
    whole-file tables (and their syntax errors) are exactly those of ``start`` alone. Its
    terminals are only those the rule reaches: lex with :func:`tables`' terminals."""
    if start == "start":
        return tables()
    return load_tables(f"start-{start}", lambda: _lark(start))
