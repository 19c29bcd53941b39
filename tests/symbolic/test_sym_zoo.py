"""The zoo's fully convolutional ResNets declare named sizes (issue 14): the summary reports
their valid sizes, and their figures at 224x224 are TF-Slim's (no TensorFlow needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimdsl import compile_file
from slimdsl.symbolic import evaluate
from slimdsl.tools.summary import summary_text

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.mark.parametrize("name", ["resnet_v1_50", "resnet_v2_50"])
def test_resnet_is_checked_for_every_size(name):
    path = str(MODELS / f"{name}.slim")
    graph = compile_file(path)
    assert [str(d) for d in graph.inputs[0].tensor.shape] == ["None", "H", "W", "3"]
    assert list(graph.outputs[0].tensor.shape) == [None, 1, 1, 1000]  # global_pool
    text = summary_text(graph, False)
    assert "Valid sizes:      every H ≥ 1; every W ≥ 1" in text
    at_224 = compile_file(path, inputs={"inputs": (1, 224, 224, 3)})
    assert evaluate(graph.flops, {"H": 224, "W": 224}) == at_224.flops
    assert graph.total_params == at_224.total_params


def test_without_global_pool_the_logits_keep_the_map():
    graph = compile_file(str(MODELS / "resnet_v1_50.slim"), overrides={"global_pool": False})
    assert [str(d) for d in graph.outputs[0].tensor.shape] == \
        ["None", "ceil(H / 32)", "ceil(W / 32)", "1000"]
