"""Making IR nodes: the name a layer or op takes (TF's uniquification), its dtype and shape
from the registry's rules, and the diagnostics when a rule refuses its inputs.

:class:`NodeBuilder` serves both layer calls (:mod:`.calls`) and the tensor expressions the
evaluator meets (``net + 0.17 * up``, ``x[:, 1:]``), whose numbers become constant inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import diagnostics as dg
from ..diagnostics import Diagnostics, Note, Span
from ..ir import ArgSource, ConstraintSite, Node, Tensor, relative_scope
from ..layers import LAYERS, DtypeError, LayerKind
from ..layers.shapes import ShapeError, dims_text, format_shape
from ..symbolic.constraints import Constraint
from ..values import TensorValue, show
from .context import ModelBuild, StmtCtx
from .env import EvalError, WorkLimit
from .naming import ScopeNames, join_scope

MAX_NODES = 20_000  # the largest zoo model has 343 layers; this bounds the time (~0.1 ms a layer)


class NodeBuilder:
    """Adds nodes to the model being lowered."""

    def __init__(self, diags: Diagnostics, model: ModelBuild, names: ScopeNames):
        self.diags = diags
        self.model = model
        self.names = names

    def build(self, kind: LayerKind, inputs: Sequence[Tensor], args: dict[str, Any],
              sources: dict[str, ArgSource], ctx: StmtCtx, name: str | None, span: Span,
              operator: bool = False) -> TensorValue | list[TensorValue]:
        """The node of ``kind`` on ``inputs`` named ``name`` (None: its default, uniquified);
        its output (a list of them for a kind with several). A shape the rule refuses is
        reported and leaves the output poisoned; a dtype TensorFlow refuses raises."""
        graph = self.model.graph
        if kind.identity_when is not None and kind.identity_when(inputs[0].dtype, args):
            return TensorValue(inputs[0])  # e.g. resnet_utils.subsample(x, 1) returns x
        if len(graph.nodes) >= MAX_NODES:  # ends the lowering: one report, not one a call
            raise WorkLimit(span, f"it expands to more than {MAX_NODES:,} layers")
        full = self._name(kind, args, ctx, name, operator, span)
        dtype = self._dtype(kind, inputs, args, span)
        shapes = None
        in_shapes = [t.shape for t in inputs]
        if None not in in_shapes:  # no input poisoned
            try:
                needs = self.model.needs  # what named sizes must satisfy (lower_model collects)
                needs.clear()
                shapes = kind.shape(in_shapes, args)  # type: ignore[misc]
            except ShapeError as e:
                self.model.needs.clear()
                self._shape_error(kind, full, inputs, e, span, ctx, operator)
            if self.model.needs:
                for c in self.model.needs:
                    graph.constraints.append(Constraint(
                        c.op, c.lhs, c.rhs,
                        ConstraintSite(span, full, kind.name, c.origin, ctx.trail)))
                self.model.needs.clear()
        node_id = self.model.next_id()
        if kind.multi_output and shapes is not None:
            outs = [Tensor(node_id if i == 0 else self.model.next_id(), s,
                           full if i == 0 else f"{full}:{i}", dtype)
                    for i, s in enumerate(shapes)]
        else:
            outs = [Tensor(node_id, shapes, full, dtype)]
        node = Node(node_id, kind.name, full, tuple(inputs), outs[0], args, sources, span,
                    ctx.trail, more_outputs=tuple(outs[1:]))
        for t in outs:
            t.producer = node
        graph.nodes.append(node)
        if args.get("outputs_collections") is not None and outs[0].shape is not None:
            graph.end_points[full] = outs[0]
        if kind.multi_output:
            if shapes is None:
                return TensorValue(outs[0])  # poisoned: later uses stay silent
            return [TensorValue(t) for t in outs]
        return TensorValue(outs[0])

    def operator(self, kind_name: str, operands: list[Any], args: dict[str, Any], span: Span,
                 ctx: StmtCtx) -> TensorValue:
        """``a * b``, ``-x``, ``x[1:, :]``: the node of an operator on tensors and numbers."""
        kind = LAYERS[kind_name]
        inputs = [v.tensor if isinstance(v, TensorValue) else self.constant(v)
                  for v in operands]
        out = self.build(kind, inputs, args, {}, ctx, None, span, operator=True)
        assert isinstance(out, TensorValue)
        return out

    def constant(self, value: int | float, strong: bool = False) -> Tensor:
        """A number in tensor arithmetic: a constant input of shape []. Its dtype is ``int`` or
        ``float`` (it takes the other operand's), or with ``strong`` int32 / float32, as
        TensorFlow converts a number that comes first in ``tf.multiply(2, x)``."""
        if strong:
            dtype = "int32" if isinstance(value, int) else "float32"
        else:
            dtype = "int" if isinstance(value, int) else "float"
        return Tensor(self.model.next_id(), (), show(value), dtype, const=value)

    def _name(self, kind: LayerKind, args: dict[str, Any], ctx: StmtCtx, name: str | None,
              operator: bool, span: Span) -> str:
        """The node's full scope; opens it (and takes the op names it builds besides)."""
        ns = ctx.ns  # ops are named in the name scope, variables in the variable scope
        if kind.name == "conv2d_same" and args["stride"] != (1, 1):
            # resnet_utils pads first, with an op named "Pad" in the caller's name scope
            pad = self.names.unique_name_scope(ns, "Pad")
            self.names.open_name_scope(join_scope(ns, pad))
        for extra in kind.more_names(args) if kind.more_names is not None else ():
            taken = self.names.unique_name_scope(ns, extra)
            self.names.open_name_scope(join_scope(ns, taken))
        if kind.scope_kind == "none":  # model_variable: <variable scopes>/<name>
            if name is not None:
                raise EvalError(span, dg.SCOPE_NAME,
                                f"{kind.name} is named by its first argument, not 'as {name}'",
                                (f'write: {kind.name}("{name}", ...)',))
            full = join_scope(ctx.scope, args["name"])
            self.names.open_name_scope(full)  # its op takes the name in the name scope
            return full
        if kind.scope_kind == "variable":  # explicit names as given; defaults uniquified
            if name is None or kind.unique_names:  # a Keras layer's name (gdn) is uniquified
                name = self.names.unique_variable_scope(
                    ctx.scope, kind.default_name(args) if name is None else name)
            full = join_scope(ctx.scope, name)
            self.names.open_variable_scope(full, name, ns)
            return full
        default = kind.operator_scope if operator else kind.default_name(args)
        # TF uniquifies explicit name scopes and op names too
        full = join_scope(ns, self.names.unique_name_scope(ns, default if name is None else name))
        self.names.open_name_scope(full)
        return full

    def _dtype(self, kind: LayerKind, inputs: Sequence[Tensor], args: dict[str, Any],
               span: Span) -> str:
        live = [t for t in inputs if not t.poisoned]
        if kind.input_dtypes is not None:
            for t in live:
                if t.const is None and t.dtype not in kind.input_dtypes:
                    raise EvalError(span, dg.DTYPE,
                                    f"{kind.name} cannot take {_article(t.dtype)} {t.dtype} "
                                    f"tensor ({t.name}); it needs "
                                    f"{' or '.join(kind.input_dtypes)}")
        if len(live) != len(inputs):  # an earlier error explains the missing input
            return next((t.dtype for t in live if t.const is None), "float32")
        try:
            return kind.output_dtype([(t.dtype, t.const) for t in inputs], args)
        except DtypeError as e:
            raise EvalError(span, dg.DTYPE, str(e)) from None

    def _shape_error(self, kind: LayerKind, scope: str, inputs: Sequence[Tensor],
                     error: ShapeError, span: Span, ctx: StmtCtx, operator: bool) -> None:
        model = self.model.graph.scope
        text = str(error)
        code = dg.RANK if text.startswith("expected a rank") else \
            dg.INCOMPATIBLE if kind.category == "combine" else dg.SHAPE
        shown = ", ".join(format_shape(t.shape) for t in inputs if t.const is None)
        if operator and kind.category == "combine":
            message = text  # "cannot multiply [...] and [...]: ..." says it all
        else:
            what = "x[...]" if kind.name == "strided_slice" and operator else \
                f"{kind.name} '{relative_scope(scope, model)}'"
            message = f"{what} cannot take {shown}: {text}" if shown else f"{what}: {text}"
        notes: list[Note] = []
        tensors = [t for t in inputs if t.const is None]
        chain = shrink_chain(tensors[0]) if tensors else ""
        if chain:
            notes.append(Note("the input was shaped by: " + chain))
        for t in tensors if kind.category == "combine" else ():
            if t.producer is not None:
                notes.append(Note(f"{format_shape(t.shape)} comes from "
                                  f"{relative_scope(t.producer.scope, model)}",
                                  t.producer.span))
        for site in reversed(ctx.trail):
            notes.append(Note("expanded from here", site))
        self.diags.error(span, code, message, notes)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def shrink_chain(tensor: Tensor, limit: int = 12) -> str:
    """``224x224 (images) -> 112x112 (conv1, line 4) -> ...``: where the spatial size changed
    (``8x224x224`` for a video, ``224`` for a sequence), each size labelled with the layer that
    produced it first (the one that changed the size, not a later SAME conv)."""
    sizes: list[tuple[tuple, str]] = []  # spatial size and label, from the last layer back
    t: Tensor | None = tensor
    while t is not None and t.shape is not None:
        spatial = tuple(t.shape[1:-1]) if 3 <= len(t.shape) <= 5 else None
        producer = t.producer
        if spatial is not None:
            label = producer.short_scope + f", line {producer.span.line}" if producer \
                else t.name
            sizes.append((spatial, label))
        t = producer.tensor_inputs[0] if producer and producer.tensor_inputs else None
    steps: list[str] = []
    prev: tuple | None = None
    for spatial, label in reversed(sizes):  # in the order of the layers: a change's first
        if spatial != prev:
            steps.append(f"{dims_text(spatial)} ({label})")
            prev = spatial
    if len(steps) < 2:
        return ""
    if len(steps) > limit:
        steps = steps[:2] + ["..."] + steps[-(limit - 3):]
    return " -> ".join(steps)
