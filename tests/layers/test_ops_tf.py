"""Differential tests of tensor expressions and TensorFlow ops against real TensorFlow: static
shapes, dtypes and errors.

Each case is one .slim expression over inputs ``x0, x1, ...`` (``x0 * 0.5``, ``x0[:, 1:]``,
``pad(x0, [[1, 1]], mode="REFLECT")``) and the same computation written with TensorFlow. They
must agree exactly:

* TF builds it: the output shapes (every piece of a ``split``) and the output dtype are equal;
* TF raises (``ValueError``/``TypeError``) *or* builds a graph that fails when it runs (a
  REFLECT pad as wide as the dimension, a repeated reduction axis: the oracle runs every case
  whose shapes are all known): slimdsl reports an error on the expression's line;
* a few deliberate asymmetries, where slimdsl refuses what TF builds and mis-computes
  silently, are listed in :data:`ASYMMETRIES` and asserted as such.

The quick cases are built in one graph; the random grids (``-m slow``) cover each op with many
shapes, unknown dimensions and invalid arguments.
"""

from __future__ import annotations

import operator
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from oracles.statement import check_statement

from slimdsl.api import check_source
from slimdsl.layers import LAYERS

Shape = tuple
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


@dataclass(frozen=True)
class Op:
    """``y = expr`` over inputs of ``shapes`` (``dtype``), and TF's ``fn(tf, x0, x1, ...)``."""

    expr: str
    fn: Any
    shapes: tuple[Shape, ...]
    dtype: str = "float32"

    @property
    def id(self) -> str:
        shapes = "+".join("[" + ",".join("?" if d is None else str(d) for d in s) + "]"
                          for s in self.shapes)
        return f"{self.expr}@{shapes}" + ("" if self.dtype == "float32" else f":{self.dtype}")

    def source(self) -> str:
        lines = ["model m {"]
        for i, s in enumerate(self.shapes):
            dims = ", ".join("?" if d is None else str(d) for d in s)
            lines.append(f"  input x{i}: [{dims}] {self.dtype}")
        lines += [f"  y = {self.expr}", "}", ""]
        return "\n".join(lines)

    @property
    def line(self) -> int:
        return 2 + len(self.shapes)


def case(expr: str, fn: Any, *shapes: Shape, dtype: str = "float32") -> Op:
    """Shorthand: ``case("x0 * 0.5", lambda tf, x: x * 0.5, (None, 7, 7, 3))``."""
    return Op(expr, fn, tuple(tuple(s) for s in shapes), dtype)


@dataclass(frozen=True)
class Outcome:
    shapes: tuple = ()
    dtype: str = ""
    error: str = ""

    def show(self) -> str:
        return f"error: {self.error}" if self.error else f"{list(self.shapes)} {self.dtype}"


def run_slimdsl(op: Op) -> Outcome:
    result, error = check_statement(op.source(), op.line)
    if error:
        return Outcome(error=error)
    graph = result.graphs[0]
    if not graph.nodes:  # the expression is its input itself (a cast to the same dtype)
        t = graph.inputs[0].tensor
        return Outcome((t.shape,), t.dtype)
    node = graph.nodes[-1]
    return Outcome(tuple(t.shape for t in node.outputs), node.output.dtype)


def _feed(shape: Shape, dtype: str) -> np.ndarray:
    n = int(np.prod(shape)) if shape else 1
    if dtype == "bool":
        return (np.arange(n) % 2 == 0).reshape(shape)
    values = (np.arange(n) % 5) + 1
    return values.reshape(shape).astype(dtype if dtype != "bfloat16" else "float32")


def build_tf(ops: list[Op], tf: Any) -> dict[str, Outcome]:
    """TF's outcome of every case, built in one graph; cases with static shapes are run."""
    v1 = tf.compat.v1
    out: dict[str, Outcome] = {}
    with tf.Graph().as_default():
        with v1.Session() as session:
            for op in ops:
                out[op.id] = _one(op, tf, v1, session)
    return out


