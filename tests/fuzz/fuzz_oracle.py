"""The TensorFlow side of differential shape fuzzing, and the comparison with slimdsl.

:class:`Oracle` *interprets* a :class:`fuzz_nets.Net` description with real tf_slim,
``resnet_utils`` and ``tf.*`` calls in a TF1 graph, the way hand-written TF-Slim code would
build it (``variable_scope`` for blocks, scopes and named branch groups, ``slim.repeat``,
``slim.stack``, ``slim.arg_scope``, ``tf.concat``/``tf.add``). It never looks at slimdsl's IR.

It records, for every layer call in creation order, the kind, TF's static output shape, the
variable scopes it opened (from TF's variable-scope store) and the name of its output op; the
final ``net``; and every variable (full name and shape) the layers ask for. :func:`compare`
checks slimdsl's :class:`~slimdsl.api.CheckResult` against it:

* both accept, or both reject;
* on accept: the same layer kinds in the same order, equal static shapes, slimdsl's scope one of
  the variable scopes TF opened or a scope of TF's output op (``Flatten`` of
  ``Flatten/flatten/Reshape``), the same final shape, identical variables;
* on reject: slimdsl reports an error on the line of the statement at which TF raised.

A rejection is only what TensorFlow or TF-Slim raise when they refuse a network
(:func:`is_tf_rejection`: a ``ValueError``, one of the ``TypeError`` s TF-Slim raises for a
call, or a TF ``OpError``, raised from inside TensorFlow, TF-Slim or Keras). Any other exception
is a bug of this harness (:class:`HarnessError`): it is reported as a failure of the case, never
counted as "TensorFlow rejects", which would hide it whenever slimdsl rejects too.

``cheap_variables=True`` (used by the fuzz runs) replaces variable *storage* with one shared zero
tensor per shape, through a custom getter: names, shapes and the "already exists" check still
come from TF's variable-scope machinery, but no initializer ops are built, which more than halves
the cost of a layer. Batch norm then runs with ``is_training=False`` (it cannot assign moving
averages to a constant); shapes do not depend on it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import traceback
from dataclasses import dataclass
from typing import Any

from fuzz_nets import (
    ArgScope,
    Arith,
    BlockCall,
    Combine,
    Layer,
    Net,
    Param,
    Repeat,
    Residual,
    Scope,
    Slice,
    Split,
    Stack,
    Sym,
    Variable,
    WithInput,
    render_slim,
)

#: slimdsl's message for a stride > 1 with rate > 1 (TF accepts it for separable_conv2d).
STRIDED_ATROUS = "stride > 1 is not supported together with rate > 1"
#: slimdsl's message for squeeze() over an unknown dimension (TF infers an unknown rank).
SQUEEZE_UNKNOWN = "squeeze without axis on"
#: slimdsl's message for drop_path on a rank other than 4 (TF broadcasts its mask silently).
DROP_PATH_RANK = "drop_path needs a rank-4 tensor"


#: slimdsl's refusal of variables whose names differ only in case (TF renames the second
#: variable's op ``weights_1``; the store, which the cheap getter sees, keeps ``weights``).
CASE_FOLD = "only in case"


#: Where TensorFlow's own verdicts are raised from (the innermost frame of the traceback).
TF_PACKAGES = ("tensorflow", "tf_slim", "tf_keras", "keras")
#: The TypeErrors that are verdicts on a call: TF-Slim's arg_scope passing a value twice,
#: resnet_utils' arithmetic on a list kernel, TF's dtype checks. Any other TypeError (a missing
#: or unexpected argument) is a bug of the harness. Keras' legacy conv layers also index the
#: shape of an unknown-rank input (after ``squeeze()`` over unknown dimensions) and fail with
#: "'NoneType' object is not subscriptable" inside TensorFlow.
TF_TYPE_ERRORS = re.compile(
    r"got multiple values for argument|unsupported operand type|a real number is required"
    r"|Tensors in list passed to|Value passed to parameter|not in list of allowed values"
    r"|'NoneType' object is not subscriptable"
    r"|Failed to convert elements of"  # a reshape to a shape holding an unknown batch
    r"|Expected \w+, but got"  # a float constant in an int32 op (unit_norm's epsilon)
    r"|has type \w+ that does not match type"  # an op's dtype check
    r"|with non-floating point dtype")  # Keras' Dense under fully_connected on int32


class VariableExists(ValueError):
    """The cheap getter's stand-in for TF's "Variable ... already exists, disallowed."."""


class InitializerRefused(TypeError):
    """The cheap getter's stand-in for what TF's real initializers (xavier, variance scaling)
    raise for an integer variable."""


class FailsWhenRun(ValueError):
    """TensorFlow's verdict on an op that builds but fails when it runs (``run_time_checks``)."""


