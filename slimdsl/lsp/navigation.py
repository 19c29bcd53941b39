"""Go to definition and the document's outline.

Definition resolves the word under the cursor: an ``import "..."`` opens the file; a block, a
``def`` function or a model (an alias's base) goes to its definition, in this file or an
imported one; a name in a body goes to its binding: the nearest earlier statement of the
enclosing model or block that binds it (``x = ...``, ``input x``, ``for x in``), or a
parameter; a keyword argument of a block call goes to the block's parameter.

The outline (document symbols) lists imports, models (with their parameters), blocks and
``def`` functions, and inside models and blocks the ``scope``s, ``arg_scope``s, branches,
named layers (``as NAME``) and bound tensors, nested as written.
"""

from __future__ import annotations

import os
from typing import Any

from lsprotocol import types as lsp

from ..diagnostics import Span
from ..frontend import tree as n
from . import syntax
from .diagnostics import Locator
from .text import path_to_uri
from .workspace import Analysis

S = lsp.SymbolKind


def definition(analysis: Analysis, line: int, column: int,
               tree: n.File | None = None) -> list[lsp.Location]:
    """Where the thing at a 1-based position is defined (empty when nothing is)."""
    tree = analysis.tree or tree
    if tree is None:
        return []
    path = syntax.path_at(tree, line, column)
    locator = Locator(analysis)
    for node in path:
        if isinstance(node, n.Import):
            base = os.path.dirname(analysis.path)
            target = os.path.normpath(os.path.join(base, node.path))
            if os.path.exists(target):
                return [lsp.Location(path_to_uri(target), lsp.Range(lsp.Position(0, 0),
                                                                    lsp.Position(0, 0)))]
            return []
    word = analysis.lines.word_at(line, column)
    if word is None:
        return []
    span = _resolve(analysis, tree, path, word.text, line, column)
    return [locator.location(span)] if span is not None else []


def _resolve(analysis: Analysis, tree: n.File, path: list[Any], name: str, line: int,
             column: int) -> Span | None:
    keyword = next((p for p in reversed(path) if isinstance(p, n.Keyword)
                    and syntax.contains(p.name_span, line, column)), None)
    program = analysis.program
    if keyword is not None:  # block(param=...) goes to the block's parameter
        call = next((p for p in reversed(path) if isinstance(p, n.Call)), None)
        blocks = program.blocks if program is not None else {b.name: b for b in tree.blocks}
        block = blocks.get(call.func) if call is not None else None
        if block is not None:
            return next((p.span for p in block.params if p.name == name), None)
        return None
    definition_node = path[0] if path else None
    if definition_node is not None and not isinstance(definition_node, n.ModelAlias):
        found = _local_binding(definition_node, name, line)
        if found is not None:
            return found
    tables: list[dict] = []
    if program is not None:
        tables = [program.blocks, program.functions, program.models]
    else:
        tables = [{b.name: b for b in tree.blocks}, {f.name: f for f in tree.functions},
                  {m.name: m for m in tree.models}]
    for table in tables:
        if name in table:
            return table[name].name_span
    return None


def _local_binding(definition: Any, name: str, line: int) -> Span | None:
    """The nearest binding of ``name`` before ``line`` in a model or block (or a parameter)."""
    best: Span | None = None
    for stmt in syntax.statements(definition):
        if stmt.span.line > line:
            continue
        for bound, where in syntax.bindings(stmt):
            if bound == name and (stmt.span.line < line or where is not None):
                best = where or stmt.span
    if best is not None:
        return best
    for p in getattr(definition, "params", ()):
        if p.name == name:
            return p.span
    return None


# ---------------------------------------------------------------------------- outline


def document_symbols(analysis: Analysis, tree: n.File | None = None
                     ) -> list[lsp.DocumentSymbol]:
    """The outline of the document (see the module's docstring)."""
    tree = analysis.tree or tree
    if tree is None:
        return []
    locator = Locator(analysis)
    shapes = {g.name: g for g in analysis.graphs}
    out = []
    for d in syntax.top_level(tree):
        if isinstance(d, n.Import):
            out.append(_symbol(locator, d.path, S.Module, d.span, d.span, "import"))
        elif isinstance(d, (n.ModelDef, n.ModelAlias)):
            graph = shapes.get(d.name)
            detail = f"{len(graph.nodes):,} layers, {graph.trainable_params:,} parameters" \
                if graph is not None else "model"
            children = [_symbol(locator, p.name, S.TypeParameter, p.span, p.span, p.type_name)
                        for p in getattr(d, "params", ())]
            children += _body_symbols(locator, getattr(d, "body", ()))
            out.append(_symbol(locator, d.name, S.Class, d.span, d.name_span, detail, children))
        elif isinstance(d, n.BlockDef):
            children = [_symbol(locator, p.name, S.TypeParameter, p.span, p.span, p.type_name)
                        for p in d.params]
            children += _body_symbols(locator, d.body)
            out.append(_symbol(locator, d.name, S.Function, d.span, d.name_span, "block",
                               children))
        elif isinstance(d, n.DefStmt):
            out.append(_symbol(locator, d.name, S.Function, d.span, d.name_span, "def"))
    return out


def _symbol(locator: Locator, name: str, kind: lsp.SymbolKind, span: Span, selection: Span,
            detail: str | None = None, children: list | None = None) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(name=name or "?", kind=kind, range=locator.range(span),
                              selection_range=locator.range(selection), detail=detail,
                              children=children or None)


def _body_symbols(locator: Locator, body: Any) -> list[lsp.DocumentSymbol]:
    """Symbols of the statements below a body, generically: named statements become symbols
    holding their own statements; the others pass theirs up."""
    out: list[lsp.DocumentSymbol] = []
    for child in body if isinstance(body, tuple) else syntax.children(body):
        if not syntax.is_node(child):
            continue
        inner = [c for c in syntax.children(child) if isinstance(c, (n.Stmt, n.Branch))]
        nested = _body_symbols(locator, tuple(inner)) if inner else []
        named = _named(child, locator)
        if named is None:
            out.extend(nested)
            continue
        name, kind, selection, detail = named
        out.append(_symbol(locator, name, kind, child.span, selection, detail, nested))
    return out


def _named(node: Any, locator: Locator) -> tuple[str, lsp.SymbolKind, Span, str] | None:
    """(name, kind, name's span, detail) of a statement the outline shows, else None."""
    scope = getattr(node, "scope", None)
    if isinstance(node, n.ScopeStmt):
        return node.scope.text, S.Namespace, node.scope.span, "scope"
    if isinstance(node, n.Branch):
        return (scope.text if scope else "branch"), S.Namespace, \
            scope.span if scope else node.span, "branch"
    if isinstance(node, n.ArgScopeStmt):
        lines = locator.lines(node.span.path)
        listed = lines.line(node.layers.span.line)[node.layers.span.column - 1:
                                                    node.layers.span.end_column - 1] \
            if node.layers.span.line == node.layers.span.end_line else "[...]"
        return f"arg_scope({listed})", S.Namespace, node.layers.span, "arg_scope"
    if isinstance(node, n.LayerStmt):
        callee = node.value.func if isinstance(node.value, n.Call) else ""
        if scope is not None:
            return scope.text, S.Field, scope.span, callee
        if node.target is not None and node.target_span is not None:
            return node.target, S.Variable, node.target_span, callee
        if node.branches:
            return callee, S.Field, node.value.span, callee
    return None
