"""Regression tests for the bugs the fuzzers found (tests/fuzz/, docs/reliability.md).

Each test is the smallest input that showed the bug, with what slimdsl must answer now. The ones
about TensorFlow's behaviour also build the TF-Slim side, so the expectation cannot drift from
what TensorFlow does.
"""

from __future__ import annotations

import os
import time

import pytest

from slimdsl import api
from slimdsl.frontend.parser import MAX_SOURCE_BYTES

HEAD = "model m {\n  input x: [?, 9, 9, 3]\n"


def check(body: str, head: str = HEAD, path: str = "r.slim"):
    return api.check_source(head + body + "}\n", path)


def errors(result) -> list[tuple[str, int, str]]:
    return [(d.code, d.span.line, d.message) for d in result.diagnostics if d.is_error]


def scopes(result) -> list[tuple[str, str, tuple]]:
    return [(n.kind, n.scope, n.output.shape) for n in result.graphs[0].nodes]


# ---------------------------------------------------------------------------- differential


def test_repeat_and_stack_of_softmax():
    """``softmax`` is an activation value too; slim.repeat(x, 2, slim.softmax) is valid."""
    r = check("  repeat(2, softmax) as R\n  stack(softmax, [[], []])\n")
    assert errors(r) == []
    assert [s for _, s, _ in scopes(r)] == ["m/R/R_1", "m/R/R_2", "m/Stack/softmax_1",
                                             "m/Stack/softmax_2"]


@pytest.mark.parametrize("body, where", [
    ("conv2d(4, 3) as bad", "kernel_size"),          # positional kernel + scope kernel_size
    ("conv2d_same(4, 3, 2) as bad", "kernel_size"),  # resnet_utils passes it positionally
    ("subsample(2) as bad", "kernel_size"),          # max_pool2d(inputs, [1, 1], ...)
])
def test_positional_argument_also_set_by_arg_scope(body, where):
    """TF-Slim: TypeError "got multiple values for argument" (arg_scope passes keywords)."""
    r = check(f"  arg_scope([conv2d, max_pool2d], kernel_size=3) {{\n    {body}\n  }}\n")
    assert [(c, line) for c, line, _ in errors(r)] == [("duplicate-argument", 4)]
    assert where in errors(r)[0][2]


def test_keyword_argument_and_subsample_1_do_not_clash_with_arg_scope():
    r = check("  arg_scope([conv2d, max_pool2d], kernel_size=3) {\n    conv2d(4) as a\n"
              "    subsample(1) as b\n    max_pool2d(stride=1) as c\n  }\n")
    assert errors(r) == []


def test_conv2d_same_ignores_the_arg_scope_rate(tf, slim):
    """resnet_utils.conv2d_same passes rate=rate (default 1) to conv2d: the scope's rate=2 and
    stride=3 never reach it, so stride 2 with the scope's rate 2 is fine."""
    from tf_slim.nets import resnet_utils
    r = check('  arg_scope([conv2d], rate=2, stride=3, padding="VALID") {\n'
              "    conv2d_same(4, 3, 2) as b\n  }\n")
    assert errors(r) == []
    assert scopes(r) == [("conv2d_same", "m/b", (None, 5, 5, 4))]
    assert r.graphs[0].nodes[0].args["rate"] == (1, 1)
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 9, 9, 3])
        with slim.arg_scope([slim.conv2d], rate=2, stride=3, padding="VALID"):
            out = resnet_utils.conv2d_same(x, 4, 3, 2, scope="b")
    assert out.shape.as_list() == [None, 5, 5, 4]


@pytest.mark.parametrize("call", ["conv2d_same(4, [3, 3], 2)",
                                  "conv2d_same(4, 3, 2, rate=[1, 2])"])
def test_conv2d_same_needs_int_kernel_and_rate_when_strided(call):
    """resnet_utils computes kernel_size + (kernel_size - 1) * (rate - 1): a list raises."""
    assert [c for c, _, _ in errors(check(f"  {call}\n"))] == ["bad-value"]
    assert errors(check("  conv2d_same(4, [3, 1], 1, rate=[1, 2])\n")) == []  # stride 1: conv2d


def test_atrous_separable_conv_over_unknown_dimensions(tf, slim):
    """With rate > 1 TF goes through space_to_batch and loses BOTH spatial dimensions."""
    r = check("  separable_conv2d(none, 3, rate=2, padding=\"VALID\") as s\n",
              head="model m {\n  input x: [?, 3, ?, 3]\n")
    assert errors(r) == []
    assert scopes(r)[0][2] == (None, None, None, 3)
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3, None, 3])
        out = slim.separable_conv2d(x, None, 3, rate=2, padding="VALID")
    assert out.shape.as_list() == [None, None, None, 3]


