"""Arguments the differential fuzzer draws for the N-d convolutions and pools, the normalizers
besides batch_norm and TF-Slim's less common layers (see ``fuzz_nets``)."""

from __future__ import annotations

from typing import Any


def more_layer_args(gen: Any, kind: str, in_block: bool) -> tuple[tuple, tuple]:
    """The (positional, keyword) arguments of a layer of ``kind`` drawn by ``gen`` (a
    ``fuzz_nets._Gen``): the N-d layers, the normalizers and TF-Slim's less common ones."""
    c = gen.c
    window = ("stride", "padding", "rate", "activation_fn", "normalizer_fn")
    if kind in ("conv1d", "convolution"):
        return (gen.outs(in_block), c.int(1, 4)), gen.kw(window)
    if kind == "conv3d":
        return (gen.outs(in_block), _kernel3(c)), _triples(gen.kw(window), c)
    if kind == "conv3d_transpose":
        return (gen.outs(in_block), _kernel3(c)), _triples(
            gen.kw(("stride", "padding", "activation_fn", "normalizer_fn")), c)
    if kind in ("max_pool3d", "avg_pool3d"):
        return (_kernel3(c),), _triples(gen.kw(("stride", "padding")), c)
    if kind == "pool":
        kw = gen.kw(("padding",)) + (("stride", c.int(1, 2)),) * c.int(0, 1) \
            + (("dilation_rate", c.int(1, 2)),) * c.int(0, 1)
        return (c.int(1, 3), c.pick(("MAX", "AVG"))), kw
    if kind == "instance_norm":
        return (), gen.kw(("center", "scale"))
    if kind == "layer_norm":
        return (), (("begin_norm_axis", c.pick((1, -1, 2))),) * c.int(0, 1) \
            + (("begin_params_axis", c.pick((-1, 1))),) * c.int(0, 1)
    if kind == "group_norm":
        return (), (("groups", c.pick((1, 2, 3, 4))),)
    if kind == "linear":
        return (gen.outs(in_block),), gen.kw(("normalizer_fn", "biases_initializer"))
    if kind == "maxout":
        return (c.int(1, 3),), (("axis", c.pick((-1, 1))),) * (c.int(0, 4) == 0)
    if kind == "scale_gradient":
        return (0.5,), ()
    if kind == "gdn":
        return (), (("inverse", True),) * c.int(0, 1)
    if kind == "spatial_softmax":
        return (), (("temperature", 2.0),) * c.int(0, 1)
    if kind == "sequence_to_images":
        return (c.int(1, 3),), ()
    return (), ()


def _kernel3(c: Any) -> Any:
    return c.int(1, 3) if c.int(0, 2) else [c.int(1, 3), c.int(1, 3), c.int(1, 3)]


def _triples(kw: tuple, c: Any) -> tuple:
    """Stride and rate as 3-D windows take them: an int, or now and then a list of three."""
    out = []
    for k, v in kw:
        if k in ("stride", "rate"):
            if isinstance(v, list):  # a 2-D window's list: give it a third value
                v = [v[0], v[1], c.int(1, 2)]
            elif c.int(0, 2) == 0:
                v = [1, v, v]
        out.append((k, v))
    return tuple(out)
