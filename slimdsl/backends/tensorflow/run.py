"""Running generated code: device selection, loading the module, shape checks, timing.

Used by ``slimc run`` and the benchmarks. TensorFlow is imported by the functions that need it
(never at import time), so ``slimc check`` and ``summary`` stay TensorFlow-free.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TextIO

from ...ir import Graph
from ...layers.shapes import format_shape


class DeviceError(Exception):
    """The requested device does not exist here; the message lists the visible devices."""


class ShapeMismatch(Exception):
    """A run-time shape differs from the one slimc inferred: a bug in slimc."""


def visible_devices(tf: Any) -> list[str]:
    """The logical devices TensorFlow sees, as ``/device:CPU:0`` strings."""
    return [d.name for d in tf.config.list_logical_devices()]


def resolve_device(tf: Any, spec: str | None) -> str:
    """A full device name for ``cpu``, ``gpu``, ``gpu:1`` or a TF device string.

    ``None`` picks the first GPU TensorFlow sees, else the CPU. A device that does not exist
    raises :class:`DeviceError`; there is never a silent fallback to another device.
    """
    devices = visible_devices(tf)
    if spec is None:
        gpus = [d for d in devices if _kind_index(d)[0] == "GPU"]
        return gpus[0] if gpus else next(d for d in devices if _kind_index(d)[0] == "CPU")
    text = spec.strip()
    short = re.fullmatch(r"(cpu|gpu)(?::(\d+))?", text, re.IGNORECASE)
    if short:
        wanted = (short.group(1).upper(), int(short.group(2) or 0), None)
    else:
        try:
            parsed = tf.DeviceSpec.from_string(text)
        except (ValueError, TypeError):
            raise DeviceError(f"'{spec}' is not a device name; use cpu, gpu, gpu:1 or a "
                              f"TensorFlow device string such as /device:GPU:0\n"
                              f"visible devices: {', '.join(devices)}") from None
        if parsed.device_type is None:
            raise DeviceError(f"'{spec}' names no device type (CPU or GPU)\n"
                              f"visible devices: {', '.join(devices)}")
        local = parsed.job in (None, "localhost") and parsed.replica in (None, 0) \
            and parsed.task in (None, 0)
        wanted = (parsed.device_type.upper(), parsed.device_index or 0, local)
    for d in devices:
        if _kind_index(d) == wanted[:2] and wanted[2] is not False:
            return d
    raise DeviceError(f"device '{spec}' is not available\n"
                      f"visible devices: {', '.join(devices) or 'none'}")


def _kind_index(name: str) -> tuple[str, int]:
    m = re.search(r"device:([A-Za-z_]+):(\d+)$", name)
    return (m.group(1).upper(), int(m.group(2))) if m else ("", -1)


def load_module(code: str, name: str) -> ModuleType:
    """Import generated source as a module (through a temporary file, for real tracebacks)."""
    folder = tempfile.mkdtemp(prefix="slimc-")
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, f"{name}.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(code)
    spec = importlib.util.spec_from_file_location(f"slimc_generated_{name}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def load_class(path: str, model: str | None = None,
               overrides: dict[str, Any] | None = None) -> type:
    """Compile ``path`` and return the generated class of its model (``slimdsl.load``).

    Raises :class:`~slimdsl.CompileError` for a file with errors (or several models and no
    ``model``), ImportError when TensorFlow is not installed.
    """
    from ...api import compile_file
    from .codegen import class_names, generate

    graph = compile_file(path, model=model, overrides=overrides)
    if importlib.util.find_spec("tensorflow") is None:
        raise ImportError("slimdsl.load needs TensorFlow to build the generated class; "
                          "install it with: pip install 'slimdsl[tf]'")
    import_tensorflow()
    [name] = class_names([graph])
    module = load_module(generate(graph, path), name)
    return getattr(module, name)


def example_inputs(tf: Any, graph: Graph, batch: int, given: dict[str, Any] | None = None,
                   seed: int = 0) -> list[Any]:
    """One tensor per model input: ``given`` arrays, else random data of the declared shape."""
    given = given or {}
    rng = tf.random.Generator.from_seed(seed)
    out = []
    for port in graph.inputs:
        if port.name in given:
            out.append(tf.convert_to_tensor(given[port.name], dtype=port.tensor.dtype))
            continue
        shape = list(port.tensor.shape or ())
        if shape and shape[0] is None:
            shape[0] = batch
        if any(not isinstance(d, int) for d in shape):  # ? or a named size such as H
            raise ValueError(f"input '{port.name}' has unknown dimensions "
                             f"{format_shape(port.tensor.shape)}: give it with --input")
        dtype = tf.as_dtype(port.tensor.dtype)
        if dtype.is_floating:
            out.append(tf.cast(rng.uniform(shape), dtype))
        elif dtype.is_bool:
            out.append(rng.uniform(shape) < 0.5)
        else:
            out.append(tf.cast(rng.uniform(shape, 0, 2, dtype=tf.int64), dtype))
    return out


def check_shapes(graph: Graph, outputs: Sequence[Any], end_points: dict[str, Any]) -> None:
    """Compare run-time shapes with the inferred ones; a difference is a slimc bug."""
    problems = []
    for port, value in zip(graph.outputs, outputs):
        if not _compatible(port.tensor.shape, value.shape):
            problems.append(f"output '{port.name}': inferred {format_shape(port.tensor.shape)}, "
                            f"run-time {format_shape(tuple(value.shape))}")
    if list(end_points) != list(graph.end_points):
        problems.append(f"end point keys differ: inferred {list(graph.end_points)}, "
                        f"run-time {list(end_points)}")
    for key, tensor in graph.end_points.items():
        if key in end_points and not _compatible(tensor.shape, end_points[key].shape):
            problems.append(f"end point '{key}': inferred {format_shape(tensor.shape)}, run-time "
                            f"{format_shape(tuple(end_points[key].shape))}")
    if problems:
        raise ShapeMismatch("\n".join(problems))


def _compatible(static: Any, actual: Any) -> bool:
    actual = tuple(actual)
    return static is not None and len(static) == len(actual) and all(
        s is None or s == a for s, a in zip(static, actual))


@dataclass
class RunReport:
    """What ``slimc run`` measured."""

    device: str
    input_shapes: list[tuple]
    output_shapes: list[tuple]
    params: int
    build_seconds: float
    first_call_seconds: float
    latencies: list[float] = field(default_factory=list)
    optimized: str | None = None  # what --optimize did

    @property
    def median(self) -> float:
        return statistics.median(self.latencies)


def time_calls(fn: Callable[[], Any], steps: int, progress: TextIO | None = None,
               label: str = "timing") -> list[float]:
    """Call ``fn`` ``steps`` times (``fn`` must block until its result is ready)."""
    latencies = []
    for i in range(steps):
        start = time.perf_counter()
        fn()
        latencies.append(time.perf_counter() - start)
        if progress is not None:
            _bar(progress, label, i + 1, steps)
    if progress is not None:
        progress.write("\n")
        progress.flush()
    return latencies


def _bar(out: TextIO, label: str, done: int, total: int, width: int = 30) -> None:
    filled = width * done // total
    text = f"{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    if getattr(out, "isatty", lambda: False)():
        out.write("\r" + text)
    elif done == total:
        out.write(text)
    out.flush()


@contextlib.contextmanager
def captured_stderr() -> Iterator[None]:
    """Hold back what C++ code writes to file descriptor 2; replay it if the block fails.

    TensorFlow's start-up chatter (oneDNN, CUDA probing) is written before its logging is
    configured, so TF_CPP_MIN_LOG_LEVEL cannot silence it.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[list[str]]:
    """Keep what C++ code writes to file descriptor 2 off the terminal; the yielded list gets
    the text when the block ends (the TFLite converter prints its MLIR diagnostics there,
    which the caller condenses into one message)."""
    sys.stderr.flush()
    saved = os.dup(2)
    text: list[str] = []
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield text
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text.append(sink.read().decode("utf-8", "replace"))