def _one(op: Op, tf: Any, v1: Any, session: Any) -> Outcome:
    xs = [v1.placeholder(op.dtype, list(s)) for s in op.shapes]
    before = set(v1.global_variables())
    try:
        result = op.fn(tf, *xs)
    except (ValueError, TypeError, IndexError) as e:
        return Outcome(error=f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    outcome = Outcome(tuple(tuple(r.shape.as_list()) for r in results),
                      results[0].dtype.base_dtype.name)
    if all(d is not None for s in op.shapes for d in s):
        try:
            session.run(v1.variables_initializer(
                [v for v in v1.global_variables() if v not in before]))
            session.run(results, {x: _feed(s, op.dtype) for x, s in zip(xs, op.shapes)})
        except tf.errors.OpError as e:
            return Outcome(error=f"fails when run: {str(e).splitlines()[0][:200]}")
    return outcome


def fails_when_run(op: Op, tf: Any) -> Outcome | None:
    """TF's error when the case runs, its unknown dimensions set to 5 (None if it runs).

    Asked when slimdsl refuses a case TF builds: an error slimdsl finds on the known
    dimensions makes the op fail whatever the unknown ones are."""
    v1 = tf.compat.v1
    shapes = [tuple(5 if d is None else d for d in s) for s in op.shapes]
    with tf.Graph().as_default(), v1.Session() as session:
        xs = [v1.placeholder(op.dtype, list(s)) for s in op.shapes]
        result = op.fn(tf, *xs)
        results = list(result) if isinstance(result, (list, tuple)) else [result]
        session.run(v1.global_variables_initializer())
        try:
            session.run(results, {x: _feed(s, op.dtype) for x, s in zip(xs, shapes)})
        except tf.errors.OpError as e:
            return Outcome(error=f"fails when run: {str(e).splitlines()[0][:200]}")
    return None


def compare(op: Op, theirs: Outcome, tf: Any) -> str | None:
    """How slimdsl's outcome of ``op`` disagrees with TF's, or None."""
    ours = run_slimdsl(op)
    if ours.error and not theirs.error and op.id not in ASYMMETRIES:
        theirs = fails_when_run(op, tf) or theirs
    return mismatch(op, ours, theirs)


def mismatch(op: Op, ours: Outcome, theirs: Outcome) -> str | None:
    if op.id in ASYMMETRIES:
        if ours.error and not theirs.error:
            return None
        return f"expected the deliberate asymmetry ({ASYMMETRIES[op.id]})"
    if bool(ours.error) == bool(theirs.error) and (ours.error or ours == theirs):
        return None
    return f"slimdsl and TF disagree:\n  slimdsl: {ours.show()}\n  TF:      {theirs.show()}"


def drop_path(tf: Any, net: Any, keep_prob: float) -> Any:
    """nasnet_utils.drop_path (training), as NASNet writes it."""
    noise = keep_prob + tf.random.uniform([tf.shape(net)[0], 1, 1, 1], dtype=tf.float32)
    return net * tf.cast(1.0 / keep_prob, net.dtype) * tf.cast(tf.floor(noise), net.dtype)


def hard_swish(tf: Any, x: Any) -> Any:
    return x * tf.nn.relu6(x + np.float32(3)) * np.float32(1.0 / 6.0)


#: Cases where slimdsl refuses on purpose what TensorFlow builds (and computes wrongly).
ASYMMETRIES = {
    "x0 + 300@[2,3]:uint8": "TF wraps 300 to 44 silently; slimdsl: does not fit uint8",
    "x0 - -1@[2,3]:uint8": "TF wraps -1 to 255 silently; slimdsl: does not fit uint8",
    "drop_path(x0, 0.7)@[4,16]": "drop_path's [N, 1, 1, 1] mask grows a rank-2 input to "
                                 "[4, 1, 4, 16]; slimdsl asks for rank 4",
    "hard_swish(x0)@[2,3]:int32": "MobileNet's formula on integers multiplies by 1/6 "
                                  "converted to int32, i.e. 0; slimdsl takes floats only",
}

R4 = (None, 7, 7, 256)
N4 = (None, 7, 7, 3)
S4 = (2, 7, 7, 3)


def _quick() -> list[Op]:
    t = []
    # + - * / ** and unary -, tensor with tensor: TF's broadcasting
    for a, b in [(R4, R4), (R4, (256,)), (R4, (None, 1, 1, 256)), (R4, (None, 7, 7, 128)),
                 ((2, 3), (3, 2)), ((None, 7), (3, 1)), ((None, None), (5, 3)), ((), (4,)),
                 ((7, 256), (5, 1, 128)), ((None, 7, 7, 1), (None, 1, 1, 5))]:
        t.append(case("x0 + x1", lambda tf, x, y: x + y, a, b))
    t += [case("x0 - x1", lambda tf, x, y: x - y, R4, (1, 1, 256)),
          case("x0 * x1", lambda tf, x, y: x * y, (None, 7, 7, 16), (None, 1, 1, 16)),
          case("x0 / x1", lambda tf, x, y: x / y, (2, 3), (2, 1)),
          case("x0 ** x1", lambda tf, x, y: x ** y, (2, 3), (3,)),
          case("x0 * x1", lambda tf, x, y: x * y, (2, 3), (2, 4)),
          case("x0 * sigmoid(x1)", lambda tf, x, y: x * tf.sigmoid(y), (None, 7, 7, 16),
            (None, 1, 1, 16)),
          case("x0 + 0.17 * x1", lambda tf, x, y: x + 0.17 * y, S4, S4)]
    # a tensor and a number
    for expr, fn in [("x0 * 0.17", lambda tf, x: x * 0.17), ("0.17 * x0", lambda tf, x: 0.17 * x),
                     ("x0 - 1", lambda tf, x: x - 1), ("1 - x0", lambda tf, x: 1 - x),
                     ("x0 / 2", lambda tf, x: x / 2), ("2 / x0", lambda tf, x: 2 / x),
                     ("x0 ** 2", lambda tf, x: x ** 2), ("2 ** x0", lambda tf, x: 2 ** x),
                     ("x0 ** -1", lambda tf, x: x ** -1), ("-x0", lambda tf, x: -x),
                     ("-x0 ** 2", lambda tf, x: -x ** 2)]:
        t.append(case(expr, fn, N4))
    # dtypes: TensorFlow never converts one
    for dtype, expr, fn in [
            ("int32", "x0 * 0.5", lambda tf, x: x * 0.5), ("int32", "x0 * 2", lambda tf, x: x * 2),
            ("int32", "x0 * 2.0", lambda tf, x: x * 2.0), ("int32", "x0 / 2", lambda tf, x: x / 2),
            ("int32", "x0 / x0", lambda tf, x: x / x), ("uint8", "x0 / 2", lambda tf, x: x / 2),
            ("int64", "x0 / 2", lambda tf, x: x / 2), ("uint8", "-x0", lambda tf, x: -x),
            ("uint8", "x0 ** 2", lambda tf, x: x ** 2), ("int32", "x0 ** 2", lambda tf, x: x ** 2),
            ("int32", "x0 ** -1", lambda tf, x: x ** -1),
            ("int32", "x0 ** 0.5", lambda tf, x: x ** 0.5),
            ("uint8", "x0 + 300", lambda tf, x: x + 300),
            ("uint8", "x0 - -1", lambda tf, x: x - -1),
            ("bool", "x0 + x0", lambda tf, x: x + x),
            ("float16", "x0 * 0.5", lambda tf, x: x * 0.5),
            ("float64", "x0 / 2", lambda tf, x: x / 2),
            ("bfloat16", "x0 / 2", lambda tf, x: x / 2)]:
        t.append(case(expr, fn, (2, 3), dtype=dtype))
    # the named ops
    t += [case("multiply(x0, x1)", lambda tf, x, y: tf.multiply(x, y), R4, (256,)),
          case("subtract(x0, 1.5)", lambda tf, x: tf.subtract(x, 1.5), N4),
          case("divide(x0, x1)", lambda tf, x, y: tf.divide(x, y), (2, 3), (4, 3)),
          case("pow(x0, 2.0)", lambda tf, x: tf.pow(x, 2.0), N4),
          case("negative(x0)", lambda tf, x: tf.negative(x), N4),
          case("add(x0, 0.5)", lambda tf, x: tf.add(x, 0.5), N4),
          # a number first is converted on its own by tf.multiply, subtract and pow
          case("multiply(2, x0)", lambda tf, x: tf.multiply(2, x), N4),
          case("multiply(2.0, x0)", lambda tf, x: tf.multiply(2.0, x), N4),
          case("subtract(2, x0)", lambda tf, x: tf.subtract(2, x), (2, 3), dtype="int32"),
          case("pow(2, x0)", lambda tf, x: tf.pow(2, x), N4),
          case("divide(2, x0)", lambda tf, x: tf.divide(2, x), N4),
          case("clip_by_value(x0, 0, 6)", lambda tf, x: tf.clip_by_value(x, 0, 6), S4),
          case("clip_by_value(x0, 6.0, 0.0)", lambda tf, x: tf.clip_by_value(x, 6.0, 0.0), N4),
          case("clip_by_value(x0, 0, 6)", lambda tf, x: tf.clip_by_value(x, 0, 6), (2, 3),
            dtype="int32"),
          case("clip_by_value(x0, 0.0, 6.0)", lambda tf, x: tf.clip_by_value(x, 0.0, 6.0), (2, 3),
            dtype="int32")]
    # slicing
    for expr, fn, shape in [
            ("x0[:, 1:, 1:, :]", lambda tf, x: x[:, 1:, 1:, :], (2, 8, 8, 3)),
            ("x0[:, 1:, 1:, :]", lambda tf, x: x[:, 1:, 1:, :], (None, None, None, 3)),
            ("x0[:, 1:, 1:, :]", lambda tf, x: x[:, 1:, 1:, :], (2, 1, 1, 3)),
            ("x0[:, ::2, ::2, :]", lambda tf, x: x[:, ::2, ::2, :], S4),
            ("x0[:, 9:]", lambda tf, x: x[:, 9:], S4),
            ("x0[:, :, :, 5]", lambda tf, x: x[:, :, :, 5], S4),
            ("x0[:, :, :, -3]", lambda tf, x: x[:, :, :, -3], N4),
            ("x0[:, :, :, -4]", lambda tf, x: x[:, :, :, -4], N4),
            ("x0[..., -1]", lambda tf, x: x[..., -1], N4),
            ("x0[:, none]", lambda tf, x: x[:, None], N4),
            ("x0[::-1]", lambda tf, x: x[::-1], S4),
            ("x0[:, 5:1:-1]", lambda tf, x: x[:, 5:1:-1], S4),
            ("x0[:, -2:]", lambda tf, x: x[:, -2:], (None, None, 7, 3)),
            ("x0[:, :, :, :, :]", lambda tf, x: x[:, :, :, :, :], S4),
            ("x0[:, ::0]", lambda tf, x: x[:, ::0], S4),
            ("x0[0]", lambda tf, x: x[0], (None, 7, 3)),
            ("x0[..., none, 1:]", lambda tf, x: x[..., None, 1:], S4),
            ("x0[:, -9]", lambda tf, x: x[:, -9], (2, 7)),
            ("x0[:, -9]", lambda tf, x: x[:, -9], (2, None)),
            ("x0[:, 2:5]", lambda tf, x: x[:, 2:5], (None, None)),
            ("x0[:, 3:-9]", lambda tf, x: x[:, 3:-9], (2, 7)),
            ("x0[0]", lambda tf, x: x[0], ()),
            ("x0[...]", lambda tf, x: x[...], ()),
            ("x0[none]", lambda tf, x: x[None], (2,)),
            ("x0[1:, ..., ...]", lambda tf, x: x[1:, ..., ...], S4),
            ("x0[:, 2]", lambda tf, x: x[:, 2], (2,))]:
        t.append(case(expr, fn, shape))
    # reshape, expand_dims, tile, split, transpose
    t += [case("reshape(x0, [-1, 3136])", lambda tf, x: tf.reshape(x, [-1, 3136]), (2, 7, 7, 64)),
          case("reshape(x0, [-1, 3136])", lambda tf, x: tf.reshape(x, [-1, 3136]),
               (None, 7, 7, 64)),
          case("reshape(x0, [2, -1])", lambda tf, x: tf.reshape(x, [2, -1]), (None, 7, 7, 64)),
          case("reshape(x0, [?, 147])", lambda tf, x: tf.reshape(x, [-1, 147]), S4),
          case("reshape(x0, [-1])", lambda tf, x: tf.reshape(x, [-1]), (None, None)),
          case("reshape(x0, [-1, 100])", lambda tf, x: tf.reshape(x, [-1, 100]), (2, 7, 7, 64)),
          case("reshape(x0, [5, 3])", lambda tf, x: tf.reshape(x, [5, 3]), (2, 6)),
          case("reshape(x0, [5, 3])", lambda tf, x: tf.reshape(x, [5, 3]), (None, 6)),
          case("reshape(x0, [0, -1])", lambda tf, x: tf.reshape(x, [0, -1]), (2, 6)),
          case("reshape(x0, [-1, -1])", lambda tf, x: tf.reshape(x, [-1, -1]), (2, 3)),
          case("reshape(x0, x0.shape)", lambda tf, x: tf.reshape(x, [-1, 7, 7, 3]), N4)]
    t += [case(f"expand_dims(x0, {a})", lambda tf, x, a=a: tf.expand_dims(x, a), N4)
          for a in (0, 1, -1, 4, 5, -6)]
    t += [case("tile(x0, [1, 4, 4, 1])", lambda tf, x: tf.tile(x, [1, 4, 4, 1]), (2, 1, 1, 3)),
          case("tile(x0, [1, 7, 7, 1])", lambda tf, x: tf.tile(x, [1, 7, 7, 1]), (None, 1, 1, 3)),
          case("tile(x0, [2, 1])", lambda tf, x: tf.tile(x, [2, 1]), (None, 3)),
          case("tile(x0, [0, 1])", lambda tf, x: tf.tile(x, [0, 1]), (2, 3)),
          case("tile(x0, [1, 2, 3])", lambda tf, x: tf.tile(x, [1, 2, 3]), (2, 3)),
          case("tile(x0, [-1, 1])", lambda tf, x: tf.tile(x, [-1, 1]), (2, 3))]
    for pieces, axis, shape in [(2, 3, (2, 7, 7, 4)), (1, 3, (2, 7, 7, 4)), (3, 3, (2, 7, 7, 4)),
                                ([1, 3], 3, (2, 7, 7, 4)), ([1, -1], -1, (2, 7, 7, 4)),
                                ([1, 2], 3, (2, 7, 7, 4)), ([-1, -1], 3, (2, 7, 7, 4)),
                                (2, 0, (None, 4)), ([1, -1], 0, (None, 4)), (2, 2, (2, 3))]:
        t.append(case(f"split(x0, {pieces}, axis={axis})",
                   lambda tf, x, p=pieces, a=axis: tf.split(x, p, axis=a), shape))
    t += [case("transpose(x0, [0, 3, 1, 2])", lambda tf, x: tf.transpose(x, [0, 3, 1, 2]),
            (2, 7, 5, 3)),
          case("transpose(x0)", lambda tf, x: tf.transpose(x), (None, None, 5, 3)),
          case("transpose(x0, [0, -1, 1, 2])", lambda tf, x: tf.transpose(x, [0, -1, 1, 2]), N4),
          case("transpose(x0, [0, 2, 1])", lambda tf, x: tf.transpose(x, [0, 2, 1]), S4),
          case("transpose(x0, [0, 1, 1, 2])", lambda tf, x: tf.transpose(x, [0, 1, 1, 2]), S4),
          case("transpose(x0, [0, 1, 2, 4])", lambda tf, x: tf.transpose(x, [0, 1, 2, 4]), S4)]
    # depth_to_space, space_to_depth
    for name, shapes in (("depth_to_space", [(2, 4, 4, 16), (None, None, None, 16),
                                              (2, 4, 4, 6), (2, 4, 4, None), (4, 4, 16)]),
                         ("space_to_depth", [(2, 8, 8, 3), (None, None, None, 3), (2, 7, 8, 3),
                                             (2, None, 8, 3), (8, 8, 3)])):
        t += [case(f"{name}(x0, 2)", lambda tf, x, n=name: getattr(tf.nn, n)(x, 2), s)
              for s in shapes]
        t.append(case(f"{name}(x0, 1)", lambda tf, x, n=name: getattr(tf.nn, n)(x, 1), shapes[0]))
    # resize (TF 1's ops)
    def resize(fn: str, size: list, **kw: Any) -> Any:
        return lambda tf, x: getattr(tf.compat.v1.image, fn)(x, size, **kw)
    t += [case("resize(x0, [16, 16])", resize("resize_bilinear", [16, 16]), (2, 8, 8, 3)),
          case('resize(x0, [16, 9], method="nearest")', resize("resize_nearest_neighbor", [16, 9]),
            (None, None, None, None)),
          case("resize(x0, [16, 16], align_corners=true)",
            resize("resize_bilinear", [16, 16], align_corners=True), (2, 8, 8, 3)),
          case("resize(x0, [4, 4], align_corners=true, half_pixel_centers=true)",
            resize("resize_bilinear", [4, 4], align_corners=True, half_pixel_centers=True),
            (1, 2, 2, 1)),
          case("resize(x0, [16, 16])", resize("resize_bilinear", [16, 16]), (8, 8, 3)),
          case("resize(x0, [16, 16])", resize("resize_bilinear", [16, 16]), (2, 8, 8, 3),
            dtype="uint8"),
          case('resize(x0, [16, 16], method="nearest")',
            resize("resize_nearest_neighbor", [16, 16]), (2, 8, 8, 3), dtype="uint8"),
          case("resize(x0, [0, 3])", resize("resize_bilinear", [0, 3]), (1, 2, 2, 1))]
    # lrn
    t += [case("lrn(x0)", lambda tf, x: tf.nn.lrn(x), (2, 7, 7, 16)),
          case("lrn(x0)", lambda tf, x: tf.nn.lrn(x), (None, None, None, None)),
          case("lrn(x0, depth_radius=2, bias=1.0, alpha=0.00002, beta=0.75)",
            lambda tf, x: tf.nn.lrn(x, depth_radius=2, bias=1.0, alpha=2e-5, beta=0.75),
            (2, 7, 7, 16)),
          case("lrn(x0)", lambda tf, x: tf.nn.lrn(x), (7, 7, 16)),
          case("lrn(x0)", lambda tf, x: tf.nn.lrn(x), (2, 2, 7, 7, 16))]
    t += [case("lrn(x0)", lambda tf, x: tf.nn.lrn(x), (1, 2, 2, 4), dtype=d)
          for d in ("int32", "float16", "float64")]
    # pad modes
    p4 = "[[0, 0], [1, 1], [1, 1], [0, 0]]"
    for mode, shape in [("REFLECT", S4), ("REFLECT", (None, None, None, 3)),
                        ("REFLECT", (2, 1, 7, 3)), ("SYMMETRIC", (2, 1, 7, 3)),
                        ("reflect", S4), ("WRAP", S4)]:
        t.append(case(f'pad(x0, {p4}, mode="{mode}")',
                   lambda tf, x, m=mode: tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode=m),
                   shape))
    t += [case('pad(x0, [[2, 2]], mode="SYMMETRIC")',
            lambda tf, x: tf.pad(x, [[2, 2]], mode="SYMMETRIC"), (1,)),
          case("pad(x0, [[1, 1]], constant_values=1)",
            lambda tf, x: tf.pad(x, [[1, 1]], constant_values=1), (3,)),
          case("pad(x0, [[1, 1]], constant_values=1.5)",
            lambda tf, x: tf.pad(x, [[1, 1]], constant_values=1.5), (3,), dtype="int32"),
          case("pad(x0, [[1, 1]], constant_values=2)",
            lambda tf, x: tf.pad(x, [[1, 1]], constant_values=2), (3,), dtype="int32")]
    # reductions
    for name in ("reduce_max", "reduce_sum"):
        for args, kw, shape in [("[1, 2], keepdims=true", {"axis": [1, 2], "keepdims": True},
                                 (None, None, None, 3)), ("", {}, S4), ("-1", {"axis": -1}, S4),
                                ("4", {"axis": 4}, S4), ("[1, 1]", {"axis": [1, 1]}, (5, 3, 4)),
                                ("[]", {"axis": []}, (5, 3))]:
            t.append(case(f"{name}(x0{', ' + args if args else ''})",
                       lambda tf, x, n=name, kw=kw: getattr(tf, n)(x, **kw), shape))
    t += [case("reduce_sum(x0, 1)", lambda tf, x: tf.reduce_sum(x, 1), (2, 3), dtype="bool"),
          case("reduce_mean(x0, 1)", lambda tf, x: tf.reduce_mean(x, 1), (2, 3), dtype="bool"),
          case("reduce_max(x0, 1)", lambda tf, x: tf.reduce_max(x, 1), (2, 3), dtype="int32")]
    # cast
    t += [case('cast(x0, "int32")', lambda tf, x: tf.cast(x, tf.int32), N4),
          case('cast(x0, "float32")', lambda tf, x: tf.cast(x, tf.float32), N4),
          case('cast(x0, "float32")', lambda tf, x: tf.cast(x, tf.float32), (2, 3), dtype="uint8")]
    # activations as layers, drop_path
    t += [case("hard_swish(x0)", hard_swish, N4),
          case("swish(x0)", lambda tf, x: tf.nn.swish(x), N4),
          case("hard_sigmoid(x0)", lambda tf, x: tf.nn.relu6(x + 3.0) / 6.0, N4),
          case("hard_swish(x0)", hard_swish, (2, 3), dtype="int32"),
          case("swish(x0)", lambda tf, x: tf.nn.swish(x), (2, 3), dtype="int32"),
          case("drop_path(x0, 0.7)", lambda tf, x: drop_path(tf, x, 0.7), (None, 7, 7, 16)),
          case("drop_path(x0, 0.7)", lambda tf, x: drop_path(tf, x, 0.7), (4, 7, 7, 16)),
          case("drop_path(x0, 0.7)", lambda tf, x: drop_path(tf, x, 0.7), (4, 16)),
          case("drop_path(x0, 0.7, is_training=false)", lambda tf, x: x, (4, 7, 7, 16))]
    return t


