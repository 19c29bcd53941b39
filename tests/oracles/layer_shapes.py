"""The shape harness of the layer differential tests: one layer call, checked by slimdsl and
built by real tf_slim / TensorFlow, and the comparison of the two outcomes.

A :class:`Case` is one layer applied to placeholders of given static shapes. slimdsl checks a
tiny ``.slim`` model (:func:`run_slimdsl`); :func:`build_all` builds the same calls with real
tf_slim, ``resnet_utils`` or the ``tf.*`` op named by the registry's ``tf_name``, in TF1 graphs,
and (``run=True``) runs the ones whose shapes are fully known, since TensorFlow checks some
things (a duplicated reduction axis) only when a graph runs. With ``fingerprints=True`` both
sides also report every variable's initializer and regularizer (:mod:`oracles.fingerprints`).
Used by ``tests/layers/test_shapes_tf.py`` and ``test_shapes_tf_more.py``.
"""

from __future__ import annotations

import contextlib
import inspect
from dataclasses import dataclass
from typing import Any

from oracles.fingerprints import (
    our_initializer,
    our_regularizers,
    recording_initializers,
    tf_regularizers,
)
from oracles.slim_text import Sym, slim_text
from oracles.statement import check_statement
from slimdsl.layers import LAYERS

Dim = int | None
Shape = tuple[Dim, ...]

# ---------------------------------------------------------------------------- cases


def _resolve(v: Any, tf: Any, slim: Any) -> Any:
    if v == Sym("training"):  # the run-time flag, as generated code feeds it
        return tf.compat.v1.placeholder_with_default(True, shape=[])
    if isinstance(v, Sym):
        if v.name.startswith("constant("):
            return tf.compat.v1.constant_initializer(float(v.name[9:-1]))
        if v.name.startswith(("l1(", "l2(")):
            scale = float(v.name[3:-1])
            return (slim.l1_regularizer if v.name[1] == "1" else slim.l2_regularizer)(scale)
        if v.name in ("batch_norm", "instance_norm", "layer_norm", "group_norm"):
            return getattr(slim, v.name)
        return {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "tanh": tf.nn.tanh,
                "zeros": tf.compat.v1.zeros_initializer(),
                "truncated_normal(0.1)": tf.compat.v1.truncated_normal_initializer(stddev=0.1),
                }[v.name]
    if isinstance(v, (list, tuple)):
        return [_resolve(x, tf, slim) for x in v]
    if isinstance(v, dict):
        return {k: _resolve(x, tf, slim) for k, x in v.items()}
    return v


def _shape_text(shape: Shape, sep: str = ", ") -> str:
    return "[" + sep.join("?" if d is None else str(d) for d in shape) + "]"


@dataclass(frozen=True)
class Case:
    """One layer call on placeholders of static shapes ``shapes``."""

    kind: str  # canonical registry kind
    shapes: tuple[Shape, ...]
    args: tuple = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    dtype: str = "float32"
    call: str = ""  # the name written in .slim and looked up in tf_slim (an alias), if not kind

    @property
    def name(self) -> str:
        return self.call or self.kind

    @property
    def id(self) -> str:
        params = [slim_text(a, False) for a in self.args]
        params += [f"{k}={slim_text(v, False)}" for k, v in self.kwargs]
        shapes = "+".join(_shape_text(s, ",") for s in self.shapes)
        dtype = "" if self.dtype == "float32" else f":{self.dtype}"
        return f"{self.name}({','.join(params)})@{shapes}{dtype}"

    @property
    def input_names(self) -> list[str]:
        return ["x"] if len(self.shapes) == 1 else [f"x{i}" for i in range(len(self.shapes))]

    @property
    def layer_line(self) -> int:
        return 2 + len(self.shapes)

    def source(self) -> str:
        """The .slim model: inputs, then the layer under test (default scope), then the output."""
        names = self.input_names
        lines = ["model m {"]
        lines += [f"  input {n}: {_shape_text(s)} {self.dtype}" for n, s in zip(names, self.shapes)]
        params = [slim_text(a) for a in self.args]
        params += [f"{k}={slim_text(v)}" for k, v in self.kwargs]
        if LAYERS[self.kind].inputs == "list":
            params.insert(0, "[" + ", ".join(names) + "]")
        elif len(names) > 1:
            params[:0] = names
        lines.append(f"  {self.name}({', '.join(params)})")
        lines += ["  output y = net", "}", ""]
        return "\n".join(lines)


