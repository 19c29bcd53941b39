"""One export, start to finish: convert into a staging place, verify, then move over ``-o``.

:func:`export` converts an :class:`~.build.ExportModel` to one format, runs the result in its
own runtime on a random batch against the generated module (unless ``verify=False``) and only
then replaces the output. A float32 export that differs by more than :data:`TOLERANCE` is a
converter bug and fails; a quantized one reports its error and top-1 agreement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..run import quiet_stderr
from . import formats, output, runtimes
from .build import ExportModel
from .request import DEFAULT_OPSET, ExportError

#: Largest relative difference (max |exported - generated| / max |generated|) accepted from a
#: float32 export.
TOLERANCE = 1e-4


@dataclass
class Verification:
    """How the exported model compared with the generated module on one random batch."""

    runtime: str
    batch: int
    relative: float
    top1: float | None

    def text(self) -> str:
        agree = "" if self.top1 is None else f", top-1 agreement {self.top1:.0%}"
        return (f"{self.runtime} on a random batch of {self.batch}: max relative difference "
                f"{self.relative:.1e}{agree}")


@dataclass
class ExportResult:
    """What was written, and how it was checked."""

    path: str
    fmt: str
    size: int
    seconds: float
    opset: int | None = None
    verification: Verification | None = None
    skipped: str | None = None  # why there was no verification
    notes: list[str] = field(default_factory=list)


def sample_inputs(em: ExportModel, batch: int = 1, seed: int = 0) -> dict[str, np.ndarray] | None:
    """Random inputs of the signature's shapes (``batch`` for an unknown first dimension), or
    None when another dimension is unknown."""
    rng = np.random.default_rng(seed)
    out = {}
    for spec in em.input_specs:
        dims = list(spec.shape)
        if dims and dims[0] is None:
            dims[0] = batch
        if any(d is None for d in dims):
            return None
        dtype = spec.dtype.as_numpy_dtype
        if spec.dtype.is_floating:
            out[spec.name] = rng.uniform(0.0, 1.0, dims).astype(dtype)
        elif spec.dtype.is_bool:
            out[spec.name] = rng.uniform(size=dims) < 0.5
        else:
            out[spec.name] = rng.integers(0, 2, dims).astype(dtype)
    return out


def export(em: ExportModel, fmt: str, path: str, *, optimize: bool = False,
           quantize: str = "none", opset: int = DEFAULT_OPSET, verify: bool = True,
           source: str = "") -> ExportResult:
    """Write ``em`` to ``path`` in ``fmt``; raise :class:`ExportError` leaving ``path`` as it
    was on any problem."""
    start = time.perf_counter()
    result = ExportResult(path, fmt, 0, 0.0)
    if fmt == "saved_model":
        with output.staged_directory(path) as staging:
            formats.write_saved_model(em, staging, optimize)
            _verify(em, result, verify, quantize,
                    lambda inputs: runtimes.run_saved_model(em.tf, staging, inputs),
                    "tf.saved_model.load")
    else:
        if fmt == "tflite":
            data = formats.tflite_bytes(em, optimize, quantize)
            run = lambda inputs: runtimes.run_tflite(em.tf, data, inputs)  # noqa: E731
            runtime = "tf.lite.Interpreter"
        elif fmt == "onnx":
            data = formats.onnx_proto(em, optimize, opset, source).SerializeToString()
            run = lambda inputs: runtimes.run_onnx(data, inputs)  # noqa: E731
            runtime, result.opset = "onnxruntime", opset
        else:
            raise ExportError(f"unknown format {fmt!r}")
        _verify(em, result, verify, quantize, run, runtime)
        with output.staged_file(path) as staging:
            output.write_bytes(staging, data)
    result.size = output.size_of(path)
    result.seconds = time.perf_counter() - start
    return result


def _verify(em: ExportModel, result: ExportResult, verify: bool, quantize: str,
            run: Any, runtime: str) -> None:
    if not verify:
        result.skipped = "not asked for (--no-verify)"
        return
    inputs = sample_inputs(em)
    if inputs is None:
        result.skipped = ("an input has unknown dimensions besides the batch; fix them with "
                          "--input NAME=SHAPE to verify")
        return
    want = em.call("variables", *inputs.values())
    try:
        with quiet_stderr():  # TFLite announces its XNNPACK delegate on stderr
            got = run(inputs)
    except Exception as exc:  # noqa: BLE001 - each runtime has its own error types
        raise ExportError(f"{runtime} cannot run the exported {em.graph.name}: "
                          f"{' '.join(str(exc).split())[:600]}") from None
    try:
        relative = runtimes.relative_difference(got, want)
    except ValueError as exc:
        raise ExportError(f"the exported {em.graph.name} does not give the model's outputs in "
                          f"{runtime}: {exc}") from None
    batch = next(iter(inputs.values())).shape[0] if inputs else 1
    result.verification = Verification(runtime, batch, relative,
                                       runtimes.top1_agreement(got, want))
    if quantize == "none" and not relative <= TOLERANCE:
        raise ExportError(f"verification failed: {result.verification.text()}, more than "
                          f"{TOLERANCE:g}; nothing was written (a converter bug: please report "
                          f"it with the .slim file)")