class HarnessError(Exception):
    """The oracle failed for a reason of its own: not a verdict of TensorFlow."""


def is_tf_rejection(exc: BaseException) -> bool:
    """Is ``exc`` TensorFlow (or TF-Slim) refusing the network, rather than a harness bug?"""
    if isinstance(exc, (VariableExists, FailsWhenRun, InitializerRefused)):
        return True
    from tensorflow.errors import OpError
    # TF's shape code indexing past a rank it was not written for (group_norm's reduction
    # axes on a rank-1 input: IndexError) or dividing by a 0 dimension (ZeroDivisionError,
    # from tensor_shape.py) is a refusal too
    if not isinstance(exc, (ValueError, TypeError, OpError, IndexError, ZeroDivisionError)):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    parts = os.path.normpath(frames[-1].filename).split(os.sep)
    if not any(p in parts for p in TF_PACKAGES):
        return False
    if isinstance(exc, TypeError) and parts[-1] == "arg_scope.py" and \
            "unexpected keyword argument" in str(exc):
        return True  # arg_scope passed a normalizer_params key the normalizer does not take
    return not isinstance(exc, TypeError) or bool(TF_TYPE_ERRORS.search(str(exc)))


class Reject(Exception):
    """TensorFlow raised while building the network; ``line`` is the statement's line."""

    def __init__(self, line: int, error: BaseException, layers: list):
        super().__init__(f"line {line}: {type(error).__name__}: {str(error)[:300]}")
        self.line = line
        self.error = error
        self.layers = layers  # what was built before the failure


@dataclass
class Built:
    """What TensorFlow built: layers in creation order, the final net, the variables."""

    layers: list  # (kind, shape | "unknown-rank", (variable scopes, op) | None: identity)
    final: Any
    variables: dict  # name relative to the model scope -> shape


def speed_up_keras_layers() -> None:
    """Memoize Keras' ``swap_class`` (for a process that stays in one TF mode).

    Every legacy Keras layer constructor re-assigns ``__bases__`` along its class hierarchy to
    pick the v1 or v2 base layer; with tf_slim that is about a fifth of building a layer. The
    answer never changes within a process that does not switch modes, as the fuzz workers
    (``disable_v2_behavior`` once, at start) do not. Only the worker processes call this.
    """
    from tensorflow.python.keras.utils import version_utils
    original = version_utils.swap_class
    if getattr(original, "memoized", False):
        return
    done: dict = {}

    def swap_class(cls, v2_cls, v1_cls, use_v2):
        key = (cls, v2_cls, v1_cls, use_v2)
        if key not in done:
            done[key] = original(cls, v2_cls, v1_cls, use_v2)
        return done[key]
    swap_class.memoized = True
    version_utils.swap_class = swap_class


