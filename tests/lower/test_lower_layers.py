"""Lowering of the N-d layers, the normalizers and TF-Slim's less common layers: their scope
names, TF-Slim's argument rules (keyword-only linear, arg_scope keys), normalizers and
model_variable (no TensorFlow; the TF-Slim behaviour each test pins is checked against tf_slim
in tests/layers/test_shapes_tf_more.py and tests/backends/tensorflow/)."""

from __future__ import annotations

import pytest

from slimdsl import CompileError, check_source, compile_source


def build(body: str, shape: str = "[?, 8, 8, 3]"):
    return compile_source(f"model m {{\n  input x: {shape}\n{body}\n}}\n", "t.slim")


def errors(body: str, shape: str = "[?, 8, 8, 3]") -> list:
    result = check_source(f"model m {{\n  input x: {shape}\n{body}\n}}\n", "t.slim")
    return [d for d in result.diagnostics if d.is_error]


def scopes(graph) -> list[str]:
    return [n.scope for n in graph.nodes]


VIDEO = "[?, 4, 16, 16, 3]"


def test_nd_layers_take_tf_slims_default_names_and_repeat_names():
    g = build("conv3d(4, 3)\nconvolution(4, 1)\nconv3d_transpose(2, 3)\nmax_pool3d(2)\n"
              "avg_pool3d(1, stride=1)\nrepeat(2, conv3d, 4, 1)\nrepeat(2, instance_norm)",
              VIDEO)
    assert scopes(g) == ["m/Conv", "m/Conv_1", "m/Conv3d_transpose", "m/MaxPool3D",
                         "m/AvgPool3D", "m/Repeat/convolution3d_1", "m/Repeat/convolution3d_2",
                         "m/Repeat_1/instance_norm_1", "m/Repeat_1/instance_norm_2"]


def test_pool_scope_comes_from_pooling_type():
    g = build('pool(2, "MAX")\npool(1, "AVG")\npool(1, "MAX")')
    assert scopes(g) == ["m/max_pool", "m/avg_pool", "m/max_pool_1"]


def test_gdn_names_are_variable_scopes_like_tf_slims_layers():
    """Its Keras layer opens variable_scope(name) (uniquified only by default: gdn, gdn_1);
    tf_slim: a second gdn named g raises "Variable g/reparam_beta already exists" (found by
    the differential fuzzer, seed 101004564)."""
    g = build("gdn() as g\nconv2d(3, 1) as g\ngdn()\ngdn()")
    assert scopes(g) == ["m/g", "m/g", "m/gdn", "m/gdn_1"]
    [e] = errors("gdn() as g\ngdn() as g")
    assert "already exist" in e.message and e.span.line == 4
    [e] = errors('gdn(name="g")')
    assert e.code == "unknown-argument" and any("as NAME" in str(n) for n in e.notes)


def test_linear_is_a_keyword_only_partial_of_fully_connected():
    g = build("linear(4)\nlinear(3, normalizer_fn=layer_norm)", "[?, 10]")
    assert scopes(g) == ["m/fully_connected", "m/fully_connected_1"]
    assert g.nodes[0].args["activation_fn"] is None
    assert [v.name for v in g.variables][-2:] == ["m/fully_connected_1/LayerNorm/beta",
                                                  "m/fully_connected_1/LayerNorm/gamma"]
    [e] = errors("linear(4, relu)", "[?, 10]")
    assert e.code == "too-many-arguments" and "keyword-only" in e.message


def test_arg_scope_of_fully_connected_reaches_linear_but_not_its_activation():
    g = build("arg_scope([fully_connected], activation_fn=relu6, weights_regularizer=l2(0.1))"
              " {\n  linear(4)\n  fully_connected(3)\n}", "[?, 10]")
    linear, dense = g.nodes
    assert linear.args["activation_fn"] is None and dense.args["activation_fn"].name == "relu6"
    assert linear.args["weights_regularizer"] is not None


@pytest.mark.parametrize("kind", ["linear", "gdn", "scale_gradient"])
def test_layers_without_add_arg_scope_cannot_be_listed(kind):
    [e] = errors(f"arg_scope([{kind}], trainable=false) {{\n  relu()\n}}")
    assert e.code == "arg-scope"


def test_arg_scope_of_convolution_breaks_conv1d_conv2d_conv3d():
    """TF-Slim's conv2d calls convolution with every argument: a key set on convolution is
    given twice (TypeError), while convolution itself takes it."""
    body = 'arg_scope([convolution], padding="VALID") {{\n  {}\n}}'
    [e] = errors(body.format("conv2d(4, 3)"))
    assert e.code == "duplicate-argument" and "padding" in e.message
    assert not errors(body.format("convolution(4, 3)"))
    assert [d.code for d in errors(body.format("conv3d(4, 3)"), VIDEO)] == ["duplicate-argument"]
    assert not errors('arg_scope([conv2d], padding="VALID") {\n  conv3d(4, 3)\n}', VIDEO)