def test_repeat_with_a_nested_scope_name():
    """slim.repeat names inner scopes scope + '_1' even when the scope is "g/R": g/R/g/R_1."""
    r = check('  repeat(2, conv2d, 4, 1) as "g/R"\n')
    assert [s for _, s, _ in scopes(r)] == ["m/g/R/g/R_1", "m/g/R/g/R_2"]
    assert r.graphs[0].variables[0].name == "m/g/R/g/R_1/weights"


def test_explicit_names_of_name_scoped_layers_are_uniquified():
    """TF uniquifies name scopes and op names (ignoring case); variable scopes keep the name."""
    r = check("  max_pool2d(1) as L1\n  max_pool2d(1) as L1\n  conv2d(3, 1) as B1\n"
              "  tanh() as b1\n  dropout() as L1\n")
    assert errors(r) == []
    assert [s for _, s, _ in scopes(r)] == ["m/L1", "m/L1_1", "m/B1", "m/b1_1", "m/L1"]


def test_a_variable_clash_is_reported_alongside_later_errors():
    """TF stops at the clash (line 3); slimdsl used to report only the later shape error."""
    r = check("  conv2d(4, 1) as L1\n  fully_connected(4) as L1\n"
              "  conv2d(4, 30, padding=\"VALID\")\n")
    assert [(c, line) for c, line, _ in errors(r)] == [("scope-name", 4), ("shape", 5)]


def test_conv2d_same_takes_the_pad_name(tf, slim):
    """Strided conv2d_same creates an op "Pad" in the caller's scope: a later pad is Pad_1."""
    from tf_slim.nets import resnet_utils
    r = check("  conv2d_same(3, 4, 3) as c\n  pad([[0, 0], [1, 1], [1, 1], [0, 0]])\n")
    assert [s for _, s, _ in scopes(r)] == ["m/c", "m/Pad_1"]
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 9, 9, 3])
        net = resnet_utils.conv2d_same(x, 3, 4, 3, scope="c")
        assert tf.pad(net, [[0, 0], [1, 1], [1, 1], [0, 0]]).op.name == "Pad_1"


def test_a_scope_entered_again_names_its_ops_in_a_new_name_scope(tf, slim):
    """A variable scope entered again (or named like an earlier op) keeps its name for its
    variables, but TF names the ops inside it in a new name scope (sc_1), and later names see
    that one taken."""
    r = check("  scope sc { relu() as r }\n  scope sc {\n    relu() as r\n"
              "    conv2d(2, 1) as c\n  }\n  relu() as sc\n  y = net * 2.0\n"
              "  conv2d(y, 2, 1) as mul\n  z = net * 3.0\n")
    assert [s for _, s, _ in scopes(r)] == ["m/sc/r", "m/sc_1/r", "m/sc/c", "m/sc_2", "m/mul",
                                            "m/mul", "m/mul_2"]
    assert [v.name for v in r.graphs[0].variables] == [
        "m/sc/c/weights", "m/sc/c/biases", "m/mul/weights", "m/mul/biases"]
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        with v1.variable_scope("m"):
            x = v1.placeholder(tf.float32, [None, 9, 9, 3])
            with v1.variable_scope("sc"):
                net = tf.nn.relu(x, name="r")
            with v1.variable_scope("sc"):
                ops = [tf.nn.relu(net, name="r").op.name]
                net = slim.conv2d(net, 2, 1, scope="c")
            net = tf.nn.relu(net, name="sc")
            y = net * 2.0
            slim.conv2d(y, 2, 1, scope="mul")
            names = [net.op.name, y.op.name, (net * 3.0).op.name]
            variables = [v.op.name for v in v1.global_variables()]
    assert ops + names == ["m/sc_1/r", "m/sc_2", "m/mul", "m/mul_2"]
    assert variables == [v.name for v in r.graphs[0].variables]


