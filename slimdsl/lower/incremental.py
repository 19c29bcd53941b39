"""Lowering again after an edit, from the statement the edit touched (for the language server).

:class:`IncrementalModel` lowers one model and keeps, for every statement of the model's own
body (and of the ``arg_scope`` and ``scope`` bodies in it, which run once, in order), a
:class:`Checkpoint`: the lowering's state just before that statement. Given the next version of
the text and the lines an edit changed, it

1. restores the checkpoint of the first statement the edit touched (the statements before it
   read the same text, so they would do the same again) and lowers from there, recording new
   checkpoints as it goes;
2. compares, at each checkpoint after the edit, the new state with the old one at the same
   statement (the bindings' shapes, the scope names opened since the restored checkpoint, the
   arg_scopes, the counters); once they are equal, whatever follows would be lowered exactly
   as before, so the rest of the old graph is kept: its nodes, diagnostics and checkpoints
   (*early cutoff*). A tensor bound at that point is equal to, but not the same object as, the
   old one that later layers read: the old object is kept and given the new producer. When
   the edit added or removed lines (Enter, deleting a line), the same statement is the one at
   the same path that starts as many lines lower or higher, and the kept rest's spans move
   by as many lines (:mod:`.shift`); a kept rest with diagnostics (a message may name a line)
   is lowered from the start instead.

An edit inside a block's body (that keeps the line count and the block's parameters) resumes at
the first statement of the model that ran that block, and may cut off only after the last
statement that ran it (a later call runs the new body again); a model that never called the
block is kept as it is. A cutoff also needs the statement to start where the old one at the
same place in the tree did (a statement written on a blank line keeps the line count but
shifts the statements after it). Anything else it cannot resume (the parameters, a ``def`` or
an import changed, a block was added or removed, the edit is inside a loop, the old lowering
stopped early) is lowered from the start. The result
is always the graph and diagnostics a full lowering gives
(``tests/lower/test_incremental_lowering.py`` compares them on random edits).
"""

from __future__ import annotations

from typing import Any

from .. import diagnostics as dg
from ..diagnostics import Diagnostics
from ..frontend import Program
from ..frontend import tree as n
from ..ir import Graph, Port, Tensor
from ..layers.size_constraints import collecting
from ..records import dataclass, field, replace
from .context import StmtCtx
from .edits import RESUMABLE, Change, bodies_along, resume_point
from .equivalence import end_point_changes, end_points_match, equivalent, remap
from .evaluate import WorkLimit
from .shift import LineShift
from .statements import MAX_STEPS, Lowerer


@dataclass
class Checkpoint:
    """The state of a lowering just before one statement (see the module's docstring)."""

    path: tuple[int, ...]  # the statement's index in each enclosing resumable body
    at: tuple[int, int]  # where the statement starts (line, column)
    ctxs: tuple[StmtCtx, ...]  # the context of each of those bodies
    env: dict[str, Any]
    names: int  # entries of the scope-name journal
    scopes: list
    nodes: int
    outputs: int  # graph.statement_outputs
    inputs: list[Port]
    graph_outputs: list[Port]
    end_points: dict[str, Tensor]
    call_scopes: dict[int, str]
    ids: int
    steps: int
    function_calls: int
    param_uses: dict[str, str]
    diags: int
    constraints: int  # graph.constraints: what the shapes need of the named sizes
    dims: int  # graph.dims: the named sizes the inputs declared so far


@dataclass
class _Level:
    stmts: tuple
    ctx: StmtCtx
    resumable: bool
    index: int = -1


class Converged(Exception):
    """The lowering reached a state the old one had at the same statement (early cutoff)."""

    def __init__(self, old: Checkpoint, new: Checkpoint):
        super().__init__("converged")
        self.old, self.new = old, new