class Oracle:
    """Builds descriptions with real tf_slim in TF1 graphs (a new graph every ``per_graph``)."""

    def __init__(self, tf: Any, slim: Any, per_graph: int = 40, cheap_variables: bool = False):
        from tf_slim.nets import resnet_utils
        self.tf = tf
        self.tf1 = tf.compat.v1
        self.slim = slim
        self.resnet_utils = resnet_utils
        self.per_graph = per_graph
        self.cheap = cheap_variables
        self.count = 0
        self.graph = None

    # -- public
    def build(self, net: Net, line_of: dict[int, int], model: str = "fz") -> Built:
        """Build ``net``; raise :class:`Reject` when TensorFlow refuses it."""
        tf1 = self.tf1
        if self.graph is None or self.count % self.per_graph == 0:
            self.graph = self.tf.Graph()
            self.zeros: dict = {}
        self.count += 1
        case = f"case{self.count}"
        self.line_of = line_of
        self.blocks = net.blocks
        self.helpers = net.helpers
        self.records: list = []
        self.variables: dict = {}
        self.prefix = f"{case}/{model}/"
        self.line = 0
        getter = self._cheap_getter if self.cheap else None
        with contextlib.ExitStack() as stack:
            stack.enter_context(self.graph.as_default())
            stack.enter_context(tf1.variable_scope(case, custom_getter=getter))
            stack.enter_context(tf1.variable_scope(model))
            if self.cheap:
                stack.enter_context(self.slim.arg_scope([self.slim.batch_norm],
                                                        is_training=False))
            dtype = self.tf.int32 if net.dtype == "int32" else self.tf.float32
            x = tf1.placeholder(dtype, list(net.shape), name="x")
            self.y = tf1.placeholder(self.tf.float32, list(net.second), name="y") \
                if net.second is not None else None
            try:
                out = self._seq(net.items, x, {})
            except Exception as exc:  # noqa: BLE001 - sorted into TF's verdict or our bug
                if not is_tf_rejection(exc):
                    where = traceback.extract_tb(exc.__traceback__)[-1]
                    raise HarnessError(
                        f"the oracle failed at line {self.line} with {type(exc).__name__}: "
                        f"{str(exc)[:300]} ({os.path.basename(where.filename)}:{where.lineno}"
                        f"); this is not a TensorFlow rejection") from exc
                raise Reject(self.line, exc, self.records) from None
        if not self.cheap:
            for v in self.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES):
                if v.op.name.startswith(self.prefix):
                    self.variables[v.op.name[len(self.prefix):]] = tuple(v.shape.as_list())
        return Built(self.records, _shape(out), self.variables)

    def _cheap_getter(self, getter: Any, name: str, shape: Any = None, dtype: Any = None,
                      *args: Any, **kwargs: Any) -> Any:
        if not name.startswith(self.prefix):
            return getter(name, shape, dtype, *args, **kwargs)
        rel = name[len(self.prefix):]
        if rel in self.variables:  # what TF's variable store says for a second creation
            raise VariableExists(f"Variable {name} already exists, disallowed.")
        dims = tuple(self.tf.TensorShape(shape).as_list())
        init = kwargs.get("initializer")
        if dtype is not None and not self.tf.as_dtype(dtype).is_floating and \
                type(init).__name__ not in ("Zeros", "Ones", "Constant", "NoneType"):
            # what the real initializer (xavier, variance scaling) raises for an int variable
            raise InitializerRefused("Cannot create initializer for non-floating point type.")
        self.variables[rel] = dims
        dtype = self.tf.as_dtype(dtype or self.tf.float32).base_dtype
        key = (dims, dtype)
        if key not in self.zeros:
            with self.graph.name_scope(None):  # outside the case: not a layer's op
                self.zeros[key] = self.tf.zeros(dims, dtype)
        return self.zeros[key]

    # -- interpretation
    def _seq(self, items: list, net: Any, env: dict) -> Any:
        for item in items:
            net = self._item(item, net, env)
        return net

    def _at(self, item: Any) -> None:
        if id(item) in self.line_of:
            self.line = self.line_of[id(item)]

    def _item(self, it: Any, net: Any, env: dict) -> Any:
        tf, tf1 = self.tf, self.tf1
        if isinstance(it, Layer):
            self._at(it)
            return self._recorded(it.kind)(net, *self._vals(it.pos, env),
                                           scope=it.name, **self._kw(it.kw, env))
        if isinstance(it, Repeat):
            self._at(it)
            kw = self._kw(it.layer.kw, env)
            if it.name is not None:
                kw["scope"] = it.name
            return self.slim.repeat(net, it.count, self._recorded(it.layer.kind),
                                    *self._vals(it.layer.pos, env), **kw)
        if isinstance(it, Stack):
            self._at(it)
            kw = self._kw(it.layer.kw, env)
            if it.name is not None:
                kw["scope"] = it.name
            args = [tuple(self._vals(a, env)) if len(a) != 1 else self._vals(a, env)[0]
                    for a in it.items]
            return self.slim.stack(net, self._recorded(it.layer.kind), args, **kw)
        if isinstance(it, Combine):
            self._at(it)
            line = self.line
            with tf1.variable_scope(it.name) if it.name else contextlib.nullcontext():
                outs = []
                for b in it.branches:
                    with tf1.variable_scope(b.scope) if b.scope else contextlib.nullcontext():
                        outs.append(self._seq(b.seq, net, dict(env)))
                self.line = line
                if it.kind == "concat":
                    return self._op("concat", lambda: tf.concat(outs, it.axis))
                return self._op("add", lambda: tf.add(outs[0], outs[1], name="add"))
        if isinstance(it, Residual):
            shortcut = net
            net = self._seq(it.seq, net, dict(env))
            self._at(it)
            return self._op("add", lambda: tf.add(net, shortcut, name=it.name or "add"))
        if isinstance(it, WithInput):
            self._at(it)
            if it.kind == "add":
                return self._op("add", lambda: tf.add(net, self.y, name=it.name or "add"))
            return self._op("concat", lambda: tf.concat([net, self.y], it.axis,
                                                        name=it.name or "concat"))
        if isinstance(it, Scope):
            self._at(it)
            with tf1.variable_scope(it.name):
                return self._seq(it.seq, net, env)
        if isinstance(it, ArgScope):
            self._at(it)
            with self.slim.arg_scope([self._slim_fn(k) for k in it.kinds],
                                     **self._kw(it.kw, env)):
                return self._seq(it.seq, net, env)
        if isinstance(it, BlockCall):
            self._at(it)
            return self._block_fn(it.block, it.noscope)(net, it.d, scope=it.name)
        if isinstance(it, Arith):
            self._at(it)
            return self._arith(it, net)
        if isinstance(it, Slice):
            self._at(it)
            return self._op("strided_slice", lambda: net[it.index])
        if isinstance(it, Split):
            self._at(it)
            pieces = tf.split(net, it.pieces, axis=it.axis, name=it.name or "split")
            self.records.append(("split", _shape(pieces[0]),
                                 (set(), self._relative(pieces[0].op.name))))
            return pieces[it.take]
        if isinstance(it, Variable):
            self._at(it)
            return self._variable(it, net)
        raise TypeError(it)  # pragma: no cover - a new item type without an interpretation

    def _arith(self, it: Arith, net: Any) -> Any:
        tf = self.tf
        if it.op == "neg":
            return self._op("negative", lambda: -net)
        other = self.y if it.other == "y" else it.other
        a, b = (other, net) if it.left else (net, other)
        kind = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "**": "pow"}[it.op]
        if it.func:
            if it.func == "add":  # slimdsl's add(a, b) is a + b, named "add" (tf.add: "Add")
                return self._op(kind, lambda: a + b)
            fn = {"subtract": tf.subtract, "multiply": tf.multiply, "divide": tf.divide,
                  "pow": tf.pow}[it.func]
            return self._op(kind, lambda: fn(a, b))
        return self._op(kind, {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                               "/": lambda: a / b, "**": lambda: a ** b}[it.op])

    def _variable(self, it: Variable, net: Any) -> Any:
        """``vK = slim.model_variable("vK", shape=[1])``, then ``net + vK``."""
        before = set(self.variables)
        var = self.slim.model_variable(it.var, shape=[1])
        name = self._relative(var.op.name) if not self.cheap else \
            next(iter(set(self.variables) - before))
        self.records.append(("model_variable", _shape(var), ({name}, name)))
        self.line = self.line_of[id(it), "add"]
        return self._op("add", lambda: self.tf.add(net, var, name=it.name or "add"))

    def _block_fn(self, name: str, noscope: bool = False):
        helper = name in self.helpers

        def block(x, d, scope=None):
            line = self.line
            if scope is None and (noscope or helper):  # a helper: no scope of its own
                scoped = contextlib.nullcontext()
            else:
                scoped = self.tf1.variable_scope(scope, default_name=name)
            with scoped:
                out = self._seq(self.blocks[name], x, {"d": d})
            self.line = line
            return out
        block.__name__ = name
        return block

    def _vals(self, values: tuple, env: dict) -> list:
        return [self._val(v, env) for v in values]

    def _kw(self, kw: tuple, env: dict) -> dict:
        return {k: self._val(v, env) for k, v in kw}

    def _val(self, v: Any, env: dict) -> Any:
        if isinstance(v, Param):
            return env[v.name]
        if isinstance(v, Sym):
            return {"none": None, "relu": self.tf.nn.relu, "relu6": self.tf.nn.relu6,
                    "tanh": self.tf.nn.tanh, "swish": self.tf.nn.swish,
                    "hard_swish": lambda x: x * self.tf.nn.relu6(x + 3.0) * (1.0 / 6.0),
                    "batch_norm": self.slim.batch_norm,
                    "instance_norm": self.slim.instance_norm,
                    "layer_norm": self.slim.layer_norm, "group_norm": self.slim.group_norm,
                    "zeros": self.tf1.zeros_initializer()}[v.name]
        if isinstance(v, dict):
            return {k: self._val(x, env) for k, x in v.items()}
        if isinstance(v, list):
            return [self._val(x, env) for x in v]
        return v

    def _slim_fn(self, kind: str):
        slim = self.slim
        return {"conv2d": slim.conv2d, "separable_conv2d": slim.separable_conv2d,
                "conv2d_transpose": slim.conv2d_transpose,
                "conv2d_in_plane": slim.conv2d_in_plane,
                "fully_connected": slim.fully_connected, "max_pool2d": slim.max_pool2d,
                "avg_pool2d": slim.avg_pool2d, "dropout": slim.dropout,
                "batch_norm": slim.batch_norm, "bias_add": slim.bias_add,
                "flatten": slim.flatten, "unit_norm": slim.unit_norm, "softmax": slim.softmax,
                "one_hot_encoding": slim.one_hot_encoding}.get(kind) or getattr(slim, kind)

    def _layer_fn(self, kind: str):
        """The TF-Slim-style callable ``fn(inputs, *args, scope=None, **kw)`` of a kind."""
        tf, ru = self.tf, self.resnet_utils
        if kind == "conv2d_same":
            def conv2d_same(x, num_outputs, kernel_size, stride, rate=1, scope=None, **kw):
                # slimdsl's extra keyword arguments act as arg_scope([conv2d]) for this call
                with self.slim.arg_scope([self.slim.conv2d], **kw):
                    return ru.conv2d_same(x, num_outputs, kernel_size, stride, rate=rate,
                                          scope=scope)
            return conv2d_same
        if kind == "subsample":
            return ru.subsample
        if kind in ("gdn", "spatial_softmax"):  # their scope argument is `name`
            named = getattr(self.slim, kind)

            def by_name(x, *args, scope=None, **kw):
                return named(x, *args, name=scope, **kw)
            by_name.__name__ = kind
            return by_name
        if kind == "scale_gradient":  # positional only, no scope (never named by fuzz_nets)
            def scale_gradient(x, multiplier, scope=None):
                return self.slim.scale_gradient(x, multiplier)
            return scale_gradient
        special = self._special_op(kind)
        if special is not None:
            return special
        ops = {"squeeze": tf.squeeze, "reduce_mean": tf.reduce_mean, "pad": tf.pad,
               "relu": tf.nn.relu, "relu6": tf.nn.relu6, "elu": tf.nn.elu,
               "leaky_relu": tf.nn.leaky_relu, "sigmoid": tf.sigmoid, "tanh": tf.tanh,
               "reshape": tf.reshape, "expand_dims": tf.expand_dims, "tile": tf.tile,
               "transpose": tf.transpose, "reduce_max": tf.reduce_max,
               "reduce_sum": tf.reduce_sum, "lrn": tf.nn.lrn,
               "depth_to_space": tf.nn.depth_to_space, "space_to_depth": tf.nn.space_to_depth,
               "clip_by_value": tf.clip_by_value, "cast": tf.cast}
        if kind in ops:
            op = ops[kind]

            def op_layer(x, *args, scope=None, **kw):
                out = op(x, *args, name=scope, **kw)
                run_time_checks(kind, x, args, kw)
                return out
            op_layer.__name__ = kind
            return op_layer
        return self._slim_fn(kind)

    def _special_op(self, kind: str):
        """Ops without a plain ``tf`` function of the same arguments."""
        tf = self.tf
        if kind == "resize":
            def resize(x, size, method="bilinear", scope=None, **kw):
                image = tf.compat.v1.image
                fn = image.resize_bilinear if method == "bilinear" else \
                    image.resize_nearest_neighbor
                return fn(x, size, name=scope, **kw)
            return resize
        if kind in ("hard_swish", "hard_sigmoid"):
            def activation(x, scope=None):
                with tf.name_scope(scope or kind):
                    if kind == "hard_swish":  # MobileNet v3's
                        return x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0)
                    return tf.nn.relu6(x + 3.0) / 6.0
            return activation
        if kind == "swish":
            return lambda x, scope=None: tf.nn.swish(x)
        if kind == "drop_path":  # nasnet_utils.drop_path, training
            def drop_path(x, keep_prob, scope=None):
                noise = keep_prob + tf.random.uniform([tf.shape(x)[0], 1, 1, 1])
                return x * tf.cast(1.0 / keep_prob, x.dtype) * tf.cast(tf.floor(noise), x.dtype)
            return drop_path
        return None

    def _recorded(self, kind: str):
        """``_layer_fn(kind)`` recording each call's output shape and scope."""
        fn = self._layer_fn(kind)

        @functools.wraps(fn)  # keeps __name__: slim.repeat/stack name inner scopes after it
        def wrapper(x, *args, **kw):
            counts = self.scope_store().variable_scopes_count
            before = dict(counts)
            out = fn(x, *args, **kw)
            if kind in ("conv2d_in_plane", "separable_conv2d"):
                run_time_checks(kind, x, args, kw)
            if out is x:  # no op built: subsample(1) and cast to x's dtype are no layer;
                if kind not in ("subsample", "cast"):  # dropout(keep 1) is one
                    self.records.append((kind, _shape(out), None))
                return out
            # the variable scopes it opened (Keras' legacy layers add some of their own)
            opened = {self._relative(k) for k, v in counts.items() if before.get(k) != v
                      and k.startswith(self.prefix) and not k.endswith("/")}
            scope = (opened, self._relative(out.op.name))
            self.records.append((kind, _shape(out), scope))
            return out
        if not hasattr(fn, "__name__"):  # linear, a functools.partial: TF-Slim's repeat and
            wrapper.__name__ = fn.func.__name__  # stack name it after fully_connected
        return wrapper

    def scope_store(self) -> Any:
        from tensorflow.python.ops import variable_scope
        return variable_scope.get_variable_scope_store()

    def _op(self, kind: str, make):
        out = make()
        self.records.append((kind, _shape(out), (set(), self._relative(out.op.name))))
        return out

    def _relative(self, name: str) -> str:
        return name[len(self.prefix):] if name.startswith(self.prefix) else name


