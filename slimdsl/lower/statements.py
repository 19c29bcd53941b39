"""The statement lowerer: one model's body, statement by statement, into its IR graph.

:class:`Lowerer` binds the model's parameters, walks statements, scopes and control flow, and
hands every layer, ``repeat``/``stack`` or block call to its :class:`~.calls.CallLowerer`. A
failed statement poisons what it would have defined, so later uses stay silent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Span, did_you_mean, suggest
from ..frontend import Program
from ..frontend import tree as n
from ..ir import Graph, Port, StatementOutput, Tensor, relative_scope
from ..layers import LAYER_NAMES, META_LAYERS
from ..layers.size_constraints import collecting
from ..records import replace
from ..values import (
    ACTIVATIONS,
    DTYPES,
    BlockRef,
    Function,
    TensorValue,
    show,
    type_name,
)
from .arg_scopes import ArgScopes
from .calls import CallLowerer, is_graph_call
from .context import ModelBuild, StmtCtx
from .evaluate import POISON, Env, EvalError, Evaluator, Poisoned, WorkLimit
from .inputs import GivenShapes, bind_given, declared_shape
from .naming import ScopeNames, enter_scope, interpolate, scope_name
from .params import bind_params

#: Statements and loop iterations one model may execute (an empty nested loop makes no nodes).
MAX_STEPS = 1_000_000


class Lowerer:
    """Lowers one model of a program (a new instance per model)."""

    def __init__(self, program: Program, diags: Diagnostics, given: GivenShapes | None = None,
                 covered: set[int] | None = None):
        self.program, self.diags, self.given = program, diags, given or {}
        #: ids of the statement lists run (the lints check the others without values)
        self.covered: set[int] = covered if covered is not None else set()
        self.evaluator = Evaluator(self._call_hook, self._tensor_hook)
        self.root_env = Env()
        for name in program.blocks:
            self.root_env.bind(name, BlockRef(name))
        for fn in program.functions.values():
            self.root_env.bind(fn.name, Function(fn.name, fn.params, fn.body, self.root_env))
        self.model = ModelBuild()
        self.names = ScopeNames()
        self.scopes = ArgScopes(program, diags, self.evaluator.param_uses,
                                self.evaluator.activation_of)
        self.calls = CallLowerer(program, diags, self.evaluator, self.root_env, self.model,
                                 self.names, self.scopes, self.run_body)
        self._ctx_stack: list[StmtCtx] = []
        self._steps = 0
        #: Told about every statement before it runs, when set (see :mod:`.incremental`).
        self.recorder: Any = None
        self.model_env: Env | None = None  # the model body's environment, once bound
        self.definition: n.ModelDef | None = None  # the model definition being lowered
        self.root_ctx = StmtCtx("", (), True)  # the model body's context, once begun

    @property
    def steps(self) -> int:
        """Statements and loop iterations run so far (bounded by :data:`MAX_STEPS`)."""
        return self._steps

    @steps.setter
    def steps(self, value: int) -> None:
        self._steps = value

    def rebind(self, program: Program, definition: n.ModelDef) -> None:
        """Lower the next version of the program from here on (:mod:`.incremental`: its blocks
        and functions are the same, the model's body may differ)."""
        self.program = self.calls.program = self.scopes.program = program
        self.definition = definition

    def _call_hook(self, call: n.Call, env: Env) -> Any:
        """The evaluator met a call in an expression: lowered where the statement is."""
        if not self._ctx_stack or self.evaluator.in_default:
            if call.func in ACTIVATIONS and not call.args:  # leaky_relu(alpha=0.1)
                return self.evaluator.activation_value(call, env)
            raise EvalError(call.span, dg.STRUCTURE,
                            f"{call.func}() builds a layer: a parameter default is a value")
        ctx = self._ctx_stack[-1]
        return self.calls.call_hook(call, env, ctx)

    def _tensor_hook(self, kind: str, operands: list, args: dict, span: Span) -> Any:
        """The evaluator met tensor arithmetic or slicing: a node where the statement is."""
        return self.calls.nodes.operator(kind, operands, args, span, self._ctx_stack[-1])

    # ------------------------------------------------------------------ models

    def lower_model(self, name: str, overrides: dict[str, Any]) -> Graph | None:
        if not self.begin_model(name, overrides):
            return None
        assert self.definition is not None and self.model_env is not None
        with collecting() as self.model.needs:  # the shape rules' constraints on named sizes
            self.run_body(self.definition.body, self.model_env, self.root_ctx)
        return self.finish_model()

    def begin_model(self, name: str, overrides: dict[str, Any]) -> bool:
        """Resolve the model ``name`` (through aliases), bind its parameters and open its
        graph: what comes before its body. False when that failed (reported)."""
        definition = self.program.models[name]
        aliases: list[n.ModelAlias] = []
        scope_clause = definition.scope  # the first `as` on the chain names the scope
        while isinstance(definition, n.ModelAlias):  # resolve the chain to a model first
            aliases.append(definition)
            if definition.base not in self.program.models or \
                    definition.base in [a.name for a in aliases]:
                suffix, fixes = suggest(definition.base, self.program.models,
                                        definition.base_span)
                if definition.base in self.program.models:
                    problem, fixes = "refers back to itself", ()
                else:
                    problem = "is not a model" + suffix
                self.diags.error(definition.base_span, dg.UNKNOWN_NAME,
                                 f"model alias base '{definition.base}' {problem}", (), fixes)
                return False
            definition = self.program.models[definition.base]
            scope_clause = scope_clause or definition.scope
        for alias in aliases:  # the outer alias's values win over the inner ones'
            try:
                alias_values = alias_overrides(self.evaluator, self.root_env, alias, definition)
            except EvalError as e:
                self.diags.error(e.span, e.code, e.message, e.notes, e.fixes)
                return False
            except Poisoned:
                return False
            overrides = {**alias_values, **overrides}
        assert isinstance(definition, n.ModelDef)
        env = self.root_env.child()
        params = bind_params(self.evaluator, self.diags, definition.params, env, overrides,
                             definition.span, f"model '{name}'", require_defaults=True)
        if params is None:
            return False
        self.evaluator.track(env, params)
        try:
            root = name if scope_clause is None else \
                scope_name(scope_clause, self.root_env, "", self.evaluator.eval,
                           allow_none=True)
        except EvalError as e:
            self.diags.error(e.span, e.code, e.message, e.notes)
            return False
        self.model.graph = Graph(name, definition.span.path, definition.span, params,
                                 root, param_uses=self.evaluator.param_uses)
        self.root_ctx = enter_scope(self.names, StmtCtx("", (), True), root) if root else \
            StmtCtx("", (), True)
        self.definition, self.model_env = definition, env
        return True

    def finish_model(self) -> Graph:
        """What comes after the model's body: no input is an error; without an ``output``
        statement, ``net`` is the output."""
        graph, definition, env = self.model.graph, self.definition, self.model_env
        assert definition is not None and env is not None
        name = graph.name
        unknown = sorted(set(self.given) - {p.name for p in graph.inputs})
        if unknown and graph.inputs:
            self.diags.error(definition.name_span, dg.UNKNOWN_NAME,
                             f"--input names '{unknown[0]}', which model '{name}' does not "
                             f"declare{did_you_mean(unknown[0], [p.name for p in graph.inputs])}",
                             [f"its inputs: {', '.join(p.name for p in graph.inputs)}"])
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

    # ------------------------------------------------------------------ statements

    def _step(self, span: Span) -> None:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise WorkLimit(span, f"it takes more than {MAX_STEPS:,} statements and loop "
                                  f"iterations to expand")

    def run_body(self, stmts: tuple[n.Stmt, ...], env: Env, ctx: StmtCtx,
                 start: int = 0) -> None:
        """Lower ``stmts[start:]`` in ``env``; a failed statement is reported and poisons its
        names."""
        self.covered.add(id(stmts))
        recorder = self.recorder
        if recorder is not None:
            recorder.enter(stmts, ctx)
        try:
            for i in range(start, len(stmts)):
                stmt = stmts[i]
                if recorder is not None:
                    recorder.before(i)
                self._step(stmt.span)
                self._ctx_stack.append(ctx)
                try:
                    (_STMT_METHODS.get(type(stmt)) or _stmt_method(stmt))(self, stmt, env, ctx)
                except EvalError as e:
                    self.diags.error(e.span, e.code, e.message, e.notes, e.fixes)
                    self._poison(stmt, env)
                except Poisoned:
                    self._poison(stmt, env)
                finally:
                    self._ctx_stack.pop()
        finally:
            if recorder is not None:
                recorder.exit()

    def _poison(self, stmt: n.Stmt, env: Env) -> None:
        """Bind what a failed statement would have defined, so later uses stay silent."""
        if isinstance(stmt, n.InputStmt):  # later layers take it as net: no "no input tensor"
            env.bind(stmt.name, POISON)
            if env.find("net") is None:
                env.bind("net", POISON)
        elif isinstance(stmt, n.LayerStmt):
            if isinstance(stmt.value, n.Call) and \
                    is_graph_call(stmt.value.func, env, self.program):
                # a failed layer: later layers still check their arguments, but not shapes
                env.bind(stmt.target or "net", TensorValue(Tensor(-1, None, "<error>")))
            else:  # a failed value: every later use of the name stays silent
                env.bind(stmt.target or "net", POISON)

    def _stmt_InputStmt(self, s: n.InputStmt, env: Env, ctx: StmtCtx) -> None:
        graph = self.model.graph
        if not ctx.top_level:
            raise EvalError(s.span, dg.STRUCTURE,
                            "inputs are declared at the top of a model body, not in a block")
        if any(p.name == s.name for p in graph.inputs):
            raise EvalError(s.span, dg.REDEFINED, f"input '{s.name}' declared twice")
        _check_none_dimension(s, env, lambda span, fallback: source_text(
            self.program, span, fallback))
        dims = declared_shape(self.evaluator, s, env, graph.dims)
        if s.name in self.given:
            dims = bind_given(s, dims, self.given[s.name], graph.bound)
        dtype = "float32"
        if s.dtype is not None:
            if s.dtype not in DTYPES:
                raise EvalError(s.span, dg.BAD_VALUE, f"unknown dtype '{s.dtype}'"
                                f"{did_you_mean(s.dtype, DTYPES)}",
                                (f"dtypes: {', '.join(DTYPES)}",))
            dtype = s.dtype
        tensor = Tensor(self.model.next_id(), tuple(dims), s.name, dtype)
        graph.inputs.append(Port(s.name, tensor, s.span))
        env.bind(s.name, TensorValue(tensor))
        try:
            env.lookup("net")
        except KeyError:
            env.bind("net", TensorValue(tensor))

    def _stmt_DefStmt(self, s: n.DefStmt, env: Env, ctx: StmtCtx) -> None:
        if s.name in LAYER_NAMES or s.name in META_LAYERS or s.name in self.program.blocks:
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
        if any(p.name == s.name for p in self.model.graph.outputs):
            raise EvalError(s.span, dg.REDEFINED, f"output '{s.name}' declared twice")
        self.model.graph.outputs.append(Port(s.name, value.tensor, s.span))

    def _stmt_EndPointStmt(self, s: n.EndPointStmt, env: Env, ctx: StmtCtx) -> None:
        graph = self.model.graph
        value = self.evaluator.eval(s.value, env) if s.value is not None \
            else self.evaluator.eval(n.Name(s.span, "net"), env)
        if not isinstance(value, TensorValue):
            raise EvalError(s.span, dg.BAD_VALUE,
                            f"an end point must be a tensor, got {type_name(value)}")
        if s.key is None:
            producer = value.tensor.producer
            if id(value.tensor) in self.model.call_scopes:
                key = relative_scope(self.model.call_scopes[id(value.tensor)], graph.scope)
            elif producer is None:
                key = value.tensor.name
            else:
                key = relative_scope(producer.scope, graph.scope)
        else:
            key = interpolate(s.key, s.key_parts, env, ctx.scope, self.evaluator.eval)
        if value.tensor.poisoned:
            raise Poisoned()
        graph.end_points[key] = value.tensor

    def _stmt_LayerStmt(self, s: n.LayerStmt, env: Env, ctx: StmtCtx) -> None:
        if s.branches is not None and not isinstance(s.value, n.Call):
            raise EvalError(s.span, dg.STRUCTURE,
                            "branches { ... } follow a call such as concat(axis=3)")
        if s.branches is not None and s.scope is not None:
            # `concat(axis=3) as Mixed_3b { ... }`: Mixed_3b is a variable scope holding the
            # branches and the combining op (Mixed_3b/concat), as in TF-Slim's nets.
            name = scope_name(s.scope, env, ctx.scope, self.evaluator.eval)
            inner = enter_scope(self.names, ctx, name)
            try:
                self._layer_stmt(s, env, inner, None)
            finally:
                self.names.close_variable_scope(inner.scope)
        else:
            self._layer_stmt(s, env, ctx, s.scope)

    def _layer_stmt(self, s: n.LayerStmt, env: Env, ctx: StmtCtx,
                    scope: n.ScopeName | None) -> None:
        branch_tensors = None
        if s.branches is not None:
            branch_tensors = self._branches(s.branches, env, ctx)
        if isinstance(s.value, n.Call) and is_graph_call(s.value.func, env, self.program):
            # Point diagnostics at the whole statement, or at the call if it spans lines.
            span = s.span if s.span.line == s.span.end_line else s.value.span
            value = self.calls.call(s.value, env, ctx, scope, branch_tensors, span)
        else:
            # Evaluated first: a call of a value that is not callable (`prediction_fn(net) as
            # P` with prediction_fn none) is reported as such, not as a misplaced `as`.
            value = self.evaluator.eval(s.value, env)
            if s.scope is not None:
                raise EvalError(s.scope.span, dg.STRUCTURE,
                                "'as NAME' names the scope of a layer or block call")
        if isinstance(value, TensorValue):
            self.model.graph.statement_outputs.append(
                StatementOutput(s.span, s.value.span, ctx.trail, value.tensor))
        if s.target is None:
            if isinstance(value, list) and value and all(isinstance(v, TensorValue)
                                                         for v in value):
                raise EvalError(s.value.span, dg.STRUCTURE,
                                "this gives a list of tensors, which cannot be net",
                                ("bind it: parts = split(...), then use parts[0], parts[1]",))
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

    def _branches(self, branches: tuple[n.Branch, ...], env: Env, ctx: StmtCtx) -> list[Tensor]:
        source = self.evaluator.eval(n.Name(branches[0].span, "net"), env) if branches \
            else None
        outputs: list[Tensor] = []
        for b in branches:
            benv = env.child()
            if source is not None:
                benv.bind("net", source)
            if b.scope is not None:
                name = scope_name(b.scope, env, ctx.scope, self.evaluator.eval)
                bctx = replace(enter_scope(self.names, ctx, name), top_level=False)
                try:
                    self.run_body(b.body, benv, bctx)
                finally:
                    self.names.close_variable_scope(bctx.scope)
            else:
                self.run_body(b.body, benv, replace(ctx, top_level=False))
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
        kwargs: dict[str, tuple[Any, str | None, n.Keyword]] = {}
        for kw in s.kwargs:
            if kw.name in kwargs:
                raise EvalError(kw.name_span, dg.DUPLICATE_ARGUMENT,
                                f"arg_scope sets '{kw.name}' twice")
            value, param = self.evaluator.eval_argument(kw.value, env, True)
            kwargs[kw.name] = (value, param, kw)
        with self.scopes.opened(listed, item_spans, s.layers.span, kwargs):
            self.run_body(s.body, env, ctx)

    def _stmt_ScopeStmt(self, s: n.ScopeStmt, env: Env, ctx: StmtCtx) -> None:
        name = scope_name(s.scope, env, ctx.scope, self.evaluator.eval)
        inner = replace(enter_scope(self.names, ctx, name), top_level=False)
        try:
            self.run_body(s.body, env, inner)
        finally:
            self.names.close_variable_scope(inner.scope)

    def _stmt_IfStmt(self, s: n.IfStmt, env: Env, ctx: StmtCtx) -> None:
        for test, body in s.clauses:
            value = self.evaluator.eval(test, env)
            if not isinstance(value, bool):
                raise EvalError(test.span, dg.EXPRESSION,
                                f"an if condition must be a bool, got {type_name(value)} "
                                f"{show(value)}")
            if value:
                self.run_body(body, env, ctx)
                return
        if s.otherwise is not None:
            self.run_body(s.otherwise, env, ctx)

    def _stmt_ForStmt(self, s: n.ForStmt, env: Env, ctx: StmtCtx) -> None:
        items = self.evaluator.eval(s.iterable, env)
        if not isinstance(items, (list, tuple)):
            raise EvalError(s.iterable.span, dg.EXPRESSION,
                            f"for loops iterate over a list or range(), got {type_name(items)}")
        for item in items:
            self._step(s.span)
            env.bind(s.var, item)
            self.run_body(s.body, env, ctx)

    def _stmt_AssertStmt(self, s: n.AssertStmt, env: Env, ctx: StmtCtx) -> None:
        value = self.evaluator.eval(s.test, env)
        if not isinstance(value, bool):
            raise EvalError(s.test.span, dg.EXPRESSION,
                            f"assert needs a bool condition, got {type_name(value)}")
        if value:
            return
        text = source_text(self.program, s.test.span)
        notes: list[str] = []
        if isinstance(s.test, n.BinOp) and s.test.op in ("==", "!=", "<", "<=", ">", ">="):
            left = self.evaluator.eval(s.test.left, env)
            right = self.evaluator.eval(s.test.right, env)
            left_text = source_text(self.program, s.test.left.span)
            notes.append(f"left side: {left_text} = {show(left)}")
            notes.append(f"right side: {show(right)}")
        raise EvalError(s.test.span, dg.ASSERTION, f"assertion failed: {text}", tuple(notes))


#: ``Lowerer._stmt_<Node>`` of each statement class met so far (see :meth:`Lowerer.run_body`):
#: one dict look-up a statement rather than a getattr of a name built each time.
_STMT_METHODS: dict[type, Callable[..., None]] = {}


def _stmt_method(stmt: n.Stmt) -> Callable[..., None]:
    method = _STMT_METHODS[type(stmt)] = getattr(Lowerer, "_stmt_" + type(stmt).__name__)
    return method


def alias_overrides(evaluator: Evaluator, root_env: Env, alias: n.ModelAlias,
                    base: n.ModelDef) -> dict[str, Any]:
    """The parameter values a model alias gives its base (positional, then by keyword)."""
    names = [p.name for p in base.params]
    if len(alias.args) > len(names):
        raise EvalError(alias.span, dg.TOO_MANY_ARGUMENTS,
                        f"model '{base.name}' takes {len(names)} parameters, "
                        f"got {len(alias.args)}")
    out = {}
    for p, a in zip(base.params, alias.args):
        out[p.name] = evaluator.eval(a, root_env)
    for kw in alias.kwargs:
        if kw.name not in names:
            suffix, fixes = suggest(kw.name, names, kw.name_span)
            raise EvalError(kw.name_span, dg.UNKNOWN_ARGUMENT,
                            f"model '{base.name}' has no parameter '{kw.name}'{suffix}",
                            fixes=fixes)
        out[kw.name] = evaluator.eval(kw.value, root_env)
    return out


def source_text(program: Program, span: Span, fallback: str = "condition") -> str:
    """The text of a one-line span (an assertion's condition), or ``fallback``."""
    text = program.sources.get(span.path)
    if text is None:
        return fallback
    lines = text.splitlines()
    if span.line != span.end_line or span.line > len(lines):
        return fallback
    return lines[span.line - 1][span.column - 1:span.end_column - 1]


def _check_none_dimension(s: n.InputStmt, env: Env, source: Callable[[Span, str], str]) -> None:
    """``input x: [None, 32, 32, 3]``, as in TF: the error says to write ``?`` (and shows the
    line written so), rather than that ``None`` is an unknown name."""
    items = s.shape.items if isinstance(s.shape, n.ListLit) else ()
    for item in items:
        if isinstance(item, n.Name) and item.name in ("None", "none", "null", "_") \
                and env.find(item.name) is None:
            fixed = ["?" if isinstance(i, n.Name) and i.name == item.name
                     else source(i.span, "...") for i in items]
            raise EvalError(item.span, dg.BAD_VALUE,
                            f"'{item.name}' is not a dimension: an unknown dimension is "
                            f"written '?'", (f"write: input {s.name}: [{', '.join(fixed)}]",))