class _Comparison:
    """The old lowering's checkpoints after the restored one, and the scope names both
    lowerings opened since it, as a running difference of counts (cheap at each statement)."""

    def __init__(self, after_line: int, undone: list, base: int, delta: int = 0):
        self.after_line = after_line
        self.delta = delta  # lines the edit added (removed: negative)
        self.undone = undone  # the old journal's entries after ``base``
        self.base = base
        self.diff: dict[tuple[bool, str], int] = {}
        self.nonzero = 0
        self.old_seen = 0
        self.new_seen = 0

    def _add(self, entry: tuple[bool, str], amount: int) -> None:
        before = self.diff.get(entry, 0)
        after = before + amount
        self.diff[entry] = after
        self.nonzero += (after != 0) - (before != 0)

    def names_equal(self, old_names: int, journal: list, new_names: int) -> bool:
        old_count = old_names - self.base
        if old_count < self.old_seen or old_count > len(self.undone):
            return False
        for entry in self.undone[self.old_seen:old_count]:
            self._add(entry, -1)
        self.old_seen = old_count
        for entry in journal[self.base + self.new_seen:new_names]:
            self._add(entry, +1)
        self.new_seen = new_names - self.base
        return self.nonzero == 0


class Recorder:
    """Takes a checkpoint before every statement of the resumable bodies; after an edit,
    compares each with the old lowering's at the same statement (:attr:`comparison`)."""

    def __init__(self, lowerer: Lowerer):
        self.lowerer = lowerer
        self.levels: list[_Level] = []
        #: The checkpoint before each statement, by path. A resumed lowering replaces those
        #: it passes; the ones it did not reach are the old lowering's (see splice()).
        self.checkpoints: dict[tuple[int, ...], Checkpoint] = {}
        self.fresh: list[Checkpoint] = []  # taken by the current lowering
        self.comparison: _Comparison | None = None
        #: For each block, the first statement (path) whose lowering ran its body; a statement
        #: of a later path may have been deleted since (resuming earlier is only slower).
        self.first_call: dict[str, tuple[int, ...]] = {}
        #: For each block, the last line of the last statement whose lowering ran its body
        #: (an upper bound: a later line only cuts off later); after it, an edit of the block
        #: can no longer change what is lowered.
        self.last_call_line: dict[str, int] = {}

    def enter(self, stmts: tuple, ctx: StmtCtx) -> None:
        if ctx.blocks:  # a block's body: which statement of the model called it?
            resumable = [lv for lv in self.levels if lv.resumable]
            path = tuple(lv.index for lv in resumable)
            block = ctx.blocks[-1]
            known = self.first_call.get(block)
            if known is None or path < known:
                self.first_call[block] = path
            end = resumable[-1].stmts[resumable[-1].index].span.end_line
            if end > self.last_call_line.get(block, 0):
                self.last_call_line[block] = end
        if not self.levels:
            resumable = True  # the model's body
        else:
            parent = self.levels[-1]
            current = parent.stmts[parent.index] if parent.index >= 0 else None
            rule = RESUMABLE.get(type(current))
            resumable = parent.resumable and rule is not None and \
                getattr(current, rule[0]) is stmts
        self.levels.append(_Level(stmts, ctx, resumable))

    def exit(self) -> None:
        self.levels.pop()

    def before(self, index: int) -> None:
        level = self.levels[-1]
        level.index = index
        if not level.resumable:
            return
        path = tuple(lv.index for lv in self.levels)
        span = level.stmts[index].span
        checkpoint = self.snapshot(path, (span.line, span.column))
        old = self.checkpoints.get(path)
        self.checkpoints[path] = checkpoint
        self.fresh.append(checkpoint)
        comparison = self.comparison
        # the same path is the same statement only where it starts at the same place (a
        # statement written on a line that was blank keeps the line count, not the indexes)
        if comparison is not None and old is not None and span.line >= comparison.after_line \
                and old.at == (span.line - comparison.delta, span.column) and \
                self._same(old, checkpoint, comparison):
            self.checkpoints[path] = old  # the old lowering's rest stays as it was
            raise Converged(old, checkpoint)

    def snapshot(self, path: tuple[int, ...], at: tuple[int, int]) -> Checkpoint:
        low = self.lowerer
        graph = low.model.graph
        return Checkpoint(
            path, at, tuple(lv.ctx for lv in self.levels), dict(low.model_env.vars),
            len(low.names.journal), list(low.scopes.stack), len(graph.nodes),
            len(graph.statement_outputs), list(graph.inputs), list(graph.outputs),
            dict(graph.end_points), dict(low.model.call_scopes), low.model.ids, low.steps,
            low.evaluator.function_calls, dict(low.evaluator.param_uses), len(low.diags.items),
            len(graph.constraints), len(graph.dims))

    def _same(self, old: Checkpoint, new: Checkpoint, comparison: _Comparison) -> bool:
        """Would the lowering go on from ``new`` exactly as it went on from ``old``?"""
        if not comparison.names_equal(old.names, self.lowerer.names.journal, new.names):
            return False
        if (old.nodes, old.outputs, old.ids, old.param_uses, old.ctxs) != \
                (new.nodes, new.outputs, new.ids, new.param_uses, new.ctxs):
            return False
        if len(old.scopes) != len(new.scopes) or any(
                a is not b and a != b for a, b in zip(old.scopes, new.scopes)):
            return False
        pairs: list[tuple[Tensor, Tensor]] = []
        return (equivalent(old.env, new.env, pairs)
                and end_points_match(old, new, pairs)
                and equivalent(old.inputs, new.inputs, pairs)
                and equivalent(old.graph_outputs, new.graph_outputs, pairs)
                and sorted(old.call_scopes.values()) == sorted(new.call_scopes.values()))


