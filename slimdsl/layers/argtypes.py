"""Argument types of layer calls: each validates and normalizes a value or raises ArgError.

A layer's :class:`~slimdsl.layers.base.Arg` names its type (``"int-or-pair"``, ``"padding"``,
...); :data:`TYPES` maps the name to the check and to the wording ``docs/layers.md`` shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..diagnostics import did_you_mean
from ..records import dataclass
from ..values import (
    ACTIVATIONS,
    DTYPES,
    UNKNOWN,
    Activation,
    Initializer,
    LayerRef,
    Regularizer,
    Training,
    describe,
    is_finite_number,
    show,
    type_name,
)

_NAME_PART = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.\-]*")
#: Floating-point dtypes (layers' inputs and variables).
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


class ArgError(ValueError):
    """An argument value does not fit its declared type; the message says why."""


def _int(v: Any, *, minimum: int = 1) -> int:
    if v is UNKNOWN:  # x.shape[i] of a named size (H) or `?`: no number until run time
        raise ArgError(f"expected an int, got {describe(v)}: a named size or `?` of a shape "
                       f"is no number when the graph is built (test it with known())")
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgError(f"expected an int, got {describe(v)}")
    if v < minimum:
        raise ArgError(f"expected an int >= {minimum}, got {v}")
    return v


def _pair(v: Any, *, minimum: int = 1) -> tuple[int, int]:
    """An int or a list of two ints, as TF-Slim's kernel_size / stride / rate accept."""
    return _ints(v, 2, minimum=minimum)  # type: ignore[return-value]


def _ints(v: Any, n: int, *, minimum: int = 1) -> tuple[int, ...]:
    """An int or a list of ``n`` ints, as ``n`` ints (a 2-D, 3-D or 1-D window)."""
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ArgError(f"expected an int or a list of {n} int{'s' if n > 1 else ''}, got a "
                           f"list of {len(v)}")
        return tuple(_int(x, minimum=minimum) for x in v)
    return (_int(v, minimum=minimum),) * n


def _int_or_list(v: Any) -> int | tuple[int, ...]:
    """An int, or a list of 1 to 3 ints (an N-d window whose N the input's rank decides)."""
    if isinstance(v, (list, tuple)):
        if not 1 <= len(v) <= 3:
            raise ArgError(f"expected an int or a list of 1 to 3 ints, got a list of {len(v)}")
        return tuple(_int(x) for x in v)
    return _int(v)


@dataclass(frozen=True, slots=True)
class ArgType:
    """A named argument type: ``check`` validates and normalizes a value or raises ArgError."""

    name: str
    check: Callable[[Any], Any]
    doc: str


def _check_float(v: Any) -> float:
    if not is_finite_number(v):
        raise ArgError(f"expected a finite number, got {describe(v)}")
    return float(v)


def _check_prob(v: Any) -> float:
    p = _check_float(v)
    if not 0.0 < p <= 1.0:
        raise ArgError(f"expected a probability in (0, 1], got {show(v)}")
    return p


def _check_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ArgError(f"expected true or false, got {describe(v)}")
    return v


def _check_flag(v: Any) -> bool | Training:
    if isinstance(v, Training):
        return v
    return _check_bool(v)


def _check_padding(v: Any) -> str:
    """TF-Slim's layers hand padding to Keras, which accepts any case ("valid")."""
    if not isinstance(v, str) or v.upper() not in ("SAME", "VALID"):
        raise ArgError(f'expected "SAME" or "VALID", got {show(v)}')
    return v.upper()


def _check_padding_as_written(v: Any) -> str:
    """For layers whose TF op may see the string itself: the case is kept for the shape rule."""
    _check_padding(v)
    return v


def _check_padding_exact(v: Any) -> str:
    """tf.nn.depthwise_conv2d takes only the capitals."""
    if v not in ("SAME", "VALID"):
        hint = f' (this layer passes padding to tf.nn.depthwise_conv2d, which needs ' \
               f'"{v.upper()}")' if isinstance(v, str) and v.upper() in ("SAME", "VALID") else ""
        raise ArgError(f'expected "SAME" or "VALID", got {show(v)}{hint}')
    return v


def _check_activation(v: Any) -> Activation | None:
    if v is None or isinstance(v, Activation):
        return v
    if isinstance(v, LayerRef) and v.kind in ACTIVATIONS:
        return Activation(v.kind)
    raise ArgError(f"expected an activation ({', '.join(ACTIVATIONS)}, none, or a def of "
                   f"one argument), got {describe(v)}")


