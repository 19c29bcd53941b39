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


#: network, its input, TF-Slim's (reference) size, the valid sizes summary prints, the output.
SYMBOLIC_ZOO = [
    ("mobilenet_v2", "inputs", 224, "every H ≥ 1; every W ≥ 1", ["None", "1001"]),
    ("mobilenet_v2_140", "inputs", 224, "every H ≥ 1; every W ≥ 1", ["None", "1001"]),
    # v3's ["pool"] is a 7x7 window on a map of unknown size: ceil(H / 32) >= 7
    ("mobilenet_v3_large", "inputs", 224, "every H ≥ 193; every W ≥ 193", ["None", "1001"]),
    ("mobilenet_v3_small", "inputs", 224, "every H ≥ 193; every W ≥ 193", ["None", "1001"]),
    # the REFLECT pads (each pad < the size): 1 on ceil(H / 4) in the residual blocks
    ("cyclegan_generator_resnet", "images", 256, "every H ≥ 5; every W ≥ 5",
     ["None", "4*ceil(H / 4)", "4*ceil(W / 4)", "3"]),
]


@pytest.mark.parametrize("name, port, size, valid, output", SYMBOLIC_ZOO,
                         ids=[c[0] for c in SYMBOLIC_ZOO])
def test_mobilenet_and_cyclegan_report_their_valid_sizes(name, port, size, valid, output):
    path = str(MODELS / f"{name}.slim")
    graph = compile_file(path)
    assert [str(d) for d in graph.inputs[0].tensor.shape] == ["None", "H", "W", "3"]
    assert [str(d) for d in graph.outputs[0].tensor.shape] == output
    assert f"Valid sizes:      {valid}\n" in summary_text(graph, False)
    at_size = compile_file(path, inputs={port: (1, size, size, 3)})
    assert evaluate(graph.flops, {"H": size, "W": size}) == at_size.flops
    assert graph.total_params == at_size.total_params


def test_cyclegan_refuses_a_known_size_that_is_no_multiple_of_4():
    """TF-Slim's ValueError, where the size is known when the graph is built (--input)."""
    from slimdsl.api import check_file
    result = check_file(str(MODELS / "cyclegan_generator_resnet.slim"),
                        inputs={"images": (1, 30, 32, 3)})
    assert [d.code for d in result.diagnostics if d.is_error] == ["assertion"]
