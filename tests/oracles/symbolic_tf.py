"""TensorFlow as the oracle of one-axis networks (tests/oracles/symbolic_nets.py): the output
size its graph construction gives at one input size, or None when it refuses."""

from __future__ import annotations

import os

from .symbolic_nets import k_eff

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402


def _filter(k, x):
    return tf.ones([k, 1, x.shape[-1], 1])


def _layer(op, x):
    kind, a, b, rate, padding = op
    dil = [rate, 1] if rate > 1 else None
    if kind == "conv":
        return tf.nn.conv2d(x, _filter(a, x), [1, b, 1, 1], padding, dilations=dil)
    if kind == "pool":
        return tf.nn.max_pool2d(x, [a, 1], [b, 1], padding)
    if kind == "same2":
        if b == 1:
            return tf.nn.conv2d(x, _filter(a, x), [1, 1, 1, 1], "SAME", dilations=dil)
        pad = k_eff(a, rate) - 1
        x = tf.pad(x, [[0, 0], [pad // 2, pad - pad // 2], [0, 0], [0, 0]])
        return tf.nn.conv2d(x, _filter(a, x), [1, b, 1, 1], "VALID", dilations=dil)
    if kind == "tconv":
        # tf_slim's conv2d_transpose: output length by tf.layers' deconv_output_length, then
        # the transposed convolution (whose gradient-shape checks must accept it)
        from tensorflow.python.layers import utils as layers_util
        out = layers_util.deconv_output_length(x.shape[1], a, padding.lower(), b)
        return tf.nn.conv2d_transpose(x, tf.ones([a, 1, 1, x.shape[-1]]), [1, out, 1, 1],
                                      [1, b, 1, 1], padding)
    if kind == "pad":
        if a < 0:  # a crop
            n = x.shape[1]
            if n - 2 * (-a) < 0:
                raise ValueError("crop larger than the tensor")
            return x[:, -a:n + a]
        return tf.pad(x, [[0, 0], [a, b], [0, 0], [0, 0]])
    raise AssertionError(kind)


def tf_output(net, h):
    """The output size TensorFlow's graph construction gives (static shape inference, as when
    slim builds a model), or None when it refuses. (Eager oneDNN kernels are not used: they
    return made-up shapes for some invalid windows, e.g. a VALID 2-kernel on 1 element.)"""

    def build(x):
        vals = [x]
        for ins in net:
            if ins[0] == "merge":
                vals.append(tf.concat([vals[ins[1]], vals[ins[2]]], axis=-1))
            else:
                vals.append(_layer(ins[2], vals[ins[1]]))
        return vals[-1]

    with tf.Graph().as_default():
        try:
            out = build(tf.compat.v1.placeholder(tf.float32, [1, h, 1, 1]))
        except (tf.errors.OpError, ValueError):
            return None
    return int(out.shape[1])


_LAYER_CACHE: dict = {}


def tf_layer(op: tuple, n: int) -> int | None:
    """TensorFlow's answer for ONE layer on an input of height ``n`` (its static shape inference
    on a ``[1, n, 1, 1]`` placeholder), cached: the output height, or None when it refuses."""
    key = (op, n)
    if key not in _LAYER_CACHE:
        with tf.Graph().as_default():
            try:
                out = _layer(op, tf.compat.v1.placeholder(tf.float32, [1, n, 1, 1]))
                _LAYER_CACHE[key] = int(out.shape[1])
            except (tf.errors.OpError, ValueError):
                _LAYER_CACHE[key] = None
    return _LAYER_CACHE[key]


def tf_concat(a: int, b: int) -> bool:
    """Does TensorFlow concatenate ``[1, a, 1, 1]`` and ``[1, b, 1, 1]`` on the channels?"""
    key = ("concat", a, b)
    if key not in _LAYER_CACHE:
        with tf.Graph().as_default():
            try:
                tf.concat([tf.compat.v1.placeholder(tf.float32, [1, a, 1, 1]),
                           tf.compat.v1.placeholder(tf.float32, [1, b, 1, 1])], axis=-1)
                _LAYER_CACHE[key] = True
            except (tf.errors.OpError, ValueError):
                _LAYER_CACHE[key] = False
    return _LAYER_CACHE[key]


def tf_output_by_layer(net: list, h: int) -> int | None:
    """:func:`tf_output` composed from TensorFlow's per-layer answers: static shape inference
    is local to each op (an op's output shape depends only on its inputs' shapes and
    attributes), so this is the whole graph's answer, with each distinct (layer, size) asked of
    TensorFlow once across all networks and sizes: what makes thousands of networks affordable."""
    vals = [h]
    for ins in net:
        if ins[0] == "merge":
            a, b = vals[ins[1]], vals[ins[2]]
            if not tf_concat(a, b):
                return None
            vals.append(a)
        else:
            out = tf_layer(ins[2], vals[ins[1]])
            if out is None:
                return None
            vals.append(out)
    return vals[-1]
