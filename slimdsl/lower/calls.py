"""Lowering of calls: one layer (arguments, scope name, shape) or one block call.

A mixin of the lowerer in :mod:`slimdsl.lower`, split out so that each file reads on its own:
``lower`` walks statements, scopes and control flow; this module turns one call into IR nodes.
Argument precedence is TF-Slim's: explicit > arg_scope (inner over outer, merged per key) >
the registry's default; a normalizer's batch_norm arguments merge the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Note, Span, did_you_mean
from ..frontend import tree as n
from ..frontend.program import Program
from ..ir import ArgSource, Graph, Node, Tensor
from ..layers import BATCH_NORM_ARGS, LAYERS, ArgError, LayerKind
from ..layers.shapes import ShapeError, format_dim, format_shape
from ..values import (
    Activation,
    BlockRef,
    Initializer,
    LayerRef,
    Regularizer,
    TensorValue,
    show,
    type_name,
)
from .evaluate import Env, EvalError, Evaluator, Poisoned, WorkLimit

if TYPE_CHECKING:
    from collections.abc import Callable

_BN_ARGS = {a.name: a for a in BATCH_NORM_ARGS}
MAX_NODES = 20_000  # the largest zoo model has 343 layers; this bounds the time (~0.1 ms a layer)
_DEFAULT_SOURCE = ArgSource("default")  # immutable; shared to save an allocation per argument
MAX_CALL_DEPTH = 48
#: Arguments resnet_utils passes positionally to the layer whose arg_scope it reads.
_INNER_POSITIONAL = {"conv2d_same": ["num_outputs", "kernel_size"], "subsample": ["kernel_size"]}
#: The wrapper's own parameters: the arg_scope of the layer it calls never sets them
#: (conv2d_same passes stride=, rate= and padding= to conv2d explicitly).
_OWN_ARGS = {"conv2d_same": {"num_outputs", "kernel_size", "stride", "rate"}}


@dataclass(frozen=True)
class StmtCtx:
    """Where a statement is being lowered."""

    scope: str  # full variable scope, e.g. "vgg_16/conv1"
    trail: tuple[Span, ...] = ()
    top_level: bool = False  # directly in a model body (inputs may be declared here)
    blocks: tuple[str, ...] = ()  # block call stack, for recursion detection


@dataclass
class CallArg:
    """An evaluated call argument with its spans."""

    value: Any
    span: Span
    name_span: Span | None = None
    param: str | None = None  # set when the argument is exactly a model parameter


class CallLowering:
    """Layer and block calls; the state and helpers named below live in ``_Lowerer``."""

    program: Program
    diags: Diagnostics
    evaluator: Evaluator
    root_env: Env
    graph: Graph
    arg_scopes: list[dict[str, dict[str, tuple[Any, ArgSource]]]]
    var_counts: Counter[str]
    name_counts: Counter[str]
    _call_scopes: dict[int, str]
    _leading_tensor: Callable[[list[CallArg]], TensorValue | None]
    _net: Callable[[Env, Span], TensorValue]
    _unique: Callable[[str, str, Counter[str]], str]
    _open_var_scope: Callable[[str], None]
    _next_id: Callable[[], int]
    _body: Callable[..., None]
    _bind_params: Callable[..., Any]

    def _invoke(self, ref: LayerRef | BlockRef, ref_span: Span, pos: list[CallArg],
                kw: dict[str, CallArg], env: Env, ctx: StmtCtx, scope_name: str | None,
                branches: list[Tensor] | None, span: Span) -> TensorValue:
        if isinstance(ref, BlockRef):
            if branches is not None:
                raise EvalError(span, dg.STRUCTURE, "only concat and add take branches")
            return self._block_call(ref.name, pos, kw, env, ctx, scope_name, span)
        return self._layer_call(LAYERS[ref.kind], pos, kw, env, ctx, scope_name, branches, span)

    # ------------------------------------------------------------------ layers

    def _layer_call(self, kind: LayerKind, pos: list[CallArg], kw: dict[str, CallArg], env: Env,
                    ctx: StmtCtx, scope_name: str | None, branches: list[Tensor] | None,
                    span: Span) -> TensorValue:
        inputs = self._layer_inputs(kind, pos, env, branches, span)
        args, sources = self._effective_args(kind, pos, kw, span)
        if kind.name == "subsample" and args["factor"] == 1:
            return TensorValue(inputs[0])  # resnet_utils.subsample returns its input unchanged
        if len(self.graph.nodes) >= MAX_NODES:  # ends the lowering: one report, not one a call
            raise WorkLimit(span, f"it expands to more than {MAX_NODES:,} layers")
        if kind.name == "conv2d_same" and args["stride"] != (1, 1):
            # resnet_utils pads first, with an op named "Pad" in the caller's name scope
            pad = self._unique(ctx.scope, "Pad", self.name_counts)
            self.name_counts[join_scope(ctx.scope, pad)] += 1
        # Scope naming: explicit names are used as given; defaults are uniquified per parent.
        counts = self.var_counts if kind.scope_kind == "variable" else self.name_counts
        if scope_name is None:
            scope_name = self._unique(ctx.scope, kind.default_scope, counts)
        elif kind.scope_kind != "variable":  # TF uniquifies explicit name scopes and op names too
            scope_name = self._unique(ctx.scope, scope_name, counts)
        full = join_scope(ctx.scope, scope_name)
        if kind.scope_kind == "variable":
            self._open_var_scope(full)
        else:
            self.name_counts[full] += 1
        in_shapes = [t.shape for t in inputs]
        shape = None
        if kind.input_dtypes is not None:
            for t in inputs:
                if t.dtype not in kind.input_dtypes and not t.poisoned:
                    raise EvalError(span, dg.BAD_VALUE,
                                    f"{kind.name} cannot take a {t.dtype} tensor ({t.name}); it "
                                    f"needs {' or '.join(kind.input_dtypes)}")
        if all(s is not None for s in in_shapes):
            try:
                shape = kind.shape(in_shapes, args)  # type: ignore[arg-type]
            except ShapeError as e:
                self._shape_error(kind, full, inputs, e, span, ctx)
        node_id = self._next_id()
        dtype = "float32" if kind.name == "one_hot_encoding" else inputs[0].dtype
        out = Tensor(node_id, shape, full, dtype)
        node = Node(node_id, kind.name, full, tuple(inputs), out, args, sources, span, ctx.trail)
        out.producer = node
        self.graph.nodes.append(node)
        if args.get("outputs_collections") is not None and shape is not None:
            self.graph.end_points[full] = out
        return TensorValue(out)

    def _layer_inputs(self, kind: LayerKind, pos: list[CallArg], env: Env,
                      branches: list[Tensor] | None, span: Span) -> list[Tensor]:
        if kind.inputs == "one":
            if branches is not None:
                raise EvalError(span, dg.STRUCTURE,
                                f"{kind.name} takes one input; only concat and add take branches")
            t = self._leading_tensor(pos) or self._net(env, span)
            return [t.tensor]
        if kind.inputs == "list":
            if branches is not None:
                if pos and _is_tensor_list(pos[0].value):
                    raise EvalError(pos[0].span, dg.STRUCTURE,
                                    "concat takes either a list of tensors or branches, not both")
                if not branches:
                    raise EvalError(span, dg.STRUCTURE, "concat needs at least one branch")
                return branches
            if pos and _is_tensor_list(pos[0].value):
                return [t.tensor for t in pos.pop(0).value]
            raise EvalError(span, dg.MISSING_ARGUMENT,
                            f"{kind.name} needs a list of tensors, e.g. {kind.name}([a, b], "
                            f"axis=3), or branches: {kind.name}(axis=3) {{ {{ ... }} {{ ... }} }}")
        # two inputs (add)
        if branches is not None:
            if len(branches) != 2:
                raise EvalError(span, dg.STRUCTURE,
                                f"{kind.name} combines exactly 2 branches, got {len(branches)}")
            return branches
        tensors = []
        while pos and isinstance(pos[0].value, TensorValue) and len(tensors) < 2:
            tensors.append(pos.pop(0).value.tensor)
        if len(tensors) == 1:
            tensors.insert(0, self._net(env, span).tensor)
        if len(tensors) != 2:
            raise EvalError(span, dg.MISSING_ARGUMENT,
                            f"{kind.name} needs two tensors: {kind.name}(a, b), {kind.name}(b) "
                            f"(adds to net), or two branches")
        return tensors

    def _effective_args(self, kind: LayerKind, pos: list[CallArg], kw: dict[str, CallArg],
                        span: Span) -> tuple[dict[str, Any], dict[str, ArgSource]]:
        """Explicit > arg_scope (inner over outer, already merged) > layer default."""
        names = kind.arg_names
        for a in pos:
            if isinstance(a.value, TensorValue):
                raise EvalError(a.span, dg.BAD_VALUE,
                                f"{kind.name} takes its input tensor as the first argument only")
        if len(pos) > len(names):
            raise EvalError(pos[len(names)].span, dg.TOO_MANY_ARGUMENTS,
                            f"{kind.name} takes at most {len(names)} positional arguments after "
                            f"the input, got {len(pos)}",
                            (f"signature: {_signature(kind)}",))
        explicit: dict[str, CallArg] = {}
        for arg, value in zip(kind.args, pos):
            explicit[arg.name] = value
        for name, value in kw.items():
            if name not in names:
                raise EvalError(value.name_span or value.span, dg.UNKNOWN_ARGUMENT,
                                f"{kind.name} has no argument '{name}'{did_you_mean(name, names)}",
                                (f"signature: {_signature(kind)}",))
            if name in explicit:
                raise EvalError(value.name_span or value.span, dg.DUPLICATE_ARGUMENT,
                                f"{kind.name} got '{name}' both positionally and by keyword")
            explicit[name] = value
        scoped = self.arg_scopes[-1].get(kind.scoped_key, {})
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
        args: dict[str, Any] = {}
        sources: dict[str, ArgSource] = {}
        missing = []
        for arg in kind.args:
            if arg.name in explicit:
                given = explicit[arg.name]
                try:
                    args[arg.name] = arg.check(given.value)
                except ArgError as e:
                    raise EvalError(given.span, dg.BAD_VALUE,
                                    f"{kind.name} {arg.name}: {e}") from None
                sources[arg.name] = ArgSource("explicit", given.span, given.param)
            elif arg.name in scoped and arg.name not in _OWN_ARGS.get(kind.name, ()):
                value, source = scoped[arg.name]
                try:
                    args[arg.name] = arg.check(value)
                except ArgError:  # reported where the arg_scope set it
                    raise Poisoned() from None
                sources[arg.name] = source
            elif arg.required:
                missing.append(arg.name)
            else:
                args[arg.name] = arg.check(arg.default) if arg.default is not None else None
                sources[arg.name] = _DEFAULT_SOURCE
        if missing:
            raise EvalError(span, dg.MISSING_ARGUMENT,
                            f"{kind.name} needs {', '.join(repr(m) for m in missing)}",
                            (f"signature: {_signature(kind)}",))
        if "normalizer_fn" in args:
            args["normalizer_params"] = self._normalizer_params(args, explicit, sources)
        return args, sources

    def _normalizer_params(self, args: dict[str, Any], explicit: dict[str, CallArg],
                           sources: dict[str, ArgSource]) -> dict[str, Any] | None:
        """Effective batch_norm arguments of a normalizer: defaults < arg_scope < params."""
        if args["normalizer_fn"] is None:
            return args.get("normalizer_params")
        given = args.get("normalizer_params") or {}
        span = explicit["normalizer_params"].span if "normalizer_params" in explicit else \
            (sources["normalizer_params"].span if "normalizer_params" in sources else None)
        scoped = self.arg_scopes[-1].get("batch_norm", {})
        out: dict[str, Any] = {}
        for name, arg in _BN_ARGS.items():
            if name == "outputs_collections":
                continue
            if name in given:
                try:
                    out[name] = arg.check(given[name])
                except ArgError as e:
                    raise EvalError(span or Span.point("<unknown>", 1, 1), dg.BAD_VALUE,
                                    f"normalizer_params {name}: {e}") from None
            elif name in scoped:
                out[name] = arg.check(scoped[name][0])
                param = scoped[name][1].param
                if param is not None:  # baked into the normalizer: generated code cannot vary it
                    self.evaluator.param_uses[param] = "structural"
            else:
                out[name] = arg.default
        for name in given:
            if name not in _BN_ARGS or name == "outputs_collections":
                raise EvalError(span or Span.point("<unknown>", 1, 1), dg.UNKNOWN_ARGUMENT,
                                f"normalizer_params: batch_norm has no argument '{name}'"
                                f"{did_you_mean(name, _BN_ARGS)}")
        _check_param_dicts(out, span)
        return out

    def _shape_error(self, kind: LayerKind, scope: str, inputs: list[Tensor], error: ShapeError,
                     span: Span, ctx: StmtCtx) -> None:
        text = str(error)
        code = dg.RANK if text.startswith("expected a rank") else \
            dg.INCOMPATIBLE if kind.category == "combine" else dg.SHAPE
        shown = ", ".join(format_shape(t.shape) for t in inputs)  # type: ignore[arg-type]
        where = relative_scope(scope, self.graph.name)
        message = f"{kind.name} '{where}' cannot take {shown}: {text}"
        notes: list[Note] = []
        chain = _shrink_chain(inputs[0])
        if chain:
            notes.append(Note("the input was shaped by: " + chain))
        for t in inputs if kind.category == "combine" else ():
            if t.producer is not None:
                notes.append(Note(f"{format_shape(t.shape)} comes from "  # type: ignore[arg-type]
                                  f"{relative_scope(t.producer.scope, self.graph.name)}",
                                  t.producer.span))
        for site in reversed(ctx.trail):
            notes.append(Note("expanded from here", site))
        self.diags.error(span, code, message, notes)

    # ------------------------------------------------------------------ blocks

    def _block_call(self, name: str, pos: list[CallArg], kw: dict[str, CallArg], env: Env,
                    ctx: StmtCtx, scope_name: str | None, span: Span) -> TensorValue:
        block = self.program.blocks[name]
        if name in ctx.blocks:
            raise EvalError(span, dg.RECURSION, f"block '{name}' calls itself",
                            (" -> ".join(ctx.blocks + (name,)),))
        if len(ctx.blocks) >= MAX_CALL_DEPTH:
            raise EvalError(span, dg.RECURSION, f"blocks nested more than {MAX_CALL_DEPTH} deep")
        params = block.params
        first_is_tensor_param = bool(params) and params[0].type_name == "tensor"
        x = None
        if not first_is_tensor_param:
            x = self._leading_tensor(pos)
        if x is None:
            try:
                x = self._net(env, span)
            except EvalError:
                x = None
        if len(pos) > len(params):
            raise EvalError(pos[len(params)].span, dg.TOO_MANY_ARGUMENTS,
                            f"block '{name}' takes {len(params)} arguments, got {len(pos)}",
                            (f"signature: {_block_signature(block)}",))
        names = [p.name for p in params]
        given: dict[str, Any] = {}
        for p, a in zip(params, pos):
            given[p.name] = a.value
        collect = None
        for key, a in kw.items():
            if key == "outputs_collections":
                collect = a.value
                continue
            if key not in names:
                raise EvalError(a.name_span or a.span, dg.UNKNOWN_ARGUMENT,
                                f"block '{name}' has no parameter '{key}'"
                                f"{did_you_mean(key, names)}",
                                (f"signature: {_block_signature(block)}",))
            if key in given:
                raise EvalError(a.name_span or a.span, dg.DUPLICATE_ARGUMENT,
                                f"block '{name}' got '{key}' both positionally and by keyword")
            given[key] = a.value
        for key, (value, _src) in self.arg_scopes[-1].get(name, {}).items():
            if key == "outputs_collections":
                collect = collect if "outputs_collections" in kw else value
            elif key not in given:
                given[key] = value
        benv = self.root_env.child()
        missing = [p.name for p in params if p.name not in given and p.default is None]
        if missing:
            raise EvalError(span, dg.MISSING_ARGUMENT,
                            f"block '{name}' needs {', '.join(repr(m) for m in missing)}",
                            (f"signature: {_block_signature(block)}",))
        for p in params:
            if p.name in given:
                problem = param_type_problem(p.type_name, given[p.name])
                if problem:
                    raise EvalError(span, dg.BAD_VALUE,
                                    f"block '{name}' parameter '{p.name}': {problem}")
        bound = self._bind_params(params, benv, given, span, f"block '{name}'",
                                  require_defaults=False)
        if bound is None:
            raise Poisoned()
        if x is not None:
            benv.bind("net", x)
        if scope_name is None:
            scope_name = self._unique(ctx.scope, name, self.var_counts)
        full = join_scope(ctx.scope, scope_name)
        self._open_var_scope(full)
        inner = StmtCtx(full, ctx.trail + (span,), False, ctx.blocks + (name,))
        self._body(block.body, benv, inner)
        try:
            out = benv.lookup("net")
        except KeyError:
            raise EvalError(span, dg.STRUCTURE,
                            f"block '{name}' produces no tensor (its body never sets net)") \
                from None
        if not isinstance(out, TensorValue) or out.tensor.poisoned:
            raise Poisoned()  # the body reported why (or net was bound to a non-tensor)
        if collect is not None:
            self.graph.end_points[full] = out.tensor
        self._call_scopes[id(out.tensor)] = full
        return out


# ---------------------------------------------------------------------------- helpers


def join_scope(parent: str, name: str) -> str:
    """``parent/name``, or ``name`` at the top."""
    return f"{parent}/{name}" if parent else name


def relative_scope(scope: str, model: str) -> str:
    """``scope`` without its leading ``model/``, as messages show it."""
    prefix = model + "/"
    return scope[len(prefix):] if scope.startswith(prefix) else scope


def _is_tensor_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(
        isinstance(v, TensorValue) for v in value)


def _signature(kind: LayerKind) -> str:
    parts = ["inputs"] if kind.inputs == "one" else \
        ["values"] if kind.inputs == "list" else ["x", "y"]
    for a in kind.args:
        parts.append(a.name if a.required else f"{a.name}={show(a.default)}")
    return f"{kind.name}({', '.join(parts)})"


def _block_signature(block: n.BlockDef) -> str:
    parts = [f"{p.name}: {p.type_name}" + ("" if p.default is None else " = ...")
             for p in block.params]
    return f"{block.name}({', '.join(parts)})"


def param_type_problem(type_name_: str, value: Any) -> str | None:
    """Why ``value`` does not fit a declared parameter type, or None."""
    ok = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "list": lambda v: isinstance(v, (list, tuple)),
        "dict": lambda v: isinstance(v, dict),
        "tensor": lambda v: isinstance(v, TensorValue),
        "activation": lambda v: v is None or isinstance(v, Activation),
        "initializer": lambda v: v is None or isinstance(v, Initializer),
        "regularizer": lambda v: v is None or isinstance(v, Regularizer),
        "any": lambda v: True,
    }.get(type_name_, lambda v: True)(value)  # an unknown type is reported by _bind_params
    if ok:
        return None
    return f"expected {type_name_}, got {type_name(value)} {show(value)}"


def _check_param_dicts(bn: dict[str, Any], span: Span | None) -> None:
    where = span or Span.point("<unknown>", 1, 1)
    for key, allowed, kind in (("param_initializers",
                                ("beta", "gamma", "moving_mean", "moving_variance"), Initializer),
                               ("param_regularizers", ("beta", "gamma"), Regularizer)):
        value = bn.get(key)
        if not value:
            continue
        for k, v in value.items():
            if k not in allowed:
                raise EvalError(where, dg.UNKNOWN_ARGUMENT,
                                f"{key}: no variable '{k}'{did_you_mean(k, allowed)}",
                                (f"keys: {', '.join(allowed)}",))
            if not isinstance(v, kind):
                raise EvalError(where, dg.BAD_VALUE,
                                f"{key}['{k}'] must be an {kind.__name__.lower()}, got "
                                f"{type_name(v)}")


def _shrink_chain(tensor: Tensor, limit: int = 12) -> str:
    """``224x224 (images) -> 112x112 (conv1, line 4) -> ...``: where the spatial size changed."""
    steps: list[str] = []
    t: Tensor | None = tensor
    prev: tuple | None = None
    while t is not None and t.shape is not None:
        hw = tuple(t.shape[1:3]) if len(t.shape) == 4 else None
        producer = t.producer
        if hw is not None and hw != prev:
            label = producer.short_scope + f", line {producer.span.line}" if producer \
                else t.name
            steps.append(f"{format_dim(hw[0])}x{format_dim(hw[1])} ({label})")
            prev = hw
        t = producer.inputs[0] if producer and producer.inputs else None
    if len(steps) < 2:
        return ""
    steps.reverse()
    if len(steps) > limit:
        steps = steps[:2] + ["..."] + steps[-(limit - 3):]
    return " -> ".join(steps)
