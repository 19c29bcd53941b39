"""Python source text for the TensorFlow backend: literals, identifiers, comments, line wrapping.

Everything a .slim file contributes to generated code (names, strings, numbers, file names)
goes through this module, so no input can inject Python: strings become escaped literals,
identifiers are checked against Python's grammar and keywords, numbers are ``repr`` of finite
ints and floats, and comment text is reduced to a safe alphabet.
"""

from __future__ import annotations

import keyword
import math
import re
import textwrap
from collections.abc import Iterable
from typing import Any

#: ruff's line length for the generated files (the project's own setting).
LINE_LIMIT = 100

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMMENT_SAFE = re.compile(r"[^A-Za-z0-9_.,:;=+\-/()\[\]<>?!@ ]")


class SourceError(ValueError):
    """A value cannot be written as Python source (a NaN, a non-identifier name...)."""


def is_identifier(name: str) -> bool:
    """True for ASCII Python identifiers that are not keywords.

    >>> is_identifier("vgg_16"), is_identifier("class"), is_identifier("a-b"), is_identifier("é")
    (True, False, False, False)
    """
    return bool(_IDENT.fullmatch(name)) and not keyword.iskeyword(name)


def identifier(name: str) -> str:
    """``name`` itself, after checking it is a safe identifier (raises :class:`SourceError`)."""
    if not is_identifier(name):
        raise SourceError(f"{name!r} is not a valid Python identifier")
    return name


def snake(text: str) -> str:
    """A lowercase identifier made of ``text`` (any string): other characters become ``_``.

    >>> snake("conv1/conv1_1"), snake("Mixed_5b/Branch_0"), snake("1x1"), snake("a.b-c")
    ('conv1_conv1_1', 'mixed_5b_branch_0', 'v1x1', 'a_b_c')
    """
    out = re.sub(r"[^a-z0-9_]", "_", text.lower())
    out = re.sub(r"_+", "_", out).strip("_") or "v"
    if out[0].isdigit():
        out = "v" + out
    return out + "_" if keyword.iskeyword(out) else out


def short(text: str, limit: int = 40) -> str:
    """:func:`snake` of ``text``, keeping its last ``limit`` characters (the specific part).

    >>> short("block3/unit_23/bottleneck_v1/conv2"), short("a" * 50 + "/b", 10)
    ('block3_unit_23_bottleneck_v1_conv2', 'aaaaaaaa_b')
    """
    name = snake(text)
    if len(name) > limit:
        name = snake(name[-limit:])
    return name


def camel(name: str) -> str:
    """A class name for a model: ``vgg_16`` -> ``Vgg16``, ``resnet_v1_50`` -> ``ResnetV1_50``.

    >>> camel("vgg_16"), camel("resnet_v1_50"), camel("alexnet_v2"), camel("lenet")
    ('Vgg16', 'ResnetV1_50', 'AlexnetV2', 'Lenet')
    """
    parts = [p for p in name.split("_") if p]
    out = ""
    for p in parts:
        if out and out[-1].isdigit() and p[0].isdigit():
            out += "_"  # keep v1_50 readable: ResnetV1_50, not ResnetV150
        out += p[0].upper() + p[1:]
    if not out or not is_identifier(out):
        out = "Model" + snake(name).title().replace("_", "")
    return identifier(out)


