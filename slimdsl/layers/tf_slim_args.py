"""TF-Slim arguments that slimc knows of but does not model.

A layer's schema (``LayerKind.args``) holds the arguments slimc supports. TF-Slim's functions
take a few more (``reuse``, ``variables_collections``). Setting one of them is not a typo that
TF-Slim would refuse with a ``TypeError``: TF-Slim accepts it, slimc cannot honour it. The
diagnostics say so (:func:`unsupported_note`) instead of claiming TF-Slim would fail.
``tests/layers/test_tf_slim_args.py`` checks these lists against the real tf_slim signatures.
"""

from __future__ import annotations

_GRAPH_ONLY = ("reuse", "variables_collections")

#: Layer kind -> TF-Slim's arguments of that function that slimc does not support.
UNSUPPORTED: dict[str, tuple[str, ...]] = {
    "conv2d": _GRAPH_ONLY,
    "separable_conv2d": _GRAPH_ONLY,
    "conv2d_transpose": _GRAPH_ONLY,
    "conv2d_in_plane": _GRAPH_ONLY,
    "fully_connected": _GRAPH_ONLY,
    "bias_add": _GRAPH_ONLY,
    "conv1d": _GRAPH_ONLY,
    "conv3d": _GRAPH_ONLY,
    "convolution": _GRAPH_ONLY,
    "conv3d_transpose": _GRAPH_ONLY,
    "linear": _GRAPH_ONLY,
    "instance_norm": _GRAPH_ONLY,
    "layer_norm": _GRAPH_ONLY,
    "group_norm": _GRAPH_ONLY,
    "spatial_softmax": ("variables_collections",),
    "gdn": ("reuse",),
    "model_variable": ("aggregation", "caching_device", "custom_getter", "device", "partitioner",
                       "synchronization", "use_resource"),
    "batch_norm": _GRAPH_ONLY,
}


def unsupported_note(kind: str, name: str) -> str | None:
    """Why ``name`` is refused for ``kind`` when TF-Slim accepts it (None when it does not)."""
    if name not in UNSUPPORTED.get(kind, ()):
        return None
    return (f"'{name}' is an argument of TF-Slim's {kind}, but slimc does not support it "
            f"(TF-Slim accepts it; remove it here)")
