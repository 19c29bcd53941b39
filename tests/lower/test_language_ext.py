"""The language features of issue 12, without TensorFlow: scopes of models and blocks (``as
SCOPE``, ``as none``), tensor arithmetic's op names, activation values called as layers, ``def``
activations, ``**``, slicing, interpolated expressions, dicts spanning lines, ``-D`` values,
optional tensor parameters, lowercase padding. Their values are checked against TensorFlow in
tests/layers/test_ops_tf.py and tests/backends/tensorflow/test_backend_ops.py.
"""

from __future__ import annotations

import pytest

from slimdsl.api import check_source, parse_value
from slimdsl.cli.common import parse_define
from slimdsl.values import Activation, Initializer


def _graph(text: str, model: str | None = None):
    result = check_source(text, "t.slim")
    assert result.ok, [f"{d.span.line}: {d.message}" for d in result.diagnostics]
    graphs = {g.name: g for g in result.graphs}
    return graphs[model] if model else result.graphs[0]


def _errors(text: str) -> list[str]:
    return [f"{d.span.line}:{d.code}: {d.message}" for d in check_source(text, "t.slim").diagnostics
            if d.is_error]


HELPERS = """\
block padded(n: int) as none {
  pad([[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
  conv2d(n, 3, padding="valid")
}
block unit(n: int) {
  conv2d(n, 1)
  conv2d(n, 1)
}
model gen as none {
  input x: [?, 8, 8, 3]
  scope encoder {
    padded(4)
    padded(4)
    conv2d(4, 1)
    unit(4)
    unit(4) as none
    unit(4)
  }
}
model named = gen() as G
model alias = gen()
model scoped(k: int = 1) as "A/B" {
  input x: [?, 8, 8, 3]
  conv2d(4, 1)
}
model scoped2 = scoped(k=2)
model renamed = scoped(k=2) as R
"""


def test_helper_blocks_name_their_layers_in_the_callers_scope():
    """A block declared `as none` (or a call `as none`) opens no scope: its layers take the
    caller's scope and counters, as a TF-Slim helper function's do."""
    scopes = [n.scope for n in _graph(HELPERS, "gen").nodes]
    assert scopes == ["encoder/MirrorPad", "encoder/Conv", "encoder/MirrorPad_1",
                      "encoder/Conv_1", "encoder/Conv_2", "encoder/unit/Conv",
                      "encoder/unit/Conv_1", "encoder/Conv_3", "encoder/Conv_4",
                      "encoder/unit_1/Conv", "encoder/unit_1/Conv_1"]


def test_model_scopes_and_aliases():
    """`as SCOPE` / `as none` name a model's outer scope; an alias keeps the clause of the
    model it stands for unless it says its own, and otherwise takes its own name."""
    first = {name: _graph(HELPERS, name).variables[0].name
             for name in ("gen", "named", "alias", "scoped", "scoped2", "renamed")}
    assert first == {"gen": "encoder/Conv/weights", "named": "G/encoder/Conv/weights",
                     "alias": "encoder/Conv/weights", "scoped": "A/B/Conv/weights",
                     "scoped2": "A/B/Conv/weights", "renamed": "R/Conv/weights"}
    assert _graph(HELPERS, "gen").scope == "" and _graph(HELPERS, "renamed").scope == "R"


@pytest.mark.parametrize("statement, code", [
    ("conv2d(4, 1) as none", "scope-name"),
    ("repeat(2, conv2d, 4, 1) as none", "scope-name"),
    ("scope none { relu() }", "scope-name"),
    ("concat(axis=3) as none { { relu() } }", "scope-name"),
    ("b(4) as none\n  b(4) as none", "scope-name"),  # the helper's conv2d twice: variables clash
])
def test_as_none_is_for_blocks_and_models_only(statement, code):
    text = ("block b(n: int) { conv2d(n, 1) as c }\nmodel m {\n  input x: [?, 4, 4, 3]\n  "
            f"{statement}\n}}\n")
    errors = _errors(text)
    assert errors and all(f":{code}:" in e for e in errors), errors


