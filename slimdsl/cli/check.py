"""``slimc check PATH...``: parse and shape-check files and folders (recursively).

``--max-params N`` / ``--max-flops N`` turn a model over budget into a ``budget`` finding at the
model's name (N takes the suffixes K, M, G, T: ``--max-params 25M``). ``--warn CODE``,
``--no-warn CODE`` and ``--warnings-as-errors`` choose the lint warnings (:mod:`slimdsl.lint`).
FLOPs that depend on named input sizes are compared at the sizes ``--input`` gives.
``--sizes`` says what a model that accepts only some of its input sizes is (``some-sizes``): a
warning, an error, or nothing. Many files are checked by one process per core (``--jobs``),
with the same output as one after the other (:mod:`.parallel`).
"""

from __future__ import annotations

import argparse
import re
import sys

from .. import diagnostics as dg
from ..api import CheckResult, check_file, expand_paths
from ..diagnostics import CompileError, Diagnostic
from ..frontend.parser import parse
from ..records import replace
from ..tools.sizes import count_text
from .common import (
    EXIT_USAGE,
    add_define_option,
    add_input_option,
    add_warning_options,
    apply_warning_policy,
    emit_diagnostics,
    exit_code,
    lint_options,
    use_color,
)
from .parallel import check_all

HELP = "parse and shape-check .slim files or folders"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("check", help=HELP, description=HELP)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for stdin")
    p.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("--max-params", type=parse_count, metavar="N",
                   help="budget: a model with more parameters (trainable or not) is a finding")
    p.add_argument("--max-flops", type=parse_count, metavar="N",
                   help="budget: a model with more FLOPs per example is a finding")
    p.add_argument("--sizes", choices=("warn", "error", "ignore"), default="warn",
                   help="a model with named input sizes that accepts only some of them: a "
                        "warning (default), an error, or nothing")
    p.add_argument("-j", "--jobs", type=positive_int, metavar="N",
                   help="check many files in N processes (default and at most: one per core; 1: "
                        "in this one); the output is the same")
    add_define_option(p)
    add_warning_options(p)
    add_input_option(p)
    return p


def positive_int(text: str) -> int:
    """``--jobs N``: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes >= 1, got {text!r}")
    return value


_SUFFIXES = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}


def parse_count(text: str) -> int:
    """``25000000``, ``25M``, ``1.5G``, ``3e9`` -> an integer count."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?(?:[eE]\d+)?)\s*([KMGBT]?)\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"expected a count like 25000000 or 25M, got {text!r}")
    return int(float(m.group(1)) * _SUFFIXES[m.group(2).upper()])


def budget_diagnostics(result: CheckResult, max_params: int | None,
                       max_flops: int | None) -> list[Diagnostic]:
    """A ``budget`` error at the model's name for each model of ``result`` over budget."""
    if (max_params is None and max_flops is None) or not result.ok or not result.graphs:
        return []
    try:
        tree = parse(result.source or "", result.path)
    except CompileError:
        return []
    spans = {m.name: m.name_span for m in tree.models}
    out = []
    for g in result.graphs:
        span = spans.get(g.name, g.span)
        if max_params is not None and g.total_params > max_params:
            out.append(Diagnostic(span, "error", dg.BUDGET.name,
                                  f"model '{g.name}' has {g.total_params:,} parameters, over the "
                                  f"budget of {max_params:,} (--max-params)"))
        if max_flops is None:
            continue
        if isinstance(g.flops, int):
            if g.flops > max_flops:
                out.append(Diagnostic(span, "error", dg.BUDGET.name,
                                      f"model '{g.name}' needs {g.flops:,} FLOPs per example, "
                                      f"over the budget of {max_flops:,} (--max-flops)"))
            continue
        # a budget that cannot be decided is not a pass: a CI gate must not go quiet when a
        # model's inputs become symbolic
        count = ("an unknown number of FLOPs (an input size is '?')" if g.flops is None
                 else f"{count_text(g.flops)} FLOPs")
        out.append(Diagnostic(span, "error", dg.BUDGET.name,
                              f"model '{g.name}' needs {count} per example: the budget of "
                              f"{max_flops:,} (--max-flops) needs its input sizes; give them "
                              f"with --input"))
    return out


def apply_size_policy(diags: list[Diagnostic], policy: str) -> list[Diagnostic]:
    """``--sizes``: keep the ``some-sizes`` warnings, make them errors, or drop them."""
    if policy == "warn":
        return diags
    out = []
    for d in diags:
        if d.code != dg.SOME_SIZES.name:
            out.append(d)
        elif policy == "error":
            out.append(replace(d, severity="error"))
    return out


def run(args: argparse.Namespace) -> int:
    files, missing = expand_paths(args.paths)
    if not files and not missing:
        print("slimc: error: no .slim files found in " + ", ".join(args.paths), file=sys.stderr)
        return EXIT_USAGE
    results = [CheckResult(d.span.path, [d]) for d in missing]
    overrides = dict(args.define) or None
    lint = lint_options(args)
    inputs = dict(args.input_shapes) or None

    def check(path: str) -> CheckResult:
        r = check_file(path, overrides=overrides, inputs=inputs, lint=lint)
        r.diagnostics = apply_size_policy(r.diagnostics, args.sizes)
        r.diagnostics.extend(budget_diagnostics(r, args.max_params, args.max_flops))
        if r.ok:  # what `slimc compile` would refuse is a finding here too
            from ..backends.tensorflow.names import name_diagnostics
            for graph in r.graphs:
                r.diagnostics.extend(name_diagnostics(graph))
        r.graphs = []  # all that is printed is known: a pool's worker need not send them
        return r

    results.extend(check_all(files, check, workers=args.jobs))
    apply_warning_policy(results, args)
    emit_diagnostics(results, args.format, use_color(sys.stdout, args.color), sys.stdout)
    return exit_code(results)