def tf_slim() -> Any:
    """The tf_slim oracle (the conftest's shim applied)."""
    from oracles.tf_slim import apply_shim
    apply_shim()
    import tf_slim as slim
    return slim


def _zero_channels() -> list[Op]:
    """Layers on 0 channels (a split or a slice can leave none): TF refuses some of them."""
    def layer(name: str, *args: Any) -> Any:
        def fn(tf: Any, x: Any) -> Any:
            if name == "conv2d_same":
                from tf_slim.nets import resnet_utils
                return resnet_utils.conv2d_same(x[..., :0], *args)
            return getattr(tf_slim(), name)(x[..., :0], *args)
        return fn
    out = []
    for name, args, text in [("conv2d", (4, 3), "4, 3"), ("conv2d_same", (4, 3, 2), "4, 3, 2"),
                             ("separable_conv2d", (4, 3), "4, 3"),
                             ("separable_conv2d", (None, 3), "none, 3"),
                             ("conv2d_transpose", (4, 3), "4, 3"), ("conv2d_in_plane", (3,), "3"),
                             ("max_pool2d", (2,), "2"), ("avg_pool2d", (2,), "2"),
                             ("fully_connected", (4,), "4"), ("batch_norm", (), ""),
                             ("bias_add", (), "")]:
        call = f"{name}(x0[..., :0]{', ' + text if text else ''})"
        out.append(case(call, layer(name, *args), (2, 5, 5, 3)))
    out.append(case("subsample(x0[..., :0], 2)", lambda tf, x: tf.nn.max_pool2d(
        x[..., :0], 1, 2, "VALID"), (2, 5, 5, 3)))
    out.append(case('max_pool2d(x0[..., :0], 3, stride=1, padding="SAME")',
                    lambda tf, x: tf_slim().max_pool2d(x[..., :0], 3, stride=1, padding="SAME"),
                    (2, 5, 5, 3)))
    # an empty spatial dimension: only the atrous (rate > 1) SAME convolutions refuse it
    for args, kw in (("2, 3", {}), ("2, 3, rate=2", {"rate": 2}),
                     ("2, [3, 4], rate=[1, 2]", {"rate": [1, 2]})):
        kernel = [3, 4] if "[3, 4]" in args else 3
        out.append(case(f"conv2d(x0[:, :, :0], {args})",
                        lambda tf, x, k=kernel, kw=kw: tf_slim().conv2d(x[:, :, :0], 2, k, **kw),
                        (None, 5, 5, 3)))
    out.append(case("separable_conv2d(x0[:, :0], 2, 3, stride=2)",
                    lambda tf, x: tf_slim().separable_conv2d(x[:, :0], 2, 3, stride=2),
                    (None, 5, 5, 3)))
    out.append(case('concat([x0, cast(x0, "int32")], axis=1)',
                    lambda tf, x: tf.concat([x, tf.cast(x, tf.int32)], 1), (2, 3)))
    return out