def _reentered(v1, slim):
    """TF-Slim's side of test_default_names_start_over_in_a_scope_entered_again."""
    def twice(layer):
        def build(x):
            for _ in range(2):
                with v1.variable_scope("sc"):
                    x = layer(x)
        return build

    def nested(x):
        with v1.variable_scope("sc"):
            for _ in range(2):
                with v1.variable_scope("inner"):
                    x = slim.conv2d(x, 2, 1)
            return slim.conv2d(slim.conv2d(x, 2, 1), 2, 1)

    def different(x):
        with v1.variable_scope("sc"):
            x = slim.conv2d(x, 2, 1)
        with v1.variable_scope("sc"):
            return slim.fully_connected(x, 2)

    return [twice(lambda x: slim.conv2d(x, 2, 1)),
            twice(lambda x: slim.repeat(x, 1, slim.conv2d, 2, 1)),
            twice(lambda x: slim.conv2d_in_plane(x, 2)), nested, different]


def test_default_names_start_over_in_a_scope_entered_again(tf, slim):
    """TF forgets the default names used inside a variable scope when it is left: entered
    again, a default-named layer is Conv again and clashes (slimdsl counted on: Conv_1)."""
    bodies = ["  scope sc { conv2d(2, 1) }\n  scope sc { conv2d(2, 1) }\n",
              "  scope sc { repeat(1, conv2d, 2, 1) }\n  scope sc { repeat(1, conv2d, 2, 1) }\n",
              "  scope sc { conv2d_in_plane(2) }\n  scope sc { conv2d_in_plane(2) }\n",
              "  scope sc {\n    scope inner { conv2d(2, 1) }\n    scope inner { conv2d(2, 1) }\n"
              "    conv2d(2, 1)\n    conv2d(2, 1)\n  }\n",
              "  scope sc { conv2d(2, 1) }\n  scope sc { fully_connected(2) }\n"]
    ours = [[(c, line) for c, line, _ in errors(check(b))] for b in bodies]
    assert ours == [[("scope-name", 4)], [("scope-name", 4)], [("scope-name", 4)],
                    [("scope-name", 5)], []]
    v1 = tf.compat.v1
    theirs = []
    for build in _reentered(v1, slim):
        with tf.Graph().as_default():
            try:
                build(v1.placeholder(tf.float32, [None, 9, 9, 3]))
                theirs.append(True)
            except ValueError as e:
                assert "already exists" in str(e)
                theirs.append(False)
    assert theirs == [not o for o in ours]


def test_atrous_valid_convolution_over_an_unknown_dimension_may_be_empty(tf, slim):
    """Through space_to_batch TF's static shapes only refuse a negative extent when a spatial
    dimension is unknown: 1 - 2 + 1 = 0 passes (slimdsl refused it), 1 - 3 + 1 fails."""
    head = "model m {\n  input x: [?, 1, ?, 5]\n"
    r = check("  conv2d(5, [2, 4], rate=[1, 2], padding=\"VALID\") as a\n"
              "  conv2d(x, 5, [3, 4], rate=[1, 2], padding=\"VALID\") as b\n", head)
    assert scopes(r)[0] == ("conv2d", "m/a", (None, 0, None, 5))
    assert [(c, line) for c, line, _ in errors(r)] == [("shape", 4)]
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 1, None, 5])
        a = slim.conv2d(x, 5, [2, 4], rate=[1, 2], padding="VALID", scope="a")
        assert a.shape.as_list() == [None, 0, None, 5]
        with pytest.raises(ValueError):
            slim.conv2d(x, 5, [3, 4], rate=[1, 2], padding="VALID", scope="b")


def test_named_arithmetic_converts_a_number_first_on_its_own(tf):
    """tf.multiply(2, x) converts 2 to int32 before it sees x: a float32 x is a TypeError
    (the operator 2 * x and tf.divide(2, x) convert 2 to x's dtype)."""
    r = check("  a = multiply(2, x)\n  b = multiply(2.0, x) + 2 * x + divide(2, x)\n")
    assert [(c, line) for c, line, _ in errors(r)] == [("dtype", 3)]
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 9, 9, 3])
        with pytest.raises(TypeError):
            tf.multiply(2, x)
        assert (tf.multiply(2.0, x) + 2 * x + tf.divide(2, x)).dtype == tf.float32


# ---------------------------------------------------------------------------- front end


def test_model_alias_chains_and_cycles():
    """An alias of an alias crashed (AttributeError: 'ModelAlias' object has no 'params')."""
    lib = "model c(x: int = 1) {\n  input i: [?, 4]\n  fully_connected(x)\n}\n"
    r = api.check_source(lib + "model b = c(x=3)\nmodel a = b()\nmodel d = b(x=2)\n", "a.slim")
    assert errors(r) == []
    assert {g.name: g.params["x"] for g in r.graphs} == {"c": 1, "b": 3, "a": 3, "d": 2}
    r = api.check_source("model a = b()\nmodel b = a()\n", "a.slim")
    assert [(c, line) for c, line, _ in errors(r)] == [("unknown-name", 1), ("unknown-name", 2)]
    assert "refers back to itself" in errors(r)[0][2]