def C(kind: str, *shapes: Shape, args: tuple = (), dtype: str = "float32", call: str = "",
      **kwargs: Any) -> Case:
    """Shorthand: ``C("conv2d", (None, 7, 7, 3), args=(8, 3), stride=2)``."""
    return Case(kind, tuple(tuple(s) for s in shapes), tuple(args), tuple(kwargs.items()),
                dtype, call)


# ---------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    """What one side made of a case: a shape and variables, or an error."""

    shape: Shape | None = None
    variables: tuple[tuple[str, tuple[int, ...], bool], ...] = ()
    error: str = ""
    unknown_rank: bool = False
    #: with fingerprints: ((variable, initializer fingerprint), ...) and the regularizers
    inits: tuple = ()
    regs: tuple = ()

    @property
    def ok(self) -> bool:
        return not self.error and not self.unknown_rank

    def show(self) -> str:
        if self.error:
            return f"error: {self.error}"
        if self.unknown_rank:
            return "shape of unknown rank"
        shape = _shape_text(self.shape)  # type: ignore[arg-type]
        variables = ", ".join(f"{n} {_shape_text(s)}{'' if t else ' (not trainable)'}"
                              for n, s, t in self.variables)
        extra = f"; initializers: {self.inits}; regularizers: {self.regs}" \
            if self.inits or self.regs else ""
        return f"{shape}; variables: {variables or '-'}{extra}"


def run_slimdsl(case: Case, fingerprints: bool = False) -> Outcome:
    """Check the case's .slim source; an error must be a diagnostic on the layer's line."""
    result, error = check_statement(case.source(), case.layer_line, f"{case.id}.slim")
    if error:
        return Outcome(error=error)
    graph = result.graphs[0]
    variables = tuple(sorted((v.name.removeprefix("m/"), tuple(v.shape), v.trainable)
                             for v in graph.variables))
    if not fingerprints:
        return Outcome(graph.outputs[0].tensor.shape, variables)
    inits = tuple(sorted((v.name.removeprefix("m/"), our_initializer(v.initializer))
                         for v in graph.variables))
    regs = tuple(sorted((k.removeprefix("m/"), v)
                        for k, v in our_regularizers(graph.variables).items()))
    return Outcome(graph.outputs[0].tensor.shape, variables, inits=inits, regs=regs)


def _tf_function(case: Case, tf: Any, slim: Any, resnet_utils: Any) -> Any:
    if case.call:
        return getattr(slim, case.call)
    module, _, attr = LAYERS[case.kind].tf_name.rpartition(".")
    root = {"slim": slim, "resnet_utils": resnet_utils, "tf": tf, "tf.nn": tf.nn}[module]
    return getattr(root, attr)


