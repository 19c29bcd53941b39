"""Stage 2, lower: syntax tree -> :class:`slimdsl.ir.Graph` with static shapes.

Lowering elaborates a model: it evaluates parameters and expressions, expands ``repeat``,
``stack``, ``for``, ``if`` and block calls, merges ``arg_scope`` defaults with TF-Slim's
precedence (explicit > inner scope > outer scope > layer default, shallow per key), names every
scope exactly as TF-Slim would (``Conv``, ``Conv_1``, ``conv3/conv3_2``), and computes each
tensor's shape with the registry's rules. Shapes are computed here, not in a later pass, because
the language may branch on them (ResNet's shortcut depends on the input's depth).

Errors are collected, not raised one at a time: a failed statement poisons the tensor it would
have produced, and every later use of a poisoned tensor stays silent, so one root cause is
reported once while independent problems elsewhere are still found.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

from .. import diagnostics as dg
from ..diagnostics import CompileError, Diagnostics, Note, Span, did_you_mean
from ..frontend import tree as n
from ..frontend.program import Program
from ..ir import ArgSource, Graph, Port, Tensor
from ..layers import LAYER_NAMES, LAYERS, ArgError
from ..values import (
    ACTIVATIONS,
    UNKNOWN,
    Activation,
    BlockRef,
    Function,
    LayerRef,
    TensorValue,
    show,
    type_name,
)
from .calls import CallArg, CallLowering, StmtCtx, join_scope, param_type_problem, relative_scope
from .evaluate import POISON, Env, EvalError, Evaluator, Poisoned, WorkLimit

_SCOPE_PART = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.\-]*")
_INTERPOLATION = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DTYPES = ("float32", "float16", "bfloat16", "float64", "int32", "int64", "uint8", "bool")
_PARAM_TYPES = ("int", "float", "bool", "string", "list", "dict", "tensor", "activation",
                "initializer", "regularizer", "any")
#: Statements and loop iterations one model may execute (an empty nested loop makes no nodes).
MAX_STEPS = 1_000_000


class _NameScopes(Counter):
    """Name-scope counts: TF keeps name scopes and op names unique regardless of case."""

    def __getitem__(self, key: str) -> int:
        return super().__getitem__(key.lower())

    def __setitem__(self, key: str, value: int) -> None:
        super().__setitem__(key.lower(), value)


def lower(program: Program, model: str | None = None,
          overrides: dict[str, Any] | None = None) -> Graph:
    """Expand one model of ``program`` into an IR graph; raise CompileError on any error.

    ``model`` defaults to the first model of the root file; ``overrides`` replace parameter
    defaults (as ``slimc summary -D name=value`` does).
    """
    diags = Diagnostics()
    graph = lower_collecting(program, model, overrides, diags)
    if diags.has_errors or graph is None:
        raise CompileError(diags.items)
    return graph


def lower_collecting(program: Program, model: str | None, overrides: dict[str, Any] | None,
                     diags: Diagnostics) -> Graph | None:
    """Like :func:`lower` but appends to ``diags`` and returns the (possibly partial) graph."""
    own = program.own_models
    if model is None:
        if not own:
            span = Span.point(program.root.path, 1, 1)
            diags.error(span, dg.STRUCTURE, "no model defined in this file",
                        ["a file defines models with: model NAME(params) { ... }"])
            return None
        model = own[0].name
    if model not in program.models:
        diags.error(Span.point(program.root.path, 1, 1), dg.UNKNOWN_NAME,
                    f"no model named '{model}'{did_you_mean(model, program.models)}")
        return None
    try:
        return _Lowerer(program, diags).lower_model(model, dict(overrides or {}))
    except WorkLimit as e:
        diags.error(e.span, dg.STRUCTURE, f"model '{model}' is too large: {e.message}",
                    ["are a loop's bounds or a repeat count too large?"])
        return None


class _Lowerer(CallLowering):
    def __init__(self, program: Program, diags: Diagnostics):
        self.program = program
        self.diags = diags
        self.evaluator = Evaluator(self._call_hook)
        self.root_env = Env()
        for name in program.blocks:
            self.root_env.bind(name, BlockRef(name))
        for fn in program.functions.values():
            self.root_env.bind(fn.name, Function(fn.name, fn.params, fn.body, self.root_env))
        self.arg_scopes: list[dict[str, dict[str, tuple[Any, ArgSource]]]] = [{}]
        self.var_counts: Counter[str] = Counter()
        self.name_counts: Counter[str] = _NameScopes()
        self._suffix_hint: dict[tuple[int, str, str], int] = {}  # see _unique
        self.graph: Graph | None = None
        self._ids = 0
        self._ctx_stack: list[StmtCtx] = []
        self._steps = 0
        self._in_args = 0
        #: The scope of the block call that returned a tensor (outermost call wins), so that a
        #: bare `end_point` after `mixed(...) as Mixed_3b` is keyed "Mixed_3b".
        self._call_scopes: dict[int, str] = {}

    # ------------------------------------------------------------------ models

    def lower_model(self, name: str, overrides: dict[str, Any]) -> Graph | None:
        definition = self.program.models[name]
        scope_name = name
        aliases: list[n.ModelAlias] = []
        while isinstance(definition, n.ModelAlias):  # resolve the chain to a model first
            aliases.append(definition)
            if definition.base not in self.program.models or \
                    definition.base in [a.name for a in aliases]:
                problem = "is not a model" + did_you_mean(definition.base, self.program.models) \
                    if definition.base not in self.program.models else "refers back to itself"
                self.diags.error(definition.base_span, dg.UNKNOWN_NAME,
                                 f"model alias base '{definition.base}' {problem}")
                return None
            definition = self.program.models[definition.base]
        for alias in aliases:  # the outer alias's values win over the inner ones'
            try:
                alias_values = self._alias_overrides(alias, definition)
            except EvalError as e:
                self.diags.error(e.span, e.code, e.message, e.notes)
                return None
            except Poisoned:
                return None
            overrides = {**alias_values, **overrides}
        assert isinstance(definition, n.ModelDef)
        env = self.root_env.child()
        params = self._bind_params(definition.params, env, overrides, definition.span,
                                   f"model '{name}'", require_defaults=True)
        if params is None:
            return None
        self.evaluator.param_env = env
        self.evaluator.param_names = frozenset(params)
        self.graph = Graph(scope_name, definition.span.path, definition.span, params,
                           param_uses=self.evaluator.param_uses)
        self._open_var_scope(scope_name)
        ctx = StmtCtx(scope_name, (), True)
        self._body(definition.body, env, ctx)
        graph = self.graph
        if not graph.inputs and not self.diags.has_errors:
            self.diags.error(definition.name_span, dg.STRUCTURE,
                             f"model '{name}' declares no input",
                             ["declare one with: input images: [?, 224, 224, 3]"])
        if not graph.outputs:
            try:
                net = env.lookup("net")
            except KeyError:
                net = None
            if isinstance(net, TensorValue):
                graph.outputs.append(Port("net", net.tensor, definition.span))
        return graph

    def _alias_overrides(self, alias: n.ModelAlias, base: n.ModelDef) -> dict[str, Any]:
        names = [p.name for p in base.params]
        if len(alias.args) > len(names):
            raise EvalError(alias.span, dg.TOO_MANY_ARGUMENTS,
                            f"model '{base.name}' takes {len(names)} parameters, "
                            f"got {len(alias.args)}")
        out = {}
        for p, a in zip(base.params, alias.args):
            out[p.name] = self.evaluator.eval(a, self.root_env)
        for kw in alias.kwargs:
            if kw.name not in names:
                raise EvalError(kw.name_span, dg.UNKNOWN_ARGUMENT,
                                f"model '{base.name}' has no parameter '{kw.name}'"
                                f"{did_you_mean(kw.name, names)}")
            out[kw.name] = self.evaluator.eval(kw.value, self.root_env)
        return out

    def _bind_params(self, params: tuple[n.Param, ...], env: Env, given: dict[str, Any],
                     span: Span, owner: str, require_defaults: bool) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        seen: dict[str, n.Param] = {}
        ok = True
        for p in params:
            if p.name in seen:
                self.diags.error(p.span, dg.REDEFINED, f"parameter '{p.name}' defined twice",
                                 [Note("first defined here", seen[p.name].span)])
                ok = False
                continue
            seen[p.name] = p
            if p.type_name not in _PARAM_TYPES:
                self.diags.error(p.type_span, dg.BAD_VALUE,
                                 f"unknown parameter type '{p.type_name}'"
                                 f"{did_you_mean(p.type_name, _PARAM_TYPES)}",
                                 [f"types: {', '.join(_PARAM_TYPES)}"])
                ok = False
                continue
            if p.name in given:
                value, vspan = given[p.name], p.span
            elif p.default is not None:
                try:
                    value, vspan = self.evaluator.eval(p.default, env), p.default.span
                except EvalError as e:
                    self.diags.error(e.span, e.code, e.message, e.notes)
                    ok = False
                    continue
                except Poisoned:
                    ok = False
                    continue
            else:
                if require_defaults:
                    self.diags.error(p.span, dg.MISSING_ARGUMENT,
                                     f"parameter '{p.name}' of {owner} needs a default value")
                    ok = False
                continue
            problem = param_type_problem(p.type_name, value)
            if problem:
                self.diags.error(vspan, dg.BAD_VALUE, f"parameter '{p.name}': {problem}")
                ok = False
                continue
            if p.type_name == "float" and isinstance(value, int):
                value = float(value)
            values[p.name] = value
            env.bind(p.name, value)
        unknown = set(given) - set(seen)
        for name in sorted(unknown):
            self.diags.error(span, dg.UNKNOWN_ARGUMENT, f"{owner} has no parameter '{name}'"
                             f"{did_you_mean(name, seen)}")
            ok = False
        return values if ok else None

    # ------------------------------------------------------------------ statements

    def _step(self, span: Span) -> None:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise WorkLimit(span, f"it takes more than {MAX_STEPS:,} statements and loop "
                                  f"iterations to expand")

    def _body(self, stmts: tuple[n.Stmt, ...], env: Env, ctx: StmtCtx) -> None:
        for stmt in stmts:
            self._step(stmt.span)
            self._ctx_stack.append(ctx)
            try:
                getattr(self, "_stmt_" + type(stmt).__name__)(stmt, env, ctx)
            except EvalError as e:
                self.diags.error(e.span, e.code, e.message, e.notes)
                self._poison(stmt, env)
            except Poisoned:
                self._poison(stmt, env)
            finally:
                self._ctx_stack.pop()

    def _poison(self, stmt: n.Stmt, env: Env) -> None:
        """Bind what a failed statement would have defined, so later uses stay silent."""
        if isinstance(stmt, n.LayerStmt):
            if isinstance(stmt.value, n.Call) and self._is_graph_call(stmt.value.func, env):
                # a failed layer: later layers still check their arguments, but not shapes
                env.bind(stmt.target or "net", TensorValue(Tensor(-1, None, "<error>")))
            else:  # a failed value: every later use of the name stays silent
                env.bind(stmt.target or "net", POISON)

    def _stmt_InputStmt(self, s: n.InputStmt, env: Env, ctx: StmtCtx) -> None:
        if not ctx.top_level:
            raise EvalError(s.span, dg.STRUCTURE,
                            "inputs are declared at the top of a model body, not in a block")
        if any(p.name == s.name for p in self.graph.inputs):
            raise EvalError(s.span, dg.REDEFINED, f"input '{s.name}' declared twice")
        value = self.evaluator.eval(s.shape, env)
        dtype = "float32"
        if not isinstance(value, list):
            raise EvalError(s.shape.span, dg.BAD_VALUE,
                            f"an input shape is a list such as [?, 224, 224, 3], got "
                            f"{type_name(value)} {show(value)}")
        dims: list[int | None] = []
        for d in value:
            if d is UNKNOWN:
                dims.append(None)
            elif isinstance(d, int) and not isinstance(d, bool) and d >= 1:
                dims.append(d)
            else:
                raise EvalError(s.shape.span, dg.BAD_VALUE,
                                f"input dimensions are ints >= 1 or ?, got {show(d)}")
        if s.dtype is not None:
            if s.dtype not in _DTYPES:
                raise EvalError(s.span, dg.BAD_VALUE, f"unknown dtype '{s.dtype}'"
                                f"{did_you_mean(s.dtype, _DTYPES)}",
                                (f"dtypes: {', '.join(_DTYPES)}",))
            dtype = s.dtype
        tensor = Tensor(self._next_id(), tuple(dims), s.name, dtype)
        self.graph.inputs.append(Port(s.name, tensor, s.span))
        env.bind(s.name, TensorValue(tensor))
        try:
            env.lookup("net")
        except KeyError:
            env.bind("net", TensorValue(tensor))

    def _stmt_DefStmt(self, s: n.DefStmt, env: Env, ctx: StmtCtx) -> None:
        if s.name in LAYER_NAMES or s.name in ("repeat", "stack") or s.name in self.program.blocks:
            raise EvalError(s.name_span, dg.REDEFINED,
                            f"'{s.name}' is a layer or block name; choose another function name")
        env.bind(s.name, Function(s.name, s.params, s.body, env))

    def _stmt_OutputStmt(self, s: n.OutputStmt, env: Env, ctx: StmtCtx) -> None:
        if not ctx.top_level:
            raise EvalError(s.span, dg.STRUCTURE, "outputs are declared in the model body")
        expr = s.value if s.value is not None else n.Name(s.span, s.name)
        value = self.evaluator.eval(expr, env)
        if not isinstance(value, TensorValue):
            raise EvalError(expr.span, dg.BAD_VALUE,
                            f"an output must be a tensor, got {type_name(value)}")
        if any(p.name == s.name for p in self.graph.outputs):
            raise EvalError(s.span, dg.REDEFINED, f"output '{s.name}' declared twice")
        self.graph.outputs.append(Port(s.name, value.tensor, s.span))

    def _stmt_EndPointStmt(self, s: n.EndPointStmt, env: Env, ctx: StmtCtx) -> None:
        value = self.evaluator.eval(s.value, env) if s.value is not None \
            else self.evaluator.eval(n.Name(s.span, "net"), env)
        if not isinstance(value, TensorValue):
            raise EvalError(s.span, dg.BAD_VALUE,
                            f"an end point must be a tensor, got {type_name(value)}")
        if s.key is None:
            producer = value.tensor.producer
            if id(value.tensor) in self._call_scopes:
                key = relative_scope(self._call_scopes[id(value.tensor)], self.graph.name)
            elif producer is None:
                key = value.tensor.name
            else:
                key = relative_scope(producer.scope, self.graph.name)
        else:
            key = self._interpolate(s.key, s.key_span, env, ctx)
        if value.tensor.poisoned:
            raise Poisoned()
        self.graph.end_points[key] = value.tensor

    def _stmt_LayerStmt(self, s: n.LayerStmt, env: Env, ctx: StmtCtx) -> None:
        branch_tensors = None
        scope = s.scope
        if s.branches is not None:
            if not isinstance(s.value, n.Call):
                raise EvalError(s.span, dg.STRUCTURE,
                                "branches { ... } follow a call such as concat(axis=3)")
            if scope is not None:
                # `concat(axis=3) as Mixed_3b { ... }`: Mixed_3b is a variable scope holding
                # the branches and the combining op (Mixed_3b/concat), as in TF-Slim's nets.
                name = self._interpolate_scope(scope, env, ctx)
                ctx = replace(ctx, scope=join_scope(ctx.scope, name))
                self._open_var_scope(ctx.scope)
                scope = None
            branch_tensors = self._branches(s.branches, env, ctx)
        if isinstance(s.value, n.Call) and self._is_graph_call(s.value.func, env):
            # Point diagnostics at the whole statement, or at the call if it spans lines.
            span = s.span if s.span.line == s.span.end_line else s.value.span
            value = self._call(s.value, env, ctx, scope, branch_tensors, span)
        else:
            if s.scope is not None:
                raise EvalError(s.scope.span, dg.STRUCTURE,
                                "'as NAME' names the scope of a layer or block call")
            value = self.evaluator.eval(s.value, env)
        if s.target is None:
            if not isinstance(value, TensorValue):
                raise EvalError(s.value.span, dg.STRUCTURE,
                                f"this statement computes a value ({type_name(value)}) and "
                                "discards it",
                                ("bind it with NAME = ... or call a layer",))
            env.bind("net", value)
        else:
            if s.target in LAYER_NAMES or s.target in ACTIVATIONS:
                raise EvalError(s.target_span, dg.REDEFINED,
                                f"'{s.target}' is a layer name; choose another tensor name")
            env.bind(s.target, value)

    def _is_graph_call(self, func: str, env: Env) -> bool:
        try:
            bound = env.lookup(func)
        except KeyError:
            bound = None
        if isinstance(bound, BlockRef):
            return True
        return func in LAYER_NAMES or func in ("repeat", "stack") or func in self.program.blocks

    def _branches(self, branches: tuple[n.Branch, ...], env: Env, ctx: StmtCtx) -> list[Tensor]:
        source = self.evaluator.eval(n.Name(branches[0].span, "net"), env) if branches \
            else None
        outputs: list[Tensor] = []
        for b in branches:
            benv = env.child()
            if source is not None:
                benv.bind("net", source)
            bctx = ctx
            if b.scope is not None:
                name = self._interpolate_scope(b.scope, env, ctx)
                bctx = replace(ctx, scope=join_scope(ctx.scope, name), top_level=False)
                self._open_var_scope(bctx.scope)
            else:
                bctx = replace(ctx, top_level=False)
            self._body(b.body, benv, bctx)
            out = benv.lookup("net")
            if not isinstance(out, TensorValue):
                raise Poisoned()
            outputs.append(out.tensor)
        return outputs

    def _stmt_ArgScopeStmt(self, s: n.ArgScopeStmt, env: Env, ctx: StmtCtx) -> None:
        listed = self.evaluator.eval(s.layers, env)
        if not isinstance(listed, list):
            raise EvalError(s.layers.span, dg.ARG_SCOPE,
                            "arg_scope takes a list of layers first, e.g. "
                            "arg_scope([conv2d, fully_connected], padding=\"SAME\")")
        item_spans = list(s.layers.items) if isinstance(s.layers, n.ListLit) else []
        kwargs: dict[str, tuple[Any, n.Keyword]] = {}
        for kw in s.kwargs:
            if kw.name in kwargs:
                raise EvalError(kw.name_span, dg.DUPLICATE_ARGUMENT,
                                f"arg_scope sets '{kw.name}' twice")
            kwargs[kw.name] = (self._eval_arg(kw.value, env, True, kw.name_span), kw)
        top = {k: dict(v) for k, v in self.arg_scopes[-1].items()}
        failed = False
        params = {name: arg.param for name, (arg, _kw) in kwargs.items()}
        kwargs = {name: (arg.value, kw) for name, (arg, kw) in kwargs.items()}
        for i, item in enumerate(listed):
            span = item_spans[i].span if i < len(item_spans) else s.layers.span
            key, accepted = self._scope_target(item, span)
            if key is None:
                failed = True
                continue
            entry = top.setdefault(key, {})
            for name, (value, kw) in kwargs.items():
                if name not in accepted:
                    failed = True
                    self.diags.error(kw.name_span, dg.ARG_SCOPE,
                                     f"arg_scope sets '{name}', which {key} does not accept"
                                     f"{did_you_mean(name, accepted)}",
                                     [f"TF-Slim raises a TypeError when {key} is called in "
                                      f"this scope", f"{key} accepts: {', '.join(accepted)}"])
                    continue
                problem = self._check_scoped_value(key, name, value)
                if problem:
                    failed = True
                    self.diags.error(kw.value.span, dg.BAD_VALUE, f"{key} {name}: {problem}")
                    continue
                if params[name] is not None and key not in LAYERS:
                    self.evaluator.param_uses[params[name]] = "structural"  # a block argument
                entry[name] = (value, ArgSource("arg_scope", kw.span,
                                                params[name] if key in LAYERS else None))
        if failed:
            # Keep lowering the body with the scope applied as far as it was valid.
            pass
        self.arg_scopes.append(top)
        try:
            self._body(s.body, env, replace(ctx, top_level=ctx.top_level))
        finally:
            self.arg_scopes.pop()

    def _scope_target(self, item: Any, span: Span) -> tuple[str | None, list[str]]:
        if isinstance(item, LayerRef):
            kind = LAYERS[item.kind]
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
                         f"arg_scope lists layers and blocks, got {type_name(item)} {show(item)}")
        return None, []

    def _check_scoped_value(self, key: str, name: str, value: Any) -> str | None:
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

    def _stmt_ScopeStmt(self, s: n.ScopeStmt, env: Env, ctx: StmtCtx) -> None:
        name = self._interpolate_scope(s.scope, env, ctx)
        inner = replace(ctx, scope=join_scope(ctx.scope, name), top_level=False)
        self._open_var_scope(inner.scope)
        self._body(s.body, env, inner)

    def _stmt_IfStmt(self, s: n.IfStmt, env: Env, ctx: StmtCtx) -> None:
        for test, body in s.clauses:
            value = self.evaluator.eval(test, env)
            if not isinstance(value, bool):
                raise EvalError(test.span, dg.EXPRESSION,
                                f"an if condition must be a bool, got {type_name(value)} "
                                f"{show(value)}")
            if value:
                self._body(body, env, ctx)
                return
        if s.otherwise is not None:
            self._body(s.otherwise, env, ctx)

    def _stmt_ForStmt(self, s: n.ForStmt, env: Env, ctx: StmtCtx) -> None:
        items = self.evaluator.eval(s.iterable, env)
        if not isinstance(items, (list, tuple)):
            raise EvalError(s.iterable.span, dg.EXPRESSION,
                            f"for loops iterate over a list or range(), got {type_name(items)}")
        for item in items:
            self._step(s.span)
            env.bind(s.var, item)
            self._body(s.body, env, ctx)

    def _stmt_AssertStmt(self, s: n.AssertStmt, env: Env, ctx: StmtCtx) -> None:
        value = self.evaluator.eval(s.test, env)
        if not isinstance(value, bool):
            raise EvalError(s.test.span, dg.EXPRESSION,
                            f"assert needs a bool condition, got {type_name(value)}")
        if value:
            return
        text = self._source(s.test.span)
        notes: list[str] = []
        if isinstance(s.test, n.BinOp) and s.test.op in ("==", "!=", "<", "<=", ">", ">="):
            left = self.evaluator.eval(s.test.left, env)
            right = self.evaluator.eval(s.test.right, env)
            notes.append(f"left side: {self._source(s.test.left.span)} = {show(left)}")
            notes.append(f"right side: {show(right)}")
        raise EvalError(s.test.span, dg.ASSERTION, f"assertion failed: {text}", tuple(notes))

    # ------------------------------------------------------------------ calls

    def _call_hook(self, call: n.Call, env: Env) -> Any:
        """A layer/block call met inside an expression (e.g. an argument of add)."""
        ctx = self._ctx_stack[-1]
        if call.func in ACTIVATIONS and self._in_args and not call.args:
            return self.evaluator.activation_value(call, env)  # activation_fn=leaky_relu(0.1)
        if not self._is_graph_call(call.func, env):
            names = list(LAYER_NAMES) + list(self.program.blocks) + ["repeat", "stack"]
            raise EvalError(call.func_span, dg.UNKNOWN_LAYER,
                            f"unknown layer or block '{call.func}'{did_you_mean(call.func, names)}")
        return self._call(call, env, ctx, None, None, call.span)

    def _call(self, call: n.Call, env: Env, ctx: StmtCtx, scope: n.ScopeName | None,
              branches: list[Tensor] | None, span: Span) -> TensorValue:
        plain = call.func in LAYER_NAMES  # a bare parameter passed to a layer stays "plain"
        self._in_args += 1
        try:
            pos = [self._eval_arg(a, env, plain) for a in call.args]
            kw: dict[str, CallArg] = {}
            for k in call.kwargs:
                if k.name in kw:
                    raise EvalError(k.name_span, dg.DUPLICATE_ARGUMENT,
                                    f"argument '{k.name}' given twice")
                kw[k.name] = self._eval_arg(k.value, env, plain, k.name_span)
        finally:
            self._in_args -= 1
        if "scope" in kw:
            raise EvalError(kw["scope"].name_span, dg.UNKNOWN_ARGUMENT,
                            "the scope is given with 'as NAME' after the call, not scope=...",
                            (f"write: {call.func}(...) as "
                             f"{show(kw['scope'].value).strip(chr(34))}",))
        scope_name = self._interpolate_scope(scope, env, ctx) if scope is not None else None
        target = call.func
        try:
            bound = env.lookup(target)
        except KeyError:
            bound = None
        if target == "repeat" and not isinstance(bound, BlockRef):
            return self._repeat(call, pos, kw, env, ctx, scope_name, span)
        if target == "stack" and not isinstance(bound, BlockRef):
            return self._stack(call, pos, kw, env, ctx, scope_name, span)
        if isinstance(bound, BlockRef):  # a block bound to another name: `u = unit`, `u(4)`
            ref: LayerRef | BlockRef = bound
        elif target in LAYER_NAMES:
            ref = LayerRef(LAYER_NAMES[target])
        else:
            ref = BlockRef(target)
        return self._invoke(ref, call.func_span, pos, kw, env, ctx, scope_name, branches, span)

    def _eval_arg(self, expr: n.Expr, env: Env, plain: bool,
                  name_span: Span | None = None) -> CallArg:
        """Evaluate a call argument, noting when it is exactly a model parameter."""
        param = None
        if plain and isinstance(expr, n.Name) and expr.name in self.evaluator.param_names \
                and env.find(expr.name) is self.evaluator.param_env:
            param = expr.name
            self.evaluator.plain_name = expr
        try:
            value = self.evaluator.eval(expr, env)
        finally:
            self.evaluator.plain_name = None
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

    def _repeat(self, call: n.Call, pos: list[CallArg], kw: dict[str, CallArg], env: Env,
                ctx: StmtCtx, scope_name: str | None, span: Span) -> TensorValue:
        x = self._leading_tensor(pos) or self._net(env, span)
        if len(pos) < 2:
            raise EvalError(call.span, dg.MISSING_ARGUMENT,
                            "repeat needs a count and a layer: repeat(2, conv2d, 64, [3, 3])")
        count, layer = pos[0], pos[1]
        if isinstance(count.value, bool) or not isinstance(count.value, int) or count.value < 0:
            raise EvalError(count.span, dg.BAD_VALUE,
                            f"repeat count must be an int >= 0, got {show(count.value)}")
        layer.value = _layer_ref(layer.value)
        if not isinstance(layer.value, (LayerRef, BlockRef)):
            raise EvalError(layer.span, dg.BAD_VALUE,
                            f"repeat's second argument is a layer or block, got "
                            f"{type_name(layer.value)} {show(layer.value)}")
        outer, inner_base = self._meta_scope(ctx, scope_name, "Repeat", layer.value)
        inner_ctx = replace(ctx, scope=outer, trail=ctx.trail + (span,), top_level=False)
        out = x
        for i in range(count.value):
            out = self._invoke(layer.value, layer.span, [CallArg(out, span)] + pos[2:], dict(kw),
                               env, inner_ctx, f"{inner_base}_{i + 1}", None, span)
        return out

    def _stack(self, call: n.Call, pos: list[CallArg], kw: dict[str, CallArg], env: Env,
               ctx: StmtCtx, scope_name: str | None, span: Span) -> TensorValue:
        x = self._leading_tensor(pos) or self._net(env, span)
        if len(pos) != 2:
            raise EvalError(call.span, dg.MISSING_ARGUMENT,
                            "stack needs a layer and a list: stack(fully_connected, [32, 64])")
        layer, items = pos
        layer.value = _layer_ref(layer.value)
        if not isinstance(layer.value, (LayerRef, BlockRef)):
            raise EvalError(layer.span, dg.BAD_VALUE,
                            f"stack's first argument is a layer or block, got "
                            f"{type_name(layer.value)}")
        if not isinstance(items.value, (list, tuple)):
            raise EvalError(items.span, dg.BAD_VALUE,
                            f"stack's second argument is a list, got {type_name(items.value)}")
        outer, inner_base = self._meta_scope(ctx, scope_name, "Stack", layer.value)
        inner_ctx = replace(ctx, scope=outer, trail=ctx.trail + (span,), top_level=False)
        out = x
        for i, item in enumerate(items.value):
            args = list(item) if isinstance(item, (list, tuple)) else [item]
            out = self._invoke(layer.value, layer.span,
                               [CallArg(out, span)] + [CallArg(a, items.span) for a in args],
                               dict(kw), env, inner_ctx, f"{inner_base}_{i + 1}", None, span)
        return out

    def _meta_scope(self, ctx: StmtCtx, scope_name: str | None, default: str,
                    layer: LayerRef | BlockRef) -> tuple[str, str]:
        if scope_name is None:
            outer = join_scope(ctx.scope, self._unique(ctx.scope, default, self.var_counts))
            inner_base = LAYERS[layer.kind].func_name if isinstance(layer, LayerRef) \
                else layer.name
        else:
            outer = join_scope(ctx.scope, scope_name)
            inner_base = scope_name  # TF-Slim: scope + '_' + str(i), even for "a/b" (a/b/a/b_1)
        self._open_var_scope(outer)
        return outer, inner_base

    # ------------------------------------------------------------------ naming helpers

    def _open_var_scope(self, full: str) -> None:
        self.var_counts[full] += 1
        self.name_counts[full] += 1  # a variable scope also opens the name scope

    def _unique(self, parent: str, base: str, counts: Counter[str]) -> str:
        """TF's default-name uniquification: ``base``, then ``base_1``, ``base_2``, ..."""
        if counts[join_scope(parent, base)] == 0:
            return base
        # Counts only grow, so the suffix found last time is a lower bound for this one:
        # resuming there keeps a chain of N unnamed layers linear instead of quadratic.
        key = (id(counts), parent, base)
        i = self._suffix_hint.get(key, 1)
        while counts[join_scope(parent, f"{base}_{i}")] > 0:
            i += 1
        self._suffix_hint[key] = i
        return f"{base}_{i}"

    def _interpolate(self, text: str, span: Span, env: Env, ctx: StmtCtx) -> str:
        def repl(m: re.Match) -> str:
            key = m.group(1)
            if key == "scope":
                return ctx.scope
            try:
                value = env.lookup(key)
            except KeyError:
                raise EvalError(span, dg.UNKNOWN_NAME, f"unknown name '{key}' in \"{text}\""
                                f"{did_you_mean(key, env.names())}") from None
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise EvalError(span, dg.BAD_VALUE,
                                f"'{{{key}}}' must be an int or a string, got {type_name(value)}")
            return str(value)

        return _INTERPOLATION.sub(repl, text)

    def _interpolate_scope(self, scope: n.ScopeName, env: Env, ctx: StmtCtx) -> str:
        name = self._interpolate(scope.text, scope.span, env, ctx) if scope.quoted \
            else scope.text
        parts = name.split("/")
        if not name or not all(_SCOPE_PART.fullmatch(p) for p in parts):
            raise EvalError(scope.span, dg.SCOPE_NAME,
                            f"invalid scope name {show(name)}",
                            ("scope names are letters, digits, '_', '.', '-', "
                             "separated by '/'",))
        return name

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _source(self, span: Span) -> str:
        text = self.program.sources.get(span.path)
        if text is None:
            return "condition"
        lines = text.splitlines()
        if span.line != span.end_line or span.line > len(lines):
            return "condition"
        return lines[span.line - 1][span.column - 1:span.end_column - 1]


# ---------------------------------------------------------------------------- helpers


def _layer_ref(value: Any) -> Any:
    """``softmax`` (and the other activations) evaluate to an Activation; as the layer argument
    of repeat/stack they name the layer of that kind (``slim.repeat(x, 2, slim.softmax)``)."""
    if isinstance(value, Activation) and not value.params and value.name in LAYERS:
        return LayerRef(value.name)
    return value