def test_huge_integer_literal():
    """int() refuses more than 4300 digits: it was an internal error."""
    r = check("  a = " + "9" * 5000 + "\n")
    assert errors(r) == [("expression", 3, "integer literal too large (5000 digits)")]


@pytest.mark.parametrize("body", [
    "  for i in range(100000) {\n    for j in range(100000) {\n    }\n  }\n",
    "  a = f(30)\n",
])
def test_runaway_expansion_is_bounded(body):
    """A loop nest (or an exponential function) without layers never hit the node limit."""
    start = time.perf_counter()
    r = check(body, head="def f(n) = f(n - 1) + f(n - 1) if n > 0 else 1\n" + HEAD)
    assert time.perf_counter() - start < 60
    assert [c for c, _, _ in errors(r)] == ["structure"]
    assert "is too large: it takes more than" in errors(r)[0][2]


def test_imports_read_only_regular_files(tmp_path):
    """import "/dev/zero" read forever (MemoryError); a FIFO would block."""
    fifo = tmp_path / "pipe.slim"
    os.mkfifo(fifo)
    main = tmp_path / "main.slim"
    for target in ("/dev/zero", "pipe.slim", "."):
        main.write_text(f'import "{target}"\n' + HEAD + "}\n")
        result = api.check_file(str(main))
        assert [d.code for d in result.diagnostics] == ["import"], target


def test_sources_are_bounded(tmp_path):
    """A 10 MB file took minutes (10 us per token); /dev/zero as an input never ended."""
    big = "# " + "x" * MAX_SOURCE_BYTES + "\n"
    assert [d.code for d in api.check_source(big, "big.slim").diagnostics] == ["io"]
    path = tmp_path / "big.slim"
    path.write_text(big)
    for p in (str(path), "/dev/zero"):
        diagnostics = api.check_file(p).diagnostics
        assert [d.code for d in diagnostics] == ["io"] and "larger than" in diagnostics[0].message


def test_unknown_block_parameter_type():
    """The type check of a call's arguments met the unknown type first: KeyError."""
    r = api.check_source("block loop(depth: ivt) {\n  conv2d(depth, 3)\n}\n"
                         + HEAD + "  loop(8)\n}\n", "r.slim")
    assert [(c, line) for c, line, _ in errors(r)] == [("bad-value", 1)]


@pytest.mark.parametrize("call, message", [
    ("range(99999999999999999999999)", "range longer than 100000"),  # len() overflowed
    ("range(0, 5, 0)", "range() step must not be zero"),  # range() raised ValueError
    ("range(0, 200001, 2)", "range longer than 100000"),
])
def test_range_bounds(call, message):
    r = check(f"  for i in {call} {{\n  }}\n")
    assert [(c, m) for c, _, m in errors(r)] == [("expression", message)]


def test_a_model_without_layers_compiles():
    """The body of `with tf.device(...)` was empty: the module did not compile."""
    from slimdsl.backends.tensorflow.codegen import generate
    result = api.check_source("model m {\n  input x: [?, 4]\n}\n", "r.slim")
    compile(generate(result.graphs, "r.slim"), "<generated>", "exec")


def test_the_layer_limit_ends_the_lowering():
    """Over MAX_NODES every later layer reported again (100,000 layers: minutes)."""
    from slimdsl.lower import MAX_NODES
    r = check(f"  repeat({MAX_NODES + 10}, relu)\n  relu()\n  relu()\n")
    assert [(c, line) for c, line, _ in errors(r)] == [("structure", 3)]


@pytest.mark.slow
def test_many_diagnostics_stay_linear():
    """20,000 independent errors: the duplicate check and the excerpt were quadratic."""
    from slimdsl.diagnostics import printer
    start = time.perf_counter()
    r = check("  relu(1)\n" * 20_000)
    text = [printer.format_text(d, r.source) for d in r.diagnostics]
    assert len(text) == 20_000 and time.perf_counter() - start < 60


def test_excerpts_count_lines_like_the_lexer():
    """splitlines() also breaks at U+2028 and form feeds: the excerpt showed another line."""
    from slimdsl.diagnostics import printer
    r = check("  a = 1 \x0c\n  b = \u2028\n")
    (d,) = r.diagnostics
    assert d.span.line == 4 and "  b =" in printer.format_text(d, r.source).splitlines()[1]