ALL = _quick() + _zero_channels()


def _family(op: Op) -> str:
    """What a case exercises: the op called (``pad``), else the operator (``*``, ``[``)."""
    head = op.expr.split("(", 1)[0]
    if head.isidentifier():
        return head
    return next((c for c in ("**", "[", "+", "-", "*", "/") if c in op.expr), op.expr)


def _core(ops: list[Op]) -> list[Op]:
    """The first two cases of each family, one per dtype beyond float32: the quick suite's."""
    seen: dict[tuple[str, bool], int] = {}
    core = []
    for op in ops:
        key = (_family(op), op.dtype == "float32")
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= (2 if key[1] else 1):
            core.append(op)
    return core


QUICK = _core(ALL)
#: The registry kinds this module covers (test_shapes_tf.py covers the others).
KINDS = {"add", "subtract", "multiply", "divide", "pow", "negative", "clip_by_value",
         "strided_slice", "reshape", "expand_dims", "tile", "split", "transpose",
         "depth_to_space", "space_to_depth", "resize", "lrn", "pad", "reduce_max",
         "reduce_sum", "cast", "hard_swish", "swish", "hard_sigmoid", "drop_path"}


@pytest.fixture(scope="module")
def quick_tf(tf) -> dict[str, Outcome]:
    return build_tf(QUICK, tf)


