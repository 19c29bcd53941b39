"""Lowering of calls: a layer (arguments, scope name, dtype and shape), ``repeat``/``stack``, or
a block call, into IR nodes.

:class:`CallLowerer` gets what it needs explicitly: the evaluator, the scope names, the arg_scope
stack, the model being built, and ``run_body`` (the statement lowerer, for block bodies).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Note, Span, suggest
from ..frontend import Program
from ..frontend import tree as n
from ..ir import ConstraintSite, Node, Tensor, relative_scope
from ..layers import LAYER_NAMES, LAYERS, META_LAYERS, LayerKind
from ..layers.shapes import ShapeError, dims_text, format_shape
from ..records import replace
from ..symbolic.constraints import Constraint
from ..values import (
    ACTIVATIONS,
    Activation,
    BlockRef,
    LayerRef,
    TensorValue,
    param_type_problem,
    show,
    type_name,
)
from .arg_scopes import ArgScopes
from .context import CallArg, ModelBuild, StmtCtx
from .evaluate import POISON, Env, EvalError, Evaluator, Poisoned, WorkLimit
from .naming import ScopeNames, join_scope, scope_name
from .params import bind_params

MAX_NODES = 20_000  # the largest zoo model has 343 layers; this bounds the time (~0.1 ms a layer)
MAX_CALL_DEPTH = 48

#: Lowers the statements of a body in an environment and context (the statement lowerer).
RunBody = Callable[[tuple[n.Stmt, ...], Env, StmtCtx], None]


class CallLowerer:
    """Layer, ``repeat``/``stack`` and block calls of one model."""

    def __init__(self, program: Program, diags: Diagnostics, evaluator: Evaluator,
                 root_env: Env, model: ModelBuild, names: ScopeNames, scopes: ArgScopes,
                 run_body: RunBody):
        self.program = program
        self.diags = diags
        self.evaluator = evaluator
        self.root_env = root_env
        self.model = model
        self.names = names
        self.scopes = scopes
        self.run_body = run_body
        self._in_args = 0  # > 0 while a call's arguments are evaluated

    def call_hook(self, call: n.Call, env: Env, ctx: StmtCtx) -> Any:
        """A layer/block call met inside an expression (e.g. an argument of add)."""
        if call.func in ACTIVATIONS and self._in_args and not call.args:
            return self.evaluator.activation_value(call, env)  # activation_fn=leaky_relu(0.1)
        if not is_graph_call(call.func, env, self.program):
            names = list(LAYER_NAMES) + list(self.program.blocks) + list(META_LAYERS)
            suffix, fixes = suggest(call.func, names, call.func_span)
            raise EvalError(call.func_span, dg.UNKNOWN_LAYER,
                            f"unknown layer or block '{call.func}'{suffix}", fixes=fixes)
        return self.call(call, env, ctx, None, None, call.span)

    def call(self, call: n.Call, env: Env, ctx: StmtCtx, scope: n.ScopeName | None,
             branches: list[Tensor] | None, span: Span) -> TensorValue:
        """Lower ``call`` (named ``as scope``, combining ``branches``); its output tensor."""
        plain = call.func in LAYER_NAMES  # a bare parameter passed to a layer stays "plain"
        self._in_args += 1
        try:
            pos = [self._argument(a, env, plain) for a in call.args]
            kw: dict[str, CallArg] = {}
            for k in call.kwargs:
                if k.name in kw:
                    raise EvalError(k.name_span, dg.DUPLICATE_ARGUMENT,
                                    f"argument '{k.name}' given twice")
                kw[k.name] = self._argument(k.value, env, plain, k.name_span)
        finally:
            self._in_args -= 1
        if "scope" in kw:
            raise EvalError(kw["scope"].name_span, dg.UNKNOWN_ARGUMENT,
                            "the scope is given with 'as NAME' after the call, not scope=...",
                            (f"write: {call.func}(...) as "
                             f"{show(kw['scope'].value).strip(chr(34))}",))
        name = scope_name(scope, env, ctx.scope) if scope is not None else None
        target = call.func
        try:
            bound = env.lookup(target)
        except KeyError:
            bound = None
        if target == "repeat" and not isinstance(bound, BlockRef):
            return self._repeat(call, pos, kw, env, ctx, name, span)
        if target == "stack" and not isinstance(bound, BlockRef):
            return self._stack(call, pos, kw, env, ctx, name, span)
        if isinstance(bound, BlockRef):  # a block bound to another name: `u = unit`, `u(4)`
            ref: LayerRef | BlockRef = bound
        elif target in LAYER_NAMES:
            ref = LayerRef(LAYER_NAMES[target])
        else:
            ref = BlockRef(target)
        return self._invoke(ref, pos, kw, env, ctx, name, branches, span)

    def _argument(self, expr: n.Expr, env: Env, plain: bool,
                  name_span: Span | None = None) -> CallArg:
        value, param = self.evaluator.eval_argument(expr, env, plain)
        return CallArg(value, expr.span, name_span, param)

    def _leading_tensor(self, pos: list[CallArg]) -> TensorValue | None:
        if pos and isinstance(pos[0].value, TensorValue):
            return pos.pop(0).value
        return None

    def _net(self, env: Env, span: Span) -> TensorValue:
        try:
            net = env.lookup("net")
        except KeyError:
            raise EvalError(span, dg.STRUCTURE,
                            "no input tensor: this layer has no explicit input and 'net' is "
                            "not defined yet",
                            ("declare an input first: input images: [?, 224, 224, 3]",)) from None
        if net is POISON:
            raise Poisoned()
        if not isinstance(net, TensorValue):
            raise EvalError(span, dg.BAD_VALUE, f"'net' is a {type_name(net)}, not a tensor")
        return net

    # ------------------------------------------------------------------ repeat / stack

    def _repeat(self, call: n.Call, pos: list[CallArg], kw: dict[str, CallArg], env: Env,
                ctx: StmtCtx, name: str | None, span: Span) -> TensorValue:
        x = self._leading_tensor(pos) or self._net(env, span)
        if len(pos) < 2:
            raise EvalError(call.span, dg.MISSING_ARGUMENT,
                            "repeat needs a count and a layer: repeat(2, conv2d, 64, [3, 3])")
        count, layer = pos[0], pos[1]
        if isinstance(count.value, bool) or not isinstance(count.value, int) or count.value < 0:
            raise EvalError(count.span, dg.BAD_VALUE,
                            f"repeat count must be an int >= 0, got {show(count.value)}")
        layer.value = layer_ref(layer.value)
        if not isinstance(layer.value, (LayerRef, BlockRef)):
            raise EvalError(layer.span, dg.BAD_VALUE,
                            f"repeat's second argument is a layer or block, got "
                            f"{type_name(layer.value)} {show(layer.value)}")
        outer, inner_base = self._meta_scope(ctx, name, "Repeat", layer.value)
        inner_ctx = replace(ctx, scope=outer, trail=ctx.trail + (span,), top_level=False)
        out = x
        for i in range(count.value):
            out = self._invoke(layer.value, [CallArg(out, span)] + pos[2:], dict(kw), env,
                               inner_ctx, f"{inner_base}_{i + 1}", None, span)
        return out

    def _stack(self, call: n.Call, pos: list[CallArg], kw: dict[str, CallArg], env: Env,
               ctx: StmtCtx, name: str | None, span: Span) -> TensorValue:
        x = self._leading_tensor(pos) or self._net(env, span)
        if len(pos) != 2:
            raise EvalError(call.span, dg.MISSING_ARGUMENT,
                            "stack needs a layer and a list: stack(fully_connected, [32, 64])")
        layer, items = pos
        layer.value = layer_ref(layer.value)
        if not isinstance(layer.value, (LayerRef, BlockRef)):
            raise EvalError(layer.span, dg.BAD_VALUE,
                            f"stack's first argument is a layer or block, got "
                            f"{type_name(layer.value)}")
        if not isinstance(items.value, (list, tuple)):
            raise EvalError(items.span, dg.BAD_VALUE,
                            f"stack's second argument is a list, got {type_name(items.value)}")
        outer, inner_base = self._meta_scope(ctx, name, "Stack", layer.value)
        inner_ctx = replace(ctx, scope=outer, trail=ctx.trail + (span,), top_level=False)
        out = x
        for i, item in enumerate(items.value):
            args = list(item) if isinstance(item, (list, tuple)) else [item]
            out = self._invoke(layer.value,
                               [CallArg(out, span)] + [CallArg(a, items.span) for a in args],
                               dict(kw), env, inner_ctx, f"{inner_base}_{i + 1}", None, span)
        return out

    def _meta_scope(self, ctx: StmtCtx, name: str | None, default: str,
                    layer: LayerRef | BlockRef) -> tuple[str, str]:
        """The outer scope of a repeat/stack and the base of its inner scopes' names."""
        if name is None:
            outer = join_scope(ctx.scope, self.names.unique_variable_scope(ctx.scope, default))
            inner_base = LAYERS[layer.kind].func_name if isinstance(layer, LayerRef) \
                else layer.name
        else:
            outer = join_scope(ctx.scope, name)
            inner_base = name  # TF-Slim: scope + '_' + str(i), even for "a/b" (a/b/a/b_1)
        self.names.open_variable_scope(outer)
        return outer, inner_base

    def _invoke(self, ref: LayerRef | BlockRef, pos: list[CallArg], kw: dict[str, CallArg],
                env: Env, ctx: StmtCtx, name: str | None, branches: list[Tensor] | None,
                span: Span) -> TensorValue:
        if isinstance(ref, BlockRef):
            if branches is not None:
                raise EvalError(span, dg.STRUCTURE, "only concat and add take branches")
            return self._block_call(ref.name, pos, kw, env, ctx, name, span)
        return self._layer_call(LAYERS[ref.kind], pos, kw, env, ctx, name, branches, span)

    # ------------------------------------------------------------------ layers

    def _layer_call(self, kind: LayerKind, pos: list[CallArg], kw: dict[str, CallArg], env: Env,
                    ctx: StmtCtx, name: str | None, branches: list[Tensor] | None,
                    span: Span) -> TensorValue:
        graph = self.model.graph
        inputs = self._layer_inputs(kind, pos, env, branches, span)
        args, sources = self.scopes.effective_args(kind, pos, kw, span)
        if kind.name == "subsample" and args["factor"] == 1:
            return TensorValue(inputs[0])  # resnet_utils.subsample returns its input unchanged
        if len(graph.nodes) >= MAX_NODES:  # ends the lowering: one report, not one a call
            raise WorkLimit(span, f"it expands to more than {MAX_NODES:,} layers")
        if kind.name == "conv2d_same" and args["stride"] != (1, 1):
            # resnet_utils pads first, with an op named "Pad" in the caller's name scope
            pad = self.names.unique_name_scope(ctx.scope, "Pad")
            self.names.open_name_scope(join_scope(ctx.scope, pad))
        full = self._layer_scope(kind, args, ctx, name, span)
        in_shapes = [t.shape for t in inputs]
        shape = None
        if kind.input_dtypes is not None:
            for t in inputs:
                if t.dtype not in kind.input_dtypes and not t.poisoned:
                    raise EvalError(span, dg.BAD_VALUE,
                                    f"{kind.name} cannot take a {t.dtype} tensor ({t.name}); it "
                                    f"needs {' or '.join(kind.input_dtypes)}")
        if all(s is not None for s in in_shapes):
            needs = self.model.needs  # what symbolic sizes must satisfy (lower_model collects)
            needs.clear()  # left over by a rule that failed otherwise than with a ShapeError
            try:
                shape = kind.shape(in_shapes, args)  # type: ignore[arg-type]
            except ShapeError as e:
                needs.clear()
                self._shape_error(kind, full, inputs, e, span, ctx)
            if needs:
                for c in needs:
                    graph.constraints.append(Constraint(
                        c.op, c.lhs, c.rhs,
                        ConstraintSite(span, full, kind.name, c.origin, ctx.trail)))
                needs.clear()
        node_id = self.model.next_id()
        dtype = "float32" if kind.name == "one_hot_encoding" else \
            args["dtype"] if kind.inputs == "none" else inputs[0].dtype
        out = Tensor(node_id, shape, full, dtype)
        node = Node(node_id, kind.name, full, tuple(inputs), out, args, sources, span, ctx.trail)
        out.producer = node
        graph.nodes.append(node)
        if args.get("outputs_collections") is not None and shape is not None:
            graph.end_points[full] = out
        return TensorValue(out)

    def _layer_scope(self, kind: LayerKind, args: dict[str, Any], ctx: StmtCtx,
                     name: str | None, span: Span) -> str:
        """The full scope of a layer call (opened): explicit names are used as given, defaults
        are uniquified per parent, as TF does; a model_variable is named by its argument."""
        if kind.scope_kind == "none":  # model_variable: <variable scopes>/<name>
            if name is not None:
                raise EvalError(span, dg.SCOPE_NAME,
                                f"{kind.name} is named by its first argument, not 'as {name}'",
                                (f'write: {kind.name}("{name}", ...)',))
            full = join_scope(ctx.scope, args["name"])
            self.names.open_name_scope(full)  # its op takes the name in the name scope
            return full
        variable = kind.scope_kind == "variable"
        unique = self.names.unique_variable_scope if variable else self.names.unique_name_scope
        if name is None:
            name = unique(ctx.scope, kind.default_name(args))
        elif not variable or kind.unique_names:  # TF uniquifies explicit name scopes and
            name = unique(ctx.scope, name)  # op names, not explicit variable scopes (gdn's too)
        full = join_scope(ctx.scope, name)
        if variable:
            self.names.open_variable_scope(full)
        else:
            self.names.open_name_scope(full)
        return full

    def _layer_inputs(self, kind: LayerKind, pos: list[CallArg], env: Env,
                      branches: list[Tensor] | None, span: Span) -> list[Tensor]:
        if kind.inputs == "none":
            if branches is not None or (pos and isinstance(pos[0].value, TensorValue)):
                raise EvalError(span, dg.STRUCTURE, f"{kind.name} takes no input tensor")
            return []
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

    def _shape_error(self, kind: LayerKind, scope: str, inputs: list[Tensor], error: ShapeError,
                     span: Span, ctx: StmtCtx) -> None:
        model = self.model.graph.name
        text = str(error)
        code = dg.RANK if text.startswith("expected a rank") else \
            dg.INCOMPATIBLE if kind.category == "combine" else dg.SHAPE
        shown = ", ".join(format_shape(t.shape) for t in inputs)  # type: ignore[arg-type]
        where = f"{kind.name} '{relative_scope(scope, model)}'"
        message = f"{where} cannot take {shown}: {text}" if inputs else f"{where}: {text}"
        notes: list[Note] = []
        chain = _shrink_chain(inputs[0]) if inputs else ""
        if chain:
            notes.append(Note("the input was shaped by: " + chain))
        for t in inputs if kind.category == "combine" else ():
            if t.producer is not None:
                notes.append(Note(f"{format_shape(t.shape)} comes from "  # type: ignore[arg-type]
                                  f"{relative_scope(t.producer.scope, model)}",
                                  t.producer.span))
        for site in reversed(ctx.trail):
            notes.append(Note("expanded from here", site))
        self.diags.error(span, code, message, notes)

    # ------------------------------------------------------------------ blocks

    def _block_call(self, name: str, pos: list[CallArg], kw: dict[str, CallArg], env: Env,
                    ctx: StmtCtx, scope: str | None, span: Span) -> TensorValue:
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
        given, collect = self._block_arguments(block, pos, kw)
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
        bound = bind_params(self.evaluator, self.diags, params, benv, given, span,
                            f"block '{name}'", require_defaults=False)
        if bound is None:
            raise Poisoned()
        if x is not None:
            benv.bind("net", x)
        if scope is None:
            scope = self.names.unique_variable_scope(ctx.scope, name)
        full = join_scope(ctx.scope, scope)
        self.names.open_variable_scope(full)
        inner = StmtCtx(full, ctx.trail + (span,), False, ctx.blocks + (name,))
        self.run_body(block.body, benv, inner)
        try:
            out = benv.lookup("net")
        except KeyError:
            raise EvalError(span, dg.STRUCTURE,
                            f"block '{name}' produces no tensor (its body never sets net)") \
                from None
        if not isinstance(out, TensorValue) or out.tensor.poisoned:
            raise Poisoned()  # the body reported why (or net was bound to a non-tensor)
        if collect is not None:
            self.model.graph.end_points[full] = out.tensor
        self.model.call_scopes[id(out.tensor)] = full
        return out

    def _block_arguments(self, block: n.BlockDef, pos: list[CallArg], kw: dict[str, CallArg]
                         ) -> tuple[dict[str, Any], Any]:
        """The values a block call gives its parameters (explicit, then its arg_scope), and
        its ``outputs_collections``."""
        name, params = block.name, block.params
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
                suffix, fixes = suggest(key, names, a.name_span) if a.name_span else ("", ())
                raise EvalError(a.name_span or a.span, dg.UNKNOWN_ARGUMENT,
                                f"block '{name}' has no parameter '{key}'{suffix}",
                                (f"signature: {_block_signature(block)}",), fixes)
            if key in given:
                raise EvalError(a.name_span or a.span, dg.DUPLICATE_ARGUMENT,
                                f"block '{name}' got '{key}' both positionally and by keyword")
            given[key] = a.value
        for key, (value, _src) in self.scopes.scoped(name).items():
            if key == "outputs_collections":
                collect = collect if "outputs_collections" in kw else value
            elif key not in given:
                given[key] = value
        return given, collect


