"""Static shape arithmetic of TensorFlow's array ops: reshape, expand_dims, tile, split,
transpose, strided slicing, pad modes, resize, depth_to_space / space_to_depth.

Pure functions over ``int | None`` shapes, like :mod:`.shapes` (whose conventions they share:
``None`` is an unknown dimension; a :class:`~.shapes.ShapeError` message shows the arithmetic).
They were checked against TensorFlow 2.21 (``tests/layers/test_ops_tf.py``). Where TensorFlow
builds a graph that can only fail when it runs (a REFLECT pad as wide as the dimension, two -1
in a reshape, a negative tile multiple, a repeated transpose axis), these rules raise at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..symbolic.analysis import max_, min_
from ..symbolic.constraints import ge
from ..symbolic.expr import Expr, Undecidable
from .shapes import Dim, Shape, ShapeError, format_dim, format_shape, normalize_axis
from .size_constraints import require, symtf


def _count(shape: Shape) -> int | None:
    """Elements of the whole shape (batch included); None if a dimension is unknown."""
    return None if any(d is None for d in shape) else math.prod(shape)  # type: ignore[arg-type]


def reshape(shape: Shape, target: Sequence[int]) -> Shape:
    """``tf.reshape(x, target)``: at most one -1 (inferred); 0 is a real size.

    >>> reshape((None, 7, 7, 64), [-1, 3136])
    (None, 3136)
    >>> reshape((2, 7, 7, 64), [-1, 3136])
    (2, 3136)
    >>> reshape((2, 7, 7, 64), [-1, 100])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: cannot reshape [2, 7, 7, 64] (2*7*7*64 = 6272 ...
    >>> reshape((2, 6), [5, 3])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: cannot reshape [2, 6] (2*6 = 12 elements) to [5, 3] ...
    """
    target = list(target)
    shown = "[" + ", ".join(str(t) for t in target) + "]"
    if target.count(-1) > 1:
        raise ShapeError(f"reshape to {shown}: only one dimension can be -1 (inferred)")
    known = math.prod(t for t in target if t != -1)
    total = _count(shape)
    if total is None:
        unknown = sum(d is None for d in shape)
        part = math.prod(d for d in shape if d is not None)
        if -1 not in target and unknown == 1 and part and known % part:
            raise ShapeError(f"cannot reshape {format_shape(shape)} to {shown} ({known} "
                             f"elements): {known} is not a multiple of the known "
                             f"{_product(shape)} = {part}")
        return tuple(None if t == -1 else t for t in target)
    have = f"{format_shape(shape)} ({_product(shape)} = {total} elements)"
    if -1 not in target:
        if known != total:
            raise ShapeError(f"cannot reshape {have} to {shown} ({_product(target)} = {known} "
                             f"elements)")
        return tuple(target)
    if known == 0:
        if total == 0:
            return tuple(None if t == -1 else t for t in target)
        raise ShapeError(f"cannot reshape {have} to {shown}: the other sizes make 0 elements")
    if total % known:
        raise ShapeError(f"cannot reshape {have} to {shown}: {total} is not a multiple of "
                         f"{known}")
    return tuple(total // known if t == -1 else t for t in target)


def _product(dims: Sequence[Dim]) -> str:
    known = [str(d) for d in dims if d is not None and d != -1]
    return "*".join(known) or "1"


def expand_dims(shape: Shape, axis: int) -> Shape:
    """``tf.expand_dims``: a 1 inserted at ``axis`` in ``[-(rank+1), rank]``.

    >>> expand_dims((None, 64), 1), expand_dims((None, 64), -1)
    ((None, 1, 64), (None, 64, 1))
    >>> expand_dims((None, 64), 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: axis 3 is out of range for expand_dims on rank 2 ...
    """
    r = len(shape)
    if not -r - 1 <= axis <= r:
        raise ShapeError(f"axis {axis} is out of range for expand_dims on rank {r} "
                         f"(valid: {-r - 1} .. {r})")
    a = axis + r + 1 if axis < 0 else axis
    return tuple(shape[:a]) + (1,) + tuple(shape[a:])


def tile(shape: Shape, multiples: Sequence[int]) -> Shape:
    """``tf.tile``: one multiple per dimension; an unknown dimension stays unknown.

    >>> tile((None, 1, 1, 3), [1, 7, 7, 1])
    (None, 7, 7, 3)
    >>> tile((2, 3), [1, 2, 3])
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: tile has 3 multiples but the input [2, 3] has rank 2
    """
    if len(multiples) != len(shape):
        raise ShapeError(f"tile has {len(multiples)} multiples but the input "
                         f"{format_shape(shape)} has rank {len(shape)}")
    return tuple(0 if m == 0 else None if d is None else d * m
                 for d, m in zip(shape, multiples))


def split(shape: Shape, pieces: int | Sequence[int], axis: int) -> list[Shape]:
    """``tf.split``: ``pieces`` equal parts, or parts of the listed sizes (one may be -1).

    >>> split((None, 7, 7, 64), 2, 3)
    [(None, 7, 7, 32), (None, 7, 7, 32)]
    >>> split((None, 7, 7, 64), [16, -1], -1)
    [(None, 7, 7, 16), (None, 7, 7, 48)]
    >>> split((None, 7, 7, 4), 3, 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: cannot split dimension 3 of [?, 7, 7, 4] into 3 equal ...
    """
    a = normalize_axis(axis, len(shape))
    d = shape[a]
    where = f"dimension {a} of {format_shape(shape)}"
    if isinstance(pieces, int):
        if d is not None and d % pieces:
            raise ShapeError(f"cannot split {where} into {pieces} equal pieces: "
                             f"{d} % {pieces} = {d % pieces}")
        sizes: list[Dim] = [None if d is None else d // pieces] * pieces
    else:
        sizes = list(pieces)
        shown = "[" + ", ".join(str(s) for s in pieces) + "]"
        if sizes.count(-1) > 1:
            raise ShapeError(f"split sizes {shown}: only one size can be -1 (inferred)")
        rest = sum(s for s in pieces if s != -1)
        if d is None:
            sizes = [None if s == -1 else s for s in pieces]
        elif -1 in pieces:
            if rest > d:
                raise ShapeError(f"cannot split {where} into {shown}: the sizes given add up "
                                 f"to {rest} > {d}")
            sizes = [d - rest if s == -1 else s for s in pieces]
        elif rest != d:
            raise ShapeError(f"cannot split {where} into {shown}: "
                             f"{' + '.join(str(s) for s in pieces)} = {rest}, not {d}")
    return [tuple(s if i == a else x for i, x in enumerate(shape)) for s in sizes]


def transpose(shape: Shape, perm: Sequence[int] | None) -> Shape:
    """``tf.transpose``: the dimensions in the order ``perm`` (default: reversed).

    >>> transpose((None, 7, 5, 3), [0, 3, 1, 2])
    (None, 3, 7, 5)
    >>> transpose((2, 7, 5), [0, 1, 1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: perm [0, 1, 1] is not a permutation of 0 .. 2: axis 1 ...
    """
    r = len(shape)
    perm = list(range(r))[::-1] if perm is None else list(perm)
    shown = "[" + ", ".join(str(p) for p in perm) + "]"
    if len(perm) != r:
        raise ShapeError(f"perm {shown} has {len(perm)} entries but the input "
                         f"{format_shape(shape)} has rank {r}")
    norm = [normalize_axis(p, r) for p in perm]
    for p in norm:
        if norm.count(p) > 1:
            raise ShapeError(f"perm {shown} is not a permutation of 0 .. {r - 1}: axis {p} "
                             f"appears twice")
    return tuple(shape[p] for p in norm)


def reduce_axes(shape: Shape, axes: Sequence[int] | None, keepdims: bool) -> Shape:
    """``tf.reduce_mean`` / ``reduce_max`` / ``reduce_sum``; a repeated axis is an error (TF
    builds it and fails when it runs).

    >>> reduce_axes((None, 7, 7, 2048), [1, 2], True)
    (None, 1, 1, 2048)
    >>> reduce_axes((None, 7, 7, 2048), [1, -3], False)
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: axes [1, -3] reduce dimension 1 twice
    """
    rank = len(shape)
    norm = list(range(rank)) if axes is None else [normalize_axis(a, rank) for a in axes]
    for a in norm:
        if norm.count(a) > 1:
            raise ShapeError(f"axes {list(axes or [])} reduce dimension {a} twice")
    if keepdims:
        return tuple(1 if i in norm else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in norm)


def pad(shape: Shape, paddings: Sequence[Sequence[int]], mode: str = "CONSTANT") -> Shape:
    """``tf.pad``: ``before + d + after`` per dimension; REFLECT needs each pad < d (it mirrors
    around the edge element), SYMMETRIC each pad <= d (it repeats the edge).

    >>> pad((None, 7, 7, 3), [[0, 0], [3, 3], [3, 3], [0, 0]], "REFLECT")
    (None, 13, 13, 3)
    >>> pad((None, 3, 7, 3), [[0, 0], [3, 3], [0, 0], [0, 0]], "REFLECT")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: REFLECT pad [3, 3] on dimension 1 of size 3: each pad ...
    """
    if not paddings:  # tf.pad reads [] as a tensor of shape [0], not [0, 2], and rejects it
        raise ShapeError("paddings is empty: tf.pad cannot pad a scalar")
    if len(paddings) != len(shape):
        raise ShapeError(f"paddings has {len(paddings)} pairs but the input "
                         f"{format_shape(shape)} has rank {len(shape)}")
    for i, (d, (before, after)) in enumerate(zip(shape, paddings)):
        if d is None:
            continue
        if isinstance(d, Expr):
            _mirror_requires(d, max(before, after), mode)
            continue
        if mode == "REFLECT" and max(before, after) >= d:
            raise ShapeError(f"REFLECT pad [{before}, {after}] on dimension {i} of size {d}: "
                             f"each pad must be < {d} (it mirrors the {d} - 1 = {d - 1} "
                             f"elements after the edge)")
        if mode == "SYMMETRIC" and max(before, after) > d:
            raise ShapeError(f"SYMMETRIC pad [{before}, {after}] on dimension {i} of size {d}: "
                             f"each pad must be <= {d} (it mirrors the {d} elements)")
    return tuple(None if d is None else d + p[0] + p[1] for d, p in zip(shape, paddings))


def _mirror_requires(d: Expr, most: int, mode: str) -> None:
    """What a REFLECT (each pad < the size) or SYMMETRIC (<=) pad needs of a named size.

    >>> from slimdsl.symbolic import sym
    >>> from slimdsl.layers.size_constraints import collecting
    >>> with collecting() as found:
    ...     out = pad((None, sym("H"), 7, 3), [[0, 0], [3, 3], [0, 0], [0, 0]], "REFLECT")
    >>> format_shape(out)
    '[?, H + 6, 7, 3]'
    >>> [(str(c), c.origin) for c in found]
    [('H >= 4', 'a REFLECT pad of 3 on H: each pad < the size')]
    """
    if mode == "REFLECT" and most > 0:
        require([ge(d, most + 1)], f"a REFLECT pad of {most} on {format_dim(d)}: "
                                   f"each pad < the size")
    elif mode == "SYMMETRIC" and most > 0:
        require([ge(d, most)], f"a SYMMETRIC pad of {most} on {format_dim(d)}: "
                               f"each pad <= the size")


def resize(shape: Shape, size: Sequence[int]) -> Shape:
    """``tf.compat.v1.image.resize_bilinear`` / ``resize_nearest_neighbor``: NHWC to
    ``[N, size[0], size[1], C]``.

    >>> resize((None, 8, 8, 3), [16, 16])
    (None, 16, 16, 3)
    """
    if len(shape) != 4:
        raise ShapeError(f"expected a rank-4 tensor [N, H, W, C], got rank {len(shape)} "
                         f"{format_shape(shape)}")
    return (shape[0], size[0], size[1], shape[3])


def depth_to_space(shape: Shape, block: int) -> Shape:
    """``tf.nn.depth_to_space``: ``[N, H*b, W*b, C/(b*b)]``.

    >>> depth_to_space((None, 4, 4, 16), 2)
    (None, 8, 8, 4)
    >>> depth_to_space((None, 4, 4, 6), 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: depth_to_space with block_size 2 needs channels ...
    """
    _check_block(shape, block)
    n, h, w, c = shape
    if c is not None and c % (block * block):
        raise ShapeError(f"depth_to_space with block_size {block} needs channels divisible by "
                         f"{block}*{block} = {block * block}: {c} % {block * block} = "
                         f"{c % (block * block)}")
    return (n, _times(h, block), _times(w, block), None if c is None else c // (block * block))


def space_to_depth(shape: Shape, block: int) -> Shape:
    """``tf.nn.space_to_depth``: ``[N, H/b, W/b, C*b*b]``.

    >>> space_to_depth((None, 8, 8, 3), 2)
    (None, 4, 4, 12)
    >>> space_to_depth((None, 7, 8, 3), 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: space_to_depth with block_size 2 needs H and W ...
    """
    _check_block(shape, block)
    n, h, w, c = shape
    for i, d in ((1, h), (2, w)):
        if d is not None and d % block:
            raise ShapeError(f"space_to_depth with block_size {block} needs H and W divisible "
                             f"by {block}: dimension {i} is {d}, {d} % {block} = {d % block}")
    return (n, None if h is None else h // block, None if w is None else w // block,
            _times(c, block * block))


def _check_block(shape: Shape, block: int) -> None:
    if len(shape) != 4:
        raise ShapeError(f"expected a rank-4 tensor [N, H, W, C], got rank {len(shape)} "
                         f"{format_shape(shape)}")
    if block < 2:
        raise ShapeError(f"block_size must be at least 2, got {block}")


def _times(d: Dim, k: int) -> Dim:
    return None if d is None else d * k


#: One subscript of ``x[...]``: ``("index", i)``, ``("slice", start, stop, step)`` (None for
#: an omitted bound), ``("newaxis",)`` (``none``) or ``("ellipsis",)`` (``...``).
Subscript = tuple


def strided_slice(shape: Shape, subscripts: Sequence[Subscript]) -> Shape:
    """``x[...]`` (``tf.strided_slice``): Python's slice rules per dimension, an index drops
    its dimension, ``none`` inserts one of size 1, ``...`` stands for the dimensions not
    written; unknown dimensions stay unknown (an index on one is not checked).

    >>> strided_slice((None, 8, 8, 3), [("slice", None, None, None), ("slice", 1, None, None),
    ...                                 ("slice", 1, None, None)])
    (None, 7, 7, 3)
    >>> strided_slice((2, 7, 7, 3), [("ellipsis",), ("index", -1)])
    (2, 7, 7)
    >>> strided_slice((2, 7, 7, 3), [("ellipsis",), ("index", 5)])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: index 5 is out of range for dimension 3 of size 3 ...
    """
    items = list(subscripts)
    if not shape and not any(s[0] == "ellipsis" for s in items) and any(
            s[0] in ("index", "slice") for s in items):
        raise ShapeError("cannot slice a scalar []")
    if sum(s[0] == "ellipsis" for s in items) > 1:
        raise ShapeError("a subscript can hold only one '...'")
    consuming = sum(s[0] in ("index", "slice") for s in items)
    if consuming > len(shape):
        raise ShapeError(f"{consuming} subscripts for the rank-{len(shape)} tensor "
                         f"{format_shape(shape)}")
    if not any(s[0] == "ellipsis" for s in items):
        items.append(("ellipsis",))
    out: list[Dim] = []
    dim = 0
    for s in items:
        if s[0] == "newaxis":
            out.append(1)
        elif s[0] == "ellipsis":
            for _ in range(len(shape) - consuming):
                out.append(shape[dim])
                dim += 1
        elif s[0] == "index":
            d, i = shape[dim], s[1]
            if d is not None and not -d <= i < d:
                raise ShapeError(f"index {i} is out of range for dimension {dim} of size {d} "
                                 f"(valid: {-d} .. {d - 1})")
            dim += 1
        else:
            out.append(slice_length(shape[dim], s[1], s[2], s[3]))
            dim += 1
    return tuple(out)


def slice_length(d: Dim, start: int | None, stop: int | None, step: int | None) -> Dim:
    """Elements of ``start:stop:step`` on a dimension of size ``d`` (Python's rule).

    >>> slice_length(8, 1, None, None), slice_length(7, None, None, 2), slice_length(7, 9, None, 1)
    (7, 4, 0)
    >>> slice_length(None, None, None, None) is None
    True
    """
    if step == 0:
        raise ShapeError("a slice step cannot be 0")
    if d is None:
        return None
    if isinstance(d, Expr):
        return _symbolic_slice_length(d, start, stop, step)
    return len(range(*slice(start, stop, step).indices(d)))


def _symbolic_slice_length(d: Expr, start: int | None, stop: int | None,
                           step: int | None) -> Dim:
    """``start:stop`` (step 1) on a named size, clamped to it as TensorFlow clamps: a formula
    where the clamping is decided for every size (``1:`` is ``H - 1``), unknown where it
    depends on the size (``0:10`` is ``min(H, 10)``, which TF's static shape does not know
    either), and unknown for another step. A slice never makes a size invalid: it records no
    requirement.

    >>> from slimdsl.symbolic import sym
    >>> from slimdsl.layers.size_constraints import collecting
    >>> with collecting() as found:
    ...     dims = [slice_length(sym("H"), a, b, None)
    ...             for a, b in [(1, None), (None, None), (0, 10), (-2, None), (2, 5)]]
    >>> [None if x is None else format_dim(x) for x in dims], found
    (['H - 1', 'H', None, None, None], [])
    """
    if step not in (None, 1):
        return None
    try:
        first = 0 if start is None else min_(start, d) if start >= 0 else max_(d + start, 0)
        end = d if stop is None else min_(stop, d) if stop >= 0 else max_(d + stop, 0)
        length = max_(end - first, 0)
    except Undecidable:
        return None
    return symtf.to_dim(length)


def format_subscripts(subscripts: Sequence[Subscript]) -> str:
    """Subscripts as .slim writes them (``:, 1:, ::2, 0, none, ...``).

    >>> format_subscripts([("slice", None, None, None), ("slice", 1, None, 2), ("index", -1),
    ...                    ("newaxis",), ("ellipsis",)])
    ':, 1::2, -1, none, ...'
    """
    parts = []
    for s in subscripts:
        if s[0] == "index":
            parts.append(str(s[1]))
        elif s[0] == "newaxis":
            parts.append("none")
        elif s[0] == "ellipsis":
            parts.append("...")
        else:
            text = ("" if s[1] is None else str(s[1])) + ":" + ("" if s[2] is None else str(s[2]))
            if s[3] is not None:
                text += f":{s[3]}"
            parts.append(text)
    return ", ".join(parts)


__all__ = ["depth_to_space", "expand_dims", "format_subscripts", "pad",
           "reduce_axes", "reshape", "resize", "slice_length", "space_to_depth", "split",
           "strided_slice", "tile", "transpose"]
