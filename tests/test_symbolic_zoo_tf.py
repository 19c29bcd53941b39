"""The zoo's symbolic MobileNet and CycleGAN generator in real TensorFlow (issue 14).

``models/mobilenet.slim`` and ``models/cyclegan_generator_resnet.slim`` declare
``[?, H, W, 3]``. Their generated modules keep H and W unknown in the serving signature, so the
graph is traced once with unknown sizes, as TF-Slim builds them on a placeholder of unknown
height and width: MobileNet's Logits pool is then the mean over the whole map, and v3's
``reduce_to_1x1`` its 7x7 default window. At sizes other than TF-Slim's, TensorFlow runs that
graph exactly where slimc's valid sizes say, with the output shape slimc's formula gives; at the
reference size the symbolic module's numbers are the reference's (tests/data/nets/).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from oracles.reference_nets import assign_fingerprint, compare, load_reference, run_fingerprint
from test_zoo_reference import generated_class

from slimdsl import compile_file
from slimdsl.symbolic import evaluate

MODELS = Path(__file__).resolve().parent.parent / "models"

#: (network, sizes (H, W)): valid ones other than TF-Slim's and one invalid where one exists.
CASES = [
    ("mobilenet_v3_small", [(193, 200), (224, 192)]),  # the 7x7 pool needs H, W >= 193
    ("mobilenet_v2", [(40, 72)]),  # every size: the global pool takes a 2x3 map
    ("cyclegan_generator_resnet", [(30, 18), (4, 8)]),  # REFLECT pads: H, W >= 5
]


def solver_says(graph, h: int, w: int) -> bool:
    sizes = graph.sizes
    return all(s.contains({k: v for k, v in (("H", h), ("W", w)) if k in s.symbols})
               for s in sizes.solutions)


@pytest.mark.slow
@pytest.mark.parametrize("name, sizes", CASES, ids=[c[0] for c in CASES])
def test_tensorflow_runs_exactly_the_valid_sizes(name, sizes, tf, tmp_path: Path) -> None:
    graph = compile_file(str(MODELS / f"{name}.slim"))
    assert [str(d) for d in graph.inputs[0].tensor.shape] == ["None", "H", "W", "3"]
    model = generated_class(graph, tmp_path)()
    signature = model.serve.input_signature[0]
    assert signature.shape.as_list() == [None, None, None, 3]  # unknown in the signature
    seen = set()
    for h, w in sizes:
        valid = solver_says(graph, h, w)
        seen.add(valid)
        x = np.random.default_rng(0).standard_normal((1, h, w, 3)).astype(np.float32)
        try:
            out = next(iter(model.serve(tf.constant(x)).values()))
        except (tf.errors.InvalidArgumentError, ValueError) as exc:
            assert not valid, f"{name} at {h}x{w}: slimc says valid, TensorFlow: {exc}"
            continue
        assert valid, f"{name} at {h}x{w}: slimc says invalid, TensorFlow runs it"
        want = [1 if d is None else evaluate(d, {"H": h, "W": w})
                for d in graph.outputs[0].tensor.shape]
        assert out.shape.as_list() == want, f"{name} at {h}x{w}"
    assert seen == ({True, False} if len(sizes) > 1 else {True})


@pytest.mark.slow
def test_symbolic_mobilenet_has_the_reference_numbers(tf, tmp_path: Path) -> None:
    """Generated for unknown sizes (the Logits pool a mean over the map), run at 224."""
    ref = load_reference("mobilenet_v2")
    graph = compile_file(str(MODELS / "mobilenet_v2.slim"))
    model = generated_class(graph, tmp_path)()
    assign_fingerprint(model, ref)
    output, end_points, layers = run_fingerprint(model, ref["input_shape"])
    report = compare(ref, output, end_points, layers)
    assert report.ok, report.summary()


@pytest.mark.slow
def test_the_global_pool_averages_the_whole_map(tf, tmp_path: Path) -> None:
    """mobilenet.global_pool on a map of unknown size: the average of every position (the
    reference's fingerprint weights leave the last map nearly constant, so it cannot tell a
    mean from a max; the model's own initial weights do)."""
    graph = compile_file(str(MODELS / "mobilenet_v2.slim"))
    model = generated_class(graph, tmp_path)()
    x = np.random.default_rng(0).standard_normal((2, 40, 72, 3)).astype(np.float32)
    _, end_points = model(tf.constant(x))
    last, pooled = end_points["layer_19"].numpy(), end_points["global_pool"].numpy()
    assert last.shape[1:3] == (2, 3) and pooled.shape == (2, 1, 1, last.shape[3])
    scale = np.abs(last).mean()  # tiny under these weights: compare relative to it
    assert np.abs(last.max(axis=(1, 2)) - last.mean(axis=(1, 2))).max() > 0.1 * scale
    np.testing.assert_allclose(pooled, last.mean(axis=(1, 2), keepdims=True), rtol=1e-4,
                               atol=1e-5 * scale)
