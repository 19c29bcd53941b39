"""Where the cursor is, read from the text before it: inside which call, at which argument,
after ``as``, inside an import's string...

Completion and signature help run while a line is half typed, when the file does not parse;
so this reads tokens, not the syntax tree. It scans back to the start of the enclosing
top-level definition (a line that starts in column 1 with a word), at most
:data:`MAX_LINES` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_LINES = 400
_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*("|$)|'(?:\\.|[^'\\\n])*('|$))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
  | (?P<op>==|!=|<=|>=|//|[-+*/%<>=(){}\[\],:.?])
  | (?P<newline>\n)
  | (?P<space>[ \t\r\f]+)
  | (?P<other>.)
""", re.X | re.M)
_OPEN = {"(": ")", "[": "]", "{": "}"}


@dataclass
class Frame:
    """An open bracket before the cursor."""

    bracket: str  # ( [ {
    callee: str | None = None  # the name before "(" (a call), else None
    index: int = 0  # commas seen at this level: the argument's index
    positional: int = 0  # the arguments before this one given without a keyword
    keyword: str | None = None  # "name=" seen in the current argument
    keywords: list[str] = field(default_factory=list)  # every keyword given so far
    first: list[str] = field(default_factory=list)  # the tokens of the first argument


@dataclass
class CursorContext:
    """What the text before the cursor says about the position."""

    frames: list[Frame]
    prefix: str  # the partial word being typed ("" if none)
    previous: str | None  # the last complete token before the partial word
    in_string: bool = False
    string_owner: str | None = None  # "import" when inside import "..."

    @property
    def call(self) -> Frame | None:
        """The innermost open call, if the cursor is directly in its argument list."""
        if self.frames and self.frames[-1].bracket == "(" and self.frames[-1].callee:
            return self.frames[-1]
        return None

    def enclosing_call(self) -> Frame | None:
        """The innermost open call, even with brackets opened inside it."""
        for frame in reversed(self.frames):
            if frame.bracket == "(" and frame.callee:
                return frame
        return None

    @property
    def in_list_of(self) -> str | None:
        """The callee whose argument list holds the ``[`` the cursor is in (``arg_scope``)."""
        if len(self.frames) >= 2 and self.frames[-1].bracket == "[" and \
                self.frames[-2].bracket == "(":
            return self.frames[-2].callee
        return None


def scan_start(lines: list[str], line: int) -> int:
    """The 0-based index of the line to start reading at for a cursor on 1-based ``line``."""
    stop = max(0, line - 1 - MAX_LINES)
    for i in range(min(line - 1, len(lines) - 1), stop - 1, -1):
        text = lines[i]
        if text[:1].isalpha() and i < line - 1:
            return i
    return stop


def cursor_context(lines: list[str], line: int, column: int) -> CursorContext:
    """The context of a 1-based position in ``lines``."""
    start = scan_start(lines, line)
    before = "\n".join(lines[start:line - 1] + [lines[line - 1][:column - 1]
                                                if line - 1 < len(lines) else ""])
    frames: list[Frame] = []
    significant: list[tuple[str, str]] = []  # (kind, text)
    in_string = False
    for m in _TOKEN.finditer(before):
        kind = m.lastgroup
        text = m.group()
        if kind in ("space", "comment"):
            continue
        if kind == "string":
            in_string = m.end() == len(before) and (len(text) < 2 or text[-1] != text[0])
        if kind == "newline":
            continue
        if kind == "op" and text in _OPEN:
            callee = significant[-1][1] if text == "(" and significant and \
                significant[-1][0] == "name" else None
            frames.append(Frame(text, callee))
        elif kind == "op" and text in (")", "]", "}"):
            while frames:
                if _OPEN[frames.pop().bracket] == text:
                    break
        elif kind == "op" and text == "," and frames:
            frames[-1].index += 1
            if frames[-1].keyword is None:
                frames[-1].positional += 1
            frames[-1].keyword = None
        elif kind == "op" and text == "=" and frames and significant and \
                significant[-1][0] == "name" and frames[-1].bracket == "(":
            frames[-1].keyword = significant[-1][1]
            frames[-1].keywords.append(significant[-1][1])
        elif frames and frames[-1].index == 0 and frames[-1].keyword is None:
            frames[-1].first.append(text)
        significant.append((kind, text))  # type: ignore[arg-type]
    prefix = ""
    if significant and significant[-1][0] == "name" and before.endswith(significant[-1][1]):
        prefix = significant[-1][1]
        significant.pop()
        if frames and frames[-1].first and frames[-1].first[-1] == prefix and \
                frames[-1].index == 0:
            frames[-1].first.pop()
    previous = significant[-1][1] if significant else None
    owner = None
    if in_string:
        prior = [t for k, t in significant[:-1]]
        owner = prior[-1] if prior else None
    return CursorContext(frames, prefix, previous, in_string, owner)
