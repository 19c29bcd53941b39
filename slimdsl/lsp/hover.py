"""Hover: what the compiler knows about the thing under the cursor.

- an argument name (``stride=``): the registry's documentation of that argument;
- a layer kind (``conv2d``), ``repeat``/``stack``: the registry's documentation of the kind,
  after the statement's output shape when it is a call;
- a block's name: its signature and where it is defined;
- anywhere else on a layer statement: what ``slimc explain`` prints for the layer it made (full
  scope name, input and output shapes, every effective argument and where it came from,
  variables, parameters, FLOPs), or for a statement that made several layers (``repeat``, a
  block call) a table of them. A statement run several times shows its last run (see
  :mod:`.hints`);
- a model's name: its totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lsprotocol import types as lsp

from ..diagnostics import Span
from ..frontend import tree as n
from ..frontend.program import parse_import
from ..ir import Graph, Node, StatementOutput, relative_scope
from ..layers import lookup
from ..layers.docs import arg_markdown, kind_markdown
from ..layers.shapes import format_shape
from ..tools.explain import arg_scope_index, explain_text
from ..tools.sizes import count_text
from . import syntax
from .hints import statement_runs
from .workspace import Analysis, file_key

MAX_ROWS = 40
META_DOCS = {
    "repeat": "`repeat(count, layer, *args, **kwargs)`: applies `layer` `count` times, each to "
              "the previous output, in scopes `NAME/NAME_1`, `NAME/NAME_2`, ... (TF-Slim's "
              "`slim.repeat`).",
    "stack": "`stack(layer, [args1, args2, ...], **kwargs)`: applies `layer` once per list "
             "item with that item's arguments, in scopes `NAME/NAME_1`, ... (TF-Slim's "
             "`slim.stack`).",
}


def _markdown(text: str, span: Span | None, analysis: Analysis) -> lsp.Hover:
    return lsp.Hover(contents=lsp.MarkupContent(lsp.MarkupKind.Markdown, text),
                     range=analysis.lines.range(span) if span is not None else None)


def hover(analysis: Analysis, line: int, column: int,
          others: Iterable[Analysis] = ()) -> lsp.Hover | None:
    """The hover at a 1-based position, or None."""
    word = analysis.lines.word_at(line, column)
    tree = analysis.tree
    path = syntax.path_at(tree, line, column) if tree is not None else []
    for node in reversed(path):  # an argument name
        if isinstance(node, n.Keyword) and syntax.contains(node.name_span, line, column):
            text = _argument_doc(node.name, path)
            if text:
                return _markdown(text, node.name_span, analysis)
            break
    statement = next((p for p in reversed(path) if isinstance(p, n.LayerStmt)), None)
    if word is None:
        text = statement_report(analysis, statement, others) if statement is not None else None
        return _markdown(text, None, analysis) if text else None
    kind = lookup(word.text)
    if kind is not None or word.text in META_DOCS:
        doc = "\n".join(kind_markdown(kind, "###")) if kind is not None else META_DOCS[word.text]
        head = _statement_head(analysis, statement, others) if _is_callee(path, word) else ""
        return _markdown(head + doc, word.span, analysis)
    program = analysis.program
    if program is not None and word.text in program.blocks and _is_callee(path, word):
        block = program.blocks[word.text]
        return _markdown(_block_doc(block, analysis), word.span, analysis)
    if statement is not None:
        text = statement_report(analysis, statement, others)
        if text:
            return _markdown(text, statement.span if statement.span.line == statement.span.end_line
                             else word.span, analysis)
    for graph in analysis.graphs:
        model = program.models.get(graph.name) if program is not None else None
        if model is not None and word.span == model.name_span:
            return _markdown(_model_doc(graph), word.span, analysis)
    return None


def _is_callee(path: list[Any], word) -> bool:
    """Is the word the name called (``conv2d(`` ...), or a layer named as a value
    (``repeat(2, conv2d, ...)``, ``arg_scope([conv2d])``)?"""
    for node in reversed(path):
        if isinstance(node, n.Call) and node.func_span == word.span:
            return True
        if isinstance(node, n.Name) and node.span == word.span:
            return True
    return not path


def _argument_doc(name: str, path: list[Any]) -> str | None:
    """The documentation of the argument ``name`` of the call (or arg_scope) holding it."""
    for node in reversed(path):
        if isinstance(node, n.Call):
            kind = lookup(node.func)
            if kind is not None:
                arg = kind.arg(name)
                return arg_markdown(kind, arg) if arg is not None else None
            return None
        if isinstance(node, n.ArgScopeStmt):
            items = node.layers.items if isinstance(node.layers, n.ListLit) else ()
            docs = []
            for item in items:
                kind = lookup(item.name) if isinstance(item, n.Name) else None
                if kind is not None and kind.arg(name) is not None:
                    docs.append(arg_markdown(kind, kind.arg(name)))  # type: ignore[arg-type]
            return "\n\n".join(docs) or None
    return None


def _block_doc(block: n.BlockDef, analysis: Analysis) -> str:
    params = ", ".join(f"{p.name}: {p.type_name}" + (" = ..." if p.default is not None else "")
                       for p in block.params)
    where = "this file" if file_key(block.span.path) == file_key(analysis.path) \
        else block.span.path
    return f"```slimdsl\nblock {block.name}({params})\n```\n\nDefined in {where}, line " \
           f"{block.span.line}."


def _model_doc(graph: Graph) -> str:
    flops = count_text(graph.flops)  # a formula in the named sizes of a symbolic input
    outputs = ", ".join(f"`{p.name}` {format_shape(p.tensor.shape)}" for p in graph.outputs)
    return (f"**model {graph.name}**: {len(graph.nodes):,} layers, "
            f"{graph.trainable_params:,} trainable parameters ({graph.total_params:,} in all), "
            f"{flops} FLOPs per example\n\noutputs: {outputs or 'none'}")


def _last_run(analysis: Analysis, statement: n.LayerStmt, others: Iterable[Analysis]
              ) -> tuple[StatementOutput, Graph, int] | None:
    runs_index = statement_runs(analysis, others)
    runs = runs_index.runs(statement.span)
    if not runs:
        return None
    run = runs[-1]
    name = runs_index.models.get(id(run))
    graphs = [*analysis.graphs, *(g for o in others for g in o.graphs)]
    graph = next((g for g in graphs if g.name == name and run in g.statement_outputs), None)
    if graph is None:
        return None
    return run, graph, len(runs)


def _statement_head(analysis: Analysis, statement: n.LayerStmt | None,
                    others: Iterable[Analysis]) -> str:
    if statement is None:
        return ""
    found = _last_run(analysis, statement, others)
    if found is None or found[0].tensor.shape is None:
        return ""
    run = found[0]
    scope = run.tensor.producer.scope if run.tensor.producer is not None else run.tensor.name
    return f"`{scope}` → `{format_shape(run.tensor.shape)}`\n\n---\n\n"


def run_nodes(graph: Graph, run: StatementOutput) -> list[Node]:
    """The layers one run of a statement made: for a layer call its node; for ``repeat``, a
    block call and the like every node expanded through it, in graph order."""
    producer = run.tensor.producer
    if producer is None:
        return []
    index = {id(node): i for i, node in enumerate(graph.nodes)}
    end = index.get(id(producer))
    if end is None:
        return []
    depth = len(run.trail)

    def belongs(node: Node) -> bool:
        if node.trail[:depth] != run.trail:
            return False
        if node.span == run.span and len(node.trail) == depth:
            return True
        return len(node.trail) > depth and node.trail[depth] == run.span

    start = end
    while start > 0 and belongs(graph.nodes[start - 1]):
        start -= 1
    return [node for node in graph.nodes[start:end + 1] if belongs(node)]


def statement_report(analysis: Analysis, statement: n.LayerStmt,
                     others: Iterable[Analysis] = ()) -> str | None:
    """What hovering a layer statement shows (see the module's docstring)."""
    found = _last_run(analysis, statement, others)
    if found is None:
        return None
    run, graph, count = found
    nodes = run_nodes(graph, run)
    if not nodes:
        return None
    note = ""
    if count > 1:
        site = run.trail[0] if run.trail else run.span
        note = f"\n\n*Run {count} times; this is the last run (through line {site.line}).*"
    if len(nodes) == 1:
        text = explain_text(graph, nodes[0], scopes=lambda p: _scopes(analysis, p))
        return f"```text\n{text}\n```{note}"
    rows = [f"| `{relative_scope(node.scope, graph.name)}` | {node.kind} | "
            f"`{format_shape(node.output.shape)}` | {node.params:,} |"
            for node in nodes[:MAX_ROWS]]
    more = f"\n\n... and {len(nodes) - MAX_ROWS} more layers" if len(nodes) > MAX_ROWS else ""
    params = sum(node.params for node in nodes)
    flops = None if any(node.flops is None for node in nodes) else \
        sum(node.flops for node in nodes)  # type: ignore[misc]
    return (f"**{len(nodes)} layers** → `{format_shape(run.tensor.shape)}`, {params:,} "
            f"parameters, {count_text(flops)} FLOPs\n\n"
            "| scope | layer | output | params |\n|---|---|---|---:|\n" + "\n".join(rows)
            + more + note)


def _scopes(analysis: Analysis, path: str):
    """The arg_scope index of a file of the analysis, from the trees it already has."""
    memo = analysis.memo.setdefault("arg_scopes", {})
    key = file_key(path)
    if key not in memo:
        if key == file_key(analysis.path) and analysis.tree is not None:
            memo[key] = arg_scope_index(analysis.tree, analysis.text)
        else:
            text = analysis.deps.get(key)
            memo[key] = arg_scope_index(parse_import(text, path), text) if text else {}
    return memo[key]

