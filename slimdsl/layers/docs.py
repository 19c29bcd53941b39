"""The registry's documentation of a layer kind as Markdown: ``docs/layers.md``
(``scripts/gen_docs.py``) and the language server's hovers render the same text."""

from __future__ import annotations

from ..values import show
from .argtypes import TYPES
from .base import Arg, LayerKind

_INPUTS = {"one": "one tensor (default: `net`)", "two": "two tensors",
           "list": "a list of tensors, or branches", "none": "none"}
_SCOPES = {"variable": "variable scope", "name": "name scope", "op": "op name",
           "none": "the variable's own name"}


def kind_markdown(kind: LayerKind, heading: str = "##") -> list[str]:
    """The section of one layer kind: heading, description, inputs and scope, how it is
    written and taken from arg_scope, argument table."""
    aliases = f" (alias: {', '.join(f'`{a}`' for a in kind.aliases)})" if kind.aliases else ""
    out = [f"{heading} `{kind.name}`{aliases}", "", f"{kind.doc} TF equivalent: `{kind.tf_name}`.",
           ""]
    default = f"`{kind.default_scope}`" if kind.scope_rule is None else \
        f"`{kind.default_scope}` or another, by its arguments"
    line = f"Input: {_INPUTS[kind.inputs]}. "
    line += f"Default scope: {default} ({_SCOPES[kind.scope_kind]}); " if kind.default_scope \
        else f"Named: {_SCOPES[kind.scope_kind]}; "
    out.append(line + f"inner name in repeat/stack: `{kind.func_name}_N`.")
    out += _notes(kind)
    out.append("")
    if kind.args:
        out.append("| argument | type | default | notes |")
        out.append("|---|---|---|---|")
        for a in kind.args:
            out.append(f"| `{a.name}` | {TYPES[a.type].doc} | {default_text(a)} | {a.doc} |")
        out.append("")
    return out


def _notes(kind: LayerKind) -> list[str]:
    """How a kind is also written, what it takes, and how arg_scope and `as` reach it."""
    notes = []
    if kind.operator:
        written = {"[]": "`x[...]` (not called by name)", "neg": "`-x`"}.get(
            kind.operator, f"`a {kind.operator} b`")
        notes.append(f"Also written {written}; that form is named `{kind.operator_scope}`.")
    if kind.input_dtypes is not None:
        notes.append(f"Input dtypes: {', '.join(kind.input_dtypes)}.")
    if kind.multi_output:
        notes.append("Its value is a list of tensors, one per output.")
    if kind.arg_scope_key:
        notes.append(f"Takes its defaults from `arg_scope([{kind.arg_scope_key}])`"
                     + (f", except {', '.join(f'`{a}`' for a in kind.own_args)}"
                        if kind.own_args else "") + ".")
    elif not kind.arg_scopable:
        notes.append("Cannot be listed in `arg_scope` (TF-Slim's is not decorated with "
                     "add_arg_scope).")
    if kind.positional is not None:
        notes.append(f"Only the first {kind.positional} argument(s) may be positional.")
    if kind.scope_arg not in ("scope", ""):
        notes.append(f"TF-Slim's `{kind.scope_arg}` argument is written `as NAME`.")
    if not kind.scope_arg and kind.scope_kind == "op":
        notes.append("TF-Slim's function has no scope argument; `as NAME` names the op.")
    return notes


def default_text(arg: Arg) -> str:
    """``*required*`` or the default as the language writes it, in backquotes."""
    return "*required*" if arg.required else f"`{show(arg.default)}`"


def arg_markdown(kind: LayerKind, arg: Arg) -> str:
    """One argument of a layer kind: its type, default and notes."""
    text = f"`{kind.name}` argument `{arg.name}`: {TYPES[arg.type].doc}; default " \
           f"{default_text(arg)}."
    return text + (f"\n\n{arg.doc[0].upper()}{arg.doc[1:]}." if arg.doc else "")