@pytest.mark.parametrize("op", QUICK, ids=[o.id for o in QUICK])
def test_op_agrees_with_tf(op: Op, quick_tf: dict[str, Outcome], tf) -> None:
    problem = compare(op, quick_tf[op.id], tf)
    assert problem is None, f"{op.id}: {problem}\n{op.source()}"


@pytest.mark.slow
def test_every_case_agrees_with_tf(tf) -> None:
    """Every case, the ones the quick suite leaves out included (in one graph); together they
    exercise every op, successes and errors (some only when TF runs the graph)."""
    assert len({o.id for o in ALL}) == len(ALL), "duplicate case ids"
    theirs = build_tf(ALL, tf)
    problems = [f"{o.id}: {p}\n{o.source()}" for o in ALL
                if (p := compare(o, theirs[o.id], tf))]
    assert not problems, f"{len(problems)} of {len(ALL)} disagree:\n" + "\n".join(problems[:10])
    built = {n.kind for o in ALL if not theirs[o.id].error
             for n in check_source(o.source(), "c.slim").graphs[0].nodes}
    assert KINDS <= built <= set(LAYERS), sorted(KINDS - built)
    failing = [o for o in ALL if theirs[o.id].error]
    assert len(failing) >= 60 and any("fails when run" in theirs[o.id].error
                                      for o in failing)


