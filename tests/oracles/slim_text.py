"""Writing test values as .slim source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sym:
    """A bare name: written as is in .slim (``relu``, ``none``), an object for the oracle."""

    name: str


def slim_text(v: Any, quote: bool = True) -> str:
    """``v`` as .slim source (``quote=False``: for test ids, without quotes or spaces).

    >>> slim_text([3, Sym("none"), "SAME", 0.5, True, None, {"decay": 0.9}])
    '[3, none, "SAME", 0.5, true, none, {decay: 0.9}]'
    """
    sep = ", " if quote else ","
    if isinstance(v, Sym):
        return v.name
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"' if quote else v
    if isinstance(v, (list, tuple)):
        return "[" + sep.join(slim_text(x, quote) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + sep.join(f"{k}: {slim_text(x, quote)}" for k, x in v.items()) + "}"
    return repr(v)