def test_normalizers_take_their_own_arg_scope_and_scope_names():
    g = build("arg_scope([instance_norm], epsilon=0.01) {\n"
              "  conv2d(8, 3, normalizer_fn=instance_norm)\n"
              "  conv2d(8, 3, normalizer_fn=group_norm, normalizer_params={groups: 4})\n}")
    assert g.nodes[0].args["normalizer_params"]["epsilon"] == 0.01
    assert [v.name for v in g.variables if "Norm" in v.name] == [
        "m/Conv/InstanceNorm/beta", "m/Conv/InstanceNorm/gamma",
        "m/Conv_1/GroupNorm/beta", "m/Conv_1/GroupNorm/gamma"]
    [e] = errors("conv2d(8, 3, normalizer_fn=instance_norm, normalizer_params={decay: 0.9})")
    assert e.code == "unknown-argument" and "instance_norm has no argument 'decay'" in e.message


def test_a_normalizer_that_does_not_fit_fails_on_the_layers_line_with_the_arithmetic():
    [e] = errors("conv2d(8, 3, normalizer_fn=group_norm)")
    assert e.code == "shape" and e.span.line == 3
    assert "32 groups but only 8 channels" in e.message


def test_model_variable_is_named_by_its_argument_in_the_enclosing_scopes():
    g = build('scope blk {\n  s = model_variable("scale", [1], initializer=constant(0.17))\n'
              "}\nadd(net, s)")
    assert [v.name for v in g.variables] == ["m/blk/scale"]
    assert g.nodes[-1].output.shape == (None, 8, 8, 3)
    assert [d.code for d in errors('model_variable("w", [3]) as w')] == ["scope-name"]
    assert "needs a shape" in errors('model_variable("w")')[0].message
    [e] = errors('a = model_variable("w", [3])\nb = model_variable("w", [3])')
    assert "already exist" in e.message and e.span.line == 4
    # a variable's shape is fully known, not a reshape's -1 or ? (tf_slim fails on both); its
    # dtype is a float one (slimdsl's choice: tf_slim would zero-fill an int32 variable)
    for bad in ('[-1]', '[?]', '[3], dtype="int32"'):
        [e] = errors(f'v = model_variable("w", {bad})')
        assert e.code == "bad-value", bad


@pytest.mark.parametrize("args, text", [
    ("renorm=true", "batch renormalization"),
    ("zero_debias_moving_mean=true", "zero-debiased"),
    ('data_format="NCHW"', "channels-first"),
    ("batch_weights=[1, 2]", "not supported"),
])
def test_batch_norm_values_slimdsl_does_not_implement_are_errors(args, text):
    [e] = errors(f"batch_norm({args})")
    assert e.code == "bad-value" and text in e.message


def test_batch_norm_accepts_tf_slims_other_arguments():
    g = build('batch_norm(fused=true, updates_collections=none, renorm=false, renorm_decay=0.5,'
              ' renorm_clipping={rmax: 3.0}, data_format="NHWC")\n'
              "conv2d(4, 1, normalizer_fn=batch_norm, normalizer_params={fused: false})")
    assert g.nodes[0].args["fused"] is True and g.nodes[0].args["updates_collections"] is None
    assert g.nodes[1].args["normalizer_params"]["fused"] is False


def test_errors_on_videos_show_the_chain_of_shapes():
    [e] = errors('conv3d(4, 3, stride=2) as c1\nconv3d(4, [3, 5, 5], padding="VALID") as c2',
                 "[?, 4, 8, 8, 3]")
    assert "VALID 3x5x5 on 2x4x4: floor((2-3)/1)+1 = 0 by floor((4-5)/1)+1 = 0" in e.message
    assert any("4x8x8 (x) -> 2x4x4 (c1, line 3)" in str(n) for n in e.notes), e.notes


def test_scale_gradient_and_sequences_keep_the_right_shapes():
    g = build("scale_gradient(0.5)\nimages_to_sequence()\nsequence_to_images(4)",
              "[2, 4, 5, 3]")
    assert [n.output.shape for n in g.nodes] == [(2, 4, 5, 3), (5, 8, 3), (2, 4, 5, 3)]
    assert scopes(g) == ["m/IdentityN", "m/ImagesToSequence", "m/SequenceToImages"]


def test_wrong_rank_for_a_3d_layer_is_a_rank_error():
    with pytest.raises(CompileError) as exc:
        build("max_pool3d(2)")
    assert [d.code for d in exc.value.diagnostics] == ["rank"]


def test_normalizer_params_from_an_arg_scope_fail_on_the_call():
    """Found by the differential fuzzer: the call (another normalizer_fn) is where TF-Slim
    fails, not the arg_scope that set the params."""
    [e] = errors("arg_scope([conv2d], normalizer_fn=group_norm, normalizer_params={groups: 2})"
                 " {\n  conv2d(4, 3)\n  conv2d(4, 3, normalizer_fn=batch_norm)\n}")
    assert e.span.line == 5 and "batch_norm has no argument 'groups'" in e.message
    assert [n.span.line for n in e.notes if n.span is not None] == [3]
