"""Completion and signature help.

Completion offers, by context (:mod:`.context`):

- in a call's argument list: the callee's argument names (``stride=``) not given yet, then
  values; after ``name=``: the values that argument takes (``"SAME"``, ``relu``, ``l2(...)``)
  and the names in scope;
- in ``arg_scope([...])``: layer kinds and blocks; in ``arg_scope(...)``'s keywords: the
  arguments of the layers it lists;
- after ``as``: scope names (the layer's TF-Slim default, the next of a numbered sequence such as
  ``conv3`` after ``conv2``, and the scope names the document already uses);
- in ``import "``: the ``.slim`` files next to the document;
- elsewhere: layer kinds, blocks, ``def`` functions, the model's or block's parameters, the
  tensors bound so far, builtins and keywords.

Signature help shows the innermost call's signature (a layer kind's from the registry, a
block's, a ``def``'s) with the argument being typed highlighted.
"""

from __future__ import annotations

import os
import re
from typing import Any

from lsprotocol import types as lsp

from ..editors.vocabulary import word_lists
from ..frontend import tree as n
from ..layers import LAYER_NAMES, LAYERS, META_LAYERS, lookup
from ..layers.docs import default_text
from ..lower.arg_scopes import signature
from ..values import ACTIVATIONS, BUILTIN_FUNCTIONS, INITIALIZERS, REGULARIZERS
from . import syntax
from .context import CursorContext, cursor_context
from .workspace import Analysis

K = lsp.CompletionItemKind
#: Values offered after ``name=`` by argument type (the registry's type names).
TYPE_VALUES: dict[str, tuple[str, ...]] = {
    "padding": ('"SAME"', '"VALID"'),
    "data-format": ('"NHWC"',),
    "activation": (*ACTIVATIONS, "none"),
    "initializer": (*INITIALIZERS, "none"),
    "initializer!": tuple(INITIALIZERS),
    "regularizer": (*REGULARIZERS, "none"),
    "normalizer": ("batch_norm", "none"),
    "bool": ("true", "false"),
    "flag": ("true", "false", "training"),
}
_SCOPE_AS = re.compile(r"\bas\s+\"?([A-Za-z_][A-Za-z0-9_]*?)(\d+)\"?\s*(?:$|\{|#)")


def _item(label: str, kind: K, detail: str | None = None, doc: str | None = None,
          insert: str | None = None, sort: str = "5") -> lsp.CompletionItem:
    return lsp.CompletionItem(
        label=label, kind=kind, detail=detail, insert_text=insert, sort_text=f"{sort}{label}",
        documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, doc) if doc else None)


def completion(analysis: Analysis, line: int, column: int,
               tree: n.File | None = None) -> lsp.CompletionList:
    """The completions at a 1-based position. ``tree`` is the last tree that parsed (the
    document's own while it is being typed may not)."""
    tree = analysis.tree or tree
    ctx = cursor_context(analysis.lines.lines, line, column)
    items: list[lsp.CompletionItem]
    if ctx.in_string:
        items = _import_files(analysis) if ctx.string_owner == "import" else []
    elif ctx.previous == "as":
        items = _scope_names(analysis, ctx, line)
    elif ctx.in_list_of == "arg_scope":
        items = _layer_items(analysis, "1") + _block_items(analysis, "2")
    elif ctx.call is not None:
        items = _argument_items(analysis, ctx, tree, line, column)
    else:
        items = _general_items(analysis, tree, line, column, ctx)
    return lsp.CompletionList(is_incomplete=False, items=_unique(items))


def _unique(items: list[lsp.CompletionItem]) -> list[lsp.CompletionItem]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.label not in seen:
            seen.add(item.label)
            out.append(item)
    return out


def _layer_items(analysis: Analysis, sort: str = "3") -> list[lsp.CompletionItem]:
    out = []
    for name in sorted(LAYER_NAMES):  # the names a call may use (slicing is syntax only)
        kind = LAYERS[LAYER_NAMES[name]]
        out.append(_item(name, K.Function, signature(kind), kind.doc, sort=sort))
    for name in META_LAYERS:
        out.append(_item(name, K.Function, f"{name}(...)", None, sort=sort))
    return out


def _block_items(analysis: Analysis, sort: str = "2") -> list[lsp.CompletionItem]:
    program = analysis.program
    if program is None:
        return []
    out = []
    for name, block in sorted(program.blocks.items()):
        params = ", ".join(f"{p.name}: {p.type_name}" for p in block.params)
        out.append(_item(name, K.Class, f"block {name}({params})", sort=sort))
    for name, fn in sorted(program.functions.items()):
        out.append(_item(name, K.Function, f"def {name}({', '.join(fn.params)})", sort=sort))
    return out


