"""TensorFlow ops that TFLite has no builtin kernel for, written with ops it has.

TFLite's builtin op set has 3-D convolutions but no 3-D pooling: a graph with ``MaxPool3D`` or
``AvgPool3D`` (I3D, S3D-G) converts only with the Select TF ops (Flex), which the Python
``tf.lite.Interpreter`` and most deployment runtimes do not link. A 3-D pooling window is a box,
and both poolings are separable over it:

- max over a box = max over time of (max over the spatial window);
- the average over a box = the average over time of (the spatial averages): SAME padding
  divides by the number of input elements in the clipped window, and the clipped box is a
  product of clipped intervals, so its count is the product of the per-axis counts.

So ``pool3d(x)`` = a 2-D pool over (height, width) of ``x`` with time folded into the batch,
then a 2-D pool over (time, 1) of the result with height and width folded into one axis.
Same results up to float rounding in the average; exact for the max.

:func:`builtin_ops` swaps the two functions in for the length of a ``with`` block, during
which the caller traces the generated forward pass (as :mod:`.rewrite` swaps layer weights):
the generated module's ``tf`` becomes a view of TensorFlow whose ``nn.max_pool3d`` and
``nn.avg_pool3d`` are the decompositions. Everything else is TensorFlow itself.

TensorFlow is passed in by the caller; this module does not import it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ....layers.shapes import conv_output_dim, expand


def _triple(value: Any, name: str) -> tuple[int, ...]:
    """A 3-D pooling's ``ksize`` or ``strides`` as (time, height, width), from the forms
    ``tf.nn.max_pool3d`` takes: one int, a list of 1 or 3, or 5 with 1 for batch and channels.

    >>> _triple(3, "ksize"), _triple([1, 3, 3], "ksize"), _triple([1, 2, 2, 2, 1], "strides")
    ((3, 3, 3), (1, 3, 3), (2, 2, 2))
    """
    values = value if isinstance(value, int) else [int(v) for v in value]
    if isinstance(values, list) and len(values) == 5 and values[0] == values[4] == 1:
        values = values[1:4]
    if isinstance(values, list) and len(values) == 1:
        values = values[0]
    return expand(values, 3, name)


def pool3d(tf: Any, pool2d: Any, x: Any, ksize: Any, strides: Any, padding: str,
           name: str | None = None) -> Any:
    """``x`` ([batch, time, height, width, channels]) pooled by a (time, height, width)
    window with ``pool2d`` (``tf.nn.max_pool2d`` or ``tf.nn.avg_pool2d``) twice."""
    (kt, kh, kw), (st, sh, sw) = _triple(ksize, "ksize"), _triple(strides, "strides")
    with tf.name_scope(name or "Pool3D"):
        shape = tf.shape(x)
        time, height, width, channels = shape[1], shape[2], shape[3], shape[4]
        spatial = tf.reshape(x, tf.stack([-1, height, width, channels]))
        spatial = pool2d(spatial, [kh, kw], [sh, sw], padding)
        pooled = tf.shape(spatial)
        out_h, out_w = pooled[1], pooled[2]
        temporal = tf.reshape(spatial, tf.stack([-1, time, out_h * out_w, channels]))
        temporal = pool2d(temporal, [kt, 1], [st, 1], padding)
        out_t = tf.shape(temporal)[1]
        y = tf.reshape(temporal, tf.stack([-1, out_t, out_h, out_w, channels]))
    # the reshapes lose what TensorFlow knows statically: put back what the real op gives
    known = [d if d is None else int(d) for d in x.shape[1:4]]
    windows = zip(known, (kt, kh, kw), (st, sh, sw))
    y.set_shape([x.shape[0],
                 *[conv_output_dim(d, k, s, padding, allow_empty=True) for d, k, s in windows],
                 x.shape[4]])
    return y


class _Namespace:
    """A view of a module (``tf`` or ``tf.nn``) with some attributes replaced."""

    def __init__(self, base: Any, replaced: dict[str, Any]):
        self._base, self._replaced = base, replaced

    def __getattr__(self, name: str) -> Any:
        if name in self._replaced:
            return self._replaced[name]
        return getattr(self._base, name)


def builtin_view(tf: Any) -> _Namespace:
    """``tf`` with ``nn.max_pool3d`` / ``nn.avg_pool3d`` made of TFLite builtin ops."""
    def max_pool3d(x: Any, ksize: Any, strides: Any, padding: str, data_format: str = "NDHWC",
                   name: str | None = None) -> Any:
        _only_ndhwc(data_format)
        return pool3d(tf, tf.nn.max_pool2d, x, ksize, strides, padding, name or "MaxPool3D")

    def avg_pool3d(x: Any, ksize: Any, strides: Any, padding: str, data_format: str = "NDHWC",
                   name: str | None = None) -> Any:
        _only_ndhwc(data_format)
        return pool3d(tf, tf.nn.avg_pool2d, x, ksize, strides, padding, name or "AvgPool3D")

    nn = _Namespace(tf.nn, {"max_pool3d": max_pool3d, "avg_pool3d": avg_pool3d})
    return _Namespace(tf, {"nn": nn})


def _only_ndhwc(data_format: str) -> None:
    if data_format != "NDHWC":
        raise ValueError(f"3-D pooling for TFLite takes NDHWC, got {data_format!r}")


@contextlib.contextmanager
def builtin_ops(tf: Any, model: Any) -> Iterator[None]:
    """Within the block, the generated module of ``model`` sees :func:`builtin_view` as ``tf``."""
    # the generated module is loaded from a file without entering sys.modules: its namespace is
    # the globals of the functions it defines
    namespace = type(model).__init__.__globals__
    original = namespace.get("tf")
    namespace["tf"] = builtin_view(tf)
    try:
        yield
    finally:
        namespace["tf"] = original
