"""Semantics of lowering: TF-Slim scope naming, repeat/stack, arg_scope precedence, branches,
blocks, control flow and end points (no TensorFlow needed: the figures come from
../shared/reference/slim_semantics.md and are re-checked against tf_slim in test_shapes_tf.py)."""

from __future__ import annotations

import pytest

from slimdsl import CompileError, compile_source


def build(body: str, shape: str = "[?, 8, 8, 3]", params: str = "", prelude: str = ""):
    src = f"{prelude}\nmodel m{params} {{\n  input x: {shape}\n{body}\n}}\n"
    return compile_source(src, "t.slim")


def scopes(graph) -> list[str]:
    return [n.scope for n in graph.nodes]


def var_names(graph) -> list[str]:
    return [v.name for v in graph.variables]


def codes(body: str, **kw) -> list[str]:
    with pytest.raises(CompileError) as exc:
        build(body, **kw)
    return [d.code for d in exc.value.diagnostics]


# ------------------------------------------------------------------ naming

def test_default_names_are_uniquified_per_base_name():
    g = build("conv2d(8, 3)\nfully_connected(4)\nconv2d(8, 3)")
    assert scopes(g) == ["m/Conv", "m/fully_connected", "m/Conv_1"]


def test_variable_and_name_scopes_follow_tf_rules():
    """TF-Slim's truth for these is in tests/fuzz/test_tf_slim_disagreements.py; here the same
    rules without TensorFlow: leaving a variable scope restarts the default names inside it, a
    re-entered scope opens a new name scope (S_1) for pools, name scopes ignore case."""
    assert codes("scope S { conv2d(4, 3) }\nscope S { conv2d(4, 3) }") == ["scope-name"]
    g = build("scope S { conv2d(4, 3) as a\n max_pool2d(2) }\n"
              "scope S { conv2d(4, 3) as b\n max_pool2d(2)\n conv2d(4, 3) }")
    assert scopes(g) == ["m/S/a", "m/S/MaxPool2D", "m/S/b", "m/S_1/MaxPool2D", "m/S/Conv"]
    g = build("max_pool2d(2) as pool\nmax_pool2d(1) as Pool\nmax_pool2d(1)\n"
              "max_pool2d(1) as maxpool2d")
    assert scopes(g) == ["m/pool", "m/Pool_1", "m/MaxPool2D", "m/maxpool2d_1"]
    assert codes("conv2d(4, 1) as conv\nconv2d(4, 1)") == ["scope-name"]  # m/Conv vs m/conv
    g = build("scope S { scope T { conv2d(4, 3) } }\nscope S { scope T { conv2d(4, 3) as c } }")
    assert scopes(g) == ["m/S/T/Conv", "m/S/T/c"]


def test_explicit_names_take_slots():
    g = build("conv2d(8, 3) as Conv\nconv2d(8, 3)")
    assert scopes(g) == ["m/Conv", "m/Conv_1"]
    g = build("conv2d(8, 3)\nconv2d(8, 3) as Conv_1\nconv2d(8, 3)")
    assert scopes(g) == ["m/Conv", "m/Conv_1", "m/Conv_2"]


def test_repeat_naming_explicit_and_default():
    g = build("repeat(3, conv2d, 8, [3, 3]) as conv3")
    assert scopes(g) == ["m/conv3/conv3_1", "m/conv3/conv3_2", "m/conv3/conv3_3"]
    g = build("repeat(2, conv2d, 8, 3)\nrepeat(1, conv2d, 8, 3)")
    assert scopes(g) == ["m/Repeat/convolution2d_1", "m/Repeat/convolution2d_2",
                         "m/Repeat_1/convolution2d_1"]


def test_stack_naming_and_unpacking():
    g = build("stack(fully_connected, [32, 64, 128]) as fc", shape="[?, 10]")
    assert scopes(g) == ["m/fc/fc_1", "m/fc/fc_2", "m/fc/fc_3"]
    assert [v.shape for v in g.variables if v.name.endswith("weights")] == \
        [(10, 32), (32, 64), (64, 128)]
    g = build("stack(conv2d, [(8, [3, 3]), (16, [1, 1])]) as cs")
    assert [v.shape for v in g.variables if v.name.endswith("weights")] == \
        [(3, 3, 3, 8), (1, 1, 8, 16)]
    g = build("stack(fully_connected, [4])", shape="[?, 10]")
    assert scopes(g) == ["m/Stack/fully_connected_1"]


