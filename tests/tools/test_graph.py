"""``slimc graph``: DOT structure (no Graphviz needed), SVG/PNG through dot when installed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from slimdsl.api import compile_file
from slimdsl.cli import main
from slimdsl.tools import graphviz
from slimdsl.tools.graphviz import describe, to_dot

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.slim"))
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz 'dot' not installed (apt-get install graphviz)")


def _edges(dot: str) -> list[tuple[str, str, str]]:
    return re.findall(r'^\s*(\w+) -> (\w+) \[label=" ([^"]*)"\];$', dot, re.M)


def _clusters(dot: str) -> list[str]:
    return re.findall(r'subgraph "cluster_([^"]*)"', dot)


def test_vgg_dot_structure():
    g = compile_file(str(ROOT / "models" / "vgg_16.slim"))
    dot = to_dot(g)
    assert dot.startswith('digraph "vgg_16" {') and dot.rstrip().endswith("}")
    assert _clusters(dot) == ["conv1", "conv2", "conv3", "conv4", "conv5"]
    edges = _edges(dot)
    assert len(edges) == sum(len(n.inputs) for n in g.nodes) + len(g.outputs)
    assert ("in0", f"n{g.nodes[0].id}", "[?, 224, 224, 3]") in edges
    assert edges[-1][1:] == ("out0", "[?, 1000]")
    for node in g.nodes:  # every layer drawn once, its scope relative to its cluster
        assert len(re.findall(rf"^\s*n{node.id} \[label=", dot, re.M)) == 1
    assert '"conv1_1\\nconv2d 3x3, 64\\n1,792 params"' in dot
    assert '"fc8/squeezed\\nsqueeze"' in dot  # a one-layer scope: no cluster, full label


def test_inception_branches_are_clusters():
    path = ROOT / "models" / "inception_v1.slim"
    if not path.exists():
        pytest.skip("models/inception_v1.slim not present")
    dot = to_dot(compile_file(str(path)))
    clusters = _clusters(dot)
    assert {"Mixed_3b", "Mixed_3b/Branch_0", "Mixed_3b/Branch_1", "Mixed_3b/Branch_3"} \
        <= set(clusters)


@pytest.mark.slow
@pytest.mark.parametrize("path", MODELS, ids=[p.name for p in MODELS])
def test_every_model_every_edge_has_a_shape(path):
    g = compile_file(str(path))
    edges = _edges(to_dot(g))
    # a number in tensor arithmetic (`net * 0.5`) is a constant input, not an edge
    drawn = sum(1 for n in g.nodes for t in n.inputs if getattr(t, "const", None) is None)
    assert len(edges) == drawn + len(g.outputs)
    # sizes are numbers, ? or formulas of named sizes (unet's [?, ceil(H / 2), ...])
    assert all(re.fullmatch(r"\[[?\w, ()/*+-]+\]", shape) and "None" not in shape
               for _, _, shape in edges), edges


def test_describe_and_escaping():
    g = compile_file(str(ROOT / "models" / "vgg_16.slim"))
    assert describe(g.nodes[0]) == "conv2d 3x3, 64"
    assert describe(next(n for n in g.nodes if n.kind == "max_pool2d")) == "max_pool2d 2x2/2"
    assert graphviz.quote('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'


def test_cli_dot_without_graphviz(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "vgg.dot"
    assert main(["graph", str(ROOT / "models" / "vgg_16.slim"), "-o", str(out)]) == 0
    assert out.read_text().startswith('digraph "vgg_16"')
    assert main(["graph", str(ROOT / "models" / "vgg_16.slim"), "-o", str(tmp_path / "v.svg")]) \
        == 2
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "Traceback" not in err
    assert not (tmp_path / "v.svg").exists()


def test_cli_errors(tmp_path, capsys):
    assert main(["graph", str(ROOT / "models" / "vgg_16.slim"), "-o", str(tmp_path / "x.txt")]) \
        == 2
    bad = tmp_path / "bad.slim"
    bad.write_text("model m {\n  input x: [?, 4, 4, 3]\n  conv2d(8, 5, padding=\"VALID\")\n}\n")
    assert main(["graph", str(bad)]) == 1
    assert "[shape]" in capsys.readouterr().err
    assert main(["graph", str(tmp_path / "missing.slim")]) == 2


def test_cli_dot_to_stdout(capsysbinary):
    assert main(["graph", str(ROOT / "models" / "vgg_16.slim"), "--rankdir", "LR"]) == 0
    assert b"rankdir=LR" in capsysbinary.readouterr().out


@needs_dot
@pytest.mark.parametrize("fmt, magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_cli_images(tmp_path, fmt, magic):
    out = tmp_path / f"vgg.{fmt}"
    assert main(["graph", str(ROOT / "models" / "vgg_16.slim"), "-o", str(out)]) == 0
    data = out.read_bytes()
    assert magic in data[:400]
    if fmt == "svg":
        text = data.decode()
        assert "conv1_1" in text and "[?, 224, 224, 64]" in text and "cluster" in text


@needs_dot
@pytest.mark.slow
@pytest.mark.parametrize("path", MODELS, ids=[p.name for p in MODELS])
def test_dot_accepts_every_model(path):
    data = graphviz.render(to_dot(compile_file(str(path))), "svg")
    assert data.lstrip().startswith(b"<?xml") and b"</svg>" in data
