"""Static shape arithmetic, exactly as TensorFlow computes it (NHWC).

Pure functions over ``int | Expr | None``: ``None`` is an unknown dimension (``?``), an
:class:`~slimdsl.symbolic.expr.Expr` a symbolic one (an integer expression over the named sizes
of the inputs, such as ``ceil(H / 32)``). Each one that can fail raises :class:`ShapeError` whose
message shows the arithmetic that went wrong, e.g. ``VALID 3x3 on 2x2: floor((2-3)/1)+1 = 0``.
The rules were verified against TensorFlow 2.21 (see ``tests/layers/test_shapes_tf.py``, which
compares every rule here with real TensorFlow).

On ints these functions are exactly the integer rules; a symbolic dimension goes through
:mod:`slimdsl.symbolic.tf` instead, and what the operation then needs of the sizes (a VALID
window that fits, two branches of equal size) is not an error but a constraint, handed to the
:func:`collecting` block the lowering wraps around each shape rule. Layer kinds write their shape
rules with these helpers, so they work on symbolic dimensions unchanged.
"""

from __future__ import annotations

from ..records import dataclass
from ..symbolic.constraints import eq
from ..symbolic.expr import Expr
from .size_constraints import require, symtf

Dim = int | Expr | None
Shape = tuple[Dim, ...]


class ShapeError(ValueError):
    """A layer cannot be applied to a shape; ``str(exc)`` shows the arithmetic."""


def simplest(dims: list[Dim]) -> Dim:
    """Of dimensions that must be equal, the one with the shortest text (``H`` rather than
    ``4*floor(H / 4)``): at every valid size they are the same number.

    >>> from slimdsl.symbolic import sym, floor_div
    >>> H = sym("H")
    >>> format_dim(simplest([4 * floor_div(H, 4), H]))
    'H'
    """
    return min(dims, key=lambda d: len(format_dim(d)))


def format_dim(d: Dim) -> str:
    """``?`` for an unknown dimension, the canonical text of a symbolic one.

    >>> from slimdsl.symbolic import sym, ceil_div
    >>> format_dim(None), format_dim(7), format_dim(ceil_div(sym("H"), 32))
    ('?', '7', 'ceil(H / 32)')
    """
    if isinstance(d, Expr):
        return d.format(False)
    return "?" if d is None else str(d)


def format_shape(shape: Shape | None) -> str:
    """A shape the way .slim files write it; ``?`` for a shape an earlier error left unknown.

    The one formatter of shapes: messages, summaries, graphs and generated docstrings use it.

    >>> format_shape((None, 7, 7, 512)), format_shape(None)
    ('[?, 7, 7, 512]', '?')
    """
    if shape is None:
        return "?"
    return "[" + ", ".join(format_dim(d) for d in shape) + "]"


def effective_kernel(k: int, rate: int) -> int:
    """Kernel extent after dilation: ``k + (k-1)(rate-1)``.

    >>> effective_kernel(3, 2)
    5
    """
    return k + (k - 1) * (rate - 1)