def import_tensorflow(start_runtime: bool = True) -> Any:
    """TensorFlow, imported quietly; raises ImportError with an install hint.

    ``start_runtime=False`` leaves the runtime unstarted, for callers that must configure
    it first (logical devices, multi-worker collectives: ``slimc train``).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with captured_stderr():
            import tensorflow as tf

            if start_runtime:
                tf.config.list_logical_devices()  # probes the GPUs (and logs about it) once
    except ImportError as exc:
        raise ImportError(f"slimc run needs TensorFlow ({exc}); install it with: "
                          f"pip install 'slimdsl[tf]'") from None
    tf.get_logger().setLevel("ERROR")
    return tf


def run_generated(tf: Any, graph: Graph, module: ModuleType, class_name: str, device: str,
                  batch: int, steps: int, given: dict[str, Any] | None = None,
                  training: bool = False, xla: bool = False,
                  progress: TextIO | None = None, optimize: bool = False) -> RunReport:
    """Build the model on ``device``, check every shape, then time ``steps`` forward passes.

    ``progress`` gets a progress bar (none by default). ``optimize`` runs the inference
    rewrites of ``slimc export --optimize`` (frozen constants, batch norm folded).
    """
    start = time.perf_counter()
    model = getattr(module, class_name)(device=device)
    build = time.perf_counter() - start
    params = sum(int(v.shape.num_elements()) for v in model.variables)
    if params != graph.total_params:
        raise ShapeMismatch(f"the model has {params:,} parameters, slimc inferred "
                            f"{graph.total_params:,}")
    with tf.device(device):
        inputs = example_inputs(tf, graph, batch, given)
    fn = tf.function(model.__call__.python_function, jit_compile=True) if xla else model
    optimized = None
    start = time.perf_counter()  # the first call includes tracing (and optimizing)
    if optimize:
        from .export.build import optimized_call

        specs = [tf.TensorSpec(t.shape, t.dtype) for t in inputs]
        concrete, fold = optimized_call(tf, model, specs, jit_compile=xla)
        fn = lambda *xs, training: concrete(*xs)  # noqa: E731 - inference only
        optimized = f"batch norm folded into {len(fold.folded)} layers, constants frozen"

    def call() -> Any:
        result = fn(*inputs, training=training)
        for t in result[:-1]:
            t.numpy()  # wait for the device
        return result

    result = call()
    first = time.perf_counter() - start
    outputs, end_points = result[:-1], result[-1]
    check_shapes(graph, outputs, end_points)
    report = RunReport(device, [tuple(t.shape) for t in inputs],
                       [tuple(t.shape) for t in outputs], params, build, first,
                       optimized=optimized)
    report.latencies = time_calls(call, steps, progress)
    return report
