"""Inlay hints: each layer statement's output shape at the end of its line.

A statement runs once per call of the block holding it, per loop iteration, per model that
expands it; which run does a hint show? **The last one**: the statement's last run, in the order
the models of the document run (file order) and, within a model, in execution order. For a
block body that is the last call that expanded the block (the 4th of four ``mixed_17x17``
calls); for a loop body, the last iteration. When the runs disagree, the hint says so
(``[?, 17, 17, 768]  (4 calls)``) and its tooltip lists every run's shape with the call it came
through. A block only other open documents call (a library file) shows their runs. Statements
whose layer failed get no hint.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from lsprotocol import types as lsp

from ..ir import Graph, StatementOutput
from ..layers.shapes import format_shape
from .text import same_file
from .workspace import Analysis, file_key

MAX_TOOLTIP_RUNS = 12


class StatementRuns:
    """The runs of every layer statement of one file, by statement, in run order."""

    def __init__(self, path: str, graphs: Iterable[Graph]):
        self.path = path
        self.by_span: dict = {}
        self.models: dict[int, str] = {}
        key = file_key(path)
        for graph in graphs:
            for out in graph.statement_outputs:
                span = out.span
                if span.path != path and file_key(span.path) != key:
                    continue
                runs = self.by_span.get(span)
                if runs is None:
                    runs = self.by_span[span] = []
                runs.append(out)
                self.models[id(out)] = graph.name
        self._by_line: dict[int, list] | None = None

    def by_line(self) -> dict[int, list]:
        """Statement spans by the line their hint goes on (where the call ends)."""
        if self._by_line is None:
            index: dict[int, list] = {}
            for span, runs in self.by_span.items():
                index.setdefault(runs[-1].call_span.end_line, []).append(span)
            self._by_line = index
        return self._by_line

    def runs(self, span) -> list[StatementOutput]:
        return self.by_span.get(span, [])


def statement_runs(analysis: Analysis, others: Iterable[Analysis] = ()) -> StatementRuns:
    """The runs of the document's statements: its own models', then those of the open
    documents that import it (for the blocks only they call)."""
    found = analysis.memo.get("runs")
    if found is None:
        graphs = list(analysis.graphs)
        for other in others:
            graphs.extend(other.graphs)
        found = analysis.memo["runs"] = StatementRuns(analysis.path, graphs)
    return found


def _where(out: StatementOutput, lines_path: str) -> str:
    site = out.trail[0] if out.trail else out.span
    name = os.path.basename(site.path)
    shown = f"line {site.line}" if same_file(site.path, lines_path) else f"{name}:{site.line}"
    producer = out.tensor.producer
    return f"{shown} ({producer.scope})" if producer is not None else shown


def hint_label(runs: list[StatementOutput]) -> str | None:
    """The hint of a statement: its last run's shape, and the number of runs when the shapes
    differ; None when the last run's shape is unknown (an error poisoned it)."""
    last = runs[-1]
    if last.tensor.shape is None:
        return None
    label = format_shape(last.tensor.shape)
    shapes = {r.tensor.shape for r in runs}
    if len(shapes) > 1:
        label += f"  ({len(runs)} runs, last shown)"
    return label


def tooltip(runs: list[StatementOutput], path: str) -> str:
    lines = []
    for r in runs[-MAX_TOOLTIP_RUNS:]:
        lines.append(f"{format_shape(r.tensor.shape)}  via {_where(r, path)}")
    if len(runs) > MAX_TOOLTIP_RUNS:
        lines.insert(0, f"... {len(runs) - MAX_TOOLTIP_RUNS} earlier runs")
    return "\n".join(lines)


def inlay_hints(analysis: Analysis, first_line: int, last_line: int,
                others: Iterable[Analysis] = ()) -> list[lsp.InlayHint]:
    """The hints of the 1-based lines ``first_line..last_line`` (the client asks for what it
    shows; only those lines are computed)."""
    runs = statement_runs(analysis, others)
    by_line = runs.by_line()
    out = []
    lines = range(first_line, last_line + 1) if last_line - first_line < len(by_line) \
        else sorted(k for k in by_line if first_line <= k <= last_line)
    for line in lines:
        for span in by_line.get(line, ()):
            statement = runs.runs(span)
            label = hint_label(statement)
            if label is None:
                continue
            out.append(lsp.InlayHint(
                position=analysis.lines.end_of_line(line),
                label=label,
                kind=lsp.InlayHintKind.Type,
                padding_left=True,
                tooltip=tooltip(statement, analysis.path) if len(statement) > 1 else None,
            ))
    return out
