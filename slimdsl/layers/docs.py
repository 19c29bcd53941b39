"""The registry's documentation of a layer kind as Markdown: ``docs/layers.md``
(``scripts/gen_docs.py``) and the language server's hovers render the same text."""

from __future__ import annotations

from ..values import show
from .argtypes import TYPES
from .base import Arg, LayerKind

_INPUTS = {"one": "one tensor (default: `net`)", "two": "two tensors",
           "list": "a list of tensors, or branches"}
_SCOPES = {"variable": "variable scope", "name": "name scope", "op": "op name"}


def kind_markdown(kind: LayerKind, heading: str = "##") -> list[str]:
    """The section of one layer kind: heading, description, inputs and scope, argument table."""
    aliases = f" (alias: {', '.join(f'`{a}`' for a in kind.aliases)})" if kind.aliases else ""
    out = [f"{heading} `{kind.name}`{aliases}", "", f"{kind.doc} TF equivalent: `{kind.tf_name}`.",
           "", f"Input: {_INPUTS[kind.inputs]}. Default scope: `{kind.default_scope}` "
               f"({_SCOPES[kind.scope_kind]}); inner name in repeat/stack: `{kind.func_name}_N`."]
    if kind.arg_scope_key:
        out.append(f"Takes its defaults from `arg_scope([{kind.arg_scope_key}])`.")
    out.append("")
    if kind.args:
        out.append("| argument | type | default | notes |")
        out.append("|---|---|---|---|")
        for a in kind.args:
            out.append(f"| `{a.name}` | {TYPES[a.type].doc} | {default_text(a)} | {a.doc} |")
        out.append("")
    return out


def default_text(arg: Arg) -> str:
    """``*required*`` or the default as the language writes it, in backquotes."""
    return "*required*" if arg.required else f"`{show(arg.default)}`"


def arg_markdown(kind: LayerKind, arg: Arg) -> str:
    """One argument of a layer kind: its type, default and notes."""
    text = f"`{kind.name}` argument `{arg.name}`: {TYPES[arg.type].doc}; default " \
           f"{default_text(arg)}."
    return text + (f"\n\n{arg.doc[0].upper()}{arg.doc[1:]}." if arg.doc else "")