def string(value: str) -> str:
    r"""A double-quoted, pure-ASCII Python string literal for any text.

    >>> print(string('say "hi"'), string("two\nlines"), string(chr(233)))
    "say \"hi\"" "two\nlines" "\xe9"
    """
    if not isinstance(value, str):
        raise SourceError(f"expected a string, got {type(value).__name__}")
    out = []
    for ch in value:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def number(value: Any) -> str:
    """``repr`` of an int or a finite float; bools and NaN/inf are refused.

    >>> number(3), number(0.5), number(1e-05)
    ('3', '0.5', '1e-05')
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SourceError(f"expected a number, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise SourceError(f"{value!r} cannot be written in generated code")
    return repr(int(value)) if isinstance(value, int) else repr(float(value))


def literal(value: Any, *, tuples: bool = False) -> str:
    """A Python literal for a plain .slim value: none, bools, numbers, strings, lists, dicts.

    ``tuples=True`` writes lists as tuples (for defaults that must not be mutable).

    >>> literal([1, [2, 3]]), literal([1, [2, 3]], tuples=True), literal({"a": True}), literal(None)
    ('[1, [2, 3]]', '(1, (2, 3))', '{"a": True}', 'None')
    """
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, (list, tuple)):
        items = [literal(v, tuples=tuples) for v in value]
        if tuples or isinstance(value, tuple):
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{string(str(k))}: {literal(v, tuples=tuples)}"
                               for k, v in value.items()) + "}"
    raise SourceError(f"a {type(value).__name__} cannot be written as a Python literal")


def comment(text: str) -> str:
    """Text safe inside a ``#`` comment: one line, a small alphabet, everything else ``?``.

    >>> comment("vgg.slim:12"), comment("evil\\nimport os")
    ('vgg.slim:12', 'evil?import os')
    """
    return _COMMENT_SAFE.sub("?", text)


def docstring_text(text: str) -> str:
    r"""Text safe inside a triple-double-quoted docstring (quotes and backslashes escaped).

    >>> print(docstring_text('say "hi"'))
    say \"hi\"
    """
    return string(text)[1:-1]


def assignment(target: str, value: str, indent: int) -> list[str]:
    """``target = value``, split so that only single-word lines (exempt from E501) are long.

    >>> assignment("x", "1", 4)
    ['    x = 1']
    >>> for line in assignment("d[" + '"' + "k" * 90 + '"]', "net", 12): print(line)
                d[
                    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                ] = net
    """
    pad = " " * indent
    one = f"{pad}{target} = {value}"
    if len(one) <= LINE_LIMIT:
        return [one]
    if len(f"{pad}{target} = (") <= LINE_LIMIT:
        return [f"{pad}{target} = (", f"{pad}    {value})"]
    base, _, key = target.partition("[")  # a subscript with a long key
    return [f"{pad}{base}[", f"{pad}    {key[:-1]}", f"{pad}] = {value}"]


def paragraph(text: str, indent: int = 0, hang: int = 0) -> list[str]:
    """``text`` made safe for a docstring and wrapped at :data:`LINE_LIMIT` (words unbroken);
    lines after the first are indented ``hang`` more.

    >>> paragraph("a b c", 4)
    ['    a b c']
    """
    pad = " " * indent
    return textwrap.wrap(docstring_text(text), LINE_LIMIT, initial_indent=pad,
                         subsequent_indent=pad + " " * hang, break_long_words=False,
                         break_on_hyphens=False) or [""]


def unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is not in ``taken`` (which is updated).

    >>> taken = {"net"}; unique("net", taken), unique("net", taken), unique("x", taken)
    ('net_2', 'net_3', 'x')
    """
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


#: An expression to format: text, or (head, arguments, tail) such as ("f(", ["a", "b"], ")").
Expr = Any


def flat(expr: Expr) -> str:
    """An :data:`Expr` on one line."""
    if isinstance(expr, str):
        return expr
    head, args, tail = expr
    return head + ", ".join(flat(a) for a in args) + tail


def format_expr(expr: Expr, indent: int, prefix: str = "", suffix: str = "") -> list[str]:
    """``prefix + expr + suffix`` on one line if it fits, else one argument per line.

    >>> for line in format_expr(("f(", ["x" * 50, ("g(", ["y" * 50], ")")], ")"), 0): print(line)
    f(
        xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,
        g(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy))
    """
    pad = " " * indent
    line = pad + prefix + flat(expr) + suffix
    if len(line) <= LINE_LIMIT or isinstance(expr, str):
        return [line]
    head, args, tail = expr
    lines = [pad + prefix + head]
    for i, arg in enumerate(args):
        lines += format_expr(arg, indent + 4, "", tail + suffix if i == len(args) - 1 else ",")
    return lines


def wrap_call(head: str, args: Iterable[str], indent: int, tail: str = ")",
              note: str = "", hang: int = 4) -> list[str]:
    """``head`` + comma-separated ``args`` + ``tail`` as lines of at most :data:`LINE_LIMIT`.

    ``head`` ends with the opening bracket (``"x = f("``); ``note`` becomes a trailing
    ``# note`` on the first line. When the call does not fit on one line, the arguments are
    packed onto continuation lines indented ``hang`` more (8 for a ``def``, so they stand out
    from its body).

    >>> wrap_call("x = f(", ["1", "2"], 8, note="m.slim:3")
    ['        x = f(1, 2)  # m.slim:3']
    >>> for line in wrap_call("x = f(", ["a" * 60, "b" * 60], 0): print(line)
    x = f(
        aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,
        bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb)
    """
    args = list(args)
    pad = " " * indent
    suffix = f"  # {comment(note)}" if note else ""
    one = f"{pad}{head}{', '.join(args)}{tail}"
    if len(one) + len(suffix) <= LINE_LIMIT:
        return [one + suffix]
    lines = [f"{pad}{head}{suffix}"]
    if len(lines[0]) > LINE_LIMIT and suffix:  # the note goes on a line of its own
        lines = [f"{pad}# {comment(note)}", f"{pad}{head}"]
    inner = " " * (indent + hang)
    current = ""
    for i, arg in enumerate(args):
        piece = arg + ("," if i < len(args) - 1 else tail)
        if not current:
            current = inner + piece
        elif len(current) + 1 + len(piece) <= LINE_LIMIT:
            current += " " + piece
        else:
            lines.append(current)
            current = inner + piece
    if not args:
        current = inner + tail
    lines.append(current)
    return lines
