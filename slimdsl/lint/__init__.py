"""Lints: warnings about code that compiles but is probably not what was meant, and the checking
of code the lowering never ran.

Runs after lowering, on the syntax tree of the checked file (:mod:`.usage`: unused names,
parameters and blocks, degenerate initializer/regularizer literals; :mod:`.unreached`: blocks
nothing calls and branches not taken, checked without values) and on the graphs lowered without
errors (:mod:`.graph`: dead layers, ``fully_connected`` on rank 4, redundant layers). Warnings
are ordinary :class:`~slimdsl.diagnostics.Diagnostic` s of severity ``warning`` with the codes
of :mod:`slimdsl.diagnostics.codes`; :class:`LintOptions` chooses which are reported, and a
``# slimc: ignore[CODE]`` comment on the reported line silences one there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache

from ..diagnostics import CODES, Diagnostic, Diagnostics, Span
from ..frontend import Program
from ..ir import Graph
from ..records import dataclass
from .graph import GraphLints, lint_dead_layers, lint_layers
from .syntax import ScanCache
from .unreached import Unreached
from .usage import lint_unused_blocks, lint_usage, lint_values, owners

__all__ = ["WARNING_CODES", "LintCache", "LintOptions", "ScanCache", "lint"]

#: Every warning code, in documentation order.
WARNING_CODES = tuple(c.name for c in CODES.values() if c.severity == "warning")

_IGNORE = re.compile(r"#\s*slimc:\s*ignore(?:\[([a-z0-9,\s-]*)\])?")


@dataclass(frozen=True)
class LintOptions:
    """Which warnings to report: the default ones, plus ``enable``, minus ``disable`` (either
    may hold ``"all"``); ``disable`` wins."""

    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()

    def active(self, code: str) -> bool:
        if code in self.disable or "all" in self.disable:
            return False
        info = CODES.get(code)
        return info is None or info.default_on or code in self.enable or "all" in self.enable

    @property
    def any_active(self) -> bool:
        return any(self.active(c) for c in WARNING_CODES)


class LintCache:
    """What the lints keep from one run to the next on successive versions of one file (the
    language server's): the statements' scans (:class:`~.syntax.ScanCache`) and each model's
    graph lints (:class:`~.graph.GraphLints`). The findings are the same as without it."""

    def __init__(self) -> None:
        self.scans = ScanCache()
        self.graphs: dict[str, GraphLints] = {}

    def retain(self, models: Iterable[str]) -> None:
        """Forget the graph lints of the models not in ``models`` (renamed or removed: each
        holds its graph's nodes)."""
        keep = set(models)
        self.graphs = {k: v for k, v in self.graphs.items() if k in keep}

    def graph(self, model: str) -> GraphLints:
        found = self.graphs.get(model)
        if found is None:
            found = self.graphs[model] = GraphLints()
        return found


def lint(program: Program, graphs: Iterable[Graph], lowered: Iterable[str],
         covered: set[int] | None, diags: Diagnostics, options: LintOptions | None = None,
         cache: LintCache | None = None) -> None:
    """Check what the lowering never ran (errors) and add the active warnings to ``diags``.

    ``graphs``: the models lowered without errors; ``lowered``: the names of every model the
    lowering was asked for; ``covered``: the ids of the statement lists it ran (None: unknown,
    then only blocks nothing reads are checked without values); ``cache``: what the last
    run on this file kept (the language server's, see :class:`LintCache`).
    """
    options = options or LintOptions()
    lowered = list(lowered)
    if cache is not None:
        cache.retain(lowered)
    scanned = owners(program, cache.scans if cache is not None else None)
    calls: set[str] = set()
    for o in scanned:
        calls |= o.scan.reads - {o.name} if o.what == "block" else o.scan.reads
    Unreached(program, diags, covered).run(lowered, calls)
    if not options.any_active:
        return
    found = Diagnostics()
    unused = lint_usage(program, scanned, found)
    lint_values(program, scanned, found)
    lint_unused_blocks(program, scanned, found)
    for graph in graphs:
        if cache is not None:
            cache.graph(graph.name).run(graph, found, unused)
            continue
        lint_dead_layers(graph, found, unused)
        lint_layers(graph, found)
    # An error in a model or block often is a failed read (a misspelt name): the name it
    # meant then looks unused. Report the error alone there.
    failed = [o.span for o in scanned
              if any(d.is_error and _contains(o.span, d.span) for d in diags.items)]
    diags.extend(d for d in found.items
                 if options.active(d.code) and not ignored(d, program.sources)
                 and not (d.code in _CASCADES and any(_contains(f, d.span) for f in failed)))


#: Warnings that an error in the same model or block may cause.
_CASCADES = frozenset({"unused-binding", "unused-parameter"})


def _contains(outer: Span, inner: Span) -> bool:
    return outer.path == inner.path and outer.line <= inner.line <= outer.end_line


def source_of(path: str, sources: dict[str, str]) -> str | None:
    """The text of the file ``path`` names: an imported file's is kept under its absolute
    path, while its diagnostics show the path relative to where slimc runs."""
    text = sources.get(path)
    return sources.get(os.path.abspath(path)) if text is None else text


def ignored(diag: Diagnostic, sources: dict[str, str]) -> bool:
    """A ``# slimc: ignore`` or ``# slimc: ignore[code, ...]`` comment on the reported line
    (in the file it points into: an imported one too)."""
    text = source_of(diag.span.path, sources)
    if text is None or "slimc:" not in text:
        return False
    found = ignore_comments(text)
    if diag.span.line not in found:
        return False
    codes = found[diag.span.line]
    return codes is None or diag.code in codes


@lru_cache(maxsize=8)
def ignore_comments(text: str) -> dict[int, frozenset[str] | None]:
    """The ``# slimc: ignore`` comments of a file, by line: the codes each silences (None:
    all). Read once per text, not once per warning (a file's text is split only here)."""
    found: dict[int, frozenset[str] | None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if "slimc:" not in line:
            continue
        m = _IGNORE.search(line)
        if m is not None:
            found[number] = None if m.group(1) is None else \
                frozenset(c.strip() for c in m.group(1).split(","))
    return found