_TOO_LARGE = "are a loop's bounds or a repeat count too large?"


@dataclass
class IncrementalModel:
    """One model of a document, lowered so that the next version can resume (see the module's
    docstring). ``stats`` counts what :meth:`lower` did: full lowerings, resumes, cutoffs;
    ``last_resume`` is the statement the last lowering resumed at (None: from the start)."""

    name: str
    lowerer: Lowerer | None = None
    recorder: Recorder | None = None
    graph: Graph | None = None
    diags: Diagnostics | None = None
    key: tuple = ()
    blocks: dict = field(default_factory=dict)  # the blocks the last lowering read
    complete: bool = False  # the last lowering ran to the end (no work limit)
    stats: dict[str, int] = field(default_factory=lambda: {"full": 0, "resumed": 0,
                                                           "cutoff": 0, "kept": 0})
    last_resume: tuple[int, ...] | None = None

    def lower(self, program: Program, change: Change | None) -> tuple[Graph | None, Diagnostics]:
        """Lower the model of ``program``: keep the last result when the edit (``change``,
        since the program last lowered; None: the text is the same) is outside the model's
        definition, resume the last lowering when it is inside, else lower from the start."""
        key, blocks = _key(program, self.name), dict(program.blocks)
        result = None
        changed = _changed_blocks(self.blocks, blocks)
        if self.complete and key == self.key and changed is not None and \
                self.graph is not None and self.recorder is not None and \
                self.lowerer is not None and self.lowerer.definition is not None:
            span = self.lowerer.definition.span
            outside = change is None or span.path != change.path or \
                change.first > span.end_line or (change.last_old < span.line and
                                                  change.delta == 0)
            called = sorted(self.recorder.first_call[b] for b in changed
                            if b in self.recorder.first_call)
            if outside and not called:
                self.stats["kept"] += 1
                self.last_resume = None
                self.blocks = blocks
                return self.graph, self.diags  # type: ignore[return-value]
            if change is not None and (not called or change.delta == 0):
                last = max((self.recorder.last_call_line.get(b, 0) for b in changed), default=0)
                result = self._resume(program, change, called[0] if called else None, outside,
                                      last)
        if result is None:
            result = self._full(program)
        self.key, self.blocks = key, blocks
        return result

    def _full(self, program: Program) -> tuple[Graph | None, Diagnostics]:
        self.stats["full"] += 1
        self.last_resume = None
        diags = Diagnostics()
        lowerer = Lowerer(program, diags)
        lowerer.names.record()
        recorder = lowerer.recorder = Recorder(lowerer)
        self.lowerer, self.recorder, self.diags = lowerer, recorder, diags
        self.complete = False
        graph = None
        try:
            if lowerer.begin_model(self.name, {}):
                assert lowerer.definition is not None and lowerer.model_env is not None
                # the shape rules' constraints on named sizes, as lower_model collects them
                with collecting() as lowerer.model.needs:
                    lowerer.run_body(lowerer.definition.body, lowerer.model_env,
                                     lowerer.root_ctx)
                graph = lowerer.finish_model()
                self.complete = True
        except WorkLimit as e:
            diags.error(e.span, dg.STRUCTURE, f"model '{self.name}' is too large: {e.message}",
                        [_TOO_LARGE])
        self.graph = graph
        return graph, diags

    def _resume(self, program: Program, change: Change, first_call: tuple[int, ...] | None,
                outside: bool, last_call: int) -> tuple[Graph | None, Diagnostics] | None:
        """Lower again from the first statement the edit touched (``outside``: the edit is
        outside the model's definition) or that called a block it changed (``first_call``),
        whichever comes first; cut off no earlier than after the edit and after ``last_call``,
        the last line of the last statement that ran a changed block (an edit that adds or
        removes lines changes no block: see :meth:`lower`)."""
        lowerer, recorder, graph, diags = self.lowerer, self.recorder, self.graph, self.diags
        assert lowerer is not None and recorder is not None and diags is not None
        old_def = lowerer.definition
        assert old_def is not None
        new_def = program.models.get(old_def.name)
        if graph is None or not isinstance(new_def, n.ModelDef) or old_def.params != new_def.params:
            return None
        found = None
        if not outside:
            if not (old_def.span.path == new_def.span.path == change.path) or \
                    not old_def.span.line < change.first <= change.last_old < old_def.span.end_line:
                return None  # another file, the header or the closing brace
            found = resume_point(old_def.body, new_def.body, change)
            if found is None:
                return None
        if first_call is not None and (found is None or first_call < found[0]):
            along = bodies_along(new_def.body, first_call)
            found = (first_call, along) if along is not None else None
        checkpoint = recorder.checkpoints.get(found[0]) if found is not None else None
        if found is None or checkpoint is None:
            return None
        path, bodies = found
        old = _OldRun(graph, diags, recorder, lowerer, checkpoint)
        self._restore(checkpoint, program, new_def)
        recorder.fresh = []
        if change.delta == 0 or not outside:  # past the edit and the changed blocks' last call
            after = max(last_call, change.last_new if not outside else 0) + 1
            recorder.comparison = _Comparison(after, old.undone, checkpoint.names, change.delta)
        self.stats["resumed"] += 1
        self.last_resume = path
        self.complete = False
        try:
            try:
                with collecting() as lowerer.model.needs:
                    self._run_from(list(zip(bodies, checkpoint.ctxs)), path, 0)
            except Converged as c:
                if change.delta and old.diags[c.old.diags:]:
                    return None  # a message may name a line: lower from the start
                self.stats["cutoff"] += 1
                old.splice(c.old, c.new, LineShift(change.path, change.last_old, change.delta)
                           if change.delta else None)
            else:
                lowerer.names.commit()
                lowerer.finish_model()
                # the old checkpoints after the restored one that this run did not replace
                # are of statements that are no more (paths sort in lowering order)
                fresh = {id(c) for c in recorder.fresh}
                recorder.checkpoints = {p: c for p, c in recorder.checkpoints.items()
                                        if p < path or id(c) in fresh}
            self.complete = lowerer.steps <= MAX_STEPS
        except WorkLimit as e:
            diags.error(e.span, dg.STRUCTURE, f"model '{self.name}' is too large: {e.message}",
                        [_TOO_LARGE])
            self.graph = None
            return None, diags
        finally:
            recorder.comparison = None
        if not self.complete:
            return None  # a kept tail would pass the limit: lower from the start to say so
        return graph, diags

    def _restore(self, c: Checkpoint, program: Program, definition: n.ModelDef) -> None:
        low, diags = self.lowerer, self.diags
        assert low is not None and low.model_env is not None and diags is not None
        graph = low.model.graph
        if low.definition is not None and graph.span == low.definition.span:
            graph.span = definition.span  # an edit before its end moves its closing brace
        low.rebind(program, definition)
        low.model_env.vars = dict(c.env)
        low.names.rollback(c.names)
        low.scopes.stack = list(c.scopes)
        del graph.nodes[c.nodes:]
        del graph.statement_outputs[c.outputs:]
        del graph.constraints[c.constraints:]
        del graph.dims[c.dims:]
        graph.inputs[:] = c.inputs
        graph.outputs[:] = c.graph_outputs
        graph.end_points.clear()
        graph.end_points.update(c.end_points)
        low.model.call_scopes = dict(c.call_scopes)
        low.model.ids = c.ids
        low.steps = c.steps
        low.evaluator.function_calls = c.function_calls
        low.evaluator.param_uses.clear()
        low.evaluator.param_uses.update(c.param_uses)
        del diags.items[c.diags:]

    def _run_from(self, bodies: list[tuple[tuple, StmtCtx]], path: tuple[int, ...],
                  k: int) -> None:
        """Lower on from statement ``path`` (``bodies``: the body and context of each level)."""
        low, recorder = self.lowerer, self.recorder
        assert low is not None and recorder is not None and low.model_env is not None
        stmts, ctx = bodies[k]
        i = path[k]
        if k == len(path) - 1:
            low.run_body(stmts, low.model_env, ctx, start=i)
            return
        recorder.levels.append(_Level(stmts, ctx, True, i))
        try:
            self._run_from(bodies, path, k + 1)
        finally:
            recorder.levels.pop()
        closing = RESUMABLE[type(stmts[i])][1]
        if closing == "close_arg_scope":
            low.scopes.close()
        elif closing == "close_scope":
            low.names.close_variable_scope(bodies[k + 1][1].scope)
        low.run_body(stmts, low.model_env, ctx, start=i + 1)