def test_quick_cases_cover_every_op() -> None:
    ops = {n.kind for o in QUICK for n in check_source(o.source(), "c.slim").graphs[0].nodes}
    assert KINDS <= ops, sorted(KINDS - ops)


# ---------------------------------------------------------------------------- random grids


def _dims(rnd: random.Random, rank: int) -> tuple:
    return tuple(rnd.choice((None, 1, 2, 3, 4, 6, 8)) for _ in range(rank))


def _grid(kind: str, n: int = 120) -> list[Op]:
    rnd = random.Random(kind)
    ops: list[Op] = []
    while len(ops) < n:
        rank = rnd.randint(1, 5)
        s = _dims(rnd, rank)
        if kind == "broadcast":
            other = s[rnd.randint(0, rank):] if rnd.random() < 0.5 else \
                _dims(rnd, rnd.randint(0, 5))
            other = tuple(1 if rnd.random() < 0.3 else d for d in other)
            op = rnd.choice("+-*/")
            ops.append(case(f"x0 {op} x1", lambda tf, x, y, o=op: BINARY[o](x, y), s, other))
        elif kind == "slice":
            items, index = [], []
            for _ in range(rnd.randint(1, rank + 1)):
                r = rnd.random()
                if r < 0.15:
                    i = rnd.randint(-4, 4)
                    items.append(str(i))
                    index.append(i)
                elif r < 0.22:
                    items.append("...")
                    index.append(Ellipsis)
                elif r < 0.28:
                    items.append("none")
                    index.append(None)
                else:
                    a, b = (rnd.choice([None, rnd.randint(-5, 6)]) for _ in range(2))
                    step = rnd.choice([None, None, 2, -1, -2, 3])
                    text = ("" if a is None else str(a)) + ":" + ("" if b is None else str(b))
                    items.append(text + ("" if step is None else f":{step}"))
                    index.append(slice(a, b, step))
            ops.append(case(f"x0[{', '.join(items)}]",
                         lambda tf, x, ix=tuple(index): x[ix], s))
        elif kind == "reshape":
            target = [rnd.choice((-1, 1, 2, 3, 4, 6, 12, 0)) for _ in range(rnd.randint(1, 4))]
            ops.append(case(f"reshape(x0, {target})",
                         lambda tf, x, t=target: tf.reshape(x, t), s))
        elif kind == "tile":
            m = [rnd.choice((0, 1, 2, 3)) for _ in range(rank + rnd.choice((0, 0, 0, 1)))]
            ops.append(case(f"tile(x0, {m})", lambda tf, x, m=m: tf.tile(x, m), s))
        elif kind == "split":
            axis = rnd.randint(-rank - 1, rank)
            pieces = rnd.choice((1, 2, 3, [1, -1], [2, 2], [1, 1, -1], [-1, -1]))
            ops.append(case(f"split(x0, {pieces}, axis={axis})",
                         lambda tf, x, p=pieces, a=axis: tf.split(x, p, axis=a), s))
        elif kind == "transpose":
            perm = list(range(rank))
            rnd.shuffle(perm)
            if rnd.random() < 0.3:
                perm[rnd.randrange(rank)] = rnd.randint(-rank, rank)
            ops.append(case(f"transpose(x0, {perm})",
                         lambda tf, x, p=perm: tf.transpose(x, p), s))
        elif kind == "pad":
            mode = rnd.choice(("CONSTANT", "REFLECT", "SYMMETRIC"))
            pads = [[rnd.randint(0, 3), rnd.randint(0, 3)]
                    for _ in range(rank + rnd.choice((0, 0, 0, -1)))]
            ops.append(case(f'pad(x0, {pads}, mode="{mode}")',
                         lambda tf, x, p=pads, m=mode: tf.pad(x, p, mode=m), s))
        elif kind == "expand_dims":
            axis = rnd.randint(-rank - 2, rank + 1)
            ops.append(case(f"expand_dims(x0, {axis})",
                         lambda tf, x, a=axis: tf.expand_dims(x, a), s))
        elif kind == "reduce":
            axes = [rnd.randint(-rank - 1, rank) for _ in range(rnd.randint(0, 3))]
            keep = rnd.choice(("true", "false"))
            ops.append(case(f"reduce_sum(x0, {axes}, keepdims={keep})",
                         lambda tf, x, a=axes, k=keep: tf.reduce_sum(x, a, keepdims=k == "true"),
                         s))
    return list({o.id: o for o in ops}.values())


GRIDS = ("broadcast", "slice", "reshape", "tile", "split", "transpose", "pad", "expand_dims",
         "reduce")


@pytest.mark.slow
@pytest.mark.parametrize("kind", GRIDS)
def test_random_grid_agrees_with_tf(kind: str, tf) -> None:
    ops = _grid(kind)
    theirs = build_tf(ops, tf)
    problems = [f"{o.id}: {p}" for o in ops if (p := compare(o, theirs[o.id], tf))]
    assert not problems, f"{len(problems)} of {len(ops)} disagree:\n" + "\n".join(problems[:20])
