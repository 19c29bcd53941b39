"""``slimc explain``: effective arguments with their origin, shapes, variables."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from slimdsl.api import compile_file, compile_source
from slimdsl.cli import main
from slimdsl.tools.explain import LayerNotFound, explain_dict, explain_text, find_layer

ROOT = Path(__file__).resolve().parents[2]

SCOPED = """\
model m(depth: int = 16) {
  input x: [?, 32, 32, 3]
  arg_scope([conv2d, fully_connected], activation_fn=relu6,
            weights_regularizer=l2(0.01)) {
    arg_scope([conv2d], padding="VALID", activation_fn=tanh) {
      conv2d(depth, 3, activation_fn=none) as a
      conv2d(8, 3) as b
    }
    conv2d(8, 3, normalizer_fn=batch_norm, normalizer_params={decay: 0.9}) as c
  }
}
"""


def _args(d: dict) -> dict[str, tuple[str, str, str]]:
    return {a["name"]: (a["value"], a["source"], a["origin"]) for a in d["arguments"]}


def test_origins_follow_tf_slim_precedence():
    g = compile_source(SCOPED, "m.slim")
    a = _args(explain_dict(g, find_layer(g, "a"), read=lambda p: SCOPED))
    assert a["num_outputs"] == ("16", "explicit", "explicit at line 6, = parameter depth")
    assert a["activation_fn"] == ("none", "explicit", "explicit at line 6")
    assert a["padding"] == ('"VALID"', "arg_scope", "arg_scope([conv2d]) at line 5")
    # set on line 4, in the arg_scope statement that starts on line 3
    assert a["weights_regularizer"] == ("l2(scale=0.01)", "arg_scope",
                                        "arg_scope([conv2d, fully_connected]) at line 3")
    assert a["stride"][1:] == ("default", "layer default")
    b = _args(explain_dict(g, find_layer(g, "m/b"), read=lambda p: SCOPED))
    assert b["activation_fn"] == ("tanh", "arg_scope", "arg_scope([conv2d]) at line 5")
    c = _args(explain_dict(g, find_layer(g, "c"), read=lambda p: SCOPED))
    assert c["activation_fn"] == ("relu6", "arg_scope",
                                  "arg_scope([conv2d, fully_connected]) at line 3")
    assert c["normalizer_params"][1] == "derived"
    assert "decay: 0.9" in c["normalizer_params"][0]


def test_every_source_matches_the_ir():
    for name in ("vgg_16.slim", "resnet_v1_50.slim"):
        g = compile_file(str(ROOT / "models" / name))
        for node in g.nodes[:60]:
            d = explain_dict(g, node)
            assert [a["name"] for a in d["arguments"]] == list(node.args)
            for arg in d["arguments"]:
                kind = node.sources[arg["name"]].kind if arg["name"] in node.sources else None
                assert arg["source"] in (kind, "derived"), (node.scope, arg)


def test_vgg_text_report():
    g = compile_file(str(ROOT / "models" / "vgg_16.slim"))
    text = explain_text(g, find_layer(g, "conv1/conv1_1"))
    assert text.splitlines()[0].startswith("vgg_16/conv1/conv1_1  (conv2d, ")
    line = find_layer(g, "conv1_1").span.line
    assert text.splitlines()[0].endswith(f"vgg.slim:{line})")
    assert "input   [?, 224, 224, 3]  from inputs" in text
    assert "output  [?, 224, 224, 64]" in text
    assert "vgg_16/conv1/conv1_1/weights  [3, 3, 3, 64]" in text
    assert "parameters: 1,792" in text
    assert "arg_scope([conv2d, fully_connected]) at line" in text


def test_find_layer():
    g = compile_file(str(ROOT / "models" / "vgg_16.slim"))
    assert find_layer(g, "vgg_16/conv3/conv3_2").scope == "vgg_16/conv3/conv3_2"
    assert find_layer(g, "conv3/conv3_2").scope == "vgg_16/conv3/conv3_2"
    assert find_layer(g, "conv3_2").scope == "vgg_16/conv3/conv3_2"
    assert find_layer(g, "fc8").scope == "vgg_16/fc8"
    with pytest.raises(LayerNotFound, match="is a scope holding 3 layers"):
        find_layer(g, "conv3")
    with pytest.raises(LayerNotFound, match="did you mean 'conv3/conv3_[0-9]'"):
        find_layer(g, "conv3/conv3_9")
    r = compile_file(str(ROOT / "models" / "resnet_v1_50.slim"))
    with pytest.raises(LayerNotFound, match="matches 16 layers"):
        find_layer(r, "conv2")


def test_cli(tmp_path, capsys, monkeypatch):
    vgg = str(ROOT / "models" / "vgg_16.slim")
    assert main(["explain", vgg, "conv5_3"]) == 0
    assert "vgg_16/conv5/conv5_3" in capsys.readouterr().out
    assert main(["explain", vgg, "conv5_3", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["output"]["shape"] == [None, 14, 14, 512] and data["params"] == 2359808
    assert main(["explain", vgg, "conv6"]) == 1
    assert "no layer 'conv6'" in capsys.readouterr().err
    assert main(["explain", str(tmp_path / "none.slim"), "x"]) == 2
    with pytest.raises(SystemExit) as info:
        main(["explain", vgg])
    assert info.value.code == 2
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SCOPED.encode())))
    assert main(["explain", "-", "b"]) == 0
    assert "arg_scope([conv2d]) at line 5" in capsys.readouterr().out
