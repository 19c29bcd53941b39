"""What an export is asked for, checked before TensorFlow is imported.

``slimc export`` validates everything it can from the IR alone, so that bad input costs a
fraction of a second and leaves nothing behind: the format and its optional packages
(:func:`missing_extra`), ``--input NAME=SHAPE`` (:func:`parse_input_specs`; whether the model can
take that shape is slimdsl's own shape inference, run by the caller with
``check_file(..., inputs=...)``), and ``--outputs`` (:func:`resolve_outputs`, with a
did-you-mean over every output and end point name). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass

from ....diagnostics import did_you_mean
from ....ir import Graph, relative_scope
from ....layers.shapes import format_shape

#: The formats ``slimc export`` writes, with the file name extension each expects.
FORMATS = {"saved_model": "", "tflite": ".tflite", "onnx": ".onnx"}
#: ONNX opset written unless ``--opset`` says otherwise: recent enough for every op the
#: generated code uses, old enough for onnxruntime releases of the last two years.
DEFAULT_OPSET = 17
#: The optional packages each format needs beyond TensorFlow, and the extra that installs them.
EXTRAS = {"onnx": ("export", ("tf2onnx", "onnx", "onnxruntime")),
          "netron": ("netron", ("tf2onnx", "onnx", "netron"))}


class ExportError(Exception):
    """Input an export cannot honour (exit 2): the message says what and how to fix it."""


def missing_extra(what: str) -> str | None:
    """An error message naming the extra to install when ``what`` lacks a package, else None.

    Looks the packages up without importing them (importing tf2onnx imports TensorFlow).
    """
    if what not in EXTRAS:
        return None
    extra, packages = EXTRAS[what]
    missing = [p for p in packages if not _installed(p)]
    if not missing:
        return None
    return (f"{what} needs the optional package{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; install them with: pip install 'slimdsl[{extra}]'")


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules, a broken spec
        return False


def parse_shape(text: str) -> tuple[int | None, ...]:
    """A shape as written on a command line: ``1x224x224x3``, ``[1, 224, 224, 3]``, ``?x8x8x3``.

    >>> parse_shape("1x224x224x3"), parse_shape("[?, 8, 8, 3]"), parse_shape("1,5")
    ((1, 224, 224, 3), (None, 8, 8, 3), (1, 5))
    """
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    parts = [p.strip() for p in re.split(r"[x,]", body)] if body.strip() else []
    dims: list[int | None] = []
    for part in parts:
        if part in ("?", "None", "-1"):
            dims.append(None)
        elif part.isdigit() and int(part) >= 1:
            dims.append(int(part))
        else:
            raise ExportError(f"'{text}' is not a shape: write dimensions (integers >= 1, or ? "
                              f"for unknown) separated by x, such as 1x224x224x3")
    if not dims:
        raise ExportError(f"'{text}' is not a shape: it has no dimensions")
    return tuple(dims)


def parse_input_specs(specs: list[str], input_names: list[str]) -> dict[str, tuple]:
    """``--input NAME=SHAPE`` options as {input name: shape}; ``SHAPE`` alone for one input."""
    shapes: dict[str, tuple] = {}
    for spec in specs:
        name, sep, shape = spec.partition("=")
        if not sep:
            if len(input_names) != 1:
                raise ExportError(f"--input {spec}: the model has {len(input_names)} inputs "
                                  f"({', '.join(input_names)}); write NAME=SHAPE")
            name, shape = input_names[0], spec
        name = name.strip()
        if name not in input_names:
            raise ExportError(f"--input {spec}: the model has no input '{name}'"
                              f"{did_you_mean(name, input_names)}; its inputs: "
                              f"{', '.join(input_names)}")
        if name in shapes:
            raise ExportError(f"--input {spec}: input '{name}' is given twice")
        shapes[name] = parse_shape(shape)
    return shapes


@dataclass(frozen=True)
class OutputSpec:
    """One output of the exported signature.

    ``key``: its name in the SavedModel signature, the TFLite signature and the ONNX graph;
    ``end_point``: the end point key it reads, or None for a model output (``port``).
    """

    key: str
    port: int | None
    end_point: str | None
    shape: tuple | None
    dtype: str


def output_choices(graph: Graph) -> dict[str, OutputSpec]:
    """Every name ``--outputs`` accepts: the model's outputs, then end points by full key and
    by key relative to the model's scope (``conv1/conv1_1`` for ``vgg_16/conv1/conv1_1``)."""
    choices: dict[str, OutputSpec] = {}
    for i, port in enumerate(graph.outputs):
        choices[port.name] = OutputSpec(port.name, i, None, port.tensor.shape, port.tensor.dtype)
    for key, tensor in graph.end_points.items():
        spec = OutputSpec(key, None, key, tensor.shape, tensor.dtype)
        choices.setdefault(key, spec)
        choices.setdefault(relative_scope(key, graph.name), spec)
    return choices


def resolve_outputs(graph: Graph, names: list[str] | None) -> list[OutputSpec]:
    """The outputs asked for (``None``: the model's outputs), in the order given.

    An unknown name raises :class:`ExportError` with the closest names.
    """
    if not names:
        return [OutputSpec(p.name, i, None, p.tensor.shape, p.tensor.dtype)
                for i, p in enumerate(graph.outputs)]
    choices = output_choices(graph)
    chosen: list[OutputSpec] = []
    for name in names:
        if name not in choices:
            short = [c for c in choices if not c.startswith(graph.name + "/")]
            shown = ", ".join(short[:12]) + (", ..." if len(short) > 12 else "")
            raise ExportError(f"--outputs: '{name}' is neither an output nor an end point of "
                              f"{graph.name}{did_you_mean(name, choices)}; names: {shown} "
                              f"(slimc summary lists every end point)")
        spec = choices[name]
        if any(c.key == spec.key for c in chosen):
            raise ExportError(f"--outputs: '{name}' is asked for twice")
        chosen.append(spec)
    return chosen


def describe_outputs(outputs: list[OutputSpec]) -> str:
    """``logits [?, 1000], Predictions [?, 1000]``: for messages."""
    return ", ".join(f"{o.key} {format_shape(o.shape)}" for o in outputs)


def output_path_problem(fmt: str, path: str) -> str | None:
    """Why ``path`` cannot take an export of ``fmt`` (a message), or None."""
    if os.path.exists(path) and not (os.path.isfile(path) or os.path.isdir(path)):
        return f"{path} is not a regular file or directory (a device or a pipe): choose a path"
    if fmt == "saved_model":
        if os.path.isfile(path) or (os.path.exists(path) and not os.path.isdir(path)):
            return f"{path} is a file; a SavedModel is a directory: choose another -o"
        if os.path.isdir(path) and os.listdir(path) and not os.path.exists(
                os.path.join(path, "saved_model.pb")):
            return (f"{path} is a directory that holds something other than a SavedModel; "
                    f"refusing to replace it: choose another -o")
        return None
    if os.path.isdir(path):
        return f"{path} is a directory; -o takes a {FORMATS[fmt]} file name for {fmt}"
    return None
