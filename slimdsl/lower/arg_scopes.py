"""``arg_scope`` and TF-Slim's argument precedence.

:class:`ArgScopes` is the stack of scoped defaults (inner scopes copy the outer one and override
per key, shallowly, as TF-Slim's ``arg_scope`` does) and computes a layer call's effective
arguments: explicit > arg_scope (inner over outer) > the registry's default; a normalizer's
arguments merge the same way (e.g. batch_norm defaults < ``arg_scope([batch_norm])`` <
``normalizer_params``), for each of the normalizers (batch_norm, instance_norm, layer_norm,
group_norm).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Note, Span, did_you_mean, suggest
from ..frontend import Program
from ..frontend import tree as n
from ..ir import ArgSource
from ..layers import LAYERS, ArgError, LayerKind
from ..layers.tf_slim_args import unsupported_note
from ..values import (
    Activation,
    BlockRef,
    LayerRef,
    TensorValue,
    describe,
    param_type_problem,
    show,
)
from .context import CallArg
from .evaluate import EvalError, Poisoned

#: Scoped defaults: arg_scope key (a layer kind or a block) -> argument -> (value, source).
Scoped = dict[str, dict[str, tuple[Any, ArgSource]]]

_DEFAULT_SOURCE = ArgSource("default")  # immutable; shared to save an allocation per argument
#: Arguments resnet_utils passes positionally to the layer whose arg_scope it reads.
_INNER_POSITIONAL = {"conv2d_same": ["num_outputs", "kernel_size"], "subsample": ["kernel_size"]}
#: TF-Slim's conv1d/conv2d/conv3d call ``convolution`` with every argument (positionally, and
#: conv_dims by keyword): any key arg_scope([convolution]) sets is given twice (a TypeError).
_CALLS_CONVOLUTION = ("conv1d", "conv2d", "conv3d", "conv2d_same")


class ArgScopes:
    """The arg_scope stack of one model, and the effective arguments of its layer calls.

    ``param_uses`` is the evaluator's record of how model parameters are used: a parameter
    that reaches a block through an arg_scope, or is baked into a normalizer, is structural.
    """

    def __init__(self, program: Program, diags: Diagnostics, param_uses: dict[str, str],
                 activation_of: Callable[[Any, Span], Any] = lambda value, span: value):
        self.program = program
        self.diags = diags
        self.param_uses = param_uses
        #: Turns a def given as an activation into its traced Activation (see evaluate).
        self.activation_of = activation_of
        self._stack: list[Scoped] = [{}]

    @property
    def stack(self) -> list[Scoped]:
        """The scoped defaults, outermost first (each entry is never changed once pushed)."""
        return self._stack

    @stack.setter
    def stack(self, value: list[Scoped]) -> None:
        self._stack = value

    def close(self) -> None:
        """Leave the innermost arg_scope (what the end of :meth:`opened`'s block does)."""
        self._stack.pop()

    def scoped(self, key: str) -> dict[str, tuple[Any, ArgSource]]:
        """The defaults the innermost arg_scope gives the layer kind or block ``key``."""
        return self._stack[-1].get(key, {})

    @contextlib.contextmanager
    def opened(self, listed: list, item_spans: list[n.Expr], layers_span: Span,
               kwargs: dict[str, tuple[Any, str | None, n.Keyword]]) -> Iterator[None]:
        """An ``arg_scope(listed, **kwargs)`` around the body lowered inside the ``with``.

        ``kwargs`` maps each keyword to (value, the model parameter it is exactly, its node).
        Problems are reported; the scope is applied as far as it is valid.
        """
        self._stack.append(self._merged(listed, item_spans, layers_span, kwargs))
        try:
            yield
        finally:
            self._stack.pop()

    def _merged(self, listed: list, item_spans: list[n.Expr], layers_span: Span,
                kwargs: dict[str, tuple[Any, str | None, n.Keyword]]) -> Scoped:
        top = {k: dict(v) for k, v in self._stack[-1].items()}
        for i, item in enumerate(listed):
            span = item_spans[i].span if i < len(item_spans) else layers_span
            key, accepted = self._target(item, span)
            if key is None:
                continue
            entry = top.setdefault(key, {})
            for name, (value, param, kw) in kwargs.items():
                if name not in accepted:
                    unsupported = unsupported_note(key, name)
                    if unsupported:
                        self.diags.error(kw.name_span, dg.ARG_SCOPE,
                                         f"arg_scope sets '{name}', which slimc's {key} does not "
                                         f"support", [unsupported,
                                                      f"{key} accepts: {', '.join(accepted)}"])
                        continue
                    suffix, fixes = suggest(name, accepted, kw.name_span)
                    self.diags.error(kw.name_span, dg.ARG_SCOPE,
                                     f"arg_scope sets '{name}', which {key} does not accept"
                                     f"{suffix}",
                                     [f"TF-Slim raises a TypeError when {key} is called in "
                                      f"this scope", f"{key} accepts: {', '.join(accepted)}"],
                                     fixes)
                    continue
                if key in LAYERS and LAYERS[key].arg(name).type == "activation":
                    try:
                        value = self.activation_of(value, kw.value.span)
                    except EvalError as e:
                        self.diags.error(e.span, e.code, e.message, e.notes)
                        continue
                problem = self._check_value(key, name, value)
                if problem:
                    self.diags.error(kw.value.span, dg.BAD_VALUE, f"{key} {name}: {problem}")
                    continue
                if param is not None and key not in LAYERS:
                    self.param_uses[param] = "structural"  # a block argument
                entry[name] = (value, ArgSource("arg_scope", kw.span,
                                                param if key in LAYERS else None))
        return top

    def _target(self, item: Any, span: Span) -> tuple[str | None, list[str]]:
        """The arg_scope key of a listed item and the arguments it accepts."""
        if isinstance(item, Activation) and not item.params and item.name in LAYERS:
            item = LayerRef(item.name)  # softmax, relu...: the layer of that name
        if isinstance(item, LayerRef):
            kind = LAYERS[item.kind]
            if not kind.arg_scopable:
                self.diags.error(span, dg.ARG_SCOPE,
                                 f"{kind.name} cannot be listed in arg_scope: "
                                 f"{kind.tf_name} is not decorated with @add_arg_scope",
                                 [f"TF-Slim's arg_scope takes only functions decorated with "
                                  f"@add_arg_scope; for {kind.tf_name} it raises ValueError"])
                return None, []
            if kind.arg_scope_key is not None:
                self.diags.error(span, dg.ARG_SCOPE,
                                 f"{kind.name} cannot be listed in arg_scope: it takes its "
                                 f"defaults from arg_scope([{kind.arg_scope_key}])")
                return None, []
            return kind.name, list(kind.arg_names)
        if isinstance(item, BlockRef):
            block = self.program.blocks[item.name]
            return item.name, [p.name for p in block.params] + ["outputs_collections"]
        self.diags.error(span, dg.ARG_SCOPE,
                         f"arg_scope lists layers and blocks, got {describe(item)}")
        return None, []

    def _check_value(self, key: str, name: str, value: Any) -> str | None:
        if key in LAYERS:
            arg = LAYERS[key].arg(name)
            try:
                arg.check(value)
            except ArgError as e:
                return str(e)
            return None
        if name == "outputs_collections":
            return None if value is None or isinstance(value, str) else "expected a string"
        block = self.program.blocks[key]
        param = next(p for p in block.params if p.name == name)
        return param_type_problem(param.type_name, value)

    # ------------------------------------------------------------------ layer calls

    def effective_args(self, kind: LayerKind, pos: list[CallArg], kw: dict[str, CallArg],
                       span: Span) -> tuple[dict[str, Any], dict[str, ArgSource]]:
        """Explicit > arg_scope (inner over outer, already merged) > layer default."""
        names = kind.arg_names
        for a in pos:
            if isinstance(a.value, TensorValue):
                raise EvalError(a.span, dg.BAD_VALUE,
                                f"{kind.name} takes its input tensor as the first argument only")
        limit = len(names) if kind.positional is None else kind.positional
        if len(pos) > limit:
            keyword = "" if kind.positional is None else \
                f"; the others are keyword-only ({kind.name} is a functools.partial in TF-Slim)"
            raise EvalError(pos[limit].span, dg.TOO_MANY_ARGUMENTS,
                            f"{kind.name} takes at most {limit} positional argument"
                            f"{'s' if limit != 1 else ''} after the input, got {len(pos)}"
                            f"{keyword}", (f"signature: {signature(kind)}",))
        explicit: dict[str, CallArg] = {}
        for arg, value in zip(kind.args, pos):
            explicit[arg.name] = value
        for name, value in kw.items():
            if name not in names:
                unsupported = unsupported_note(kind.name, name)
                hint = (f"write: {kind.name}(...) as NAME (TF-Slim's '{name}' argument)",) \
                    if name == kind.scope_arg else (unsupported,) if unsupported else ()
                suffix, fixes = suggest(name, names, value.name_span) \
                    if value.name_span and not unsupported else ("", ())
                raise EvalError(value.name_span or value.span, dg.UNKNOWN_ARGUMENT,
                                f"{kind.name} has no argument '{name}'{suffix}",
                                hint + (f"signature: {signature(kind)}",), fixes)
            if name in explicit:
                raise EvalError(value.name_span or value.span, dg.DUPLICATE_ARGUMENT,
                                f"{kind.name} got '{name}' both positionally and by keyword")
            explicit[name] = value
        scoped = self.scoped(kind.scoped_key)
        self._check_positional(kind, pos, explicit, scoped, span)
        # Every argument starts at its (checked) default; those given explicitly or by an
        # arg_scope are checked in the order of the signature, as TF-Slim binds them.
        template, positions, required, anew = kind.arg_template
        args: dict[str, Any] = dict(template)
        sources: dict[str, ArgSource] = dict.fromkeys(template, _DEFAULT_SOURCE)
        own = kind.own_args  # what TF-Slim's wrapper sets itself (linear's activation_fn)
        from_scope = [name for name in scoped
                      if name in positions and name not in explicit and name not in own]
        for name in sorted((*explicit, *from_scope), key=positions.__getitem__):
            arg = kind.args[positions[name]]
            if name in explicit:
                given = explicit[name]
                if arg.type == "activation":
                    given.value = self.activation_of(given.value, given.span)
                try:
                    args[name] = arg.check(given.value)
                except ArgError as e:
                    raise EvalError(given.span, dg.BAD_VALUE,
                                    f"{kind.name} {name}: {e}") from None
                sources[name] = ArgSource("explicit", given.span, given.param)
            else:
                value, source = scoped[name]
                try:
                    args[name] = arg.check(value)
                except ArgError:  # reported where the arg_scope set it
                    raise Poisoned() from None
                sources[name] = source
        missing = [name for name in required if sources[name] is _DEFAULT_SOURCE]
        for name in anew:
            if sources[name] is _DEFAULT_SOURCE:
                arg = kind.args[positions[name]]
                args[name] = arg.check(arg.default)
        if missing:
            raise EvalError(span, dg.MISSING_ARGUMENT,
                            f"{kind.name} needs {', '.join(repr(m) for m in missing)}",
                            (f"signature: {signature(kind)}",))
        if "normalizer_fn" in args:
            args["normalizer_params"] = self._normalizer_params(args, explicit, sources, span)
        return args, sources

    def _check_positional(self, kind: LayerKind, pos: list[CallArg],
                          explicit: dict[str, CallArg], scoped: dict[str, tuple[Any, ArgSource]],
                          span: Span) -> None:
        """What TF-Slim refuses about positional arguments (and resnet_utils' own calls)."""
        # arg_scope values reach TF-Slim functions as keywords: one that is also passed
        # positionally (by the call, or by resnet_utils' own call of conv2d / max_pool2d)
        # raises "TypeError: got multiple values for argument".
        positional = _INNER_POSITIONAL.get(kind.name) or [a.name for a in kind.args[:len(pos)]]
        if kind.name == "subsample" and "factor" in explicit and explicit["factor"].value == 1:
            positional = []  # subsample(x, 1) returns x without calling max_pool2d
        for name in positional:
            if name in scoped:
                where = explicit[name].span if kind.name not in _INNER_POSITIONAL else span
                raise EvalError(where, dg.DUPLICATE_ARGUMENT,
                                f"{kind.name} gets '{name}' positionally and from arg_scope",
                                (Note("set here", scoped[name][1].span),
                                 "TF-Slim raises TypeError: got multiple values for argument "
                                 f"'{name}'"))
        through = self.scoped("convolution") if kind.name in _CALLS_CONVOLUTION else {}
        if through:
            key, (_, source) = next(iter(through.items()))
            raise EvalError(span, dg.DUPLICATE_ARGUMENT,
                            f"{kind.name} calls convolution with every argument, and "
                            f"arg_scope([convolution]) sets '{key}' again",
                            (Note("set here", source.span),
                             f"TF-Slim raises TypeError: convolution() got multiple values for "
                             f"argument '{key}'"))
        if kind.name == "conv2d_same" and "stride" in explicit:
            stride = explicit["stride"].value
            if not (type(stride) is int and stride == 1):  # resnet_utils: `if stride == 1`
                for name in ("kernel_size", "rate"):
                    if name in explicit and isinstance(explicit[name].value, (list, tuple)):
                        raise EvalError(explicit[name].span, dg.BAD_VALUE,
                                        f"conv2d_same {name}: with stride {show(stride)}, "
                                        f"resnet_utils.conv2d_same computes its padding from "
                                        f"{name} and needs an int, got "
                                        f"{show(explicit[name].value)}")

    def _normalizer_params(self, args: dict[str, Any], explicit: dict[str, CallArg],
                           sources: dict[str, ArgSource], call: Span) -> dict[str, Any] | None:
        """Effective arguments of a normalizer: its defaults < its arg_scope < params.

        A problem is reported on the params written in the call, or on the call when they
        come from an arg_scope (the call is where TF-Slim fails: another normalizer_fn may
        take them), with a note where the arg_scope set them.
        """
        if args["normalizer_fn"] is None:
            return args.get("normalizer_params")
        normalizer = LAYERS[args["normalizer_fn"].kind]
        accepted = {a.name: a for a in normalizer.args if a.name != "outputs_collections"}
        given = args.get("normalizer_params") or {}
        notes: tuple = ()
        if "normalizer_params" in explicit:
            where = explicit["normalizer_params"].span
        else:
            where = call
            source = sources.get("normalizer_params")
            if source is not None and source.span is not None:
                notes = (Note("normalizer_params set here", source.span),)
        for name in given:
            if name not in accepted:
                unsupported = unsupported_note(normalizer.name, name)
                raise EvalError(where, dg.UNKNOWN_ARGUMENT,
                                f"normalizer_params: {normalizer.name} has no argument '{name}'"
                                f"{'' if unsupported else did_you_mean(name, accepted)}",
                                notes + ((unsupported,) if unsupported else ()))
        scoped = self.scoped(normalizer.name)
        collected = scoped.get("outputs_collections")
        if collected is not None and collected[0] is not None:
            raise EvalError(collected[1].span or where, dg.ARG_SCOPE,
                            f"outputs_collections reaches the {normalizer.name} that "
                            f"normalizer_fn={normalizer.name} creates inside this layer",
                            (f"in TF-Slim that normalizer collects its output (the normalized "
                             f"value, before the activation) as an end point of its own, "
                             f"'.../{normalizer.default_scope}'; slimc does not key that inner "
                             f"tensor",
                             f"set outputs_collections on the layer itself, or keep "
                             f"arg_scope([{normalizer.name}], outputs_collections=...) away "
                             f"from layers with normalizer_fn={normalizer.name}"))
        out: dict[str, Any] = {}
        for name, arg in accepted.items():
            if name in given:
                try:
                    value = given[name]
                    if arg.type == "activation":
                        value = self.activation_of(value, where)
                    out[name] = arg.check(value)
                except ArgError as e:
                    raise EvalError(where, dg.BAD_VALUE,
                                    f"normalizer_params {name}: {e}", notes) from None
            elif name in scoped:
                out[name] = arg.check(scoped[name][0])
                param = scoped[name][1].param
                if param is not None:  # baked into the normalizer: generated code cannot vary it
                    self.param_uses[param] = "structural"
            else:
                out[name] = arg.check(arg.default) if arg.default is not None else None
        return out


def signature(kind: LayerKind) -> str:
    """``conv2d(inputs, num_outputs, kernel_size, stride=1, ...)``, for messages."""
    parts = {"one": ["inputs"], "list": ["values"], "two": ["x", "y"]}.get(kind.inputs, [])
    for a in kind.args:
        parts.append(a.name if a.required else f"{a.name}={show(a.default)}")
    return f"{kind.name}({', '.join(parts)})"
