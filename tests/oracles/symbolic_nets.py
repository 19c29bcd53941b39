"""Random one-axis networks for property tests, evaluated two ways.

``symbolic(net)`` builds the output expression and the constraints with :mod:`slimdsl.symbolic.tf`;
``reference(net, h)`` runs the same network on one concrete size with plain integer arithmetic
written independently from TensorFlow's documentation (and, where slimdsl is importable, checked
against slimdsl's ``shapes.py`` in ``test_tf_props``).

A network is a list of instructions over a growing list of nodes (node 0 is the input ``H``):
``("op", src, op)`` applies a layer to node ``src``; ``("merge", a, b)`` is a concat or add of two
branches (their sizes must be equal; the result has that size).
"""

from __future__ import annotations

from hypothesis import strategies as st

from slimdsl.symbolic import sym, tf

H = sym("H")


class Invalid(Exception):
    """TensorFlow would refuse to build the network at this size."""


kernels = st.integers(1, 7)
strides = st.integers(1, 4)
rates = st.integers(1, 3)
paddings = st.sampled_from(["SAME", "VALID"])

layer = st.one_of(
    st.tuples(st.just("conv"), kernels, strides, rates, paddings),
    st.tuples(st.just("pool"), kernels, strides, st.just(1), paddings),
    st.tuples(st.just("same2"), kernels, strides, rates, st.just("SAME")),
    st.tuples(st.just("tconv"), kernels, strides, st.just(1), paddings),
    st.tuples(st.just("pad"), st.integers(0, 3), st.integers(0, 3), st.just(1), st.just("")),
)


def k_eff(k: int, rate: int) -> int:
    return k + (k - 1) * (rate - 1)


def ref_layer(op: tuple, h: int) -> int:
    """One layer on a concrete size (independent of symdim)."""
    kind, a, b, rate, padding = op
    if kind in ("conv", "pool"):
        if padding == "SAME":
            return (h + b - 1) // b
        out = (h - k_eff(a, rate)) // b + 1
        if out <= 0:
            raise Invalid
        return out
    if kind == "same2":  # resnet conv2d_same: SAME when stride 1, else pad k_eff-1 then VALID
        if b == 1:
            return h
        return (h + k_eff(a, rate) - 1 - k_eff(a, rate)) // b + 1
    if kind == "tconv":
        return h * b if padding == "SAME" else h * b + max(a - b, 0)
    if kind == "pad":
        return h + a + b
    raise AssertionError(kind)


def sym_layer(op: tuple, x, origin=None):
    """One layer with symdim: (output, constraints)."""
    kind, a, b, rate, padding = op
    if kind in ("conv", "pool"):
        return (tf.conv_output_dim(x, a, b, padding, rate),
                tf.conv_requires(x, a, b, padding, rate, origin))
    if kind == "same2":
        return tf.conv2d_same_output_dim(x, a, b, rate), ()
    if kind == "tconv":
        return tf.transpose_output_dim(x, a, b, padding), ()
    if kind == "pad":
        return tf.pad_dim(x, a, b), ()
    raise AssertionError(kind)


@st.composite
def chains(draw, max_len: int = 8):
    """A plain chain of layers."""
    return draw(st.lists(layer, min_size=1, max_size=max_len))


@st.composite
def dags(draw, max_nodes: int = 10):
    """Branches off earlier nodes and merges (concat/add) of two of them."""
    n = draw(st.integers(1, max_nodes))
    net: list = []
    nodes = 1
    for _ in range(n):
        if nodes >= 2 and draw(st.integers(0, 3)) == 0:
            a = draw(st.integers(0, nodes - 1))
            b = draw(st.integers(0, nodes - 1).filter(lambda v: v != a))  # noqa: B023
            net.append(("merge", a, b))
        else:
            src = draw(st.one_of(st.just(nodes - 1), st.integers(0, nodes - 1)))
            net.append(("op", src, draw(layer)))
        nodes += 1
    return net


@st.composite
def unets(draw):
    """Encoder (stride-s downsampling with optional VALID convs), decoder (transposed convs of
    the same stride), skip concatenations: the shape of segmentation networks."""
    depth = draw(st.integers(1, 4))
    net: list = []
    nodes = 1
    skips = []
    conv1 = st.tuples(st.just("conv"), st.integers(1, 5), st.just(1), st.integers(1, 2), paddings)
    for _ in range(depth):
        for op in draw(st.lists(conv1, max_size=2)):
            net.append(("op", nodes - 1, op))
            nodes += 1
        skips.append(nodes - 1)
        s = draw(st.integers(2, 3))
        down = draw(st.one_of(
            st.tuples(st.just("conv"), st.integers(1, 4), st.just(s), st.just(1), paddings),
            st.tuples(st.just("pool"), st.integers(s, s + 1), st.just(s), st.just(1), paddings),
            st.tuples(st.just("same2"), st.integers(1, 4), st.just(s), st.just(1),
                      st.just("SAME"))))
        net.append(("op", nodes - 1, down))
        nodes += 1
        skips[-1] = (skips[-1], s)
    for op in draw(st.lists(conv1, max_size=2)):
        net.append(("op", nodes - 1, op))
        nodes += 1
    for skip, s in reversed(skips):
        up = draw(st.tuples(st.just("tconv"), st.integers(1, 2 * s), st.just(s), st.just(1),
                            paddings))
        net.append(("op", nodes - 1, up))
        nodes += 1
        if draw(st.booleans()):  # crop the skip like the original U-Net (a constant crop)
            c = draw(st.integers(0, 2))
            net.append(("op", skip, ("pad", -c, -c, 1, "")))
            nodes += 1
            skip = nodes - 1
        net.append(("merge", nodes - 1, skip))
        nodes += 1
        for op in draw(st.lists(conv1, max_size=2)):
            net.append(("op", nodes - 1, op))
            nodes += 1
    return net


def symbolic(net: list):
    """(output expression, constraints) of a network on the symbolic size H."""
    vals = [H]
    cons: list = []
    for i, ins in enumerate(net):
        if ins[0] == "merge":
            _, a, b = ins
            cons.extend(tf.equal_requires([vals[a], vals[b]], origin=("merge", i)))
            vals.append(tf.merge_dims([vals[a], vals[b]]))
        else:
            _, src, op = ins
            out, cs = sym_layer(op, vals[src], origin=("layer", i))
            if op[0] == "pad" and op[1] < 0:  # a crop must leave >= 0 elements
                cs = tuple(cs) + tf.crop_requires(vals[src], -op[1], -op[2], ("layer", i))
            cons.extend(cs)
            vals.append(out)
    return vals[-1], cons


def reference(net: list, h: int) -> int:
    """The output size at input size h, or Invalid."""
    vals = [h]
    for ins in net:
        if ins[0] == "merge":
            _, a, b = ins
            if vals[a] != vals[b]:
                raise Invalid
            vals.append(vals[a])
        else:
            _, src, op = ins
            out = ref_layer(op, vals[src])
            if op[0] == "pad" and out < 0:
                raise Invalid
            vals.append(out)
    return vals[-1]


def valid_sizes(net: list, up_to: int) -> list[int]:
    out = []
    for h in range(1, up_to + 1):
        try:
            reference(net, h)
        except Invalid:
            continue
        out.append(h)
    return out
