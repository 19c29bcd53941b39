"""The bundled classic models (vgg_16, alexnet_v2, lenet) against tf_slim, through ``slimc``.

``slimc summary FILE --format json`` must list exactly the variables (names, shapes, trainable
flags), end points (keys and shapes, batch aside) and logits shape that tf_slim creates for the
same network under its arg_scope: ``tf_slim.nets.vgg.vgg_16`` / ``vgg_arg_scope()``,
``tf_slim.nets.alexnet.alexnet_v2`` / ``alexnet_v2_arg_scope()``, and TF-Slim's LeNet
(tensorflow/models research/slim/nets/lenet.py; tf_slim 1.1.0 does not ship it, so it is
written out below with tf_slim layers). The variables' initializers and the weight
regularizers must match too, read back from the TF graph.

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


def _lenet(images: Any, tf: Any, slim: Any, num_classes: int = 10, is_training: bool = False,
           dropout_keep_prob: float = 0.5) -> tuple[Any, dict[str, Any]]:
    """TF-Slim's LeNet (research/slim/nets/lenet.py), layer for layer."""
    end_points = {}
    with tf.compat.v1.variable_scope("LeNet", "LeNet", [images]):
        net = end_points["conv1"] = slim.conv2d(images, 32, [5, 5], scope="conv1")
        net = end_points["pool1"] = slim.max_pool2d(net, [2, 2], 2, scope="pool1")
        net = end_points["conv2"] = slim.conv2d(net, 64, [5, 5], scope="conv2")
        net = end_points["pool2"] = slim.max_pool2d(net, [2, 2], 2, scope="pool2")
        net = slim.flatten(net)
        end_points["Flatten"] = net
        net = end_points["fc3"] = slim.fully_connected(net, 1024, scope="fc3")
        net = end_points["dropout3"] = slim.dropout(
            net, dropout_keep_prob, is_training=is_training, scope="dropout3")
        logits = end_points["Logits"] = slim.fully_connected(
            net, num_classes, activation_fn=None, scope="fc4")
    end_points["Predictions"] = slim.softmax(logits, scope="Predictions")
    return logits, end_points


def _lenet_arg_scope(tf: Any, slim: Any, weight_decay: float = 0.0) -> Any:
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.1),
                        activation_fn=tf.nn.relu) as sc:
        return sc


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
    with graph.as_default():
        images = tf.compat.v1.placeholder(tf.float32, [BATCH, *KNOWN[name].image])
        if name == "vgg_16":
            with slim.arg_scope(vgg.vgg_arg_scope()):
                logits, end_points = vgg.vgg_16(images)
        elif name == "alexnet_v2":
            with slim.arg_scope(alexnet.alexnet_v2_arg_scope()):
                logits, end_points = alexnet.alexnet_v2(images)
        else:
            with slim.arg_scope(_lenet_arg_scope(tf, slim)):
                logits, end_points = _lenet(images, tf, slim)
        trainable = {v.op.name for v in tf.compat.v1.trainable_variables()}
        variables = {v.op.name: (tuple(v.shape.as_list()), v.op.name in trainable)
                     for v in tf.compat.v1.global_variables()}
        ops = graph.get_operations()
        net = TfNet(variables,
                    {k: tuple(t.shape.as_list()) for k, t in end_points.items()},
                    tuple(logits.shape.as_list()),
                    {v: _tf_initializer(tf, ops, v) for v in variables},
                    _tf_regularizers(tf, graph))
    _BUILT[name] = net
    return net


def _tf_initializer(tf: Any, ops: list, variable: str) -> tuple:
    """(kind, parameters...) of a variable's initializer, read from its Initializer ops."""
    prefix = variable + "/Initializer/"
    found = {op.name[len(prefix):]: op for op in ops if op.name.startswith(prefix)}

    def const(key: str) -> Any:
        return tf.make_ndarray(found[key].get_attr("value"))

    if "truncated_normal" in found:
        return ("truncated_normal", float(const("truncated_normal/mean")),
                float(const("truncated_normal/stddev")))
    if "random_uniform" in found:
        return ("uniform", float(const("random_uniform/min")),
                float(const("random_uniform/max")))
    if "zeros" in found:
        return ("constant", 0.0)
    if "ones" in found:
        return ("constant", 1.0)
    if "Const" in found:
        values = const("Const")
        assert (values == values.flat[0]).all(), f"{variable}: not a constant initializer"
        return ("constant", float(values.flat[0]))
    raise AssertionError(f"unrecognised initializer of {variable}: {sorted(found)}")


def _tf_regularizers(tf: Any, graph: Any) -> dict[str, tuple[str, float]]:
    """{layer scope: ("l2", scale)} from the REGULARIZATION_LOSSES collection."""
    out = {}
    for loss in tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES):
        op = loss.op.name  # e.g. vgg_16/fc6/kernel/Regularizer/l2_regularizer
        assert op.endswith("/Regularizer/l2_regularizer"), op
        scale = graph.get_operation_by_name(op + "/scale").get_attr("value")
        layer = op.rsplit("/", 3)[0]
        out[layer] = ("l2", float(tf.make_ndarray(scale)))
    return out


def _our_initializer(variable: Any) -> tuple:
    """The same fingerprint for one of slimdsl's variables."""
    init, params = variable.initializer, dict(variable.initializer.params)
    if init.name in ("xavier", "glorot") and params["uniform"]:
        # variance_scaling(1, FAN_AVG, uniform): limit sqrt(6 / (fan_in + fan_out))
        *kernel, fan_in, fan_out = variable.shape
        receptive = math.prod(kernel)
        limit = math.sqrt(6.0 / (receptive * (fan_in + fan_out)))
        return ("uniform", -limit, limit)
    if init.name == "truncated_normal":
        return ("truncated_normal", float(params["mean"]), float(params["stddev"]))
    if init.name in ("zeros", "ones", "constant"):
        return ("constant", float(params.get("value", 1.0 if init.name == "ones" else 0.0)))
    raise AssertionError(f"{variable.name}: no fingerprint for initializer {init!r}")


def _our_regularizers(graph: Any) -> dict[str, tuple[str, float]]:
    """{layer scope: ("l2", scale)}; tf_slim's l2_regularizer(0.0) adds no loss at all."""
    out = {}
    for v in graph.variables:
        reg = v.regularizer
        if reg is not None and dict(reg.params).get("scale", 0.0) != 0.0:
            assert reg.name == "l2", f"{v.name}: only l2 is compared here"
            out[v.name.rsplit("/", 1)[0]] = ("l2", float(reg.param("scale")))
    return out


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
    ours = {v.name: _our_initializer(v) for v in graph.variables}
    assert sorted(ours) == sorted(theirs.initializers)
    for var, fingerprint in ours.items():
        expected = theirs.initializers[var]
        assert fingerprint[0] == expected[0], var
        assert fingerprint[1:] == pytest.approx(expected[1:], rel=1e-6), var  # TF's are float32
    regularizers = _our_regularizers(graph)
    assert sorted(regularizers) == sorted(theirs.regularizers)
    for layer, (kind, scale) in regularizers.items():
        assert (kind, pytest.approx(scale, rel=1e-6)) == theirs.regularizers[layer], layer
