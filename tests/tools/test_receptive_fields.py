"""Receptive fields in the summary (issue 14): known figures of the zoo, and formulas on named
sizes that evaluate to the concrete fields (no TensorFlow needed)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from slimdsl import compile_file, compile_source
from slimdsl.symbolic import evaluate
from slimdsl.tools.receptive import field_json, receptive_fields
from slimdsl.tools.summary import summary_text

MODELS = Path(__file__).resolve().parents[2] / "models"

NET = """model m {
  input x: [?, H, W, 3]
  conv2d(8, 7, stride=2)
  max_pool2d(3, 2, padding="SAME")
  conv2d(8, 3, stride=2, padding="VALID")
  conv2d(8, 3, rate=2)
  pad([[0, 0], [1, 2], [3, 0], [0, 0]])
  conv2d_transpose(8, 3, stride=2)
}
"""


def fields_by_scope(graph):
    fields = receptive_fields(graph)
    return {n.scope.split("/", 1)[1]: fields.get(n.id) for n in graph.nodes}


@pytest.mark.parametrize("model,scope,stride,size,centre", [
    # the figures of tf_slim's receptive_field tables: (field, stride, padding) = (483, 32, 239)
    # for resnet_v1_50's last block, (212, 32, 90) for vgg_16's pool5; centre = (field-1)/2 - pad
    ("resnet_v1_50", "block4/unit_3/bottleneck_v1/Relu", 32, 483, 2),
    ("vgg_16", "pool5", 32, 212, Fraction(31, 2)),
])
def test_known_receptive_fields_of_the_zoo(model, scope, stride, size, centre):
    # tf_slim's tables are at 224x224 (resnet declares H, W: its centre is a formula of them)
    at_224 = {"inputs": (1, 224, 224, 3)}
    fields = fields_by_scope(compile_file(str(MODELS / f"{model}.slim"), inputs=at_224))
    for f in fields[scope]:
        assert (f.jump, f.size, f.start.at()) == (stride, size, centre)


def test_global_pooling_ends_the_field():
    fields = fields_by_scope(compile_file(str(MODELS / "resnet_v1_50.slim")))
    assert fields["pool5"] is None


def test_symbolic_fields_evaluate_to_the_concrete_ones():
    sym = fields_by_scope(compile_source(NET, "t.slim"))
    for h, w in ((64, 64), (97, 50), (33, 201)):
        concrete = fields_by_scope(compile_source(NET, "t.slim", inputs={"x": (1, h, w, 3)}))
        for scope, pair in sym.items():
            for axis, env in ((0, {"H": h}), (1, {"W": w})):
                s, c = pair[axis], concrete[scope][axis]
                assert (s.jump, s.size) == (c.jump, c.size)
                assert Fraction(evaluate(s.start.num, env), s.start.den) == c.start.at(), scope


def test_summary_columns_and_json():
    graph = compile_source(NET, "t.slim")
    text = summary_text(graph, False, receptive=True)
    assert "stride  field  centre of unit 0" in text
    first = receptive_fields(graph)[graph.nodes[0].id]
    assert field_json(first) == {"stride": [2, 2], "size": [7, 7],
                                 "centre": ["H - 2*ceil(H / 2) + 1", "W - 2*ceil(W / 2) + 1"]}
