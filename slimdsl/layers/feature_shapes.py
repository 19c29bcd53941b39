"""Shape rules of the layers that work per feature rather than over a sliding window: the
normalizers (instance, layer and group norm), maxout, spatial_softmax, ``pool``'s own checks
and the image/sequence reshapes.

Pure functions over ``int | None`` like :mod:`.shapes`, each raising :class:`~.shapes.ShapeError`
with the numbers that went wrong. Where TensorFlow builds a graph that can only fail when run
(a duplicated reduction axis, group_norm's default axes on a rank-2 input), the rule reports
the error statically. Verified against tf_slim 1.1.0 on TensorFlow 2.21
(``tests/layers/test_shapes_tf_more.py``).
"""

from __future__ import annotations

from .shapes import Dim, Shape, ShapeError, dims_text, format_shape


def _axis(axis: int, rank: int, what: str) -> int:
    """``axis`` as an index in ``range(rank)`` (negative counts from the end).

    >>> _axis(-1, 4, "channels_axis")
    3
    >>> _axis(4, 4, "channels_axis")
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: channels_axis 4 is out of range for rank 4 (valid: -4 .. 3)
    """
    if not -rank <= axis < rank:
        raise ShapeError(f"{what} {axis} is out of range for rank {rank} "
                         f"(valid: {-rank} .. {rank - 1})")
    return axis % rank


def _known_channels(shape: Shape, axis: int, layer: str) -> int:
    channels = shape[axis]
    if channels is None:
        raise ShapeError(f"{layer} needs a known channel dimension (axis {axis}), got "
                         f"{format_shape(shape)}")
    return channels


def instance_norm(shape: Shape) -> int:
    """``slim.instance_norm`` (NHWC: channels last, any rank >= 2): the channels.

    Moments are taken per example and channel over every other axis, so a rank-2 ``[N, C]``
    input has nothing to average (its output is beta).

    >>> instance_norm((None, 8, 8, 4)), instance_norm((2, 4, 8, 8, 16))
    (4, 16)
    >>> instance_norm((5,))
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: instance_norm needs rank >= 2 [N, ..., C], got rank 1 [5]
    """
    if len(shape) < 2:
        raise ShapeError(f"instance_norm needs rank >= 2 [N, ..., C], got rank {len(shape)} "
                         f"{format_shape(shape)}")
    return _known_channels(shape, len(shape) - 1, "instance_norm")


def layer_norm_params(shape: Shape, begin_norm_axis: int, begin_params_axis: int
                      ) -> tuple[int, ...]:
    """``slim.layer_norm``: the shape of beta and gamma, ``shape[begin_params_axis:]``.

    Moments run over axes ``begin_norm_axis .. rank-1``; both axes must be < rank, and the
    parameters' dimensions known. A ``begin_params_axis`` below ``-rank`` takes the whole
    shape, as Python's slicing (and TF-Slim) does.

    >>> layer_norm_params((None, 8, 8, 4), 1, -1), layer_norm_params((2, 8, 8, 4), 1, 1)
    ((4,), (8, 8, 4))
    >>> layer_norm_params((None, 8, 8, 4), 4, -1)
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: begin_norm_axis 4 is out of range for rank 4 \
(valid: -4 .. 3)
    >>> layer_norm_params((None, None, 8, 4), 1, 1)
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: layer_norm's beta and gamma take shape[1:] = [?, 8, 4] \
of [?, ?, 8, 4], which must be known
    """
    rank = len(shape)
    _axis(begin_norm_axis, rank, "begin_norm_axis")
    if begin_params_axis >= rank:
        raise ShapeError(f"begin_params_axis {begin_params_axis} must be < the rank {rank} of "
                         f"{format_shape(shape)}")
    params = shape[begin_params_axis:]
    if any(d is None for d in params):
        raise ShapeError(f"layer_norm's beta and gamma take shape[{begin_params_axis}:] = "
                         f"{format_shape(params)} of {format_shape(shape)}, which must be known")
    return params  # type: ignore[return-value]


def group_norm(shape: Shape, groups: int, channels_axis: int, reduction_axes: list[int]
               ) -> int:
    """``slim.group_norm``: check the grouping and return the channels.

    The channels split into ``groups`` contiguous groups; moments run over each group and the
    ``reduction_axes``, which must be known, distinct and not the channel axis.

    >>> group_norm((None, 8, 8, 64), 32, -1, [-3, -2])
    64
    >>> group_norm((None, 8, 8, 12), 8, -1, [-3, -2])
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: 12 channels do not split into 8 groups: 12 % 8 = 4
    >>> group_norm((None, 8, 8, 16), 32, -1, [-3, -2])
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: 32 groups but only 16 channels (group_norm's default is \
groups=32)
    >>> group_norm((2, 8), 2, -1, [-3, -2])
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: reduction axis -3 is out of range for rank 2 (valid: -2 .. 1)
    """
    rank = len(shape)
    ca = _axis(channels_axis, rank, "channels_axis")
    channels = _known_channels(shape, ca, "group_norm")
    seen: set[int] = set()
    for a in reduction_axes:
        ra = _axis(a, rank, "reduction axis")
        if ra == ca:
            raise ShapeError(f"reduction axis {a} is the channel axis {channels_axis}: they must "
                             f"differ")
        if ra in seen:
            raise ShapeError(f"reduction axis {a} is listed twice in {list(reduction_axes)}")
        seen.add(ra)
        if shape[ra] is None:
            raise ShapeError(f"group_norm reduces over axis {ra}, which must be known, got "
                             f"{format_shape(shape)}")
    if groups > channels:
        hint = " (group_norm's default is groups=32)" if groups == 32 else ""
        raise ShapeError(f"{groups} groups but only {channels} channels{hint}")
    if channels % groups:
        raise ShapeError(f"{channels} channels do not split into {groups} groups: "
                         f"{channels} % {groups} = {channels % groups}")
    return channels


