"""Differential testing of generated TensorFlow code against real tf_slim (the oracle).

:func:`compare` builds one model twice: from a .slim source through slimc's backend, and with
tf_slim in a TF1 graph. It checks that both create the same variables (names, shapes,
trainable flags), copies random values by name from tf_slim into the generated model, and
compares outputs in inference and in training mode, the moving averages after one training
step, and every regularization term.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slimdsl.api import compile_source
from slimdsl.backends.tensorflow.codegen import class_names, generate
from slimdsl.backends.tensorflow.run import load_module

RUFF = Path(sys.executable).with_name("ruff")
ROOT = Path(__file__).resolve().parents[2]


def build_generated(source: str, path: str = "case.slim", **overrides: Any):
    """(graph, module, class) for the first model of ``source`` (a file of several must say
    which one to compile: the first ``model NAME`` line names it)."""
    first = re.search(r"^model (\w+)", source, re.M)
    graph = compile_source(source, path, model=first.group(1) if first else None,
                           overrides=overrides or None)
    code = generate(graph, path)
    module = load_module(code, graph.name)
    return graph, module, getattr(module, class_names([graph])[0]), code


def ruff_problems(code: str, tmp_path: Path) -> str:
    """ruff's findings on generated code with the project's settings ("" when clean)."""
    target = tmp_path / "generated_check.py"
    target.write_text(code)
    proc = subprocess.run([str(RUFF), "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), str(target)],
                          capture_output=True, text=True)
    return "" if proc.returncode == 0 else proc.stdout + proc.stderr


@dataclass
class Reference:
    """What tf_slim computed for one input."""

    variables: dict[str, np.ndarray]
    trainable: set[str]
    eval_out: list[np.ndarray]
    train_out: list[np.ndarray] | None = None
    after_step: dict[str, np.ndarray] = field(default_factory=dict)
    regularization: list[float] = field(default_factory=list)


def slim_reference(tf, build: Callable, inputs: list[np.ndarray], dtypes: list[str],
                   shapes: list[tuple], seed: int = 1, training: bool = True) -> Reference:
    """Run ``build(placeholders, is_training) -> outputs`` with tf_slim, twice (eval, train).

    Variables get random values first (moving variances positive) so every one of them
    matters; the training graph is loaded with the same values and run with its UPDATE_OPS.
    """
    rng = np.random.RandomState(seed)
    v1 = tf.compat.v1
    with tf.Graph().as_default() as g:
        phs = [v1.placeholder(dt, [None] + list(s[1:])) for dt, s in zip(dtypes, shapes)]
        outs = _as_list(build(phs, False))
        regs = v1.losses.get_regularization_losses()
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            values = {}
            for v in v1.global_variables():
                value = sess.run(v)
                if value.dtype.kind == "f":
                    value = rng.uniform(-1, 1, value.shape).astype(value.dtype)
                    if "moving_variance" in v.op.name:
                        value = np.abs(value) + 0.5
                v.load(value, sess)
                values[v.op.name] = value
            trainable = {v.op.name for v in v1.trainable_variables()}
            feed = dict(zip(phs, inputs))
            ref = Reference(values, trainable, sess.run(outs, feed), regularization=sess.run(regs))
    if not training:
        return ref
    with tf.Graph().as_default() as g:
        phs = [v1.placeholder(dt, [None] + list(s[1:])) for dt, s in zip(dtypes, shapes)]
        outs = _as_list(build(phs, True))
        updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        with v1.Session(graph=g) as sess:
            for v in v1.global_variables():
                v.load(values[v.op.name], sess)
            # one run: a batch_norm with updates_collections=none updates in its forward pass,
            # which a second run (for UPDATE_OPS) would repeat
            ref.train_out, _ = sess.run([outs, updates], dict(zip(phs, inputs)))
            ref.after_step = {v.op.name: sess.run(v) for v in v1.global_variables()
                              if "moving_" in v.op.name}
    return ref


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def compare(tf, slim, source: str, build: Callable, shapes: list[tuple] | tuple,
            dtypes: list[str] | None = None, inputs: list[np.ndarray] | None = None,
            training: bool = True, rtol: float = 1e-5, **overrides: Any) -> Any:
    """The full differential check of one .slim model against its tf_slim twin."""
    shapes = [shapes] if isinstance(shapes[0], int) else list(shapes)
    dtypes = dtypes or ["float32"] * len(shapes)
    rng = np.random.RandomState(0)
    inputs = inputs or [rng.uniform(-1, 1, s).astype(dt) for s, dt in zip(shapes, dtypes)]
    graph, _module, cls, _code = build_generated(source, **overrides)
    ref = slim_reference(tf, build, inputs, dtypes, shapes, training=training)
    model = cls()
    ours = {v.name[: v.name.rindex(":")]: v for v in model.variables}
    assert {k: tuple(v.shape) for k, v in ours.items()} == \
        {k: v.shape for k, v in ref.variables.items()}
    assert {k for k, v in ours.items() if v.trainable} == ref.trainable
    assert [(v.name, v.shape) for v in graph.variables] == \
        [(k, tuple(ours[k].shape)) for k in (v.name for v in graph.variables)]
    assert sorted(v.name for v in graph.variables) == sorted(ours)
    for name, var in ours.items():
        var.assign(ref.variables[name])
    tensors = [tf.constant(x) for x in inputs]
    got = model(*tensors, training=False)[:-1]
    _close(got, ref.eval_out, rtol, "inference")
    regs = [float(t) for t in model.regularization_losses()]
    np.testing.assert_allclose(regs, ref.regularization, rtol=1e-5, atol=1e-7,
                               err_msg="regularization terms")
    np.testing.assert_allclose(sum(regs), sum(ref.regularization), rtol=1e-5, atol=1e-7)
    if training:
        for name, var in ours.items():  # batch_norm(is_training=true) updated them already
            var.assign(ref.variables[name])
        got = model(*tensors, training=True)[:-1]
        _close(got, ref.train_out, rtol, "training")
        for name, value in ref.after_step.items():
            np.testing.assert_allclose(ours[name].numpy(), value, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} after one training step")
    return model


def _close(got, want, rtol: float, what: str) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g = np.asarray(g)
        assert g.shape == w.shape, (what, g.shape, w.shape)
        scale = float(np.abs(w).max()) if w.size else 1.0
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * max(scale, 1e-6),
                                   err_msg=what)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