def names_in_scope(tree: n.File | None, line: int, column: int) -> list[tuple[str, str]]:
    """(name, what) of the parameters, tensors, loop variables and functions visible at a
    position of the enclosing model or block (bound on an earlier line)."""
    if tree is None:
        return []
    definition = syntax.definition_at(tree, line, column)
    if definition is None:
        return []
    out: list[tuple[str, str]] = []
    for p in getattr(definition, "params", ()):
        out.append((p.name, f"parameter: {p.type_name}"))
    for stmt in syntax.statements(definition):
        if stmt.span.line < line:
            for name, _ in syntax.bindings(stmt):
                out.append((name, type(stmt).__name__.removesuffix("Stmt").lower()))
    out.append(("net", "the current tensor"))
    return out


def _name_items(tree: n.File | None, line: int, column: int) -> list[lsp.CompletionItem]:
    return [_item(name, K.Variable, what, sort="1")
            for name, what in names_in_scope(tree, line, column)]


def _argument_items(analysis: Analysis, ctx: CursorContext, tree: n.File | None, line: int,
                    column: int) -> list[lsp.CompletionItem]:
    frame = ctx.call
    assert frame is not None
    callee = frame.callee or ""
    kinds = _kinds_of(callee, ctx, analysis)
    if frame.keyword is not None:  # after name=: values
        values: list[lsp.CompletionItem] = []
        for kind in kinds:
            arg = kind.arg(frame.keyword)
            if arg is not None:
                values += [_item(v, K.Value, arg.type, sort="0") for v in
                           TYPE_VALUES.get(arg.type, ())]
        return values + _name_items(tree, line, column)
    items: list[lsp.CompletionItem] = []
    positional = frame.positional - (1 if frame.first and
                                     _is_tensor(frame.first, tree, line, column) else 0)
    for kind in kinds:
        given = positional if kind.name == callee or lookup(callee) is kind else 0
        for arg in kind.args[max(given, 0):]:
            if arg.name not in frame.keywords:
                items.append(_item(f"{arg.name}=", K.Property,
                                   f"{arg.type}, default {default_text(arg).strip('`')}",
                                   arg.doc or None, sort="0"))
    blocks = _blocks(analysis, tree)
    if callee in blocks:
        for p in blocks[callee].params:
            if p.name not in frame.keywords:
                items.append(_item(f"{p.name}=", K.Property, f"{p.type_name}", sort="0"))
    if callee in ("repeat", "stack"):
        items += _layer_items(analysis, "1") + _block_items(analysis, "1")
    return items + _name_items(tree, line, column) + _layer_items(analysis, "6")


def _blocks(analysis: Analysis, tree: n.File | None) -> dict[str, n.BlockDef]:
    """The blocks in scope: the program's, or while the text does not load, the last tree's
    own."""
    if analysis.program is not None:
        return analysis.program.blocks
    return {b.name: b for b in tree.blocks} if tree is not None else {}


def _kinds_of(callee: str, ctx: CursorContext, analysis: Analysis) -> list:
    """The layer kinds whose arguments a call's keywords are: the callee, or for
    ``arg_scope`` the kinds it lists, for ``repeat``/``stack`` the layer they repeat."""
    kind = lookup(callee)
    if kind is not None:
        return [kind]
    frame = ctx.call
    listed = [t for t in (frame.first if frame else []) if re.fullmatch(r"[A-Za-z_]\w*", t)]
    return [k for k in (lookup(t) for t in listed) if k is not None] \
        if callee in ("arg_scope", "repeat", "stack") else []


def _general_items(analysis: Analysis, tree: n.File | None, line: int, column: int,
                   ctx: CursorContext) -> list[lsp.CompletionItem]:
    words = word_lists()
    items = _name_items(tree, line, column) + _block_items(analysis) + _layer_items(analysis)
    items += [_item(w, K.Constant, sort="7") for w in words["constants"]]
    items += [_item(w, K.Function, sort="7") for w in (*BUILTIN_FUNCTIONS, *ACTIVATIONS)]
    items += [_item(w, K.Function, sort="8") for w in (*INITIALIZERS, *REGULARIZERS)]
    for category in ("declarations", "imports", "control", "logical", "statements"):
        items += [_item(w, K.Keyword, sort="9") for w in words[category]]
    if ctx.frames and ctx.frames[-1].bracket == "[":
        items += [_item("?", K.Value, "an unknown dimension", sort="0")]
    return items


