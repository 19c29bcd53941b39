"""Generated models as a user meets them: checkpoints, constructor parameters, training.

The slow tests restore checkpoints written by tf_slim (``tf.compat.v1.train.Saver``) into the
generated classes of models/*.slim and compare logits with tf_slim's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from oracles.backend import build_generated
from oracles.nets import lenet, lenet_arg_scope

ROOT = Path(__file__).resolve().parents[3]
MODELS = ROOT / "models"

SMALL = """
model small(num_classes: int = 3, keep: float = 1.0, depth: int = 4) {
  input images: [?, 8, 8, 3]
  arg_scope([conv2d, fully_connected], weights_regularizer=l2(0.001)) {
    conv2d(depth, 3, normalizer_fn=batch_norm, normalizer_params={scale: true}) as conv1
    max_pool2d(2) as pool1
    flatten()
    dropout(keep) as drop
    fully_connected(num_classes, activation_fn=none) as logits
  }
}
"""


def _small(tf, **params):
    _, _, cls, _ = build_generated(SMALL, "small.slim")
    return cls(**params)


def _slim_small(tf, slim, images, depth=4, extra=False, num_classes=3):
    with tf.compat.v1.variable_scope("small"):
        with slim.arg_scope([slim.conv2d, slim.fully_connected],
                            weights_regularizer=slim.l2_regularizer(0.001)):
            net = slim.conv2d(images, depth, 3, normalizer_fn=slim.batch_norm,
                              normalizer_params={"scale": True, "is_training": False},
                              scope="conv1")
            net = slim.flatten(slim.max_pool2d(net, 2, scope="pool1"))
            if extra:
                net = slim.fully_connected(net, 5, scope="extra")
            return slim.fully_connected(net, num_classes, activation_fn=None, scope="logits")


def _write_slim_checkpoint(tf, slim, path: Path, images_np, momentum=False, **kwargs):
    v1 = tf.compat.v1
    with tf.Graph().as_default() as g:
        images = v1.placeholder(tf.float32, [None, 8, 8, 3])
        logits = _slim_small(tf, slim, images, **kwargs)
        if momentum:  # a training checkpoint: optimizer slots and a global step
            step = v1.train.get_or_create_global_step()
            v1.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(logits), step)
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            for v in v1.global_variables():  # random moving statistics too
                if "moving" in v.op.name:
                    v.load(np.random.uniform(0.5, 1.5, v.shape).astype(np.float32), sess)
            prefix = v1.train.Saver().save(sess, str(path / "model.ckpt"))
            return prefix, sess.run(logits, {images: images_np})


def test_tf_slim_checkpoint_restores_by_name(tf, slim, tmp_path):
    x = np.random.RandomState(0).uniform(size=(2, 8, 8, 3)).astype(np.float32)
    prefix, want = _write_slim_checkpoint(tf, slim, tmp_path, x, momentum=True)
    model = _small(tf)
    report = model.load_slim_checkpoint(prefix)
    assert report["missing"] == report["unexpected"] == report["mismatched"] == []
    assert len(report["loaded"]) == 7
    got, _ = model(tf.constant(x))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    # a directory works too (its latest checkpoint)
    assert _small(tf).load_slim_checkpoint(str(tmp_path))["loaded"] == report["loaded"]


@pytest.mark.slow
def test_strict_checkpoint_loading_reports_every_problem(tf, slim, tmp_path):
    x = np.zeros((1, 8, 8, 3), np.float32)
    prefix, _ = _write_slim_checkpoint(tf, slim, tmp_path, x, depth=6, extra=True)
    model = _small(tf)
    before = {v.name: v.numpy() for v in model.variables}
    with pytest.raises(ValueError) as info:
        model.load_slim_checkpoint(prefix)
    message = str(info.value)
    assert "shape or dtype mismatch (6):" in message  # conv1 and its BatchNorm, logits
    assert "small/conv1/weights: checkpoint [3, 3, 3, 6] float32, model [3, 3, 3, 4]" in message
    assert "not in the model (2):\n    small/extra/biases\n    small/extra/weights" in message
    assert "strict=False" in message
    assert all(np.array_equal(v.numpy(), before[v.name]) for v in model.variables)
    report = model.load_slim_checkpoint(prefix, strict=False)
    assert report["loaded"] == ["small/logits/biases"]
    assert len(report["mismatched"]) == 6 and report["missing"] == []


@pytest.mark.slow
def test_missing_variables_and_object_checkpoints_are_explained(tf, tmp_path):
    model = _small(tf)
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "object"))
    with pytest.raises(ValueError) as info:
        _small(tf).load_slim_checkpoint(path)
    assert "missing from the checkpoint (7):" in str(info.value)
    assert "tf.train.Checkpoint(model=model).restore(path)" in str(info.value)


@pytest.mark.slow
def test_tf_train_checkpoint_round_trip(tf, tmp_path):
    x = tf.random.uniform([2, 8, 8, 3], seed=1)
    a = _small(tf)
    a.conv1.normalizer.moving_mean.assign([0.1, 0.2, 0.3, 0.4])
    path = tf.train.Checkpoint(model=a).save(str(tmp_path / "ckpt"))
    b = _small(tf)
    tf.train.Checkpoint(model=b).restore(path).assert_existing_objects_matched()
    np.testing.assert_array_equal(a(x)[0].numpy(), b(x)[0].numpy())


@pytest.mark.slow
def test_constructor_parameters(tf):
    model = _small(tf, num_classes=7, keep=0.5)  # plain: read when the model is built
    assert model(tf.zeros([2, 8, 8, 3]))[0].shape == (2, 7)
    assert {v.name: v.shape.as_list() for v in model.variables}["small/logits/weights:0"] == \
        [64, 7]
    with pytest.raises(ValueError, match=r"compiled with depth=4.*-D depth=VALUE"):
        _small(tf, depth=5)  # structural: it sizes the flatten
    assert _small(tf, depth=4).depth == 4


@pytest.mark.slow
def test_device_argument_places_variables(tf):
    model = _small(tf, device="/device:CPU:0")
    assert all(v.device.endswith("CPU:0") for v in model.variables)
    assert model(tf.zeros([1, 8, 8, 3]))[0].device.endswith("CPU:0")


def test_a_few_training_steps_reduce_the_loss(tf):
    tf.random.set_seed(3)
    model = _small(tf)
    images = tf.random.uniform([32, 8, 8, 3], seed=4)
    labels = tf.random.uniform([32], 0, 3, dtype=tf.int32, seed=5)

    def loss_fn():
        logits, _ = model(images, training=True)  # batch statistics, moving-average updates
        data = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        return data + tf.add_n(model.regularization_losses())

    moving = model.conv1.normalizer.moving_mean.numpy()
    losses = []
    for _ in range(10):
        with tf.GradientTape() as tape:
            loss = loss_fn()
        losses.append(float(loss))
        grads = tape.gradient(loss, model.trainable_variables)
        assert all(g is not None for g in grads)
        for var, grad in zip(model.trainable_variables, grads):
            var.assign_sub(0.2 * grad)
    assert losses[-1] < 0.8 * losses[0], losses
    assert not np.allclose(model.conv1.normalizer.moving_mean.numpy(), moving)
    assert {v.name for v in model.trainable_variables} == {
        "small/conv1/weights:0", "small/conv1/BatchNorm/beta:0", "small/conv1/BatchNorm/gamma:0",
        "small/logits/weights:0", "small/logits/biases:0"}


# ---------------------------------------------------------------------------- models/*.slim


def _vgg_16(tf, slim, images):
    from tf_slim.nets import vgg
    with slim.arg_scope(vgg.vgg_arg_scope()):
        return vgg.vgg_16(images, is_training=False)


def _alexnet_v2(tf, slim, images):
    from tf_slim.nets import alexnet
    with slim.arg_scope(alexnet.alexnet_v2_arg_scope()):
        return alexnet.alexnet_v2(images, is_training=False)


def _lenet(tf, slim, images):
    with slim.arg_scope(lenet_arg_scope(tf, slim)):
        return lenet(images, tf, slim)


NETS = {"lenet": (_lenet, 28), "alexnet_v2": (_alexnet_v2, 224), "vgg_16": (_vgg_16, 224)}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NETS))
def test_tf_slim_checkpoint_gives_tf_slim_logits(name, tf, slim, tmp_path):
    path = MODELS / f"{name}.slim"
    if not path.exists():
        pytest.skip(f"{path} is not written yet")
    build, size = NETS[name]
    v1 = tf.compat.v1
    x = np.random.RandomState(0).uniform(size=(2, size, size, 1 if name == "lenet" else 3))
    x = x.astype(np.float32)
    with tf.Graph().as_default() as g:
        images = v1.placeholder(tf.float32, [None, *x.shape[1:]])
        logits, _ = build(tf, slim, images)
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            for v in v1.global_variables():  # biases too: every variable must load
                v.load(np.random.uniform(-0.05, 0.05, v.shape).astype(np.float32), sess)
            prefix = v1.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
            want = sess.run(logits, {images: x})
    _, _, cls, _ = build_generated(path.read_text(), str(path))
    model = cls()
    report = model.load_slim_checkpoint(prefix)
    assert report["missing"] == report["unexpected"] == report["mismatched"] == []
    got = model(tf.constant(x))[0].numpy()
    scale = float(np.abs(want).max())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.slow
def test_generated_model_runs_in_a_tf1_graph_and_session(tf):
    v1 = tf.compat.v1
    with tf.Graph().as_default() as g:
        model = _small(tf)
        images = v1.placeholder(tf.float32, [None, 8, 8, 3])
        logits, _ = model(images)
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            out = sess.run(logits, {images: np.zeros((2, 8, 8, 3), np.float32)})
    assert out.shape == (2, 3)
    assert sorted(v.name for v in model.variables)[0] == "small/conv1/BatchNorm/beta:0"
