"""Running an exported model in the runtime its format is for: a SavedModel with
``tf.saved_model.load``, a ``.tflite`` file in ``tf.lite.Interpreter``, an ``.onnx`` file in
onnxruntime. Each returns {output name: NumPy array}; the export's verification, the tests and
the benchmarks share them."""

from __future__ import annotations

from typing import Any

import numpy as np


def run_saved_model(tf: Any, path: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``serving_default`` of the SavedModel at ``path`` on ``inputs`` (by input name)."""
    loaded = tf.saved_model.load(path)
    result = loaded.signatures["serving_default"](
        **{k: tf.constant(v) for k, v in inputs.items()})
    return {k: v.numpy() for k, v in result.items()}


def tflite_interpreter(tf: Any, data: bytes, threads: int | None = None) -> Any:
    """A ``tf.lite.Interpreter`` over a flatbuffer, its deprecation notice silenced."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tf.lite.Interpreter(model_content=data, num_threads=threads)


def run_tflite(tf: Any, data: bytes, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The TFLite model's ``serving_default`` signature on ``inputs`` (resized to their
    batch)."""
    interpreter = tflite_interpreter(tf, data)
    runner = interpreter.get_signature_runner("serving_default")
    return {k: np.array(v) for k, v in runner(**inputs).items()}


def onnx_session(model: bytes | str, threads: int | None = None) -> Any:
    """An onnxruntime CPU session over a serialized model or a path."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def run_onnx(model: bytes | str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The ONNX model in onnxruntime on ``inputs`` (by input name)."""
    session = onnx_session(model)
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, inputs)))


def relative_difference(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> float:
    """The largest ``max|got - want| / max|want|`` over the outputs (0 for equal zeros).

    Relative to each output's scale rather than elementwise: logits near zero would make an
    elementwise ratio meaningless.
    """
    if sorted(got) != sorted(want):
        raise ValueError(f"outputs differ: got {sorted(got)}, want {sorted(want)}")
    worst = 0.0
    for key, expected in want.items():
        actual = np.asarray(got[key], dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        if actual.shape != expected.shape:
            raise ValueError(f"output {key}: shape {actual.shape}, want {expected.shape}")
        scale = float(np.max(np.abs(expected))) if expected.size else 0.0
        error = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
        worst = max(worst, error / scale if scale else error)
    return worst


def top1_agreement(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> float | None:
    """The fraction of examples whose arg-max over the last axis agrees, over every output of
    rank 2 or more (None when there is none)."""
    agree = total = 0
    for key, expected in want.items():
        expected = np.asarray(expected)
        if expected.ndim < 2:
            continue
        rows = expected.reshape(expected.shape[0], -1, expected.shape[-1])
        mine = np.asarray(got[key]).reshape(rows.shape)
        agree += int(np.sum(rows.argmax(-1) == mine.argmax(-1)))
        total += rows.shape[0] * rows.shape[1]
    return agree / total if total else None