def _check_initializer(v: Any) -> Initializer | None:
    if v is None or isinstance(v, Initializer):
        return v
    raise ArgError(f"expected an initializer such as xavier or truncated_normal(0.01), "
                   f"got {describe(v)}")


def _check_initializer_required(v: Any) -> Initializer:
    if v is None:
        raise ArgError("expected an initializer, got none")
    return _check_initializer(v)  # type: ignore[return-value]


def _check_regularizer(v: Any) -> Regularizer | None:
    if v is None or isinstance(v, Regularizer):
        return v
    raise ArgError(f"expected a regularizer such as l2(0.0005) or none, got {type_name(v)} "
                   f"{show(v)}")


#: The layers a convolution or fully_connected accepts as ``normalizer_fn``.
NORMALIZERS = ("batch_norm", "instance_norm", "layer_norm", "group_norm")


def _check_normalizer(v: Any) -> LayerRef | None:
    if v is None:
        return None
    if isinstance(v, LayerRef) and v.kind in NORMALIZERS:
        return v
    raise ArgError(f"expected {', '.join(NORMALIZERS)} or none, got {describe(v)}")


def _check_dict(v: Any) -> dict | None:
    if v is None or isinstance(v, dict):
        return v
    raise ArgError(f"expected a dict such as {{decay: 0.997}} or none, got {type_name(v)}")


def _param_dict(keys: tuple[str, ...], kind: type, what: str) -> Callable[[Any], Any]:
    """A dict from variable names (``keys``) to initializers or regularizers, or none."""
    def check(v: Any) -> dict | None:
        if v is None:
            return None
        if not isinstance(v, dict):
            raise ArgError(f"expected a dict such as {{{keys[-1]}: ...}} or none, got "
                           f"{type_name(v)}")
        for k, x in v.items():
            if k not in keys:
                raise ArgError(f"no variable '{k}'{did_you_mean(k, keys)}: the keys are "
                               f"{', '.join(keys)}")
            if not isinstance(x, kind):
                raise ArgError(f"['{k}'] must be {what}, got {describe(x)}")
        return v
    return check


def _check_str_or_none(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    raise ArgError(f"expected a string or none, got {describe(v)}")


def _check_strings(v: Any) -> Any:
    if v is None or isinstance(v, str) or (
            isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v)):
        return v
    raise ArgError(f"expected a string, a list of strings, or none, got {type_name(v)} "
                   f"{show(v)}")


def _check_axes(v: Any) -> list[int] | None:
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return [v]
    if isinstance(v, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool)
                                            for a in v):
        return list(v)
    raise ArgError(f"expected an axis or a list of axes, got {describe(v)}")


def _check_axis(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgError(f"expected an int axis, got {describe(v)}")
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


def _int_list(v: Any, what: str, minimum: int) -> list[int]:
    if isinstance(v, (list, tuple)) and all(
            isinstance(x, int) and not isinstance(x, bool) for x in v):
        bad = [x for x in v if x < minimum]
        if bad:
            raise ArgError(f"expected {what}, got {show(list(v))}: {bad[0]} < {minimum}")
        return list(v)
    raise ArgError(f"expected {what}, got {describe(v)}")


def _check_number(v: Any) -> int | float:
    if not is_finite_number(v):
        raise ArgError(f"expected a finite number, got {describe(v)}")
    return v


def _check_shape(v: Any) -> list[int]:
    """A reshape target: ints >= 0, and ``-1`` or ``?`` for the one inferred dimension."""
    if isinstance(v, (list, tuple)):
        v = [-1 if x is UNKNOWN else x for x in v]
    return _int_list(v, "a list of sizes (-1 or ? for the inferred one)", -1)


def _check_splits(v: Any) -> int | list[int]:
    if isinstance(v, int) and not isinstance(v, bool):
        return _int(v)
    return _int_list(v, "a number of pieces or a list of sizes (one may be -1)", -1)


def _check_size2(v: Any) -> list[int]:
    sizes = _int_list(v, "a list of two sizes [height, width]", 1)
    if len(sizes) != 2:
        raise ArgError(f"expected a list of two sizes [height, width], got {show(v)}")
    return sizes


def _check_perm(v: Any) -> list[int] | None:
    if v is None:
        return None
    return _int_list(v, "a permutation of the axes, e.g. [0, 3, 1, 2]", -(1 << 30))


def _check_choice(choices: tuple[str, ...], upper: bool) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        value = v.upper() if upper and isinstance(v, str) else v
        if value not in choices:
            raise ArgError(f"expected {' or '.join(show(c) for c in choices)}, got {show(v)}")
        return value
    return check


def _check_dtype(v: Any) -> str:
    if v not in DTYPES:
        raise ArgError(f"expected a dtype ({', '.join(DTYPES)}), got {show(v)}")
    return v


def _check_subscripts(v: Any) -> tuple:
    """The subscripts of ``x[...]``, as the lowering builds them (see op_shapes)."""
    if not isinstance(v, tuple) or not all(isinstance(s, tuple) and s for s in v):
        raise ArgError(f"expected subscripts, got {show(v)}")
    return v



def _check_maybe_bool(v: Any) -> bool | None:
    return None if v is None else _check_bool(v)


def _check_variable_shape(v: Any) -> list[int] | None:
    ok = v is None or isinstance(v, (list, tuple)) and all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in v)
    if not ok:
        raise ArgError(f"expected a shape: a list of ints >= 0 such as [] or [64], got {show(v)}")
    return None if v is None else list(v)