def test_outputs_collections_of_a_helper_call_is_an_error():
    errors = _errors("block b(n: int) as none { conv2d(n, 1) }\nmodel m {\n"
                     "  input x: [?, 4, 4, 3]\n  b(4, outputs_collections=\"e\")\n}\n")
    assert len(errors) == 1 and "no scope to be collected under" in errors[0]


def test_operators_take_tensorflows_op_names():
    text = """model m {
  input x: [?, 4, 4, 3]
  a = x * 2.0
  b = multiply(x, x)
  c = a + b - x / 2 ** 2
  d = -c[:, 1:]
  e = c ** 2 + add(x, 1)
  parts = split(x, [1, -1], axis=3)
  f = swish(parts[0]) * 3
  y = conv2d(f, 2, 1) as mul
}
"""
    scopes = [n.scope for n in _graph(text).nodes]
    assert scopes == ["m/mul", "m/Mul_1", "m/add", "m/truediv", "m/sub", "m/strided_slice",
                      "m/Neg", "m/pow", "m/add_1", "m/add_2", "m/split", "m/IdentityN",
                      "m/mul_4", "m/mul"]
    # split with sizes takes "Const" first; swish takes beta, mul_2, Sigmoid, mul_3, Identity
    # before IdentityN; a variable scope keeps its name ("mul": its variables are m/mul/...)
    # while its name scope is uniquified.


def test_conv_named_like_an_op_keeps_its_variable_names():
    text = "model m {\n  input x: [?, 4, 4, 3]\n  a = x * 2.0\n  conv2d(a, 2, 1) as mul\n}\n"
    graph = _graph(text)
    assert [v.name for v in graph.variables] == ["m/mul/weights", "m/mul/biases"]


def test_activation_values_are_layers():
    text = """block unit(act: activation = relu, prediction_fn: activation = softmax) {
  act()
  y = act(net) + relu6(net)
  prediction_fn(y) as Predictions
}
model m(act: activation = leaky_relu(alpha=0.1)) {
  input x: [?, 4]
  unit(act=act)
  unit()
  end_point
}
"""
    graph = _graph(text)
    kinds = [(n.kind, n.scope) for n in graph.nodes]
    assert kinds[:5] == [("leaky_relu", "m/unit/LeakyRelu"), ("leaky_relu", "m/unit/LeakyRelu_1"),
                         ("relu6", "m/unit/Relu6"), ("add", "m/unit/add"),
                         ("softmax", "m/unit/Predictions")]
    assert graph.nodes[0].args["alpha"] == 0.1 and graph.nodes[5].kind == "relu"
    assert list(graph.end_points) == ["unit_1"]


@pytest.mark.parametrize("statement", ["prediction_fn(net)", "prediction_fn(net) as P",
                                       "y = prediction_fn(net) as P", "net = k(net)"])
def test_calling_a_value_that_is_not_an_activation_says_so(statement):
    text = f"""model m(prediction_fn: activation = none, k: int = 3) {{
  input x: [?, 4]
  {statement}
}}
"""
    what = "none" if "prediction_fn" in statement else "int 3"
    name = "prediction_fn" if "prediction_fn" in statement else "k"
    assert _errors(text) == [f"3:expression: '{name}' is {what}, which cannot be called: only "
                             "layers, blocks and activations apply to a tensor"]