# ---------------------------------------------------------------------------- helpers


def is_graph_call(func: str, env: Env, program: Program) -> bool:
    """Does a call of ``func`` add to the graph (a layer, repeat/stack, a block)?"""
    try:
        bound = env.lookup(func)
    except KeyError:
        bound = None
    if isinstance(bound, BlockRef):
        return True
    return func in LAYER_NAMES or func in META_LAYERS or func in program.blocks


def layer_ref(value: Any) -> Any:
    """``softmax`` (and the other activations) evaluate to an Activation; as the layer argument
    of repeat/stack they name the layer of that kind (``slim.repeat(x, 2, slim.softmax)``)."""
    if isinstance(value, Activation) and not value.params and value.name in LAYERS:
        return LayerRef(value.name)
    return value


def _is_tensor_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(
        isinstance(v, TensorValue) for v in value)


def _block_signature(block: n.BlockDef) -> str:
    parts = [f"{p.name}: {p.type_name}" + ("" if p.default is None else " = ...")
             for p in block.params]
    return f"{block.name}({', '.join(parts)})"


def _shrink_chain(tensor: Tensor, limit: int = 12) -> str:
    """``224x224 (images) -> 112x112 (conv1, line 4) -> ...``: where the spatial size changed
    (``8x224x224`` for a video, ``224`` for a sequence)."""
    steps: list[str] = []
    t: Tensor | None = tensor
    prev: tuple | None = None
    while t is not None and t.shape is not None:
        spatial = tuple(t.shape[1:-1]) if 3 <= len(t.shape) <= 5 else None
        producer = t.producer
        if spatial is not None and spatial != prev:
            label = producer.short_scope + f", line {producer.span.line}" if producer \
                else t.name
            steps.append(f"{dims_text(spatial)} ({label})")
            prev = spatial
        t = producer.inputs[0] if producer and producer.inputs else None
    if len(steps) < 2:
        return ""
    steps.reverse()
    if len(steps) > limit:
        steps = steps[:2] + ["..."] + steps[-(limit - 3):]
    return " -> ".join(steps)
