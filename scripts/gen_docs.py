"""Generate docs/layers.md (from the layer registry) and docs/errors.md (from the diagnostic codes
and the golden error tests). ``tests/test_docs.py`` fails when the committed files drift.

    python scripts/gen_docs.py          # rewrite both files
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slimdsl.diagnostics import CODES  # noqa: E402
from slimdsl.layers import LAYERS, TYPES  # noqa: E402
from slimdsl.layers.tf_slim_names import (  # noqa: E402
    LANGUAGE,
    LEFT_OUT,
    MODULES,
    NOT_LAYERS,
    OMITTED_ARGUMENTS,
    VARIABLES_LEFT_OUT,
)
from slimdsl.values import show  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "errors"


def layers_markdown() -> str:
    out = ["# Layer reference", "",
           "Generated from the layer registry (`slimdsl/layers/`) by `scripts/gen_docs.py`; do not",
           "edit by hand. The layers are grouped by family (convolutions, N-d convolutions, dense,",
           "pooling, normalization, activations, sequences, variables, tensor operations); the",
           "last section says which of tf_slim's public functions are supported, which are left",
           "out and why.",
           "Argument names, order and defaults are TF-Slim's. Positional arguments follow the",
           "input tensor(s) in the order listed. Three of TF-Slim's arguments are no arguments",
           "here:", ""]
    out += [f"- `{name}`: {why}." for name, why in OMITTED_ARGUMENTS.items()]
    out.append("")
    for kind in LAYERS.values():
        out += _kind_markdown(kind)
    out += _coverage_markdown()
    return "\n".join(out)


def _kind_markdown(kind) -> list[str]:
    aliases = f" (alias: {', '.join(f'`{a}`' for a in kind.aliases)})" if kind.aliases else ""
    out = [f"## `{kind.name}`{aliases}", "", f"{kind.doc} TF equivalent: `{kind.tf_name}`.", ""]
    inputs = {"one": "one tensor (default: `net`)", "two": "two tensors",
              "list": "a list of tensors, or branches", "none": "none"}[kind.inputs]
    scope = {"variable": "variable scope", "name": "name scope", "op": "op name",
             "none": "the variable's own name"}[kind.scope_kind]
    default = f"`{kind.default_scope}`" if kind.scope_rule is None else \
        f"`{kind.default_scope}` or another, by its arguments"
    line = f"Input: {inputs}. "
    line += f"Default scope: {default} ({scope}); " if kind.default_scope else f"Named: {scope}; "
    line += f"inner name in repeat/stack: `{kind.func_name}_N`."
    out.append(line)
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
    out += notes
    out.append("")
    if kind.args:
        out.append("| argument | type | default | notes |")
        out.append("|---|---|---|---|")
        for a in kind.args:
            default = "*required*" if a.required else f"`{show(a.default)}`"
            out.append(f"| `{a.name}` | {TYPES[a.type].doc} | {default} | {a.doc} |")
        out.append("")
    return out


def _coverage_markdown() -> list[str]:
    """Which public functions of tf_slim's layer modules .slim supports, and why not the rest."""
    out = ["## tf_slim's public layer functions", "",
           "Every public callable of " + " and of ".join(f"`{m}`" for m in MODULES)
           + " is listed here: supported as a layer or a statement, left out (with the reason),",
           "or not a layer. (`tf_slim/__init__.py` rebinds the attribute `tf_slim.layers` to the",
           "module `tf_slim.layers.layers`; only the package has `instance_norm` and",
           "`group_norm`.) `tests/test_tf_slim_coverage.py` fails on a name missing here.", "",
           "### Supported", "", "| tf_slim | .slim |", "|---|---|"]
    for kind in LAYERS.values():
        if kind.tf_name.startswith("slim."):
            for name in (kind.tf_name[5:],) + kind.aliases:
                out.append(f"| `{name}` | `{kind.name}` |")
    out += [f"| `{name}` | {what} |" for name, what in LANGUAGE.items()]
    out += ["", "### Left out", ""]
    out += [f"- `{name}`: {why}." for name, why in sorted({**LEFT_OUT,
                                                          **VARIABLES_LEFT_OUT}.items())]
    out += ["", "### Not layers", ""]
    out += [f"- `{name}`: {what}." for name, what in sorted(NOT_LAYERS.items())]
    return out


def _example(code: str) -> str | None:
    for path in sorted(GOLDEN.glob("*.out")):
        text = path.read_text()
        if re.search(rf" \[{re.escape(code)}\]$", text, re.M):
            body = text.split("\n", 1)[1]
            lines = [ln for ln in body.splitlines() if not ln.startswith(("Found ", "Success"))]
            return "\n".join(lines)
    return None


def errors_markdown() -> str:
    out = ["# Diagnostic codes", "",
           "Every diagnostic prints as `path:line:col: error: message [code]`, then the source",
           "line with a caret and notes. Codes are stable: CI rules and editors may key on them.",
           "Exit codes: 0 clean, 1 findings, 2 usage or I/O errors. Examples come from the golden",
           "tests in `tests/golden/errors/` (generated by `scripts/gen_docs.py`).", ""]
    for code in CODES.values():
        out.append(f"## `{code.name}`: {code.title}")
        out.append("")
        out.append(code.description)
        out.append("")
        example = _example(code.name)
        if example:
            out.append("```text")
            out.append(example)
            out.append("```")
            out.append("")
    return "\n".join(out)


def main() -> None:
    (ROOT / "docs" / "layers.md").write_text(layers_markdown() + "\n")
    (ROOT / "docs" / "errors.md").write_text(errors_markdown() + "\n")


if __name__ == "__main__":
    main()