def test_blocks_get_default_scope_and_are_usable_with_repeat():
    prelude = "block unit(depth: int = 8) {\n  conv2d(depth, 3) as conv\n}"
    g = build("unit()\nunit(4)\nrepeat(2, unit, 16) as units", prelude=prelude)
    assert scopes(g) == ["m/unit/conv", "m/unit_1/conv", "m/units/units_1/conv",
                         "m/units/units_2/conv"]
    assert g.nodes[1].output.shape == (None, 8, 8, 4)


def test_scope_string_interpolation_in_loops():
    g = build('for i in range(1, 4) {\n  scope "unit_{i}" { conv2d(8, 1) }\n}')
    assert scopes(g) == ["m/unit_1/Conv", "m/unit_2/Conv", "m/unit_3/Conv"]


# ------------------------------------------------------------------ arg_scope

def test_arg_scope_precedence_and_restoration():
    body = """
arg_scope([conv2d], padding="VALID", stride=2, activation_fn=relu6) {
  arg_scope([conv2d], stride=1) {
    conv2d(8, 3) as inner
    conv2d(8, 3, padding="SAME", activation_fn=none) as explicit
  }
  conv2d(8, 3) as outer
}
conv2d(8, 3) as plain"""
    g = build(body, shape="[?, 16, 16, 3]")
    by = {n.short_scope: n for n in g.nodes}
    assert by["inner"].args["padding"] == "VALID" and by["inner"].args["stride"] == (1, 1)
    assert by["inner"].args["activation_fn"].name == "relu6"
    assert by["inner"].output.shape == (None, 14, 14, 8)
    assert by["explicit"].args["padding"] == "SAME" and by["explicit"].args["activation_fn"] is None
    assert by["explicit"].sources["padding"].kind == "explicit"
    assert by["inner"].sources["stride"].kind == "arg_scope"
    assert by["inner"].sources["stride"].span.line == 6  # the inner arg_scope
    assert by["outer"].args["stride"] == (2, 2)
    assert by["plain"].args["padding"] == "SAME"
    assert by["plain"].sources["padding"].kind == "default"


def test_arg_scope_merge_is_shallow_for_dicts():
    body = """
arg_scope([conv2d], normalizer_fn=batch_norm, normalizer_params={scale: true}) {
  arg_scope([conv2d], normalizer_params={decay: 0.9}) {
    conv2d(8, 3) as c
  }
}"""
    bn = build(body).nodes[0].args["normalizer_params"]
    assert bn["decay"] == 0.9 and bn["scale"] is False  # replaced whole, not merged


def test_batch_norm_arg_scope_reaches_normalizer_and_replaces_biases():
    body = """
arg_scope([batch_norm], scale=true) {
  conv2d(8, 3, normalizer_fn=batch_norm) as c
}
conv2d(8, 3, biases_initializer=none) as nob"""
    g = build(body)
    assert var_names(g) == ["m/c/weights", "m/c/BatchNorm/beta", "m/c/BatchNorm/gamma",
                            "m/c/BatchNorm/moving_mean", "m/c/BatchNorm/moving_variance",
                            "m/nob/weights"]
    assert g.trainable_params == 3 * 3 * 3 * 8 + 8 + 8 + 3 * 3 * 8 * 8
    assert g.total_params == g.trainable_params + 16


def test_arg_scope_rejects_keys_a_listed_layer_does_not_accept():
    assert codes('arg_scope([conv2d, fully_connected], padding="VALID") {\n conv2d(8, 3)\n}') \
        == ["arg-scope"]


# ------------------------------------------------------------------ graph structure

def test_branches_concat_and_named_tensors():
    body = """
concat(axis=3) as Mixed {
  Branch_0 { conv2d(4, 1) as a }
  Branch_1 {
    conv2d(2, 1) as a
    conv2d(6, 3) as b
  }
  { max_pool2d(3, stride=1, padding="SAME") }
}
end_point
shortcut = conv2d(13, 1) as proj
add(shortcut)"""
    g = build(body)
    assert g.nodes[4].scope == "m/Mixed/concat" and g.nodes[4].output.shape == (None, 8, 8, 13)
    assert "Mixed/concat" in g.end_points
    assert g.nodes[-1].kind == "add" and g.nodes[-1].output.shape == (None, 8, 8, 13)


