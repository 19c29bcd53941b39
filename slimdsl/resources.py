"""Locate the data directories (``grammar/``, ``templates/``) in a checkout or an installed wheel.

In a source checkout they sit beside the package (``<root>/grammar``); the wheel build copies them
inside it (``slimdsl/grammar``), see ``[tool.hatch.build.targets.wheel.force-include]``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The directory ``name`` shipped with slimdsl, wherever this copy was installed from."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"slimdsl data directory {name!r} not found near {_PACKAGE_DIR}")


def grammar_path() -> Path:
    """Path of the Lark grammar of the .slim language."""
    return data_dir("grammar") / "slim.lark"


def templates_dir() -> Path:
    """Directory of the jinja2 templates of the TensorFlow backend."""
    return data_dir("templates")
