"""Binding the parameters of a model or a block call: defaults, given values, declared types."""

from __future__ import annotations

from typing import Any

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Note, Span, did_you_mean, suggest
from ..frontend import tree as n
from ..values import PARAM_TYPES, param_type_problem
from .evaluate import Env, EvalError, Evaluator, Poisoned


def bind_params(evaluator: Evaluator, diags: Diagnostics, params: tuple[n.Param, ...], env: Env,
                given: dict[str, Any], span: Span, owner: str,
                require_defaults: bool) -> dict[str, Any] | None:
    """Bind every parameter in ``env``: its ``given`` value, else its default (evaluated in
    ``env``); check the declared types. Returns the values, or None after reporting problems.
    ``require_defaults``: a parameter without a default is an error (models), else it must be
    given (blocks, checked by the caller)."""
    values: dict[str, Any] = {}
    seen: dict[str, n.Param] = {}
    ok = True
    for p in params:
        if p.name in seen:
            diags.error(p.span, dg.REDEFINED, f"parameter '{p.name}' defined twice",
                        [Note("first defined here", seen[p.name].span)])
            ok = False
            continue
        seen[p.name] = p
        if p.type_name not in PARAM_TYPES:
            suffix, fixes = suggest(p.type_name, PARAM_TYPES, p.type_span)
            diags.error(p.type_span, dg.BAD_VALUE,
                        f"unknown parameter type '{p.type_name}'{suffix}",
                        [f"types: {', '.join(PARAM_TYPES)}"], fixes)
            ok = False
            continue
        if p.name in given:
            value, vspan = given[p.name], p.span
        elif p.default is not None:
            evaluator.in_default += 1  # leaky_relu(alpha=0.1) here is a value, not a layer
            try:
                value, vspan = evaluator.eval(p.default, env), p.default.span
            except EvalError as e:
                diags.error(e.span, e.code, e.message, e.notes, e.fixes)
                ok = False
                continue
            except Poisoned:
                ok = False
                continue
            finally:
                evaluator.in_default -= 1
        else:
            if require_defaults:
                diags.error(p.span, dg.MISSING_ARGUMENT,
                            f"parameter '{p.name}' of {owner} needs a default value")
                ok = False
            continue
        problem = param_type_problem(p.type_name, value)
        if problem:
            diags.error(vspan, dg.BAD_VALUE, f"parameter '{p.name}': {problem}")
            ok = False
            continue
        if p.type_name == "float" and isinstance(value, int):
            value = float(value)
        values[p.name] = value
        env.bind(p.name, value)
    unknown = set(given) - set(seen)
    for name in sorted(unknown):
        diags.error(span, dg.UNKNOWN_ARGUMENT, f"{owner} has no parameter '{name}'"
                    f"{did_you_mean(name, seen)}")
        ok = False
    return values if ok else None
