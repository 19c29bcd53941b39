"""The export formats: a SavedModel directory, a ``.tflite`` file, an ``.onnx`` file.

Each converter turns an :class:`~.build.ExportModel` into the format's bytes (or a directory)
in a temporary place; :mod:`.output` moves the result over ``-o`` only once everything,
verification included, succeeded. A converter's failure (an op the format cannot express)
becomes an :class:`~.request.ExportError` naming the ops, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from .... import __version__
from ..run import quiet_stderr
from .build import ExportModel
from .request import DEFAULT_OPSET, ExportError

#: Metadata keys written into an .onnx file (``model.metadata_props``).
ONNX_METADATA_PREFIX = "slimdsl."


def variant_for(optimize: bool, fmt: str) -> str:
    """Which traced function a format starts from: SavedModel keeps variables unless
    optimizing; TFLite and ONNX always start from a frozen graph, TFLite's with the ops it has
    no builtin kernel for rewritten (3-D pooling)."""
    if fmt == "saved_model":
        return "optimized" if optimize else "variables"
    base = "optimized" if optimize else "frozen"
    return f"{base}-tflite" if fmt == "tflite" else base


def write_saved_model(em: ExportModel, directory: str, optimize: bool) -> None:
    """A SavedModel with ``serving_default`` = the serving function.

    Unoptimized, the root object is the generated model itself: its variables are saved and
    ``tf.saved_model.load`` gives back ``serve`` and the restored variables. Optimized, the
    graph is frozen (constants, batch norm folded) and holds no variables.
    """
    tf = em.tf
    concrete = em.function(variant_for(optimize, "saved_model"))
    root = tf.Module() if optimize else em.model
    try:
        tf.saved_model.save(root, directory, signatures={"serving_default": concrete})
    except (ValueError, TypeError, tf.errors.OpError) as exc:
        raise ExportError(f"TensorFlow could not save {em.graph.name} as a SavedModel: "
                          f"{_short(exc)}") from None


def tflite_bytes(em: ExportModel, optimize: bool, quantize: str = "none") -> bytes:
    """The model as a TFLite flatbuffer (TFLite builtin ops only), float32 or with weights
    quantized to int8 (``quantize="dynamic"``: dynamic-range quantization)."""
    tf = em.tf
    concrete = em.function(variant_for(optimize, "tflite"))
    # A trackable object makes the converter take its SavedModel route, which names the
    # signature's outputs by key (without one they would be Identity, Identity_1...).
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], tf.Module())
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    try:
        with _quiet_logs("absl", "tensorflow"), quiet_stderr():
            return bytes(converter.convert())
    except Exception as exc:  # noqa: BLE001 - ConverterError and whatever the MLIR passes raise
        raise ExportError(f"TFLite cannot convert {em.graph.name}: {converter_problem(str(exc))}"
                          ) from None


def converter_problem(text: str) -> str:
    """What a TFLite converter error says failed, without its MLIR locations.

    >>> print(converter_problem("loc(x): error: 'tf.Relu' op is neither a custom op nor a flex"
    ...     " op\\nTF Select ops: Relu\\nDetails:\\n\\ttf.Relu(tensor<8xf64>) -> "
    ...     "(tensor<8xf64>) : {device = ''}\\n"))
    no TFLite builtin kernel for the ops Relu (such as tf.Relu(tensor<8xf64>) -> (tensor<8xf64>))
    """
    select = re.search(r"TF Select ops: (.+)", text)
    if select:
        example = re.search(r"^\s*(tf\.\w+\(.*?\) -> \(.*?\))", text, re.M)
        such = f" (such as {example.group(1)})" if example else ""
        return f"no TFLite builtin kernel for the ops {select.group(1).strip()}{such}"
    errors = [m.strip() for m in re.findall(r"error: (.+)", text)]
    return "; ".join(dict.fromkeys(errors))[:1500] or " ".join(text.split())[:600]


def onnx_proto(em: ExportModel, optimize: bool, opset: int = DEFAULT_OPSET,
               source: str = "") -> Any:
    """The model as an ONNX ModelProto, through tf2onnx from the frozen graph.

    Inputs and outputs keep their names (``inputs``, ``logits``, end point keys); the opset and
    slimdsl's provenance go into ``metadata_props``. Ops tf2onnx cannot map raise
    :class:`ExportError` listing them (tf2onnx itself would only log them).
    """
    import onnx
    import tf2onnx

    supported = max(tf2onnx.constants.OPSET_TO_IR_VERSION)
    if not 9 <= opset <= supported:
        raise ExportError(f"--opset {opset}: tf2onnx {tf2onnx.__version__} writes opsets 9 to "
                          f"{supported}")
    variant = variant_for(optimize, "onnx")
    concrete = em.function(variant)
    rename = {t.name: spec.name for t, spec in zip(concrete.inputs, em.input_specs)}
    by_key = {key: name for name, key in em.output_names(variant).items()}
    rename.update({name: key for key, name in by_key.items()})
    errors: list[str] = []
    # tf2onnx deep-copies the whole graph, weights included, before each of its ~36 optimizer
    # passes unless told not to catch their errors: 33 s instead of 12 s for resnet_v1_50.
    with _environ("TF2ONNX_CATCH_ERRORS", "FALSE"), _captured_errors("tf2onnx", errors):
        try:
            proto, _ = tf2onnx.convert.from_graph_def(
                concrete.graph.as_graph_def(), name=em.graph.name,
                input_names=[t.name for t in concrete.inputs],
                output_names=[by_key[o.key] for o in em.outputs], opset=opset,
                tensors_to_rename=rename)
        except Exception as exc:  # noqa: BLE001 - tf2onnx raises bare ValueErrors and others
            errors.append(_short(exc))
            proto = None
    unsupported = [e for e in errors if "nsupported" in e or "not supported" in e]
    if proto is None or unsupported:
        raise ExportError(f"tf2onnx cannot convert {em.graph.name} to ONNX opset {opset}: "
                          f"{'; '.join(unsupported or errors)}")
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"the ONNX graph tf2onnx made for {em.graph.name} is invalid: "
                          f"{_short(exc)}") from None
    metadata = {"version": __version__, "model": em.graph.name, "source": source,
                "opset": str(opset), "optimized": str(optimize).lower(),
                "weights": em.weights}
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = ONNX_METADATA_PREFIX + key, value
    return proto


@contextlib.contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


class _Collect(logging.Handler):
    def __init__(self, sink: list[str]):
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


@contextlib.contextmanager
def _captured_errors(logger_name: str, sink: list[str]) -> Iterator[None]:
    """Collect the logger's error records into ``sink`` and keep them off the terminal."""
    logger = logging.getLogger(logger_name)
    handler, level, propagate = _Collect(sink), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


@contextlib.contextmanager
def _quiet_logs(*names: str) -> Iterator[None]:
    """Silence warnings of these loggers (the TFLite converter's deprecation notices)."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:600] + " ...") if len(text) > 600 else text or type(exc).__name__
