"""The reference data of the zoo's networks from tensorflow/models (tests/data/nets/NAME.json)
and the fingerprint comparison its README prescribes.

Every variable gets a value that depends only on its name and shape
(``default_rng(crc32(name)).standard_normal(shape) * 0.05`` as float32; ``|v| + 1`` for a
``moving_variance``), the input is ``default_rng(0).standard_normal(input_shape)``, and the
reference holds the float64 sum and mean |x| of the output, of every end point and of every
layer's output (a layer being a variable scope that holds variables, after its normalizer and
activation), all computed by the original TF-Slim code. :func:`run_fingerprint` gives a
slimc-generated model those weights, runs it eagerly once while recording the output of each
layer object, and :func:`compare` checks everything within the README's tolerance:

* mean |x|: relative 1e-4;
* sums: relative 1e-4, unless the sum has cancelled (``|sum| < 0.1 * mean|x| * count``, possible
  since ``|sum| <= mean|x| * count``); then absolute ``1e-4 * mean|x| * count``;
* the output's first five values: ``1e-4 * max(|value|, mean|x|)`` each.

Under these weights most outputs barely depend on the input (layer after layer the biases and
betas dominate), so the layer checks are what prove the early layers: each depends on its own
weights and the few layers before it.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "data" / "nets"
RTOL = 1e-4
CANCELLED = 0.1


def load_reference(name: str) -> dict:
    """The reference data of one network (``variant`` sections merged by the caller)."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def fingerprint_value(name: str, shape: list[int]) -> np.ndarray:
    """The README's value of the variable ``name`` (TF layout, float32)."""
    value = np.random.default_rng(zlib.crc32(name.encode("utf-8"))).standard_normal(
        tuple(shape)) * 0.05
    if name.endswith("moving_variance"):
        value = np.abs(value) + 1
    return value.astype(np.float32)


def fingerprint_input(shape: list[int]) -> np.ndarray:
    """The README's input: ``default_rng(0)`` normals of ``shape``, float32."""
    return np.random.default_rng(0).standard_normal(tuple(shape)).astype(np.float32)


@dataclass(frozen=True)
class Stats:
    """What the reference keeps of a tensor: shape, float64 sum, float64 mean |x|."""

    shape: tuple
    sum: float
    abs_mean: float

    @staticmethod
    def of(x: Any) -> Stats:
        a = np.asarray(x)
        return Stats(tuple(a.shape), float(np.sum(a, dtype=np.float64)),
                     float(np.mean(np.abs(a), dtype=np.float64)))