def maxout(shape: Shape, num_units: int, axis: int) -> Shape:
    """``slim.maxout``: ``shape[axis]`` channels become ``num_units`` (the max of each group of
    ``shape[axis] / num_units`` contiguous channels).

    >>> maxout((None, 7, 7, 12), 4, -1)
    (None, 7, 7, 4)
    >>> maxout((None, 10), 3, -1)
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: maxout needs shape[-1] = 10 to be a multiple of \
num_units 3: 10 % 3 = 1
    """
    ax = _axis(axis, len(shape), "axis")
    channels = shape[ax]
    if channels is None:
        raise ShapeError(f"maxout needs a known shape[{axis}], got {format_shape(shape)}")
    if channels % num_units:
        raise ShapeError(f"maxout needs shape[{axis}] = {channels} to be a multiple of "
                         f"num_units {num_units}: {channels} % {num_units} = "
                         f"{channels % num_units}")
    return shape[:ax] + (num_units,) + shape[ax + 1:]


def spatial_softmax(shape: Shape) -> Shape:
    """``slim.spatial_softmax``: ``[N, H, W, C] -> [N, 2C]`` keypoints (x, y per channel).

    The batch dimension stays known only when H and W are (TF reshapes to ``[-1, H*W]``).

    >>> spatial_softmax((2, 8, 6, 3)), spatial_softmax((2, None, 6, 5))
    ((2, 6), (None, 10))
    """
    if len(shape) != 4:
        raise ShapeError(f"spatial_softmax needs a rank-4 tensor [N, H, W, C], got rank "
                         f"{len(shape)} {format_shape(shape)}")
    n, h, w, c = shape
    if c is None:
        raise ShapeError(f"spatial_softmax needs a known channel dimension, got "
                         f"{format_shape(shape)}")
    return (n if h is not None and w is not None else None, 2 * c)


def images_to_sequence(shape: Shape) -> Shape:
    """``slim.images_to_sequence``: ``[N, H, W, C] -> [W, N*H, C]``; W and C must be known.

    >>> images_to_sequence((2, 4, 5, 3)), images_to_sequence((None, 4, 5, 3))
    ((5, 8, 3), (5, None, 3))
    """
    if len(shape) != 4:
        raise ShapeError(f"images_to_sequence needs a rank-4 tensor [N, H, W, C], got rank "
                         f"{len(shape)} {format_shape(shape)}")
    n, h, w, c = shape
    if w is None or c is None:
        raise ShapeError(f"images_to_sequence needs a known width and depth, got "
                         f"{format_shape(shape)}")
    return (w, None if n is None or h is None else n * h, c)


def sequence_to_images(shape: Shape, height: int, channels_first: bool = False) -> Shape:
    """``slim.sequence_to_images``: ``[T, N*height, D] -> [N, height, T, D]`` (channels_first:
    ``[N, D, height, T]``); T and D must be known, N*height divisible by ``height``.

    >>> sequence_to_images((5, 8, 3), 4), sequence_to_images((5, None, 3), 4, True)
    ((2, 4, 5, 3), (None, 3, 4, 5))
    >>> sequence_to_images((5, 7, 3), 4)
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: sequence_to_images: the batch 7 of [5, 7, 3] is not a \
multiple of height 4: 7 % 4 = 3
    """
    if len(shape) != 3:
        raise ShapeError(f"sequence_to_images needs a rank-3 tensor [T, N*height, D], got rank "
                         f"{len(shape)} {format_shape(shape)}")
    t, nb, d = shape
    if t is None or d is None:
        raise ShapeError(f"sequence_to_images needs a known time and depth, got "
                         f"{format_shape(shape)}")
    n: Dim = None
    if nb is not None:
        if nb % height:
            raise ShapeError(f"sequence_to_images: the batch {nb} of {format_shape(shape)} is "
                             f"not a multiple of height {height}: {nb} % {height} = "
                             f"{nb % height}")
        n = nb // height
    return (n, d, height, t) if channels_first else (n, height, t, d)


def pool_window(kernel: tuple[int, ...], stride: tuple[int, ...], rate: tuple[int, ...],
                padding: str) -> None:
    """``slim.pool`` (``tf.nn.pool``)'s own rules: no stride > 1 with rate > 1, no SAME with
    rate > 1, no stride larger than its window.

    >>> pool_window((1, 1), (2, 2), (1, 1), "VALID")
    Traceback (most recent call last):
    ...
    slimdsl.layers.shapes.ShapeError: stride 2x2 is larger than the window 1x1: tf.nn.pool \
does not support that
    """
    dilated = any(r > 1 for r in rate)
    if dilated and any(s > 1 for s in stride):
        raise ShapeError(f"stride {dims_text(stride)} and dilation_rate {dims_text(rate)}: "
                         f"stride > 1 is not supported together with rate > 1")
    if dilated and padding == "SAME":
        raise ShapeError(f"SAME padding with dilation_rate {dims_text(rate)}: tf.nn.pool "
                         f"supports dilation with VALID padding only")
    if any(s > k for s, k in zip(stride, kernel)):
        raise ShapeError(f"stride {dims_text(stride)} is larger than the window "
                         f"{dims_text(kernel)}: tf.nn.pool does not support that")