def run_time_checks(kind: str, x: Any, args: tuple, kw: dict) -> None:
    """Raise what TensorFlow raises only when the op *runs* (the fuzz graphs never run), on
    the dimensions known statically: the rules tests/layers/test_ops_tf.py checks by running
    TF. slimdsl reports these at compile time."""
    shape = x.shape.as_list() if x.shape.rank is not None else None
    if shape is None:
        return
    rank = len(shape)
    if kind in ("reduce_mean", "reduce_max", "reduce_sum") and args and args[0] is not None:
        axes = [a % rank for a in args[0] if -rank <= a < rank]
        if len(set(axes)) != len(axes):
            raise FailsWhenRun("fails when run: Axes contains duplicate dimension")
    if kind == "transpose" and args and sorted(p % rank for p in args[0]) != list(range(rank)):
        raise FailsWhenRun("fails when run: perm is not a permutation")
    depthwise = kind == "conv2d_in_plane" or (
        kind == "separable_conv2d" and (args[0] if args else kw.get("num_outputs")) is None)
    if depthwise and shape[-1] == 0:
        raise FailsWhenRun("fails when run: a depthwise convolution of 0 channels")
    if kind == "pad" and kw.get("mode", "CONSTANT").upper() != "CONSTANT":
        reflect = kw["mode"].upper() == "REFLECT"
        for d, (before, after) in zip(shape, args[0]):
            if d is not None and (max(before, after) >= d if reflect else
                                  max(before, after) > d):
                raise FailsWhenRun("fails when run: paddings too large for MirrorPad")