@dataclass
class Report:
    """The checks made and the ones that failed, with the worst error/tolerance ratios."""

    checked: int = 0
    failures: list[str] = field(default_factory=list)
    ratios: list[tuple[float, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, what: str) -> None:
        self.checked += 1
        self.failures.append(what)

    def within(self, what: str, error: float, tolerance: float) -> None:
        self.checked += 1
        self.ratios.append((error / tolerance if tolerance > 0 else
                            (0.0 if error == 0 else float("inf")), what))
        if not error <= tolerance:  # NaN fails too
            self.failures.append(what)

    def summary(self, worst: int = 5) -> str:
        lines = [f"{'OK' if self.ok else 'FAILED'}: {self.checked} checks, "
                 f"{len(self.failures)} failed"]
        lines += [f"  failed: {f}" for f in self.failures[:25]]
        lines += [f"  error/tolerance {r:.3g}: {w}" for r, w in sorted(self.ratios)[-worst:]]
        return "\n".join(lines)

    @property
    def worst_ratio(self) -> float:
        return max((r for r, _ in self.ratios), default=0.0)


def check_stats(report: Report, what: str, got: Stats, shape: list[int], ref_sum: float,
                ref_abs_mean: float) -> None:
    """Shape, sum and mean |x| of ``got`` against the reference's, within the tolerance."""
    if list(got.shape) != list(shape):
        report.fail(f"{what}: shape {list(got.shape)}, reference {list(shape)}")
        return
    mass = ref_abs_mean * prod(shape)
    cancelled = abs(ref_sum) < CANCELLED * mass
    report.within(f"{what} sum {got.sum!r} (reference {ref_sum!r})", abs(got.sum - ref_sum),
                  RTOL * (mass if cancelled else abs(ref_sum)))
    report.within(f"{what} mean|x| {got.abs_mean!r} (reference {ref_abs_mean!r})",
                  abs(got.abs_mean - ref_abs_mean), RTOL * ref_abs_mean)


def compare(ref: dict, output: Any, end_points: dict[str, Stats],
            layers: dict[str, Stats] | None) -> Report:
    """The run (output, end points by key, layer outputs by scope) against ``ref``."""
    report = Report()
    out = Stats.of(output)
    check_stats(report, "output", out, ref["output_shape"], ref["output_sum"],
                ref["output_abs_mean"])
    for i, (got, want) in enumerate(zip(np.asarray(output).reshape(-1)[:5],
                                        ref["output_first5"])):
        report.within(f"output[{i}] {float(got)!r} (reference {want!r})", abs(float(got) - want),
                      RTOL * max(abs(want), ref["output_abs_mean"]))
    if set(end_points) != set(ref["end_points"]):
        report.fail(f"end point keys: missing {sorted(set(ref['end_points']) - set(end_points))}"
                    f", extra {sorted(set(end_points) - set(ref['end_points']))}")
    for key, shape in ref["end_points"].items():
        if key in end_points:
            check_stats(report, f"end point {key}", end_points[key], shape,
                        ref["end_point_sums"][key], ref["end_point_abs_means"][key])
    for key, want in (ref.get("layer_outputs") or {}).items() if layers is not None else ():
        if key not in layers:
            report.fail(f"layer {key}: no layer object of the model has these variables")
            continue
        check_stats(report, f"layer {key}", layers[key], want["shape"], want["sum"],
                    want["abs_mean"])
    return report


def variable_differences(ref: dict, ours: dict[str, list[int]]) -> list[str]:
    """How the model's variables (name -> shape) differ from the reference's (order aside)."""
    want = {n: list(s) for n, s in ref["variables"]}
    out = [f"missing {n} {want[n]}" for n in want if n not in ours]
    out += [f"unexpected {n} {ours[n]}" for n in ours if n not in want]
    out += [f"{n}: shape {ours[n]}, reference {want[n]}" for n in want
            if n in ours and ours[n] != want[n]]
    return out


def _scope_of(module: Any) -> str:
    """The TF-Slim scope of a layer object: the common directory of its variables
    (``Conv/weights`` and ``Conv/BatchNorm/beta`` give ``Conv``)."""
    return os.path.commonpath([v.name[:v.name.rindex(":")].rsplit("/", 1)[0]
                               for v in module.variables])


class _Recorder:
    """Stands in for a layer object of the model: calls it and keeps its output's stats."""

    def __init__(self, inner: Any, scope: str, into: dict[str, Stats]):
        self._inner, self._scope, self._into = inner, scope, into

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self._inner(*args, **kwargs)
        key = self._scope if self._scope not in self._into else f"{self._scope} (again)"
        self._into[key] = Stats.of(out)  # stats only: the video nets' tensors are large
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def assign_fingerprint(model: Any, ref: dict) -> None:
    """Give every variable of ``model`` its fingerprint value; the names and shapes must be
    the reference's."""
    ours = {v.name[:v.name.rindex(":")]: v for v in model.variables}
    problems = variable_differences(ref, {n: v.shape.as_list() for n, v in ours.items()})
    assert not problems, "variables differ from the reference:\n  " + "\n  ".join(problems[:30])
    for name, variable in ours.items():
        variable.assign(fingerprint_value(name, variable.shape.as_list()))


def run_fingerprint(model: Any, input_shape: list[int]) -> tuple[Any, dict, dict[str, Stats]]:
    """Run ``model`` (fingerprint weights assigned) eagerly on the fingerprint input: its first
    output, its end points' stats and every layer object's output stats by scope."""
    import tensorflow as tf
    layers: dict[str, Stats] = {}
    swapped = []
    for attr, sub in list(vars(model).items()):
        if isinstance(sub, tf.Module) and sub.variables and callable(sub):
            object.__setattr__(model, attr, _Recorder(sub, _scope_of(sub), layers))
            swapped.append((attr, sub))
    try:
        call = type(model).__call__
        call = getattr(call, "python_function", call)  # eager: op by op, recordable
        output, end_points = call(model, tf.constant(fingerprint_input(input_shape)),
                                  training=False)
    finally:
        for attr, sub in swapped:
            object.__setattr__(model, attr, sub)
    return np.asarray(output), {k: Stats.of(v) for k, v in end_points.items()}, layers