def _scope_names(analysis: Analysis, ctx: CursorContext, line: int) -> list[lsp.CompletionItem]:
    items = []
    frame_callee = None
    text = analysis.lines.prefix(line, len(analysis.lines.line(line)) + 1)
    m = re.match(r"\s*(?:[A-Za-z_]\w*\s*=\s*)?([A-Za-z_]\w*)\s*\(", text)
    if m:
        frame_callee = m.group(1)
    kind = lookup(frame_callee) if frame_callee else None
    if kind is not None and kind.default_scope:
        items.append(_item(kind.default_scope, K.Reference, f"{kind.name}'s default scope",
                           sort="1"))
    for i in range(line - 1, max(0, line - 40), -1):  # the next of a numbered sequence
        found = _SCOPE_AS.search(analysis.lines.line(i))
        if found:
            items.insert(0, _item(f"{found.group(1)}{int(found.group(2)) + 1}", K.Reference,
                                  f"after {found.group(1)}{found.group(2)}", sort="0"))
            break
    for graph in analysis.graphs:
        for node in graph.nodes:
            if node.span.path == analysis.path:
                items.append(_item(node.short_scope, K.Reference, "used in this file", sort="5"))
    return items


def _import_files(analysis: Analysis) -> list[lsp.CompletionItem]:
    folder = os.path.dirname(analysis.path)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    own = os.path.basename(analysis.path)
    return [_item(name, K.File, sort="1") for name in names
            if name.endswith((".slim", ".slimdsl")) and name != own]


# ---------------------------------------------------------------------------- signature help


def signature_help(analysis: Analysis, line: int, column: int,
                   tree: n.File | None = None) -> lsp.SignatureHelp | None:
    """The signature of the innermost call around a 1-based position, or None."""
    tree = analysis.tree or tree
    ctx = cursor_context(analysis.lines.lines, line, column)
    frame = ctx.enclosing_call()
    if frame is None or frame.callee is None:
        return None
    callee = frame.callee
    params: list[tuple[str, str | None]]
    kind = lookup(callee)
    program = analysis.program
    if kind is not None:
        first = "inputs" if kind.inputs == "one" else "values" if kind.inputs == "list" else "x"
        params = [(first, "the input tensor (default: net)")]
        if kind.inputs == "two":
            params.append(("y", None))
        params += [(a.name if a.required else f"{a.name}={default_text(a).strip('`')}",
                    a.doc or None) for a in kind.args]
        names = [first] + (["y"] if kind.inputs == "two" else []) + [a.name for a in kind.args]
        doc: str | None = kind.doc
        tensor_first = bool(frame.first) and _is_tensor(frame.first, tree, line, column)
        offset = 0 if tensor_first else len(names) - len(kind.args)
    elif program is not None and callee in program.blocks:
        block = program.blocks[callee]
        params = [(f"{p.name}: {p.type_name}" + (" = ..." if p.default is not None else ""),
                   None) for p in block.params]
        names, doc, offset = [p.name for p in block.params], f"block {callee}", 0
    elif program is not None and callee in program.functions:
        fn = program.functions[callee]
        params = [(p, None) for p in fn.params]
        names, doc, offset = list(fn.params), f"def {callee}", 0
    else:
        return None
    label = f"{callee}({', '.join(p for p, _ in params)})"
    infos, position = [], len(callee) + 1
    for text, pdoc in params:
        infos.append(lsp.ParameterInformation(label=(position, position + len(text)),
                                              documentation=pdoc))
        position += len(text) + 2
    if frame.keyword is not None:
        active = names.index(frame.keyword) if frame.keyword in names else None
    else:
        active = frame.positional + offset if not frame.keywords else None
        if active is not None and active >= len(params):
            active = None
    return lsp.SignatureHelp(
        signatures=[lsp.SignatureInformation(label=label, documentation=doc, parameters=infos,
                                             active_parameter=active)],
        active_signature=0, active_parameter=active)


def _is_tensor(tokens: list[str], tree: n.File | None, line: int, column: int) -> bool:
    """Is a call's first argument (its tokens) a tensor: ``net`` or a name bound to one?"""
    if len(tokens) != 1:
        return False
    if tokens[0] == "net":
        return True
    kinds: dict[str, Any] = dict(names_in_scope(tree, line, column))
    return kinds.get(tokens[0]) in ("layer", "input")