def _check_float_dtype(v: Any) -> str:
    if v not in FLOAT_DTYPES:
        raise ArgError(f"expected one of {', '.join(FLOAT_DTYPES)}, got {show(v)}")
    return v


def _check_variable_name(v: Any) -> str:
    if not isinstance(v, str) or not all(_NAME_PART.fullmatch(p) for p in v.split("/")):
        raise ArgError(f"expected a variable name (letters, digits, '_', '.', '-', separated "
                       f"by '/'), got {show(v)}")
    return v


def _choice(*allowed: Any, unsupported: tuple = (), why: str = "") -> Callable[[Any], Any]:
    """A check accepting exactly ``allowed``; a value of ``unsupported`` (TF-Slim accepts it,
    slimdsl does not; ``"*"``: any other value) is rejected with ``why``."""
    def same(v: Any, a: Any) -> bool:
        return v is a or (type(v) is type(a) and v == a)

    def check(v: Any) -> Any:
        if any(same(v, a) for a in allowed):
            return v
        if "*" in unsupported or any(same(v, u) for u in unsupported):
            raise ArgError(f"{show(v)} is not supported: {why}")
        raise ArgError(f"expected {' or '.join(show(a) for a in allowed)}, got {show(v)}")
    return check


_CHANNELS_FIRST = "channels-first layouts are not supported (slimdsl's shapes are channels-last)"
_NOT_IMPLEMENTED = "slimdsl does not implement it (see docs/layers.md)"


