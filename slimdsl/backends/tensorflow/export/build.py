"""A model built with TensorFlow for export: weights, the serving function, its variants.

:class:`ExportModel` compiles one IR graph to the generated module in memory, constructs its
class on the CPU and bakes in a checkpoint. :meth:`ExportModel.function` traces the serving
function -- the inputs as declared, the chosen outputs by name -- in these variants:

- ``"variables"``: the generated forward pass reading the model's variables (a SavedModel
  keeps them, so it can be restored or fine-tuned);
- ``"frozen"``: the same with every variable embedded as a constant (TFLite and ONNX start
  from it);
- ``"optimized"``: frozen, with batch norm folded into the preceding layer's weights and bias
  (:mod:`.rewrite`), which lets grappler's remapper fuse ``conv + bias (+ add) + relu`` into
  one kernel and oneDNN cache the constant filters. Dropout is the identity in inference, and
  grappler removes it;
- ``"frozen-tflite"``, ``"optimized-tflite"``: the same, traced with the ops TFLite has no
  builtin kernel for (3-D pooling) written with ops it has (:mod:`.tflite_ops`).

All run the generated ``__call__`` with ``training=False``; none duplicates a layer's
translation.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from ....ir import Graph
from ..codegen import class_names, generate
from ..run import load_module
from . import rewrite, tflite_ops
from .request import ExportError, OutputSpec, resolve_outputs

VARIANTS = ("variables", "frozen", "optimized", "frozen-tflite", "optimized-tflite")


class ExportModel:
    """One model built for export: the generated class, constructed (variables initialized).

    ``outputs`` are the signature's outputs (default: the model's outputs). Build it with the
    graph that the export's ``--input`` shapes produced, so the signature has those shapes.
    """

    def __init__(self, tf: Any, graph: Graph, outputs: list[OutputSpec] | None = None):
        self.tf, self.graph = tf, graph
        self.outputs = outputs or resolve_outputs(graph, None)
        start = time.perf_counter()
        module = load_module(generate(graph, graph.path), graph.name)
        # Variables on the CPU, but no device in the traced graph: a SavedModel or a frozen
        # graph must run wherever it is loaded.
        with tf.device("/device:CPU:0"):
            self.model = getattr(module, class_names([graph])[0])()
        self.build_seconds = time.perf_counter() - start
        self.input_specs = [tf.TensorSpec(p.tensor.shape, tf.as_dtype(p.tensor.dtype),
                                          name=p.name) for p in graph.inputs]
        self.weights = "initialized (random: no checkpoint given)"
        self.fold_report: rewrite.FoldReport | None = None
        self._functions: dict[str, Any] = {}

    # ------------------------------------------------------------------ weights

    def load_checkpoint(self, path: str) -> str:
        """Restore trained weights: a TF-Slim / TF1 checkpoint by variable name (strict), or an
        object-based one written by ``tf.train.Checkpoint(model=model)``. Raises
        :class:`ExportError` when it does not fit the model; returns what was loaded."""
        tf = self.tf
        try:
            reader = tf.train.load_checkpoint(path)
        except (ValueError, tf.errors.OpError) as exc:
            raise ExportError(f"--checkpoint {path}: cannot read a checkpoint there "
                              f"({_first_line(exc)})") from None
        names = reader.get_variable_to_shape_map()
        ours = {v.name.rsplit(":", 1)[0] for v in self.model.variables}
        if "_CHECKPOINTABLE_OBJECT_GRAPH" in names and not ours & set(names):
            status = tf.train.Checkpoint(model=self.model).restore(path).expect_partial()
            try:
                status.assert_existing_objects_matched()
            except AssertionError as exc:
                raise ExportError(
                    f"--checkpoint {path} is an object-based checkpoint that does not hold "
                    f"this model's variables under 'model' (as tf.train.Checkpoint(model=model)"
                    f".save(path) writes them): {_first_line(exc)}") from None
            self._functions.clear()
            self.weights = f"restored from {path} (object-based checkpoint)"
            return self.weights
        try:
            report = self.model.load_slim_checkpoint(path, strict=True)
        except ValueError as exc:
            raise ExportError(str(exc)) from None
        self._functions.clear()
        self.weights = f"restored from {path} ({len(report['loaded'])} variables by name)"
        return self.weights

    # ------------------------------------------------------------------ functions

    def forward(self, *inputs: Any) -> dict[str, Any]:
        """The generated forward pass in inference, as {output key: tensor}."""
        result = self.model.__call__.python_function(*inputs, training=False)
        outputs, end_points = result[:-1], result[-1]
        return {o.key: outputs[o.port] if o.end_point is None else end_points[o.end_point]
                for o in self.outputs}

    def function(self, variant: str = "variables") -> Any:
        """The serving ConcreteFunction of one of :data:`VARIANTS` (traced once, cached).

        The frozen variants hold the weights as they were when first asked for;
        :meth:`load_checkpoint` forgets them.
        """
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if variant not in self._functions:
            self._functions[variant] = self._trace(variant)
        return self._functions[variant]

    def forget(self, *variants: str) -> None:
        """Drop traced functions (all, or these variants): a frozen one holds a copy of every
        weight."""
        for variant in variants or tuple(self._functions):
            self._functions.pop(variant, None)

    def _trace(self, variant: str) -> Any:
        concrete, report = trace(self.tf, self.forward, self.input_specs, self.model, variant)
        if report is not None:
            self.fold_report = report
        return concrete

    def output_names(self, variant: str = "variables") -> dict[str, str]:
        """{graph tensor name: output key} of a traced function (its flat outputs are the
        dict's values in sorted key order)."""
        concrete = self.function(variant)
        keys = self.tf.nest.flatten({o.key: o.key for o in self.outputs})
        return {t.name: key for t, key in zip(concrete.outputs, keys)}

    def call(self, variant: str, *inputs: Any) -> dict[str, Any]:
        """Run one variant on NumPy inputs: {output key: array}."""
        result = self.function(variant)(*[self.tf.constant(x) for x in inputs])
        return {k: v.numpy() for k, v in result.items()}


def trace(tf: Any, python_fn: Any, specs: list[Any], model: Any, variant: str,
          jit_compile: bool = False) -> tuple[Any, rewrite.FoldReport | None]:
    """``python_fn`` (which runs ``model``) traced for ``specs`` as one of :data:`VARIANTS`.

    Returns the ConcreteFunction and, for the optimized variants, what was folded.
    """
    fn = tf.function(python_fn, input_signature=specs, autograph=False, jit_compile=jit_compile)
    report = None
    base, _, target = variant.partition("-")
    with contextlib.ExitStack() as stack:
        if base != "variables":
            stack.enter_context(rewrite.constants(tf, model))
        if base == "optimized":
            report = stack.enter_context(rewrite.folded_batch_norms(model))
        if target == "tflite":
            stack.enter_context(tflite_ops.builtin_ops(tf, model))
        concrete = fn.get_concrete_function()
    if variant != "variables" and (concrete.variables or concrete.captured_inputs):
        # a variable the swap did not reach (held in a list, say): freeze it the slow way
        from tensorflow.python.framework.convert_to_constants import (
            convert_variables_to_constants_v2,
        )
        concrete = convert_variables_to_constants_v2(concrete)
    return concrete, report


def optimized_call(tf: Any, model: Any, specs: list[Any], jit_compile: bool = False
                   ) -> tuple[Any, rewrite.FoldReport | None]:
    """``model``'s inference forward pass, optimized: a function of the inputs that returns
    what ``model(...)`` returns, outputs then end points (``slimc run --optimize``)."""
    def forward(*inputs: Any) -> Any:
        return model.__call__.python_function(*inputs, training=False)

    return trace(tf, forward, specs, model, "optimized", jit_compile)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