def test_def_activations_are_traced_into_the_layer():
    text = """def gate(x) = relu6(x + 3) * 0.16667
def swishy(v) = v * sigmoid(v)
model m {
  input x: [?, 4, 4, 3]
  conv2d(4, 1, activation_fn=gate) as a
  arg_scope([conv2d], activation_fn=swishy) { conv2d(4, 1) as b }
  conv2d(4, 1, normalizer_fn=batch_norm, normalizer_params={activation_fn: gate}) as c
  y = gate(net)
}
"""
    graph = _graph(text)
    a, b, c = graph.nodes[:3]
    assert a.args["activation_fn"] == Activation(
        "gate", (), ("*", ("act", Activation("relu6"), ("+", ("x",), 3)), 0.16667))
    assert b.args["activation_fn"].expr == ("*", ("x",), ("act", Activation("sigmoid"), ("x",)))
    assert c.args["normalizer_params"]["activation_fn"].name == "gate"
    # 2 FLOPs per element for the gate's arithmetic, on top of the 1x1 conv and its biases
    assert a.flops == 16 * (2 * 3 * 4 + 4 + 2 * 4)
    assert [n.kind for n in graph.nodes[3:]] == ["add", "relu6", "multiply"]


@pytest.mark.parametrize("body, message", [
    ("def bad(x) = x.shape[1] * x", "has no static '.shape'"),
    ("def bad(x) = x[0]", "cannot slice it"),
    ("def bad(x) = conv2d(x, 4, 1)", "conv2d() is not an activation"),
    ("def bad(x) = 3", "is not an activation: it gives int 3"),
    ("def bad(x, y) = x + y", "expected an activation"),
])
def test_def_activations_only_compute_element_wise(body, message):
    text = f"{body}\nmodel m {{\n  input x: [?, 4, 4, 3]\n  conv2d(4, 1, activation_fn=bad)\n}}\n"
    errors = _errors(text)
    assert len(errors) == 1 and message in errors[0], errors


def test_power_slices_interpolation_and_dicts():
    text = """model m(k: int = 2, d: dict = {a: 1,
                                     b: 2}) {
  input x: [?, 6, 8, 3]
  assert 2 ** 10 == 1024 and -2 ** 2 == -4 and 2 ** -1 == 0.5 and 2 ** 3 ** 2 == 512
  assert x.shape[1:3] == [6, 8] and x.shape[::-1] == [3, 8, 6, ?] and "abcd"[1:3] == "bc"
  e = {c: 3,
       d: [1,
           2]}
  assert e["d"][-1] == 2 and d["b"] == 2
  for i in range(k) {
    conv2d(2, 1) as "conv{i + 1}_{k * 2}"
    end_point "layer_{2 * i + 1}/{{x}}"
  }
}
"""
    graph = _graph(text)
    assert [n.scope for n in graph.nodes] == ["m/conv1_4", "m/conv2_4"]
    assert list(graph.end_points) == ["layer_1/{x}", "layer_3/{x}"]


@pytest.mark.parametrize("expr, message", [
    ("2 ** 1000", "too large"), ("0 ** -1", "0 to the negative power"),
    ("(-8) ** 0.5", "not a real number"), ("[1, 2][::0]", "step cannot be 0"),
    ("[1, 2][0.5:]", "a slice start is an int"),
])
def test_compile_time_power_and_slices_refuse_bad_values(expr, message):
    errors = _errors(f"model m {{\n  input x: [?, 3]\n  y = {expr}\n}}\n")
    assert len(errors) == 1 and message in errors[0], errors


@pytest.mark.parametrize("scope, message", [
    ('"c{i + }"', "in the interpolation {i + }"), ('"c{i"', "ends with '}'"),
    ('"c}"', "a '}' without its '{'"), ('"c{net}"', "must be an int or a string"),
    ('"c{j}"', "unknown name 'j'"),
])
def test_bad_interpolations(scope, message):
    text = f"model m {{\n  input x: [?, 4, 4, 3]\n  i = 1\n  conv2d(2, 1) as {scope}\n}}\n"
    errors = _errors(text)
    assert errors and message in errors[0], errors


def test_optional_tensor_parameters_and_lowercase_padding():
    text = """block cell(prev: tensor = none) {
  if prev != none { net = net + prev }
  conv2d(3, 3, padding="valid")
}
model m {
  input x: [?, 8, 8, 3]
  a = cell()
  net = a
  b = cell(prev=a)
  max_pool2d(2, padding="same")
}
"""
    graph = _graph(text)
    assert [n.kind for n in graph.nodes] == ["conv2d", "add", "conv2d", "max_pool2d"]
    assert graph.nodes[0].args["padding"] == "VALID" and graph.nodes[0].output.shape[1] == 6