def run_tf(case: Case, index: int, tf: Any, slim: Any, resnet_utils: Any,
           shared: str | None = None, fingerprints: bool = False) -> tuple[Outcome, Any]:
    """Build the case in the current default graph under variable scope ``c<index>``.

    With ``shared`` (a scope name), the layer is built as ``shared/<shared>`` with AUTO_REUSE
    instead, so cases whose variables have the same shapes share them: creating variables is
    most of tf_slim's graph-building time. Variable names are then reported under the kind's
    default scope, as slimdsl names them.
    """
    fn = _tf_function(case, tf, slim, resnet_utils)
    args = [_resolve(a, tf, slim) for a in case.args]
    kwargs = {k: _resolve(v, tf, slim) for k, v in case.kwargs}
    # resnet_utils' functions take conv2d's / max_pool2d's other arguments from arg_scope only.
    accepted = inspect.signature(fn).parameters
    scoped = {k: kwargs.pop(k) for k in list(kwargs) if k not in accepted}
    scoped_fn = {"conv2d_same": slim.conv2d, "subsample": slim.max_pool2d}.get(case.kind)
    v1 = tf.compat.v1
    before = len(v1.global_variables())
    losses = len(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES))
    if shared:
        kwargs[LAYERS[case.kind].scope_arg] = shared
        prefix, rename = f"shared/{shared}/", LAYERS[case.kind].default_scope + "/"
        scope = tf.compat.v1.variable_scope("shared", reuse=tf.compat.v1.AUTO_REUSE)
    else:
        prefix, rename = f"c{index}/", ""
        scope = tf.compat.v1.variable_scope(f"c{index}")
    spy = recording_initializers() if fingerprints else contextlib.nullcontext({})
    with scope, spy as initializers:
        xs = [tf.compat.v1.placeholder(case.dtype, shape=list(s)) for s in case.shapes]
        inputs = {"one": xs[:1], "list": [xs], "two": xs, "none": []}[LAYERS[case.kind].inputs]
        try:
            if scoped:
                with slim.arg_scope([scoped_fn], **scoped):
                    out = fn(*inputs, *args, **kwargs)
            else:
                out = fn(*inputs, *args, **kwargs)
        except (ValueError, TypeError, IndexError) as e:  # bias_add of a scalar: IndexError
            return Outcome(error=f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"), None
    if out.shape.rank is None:
        return Outcome(unknown_rank=True), None
    trainable = {v.op.name for v in tf.compat.v1.trainable_variables()}
    created = [v for v in tf.compat.v1.global_variables()
               if v.op.name.startswith(prefix)] if shared else \
        tf.compat.v1.global_variables()[before:]
    variables = tuple(sorted(
        (rename + v.op.name.removeprefix(prefix), tuple(v.shape.as_list()),
         v.op.name in trainable) for v in created))
    shape = tuple(out.shape.as_list())
    if not fingerprints:
        return Outcome(shape, variables), (out, xs)
    inits = tuple(sorted((rename + name.removeprefix(prefix), fp)
                         for name, fp in initializers.items()))
    regs = tuple(sorted((rename + k.removeprefix(prefix), v) for k, v in tf_regularizers(
        tf, v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)[losses:]).items()))
    return Outcome(shape, variables, inits=inits, regs=regs), (out, xs)


def fails_when_run(case: Case, tf: Any, slim: Any) -> bool:
    """Does TF's graph of ``case`` fail when it runs (unknown dimensions set to 5)?

    Asked when slimdsl refuses a case TF builds: TF leaves some checks to run time (a repeated
    reduction axis), which slimdsl makes at once."""
    import numpy as np
    from tf_slim.nets import resnet_utils
    v1 = tf.compat.v1
    concrete = [[5 if d is None else d for d in s] for s in case.shapes]
    with tf.Graph().as_default(), v1.Session() as session:
        fn = _tf_function(case, tf, slim, resnet_utils)
        xs = [v1.placeholder(case.dtype, shape=list(s)) for s in case.shapes]
        inputs = {"one": xs[:1], "list": [xs], "two": xs, "none": []}[LAYERS[case.kind].inputs]
        out = fn(*inputs, *[_resolve(a, tf, slim) for a in case.args],
                 **{k: _resolve(v, tf, slim) for k, v in case.kwargs})
        session.run(v1.global_variables_initializer())
        feed = {x: np.ones(s, dtype=case.dtype) for x, s in zip(xs, concrete)}
        try:
            session.run(out, feed)
        except tf.errors.OpError:
            return True
    return False


def agrees(case: Case, theirs: Outcome, tf: Any, slim: Any, fingerprints: bool = False
           ) -> str | None:
    """:func:`mismatch`, after asking whether a case slimdsl refuses fails when TF runs it."""
    ours = run_slimdsl(case, fingerprints)
    if ours.error and theirs.ok and not deliberate_asymmetry(case) and \
            fails_when_run(case, tf, slim):
        return None
    return mismatch(case, ours, theirs)


def deliberate_asymmetry(case: Case) -> tuple[str, str] | None:
    """Why slimdsl rejects a case TF accepts on purpose, and the text slimdsl's error must
    hold; or None."""
    kw = dict(case.kwargs)
    if case.kind == "separable_conv2d":
        if _pair(kw.get("stride", 1)) != (1, 1) and _pair(kw.get("rate", 1)) != (1, 1):
            return ("TF 2.21 builds separable_conv2d with stride > 1 and rate > 1, but TF-Slim's "
                    "docstring forbids it: slimdsl rejects it",
                    "not supported together with rate > 1")
    if case.kind == "pool" and kw.get("dilation_rate", 1) != 1 and any(
            d is None for s in case.shapes for d in s[1:-1]):
        return ("a dilated pool over an unknown spatial dimension: TF skips every size check "
                "(its static shape is all unknown), and running the graph when a known "
                "dimension is smaller than the dilated window kills the process (SIGFPE, "
                "verified): slimdsl reports the arithmetic", "(dilated to ")
    return None


