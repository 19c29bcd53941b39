"""Lowering of calls: a layer (arguments, scope name, dtype and shape), ``repeat``/``stack``, or
a block call, into IR nodes.

:class:`CallLowerer` gets what it needs explicitly: the evaluator, the scope names, the arg_scope
stack, the model being built, and ``run_body`` (the statement lowerer, for block bodies).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Span, suggest
from ..frontend import Program
from ..frontend import tree as n
from ..ir import Tensor
from ..layers import LAYER_NAMES, LAYERS, META_LAYERS, OPERATORS, LayerKind
from ..records import replace
from ..values import (
    ACTIVATIONS,
    Activation,
    BlockRef,
    LayerRef,
    TensorValue,
    describe,
    is_finite_number,
    param_type_problem,
    show,
    type_name,
)
from .arg_scopes import ArgScopes
from .context import CallArg, ModelBuild, StmtCtx
from .evaluate import POISON, Env, EvalError, Evaluator, Poisoned
from .naming import NO_SCOPE, ScopeNames, enter_scope, scope_name
from .nodes import NodeBuilder
from .params import bind_params

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
        self.nodes = NodeBuilder(diags, model, names)
        self._in_args = 0  # > 0 while a call's arguments are evaluated

    def call_hook(self, call: n.Call, env: Env, ctx: StmtCtx) -> Any:
        """A layer/block call met inside an expression (e.g. an argument of add)."""
        if call.func in ACTIVATIONS and self._in_args and not call.args:
            return self.evaluator.activation_value(call, env)  # activation_fn=leaky_relu(0.1)
        if not is_graph_call(call.func, env, self.program):
            found = env.find(call.func)
            if found is not None:  # a parameter such as `prediction_fn: activation = none`
                value = found.vars[call.func]
                what = describe(value)
                raise EvalError(call.func_span, dg.EXPRESSION,
                                f"'{call.func}' is {what}, which "
                                "cannot be called: only layers, blocks and activations apply "
                                "to a tensor")
            raise unknown_layer(call, self.program)
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
        name = scope_name(scope, env, ctx.scope, self.evaluator.eval,
                          allow_none=True) if scope is not None else None
        target = call.func
        try:
            bound = env.lookup(target)
        except KeyError:
            bound = None
        if target in ("repeat", "stack") and not isinstance(bound, (BlockRef, Activation)):
            if name == NO_SCOPE:
                raise EvalError(scope.span, dg.SCOPE_NAME,  # type: ignore[union-attr]
                                f"'as none' (no scope) applies to block calls; {target} always "
                                f"opens its scope, as in TF-Slim")
            meta = self._repeat if target == "repeat" else self._stack
            return meta(call, pos, kw, env, ctx, name, span)
        if isinstance(bound, Activation):  # activation_fn(net), prediction_fn(logits)
            return self._activation_call(bound, pos, kw, env, ctx, name, branches, span)
        if isinstance(bound, BlockRef):  # a block bound to another name: `u = unit`, `u(4)`
            ref: LayerRef | BlockRef = bound
        elif target in LAYER_NAMES:
            ref = LayerRef(LAYER_NAMES[target])
        else:
            ref = BlockRef(target)
        return self._invoke(ref, pos, kw, env, ctx, name, branches, span)

    def _activation_call(self, act: Activation, pos: list[CallArg], kw: dict[str, CallArg],
                         env: Env, ctx: StmtCtx, name: str | None,
                         branches: list[Tensor] | None, span: Span) -> TensorValue:
        """An activation value called like a layer: the layer of its kind (with its own
        parameters, such as leaky_relu's alpha), or a def's arithmetic on the tensor."""
        if act.expr is None:
            for key, value in act.params:
                if key not in kw:
                    kw[key] = CallArg(value, span)
            return self._layer_call(LAYERS[act.name], pos, kw, env, ctx, name, branches,
                                    span)  # type: ignore[return-value]
        if name is not None or kw or branches is not None or len(pos) > 1:
            raise EvalError(span, dg.STRUCTURE,
                            f"{act.name} is a def used as an activation: it applies its "
                            f"arithmetic to one tensor and takes no scope or arguments")
        x = self._leading_tensor(pos) or self._net(env, span)
        return self.apply_activation(act, x, ctx, span)

    def apply_activation(self, act: Activation, x: TensorValue, ctx: StmtCtx,
                         span: Span) -> TensorValue:
        """The nodes of a def activation's expression tree, applied to ``x``."""
        def run(tree: Any) -> Any:
            if tree == ("x",):
                return x
            if not isinstance(tree, tuple):
                return tree  # a number
            if tree[0] == "act":
                inner = run(tree[2])
                if tree[1].expr is not None:
                    return self.apply_activation(tree[1], inner, ctx, span)
                kind = LAYERS[tree[1].name]
                args, sources = self.scopes.effective_args(
                    kind, [], {k: CallArg(v, span) for k, v in tree[1].params}, span)
                return self.nodes.build(kind, [inner.tensor], args, sources, ctx, None, span)
            if tree[0] == "neg":
                return self.nodes.operator(OPERATORS["neg"], [run(tree[1])], {}, span, ctx)
            return self.nodes.operator(OPERATORS[tree[0]], [run(tree[1]), run(tree[2])], {},
                                       span, ctx)
        return run(act.expr)

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
        inner_ctx = replace(outer, trail=ctx.trail + (span,), top_level=False)
        out = x
        try:
            for i in range(count.value):
                out = self._invoke(layer.value, [CallArg(out, span)] + pos[2:], dict(kw), env,
                                   inner_ctx, f"{inner_base}_{i + 1}", None, span)
        finally:
            self.names.close_variable_scope(outer.scope)
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
        inner_ctx = replace(outer, trail=ctx.trail + (span,), top_level=False)
        out = x
        try:
            for i, item in enumerate(items.value):
                args = list(item) if isinstance(item, (list, tuple)) else [item]
                out = self._invoke(layer.value,
                                   [CallArg(out, span)] + [CallArg(a, items.span) for a in args],
                                   dict(kw), env, inner_ctx, f"{inner_base}_{i + 1}", None, span)
        finally:
            self.names.close_variable_scope(outer.scope)
        return out

    def _meta_scope(self, ctx: StmtCtx, name: str | None, default: str,
                    layer: LayerRef | BlockRef) -> tuple[StmtCtx, str]:
        """The context inside a repeat/stack's outer scope, and the base of its inner scopes'
        names."""
        if name is None:
            scope = self.names.unique_variable_scope(ctx.scope, default)
            inner_base = LAYERS[layer.kind].func_name if isinstance(layer, LayerRef) \
                else layer.name
        else:
            scope = name
            inner_base = name  # TF-Slim: scope + '_' + str(i), even for "a/b" (a/b/a/b_1)
        return enter_scope(self.names, ctx, scope), inner_base

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
                    span: Span) -> TensorValue | list[TensorValue]:
        if name == NO_SCOPE:
            raise EvalError(span, dg.SCOPE_NAME,
                            f"'as none' (no scope) applies to block calls; {kind.name} always "
                            f"opens its scope, as in TF-Slim")
        inputs = self._layer_inputs(kind, pos, env, branches, span)
        args, sources = self.scopes.effective_args(kind, pos, kw, span)
        return self.nodes.build(kind, inputs, args, sources, ctx, name, span)

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
        tensors: list[Tensor] = []
        while pos and len(tensors) < 2 and (isinstance(pos[0].value, TensorValue) or (
                kind.operator and is_finite_number(pos[0].value))):
            value = pos.pop(0).value
            # tf.multiply / subtract / pow convert a number before the tensor on its own
            # (2 -> int32, 2.0 -> float32); the operators, add (a + b) and divide do not
            strong = not tensors and kind.name in ("multiply", "subtract", "pow")
            tensors.append(value.tensor if isinstance(value, TensorValue)
                           else self.nodes.constant(value, strong))
        if len(tensors) == 1:
            tensors.insert(0, self._net(env, span).tensor)
        if len(tensors) != 2 or all(t.const is not None for t in tensors):
            raise EvalError(span, dg.MISSING_ARGUMENT,
                            f"{kind.name} needs two tensors (or a tensor and a number): "
                            f"{kind.name}(a, b), {kind.name}(b) (combined with net), or two "
                            f"branches")
        return tensors

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
        if scope is None and block.scope is not None:  # the block's declared default
            scope = scope_name(block.scope, self.root_env, ctx.scope, self.evaluator.eval,
                               allow_none=True)
        if scope is None:
            scope = self.names.unique_variable_scope(ctx.scope, name)
        if scope == NO_SCOPE:  # a helper: its layers are named in the caller's scope
            if collect is not None:
                raise EvalError(span, dg.STRUCTURE,
                                f"block '{name}' opens no scope here ('as none'), so its output "
                                f"has no scope to be collected under",
                                ("record it with end_point \"KEY\" after the call",))
            opened = ctx
        else:
            opened = enter_scope(self.names, ctx, scope)
        full = opened.scope
        # a repeat/stack already put this call's span on the trail: once is enough
        trail = ctx.trail if ctx.trail[-1:] == (span,) else ctx.trail + (span,)
        inner = StmtCtx(full, trail, False, ctx.blocks + (name,), opened.name_scope)
        try:
            self.run_body(block.body, benv, inner)
        finally:
            if scope != NO_SCOPE:
                self.names.close_variable_scope(full)
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
        if scope != NO_SCOPE:
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
    """Does a call of ``func`` add to the graph (a layer, repeat/stack, a block, an activation
    value such as a parameter ``activation_fn``)?"""
    try:
        bound = env.lookup(func)
    except KeyError:
        bound = None
    if isinstance(bound, (BlockRef, Activation)):
        return True
    return func in LAYER_NAMES or func in META_LAYERS or func in program.blocks


def unknown_layer(call: n.Call, program: Program) -> EvalError:
    """The error for a call of ``call.func``, which is no layer, block or function."""
    names = list(LAYER_NAMES) + list(program.blocks) + list(META_LAYERS)
    suffix, fixes = suggest(call.func, names, call.func_span)
    return EvalError(call.func_span, dg.UNKNOWN_LAYER, f"unknown layer '{call.func}'{suffix}",
                     ("not a layer kind (docs/layers.md lists them), nor a block of this file "
                      "or its imports",), fixes)


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