def test_shape_dependent_choice_like_resnet_shortcut():
    prelude = """
block unit(depth: int, stride: int) {
  if depth == net.shape[-1] {
    shortcut = subsample(net, stride) as shortcut
  } else {
    shortcut = conv2d(net, depth, 1, stride=stride, activation_fn=none) as shortcut
  }
  conv2d(depth, 3, stride=stride) as conv1
  add(shortcut, net)
}"""
    g = build("unit(3, 2) as a\nunit(8, 1) as b", prelude=prelude)
    assert scopes(g) == ["m/a/shortcut", "m/a/conv1", "m/a/add", "m/b/shortcut",
                         "m/b/conv1", "m/b/add"]
    assert [n.kind for n in g.nodes][:1] == ["subsample"]
    assert g.nodes[-1].output.shape == (None, 4, 4, 8)


def test_conv2d_same_and_valid_arithmetic():
    g = build("conv2d_same(8, 7, 2) as a\nmax_pool2d(3) as p", shape="[?, 225, 225, 3]")
    assert [n.output.shape for n in g.nodes] == [(None, 113, 113, 8), (None, 56, 56, 8)]


def test_params_and_assertions():
    g = build("conv2d(depth * 2, 3)\nassert net.shape == [?, 8, 8, 16]",
              params="(depth: int = 8)")
    assert g.params == {"depth": 8}
    assert codes("assert net.shape == [?, 4, 4, 3]") == ["assertion"]


def test_model_alias_overrides_defaults_and_names_the_scope():
    src = ("model base(classes: int = 10) {\n  input x: [?, 4]\n  fully_connected(classes)\n}\n"
           "model small = base(classes=3)\n")
    g = compile_source(src, "t.slim", model="small")
    assert g.name == "small" and g.nodes[0].scope == "small/fully_connected"
    assert g.nodes[0].output.shape == (None, 3)


def test_one_error_per_root_cause():
    # the first conv fails; the chain after it stays silent; the unrelated typo is reported
    diags = codes('conv2d(8, 9, padding="VALID")\nconv2d(8, 3)\nmax_pool2d(2)\n'
                  "fully_connected(4, activation_fn=relux)")
    assert diags == ["shape", "unknown-name"]


def test_param_uses_are_tracked_for_codegen():
    g = build("conv2d(classes, 1)\ndropout(keep)\nif squeeze { squeeze([1, 2]) }",
              shape="[?, 1, 1, 3]",
              params="(classes: int = 5, keep: float = 0.5, squeeze: bool = true)")
    assert g.param_uses == {"classes": "plain", "keep": "plain", "squeeze": "structural"}
    assert g.nodes[0].param_args == {"num_outputs": "classes"}


def test_compile_time_functions_close_over_model_parameters():
    g = build("def depth(d) = max(int(d * mult), 16)\nconv2d(depth(64), 3)\nconv2d(depth(8), 3)",
              params="(mult: float = 0.5)", prelude="def twice(x) = 2 * x")
    assert [n.output.shape[-1] for n in g.nodes] == [32, 16]
    g = build("conv2d(twice(4), 1)", prelude="def twice(x) = 2 * x")
    assert g.nodes[0].output.shape[-1] == 8
    assert codes("conv2d(f(1), 1)", prelude="def f(x) = f(x)") == ["recursion"]


def test_block_bound_to_another_name_and_bare_end_point_after_a_block_call():
    prelude = "block unit(d: int) {\n  conv2d(d, 1) as conv\n}"
    g = build("u = unit\nu(4) as first\nend_point\nrepeat(2, u, 3) as more", prelude=prelude)
    assert scopes(g) == ["m/first/conv", "m/more/more_1/conv", "m/more/more_2/conv"]
    assert list(g.end_points) == ["first"]  # the call's scope, not its last layer's


def test_known_tests_for_unknown_dimensions():
    body = "k = min(net.shape[1], 7) if known(net.shape[1]) else 7\navg_pool2d(k, stride=1)"
    assert build(body, shape="[?, 5, 5, 3]").nodes[0].args["kernel_size"] == (5, 5)
    assert build(body, shape="[?, ?, ?, 3]").nodes[0].args["kernel_size"] == (7, 7)
    assert codes("k = min(net.shape[1], 7)\navg_pool2d(k)", shape="[?, ?, ?, 3]") == \
        ["expression"]


def test_parameters_baked_into_a_normalizer_are_structural():
    body = ("arg_scope([batch_norm], decay=bn_decay) {\n"
            "  conv2d(8, 3, normalizer_fn=batch_norm)\n}")
    g = build(body, params="(bn_decay: float = 0.9)")
    assert g.nodes[0].args["normalizer_params"]["decay"] == 0.9
    assert g.param_uses == {"bn_decay": "structural"}