def test_lowercase_padding_of_depthwise_ops_is_refused():
    for call in ('conv2d_in_plane(3, padding="same")',
                 'separable_conv2d(none, 3, padding="valid")'):
        errors = _errors(f"model m {{\n  input x: [?, 8, 8, 3]\n  {call}\n}}\n")
        assert len(errors) == 1 and "depthwise_conv2d" in errors[0], errors
    assert not _errors('model m {\n  input x: [?, 8, 8, 3]\n'
                       '  separable_conv2d(4, 3, padding="valid")\n}\n')


@pytest.mark.parametrize("text, value", [
    ("relu", Activation("relu")), ("leaky_relu(alpha=0.1)", Activation("leaky_relu",
                                                                        (("alpha", 0.1),))),
    ("none", None), ("2 ** 3", 8), ("[3, ?][0]", 3), ("l2(0.5)", None),
    ("truncated_normal(0.01)", Initializer("truncated_normal", (("stddev", 0.01),
                                                                 ("mean", 0.0)))),
])
def test_define_values(text, value):
    got = parse_value(text)
    if text.startswith("l2"):
        assert repr(got) == "l2(scale=0.5)"
    else:
        assert got == value


def test_define_falls_back_to_json_and_bare_strings():
    assert parse_define("a=[1, 2]") == ("a", [1, 2])
    assert parse_define("mode=FAN_OUT") == ("mode", "FAN_OUT")
    assert parse_define('name="relu"') == ("name", "relu")
    assert parse_define("act=hard_swish") == ("act", Activation("hard_swish"))
    for bad in ("conv2d(4, 1)", "x + 1", "1 +"):
        with pytest.raises(ValueError):
            parse_value(bad)


def test_split_gives_a_list_and_a_statement_must_bind_it():
    graph = _graph("model m {\n  input x: [?, 4, 4, 6]\n  parts = split(3, axis=3)\n"
                   "  output a = parts[2]\n}\n")
    assert [t.shape for t in graph.nodes[0].outputs] == [(None, 4, 4, 2)] * 3
    assert graph.outputs[0].tensor is graph.nodes[0].outputs[2]
    errors = _errors("model m {\n  input x: [?, 4, 4, 6]\n  split(3, axis=3)\n}\n")
    assert len(errors) == 1 and "list of tensors" in errors[0]


def test_errors_inside_expressions_are_reported_once():
    """A failed op poisons what it computes: later uses stay silent."""
    text = """model m {
  input x: [?, 4, 4, 3]
  input y: [?, 4, 4, 5]
  z = x + y
  w = z * 2 + z[:, 1:] - reshape(z, [-1])
  output o = w
}
"""
    errors = _errors(text)
    assert len(errors) == 1 and errors[0].startswith("4:incompatible-shapes"), errors


def test_activation_constructors_in_parameter_defaults_are_values():
    """`leaky_relu(alpha=0.1)` as a default is an activation value (it was an internal error
    in a model's default and a layer applied to the caller's net in a block's)."""
    graph = _graph("block b(act: activation = leaky_relu(alpha=0.3)) { act() }\n"
                   "model m(act: activation = leaky_relu(alpha=0.1)) {\n  input x: [?, 4]\n"
                   "  b()\n  fully_connected(2, activation_fn=act)\n}\n")
    assert [n.kind for n in graph.nodes] == ["leaky_relu", "fully_connected"]
    assert graph.nodes[0].args["alpha"] == 0.3
    assert graph.nodes[1].args["activation_fn"] == Activation("leaky_relu", (("alpha", 0.1),))
    errors = _errors("model m(y: int = relu6(3)) {\n  input x: [?, 4]\n}\n")
    assert len(errors) == 1 and "a parameter default is a value" in errors[0]
