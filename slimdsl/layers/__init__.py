"""The registry of layer kinds: the single source of truth for every layer .slim knows.

Each :class:`~.base.LayerKind` declares, in one place: its arguments with TF-Slim's names, order
and defaults (and whether a model parameter given there may be read at run time); how its tensor
inputs are passed; its default scope name and TF-Slim's ``__name__``; its shape rule; the
variables it creates; its FLOP count; the dtypes it accepts; and its documentation. The checker,
the accounting, the summary, the code generator, the editor keyword lists and
``docs/layers.md`` all read :data:`LAYERS`; tests assert nothing drifts from it.

The kinds are grouped by family, one module each: :mod:`.conv`, :mod:`.conv_nd`, :mod:`.dense`,
:mod:`.pool`, :mod:`.norm`, :mod:`.activations`, :mod:`.sequence`, :mod:`.variables`,
:mod:`.arithmetic`, :mod:`.tensor_ops`, :mod:`.array_ops`. A new kind is a
:class:`~.base.LayerKind` in its family's ``KINDS`` (and a translator in each backend). Shape
arithmetic is :mod:`.shapes` (sliding windows), :mod:`.feature_shapes` (normalizers and
reshapes) and :mod:`.op_shapes` (TensorFlow's ops); argument types are :mod:`.argtypes`; which
public functions of tf_slim's layer modules are supported, left out and why is
:mod:`.tf_slim_names`.
"""

from __future__ import annotations

from . import (
    activations,
    arithmetic,
    array_ops,
    conv,
    conv_nd,
    dense,
    norm,
    pool,
    sequence,
    tensor_ops,
    variables,
)
from .argtypes import NORMALIZERS, TYPES, ArgError, ArgType
from .base import (
    FLOAT_DTYPES,
    INTEGER_DTYPES,
    NUMERIC_DTYPES,
    ONES,
    REQUIRED,
    RUNTIME_SIZE,
    RUNTIME_VALUE,
    XAVIER,
    ZEROS,
    Arg,
    DtypeError,
    LayerKind,
    VarSpec,
)
from .norm import BATCH_NORM_ARGS, NORMALIZER_SCOPES, batch_norm_variables

_FAMILIES = (conv, conv_nd, dense, pool, norm, activations, sequence, variables, arithmetic,
             tensor_ops, array_ops)

#: All layer kinds by canonical name, family by family.
LAYERS: dict[str, LayerKind] = {k.name: k for family in _FAMILIES for k in family.KINDS}
#: Every name (canonical or alias) a call may use, mapped to its canonical kind (kinds written
#: only as syntax, such as slicing, are not called by name).
LAYER_NAMES: dict[str, str] = {
    **{name: name for name, k in LAYERS.items() if k.callable},
    **{a: k.name for k in LAYERS.values() for a in k.aliases}}
#: The kind each .slim operator on tensors lowers to (``*``: multiply; ``neg``: unary minus).
OPERATORS: dict[str, str] = {k.operator: k.name for k in LAYERS.values() if k.operator}

#: Built-in statements that take a layer as argument (TF-Slim's repeat/stack).
META_LAYERS = ("repeat", "stack")


def lookup(name: str) -> LayerKind | None:
    """The layer kind a call name refers to (aliases included), or None."""
    canonical = LAYER_NAMES.get(name)
    return LAYERS[canonical] if canonical else None


__all__ = ["BATCH_NORM_ARGS", "FLOAT_DTYPES", "INTEGER_DTYPES", "LAYERS", "LAYER_NAMES",
           "META_LAYERS", "NORMALIZERS", "NORMALIZER_SCOPES", "NUMERIC_DTYPES", "ONES",
           "OPERATORS", "REQUIRED", "RUNTIME_SIZE", "RUNTIME_VALUE", "TYPES", "XAVIER", "ZEROS",
           "Arg", "ArgError", "ArgType", "DtypeError", "LayerKind", "VarSpec",
           "batch_norm_variables", "lookup"]
