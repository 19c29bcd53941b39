"""Cases where an independent differential fuzzer found slimc and TF-Slim disagreeing.

Each is built with the real tf_slim (the oracle, in a TF1 graph) and checked with slimc: slimc
either does exactly what TF-Slim does (the same end point keys, the same variables) or refuses
with an error that states TF's rule. Nothing differs silently.
"""

from __future__ import annotations

import pytest

from slimdsl.api import check_source

HEAD = "model m {\n  input x: [?, 8, 8, 3]\n"


def _tf(tf, slim, fn):
    """Run ``fn(x)`` in the variable scope ``m`` of a fresh TF1 graph: (end points or the
    exception, variable names)."""
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3])
        try:
            with v1.variable_scope("m"):
                fn(x)
        except (ValueError, TypeError) as exc:
            return exc, []
        points = list(slim.utils.convert_collection_to_dict("c"))
        return points, [v.op.name for v in v1.global_variables()]


def _slimc(body: str):
    result = check_source(HEAD + body + "}\n", "m.slim")
    errors = [d for d in result.diagnostics if d.is_error]
    graph = result.graphs[0] if result.graphs and not errors else None
    return errors, graph


def _explains(errors, *phrases: str) -> None:
    assert errors, "slimc accepts what TF-Slim refuses or does differently"
    text = " ".join([errors[0].message] + [n.message for n in errors[0].notes])
    for phrase in phrases:
        assert phrase in text, text


def test_a_variable_scope_entered_twice_restarts_its_default_names(tf, slim):
    """TF-Slim: `Variable m/S/Conv/weights already exists` (leaving S resets its counts)."""
    def build(x):
        for _ in range(2):
            with tf.compat.v1.variable_scope("S"):
                x = slim.conv2d(x, 4, 3)
    error, _ = _tf(tf, slim, build)
    assert "Variable m/S/Conv/weights already exists" in str(error)
    errors, _ = _slimc("  scope S { conv2d(4, 3) }\n  scope S { conv2d(4, 3) }\n")
    _explains(errors, "scope 'm/S/Conv' is used twice", "already exists")
    assert errors[0].span.line == 4  # where TF-Slim raises


def test_a_reentered_scope_opens_a_new_name_scope(tf, slim):
    """TF: the second `variable_scope('S')` opens the name scope S_1, where a pool is named;
    a conv keeps its variable scope's name (m/S/Conv)."""
    def build(x):
        x = slim.conv2d(x, 4, 3)
        with tf.compat.v1.variable_scope("S"):
            x = slim.max_pool2d(x, 2, padding="SAME", outputs_collections="c")
        with tf.compat.v1.variable_scope("S"):
            x = slim.conv2d(x, 4, 3, outputs_collections="c")
            x = slim.max_pool2d(x, 2, padding="SAME", outputs_collections="c")
    points, variables = _tf(tf, slim, build)
    assert points == ["m/S/MaxPool2D", "m/S/Conv", "m/S_1/MaxPool2D"]
    errors, graph = _slimc(
        "  conv2d(4, 3)\n"
        '  scope S { max_pool2d(2, padding="SAME", outputs_collections="c") }\n'
        "  scope S {\n"
        '    conv2d(4, 3, outputs_collections="c")\n'
        '    max_pool2d(2, padding="SAME", outputs_collections="c")\n  }\n')
    assert not errors, errors
    assert list(graph.end_points) == points
    assert sorted(v.name for v in graph.variables) == sorted(variables)


def test_arg_scope_outputs_collections_reaching_a_normalizer_is_refused(tf, slim):
    """TF-Slim: the normalizer's batch_norm is an end point of its own (m/Conv/BatchNorm)."""
    def build(x):
        with slim.arg_scope([slim.batch_norm], outputs_collections="c"):
            slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm)
    points, _ = _tf(tf, slim, build)
    assert points == ["m/Conv/BatchNorm"]
    errors, _ = _slimc('  arg_scope([batch_norm], outputs_collections="c") {\n'
                       "    conv2d(4, 3, normalizer_fn=batch_norm)\n  }\n")
    _explains(errors, "outputs_collections reaches the batch_norm that normalizer_fn=batch_norm "
                      "creates", "an end point of its own")


def test_arg_scope_of_softmax_is_accepted_and_of_a_tf_op_refused(tf, slim):
    """slim.softmax takes an arg_scope (TF-Slim accepts it); tf.squeeze does not (ValueError)."""
    def softmax(x):
        with slim.arg_scope([slim.softmax]):
            slim.softmax(slim.flatten(x))
    points, _ = _tf(tf, slim, softmax)
    assert points == []
    errors, graph = _slimc("  flatten()\n  arg_scope([softmax]) {\n    softmax()\n  }\n")
    assert not errors and [n.kind for n in graph.nodes] == ["flatten", "softmax"]

    def squeeze(x):
        with slim.arg_scope([tf.squeeze]):
            pass
    error, _ = _tf(tf, slim, squeeze)
    assert "is not decorated with @add_arg_scope" in str(error.args)
    errors, _ = _slimc("  arg_scope([squeeze]) {\n    relu()\n  }\n")
    _explains(errors, "squeeze cannot be listed in arg_scope", "@add_arg_scope", "ValueError")


def test_op_names_that_differ_only_in_case_are_refused(tf, slim):
    """TF uniquifies op names ignoring case: the second conv's variables are m/Conv/weights_1."""
    def build(x):
        x = slim.conv2d(x, 4, 1, scope="conv")
        slim.conv2d(x, 4, 1)
    _, variables = _tf(tf, slim, build)
    assert variables == ["m/conv/weights", "m/conv/biases", "m/Conv/weights_1",
                         "m/Conv/biases_1"]
    errors, _ = _slimc("  conv2d(4, 1) as conv\n  conv2d(4, 1)\n")
    _explains(errors, "differs from 'm/conv/weights' only in case", "'m/Conv/weights_1'",
              "ignoring case")


@pytest.mark.parametrize("body", [
    "  scope S { conv2d(4, 3) as a }\n  scope S { conv2d(4, 3) as b }\n",  # distinct names: ok
    "  scope S { scope T { conv2d(4, 3) } }\n  scope S { scope T { conv2d(4, 3) as Conv_1 } }\n",
])
def test_reentered_scopes_with_distinct_names_agree(tf, slim, body):
    """Re-entering a scope is fine when the layers inside take distinct names."""
    def build(x):
        v1 = tf.compat.v1
        if "scope T" in body:
            with v1.variable_scope("S"), v1.variable_scope("T"):
                x = slim.conv2d(x, 4, 3)
            with v1.variable_scope("S"), v1.variable_scope("T"):
                slim.conv2d(x, 4, 3, scope="Conv_1")
        else:
            with v1.variable_scope("S"):
                x = slim.conv2d(x, 4, 3, scope="a")
            with v1.variable_scope("S"):
                slim.conv2d(x, 4, 3, scope="b")
    _, variables = _tf(tf, slim, build)
    errors, graph = _slimc(body)
    assert not errors, errors
    assert sorted(v.name for v in graph.variables) == sorted(variables)
