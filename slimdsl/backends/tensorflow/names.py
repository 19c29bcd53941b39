"""Which names of a .slim file the generated Python can use: the TensorFlow backend's rules.

A model name becomes a class and a ``tf.Module`` name; parameters become constructor arguments
and attributes; inputs become arguments of ``__call__``. A Python keyword, or a name the
generated code already uses (``tf``, ``self``, ``training``, the runtime helpers), cannot be one
of them. :func:`check_names` raises :class:`NameProblem` for the first; ``slimc compile`` reports
it, and ``slimc check`` reports the same through :func:`name_diagnostics` (without jinja2), so
that ``check`` never accepts what ``compile`` refuses.
"""

from __future__ import annotations

from ... import diagnostics as dg
from ...diagnostics import Diagnostic, Span
from ...ir import Graph
from . import source as src
from .translate import RUNTIME_NAMES

#: Attributes of tf.Module and of the generated class that parameters and layers must not take.
MODULE_ATTRS = frozenset({
    "name", "name_scope", "variables", "trainable_variables", "non_trainable_variables",
    "submodules", "with_name_scope", "device", "regularization_losses", "load_slim_checkpoint",
    "serve",
})
#: Names the constructor uses; a parameter cannot take one.
INIT_NAMES = frozenset({"self", "tf", "device", "super"}) | RUNTIME_NAMES
#: Names ``__call__`` uses; an input cannot take one.
CALL_NAMES = frozenset({"self", "tf", "training", "end_points", "net"}) | RUNTIME_NAMES


class NameProblem(Exception):
    """A name of the .slim file that cannot be a name of the generated Python."""

    def __init__(self, span: Span, message: str, notes: tuple[str, ...] = ()):
        super().__init__(message)
        self.span, self.message, self.notes = span, message, notes


def check_names(graph: Graph) -> None:
    """Raise :class:`NameProblem` for the first name of ``graph`` Python cannot take."""
    if not src.is_identifier(graph.name):
        raise NameProblem(graph.span, f"model name '{graph.name}' is not a Python identifier",
                          ("the model becomes a Python class of the generated module: "
                           "rename the model",))
    for name in graph.params:
        _check(graph, name, "parameter", INIT_NAMES | MODULE_ATTRS, None)
    for port in graph.inputs:
        _check(graph, port.name, "input", CALL_NAMES | set(graph.params), port.span)


def name_diagnostics(graph: Graph) -> list[Diagnostic]:
    """:func:`check_names` as diagnostics (empty when every name can be used)."""
    try:
        check_names(graph)
    except NameProblem as e:
        return [Diagnostic(e.span, "error", dg.REDEFINED.name, e.message,
                           tuple(dg.Note(n) for n in e.notes))]
    return []


def _check(graph: Graph, name: str, what: str, reserved: frozenset[str] | set[str],
           span: Span | None) -> None:
    if not src.is_identifier(name) or name in reserved or name.startswith("__"):
        raise NameProblem(
            span or graph.span,
            f"{what} '{name}' of model '{graph.name}' cannot be a name in the generated "
            f"Python: it is a keyword or a name the generated code uses",
            ("rename it; reserved here: " + ", ".join(sorted(
                n for n in reserved if not n.startswith("_"))),))
