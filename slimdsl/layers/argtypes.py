"""Argument types of layer calls: each validates and normalizes a value or raises ArgError.

A layer's :class:`~slimdsl.layers.base.Arg` names its type (``"int-or-pair"``, ``"padding"``,
...); :data:`TYPES` maps the name to the check and to the wording ``docs/layers.md`` shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..records import dataclass
from ..values import (
    ACTIVATIONS,
    Activation,
    Initializer,
    LayerRef,
    Regularizer,
    Training,
    is_finite_number,
    show,
    type_name,
)


class ArgError(ValueError):
    """An argument value does not fit its declared type; the message says why."""


def _int(v: Any, *, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgError(f"expected an int, got {type_name(v)} {show(v)}")
    if v < minimum:
        raise ArgError(f"expected an int >= {minimum}, got {v}")
    return v


def _pair(v: Any, *, minimum: int = 1) -> tuple[int, int]:
    """An int or a list of two ints, as TF-Slim's kernel_size / stride / rate accept."""
    if isinstance(v, (list, tuple)):
        if len(v) != 2:
            raise ArgError(f"expected an int or a list of 2 ints, got a list of {len(v)}")
        return (_int(v[0], minimum=minimum), _int(v[1], minimum=minimum))
    n = _int(v, minimum=minimum)
    return (n, n)


@dataclass(frozen=True, slots=True)
class ArgType:
    """A named argument type: ``check`` validates and normalizes a value or raises ArgError."""

    name: str
    check: Callable[[Any], Any]
    doc: str


def _check_float(v: Any) -> float:
    if not is_finite_number(v):
        raise ArgError(f"expected a finite number, got {type_name(v)} {show(v)}")
    return float(v)


def _check_prob(v: Any) -> float:
    p = _check_float(v)
    if not 0.0 < p <= 1.0:
        raise ArgError(f"expected a probability in (0, 1], got {show(v)}")
    return p


def _check_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ArgError(f"expected true or false, got {type_name(v)} {show(v)}")
    return v


def _check_flag(v: Any) -> bool | Training:
    if isinstance(v, Training):
        return v
    return _check_bool(v)


def _check_padding(v: Any) -> str:
    if v not in ("SAME", "VALID"):
        raise ArgError(f'expected "SAME" or "VALID", got {show(v)}')
    return v


def _check_activation(v: Any) -> Activation | None:
    if v is None or isinstance(v, Activation):
        return v
    if isinstance(v, LayerRef) and v.kind in ACTIVATIONS:
        return Activation(v.kind)
    raise ArgError(f"expected an activation ({', '.join(ACTIVATIONS)} or none), "
                   f"got {type_name(v)} {show(v)}")


def _check_initializer(v: Any) -> Initializer | None:
    if v is None or isinstance(v, Initializer):
        return v
    raise ArgError(f"expected an initializer such as xavier or truncated_normal(0.01), "
                   f"got {type_name(v)} {show(v)}")


def _check_initializer_required(v: Any) -> Initializer:
    if v is None:
        raise ArgError("expected an initializer, got none")
    return _check_initializer(v)  # type: ignore[return-value]


def _check_regularizer(v: Any) -> Regularizer | None:
    if v is None or isinstance(v, Regularizer):
        return v
    raise ArgError(f"expected a regularizer such as l2(0.0005) or none, got {type_name(v)} "
                   f"{show(v)}")


def _check_normalizer(v: Any) -> LayerRef | None:
    if v is None:
        return None
    if isinstance(v, LayerRef) and v.kind == "batch_norm":
        return v
    raise ArgError(f"expected batch_norm or none, got {type_name(v)} {show(v)}")


def _check_dict(v: Any) -> dict | None:
    if v is None or isinstance(v, dict):
        return v
    raise ArgError(f"expected a dict such as {{decay: 0.997}} or none, got {type_name(v)}")


def _check_str_or_none(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    raise ArgError(f"expected a string or none, got {type_name(v)} {show(v)}")


def _check_axes(v: Any) -> list[int] | None:
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return [v]
    if isinstance(v, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool)
                                            for a in v):
        return list(v)
    raise ArgError(f"expected an axis or a list of axes, got {type_name(v)} {show(v)}")


def _check_axis(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgError(f"expected an int axis, got {type_name(v)} {show(v)}")
    return v


def _check_num_outputs_or_none(v: Any) -> int | None:
    return None if v is None else _int(v)


def _check_paddings(v: Any) -> list[list[int]]:
    ok = isinstance(v, (list, tuple)) and all(
        isinstance(p, (list, tuple)) and len(p) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in p) for p in v)
    if not ok:
        raise ArgError(f"expected a list of [before, after] pairs of ints >= 0, got {show(v)}")
    return [list(p) for p in v]


def _check_data_format(v: Any) -> str | None:
    if v in (None, "NHWC"):
        return v
    raise ArgError(f'only "NHWC" is supported, got {show(v)}')


TYPES = {t.name: t for t in (
    ArgType("int", _int, "a positive int"),
    ArgType("int?", _check_num_outputs_or_none, "a positive int or none"),
    ArgType("int-or-pair", _pair, "an int or a list of two ints, e.g. 3 or [3, 3]"),
    ArgType("float", _check_float, "a finite number"),
    ArgType("prob", _check_prob, "a probability in (0, 1]"),
    ArgType("bool", _check_bool, "true or false"),
    ArgType("flag", _check_flag, "true, false or training (the model's run-time flag)"),
    ArgType("padding", _check_padding, '"SAME" or "VALID"'),
    ArgType("activation", _check_activation, "relu, relu6, elu, leaky_relu, sigmoid, tanh, "
                                             "softmax or none"),
    ArgType("initializer", _check_initializer, "an initializer or none"),
    ArgType("initializer!", _check_initializer_required, "an initializer"),
    ArgType("regularizer", _check_regularizer, "l1(s), l2(s), l1_l2(s1, s2) or none"),
    ArgType("normalizer", _check_normalizer, "batch_norm or none"),
    ArgType("dict", _check_dict, "a dict literal or none"),
    ArgType("string?", _check_str_or_none, "a string or none"),
    ArgType("axes", _check_axes, "an axis, a list of axes, or none"),
    ArgType("axis", _check_axis, "an int axis (may be negative)"),
    ArgType("paddings", _check_paddings, "one [before, after] pair per dimension"),
    ArgType("data-format", _check_data_format, '"NHWC" (the only layout supported)'),
)}