def _shape(t: Any) -> Any:
    if t.shape.rank is None:
        return "unknown-rank"
    return tuple(t.shape.as_list())



# ---------------------------------------------------------------------------- comparison


def _deliberate(diagnostic: Any, layers: list, reject: Reject | None) -> bool:
    """Is this slimdsl error one of the documented asymmetries with TensorFlow 2.21?

    * separable_conv2d with stride > 1 and rate > 1: TF builds it; slimdsl rejects it, as
      TF-Slim's contract says it is unsupported;
    * squeeze without axes over an unknown dimension: TF infers an *unknown rank*; slimdsl,
      whose shapes always have a rank, rejects it (TF may fail later, for that reason);
    * a dilated pool whose window exceeds a known dimension while another is unknown: TF skips
      every check (and the graph kills the process when run, SIGFPE); slimdsl reports it;
    * group_norm's reduction axes out of range (its default [-3, -2] on a rank-2 input): TF
      builds a reduction over a wrapped-around axis that fails when run; slimdsl reports it;
      (tests/layers/test_shapes_tf_more.py runs these graphs to show the failures);
    * drop_path on a rank other than 4: TF broadcasts its [N, 1, 1, 1] mask into a new shape
      ([4, 16] becomes [4, 1, 4, 16]); slimdsl asks for rank 4;
    * variables whose names differ only in case (``L3`` and ``l3``): TF builds them, naming
      the second one's op ``.../biases_1``; slimdsl refuses rather than rename variables.
    """
    message = diagnostic.message
    built_it = reject is None or reject.line != diagnostic.span.line  # TF built that layer
    if CASE_FOLD in message and diagnostic.code == "scope-name":
        return built_it
    if DROP_PATH_RANK in message:  # TF broadcasts the [N, 1, 1, 1] mask into a new shape
        return built_it
    if STRIDED_ATROUS in message and "separable_conv2d" in message:
        return built_it
    if message.startswith("pool '") and "(dilated to" in message:
        return built_it  # TF skips the check over an unknown dim; running it kills the process
    if "reduction axis" in message and "is out of range for rank" in message:
        return built_it  # group_norm (a layer or a normalizer): TF builds a reduction over a
        # wrapped-around axis, which fails when run
    if SQUEEZE_UNKNOWN in message:
        return any(k == "squeeze" and s == "unknown-rank" for k, s, _ in layers)
    return False


