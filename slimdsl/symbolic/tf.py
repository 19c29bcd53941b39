"""TensorFlow's static shape arithmetic over ``int | Expr | None`` (NHWC, one axis at a time).

A drop-in generalization of slimdsl's ``layers/shapes.py``: on ints and ``None`` every function
returns what that module returns and raises :class:`ShapeError` with the same message; on
symbolic dimensions (:class:`~.expr.Expr`) it returns the canonical expression. A result
without symbols is always a plain ``int``.

Operations that can fail on some sizes have a companion ``*_requires`` returning the constraints
(with the caller's ``origin``) under which TensorFlow accepts them; it returns ``()`` when the
sizes are concrete (the operation itself raised already) or the operation cannot fail.

>>> from slimdsl.symbolic.expr import sym
>>> H = sym("H")
>>> x = H
>>> for _ in range(5):
...     x = conv_output_dim(x, 3, 2, "SAME")
>>> print(x), conv_output_dim(224, 3, 2, "SAME")
ceil(H / 32)
(None, 112)
>>> [str(c) for c in conv_requires(x, 3, 1, "VALID", origin="conv6")]
['ceil(H / 32) - 2 >= 1']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .analysis import max_
from .constraints import Constraint, eq, ge, positive
from .expr import Expr, ceil_div, floor_div

__all__ = ["Dim", "Shape", "ShapeError", "to_dim", "format_dim", "format_shape",
           "effective_kernel", "conv_output_dim", "conv_requires", "conv2d_same_output_dim",
           "same_padding", "transpose_output_dim", "pad_dim", "crop_dim", "crop_requires",
           "slice_dim", "slice_requires", "concat_dim", "equal_requires", "merge_dims",
           "broadcast_dim", "flatten_dim", "reshape_infer", "concat", "broadcast", "flatten"]

Dim = int | Expr | None
Shape = tuple[Dim, ...]


class ShapeError(ValueError):
    """A layer cannot be applied to a concrete shape; ``str(exc)`` shows the arithmetic."""


def to_dim(x: Dim) -> Dim:
    """``None`` stays None, a constant Expr becomes an int, anything else is kept.

    >>> from slimdsl.symbolic.expr import sym
    >>> to_dim(sym("H") - sym("H") + 3), to_dim(None)
    (3, None)
    """
    if isinstance(x, Expr):
        return x.const if not x.terms else x
    if x is None or type(x) is int:
        return x
    return int(x)


def format_dim(d: Dim, unicode: bool = False) -> str:
    """``?`` for an unknown dimension, the canonical text for a symbolic one.

    >>> from slimdsl.symbolic.expr import sym, ceil_div
    >>> format_dim(None), format_dim(7), format_dim(ceil_div(sym("H"), 2))
    ('?', '7', 'ceil(H / 2)')
    """
    if d is None:
        return "?"
    return d.format(unicode) if isinstance(d, Expr) else str(d)


def format_shape(shape: Shape, unicode: bool = False) -> str:
    """A shape the way .slim files write it.

    >>> from slimdsl.symbolic.expr import sym
    >>> format_shape((None, sym("H"), 7, 512))
    '[?, H, 7, 512]'
    """
    return "[" + ", ".join(format_dim(d, unicode) for d in shape) + "]"


def effective_kernel(k: int, rate: int) -> int:
    """Kernel extent after dilation: ``k + (k-1)(rate-1)``.

    >>> effective_kernel(3, 2)
    5
    """
    return k + (k - 1) * (rate - 1)


def conv_output_dim(size: Dim, kernel: int, stride: int, padding: str, rate: int = 1) -> Dim:
    """Output extent of a convolution or pooling window: SAME ``ceil(in/s)``, VALID
    ``floor((in - k_eff)/s) + 1``.

    >>> conv_output_dim(224, 11, 4, "VALID"), conv_output_dim(224, 3, 1, "VALID", rate=2)
    (54, 220)
    >>> conv_output_dim(None, 3, 2, "SAME") is None
    True
    >>> conv_output_dim(2, 3, 1, "VALID")
    Traceback (most recent call last):
    ...
    slimdsl.symbolic.tf.ShapeError: VALID 3 on 2: floor((2-3)/1)+1 = 0
    """
    size = to_dim(size)
    if size is None:
        return None
    k_eff = effective_kernel(kernel, rate)
    if padding == "SAME":
        return to_dim(ceil_div(size, stride)) if isinstance(size, Expr) else -(-size // stride)
    if isinstance(size, Expr):
        return to_dim(floor_div(size - k_eff, stride) + 1)
    out = (size - k_eff) // stride + 1
    if out <= 0:
        kernel_text = f"{kernel} (dilated to {k_eff} by rate {rate})" if rate != 1 else str(kernel)
        raise ShapeError(f"VALID {kernel_text} on {size}: "
                         f"floor(({size}-{k_eff})/{stride})+1 = {out}")
    return out


def conv_requires(size: Dim, kernel: int, stride: int, padding: str, rate: int = 1,
                  origin: Any = None) -> tuple[Constraint, ...]:
    """VALID needs a positive output (the dilated kernel must fit); SAME never fails.

    >>> from slimdsl.symbolic.expr import sym
    >>> [str(c) for c in conv_requires(sym("H"), 7, 2, "VALID")]
    ['ceil(H / 2) - 3 >= 1']
    """
    size = to_dim(size)
    if padding == "SAME" or not isinstance(size, Expr):
        return ()
    out = conv_output_dim(size, kernel, stride, padding, rate)
    return () if isinstance(out, int) and out >= 1 else (positive(out, origin),)


def conv2d_same_output_dim(size: Dim, kernel: int, stride: int, rate: int = 1) -> Dim:
    """``resnet_utils.conv2d_same``: pad ``k_eff - 1`` symmetrically, then VALID; ``ceil(in/s)``.

    >>> from slimdsl.symbolic.expr import sym
    >>> conv2d_same_output_dim(225, 3, 2), print(conv2d_same_output_dim(sym("H"), 7, 2))
    ceil(H / 2)
    (113, None)
    """
    if stride == 1:
        return conv_output_dim(size, kernel, 1, "SAME", rate)
    size = to_dim(size)
    if size is None:
        return None
    pad = effective_kernel(kernel, rate) - 1
    return conv_output_dim(to_dim(size + pad), kernel, stride, "VALID", rate)


def same_padding(size: Dim, kernel: int, stride: int, rate: int = 1) -> tuple[Dim, Dim]:
    """TensorFlow's SAME padding (before, after) along one axis; the extra pixel goes after.

    Symbolic sizes give expressions when ``max(total, 0)`` is decidable (always when
    ``k_eff >= stride`` or ``k_eff == 1``), else :class:`~slimdsl.symbolic.expr.Undecidable`.

    >>> from slimdsl.symbolic.expr import sym
    >>> same_padding(224, 7, 2), [str(p) for p in same_padding(sym("H"), 3, 2)]
    ((2, 3), ['-H + 2*ceil(H / 2)', '1'])
    """
    size = to_dim(size)
    if size is None:
        return None, None
    k_eff = effective_kernel(kernel, rate)
    if not isinstance(size, Expr):
        out = -(-size // stride)
        total = max((out - 1) * stride + k_eff - size, 0)
        return total // 2, total - total // 2
    total = max_((ceil_div(size, stride) - 1) * stride + k_eff - size, 0)
    before = floor_div(total, 2)
    return to_dim(before), to_dim(total - before)


def transpose_output_dim(size: Dim, kernel: int, stride: int, padding: str) -> Dim:
    """``conv2d_transpose``: SAME ``in*s``, VALID ``in*s + max(k - s, 0)``.

    >>> from slimdsl.symbolic.expr import sym
    >>> transpose_output_dim(7, 3, 2, "VALID"), print(transpose_output_dim(sym("H"), 3, 2, "VALID"))
    2*H + 1
    (15, None)
    """
    size = to_dim(size)
    if size is None:
        return None
    if padding == "SAME":
        return to_dim(size * stride)
    return to_dim(size * stride + max(kernel - stride, 0))


def pad_dim(size: Dim, before: int, after: int) -> Dim:
    """``tf.pad`` along one axis: ``in + before + after``.

    >>> from slimdsl.symbolic.expr import sym
    >>> pad_dim(5, 1, 2), print(pad_dim(sym("H"), 3, 3))
    H + 6
    (8, None)
    """
    size = to_dim(size)
    return None if size is None else to_dim(size + before + after)


def crop_dim(size: Dim, before: int, after: int) -> Dim:
    """A crop (``x[before : in - after]``): ``in - before - after``.

    >>> crop_dim(10, 2, 2)
    6
    >>> crop_dim(3, 2, 2)
    Traceback (most recent call last):
    ...
    slimdsl.symbolic.tf.ShapeError: cannot crop 2+2 from 3
    """
    size = to_dim(size)
    if size is None:
        return None
    out = size - before - after
    if isinstance(out, int) and out < 0:
        raise ShapeError(f"cannot crop {before}+{after} from {size}")
    return to_dim(out)


def crop_requires(size: Dim, before: int, after: int, origin: Any = None
                  ) -> tuple[Constraint, ...]:
    """The crop must leave ``>= 0`` elements (TensorFlow accepts empty tensors; a following
    convolution then requires ``>= 1`` itself).

    >>> from slimdsl.symbolic.expr import sym
    >>> [str(c) for c in crop_requires(sym("H"), 4, 4)]
    ['H - 8 >= 0']
    """
    size = to_dim(size)
    return (ge(size - before - after, 0, origin),) if isinstance(size, Expr) else ()


def slice_dim(size: Dim, begin: int, length: int = -1) -> Dim:
    """``tf.slice`` along one axis (``length == -1``: to the end).

    >>> from slimdsl.symbolic.expr import sym
    >>> slice_dim(10, 3), slice_dim(10, 3, 4), print(slice_dim(sym("H"), 1))
    H - 1
    (7, 4, None)
    """
    size = to_dim(size)
    if length != -1:
        if isinstance(size, int) and begin + length > size:
            raise ShapeError(f"slice {begin}:{begin + length} is out of range for size {size}")
        return length
    if size is None:
        return None
    if isinstance(size, int) and begin > size:
        raise ShapeError(f"slice begins at {begin}, past size {size}")
    return to_dim(size - begin)


def slice_requires(size: Dim, begin: int, length: int = -1, origin: Any = None
                   ) -> tuple[Constraint, ...]:
    """The slice must lie inside the dimension: ``begin + length <= in``.

    >>> from slimdsl.symbolic.expr import sym
    >>> [str(c) for c in slice_requires(sym("H"), 2, 5)]
    ['H >= 7']
    """
    size = to_dim(size)
    if not isinstance(size, Expr):
        return ()
    return (ge(size, begin + (length if length != -1 else 0), origin),)


def concat_dim(dims: Sequence[Dim]) -> Dim:
    """The concatenation axis: the sum, unknown if any part is.

    >>> from slimdsl.symbolic.expr import sym
    >>> print(concat_dim([sym("H"), sym("H"), 3]))
    2*H + 3
    """
    total: Dim = 0
    for d in dims:
        if d is None:
            return None
        total = total + d
    return to_dim(total)


def merge_dims(dims: Sequence[Dim], axis: int = 0) -> Dim:
    """The common value of dimensions that must be equal: a concrete one if any (the constraint
    forces the others to it), else the first known; ShapeError if two ints differ.

    >>> from slimdsl.symbolic.expr import sym
    >>> merge_dims([sym("H"), 28]), merge_dims([None, None])
    (28, None)
    """
    known = [(i, to_dim(x)) for i, x in enumerate(dims) if x is not None]
    ints = [(i, x) for i, x in known if isinstance(x, int)]
    for i, x in ints[1:]:
        if x != ints[0][1]:
            raise ShapeError(f"dimension {axis} differs: input {ints[0][0]} has {ints[0][1]}, "
                             f"input {i} has {x}")
    if ints:
        return ints[0][1]
    return known[0][1] if known else None


def equal_requires(dims: Sequence[Dim], origin: Any = None) -> tuple[Constraint, ...]:
    """Constraints making the known dimensions equal (none between identical expressions).

    >>> from slimdsl.symbolic.expr import sym, ceil_div
    >>> H = sym("H")
    >>> [str(c) for c in equal_requires([H, 2 * ceil_div(H, 2), None, H])]
    ['H == 2*ceil(H / 2)']
    """
    known = [to_dim(x) for x in dims if x is not None]
    out: list[Constraint] = []
    seen = {known[0]} if known else set()
    for x in known[1:]:
        if x not in seen and (isinstance(x, Expr) or isinstance(known[0], Expr)):
            out.append(eq(known[0], x, origin))
            seen.add(x)
    return tuple(out)


def broadcast_dim(a: Dim, b: Dim) -> tuple[Dim, tuple[Constraint, ...]]:
    """``tf.add`` broadcasting of one axis: ``(result, constraints)``.

    A literal 1 broadcasts; two symbolic sizes (or a size and an int other than 1) must be
    equal. TensorFlow would also broadcast a *symbolic* size that happens to be 1 at run time;
    the constraint rejects that case (the language has no disjunction).

    >>> from slimdsl.symbolic.expr import sym
    >>> H = sym("H")
    >>> broadcast_dim(1, 7), broadcast_dim(H, 1)[0] == H, [str(c) for c in broadcast_dim(H, 7)[1]]
    ((7, ()), True, ['H == 7'])
    """
    a, b = to_dim(a), to_dim(b)
    if a == 1:
        return b, ()
    if b == 1 or b is None:
        return a, ()
    if a is None:
        return b, ()
    if isinstance(a, int) and isinstance(b, int):
        if a != b:
            raise ShapeError(f"{a} vs {b}")
        return a, ()
    return merge_dims([a, b]), equal_requires([a, b])


def flatten_dim(dims: Sequence[Dim]) -> Dim:
    """The product of the flattened dimensions (``H*W*C``), unknown if any is.

    >>> from slimdsl.symbolic.expr import sym
    >>> print(flatten_dim([sym("H"), sym("W"), 3]))
    3*H*W
    """
    total: Dim = 1
    for d in dims:
        if d is None:
            return None
        total = total * d
    return to_dim(total)


def reshape_infer(total: Dim, known: int, origin: Any = None
                  ) -> tuple[Dim, tuple[Constraint, ...]]:
    """The ``-1`` of a reshape: ``total / known``, with the divisibility it needs.

    >>> from slimdsl.symbolic.expr import sym
    >>> H = sym("H")
    >>> d, cs = reshape_infer(H * 6, 3)
    >>> print(d), cs
    2*H
    (None, ())
    >>> d, cs = reshape_infer(H * 2, 4)
    >>> print(d), [str(c) for c in cs]
    floor(H / 2)
    (None, ['4*floor(H / 2) == 2*H'])
    """
    total = to_dim(total)
    if total is None:
        return None, ()
    if isinstance(total, int):
        if total % known:
            raise ShapeError(f"cannot reshape {total} elements into groups of {known}")
        return total // known, ()
    q = floor_div(total, known)
    return to_dim(q), (() if q * known == total else (eq(q * known, total, origin),))


def concat(shapes: Sequence[Shape], axis: int, origin: Any = None
           ) -> tuple[Shape, tuple[Constraint, ...]]:
    """``tf.concat``: ``(shape, constraints)``; equal ranks, other axes equal, ``axis`` adds up.

    >>> from slimdsl.symbolic.expr import sym, ceil_div
    >>> H = sym("H")
    >>> shape, cs = concat([(None, H, 7, 64), (None, 2 * ceil_div(H, 2), 7, 32)], -1)
    >>> format_shape(shape), [str(c) for c in cs]
    ('[?, H, 7, 96]', ['H == 2*ceil(H / 2)'])
    >>> concat([(None, 28, 28, 64), (None, 27, 27, 128)], 3)
    Traceback (most recent call last):
    ...
    slimdsl.symbolic.tf.ShapeError: dimension 1 differs: input 0 has 28, input 1 has 27
    """
    if not shapes:
        raise ShapeError("concat needs at least one tensor")
    if len(shapes) == 1:  # tf.concat returns a lone tensor as is, without checking the axis
        return tuple(shapes[0]), ()
    rank = len(shapes[0])
    for i, s in enumerate(shapes[1:], 1):
        if len(s) != rank:
            raise ShapeError(f"ranks differ: input 0 has rank {rank} {format_shape(shapes[0])}, "
                             f"input {i} has rank {len(s)} {format_shape(s)}")
    if not -rank <= axis < rank:
        raise ShapeError(f"axis {axis} is out of range for rank {rank} "
                         f"(valid: {-rank} .. {rank - 1})")
    ax = axis % rank
    out: list[Dim] = []
    cons: list[Constraint] = []
    for d in range(rank):
        dims = [s[d] for s in shapes]
        if d == ax:
            out.append(concat_dim(dims))
        else:
            out.append(merge_dims(dims, d))
            cons.extend(equal_requires(dims, origin))
    return tuple(out), tuple(cons)


def broadcast(a: Shape, b: Shape, origin: Any = None) -> tuple[Shape, tuple[Constraint, ...]]:
    """``tf.add`` broadcasting (numpy rules) of two shapes: ``(shape, constraints)``.

    >>> from slimdsl.symbolic.expr import sym
    >>> shape, cs = broadcast((None, sym("H"), 256), (None, sym("W"), 256))
    >>> format_shape(shape), [str(c) for c in cs]
    ('[?, H, 256]', ['H == W'])
    """
    rank = max(len(a), len(b))
    pa = (1,) * (rank - len(a)) + tuple(a)
    pb = (1,) * (rank - len(b)) + tuple(b)
    out: list[Dim] = []
    cons: list[Constraint] = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        try:
            d, cs = broadcast_dim(x, y)
        except ShapeError:
            raise ShapeError(f"cannot add {format_shape(a)} and {format_shape(b)}: "
                             f"dimension {i} is {x} vs {y}") from None
        out.append(d)
        cons.extend(Constraint(c.op, c.lhs, c.rhs, origin) for c in cs)
    return tuple(out), tuple(cons)


def flatten(shape: Shape) -> Shape:
    """``[N, ...] -> [N, prod(...)]``; a rank-1 ``[N]`` becomes ``[N, 1]``.

    >>> from slimdsl.symbolic.expr import sym
    >>> format_shape(flatten((None, sym("H"), sym("W"), 64)))
    '[?, 64*H*W]'
    """
    if len(shape) < 1:
        raise ShapeError(f"flatten needs rank >= 1, got rank 0 {format_shape(shape)}")
    return (shape[0], flatten_dim(shape[1:]))