class _OldRun:
    """What an early cutoff keeps of the old lowering: everything after the restored
    checkpoint, taken aside before the restore truncates it."""

    def __init__(self, graph: Graph, diags: Diagnostics, recorder: Recorder, lowerer: Lowerer,
                 restored: Checkpoint):
        assert lowerer.model_env is not None and lowerer.names.journal is not None
        self.graph, self.lowerer, self.recorder, self.restored = graph, lowerer, recorder, \
            restored
        self.nodes = list(graph.nodes)
        self.outputs = list(graph.statement_outputs)
        self.constraints = list(graph.constraints)
        self.dims = list(graph.dims)
        self.inputs = list(graph.inputs)
        self.graph_outputs = list(graph.outputs)
        self.end_points = dict(graph.end_points)
        self.call_scopes = dict(lowerer.model.call_scopes)
        self.diags = list(diags.items)
        self.env = dict(lowerer.model_env.vars)
        self.ids = lowerer.model.ids
        self.steps = lowerer.steps
        self.function_calls = lowerer.evaluator.function_calls
        self.param_uses = dict(lowerer.evaluator.param_uses)
        self.scopes = list(lowerer.scopes.stack)
        self.undone = lowerer.names.journal[restored.names:]  # rollback() removes these

    def splice(self, at: Checkpoint, new: Checkpoint, shift: LineShift | None) -> None:
        """The new lowering reached ``at`` (an old checkpoint) in the same state (``new``):
        keep the old lowering's rest (see the module's docstring), its spans moved by
        ``shift`` when the edit added or removed lines."""
        low, graph, recorder = self.lowerer, self.graph, self.recorder
        assert low.model_env is not None
        pairs: list[tuple[Tensor, Tensor]] = []
        for a, b in ((at.env, new.env), (at.inputs, new.inputs),
                     (at.graph_outputs, new.graph_outputs)):
            equivalent(a, b, pairs)
        for old_t, new_t in end_point_changes(at.end_points, new.end_points, pairs) or ():
            # an end point nothing later reads: the old object (the kept end points and the
            # old checkpoints hold it) becomes the new tensor
            old_t.id, old_t.shape, old_t.name, old_t.dtype = \
                new_t.id, new_t.shape, new_t.name, new_t.dtype
            pairs.append((old_t, new_t))
        swap: dict[int, Tensor] = {}
        for old_t, new_t in pairs:
            if old_t is not new_t:  # the old object stays: the kept layers read it
                old_t.producer = new_t.producer
                if new_t.producer is not None:
                    new_t.producer.output = old_t
                swap[id(new_t)] = old_t
        start, first_output = self.restored.nodes, self.restored.outputs
        fresh = graph.nodes[start:]
        for node in fresh:
            if any(id(t) in swap for t in node.inputs):
                node.inputs = tuple(swap.get(id(t), t) for t in node.inputs)
        outputs = [replace(o, tensor=swap[id(o.tensor)]) if id(o.tensor) in swap else o
                   for o in graph.statement_outputs[first_output:]]
        if shift is not None:
            self._move(at, shift)
        graph.nodes[start:] = fresh + self.nodes[at.nodes:]
        graph.statement_outputs[first_output:] = outputs + self.outputs[at.outputs:]
        graph.constraints[new.constraints:] = self.constraints[at.constraints:]
        graph.dims[new.dims:] = self.dims[at.dims:]
        graph.inputs[:] = self.inputs
        graph.outputs[:] = self.graph_outputs
        graph.end_points.clear()
        graph.end_points.update(self.end_points)
        low.model.call_scopes = self.call_scopes
        low.model.ids = self.ids
        low.steps = new.steps + (self.steps - at.steps)
        low.evaluator.function_calls = new.function_calls + (self.function_calls -
                                                            at.function_calls)
        low.evaluator.param_uses.clear()
        low.evaluator.param_uses.update(self.param_uses)
        low.model_env.vars = self.env
        low.scopes.stack = self.scopes
        low.names.commit(keep_from=at.names - self.restored.names)
        low.diags.items[new.diags:] = self.diags[at.diags:]
        low.diags.__dict__.pop("_seen", None)
        if swap:  # the checkpoints taken since the restore hold the new objects
            for c in recorder.fresh:
                c.env = remap(c.env, swap)
                c.end_points = remap(c.end_points, swap)
                c.inputs = remap(c.inputs, swap)
                c.graph_outputs = remap(c.graph_outputs, swap)
                c.call_scopes = {id(swap[k]) if k in swap else k: v
                                 for k, v in c.call_scopes.items()}


    def _move(self, at: Checkpoint, shift: LineShift) -> None:
        """Move the spans of what the splice keeps (and of the old checkpoints) by the lines
        the edit added or removed."""
        recorder = self.recorder
        for node in self.nodes[at.nodes:]:
            shift.node(node)
        self.outputs[at.outputs:] = [shift.output(o) for o in self.outputs[at.outputs:]]
        for c in self.constraints[at.constraints:]:
            c.origin = shift.origin(c.origin)
        self.inputs = [shift.port(p) for p in self.inputs]
        self.graph_outputs = [shift.port(p) for p in self.graph_outputs]
        self.scopes = shift.value(self.scopes)
        fresh = {id(c) for c in recorder.fresh}
        for c in recorder.checkpoints.values():
            if id(c) in fresh or c.at[0] <= shift.after:
                continue
            c.at = (c.at[0] + shift.delta, c.at[1])
            c.inputs = shift.value(c.inputs)  # (ports)
            c.graph_outputs = shift.value(c.graph_outputs)
            c.scopes = shift.value(c.scopes)
            c.ctxs = shift.value(c.ctxs)
        recorder.last_call_line = {b: line + shift.delta if line > shift.after else line
                                   for b, line in recorder.last_call_line.items()}


def _key(program: Program, name: str) -> tuple:
    """What lowering a model reads besides its own body and the blocks' bodies: the models it
    aliases, the ``def`` functions, the imports; an edit of any of them lowers it from the
    start."""
    chain = []
    current = program.models.get(name)
    while isinstance(current, n.ModelAlias) and current not in chain:
        chain.append(current)
        current = program.models.get(current.base)
    return (tuple(chain), dict(program.functions), program.root.imports)


def _changed_blocks(old: dict, new: dict) -> list[str] | None:
    """The blocks whose body changed; None when a block was added, removed, renamed or given
    other parameters (which also changes what arg_scopes and calls accept)."""
    if old.keys() != new.keys():
        return None
    changed = []
    for name, block in new.items():
        before = old[name]
        if block is not before and block != before:
            if (block.params, block.span.path) != (before.params, before.span.path):
                return None
            changed.append(name)
    return changed


__all__ = ["RESUMABLE", "Change", "Checkpoint", "IncrementalModel"]