def compare(result: Any, built: Built | None, reject: Reject | None, model: str = "fz"
            ) -> tuple[str, list[str]]:
    """(status, problems): status is accept, reject, asymmetry or mismatch."""
    errors = [d for d in result.diagnostics if d.is_error]
    internal = [d for d in errors if d.code == "internal"]
    if internal:
        return "mismatch", [f"slimdsl internal error: {internal[0].message}"]
    built_layers = built.layers if built is not None else reject.layers
    if errors and all(_deliberate(d, built_layers, reject) for d in errors):
        return "asymmetry", []
    deliberate = [d.span.line for d in errors if _deliberate(d, built_layers, reject)]
    if deliberate and reject is not None and min(deliberate) <= reject.line:
        return "asymmetry", []  # TF failed later, on what the asymmetric layer made
    if reject is not None:
        if not errors:
            return "mismatch", [f"TensorFlow rejects ({reject}) but slimdsl accepts"]
        lines = sorted({d.span.line for d in errors})
        if reject.line not in lines:
            return "mismatch", [f"TensorFlow fails at line {reject.line} ({reject}); slimdsl "
                                f"reports errors at lines {lines}: "
                                + "; ".join(f"{d.span.line}: {d.message}" for d in errors[:3])]
        return "reject", []
    if errors:
        return "mismatch", ["slimdsl rejects a network TensorFlow builds: "
                            + "; ".join(f"line {d.span.line}: {d.message} [{d.code}]"
                                        for d in errors[:3])]
    problems: list[str] = []
    graph = result.graphs[0]
    prefix = model + "/"
    mine = [(n.kind, n.output.shape, n.scope[len(prefix):] if n.scope.startswith(prefix)
             else n.scope) for n in graph.nodes]
    theirs = built.layers
    if [m[0] for m in mine] != [t[0] for t in theirs]:
        return "mismatch", [f"layer sequence differs: slimdsl {[m[0] for m in mine]}, "
                            f"TF {[t[0] for t in theirs]}"]
    for (kind, shape, scope), (_, tshape, tscope) in zip(mine, theirs):
        if shape != tshape:
            problems.append(f"{kind} {scope}: slimdsl shape {shape}, TF {tshape}")
        if tscope is None:
            continue
        opened, op = tscope
        # a variable scope keeps its name when its op name scope is uniquified (L1 vs L1_1)
        if scope not in opened and not (op == scope or op.startswith(scope + "/")):
            problems.append(f"{kind}: slimdsl scope {scope!r}, TF's output op is {op!r} "
                            f"(variable scopes {sorted(opened)})")
    final = graph.outputs[0].tensor.shape if graph.outputs else None
    if final != built.final:
        problems.append(f"final net: slimdsl {final}, TF {built.final}")
    variables = {v.name[len(prefix):]: tuple(v.shape) for v in graph.variables}
    if variables != built.variables:
        only_mine = sorted(set(variables.items()) - set(built.variables.items()))
        only_tf = sorted(set(built.variables.items()) - set(variables.items()))
        problems.append(f"variables differ: only slimdsl {only_mine[:4]}, only TF {only_tf[:4]}")
    return ("mismatch" if problems else "accept"), problems


