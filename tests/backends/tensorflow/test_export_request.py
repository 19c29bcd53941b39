"""What ``slimc export`` checks before TensorFlow: shapes, output names, paths, extras.

No TensorFlow here: these checks must work (and fail clearly) without it.
"""

from __future__ import annotations

import sys

import pytest

from slimdsl.api import check_source, compile_source
from slimdsl.backends.tensorflow.export import request as rq

SMALL = """
model small(num_classes: int = 3) {
  input images: [?, 8, 8, 3]
  arg_scope([conv2d, max_pool2d], outputs_collections="end_points") {
    conv2d(4, 3, padding="VALID") as conv1
    max_pool2d(2) as pool1
  }
  flatten()
  fully_connected(num_classes, activation_fn=none) as logits
  end_point "Logits"
  softmax() as predictions
  end_point "Predictions"
  output logits = net
}
"""


def test_shapes_are_read_as_written_on_a_command_line():
    assert rq.parse_shape("1x224x224x3") == (1, 224, 224, 3)
    assert rq.parse_shape("[?, 8, 8, 3]") == (None, 8, 8, 3)
    assert rq.parse_shape(" 2 , 5 ") == (2, 5)
    for bad in ("", "[]", "1x0x3", "ax3", "1.5x3", "1x-2"):
        with pytest.raises(rq.ExportError, match="is not a shape"):
            rq.parse_shape(bad)


def test_input_options_name_inputs_of_the_model():
    assert rq.parse_input_specs(["1x8x8x3"], ["images"]) == {"images": (1, 8, 8, 3)}
    assert rq.parse_input_specs(["b=2x4"], ["a", "b"]) == {"b": (2, 4)}
    with pytest.raises(rq.ExportError, match=r"no input 'image' \(did you mean 'images'\?\)"):
        rq.parse_input_specs(["image=1x8x8x3"], ["images"])
    with pytest.raises(rq.ExportError, match="has 2 inputs .*write NAME=SHAPE"):
        rq.parse_input_specs(["1x8"], ["a", "b"])
    with pytest.raises(rq.ExportError, match="given twice"):
        rq.parse_input_specs(["a=1", "a=2"], ["a"])


def test_outputs_are_chosen_by_output_or_end_point_name_with_a_did_you_mean():
    graph = compile_source(SMALL, "small.slim")
    assert [o.key for o in rq.resolve_outputs(graph, None)] == ["logits"]
    chosen = rq.resolve_outputs(graph, ["Predictions", "logits", "small/conv1"])
    assert [(o.key, o.port, o.end_point) for o in chosen] == [
        ("Predictions", None, "Predictions"), ("logits", 0, None),
        ("small/conv1", None, "small/conv1")]
    assert chosen[0].shape == (None, 3)
    assert rq.resolve_outputs(graph, ["conv1"])[0].key == "small/conv1"  # relative to the scope
    with pytest.raises(rq.ExportError) as info:
        rq.resolve_outputs(graph, ["prediction"])
    assert "(did you mean 'Predictions'?)" in str(info.value)
    assert "names: logits, conv1, pool1" in str(info.value)
    with pytest.raises(rq.ExportError, match="asked for twice"):
        rq.resolve_outputs(graph, ["conv1", "small/conv1"])


def test_an_input_shape_is_checked_by_the_shape_inference():
    sym = SMALL.replace("[?, 8, 8, 3]", "[?, H, W, 3]").replace("flatten()", "reduce_mean([1, 2])")
    fine = check_source(SMALL, "small.slim", inputs={"images": (2, 8, 8, 3)})
    assert fine.ok
    assert fine.graphs[0].inputs[0].tensor.shape == (2, 8, 8, 3)
    assert fine.graphs[0].outputs[0].tensor.shape == (2, 3)
    other = check_source(SMALL, "small.slim", inputs={"images": (2, 9, 9, 3)})
    assert [d.code for d in other.diagnostics] == ["bad-value"]
    assert "dimension 1 is declared 8, given 9" in other.diagnostics[0].message
    rank = check_source(SMALL, "small.slim", inputs={"images": (1, 8, 8)})
    assert [(d.code, d.span.line) for d in rank.diagnostics] == [("bad-value", 3)]
    assert "has rank 3, but input 'images' is declared [?, 8, 8, 3] (rank 4)" \
        in rank.diagnostics[0].message
    small = check_source(sym, "small.slim", inputs={"images": (1, 2, 2, 3)})
    assert [d.code for d in small.diagnostics] == ["shape"]  # one root cause, no cascade
    assert "VALID 3x3 on 2x2: floor((2-3)/1)+1 = 0" in small.diagnostics[0].message


def test_output_paths_that_cannot_take_an_export(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("x")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "saved_model.pb").write_text("x")
    assert "is a file" in rq.output_path_problem("saved_model", str(tmp_path / "file"))
    assert "refusing to replace" in rq.output_path_problem("saved_model", str(tmp_path / "other"))
    assert rq.output_path_problem("saved_model", str(tmp_path / "old")) is None
    assert rq.output_path_problem("saved_model", str(tmp_path / "new")) is None
    assert "is a directory" in rq.output_path_problem("onnx", str(tmp_path / "other"))
    assert "not a regular file" in rq.output_path_problem("onnx", "/dev/null")


def test_a_missing_optional_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # import tf2onnx now fails
    message = rq.missing_extra("onnx")
    assert message == ("onnx needs the optional package tf2onnx; install them with: "
                       "pip install 'slimdsl[export]'")
    monkeypatch.setitem(sys.modules, "netron", None)
    assert "pip install 'slimdsl[netron]'" in rq.missing_extra("netron")
    assert rq.missing_extra("saved_model") is None
