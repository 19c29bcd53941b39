"""Positions between slimdsl's spans and the Language Server Protocol's ranges.

A :class:`~slimdsl.diagnostics.Span` counts lines and columns from 1, in code points, its end
exclusive; LSP counts from 0 and, by default, in UTF-16 code units (a character outside the
Basic Multilingual Plane is two). :class:`Lines` converts both ways for one text, quickly for
the usual ASCII lines. It also finds the word at a position, which completion, hover and
go-to-definition start from.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from lsprotocol import types as lsp
from pygls.uris import from_fs_path, to_fs_path

from ..diagnostics import Span

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def uri_to_path(uri: str) -> str:
    """The file system path of a ``file:`` URI (normalized), else the URI itself: an unsaved
    buffer still gets diagnostics, with its imports resolved from the working directory."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return os.path.normpath(path) if path else uri


def path_to_uri(path: str) -> str:
    """The URI of a path (the inverse of :func:`uri_to_path`)."""
    if "://" in path or path.startswith("untitled:"):
        return path
    return from_fs_path(os.path.normpath(os.path.abspath(path))) or path


def same_file(a: str, b: str) -> bool:
    """Do two paths as spans spell them (``models/./x.slim``, relative or not) name one file?"""
    return a == b or os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


@dataclass(frozen=True, slots=True)
class Word:
    """An identifier in the text: its characters and its span (1-based, code points)."""

    text: str
    span: Span


class Lines:
    """The lines of one text, split as the lexer counts them (``\\n`` only), and conversions
    between code-point columns and the client's position encoding."""

    def __init__(self, text: str, path: str, encoding: str = "utf-16"):
        self.text = text
        self.path = path
        self.lines = text.split("\n")
        self.encoding = encoding
        self._bom = text.startswith("\ufeff")  # the parser drops it: line 1 is one shorter

    def line(self, line: int) -> str:
        """The text of a 1-based line ("" past the end)."""
        return self.lines[line - 1] if 1 <= line <= len(self.lines) else ""

    def _to_client(self, line: int, column: int) -> int:
        text = self.line(line)
        col0 = max(column - 1, 0) + (1 if self._bom and line == 1 else 0)
        if self.encoding == "utf-32" or text.isascii():
            return col0
        prefix = text[:col0]
        if self.encoding == "utf-8":
            return len(prefix.encode("utf-8")) + max(col0 - len(text), 0)
        return col0 + sum(1 for ch in prefix if ord(ch) > 0xFFFF)

    def _from_client(self, line: int, character: int) -> int:
        text = self.line(line)
        if self.encoding == "utf-32" or text.isascii():
            col0 = character
        elif self.encoding == "utf-8":
            col0 = len(text.encode("utf-8")[:character].decode("utf-8", "ignore"))
        else:
            units = col0 = 0
            while col0 < len(text) and units < character:
                units += 2 if ord(text[col0]) > 0xFFFF else 1
                col0 += 1
            col0 += max(character - units, 0)
        return col0 + 1 - (1 if self._bom and line == 1 else 0)

    def position(self, line: int, column: int) -> lsp.Position:
        """The LSP position of a 1-based line and code-point column."""
        return lsp.Position(max(line - 1, 0), self._to_client(line, column))

    def range(self, span: Span) -> lsp.Range:
        """The LSP range of a span."""
        return lsp.Range(self.position(span.line, span.column),
                         self.position(span.end_line, span.end_column))

    def point(self, position: lsp.Position) -> tuple[int, int]:
        """(1-based line, 1-based code-point column) of an LSP position."""
        line = position.line + 1
        return line, self._from_client(line, position.character)

    def end_of_line(self, line: int) -> lsp.Position:
        """The position just after the last character of a 1-based line."""
        text = self.line(line).rstrip("\r")
        return self.position(line, len(text) + 1 - (1 if self._bom and line == 1 else 0))

    def word_at(self, line: int, column: int) -> Word | None:
        """The identifier at (or just before) a 1-based line and column, or None."""
        text = self.line(line)
        shift = 1 if self._bom and line == 1 else 0
        col0 = column - 1 + shift
        for m in _WORD.finditer(text):
            if m.start() <= col0 <= m.end():
                return Word(m.group(), Span(self.path, line, m.start() + 1 - shift, line,
                                            m.end() + 1 - shift))
        return None

    def prefix(self, line: int, column: int) -> str:
        """The text of a line before a 1-based column."""
        return self.line(line)[:column - 1 + (1 if self._bom and line == 1 else 0)]