def _pair(v: Any) -> tuple[int, int]:
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)  # type: ignore[return-value]


def mismatch(case: Case, ours: Outcome, theirs: Outcome) -> str | None:
    """A description of how the two outcomes disagree, or None when they agree."""
    asymmetry = deliberate_asymmetry(case)
    # slimdsl rejects these with this text (a dilated pool that fits is still compared)
    if asymmetry and (ours.error or case.kind != "pool"):
        if asymmetry[1] in ours.error or (ours.error and theirs.error):
            return None
        return (f"expected slimdsl's deliberate rejection:\n"
                f"  slimdsl: {ours.show()}\n  TF:      {theirs.show()}")
    if theirs.unknown_rank and ours.error:
        return None
    if ours.ok and theirs.ok and ours == theirs:
        return None
    if ours.error and theirs.error:
        return None
    return f"slimdsl and TF disagree:\n  slimdsl: {ours.show()}\n  TF:      {theirs.show()}"


def build_all(cases: list[Case], tf: Any, slim: Any, *, share_variables: bool = False,
              chunk: int = 0, run: bool = False, fingerprints: bool = False
              ) -> dict[str, Outcome]:
    """TF outcomes of ``cases`` by case id, built in one fresh graph per ``chunk`` cases.

    TF's graph building slows down as a graph grows, so big grids use several graphs.
    ``share_variables``: see :func:`run_tf`; cases share variables when everything that
    decides their shapes (all but the input's spatial size, stride, padding, rate) is equal.
    ``run``: run every built case whose input shapes are fully known (on ones); a failure then
    is TF's outcome.
    """
    from tf_slim.nets import resnet_utils
    chunk = chunk or len(cases) or 1
    keys: dict[tuple, str] = {}
    out: dict[str, Outcome] = {}
    for start in range(0, len(cases), chunk):
        keys.clear()  # variables of an earlier graph are gone
        built = []
        with tf.Graph().as_default() as graph:
            for i, c in enumerate(cases[start:start + chunk], start):
                shared = None
                kind = LAYERS[c.kind]
                # gdn builds each case in its own scope (its grid is small)
                if share_variables and kind.scope_kind == "variable" and kind.scope_arg \
                        and c.kind != "gdn":
                    key = (c.kind, repr(c.args), c.dtype,
                           tuple((len(s), *s[-1:]) for s in c.shapes),
                           tuple((k, repr(v)) for k, v in c.kwargs
                                 if k not in ("stride", "padding", "rate")))
                    shared = keys.setdefault(key, f"s{len(keys)}")
                out[c.id], tensors = run_tf(c, i, tf, slim, resnet_utils, shared, fingerprints)
                if run and tensors is not None and all(
                        d is not None for s in c.shapes for d in s):
                    built.append((c, tensors))
            if built:
                _run_built(tf, graph, built, out)
    return out


def _run_built(tf: Any, graph: Any, built: list, out: dict[str, Outcome]) -> None:
    """Run the built cases on ones; a case that fails becomes an error outcome. They run
    together, and a failing group is split in halves until the failing cases are found."""
    import numpy as np
    v1 = tf.compat.v1
    with v1.Session(graph=graph) as sess:
        sess.run(v1.global_variables_initializer())

        def run(group: list) -> None:
            feed = {x: np.ones(s, case.dtype) for case, (_, xs) in group
                    for x, s in zip(xs, case.shapes)}
            try:
                sess.run([tensor for _, (tensor, _) in group], feed)
            except tf.errors.OpError as e:
                if len(group) > 1:
                    run(group[:len(group) // 2])
                    run(group[len(group) // 2:])
                    return
                message = str(e).strip().splitlines()[0][:200]
                out[group[0][0].id] = Outcome(error=f"when run: {type(e).__name__}: {message}")
        run(built)


def compare_all(cases: list[Case], tf: Any, slim: Any, **options: Any) -> list[str]:
    """Every mismatch among ``cases`` (empty when all agree)."""
    theirs = build_all(cases, tf, slim, **options)
    problems = []
    for case in cases:
        problem = agrees(case, theirs[case.id], tf, slim, options.get("fingerprints", False))
        if problem:
            problems.append(f"{case.id}: {problem}")
    return problems