TYPES = {t.name: t for t in (
    ArgType("int", _int, "a positive int"),
    ArgType("int?", _check_num_outputs_or_none, "a positive int or none"),
    ArgType("int-or-pair", _pair, "an int or a list of two ints, e.g. 3 or [3, 3]"),
    ArgType("int-or-triple", lambda v: _ints(v, 3),
            "an int or a list of three ints [T, H, W], e.g. 3 or [1, 3, 3]"),
    ArgType("int-or-single", lambda v: _ints(v, 1), "an int or a list of one int"),
    ArgType("int-or-list", _int_or_list,
            "an int, or a list of one int per spatial dimension of the input"),
    ArgType("float", _check_float, "a finite number"),
    ArgType("float?", lambda v: None if v is None else _check_float(v), "a number or none"),
    ArgType("prob", _check_prob, "a probability in (0, 1]"),
    ArgType("bool", _check_bool, "true or false"),
    ArgType("flag", _check_flag, "true, false or training (the model's run-time flag)"),
    ArgType("int>=0", lambda v: _int(v, minimum=0), "an int >= 0"),
    ArgType("number", _check_number, "a number (an int stays an int)"),
    ArgType("padding", _check_padding, '"SAME" or "VALID" (any case)'),
    ArgType("padding~", _check_padding_as_written, '"SAME" or "VALID" (any case when '
                                                   'num_outputs is given)'),
    ArgType("padding!", _check_padding_exact, '"SAME" or "VALID" (capitals)'),
    ArgType("pad-mode", _check_choice(("CONSTANT", "REFLECT", "SYMMETRIC"), True),
            '"CONSTANT", "REFLECT" or "SYMMETRIC" (any case)'),
    ArgType("resize-method", _check_choice(("bilinear", "nearest"), False),
            '"bilinear" or "nearest"'),
    ArgType("shape", _check_shape, "a list of sizes; one may be -1 or ? (inferred)"),
    ArgType("multiples", lambda v: _int_list(v, "a list of ints >= 0", 0),
            "one int >= 0 per dimension"),
    ArgType("splits", _check_splits, "a number of equal pieces, or a list of sizes (one may be "
                                     "-1)"),
    ArgType("size2", _check_size2, "[height, width], ints >= 1"),
    ArgType("perm", _check_perm, "a permutation of the axes, or none (reversed)"),
    ArgType("dtype", _check_dtype, "a dtype name such as \"float32\""),
    ArgType("subscripts", _check_subscripts, "the subscripts of x[...]"),
    ArgType("activation", _check_activation, ", ".join(ACTIVATIONS) + ", none, or a def of "
                                             "one argument"),
    ArgType("initializer", _check_initializer, "an initializer or none"),
    ArgType("initializer!", _check_initializer_required, "an initializer"),
    ArgType("regularizer", _check_regularizer, "l1(s), l2(s), l1_l2(s1, s2) or none"),
    ArgType("normalizer", _check_normalizer, ", ".join(NORMALIZERS) + " or none"),
    ArgType("dict", _check_dict, "a dict literal or none"),
    ArgType("bn-initializers", _param_dict(("beta", "gamma", "moving_mean", "moving_variance"),
                                           Initializer, "an initializer"),
            "a dict of initializers by variable (beta, gamma, moving_mean, moving_variance)"),
    ArgType("norm-initializers", _param_dict(("beta", "gamma"), Initializer, "an initializer"),
            "a dict of initializers by variable (beta, gamma)"),
    ArgType("norm-regularizers", _param_dict(("beta", "gamma"), Regularizer, "a regularizer"),
            "a dict of regularizers by variable (beta, gamma)"),
    ArgType("string?", _check_str_or_none, "a string or none"),
    ArgType("strings?", _check_strings, "a string, a list of strings, or none"),
    ArgType("axes", _check_axes, "an axis, a list of axes, or none"),
    ArgType("axis", _check_axis, "an int axis (may be negative)"),
    ArgType("paddings", _check_paddings, "one [before, after] pair per dimension"),
    ArgType("bool?", _check_maybe_bool, "true, false or none"),
    ArgType("variable-shape", _check_variable_shape, "a list of ints >= 0, e.g. [] or [64]"),
    ArgType("float-dtype", _check_float_dtype, "a floating-point dtype name, e.g. \"float32\""),
    ArgType("variable-name", _check_variable_name, "a variable name, e.g. \"scale\""),
    ArgType("data-format", _choice("NHWC", unsupported=("NCHW",), why=_CHANNELS_FIRST),
            '"NHWC" (channels-last: NCHW is not supported)'),
    ArgType("data-format-3d", _choice("NDHWC", unsupported=("NCDHW",), why=_CHANNELS_FIRST),
            '"NDHWC" (channels-last: NCDHW is not supported)'),
    ArgType("conv-format", _choice(None, "NWC", "NHWC", "NDHWC",
                                   unsupported=("NCW", "NCHW", "NCDHW"), why=_CHANNELS_FIRST),
            'none, "NWC", "NHWC" or "NDHWC" (channels-last, any of them for any rank)'),
    ArgType("pool-format", _choice(None, "NWC", "NHWC", "NDHWC",
                                   unsupported=("NCW", "NCHW", "NCDHW"), why=_CHANNELS_FIRST),
            'none or the channels-last layout of the input\'s rank ("NWC", "NHWC", "NDHWC")'),
    ArgType("keras-format", _choice("channels_last", "channels_first"),
            '"channels_last" or "channels_first"'),
    ArgType("channels-last", _choice("channels_last", unsupported=("channels_first",),
                                     why=_CHANNELS_FIRST),
            '"channels_last" (channels_first is not supported)'),
    ArgType("pooling-type", _choice("AVG", "MAX"), '"AVG" or "MAX" (upper case, as TF-Slim)'),
    ArgType("no-renorm", _choice(False, unsupported=(True,), why="batch renormalization adds "
                                 "the renorm_mean, renorm_stddev and moving_stddev variables "
                                 "and its own training update; " + _NOT_IMPLEMENTED),
            "false (batch renormalization is not supported)"),
    ArgType("no-zero-debias", _choice(False, unsupported=(True,), why="a zero-debiased moving "
                                      "mean adds the moving_mean/biased and "
                                      "moving_mean/local_step variables; "
                                      + _NOT_IMPLEMENTED),
            "false (zero-debiasing is not supported)"),
    ArgType("none-only", _choice(None, unsupported=("*",), why=_NOT_IMPLEMENTED),
            "none (other values are not supported)"),
)}
