"""The Python API as a notebook uses it: short reprs, diagnostics that print as ``slimc check``
does, the summary table (text and HTML), one model per compile, and ``slimdsl.load``."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest

import slimdsl
from slimdsl import CompileError, check_file, check_source, compile_file, compile_source
from slimdsl.api import CheckResult
from slimdsl.cli.common import emit_diagnostics
from slimdsl.tools.summary import summary_text

ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted((ROOT / "models").glob("*.slim"))
TWO = """\
model first() {
  input x: [?, 8, 8, 3]
  conv2d(4, 3) as conv
}

model second() {
  input x: [?, 8, 8, 3]
  max_pool2d(2) as pool
}
"""
TYPO = "model m() {\n  input x: [?, 8, 8, 3]\n  conv2d(4, 3, stridee=2)\n}\n"


@pytest.mark.parametrize("path", MODELS[::4], ids=lambda p: p.name)
def test_reprs_are_one_short_line(path):
    result = check_file(str(path))
    graph = result.graphs[0]
    texts = [repr(result), repr(graph), repr(graph.nodes[-1]), repr(graph.nodes[-1].output),
             repr(graph.summary())]
    assert all(len(t) < 300 and "\n" not in t for t in texts), texts
    others = len(result.diagnostics)  # unet.slim's some-sizes warnings
    shown = f", {others} other diagnostics" if others else ""
    assert repr(result) == f"<CheckResult {path}: ok{shown}; models: {graph.name}>"
    assert repr(graph).startswith(f"<Graph {graph.name}: {len(graph.nodes):,} layers, ")


def test_diagnostics_print_with_code_and_caret():
    result = check_source(TYPO, "m.slim")
    [d] = result.diagnostics
    text = str(d)
    assert text.splitlines()[:3] == [
        "m.slim:3:16: error: conv2d has no argument 'stridee' (did you mean 'stride'?) "
        "[unknown-argument]",
        "      conv2d(4, 3, stridee=2)",
        "                   ^~~~~~~"]
    assert d.format() == text and d.format(TYPO) == text
    assert "^" not in str(d.__class__(d.span, d.severity, d.code, d.message))  # no source
    out = io.StringIO()
    emit_diagnostics([result], "text", False, out)
    assert str(result) == out.getvalue().rstrip("\n")  # what slimc check prints
    assert repr(result) == "<CheckResult m.slim: 1 error; models: m>"


def test_the_summary_is_slimc_summarys_table_and_html_in_notebooks():
    graph = compile_source(TWO, "<two>", model="first")
    summary = graph.summary()
    assert str(summary) == summary_text(graph)
    page = summary._repr_html_()
    assert page.count("<tr><td") == len(graph.nodes) and "first/conv" in page
    assert "&lt;two&gt;" in page and "<two>" not in page  # text is escaped
    assert "[?, 8, 8, 4]" in page and "Trainable params" in page


def test_a_file_of_several_models_must_say_which():
    with pytest.raises(CompileError) as info:
        compile_source(TWO, "two.slim")
    [d] = info.value.diagnostics
    assert d.message == "two.slim defines 2 models (first, second): say which one to compile"
    assert compile_source(TWO, "two.slim", model="second").name == "second"


def test_load_names_the_missing_tensorflow(tmp_path, monkeypatch):
    path = tmp_path / "two.slim"
    path.write_text(TWO)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorflow" else real(name, *a))
    with pytest.raises(ImportError, match=r"pip install 'slimdsl\[tf\]'"):
        slimdsl.load(str(path), model="first")
    with pytest.raises(CompileError, match="defines 2 models"):  # errors come first
        slimdsl.load(str(path))
    bad = tmp_path / "bad.slim"
    bad.write_text(TYPO)
    with pytest.raises(CompileError, match="stridee"):
        slimdsl.load(str(bad))


@pytest.mark.slow  # imports TensorFlow and builds a model
def test_load_returns_the_generated_class(tf, tmp_path):
    path = tmp_path / "two.slim"
    path.write_text(TWO)
    cls = slimdsl.load(str(path), model="first")
    assert cls.__name__ == "First"
    model = cls()
    logits, end_points = model(tf.zeros([2, 8, 8, 3]))
    assert logits.shape == (2, 8, 8, 4)
    assert sum(int(v.shape.num_elements()) for v in model.variables) == \
        compile_file(str(path), model="first").total_params


def test_check_result_repr_stays_short_with_many_diagnostics():
    text = "model m() {\n  input x: [?, 8, 8, 3]\n" + "  conv3(1)\n" * 500 + "}\n"
    result = check_source(text, "many.slim")
    assert isinstance(result, CheckResult) and len(result.diagnostics) == 500
    assert repr(result) == "<CheckResult many.slim: 500 errors; models: m>"
