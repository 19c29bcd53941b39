"""Moving what an early cutoff keeps after an edit that added or removed lines
(:mod:`.incremental`): the kept statements read the same text as before, ``delta`` lines lower
or higher, so their nodes, statement outputs, ports, constraints and checkpoints are the old
ones with every span after the edit moved by ``delta`` lines."""

from __future__ import annotations

from typing import Any

from ..diagnostics import Span
from ..ir import ArgSource, ConstraintSite, Node, Port, StatementOutput
from ..records import replace


class LineShift:
    """Moves the spans of the file ``path`` that start (or end) after line ``after`` (of the
    old text) by ``delta`` lines; a span that encloses the edit grows or shrinks."""

    def __init__(self, path: str, after: int, delta: int):
        self.path, self.after, self.delta = path, after, delta
        #: by id (hashing a span hashes its five fields): the span (kept alive), moved
        self._done: dict[int, tuple[Span, Span]] = {}
        self._values: dict[Any, tuple[Any, Any]] = {}  # by id: the value (kept alive), moved

    def span(self, span: Span) -> Span:
        found = self._done.get(id(span))
        if found is not None and found[0] is span:
            return found[1]
        moved = span
        if span.path == self.path and span.end_line > self.after:
            line = span.line + self.delta if span.line > self.after else span.line
            moved = Span(span.path, line, span.column, span.end_line + self.delta,
                         span.end_column)
        self._done[id(span)] = (span, moved)
        return moved

    def spans(self, spans: tuple[Span, ...]) -> tuple[Span, ...]:
        return tuple(self.span(s) for s in spans) if spans else spans

    def node(self, node: Node) -> None:
        """Move the node's spans, in place (the kept graph's tensors and the lints' cache hold
        the node; the lints look again at a node whose span moved)."""
        node.span = self.span(node.span)
        node.trail = self.spans(node.trail)
        sources = node.sources
        for k, v in sources.items():
            if v.span is not None:
                span = self.span(v.span)
                if span is not v.span:
                    sources[k] = ArgSource(v.kind, span, v.param)

    def output(self, out: StatementOutput) -> StatementOutput:
        span = self.span(out.span)
        if span is out.span and not out.trail:
            return out
        return StatementOutput(span, self.span(out.call_span), self.spans(out.trail),
                               out.tensor)

    def port(self, port: Port) -> Port:
        span = self.span(port.span)
        return port if span is port.span else replace(port, span=span)

    def origin(self, origin: Any) -> Any:
        """A constraint's origin (a :class:`~slimdsl.ir.ConstraintSite`, or a text)."""
        if isinstance(origin, ConstraintSite):
            return replace(origin, span=self.span(origin.span), trail=self.spans(origin.trail))
        return origin

    def value(self, value: Any) -> Any:
        """``value`` (an arg_scope frame, a checkpoint's context: dicts, lists, tuples of
        argument sources, ports and spans) with its spans moved; the parts that recur (the
        same objects, the same lists of them) are moved once."""
        sequence = isinstance(value, (list, tuple)) and not hasattr(value, "_fields")
        key: Any = (type(value), *map(id, value)) if sequence else id(value)
        found = self._values.get(key)
        if found is not None and sequence:  # the same items (kept alive by found[0])
            return value if found[1] is found[0] else type(value)(found[1])
        if found is not None and found[0] is value:
            return found[1]
        if isinstance(value, Span):
            moved: Any = self.span(value)
        elif isinstance(value, ArgSource):
            moved = value if value.span is None else replace(value, span=self.span(value.span))
        elif isinstance(value, Port):
            moved = self.port(value)
        elif isinstance(value, dict):
            moved = {k: self.value(v) for k, v in value.items()}
            if all(moved[k] is v for k, v in value.items()):
                moved = value
        elif sequence:
            items = [self.value(v) for v in value]
            moved = value if all(a is b for a, b in zip(items, value)) else type(value)(items)
        elif hasattr(value, "__record_fields__") and "trail" in value.__record_fields__:
            trail = self.spans(value.trail)  # a statement's context
            moved = value if trail == value.trail else replace(value, trail=trail)
        else:
            moved = value
        self._values[key] = (value, moved)
        return moved
