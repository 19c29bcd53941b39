"""Accounting (slimdsl/accounting.py): variables, parameters, FLOPs, and the model parameters
generated code may read at run time (``Graph.runtime``)."""

from __future__ import annotations

from slimdsl.api import check_source, compile_source

SOURCE = """\
model m(classes: int = 10, keep: float = 0.5, width: int = 8) {
  input x: [?, 8, 8, 3]
  conv2d(width, 3) as c1
  flatten()
  dropout(keep) as drop
  fully_connected(classes) as logits
}
"""


def test_variables_parameters_and_flops():
    g = compile_source(SOURCE)
    assert [v.name for v in g.variables] == ["m/c1/weights", "m/c1/biases", "m/logits/weights",
                                            "m/logits/biases"]
    assert g.total_params == g.trainable_params == 3 * 3 * 3 * 8 + 8 + 512 * 10 + 10
    conv = g.nodes[0]
    assert conv.flops == 2 * 8 * 8 * 8 * (3 * 3 * 3) + 8 * 8 * 8  # multiply-adds + bias adds


def test_runtime_parameters_name_the_sizes_they_set():
    g = compile_source(SOURCE)
    runtime = g.runtime
    # width sizes the flatten (8 * 8 * width): fixed at compile time; classes only sizes logits
    assert runtime.names == {"classes", "keep"}
    drop, logits = g.nodes[2], g.nodes[3]
    assert runtime.args == {drop.id: {"keep_prob": "keep"}, logits.id: {"num_outputs": "classes"}}
    assert runtime.tensor_shape(logits.output) == (None, "classes")
    assert runtime.tensor_shape(drop.output) == (None, 512)
    assert [runtime.variable_shape(v) for v in logits.variables] == [(512, "classes"),
                                                                     ("classes",)]


def test_a_graph_with_errors_has_no_runtime_parameters():
    bad = SOURCE.replace('conv2d(width, 3)', 'conv2d(width, 9, padding="VALID")')
    result = check_source(bad)
    assert not result.ok and result.graphs[0].runtime is None


def test_the_run_time_analysis_runs_only_when_asked_for(monkeypatch):
    from slimdsl import accounting

    calls = []
    real = accounting.runtime_params
    monkeypatch.setattr(accounting, "runtime_params", lambda g: calls.append(g) or real(g))
    result = check_source(SOURCE, "m.slim")
    assert result.ok and calls == []  # a check does not pay for it
    graph = result.graphs[0]
    assert graph.runtime.names == {"classes", "keep"} and calls == [graph]
    assert graph.runtime is graph.runtime and len(calls) == 1  # computed once
