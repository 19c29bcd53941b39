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
    """The runs of every layer statement of one file, by statement, in run order (for hover;
    the hints look only at the lines they are asked for)."""

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
    shows; only the statements ending there are looked at)."""
    path, key = analysis.path, file_key(analysis.path)
    ours: dict[str, bool] = {path: True}
    groups: dict = {}
    for graph in [*analysis.graphs, *(g for o in others for g in o.graphs)]:
        for out in graph.statement_outputs:
            if not first_line <= out.call_span.end_line <= last_line:
                continue
            where = out.span.path
            mine = ours.get(where)
            if mine is None:
                mine = ours[where] = file_key(where) == key
            if mine:
                groups.setdefault(out.span, []).append(out)
    result = []
    for runs in sorted(groups.values(), key=lambda r: r[-1].call_span.end_line):
        label = hint_label(runs)
        if label is None:
            continue
        line = runs[-1].call_span.end_line
        result.append(lsp.InlayHint(
            position=analysis.lines.end_of_line(line),
            label=label,
            kind=lsp.InlayHintKind.Type,
            padding_left=True,
            tooltip=tooltip(runs, path) if len(runs) > 1 else None,
        ))
    return result
