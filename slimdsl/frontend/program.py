"""A program: one .slim file plus everything it imports, with definitions indexed by name.

:func:`load_program` resolves ``import "other.slim"`` relative to the importing file, reports
missing files, cycles and duplicate definitions as diagnostics, and never raises for bad input.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

from .. import diagnostics as dg
from ..diagnostics import CompileError, Diagnostics
from ..layers import LAYER_NAMES, META_LAYERS
from ..records import dataclass, field
from ..values import BUILTIN_FUNCTIONS, CONSTANTS, INITIALIZERS, REGULARIZERS
from . import tree as n
from .parser import MAX_SOURCE_BYTES, parse

#: Names a model or block may not take: they would shadow the language's own.
RESERVED_NAMES = (set(LAYER_NAMES) | set(META_LAYERS) | set(BUILTIN_FUNCTIONS) | set(CONSTANTS)
                  | set(INITIALIZERS) | set(REGULARIZERS) | {"net"})

MAX_IMPORT_DEPTH = 32


@dataclass
class Program:
    """Definitions visible from the root file (its own and its imports')."""

    root: n.File
    sources: dict[str, str] = field(default_factory=dict)  # path -> text, for messages
    blocks: dict[str, n.BlockDef] = field(default_factory=dict)
    models: dict[str, n.ModelDef | n.ModelAlias] = field(default_factory=dict)
    functions: dict[str, n.DefStmt] = field(default_factory=dict)

    @property
    def own_models(self) -> list[n.ModelDef | n.ModelAlias]:
        """The models defined in the root file itself (not imported), in file order."""
        return list(self.root.models)


Reader = Callable[[str], str]


def read_text(path: str) -> str:
    """Read a .slim file as UTF-8 (a BOM is allowed); raise OSError or UnicodeDecodeError.

    Only regular files of at most ``MAX_SOURCE_BYTES``: an import of ``/dev/zero``, a FIFO or
    a terminal would otherwise never return.
    """
    if os.path.exists(path) and not os.path.isfile(path):
        raise OSError(0, "not a regular file")
    with open(path, "rb") as f:
        data = f.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise OSError(0, f"larger than {MAX_SOURCE_BYTES:,} bytes")
    return data.decode("utf-8-sig")


def load_program(text: str, path: str, reader: Reader = read_text,
                 root: n.File | None = None) -> Program:
    """Parse ``text`` (the file at ``path``) and its imports; raise CompileError on problems.

    ``reader`` reads an imported file (the language server reads its open documents first);
    ``root`` is the syntax tree of ``text`` when the caller has it already.
    """
    diags = Diagnostics()
    if root is None:
        root = parse(text, path)
    program = Program(root, {path: text})
    _index(program, root, diags)
    _load_imports(program, root, reader, diags, (os.path.abspath(path),))
    if diags.has_errors:
        raise CompileError(diags.items)
    return program


def _load_imports(program: Program, file: n.File, reader: Reader, diags: Diagnostics,
                  chain: tuple[str, ...]) -> None:
    base = Path(file.path).parent if file.path not in ("<stdin>", "<string>") else Path.cwd()
    for imp in file.imports:
        target = (base / imp.path)
        key = os.path.abspath(target)
        if key in chain:
            diags.error(imp.span, dg.IMPORT, f"import cycle: {imp.path} imports itself",
                        [" -> ".join(os.path.basename(c) for c in chain + (key,))])
            continue
        if key in program.sources or str(target) in program.sources:
            continue  # imported already through another path: definitions are indexed once
        if len(chain) >= MAX_IMPORT_DEPTH:
            diags.error(imp.span, dg.IMPORT, f"imports nested more than {MAX_IMPORT_DEPTH} deep")
            continue
        try:
            text = reader(str(target))
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
                "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            diags.error(imp.span, dg.IMPORT, f"cannot import '{imp.path}': {reason}",
                        [f"looked for {target}"])
            continue
        program.sources[key] = text
        try:
            sub = parse_import(text, str(target))
        except CompileError as exc:
            diags.extend(exc.diagnostics)
            continue
        _index(program, sub, diags)
        _load_imports(program, sub, reader, diags, chain + (key,))


@functools.lru_cache(maxsize=32)
def parse_import(text: str, path: str) -> n.File:
    """:func:`parse` for imported files, memoised per process (the tree is immutable).

    ``slimc check models/`` imports the same library (``resnet.slim``) from every file that
    names one of its models; parsing it once instead of nine times saves a third of the run.
    Failures are not cached: they raise again, with the same diagnostics.
    """
    return parse(text, path)


def _index(program: Program, file: n.File, diags: Diagnostics) -> None:
    for block in file.blocks:
        _define(program.blocks, program.models, block.name, block, block.name_span, diags)
    for model in file.models:
        _define(program.models, program.blocks, model.name, model, model.name_span, diags)
    for fn in file.functions:
        if fn.name in program.models or fn.name in program.blocks:
            diags.error(fn.name_span, dg.REDEFINED, f"'{fn.name}' is already defined")
            continue
        _define(program.functions, {}, fn.name, fn, fn.name_span, diags)


def _define(table: dict, other: dict, name: str, node, span: dg.Span, diags: Diagnostics) -> None:
    if name in RESERVED_NAMES:
        diags.error(span, dg.REDEFINED,
                    f"'{name}' is a built-in name of the language; choose another name")
        return
    previous = table.get(name) or other.get(name)
    if previous is not None:
        diags.error(span, dg.REDEFINED, f"'{name}' is already defined",
                    [dg.Note("first defined here", previous.name_span)])
        return
    table[name] = node