class Differential:
    """Runs cases and keeps the figures reported by the tests and docs/reliability.md."""

    def __init__(self, tf: Any, slim: Any, per_graph: int = 40, cheap_variables: bool = False):
        self.oracle = Oracle(tf, slim, per_graph, cheap_variables)
        self.counts = {"accept": 0, "reject": 0, "asymmetry": 0, "mismatch": 0, "harness": 0}
        self.layers = 0
        self.mismatches: list[str] = []
        self.last_built: Built | None = None

    @property
    def cases(self) -> int:
        return sum(self.counts.values())

    def run(self, net: Net) -> list[str]:
        """Check one network; return "" or a report (the .slim text and the problems)."""
        from slimdsl.api import check_source
        text, line_of = render_slim(net)
        result = check_source(text, "fuzz.slim")
        built = reject = None
        try:
            built = self.oracle.build(net, line_of)
        except Reject as exc:
            reject = exc
        except HarnessError as exc:
            self.counts["harness"] += 1
            self.last_built = None
            report = f"{text}harness failure: {exc}"
            self.mismatches.append(report)
            return report
        self.last_built = built
        status, problems = compare(result, built, reject)
        self.counts[status] += 1
        if status == "accept":
            self.layers += len(built.layers)
        if problems:
            report = text + "\n".join(problems)
            self.mismatches.append(report)
            return report
        return ""
