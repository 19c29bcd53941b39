"""The bundled classic models (vgg_16, alexnet_v2, lenet) against tf_slim, through ``slimc``.

``slimc summary FILE --format json`` must list exactly the variables (names, shapes, trainable
flags), end points (keys and shapes, batch aside) and logits shape that tf_slim creates for the
same network under its arg_scope: ``tf_slim.nets.vgg.vgg_16`` / ``vgg_arg_scope()``,
``tf_slim.nets.alexnet.alexnet_v2`` / ``alexnet_v2_arg_scope()``, and TF-Slim's LeNet
(tensorflow/models research/slim/nets/lenet.py; tf_slim 1.1.0 does not ship it, so it is
written out with tf_slim layers in ``tests/oracles/nets.py``). The variables' initializers (as
TF creates them) and the weight regularizers (from the TF graph) must match too.

The quick test checks the summary's totals against the published figures without TensorFlow.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from oracles.fingerprints import (
    our_initializer,
    our_regularizers,
    recording_initializers,
    tf_regularizers,
)
from oracles.nets import lenet, lenet_arg_scope

from slimdsl import cli
from slimdsl.api import compile_file

MODELS = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class Known:
    """A bundled model and the figures tf_slim gives for it (slim_semantics.md, section 5)."""

    file: str
    trainable_params: int
    variables: int
    end_points: int
    logits: tuple[int | None, ...]
    image: tuple[int, int, int]


KNOWN = {
    "vgg_16": Known("vgg_16.slim", 138_357_544, 32, 21, (None, 1000), (224, 224, 3)),
    "alexnet_v2": Known("alexnet_v2.slim", 50_303_912, 16, 11, (None, 1000), (224, 224, 3)),
    # 832 + 51,264 + 3,212,288 (fc3: 7*7*64 -> 1024) + 10,250
    "LeNet": Known("lenet.slim", 3_274_634, 8, 9, (None, 10), (28, 28, 1)),
}
BATCH = 5


def summary_json(name: str) -> dict[str, Any]:
    """The one model of ``slimc summary models/<file> --format json``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["summary", str(MODELS / KNOWN[name].file), "--format", "json"])
    assert code == 0, out.getvalue()
    (model,) = json.loads(out.getvalue())["models"]
    assert model["name"] == name
    return model


def _size(shape: list[int]) -> int:
    return math.prod(shape)


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_summary_totals_are_the_published_figures(name: str) -> None:
    known, model = KNOWN[name], summary_json(name)
    assert model["trainable_params"] == model["total_params"] == known.trainable_params
    assert len(model["variables"]) == known.variables
    assert all(v["trainable"] for v in model["variables"])
    assert sum(_size(v["shape"]) for v in model["variables"]) == known.trainable_params
    assert len(model["end_points"]) == known.end_points
    assert [tuple(o["shape"]) for o in model["outputs"]] == [known.logits]
    assert model["inputs"][0]["shape"] == [None, *known.image]


# ---------------------------------------------------------------------------- the TF side


@dataclass
class TfNet:
    """What tf_slim built: variables, end points, logits, initializers and regularizers."""

    variables: dict[str, tuple[tuple[int, ...], bool]]
    end_points: dict[str, tuple[int | None, ...]]
    logits: tuple[int | None, ...]
    initializers: dict[str, tuple]
    regularizers: dict[str, tuple[str, float]]


_BUILT: dict[str, TfNet] = {}


def build_tf(name: str, tf: Any, slim: Any) -> TfNet:
    """Build the network once per session with real tf_slim, at batch BATCH."""
    if name in _BUILT:
        return _BUILT[name]
    from tf_slim.nets import alexnet, vgg
    graph = tf.Graph()
    with graph.as_default(), recording_initializers() as initializers:
        images = tf.compat.v1.placeholder(tf.float32, [BATCH, *KNOWN[name].image])
        if name == "vgg_16":
            with slim.arg_scope(vgg.vgg_arg_scope()):
                logits, end_points = vgg.vgg_16(images)
        elif name == "alexnet_v2":
            with slim.arg_scope(alexnet.alexnet_v2_arg_scope()):
                logits, end_points = alexnet.alexnet_v2(images)
        else:
            with slim.arg_scope(lenet_arg_scope(tf, slim)):
                logits, end_points = lenet(images, tf, slim)
        trainable = {v.op.name for v in tf.compat.v1.trainable_variables()}
        variables = {v.op.name: (tuple(v.shape.as_list()), v.op.name in trainable)
                     for v in tf.compat.v1.global_variables()}
        net = TfNet(variables,
                    {k: tuple(t.shape.as_list()) for k, t in end_points.items()},
                    tuple(logits.shape.as_list()), initializers, tf_regularizers(tf))
    _BUILT[name] = net
    return net


# ---------------------------------------------------------------------------- comparisons


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KNOWN))
def test_variables_equal_tf_slim(name: str, tf, slim) -> None:
    theirs = build_tf(name, tf, slim)
    ours = {v["name"]: (tuple(v["shape"]), v["trainable"]) for v in summary_json(name)["variables"]}
    assert ours == theirs.variables
    assert sum(math.prod(s) for s, t in theirs.variables.values() if t) == \
        KNOWN[name].trainable_params


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KNOWN))
def test_end_points_and_logits_equal_tf_slim(name: str, tf, slim) -> None:
    theirs = build_tf(name, tf, slim)
    model = summary_json(name)
    ours = {e["name"]: tuple(e["shape"]) for e in model["end_points"]}
    assert sorted(ours) == sorted(theirs.end_points)
    for key, shape in ours.items():  # ours has batch ?, TF's was built at batch BATCH
        assert shape[0] is None and theirs.end_points[key][0] == BATCH, key
        assert shape[1:] == theirs.end_points[key][1:], key
    (logits,) = [tuple(o["shape"]) for o in model["outputs"]]
    assert logits[1:] == theirs.logits[1:] and theirs.logits[0] == BATCH


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KNOWN))
def test_initializers_and_regularizers_equal_tf_slim(name: str, tf, slim) -> None:
    theirs = build_tf(name, tf, slim)
    graph = compile_file(str(MODELS / KNOWN[name].file))
    assert {v.name: our_initializer(v.initializer) for v in graph.variables} == \
        theirs.initializers
    assert our_regularizers(graph.variables) == theirs.regularizers
