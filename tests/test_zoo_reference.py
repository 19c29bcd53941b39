"""The zoo's networks from tensorflow/models (research/slim/nets) against their reference data
(tests/data/nets/NAME.json, built by running the original TF-Slim code; see
tests/oracles/reference_nets.py for the fingerprint rule and tolerances).

Quick, without TensorFlow: ``models/NAME.slim`` compiles to exactly the reference's variables
(names and shapes), end points (keys and shapes), output shape and parameter totals.

Slow, through the generated TensorFlow code: every variable gets its fingerprint value by name,
the model runs once eagerly on the fingerprint input, and the output (sum, mean |x|, first five
values), every end point and every layer's output (by its variable scope) match within 1e-4.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest
from oracles.reference_nets import assign_fingerprint, compare, load_reference, run_fingerprint
from oracles.zoo import compile_at_size

MODELS = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class Case:
    """One reference file and how to build the network it describes."""

    net: str  # tests/data/nets/NAME.json and models/NAME.slim
    variant: str = ""  # a section of the reference that replaces its top-level figures
    overrides: tuple = ()  # -D values for that variant

    @property
    def id(self) -> str:
        return self.net + (f"-{self.variant}" if self.variant else "")

    def reference(self) -> dict:
        ref = load_reference(self.net)
        if self.variant:  # a variant has no layer outputs of its own
            ref = {**ref, **ref[self.variant], "layer_outputs": {}}
        return ref


#: Every network written so far; the reference files not listed are not written yet.
CASES = [Case("cyclegan_generator_resnet"), Case("mobilenet_v2"), Case("mobilenet_v2_140"),
         Case("mobilenet_v3_large"), Case("mobilenet_v3_small"),
         Case("i3d"), Case("s3dg"),
         Case("i3d", "clip16_variant", (("num_frames", 16),)),
         Case("s3dg", "clip16_variant", (("num_frames", 16),)),
         Case("nasnet_cifar"), Case("nasnet_mobile"), Case("nasnet_large"),
         Case("pnasnet_mobile"), Case("pnasnet_large")]


def batchless(shape) -> list:
    return [None, *shape[1:]]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_structure_matches_the_reference(case: Case) -> None:
    ref = case.reference()
    graph = compile_at_size(str(MODELS / f"{case.net}.slim"), ref["input_shape"][1],
                            overrides=dict(case.overrides))
    ours = {v.name: list(v.shape) for v in graph.variables}
    want = {name: shape for name, shape in ref["variables"]}
    assert sorted(ours) == sorted(want)
    assert ours == want
    assert graph.trainable_params == ref["trainable_params"]
    assert graph.total_params == ref["total_params"]
    assert {k: list(t.shape) for k, t in graph.end_points.items()} == \
        {k: batchless(s) for k, s in ref["end_points"].items()}
    assert list(graph.outputs[0].tensor.shape) == batchless(ref["output_shape"])
    assert list(graph.inputs[0].tensor.shape) == batchless(ref["input_shape"])


def generated_class(graph, tmp_path: Path):
    """Generate, write and import the TensorFlow module of ``graph``; its model class."""
    from slimdsl.backends.tensorflow import codegen
    path = tmp_path / f"{graph.name.lower()}_generated.py"
    path.write_text(codegen.generate(graph, graph.path), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, codegen.class_names([graph])[0])


def check_numbers(case: Case, tmp_path: Path) -> None:
    """Fingerprint weights in, the reference's output, end points and layer outputs out."""
    ref = case.reference()
    graph = compile_at_size(str(MODELS / f"{case.net}.slim"), ref["input_shape"][1],
                            overrides=dict(case.overrides))
    model = generated_class(graph, tmp_path)()
    assign_fingerprint(model, ref)
    assert sum(int(v.shape.num_elements()) for v in model.trainable_variables) == \
        ref["trainable_params"]
    assert len(model.regularization_losses()) == ref["regularization_losses"]
    output, end_points, layers = run_fingerprint(model, ref["input_shape"])
    report = compare(ref, output, end_points, layers)
    assert report.ok, report.summary()
    assert report.checked >= 3 + 2 * (len(ref["end_points"]) + len(ref["layer_outputs"]))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fingerprint_matches_the_reference(case: Case, tf, tmp_path: Path) -> None:
    check_numbers(case, tmp_path)
