"""Issue 14's acceptance, end to end: random fully convolutional networks (strides, paddings,
dilations, transposed convolutions, ResNet's conv2d_same, skip concatenations) are written as
.slim models on ``input x: [1, H, 1, 1]`` and checked ONCE by slimc with the size symbolic; then
real TensorFlow builds every size 1..N. For every size: TensorFlow builds it iff slimc's valid
sizes contain it, and the output height is slimc's formula at that size; at sampled sizes the
concrete check (``--input x=[1,h,1,1]``) agrees too.

The CI run (slow) takes ``SLIMDSL_SYMTF_NETS`` networks (default 40 U-Nets and 40 branchy
networks) and sizes 1..``SLIMDSL_SYMTF_SIZES`` (default 64); the acceptance run (fullfuzz, left
out of the default run) takes 1,000 + 1,000 networks and sizes 1..256, with TensorFlow's answer
composed from its per-layer static shape inference (each distinct layer and size asked once;
``oracles/symbolic_tf.tf_output_by_layer``) rather than a graph per network and size:

    pytest -m fullfuzz tests/test_symbolic_tf.py

Last full run (2026-11-27, 2 shared cores at load 10-18): 1,000 U-Nets and 1,000 branchy
networks passing (873 and 1,067 generated ones filtered out: crops, strided atrous), 0 failing,
20 min 48 s wall.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from oracles.symbolic_nets import dags, unets

from slimdsl.api import check_source
from slimdsl.symbolic import evaluate

pytest.importorskip("tensorflow")
from oracles.symbolic_tf import tf_output, tf_output_by_layer  # noqa: E402

NETS = int(os.environ.get("SLIMDSL_SYMTF_NETS", "40"))
SIZES = int(os.environ.get("SLIMDSL_SYMTF_SIZES", "64"))
FULL_NETS, FULL_SIZES = 1000, 256


def slim_text(net: list) -> str:
    """The network as a .slim model along the height (width and channels 1)."""
    lines = ["model n {", "  input x: [1, H, 1, 1]", "  t0 = x"]
    for i, ins in enumerate(net, 1):
        if ins[0] == "merge":
            value = f"concat([t{ins[1]}, t{ins[2]}], axis=3)"
        else:
            kind, a, b, rate, padding = ins[2]
            x = f"t{ins[1]}"
            window = f"[{a}, 1], stride=[{b}, 1]"
            if kind == "conv":
                value = f'conv2d({x}, 1, {window}, padding="{padding}", rate=[{rate}, 1])'
            elif kind == "pool":
                value = f'max_pool2d({x}, {window}, padding="{padding}")'
            elif kind == "same2":
                # square (resnet_utils needs ints): the width, 1, stays 1
                value = f"conv2d_same({x}, 1, {a}, {b}, rate={rate})"
            elif kind == "tconv":
                value = f'conv2d_transpose({x}, 1, {window}, padding="{padding}")'
            else:  # pad (crops are filtered out: the language has none)
                value = f"pad({x}, [[0, 0], [{a}, {b}], [0, 0], [0, 0]])"
        lines.append(f"  t{i} = {value}")
    return "\n".join(lines + [f"  output y = t{len(net)}", "}", ""])


def _usable(net: list) -> bool:
    for ins in net:
        if ins[0] != "op":
            continue
        kind, a, b, rate, _ = ins[2]
        if kind == "pad" and a < 0:
            return False  # a crop: no such layer
        if kind in ("conv", "same2") and rate > 1 and b > 1:
            return False  # slim refuses strided atrous convolutions before any shape question
    return True


def differential(net: list, sizes: int, oracle=tf_output) -> None:
    assume(_usable(net))
    text = slim_text(net)
    result = check_source(text, "n.slim")
    errors = [d for d in result.diagnostics if d.is_error]
    assert all(d.code == "no-valid-size" for d in errors), (text, errors)
    graph = result.graphs[0]
    out = graph.outputs[0].tensor.shape[1] if not errors else None

    def valid(h: int) -> bool:
        return not errors and (graph.sizes is None or all(
            s.contains({"H": h}) if s.symbols else not s.empty for s in graph.sizes.solutions))

    for h in range(1, sizes + 1):
        got = oracle(net, h)
        if oracle is tf_output:  # the composed oracle of the full-size run agrees with graphs
            assert tf_output_by_layer(net, h) == got, (text, h)
        assert (got is not None) == valid(h), (text, h)
        if got is not None:
            assert got == (out if isinstance(out, int) else evaluate(out, {"H": h})), (text, h)
        if h % 16 == 1 or (got is not None and h == min(graph.sizes.smallest().values(),
                                                         default=h)):
            concrete = check_source(text, "n.slim", inputs={"x": (1, h, 1, 1)})
            assert concrete.ok == (got is not None), (text, h, concrete.diagnostics)


FAST = settings(max_examples=NETS, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
FULL = settings(max_examples=FULL_NETS, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@FAST
@given(unets())
def test_unets_agree_with_tensorflow(net):
    differential(net, SIZES)


@pytest.mark.slow
@FAST
@given(dags(max_nodes=8))
def test_branchy_networks_agree_with_tensorflow(net):
    differential(net, SIZES)


@pytest.mark.slow
@pytest.mark.fullfuzz
@FULL
@given(unets())
def test_unets_agree_with_tensorflow_full(net):
    differential(net, FULL_SIZES, tf_output_by_layer)


@pytest.mark.slow
@pytest.mark.fullfuzz
@FULL
@given(dags(max_nodes=8))
def test_branchy_networks_agree_with_tensorflow_full(net):
    differential(net, FULL_SIZES, tf_output_by_layer)
