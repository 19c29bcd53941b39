"""When two lowerings' states are the same for what follows (the early cutoff of
:mod:`slimdsl.lower.incremental`): values equal where tensors count as equal by what later
layers read of them (id, shape, dtype, name), and the end points an edit may change because
nothing later reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..ir import Port, Tensor
from ..records import replace
from ..values import TensorValue

if TYPE_CHECKING:
    from .incremental import Checkpoint


def equivalent(old: Any, new: Any, pairs: list[tuple[Tensor, Tensor]]) -> bool:
    """Equal values, where tensors are equal when their id, shape, dtype and name are (the
    later layers read nothing else of them); each such pair is added to ``pairs``."""
    if old is new:
        return True
    if isinstance(old, Tensor) and isinstance(new, Tensor):
        if (old.id, old.shape, old.dtype, old.name) != (new.id, new.shape, new.dtype, new.name):
            return False
        pairs.append((old, new))
        return True
    if isinstance(old, TensorValue) and isinstance(new, TensorValue):
        return equivalent(old.tensor, new.tensor, pairs)
    if isinstance(old, Port) and isinstance(new, Port):
        return old.name == new.name and old.span == new.span and \
            equivalent(old.tensor, new.tensor, pairs)
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(equivalent(old[k], new[k], pairs) for k in old)
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        return type(old) is type(new) and len(old) == len(new) and all(
            equivalent(a, b, pairs) for a, b in zip(old, new))
    try:
        return type(old) is type(new) and bool(old == new)
    except Exception:  # noqa: BLE001 - values that cannot be compared are not equal
        return False


def end_point_changes(old: dict[str, Any], new: dict[str, Any],
                      pairs: list[tuple[Tensor, Tensor]]) -> list[tuple[Any, Any]] | None:
    """The end points (same names, in the same order, else None) whose tensors are not
    equivalent, as (old, new); the equivalent ones are added to ``pairs``."""
    if len(old) != len(new) or list(old) != list(new):
        return None
    return [(a, new[k]) for k, a in old.items() if not equivalent(a, new[k], pairs)]


def end_points_match(old: Checkpoint, new: Checkpoint, pairs: list[tuple[Tensor, Tensor]]
                     ) -> bool:
    """Do the end points leave the rest of the lowering as it was? Lowering only writes
    them, so an end point may hold another tensor (an edited layer's output, with its new
    shape) as long as nothing later can read the old one: it is not reachable from the
    bindings, inputs or outputs. The splice then turns the old tensor into the new one."""
    changes = end_point_changes(old.end_points, new.end_points, pairs)
    if changes is None:
        return False
    if not changes:
        return True
    reachable: set[int] = set()
    tensor_ids((old.env, old.inputs, old.graph_outputs), reachable)
    target: dict[int, int] = {}
    for a, b in changes:
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)) or id(a) in reachable or \
                target.setdefault(id(a), id(b)) != id(b):
            return False
    return True


def tensor_ids(value: Any, out: set[int]) -> None:
    """The ids of the tensors in ``value`` (bindings, ports, lists, dicts), added to out."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            out.add(id(v))
        elif isinstance(v, TensorValue):
            out.add(id(v.tensor))
        elif isinstance(v, Port):
            out.add(id(v.tensor))
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())


def remap(value: Any, swap: dict[int, Tensor]) -> Any:
    """``value`` with every tensor of ``swap`` (by id) replaced by the one it maps to."""
    if isinstance(value, Tensor):
        return swap.get(id(value), value)
    if isinstance(value, TensorValue):
        tensor = swap.get(id(value.tensor))
        return TensorValue(tensor) if tensor is not None else value
    if isinstance(value, Port):
        tensor = swap.get(id(value.tensor))
        return replace(value, tensor=tensor) if tensor is not None else value
    if isinstance(value, list):
        return [remap(v, swap) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(remap(v, swap) for v in value)
    if isinstance(value, dict):
        return {k: remap(v, swap) for k, v in value.items()}
    return value