def conv_output_dim(size: Dim, kernel: int, stride: int, padding: str, rate: int = 1,
                    allow_empty: bool = False) -> Dim:
    """Output extent of a convolution or pooling window along one axis (``allow_empty``: an
    extent of 0 is no error, only a negative one).

    >>> conv_output_dim(224, 7, 2, "SAME")
    112
    >>> conv_output_dim(224, 11, 4, "VALID")
    54
    >>> conv_output_dim(224, 3, 1, "VALID", rate=2)
    220
    >>> conv_output_dim(None, 3, 2, "SAME") is None
    True
    >>> from slimdsl.symbolic import sym
    >>> format_dim(conv_output_dim(conv_output_dim(sym("H"), 3, 2, "SAME"), 3, 2, "SAME"))
    'ceil(H / 4)'
    >>> conv_output_dim(2, 3, 1, "VALID")
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: VALID 3 on 2: floor((2-3)/1)+1 = 0
    >>> conv_output_dim(2, 3, 1, "VALID", allow_empty=True)
    0
    """
    if size is None:
        return None
    if isinstance(size, Expr):
        out_sym = symtf.conv_output_dim(size, kernel, stride, padding, rate)
        require(symtf.conv_requires(size, kernel, stride, padding, rate),
                f"a VALID window of {effective_kernel(kernel, rate)} on {format_dim(size)}, "
                f"stride {stride}")
        return out_sym
    k_eff = effective_kernel(kernel, rate)
    if padding == "SAME":
        return -(-size // stride)
    out = (size - k_eff) // stride + 1
    if out < 0 or (out == 0 and not allow_empty):
        kernel_text = f"{kernel} (dilated to {k_eff} by rate {rate})" if rate != 1 else str(kernel)
        raise ShapeError(f"VALID {kernel_text} on {size}: "
                         f"floor(({size}-{k_eff})/{stride})+1 = {out}")
    return out


def conv2d_same_output_dim(size: Dim, kernel: int, stride: int, rate: int = 1) -> Dim:
    """``resnet_utils.conv2d_same``: explicit symmetric padding, then VALID; equals ceil(in/s).

    >>> conv2d_same_output_dim(224, 7, 2)
    112
    >>> conv2d_same_output_dim(225, 3, 2)
    113
    """
    if stride == 1:
        return conv_output_dim(size, kernel, 1, "SAME", rate)
    if size is None:
        return None
    pad = effective_kernel(kernel, rate) - 1
    return conv_output_dim(size + pad, kernel, stride, "VALID", rate)


def same_padding(size: int, kernel: int, stride: int, rate: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME padding (before, after) along one axis; the extra pixel goes after.

    >>> same_padding(224, 7, 2)
    (2, 3)
    """
    if isinstance(size, Expr):  # symbolic: expressions, or Undecidable when 1 < k_eff < s
        return symtf.same_padding(size, kernel, stride, rate)  # type: ignore[return-value]
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel(kernel, rate) - size, 0)
    return total // 2, total - total // 2


def transpose_output_dim(size: Dim, kernel: int, stride: int, padding: str) -> Dim:
    """Output extent of ``conv2d_transpose`` (tf_slim's rule, via deconv_output_length).

    >>> transpose_output_dim(7, 3, 2, "SAME")
    14
    >>> transpose_output_dim(7, 3, 2, "VALID")
    15
    >>> transpose_output_dim(7, 1, 2, "VALID")
    14
    """
    if size is None:
        return None
    if isinstance(size, Expr):
        return symtf.transpose_output_dim(size, kernel, stride, padding)
    if padding == "SAME":
        return size * stride
    return size * stride + max(kernel - stride, 0)


@dataclass(frozen=True, slots=True)
class Window:
    """A sliding window over N spatial axes (N = 1, 2 or 3): kernel, stride, dilation rate and
    padding mode, one entry per axis.

    >>> Window((3, 3), (2, 2), "VALID").describe(), Window((1, 3, 3), (1, 2, 2)).describe()
    ('VALID 3x3 stride 2', 'SAME 1x3x3 stride 1x2x2')
    """

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: str = "SAME"
    rate: tuple[int, ...] = (1, 1)

    @property
    def rates(self) -> tuple[int, ...]:
        """The rate per axis (a default ``(1, 1)`` stretched to the window's axes)."""
        return self.rate if len(self.rate) == len(self.kernel) else (1,) * len(self.kernel)

    def describe(self) -> str:
        """e.g. ``VALID 3x3 stride 2``."""
        text = f"{self.padding} {dims_text(self.kernel)}"
        if any(s != 1 for s in self.stride):
            text += f" stride {_tuple_text(self.stride)}"
        if any(r != 1 for r in self.rates):
            text += f" rate {_tuple_text(self.rates)}"
        return text


def dims_text(dims: tuple[Dim, ...]) -> str:
    """Sizes joined by ``x`` (``?`` for unknown ones): ``7x7``, ``4x?x9``.

    >>> dims_text((4, None, 9))
    '4x?x9'
    """
    return "x".join(format_dim(d) for d in dims)


def _tuple_text(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(set(values)) == 1 else dims_text(values)


def expand(value: int | tuple[int, ...], n: int, what: str) -> tuple[int, ...]:
    """An int, or a list of ``n`` ints, as ``n`` values (TF-Slim's ``n_positive_integers``).

    >>> expand(3, 3, "kernel_size"), expand((1, 3), 2, "stride")
    ((3, 3, 3), (1, 3))
    >>> expand((3, 3), 3, "kernel_size")
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: kernel_size [3, 3] has 2 values, but the input has 3 \
spatial dimensions: give an int or a list of 3 ints
    """
    if isinstance(value, int):
        return (value,) * n
    if len(value) != n:
        raise ShapeError(f"{what} [{', '.join(map(str, value))}] has {len(value)} value"
                         f"{'s' if len(value) != 1 else ''}, but the input has {n} spatial "
                         f"dimension{'s' if n != 1 else ''}: give an int or a list of {n} ints")
    return tuple(value)


#: The layout of a channels-last input by rank, for messages.
LAYOUTS = {3: "[N, W, C]", 4: "[N, H, W, C]", 5: "[N, T, H, W, C]"}


def window_output(shape: Shape, window: Window, channels: Dim, *, explicit_pad: bool = False
                  ) -> Shape:
    """Apply a window over the spatial axes of a channels-last shape (rank = axes + 2),
    producing ``[N, spatial..., channels]``.

    >>> window_output((None, 224, 224, 3), Window((7, 7), (2, 2)), 64)
    (None, 112, 112, 64)
    >>> window_output((None, 8, 28, 28, 3), Window((3, 7, 7), (2, 2, 2), "VALID"), 64)
    (None, 3, 11, 11, 64)
    >>> window_output((5, 2, 2, 3), Window((3, 3), (1, 1), "VALID"), 8)
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: VALID 3x3 on 2x2: floor((2-3)/1)+1 = 0
    >>> window_output((5, 1, None, 3), Window((2, 4), (1, 1), "VALID", (1, 2)), 8)
    (5, 0, None, 8)
    """
    n = len(window.kernel)
    require_rank(shape, n + 2)
    spatial = shape[1:-1]
    out: list[Dim] = []
    rates = window.rates
    for axis, (d, r) in enumerate(zip(spatial, rates), 1) if 0 in spatial else ():
        if d == 0 and r > 1 and (window.padding == "SAME" or explicit_pad):
            raise ShapeError(f"rate {r} on dimension {axis} of size 0: TensorFlow's atrous "
                             f"convolution pads the empty dimension to less than the kernel")
    # An atrous VALID convolution goes through space_to_batch; with a spatial dimension
    # unknown, TF's static shapes then check only that no extent is negative (0 passes).
    lenient = (window.padding == "VALID" and not explicit_pad and None in spatial
               and any(r != 1 for r in rates))
    try:
        for d, k, s, r in zip(spatial, window.kernel, window.stride, rates):
            out.append(conv2d_same_output_dim(d, k, s, r) if explicit_pad
                       else conv_output_dim(d, k, s, window.padding, r, lenient))
    except ShapeError:
        raise ShapeError(_window_failure(shape, window)) from None
    return (shape[0], *out, channels)


def _window_failure(shape: Shape, window: Window) -> str:
    """The message for a window that does not fit, showing every axis' arithmetic."""
    spatial = shape[1:-1]
    effective = tuple(effective_kernel(k, r) for k, r in zip(window.kernel, window.rates))
    steps = list(zip(spatial, effective, window.stride))
    outs = [(d - e) // s + 1 if d is not None else None for d, e, s in steps]
    if len(set(steps)) == 1:
        d, e, s = steps[0]
        arith = f"floor(({format_dim(d)}-{e})/{s})+1 = {format_dim(outs[0])}"
    else:
        arith = " by ".join(f"floor(({format_dim(d)}-{e})/{s})+1 = {format_dim(o)}"
                            for (d, e, s), o in zip(steps, outs))
    dilated = f" (dilated to {dims_text(effective)})" if any(r != 1 for r in window.rates) \
        else ""
    stride = f" stride {_tuple_text(window.stride)}" if any(s != 1 for s in window.stride) \
        else ""
    return (f"{window.padding} {dims_text(window.kernel)}{dilated}{stride} on "
            f"{dims_text(spatial)}: {arith}")


def transpose_output(shape: Shape, window: Window, channels: Dim) -> Shape:
    """``conv2d_transpose`` / ``conv3d_transpose`` on a channels-last shape.

    >>> transpose_output((None, 7, 7, 3), Window((3, 3), (2, 2), "VALID"), 8)
    (None, 15, 15, 8)
    >>> transpose_output((2, 4, 8, 8, 3), Window((2, 4, 4), (1, 2, 2), "VALID"), 5)
    (2, 5, 18, 18, 5)
    """
    require_rank(shape, len(window.kernel) + 2)
    return (shape[0], *(transpose_output_dim(d, k, s, window.padding) for d, k, s in
                        zip(shape[1:-1], window.kernel, window.stride)), channels)


def require_rank(shape: Shape, *ranks: int) -> None:
    """Raise unless ``len(shape)`` is one of ``ranks``.

    >>> require_rank((None, 10), 4)
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: expected a rank-4 tensor [N, H, W, C], got rank 2 [?, 10]
    >>> require_rank((None, 8, 8, 3), 5)
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: expected a rank-5 tensor [N, T, H, W, C], got rank 4 \
[?, 8, 8, 3]
    """
    if len(shape) not in ranks:
        wanted = " or ".join(f"rank-{r}" for r in ranks)
        hint = f" {LAYOUTS[ranks[0]]}" if len(ranks) == 1 and ranks[0] in LAYOUTS else ""
        raise ShapeError(f"expected a {wanted} tensor{hint}, got rank {len(shape)} "
                         f"{format_shape(shape)}")


def size(shape: Shape) -> Dim:
    """Elements per example: the product of the non-batch dimensions (None if one is unknown).

    >>> size((None, 7, 7, 64)), size((None, None, 3)) is None
    (3136, True)
    """
    total = 1
    for d in shape[1:]:
        if d is None:
            return None
        total *= d
    return total


def in_channels(shape: Shape, rank: int = 4) -> int:
    """The channels of a channels-last input of ``rank``, which must be known.

    >>> in_channels((None, 28, 28, 3)), in_channels((None, 8, 28, 28, 5), 5)
    (3, 5)
    """
    require_rank(shape, rank)
    if not isinstance(shape[-1], int):  # weights are sized by it
        raise ShapeError("the number of input channels must be known, got "
                         f"{format_shape(shape)}")
    return shape[-1]


def require_depth(shape: Shape, what: str) -> None:
    """TensorFlow's convolutions and pools refuse an input with 0 channels.

    >>> require_depth((None, 5, 5, 0), "pooling")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: pooling of a tensor with 0 channels [?, 5, 5, 0]: ...
    """
    if len(shape) == 4 and shape[3] == 0:
        raise ShapeError(f"{what} of a tensor with 0 channels {format_shape(shape)}: "
                         f"TensorFlow refuses a depth of 0")


def flatten(shape: Shape) -> Shape:
    """``[N, ...] -> [N, prod(...)]``; unknown if any non-batch dimension is unknown.

    A rank-1 ``[N]`` becomes ``[N, 1]``, as tf_slim's flatten (Keras' Flatten) does.

    >>> flatten((None, 7, 7, 64))
    (None, 3136)
    >>> flatten((5,))
    (5, 1)
    """
    if len(shape) < 1:
        raise ShapeError(f"flatten needs rank >= 1, got rank 0 {format_shape(shape)}")
    total: Dim = 1
    for d in shape[1:]:
        total = None if d is None or total is None else total * d
    return (shape[0], total)


def dense(shape: Shape, units: int) -> Shape:
    """``fully_connected``: applied to the LAST dimension only (tensordot), as tf_slim does.

    >>> dense((None, 7, 7, 64), 10)
    (None, 7, 7, 10)
    """
    if len(shape) < 2:
        raise ShapeError(f"fully_connected needs rank >= 2, got rank {len(shape)} "
                         f"{format_shape(shape)}")
    if not isinstance(shape[-1], int):  # weights are sized by it
        raise ShapeError(f"fully_connected needs a known last dimension, got "
                         f"{format_shape(shape)}")
    return shape[:-1] + (units,)


def normalize_axis(axis: int, rank: int) -> int:
    """A possibly negative axis as an index in ``range(rank)``.

    >>> normalize_axis(-1, 4)
    3
    """
    if not -rank <= axis < rank:
        raise ShapeError(f"axis {axis} is out of range for rank {rank} "
                         f"(valid: {-rank} .. {rank - 1})")
    return axis % rank


def concat(shapes: list[Shape], axis: int) -> Shape:
    """``tf.concat``: equal ranks, equal dimensions except ``axis``, which adds up.

    >>> concat([(None, 28, 28, 64), (None, 28, 28, 128)], 3)
    (None, 28, 28, 192)
    >>> concat([(None, 28, 28, 64), (None, 27, 27, 128)], 3)
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: dimension 1 differs: input 0 has 28, input 1 has 27
    """
    if not shapes:
        raise ShapeError("concat needs at least one tensor")
    if len(shapes) == 1:  # tf.concat returns a lone tensor as is, without checking the axis
        return shapes[0]
    rank = len(shapes[0])
    for i, s in enumerate(shapes[1:], 1):
        if len(s) != rank:
            raise ShapeError(f"ranks differ: input 0 has rank {rank} {format_shape(shapes[0])}, "
                             f"input {i} has rank {len(s)} {format_shape(s)}")
    ax = normalize_axis(axis, rank)
    out: list[Dim] = []
    for d in range(rank):
        dims = [s[d] for s in shapes]
        if d == ax:
            if any(isinstance(x, Expr) for x in dims):
                out.append(symtf.concat_dim(dims))
            else:
                out.append(None if any(x is None for x in dims) else sum(dims))  # type: ignore
        else:
            out.append(_merge_dims(dims, d))
    return tuple(out)


def _merge_dims(dims: list[Dim], axis: int) -> Dim:
    if any(isinstance(x, Expr) for x in dims):  # equal sizes become a constraint
        merged = symtf.merge_dims(dims, axis)
        require(symtf.equal_requires(dims), f"dimension {axis} of its inputs")
        return simplest([x for x in dims if x is not None]) if isinstance(merged, Expr) \
            else merged
    known = [(i, x) for i, x in enumerate(dims) if x is not None]
    for i, x in known[1:]:
        if x != known[0][1]:
            raise ShapeError(f"dimension {axis} differs: input {known[0][0]} has {known[0][1]}, "
                             f"input {i} has {x}")
    return known[0][1] if known else None


def broadcast(a: Shape, b: Shape, verb: str = "add") -> Shape:
    """TensorFlow's broadcasting of element-wise ops (numpy's rules, aligned from the right):
    per dimension equal sizes, or a 1 that stretches; an unknown ``?`` meets a 1 as ``?`` and a
    known size ``k > 1`` as ``k``.

    >>> broadcast((None, 7, 7, 256), (None, 1, 1, 256))
    (None, 7, 7, 256)
    >>> broadcast((7, 256), (7, 128))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: cannot add [7, 256] and [7, 128]: dimension 1 is 256 ...
    >>> broadcast((7, 256), (5, 1, 128), "multiply")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: cannot multiply [7, 256] and [5, 1, 128]: aligned ...
    """
    rank = max(len(a), len(b))
    pa = (1,) * (rank - len(a)) + tuple(a)
    pb = (1,) * (rank - len(b)) + tuple(b)
    out: list[Dim] = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        elif x == y:
            out.append(x)
        elif isinstance(x, Expr) or isinstance(y, Expr):  # equal sizes become a constraint
            out.append(y if isinstance(y, int) else x if isinstance(x, int) else simplest([x, y]))
            require([eq(x, y)], f"dimension {i} of its inputs")
        else:
            aligned = "" if len(a) == len(b) else \
                f"aligned from the right as {format_shape(pa)} and {format_shape(pb)}, "
            raise ShapeError(f"cannot {verb} {format_shape(a)} and {format_shape(b)}: {aligned}"
                             f"dimension {i} is {x} vs {y} (sizes must be equal, or one of "
                             f"them 1)")
    return tuple(out)


def squeeze(shape: Shape, axes: list[int] | None) -> Shape:
    """``tf.squeeze``: remove the listed size-1 axes (none or ``[]``: every size-1 axis).

    Without axes every dimension must be known: TF cannot tell whether an unknown one is 1, so
    the result's rank would be unknown (and a batch of 1 would lose its batch axis).

    >>> squeeze((None, 1, 1, 1000), [1, 2])
    (None, 1000)
    >>> squeeze((5, 1, 7, 1), [])
    (5, 7)
    >>> squeeze((None, 2, 2, 1000), [1, 2])
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: cannot squeeze axis 1 of [?, 2, 2, 1000]: its size is 2, not 1
    >>> squeeze((None, 1, 7), None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: squeeze without axis on [?, 1, 7]: dimension 0 is unknown, ...
    """
    rank = len(shape)
    if not axes:
        unknown = [i for i, d in enumerate(shape) if not isinstance(d, int)]
        if unknown:
            ones = [i for i, d in enumerate(shape) if d == 1]
            example = f"axis={ones}" if ones else "axis=[1, 2]"
            raise ShapeError(f"squeeze without axis on {format_shape(shape)}: dimension "
                             f"{unknown[0]} is unknown, so the result's rank is unknown "
                             f"(give the axes, e.g. {example})")
        return tuple(d for d in shape if d != 1)
    norm = {normalize_axis(a, rank) for a in axes}
    for a in sorted(norm):
        if shape[a] is not None and shape[a] != 1:
            raise ShapeError(f"cannot squeeze axis {a} of {format_shape(shape)}: "
                             f"its size is {shape[a]}, not 1")
    return tuple(d for i, d in enumerate(shape) if i not in norm)


def reduce(shape: Shape, axes: list[int] | None, keepdims: bool) -> Shape:
    """``tf.reduce_mean`` and friends.

    >>> reduce((None, 7, 7, 2048), [1, 2], True)
    (None, 1, 1, 2048)
    >>> reduce((None, 7, 7, 2048), [1, 2], False)
    (None, 2048)
    """
    rank = len(shape)
    norm = set(range(rank)) if axes is None else {normalize_axis(a, rank) for a in axes}
    if keepdims:
        return tuple(1 if i in norm else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in norm)


def matches(actual: Shape, expected: tuple[Dim, ...]) -> bool:
    """Does ``actual`` satisfy a pattern where ``None`` (``?``) matches any dimension?

    >>> matches((None, 7, 7, 512), (None, 7, 7, 512)), matches((5, 7, 7, 512), (None, 7, 7, 1))
    (True, False)
    """
    return len(actual) == len(expected) and all(
        e is None or a == e for a, e in zip(actual, expected))
