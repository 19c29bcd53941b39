"""``slimc train`` and ``slimc eval`` end to end on the digits: LeNet's held-out accuracy, its
checkpoints read by tf_slim's own Saver and assign_from_checkpoint_fn and by
load_slim_checkpoint, moving averages, exact resumption, fine-tuning from a checkpoint.

Each ``slimc`` run is a real process forked from the zygote (one TensorFlow import)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from oracles.nets import lenet, lenet_arg_scope
from trainkit import LENET, TINY

pytestmark = pytest.mark.slow

LENET_STEPS = 400  # 0.978 at 300 steps, 0.981 at 400 (2026-11-27)


def _train(digits, train_dir, model=LENET, *extra):
    return ["train", str(model), "--data", str(digits / "digits_train-*"), "--train-dir",
            str(train_dir), *extra]


def _eval(digits, checkpoint, model=LENET, *extra):
    return ["eval", str(model), "--data", str(digits / "digits_validation-*"),
            "--checkpoint-path", str(checkpoint), *extra]


@pytest.fixture(scope="module")
def lenet_dir(zygote, digits, tmp_path_factory):
    """LeNet trained on the digits by slimc train (momentum, moving averages)."""
    folder = tmp_path_factory.mktemp("lenet")
    status, out, err = zygote.run(_train(
        digits, folder / "train", LENET, "--steps", str(LENET_STEPS), "--optimizer", "momentum",
        "--learning-rate", "0.01", "--learning-rate-decay-type", "fixed",
        "--moving-average-decay", "0.99", "--save-every", "100", "--summary-every", "50"),
        folder, "train")
    assert status == 0, err
    assert f"LeNet: trained from step 0 to {LENET_STEPS}" in out
    assert f"train step {LENET_STEPS}/{LENET_STEPS}" in err and "examples/s" in err
    return folder / "train"


def test_lenet_reaches_97_percent_on_held_out_digits(zygote, digits, lenet_dir, tmp_path):
    status, out, err = zygote.run(_eval(digits, lenet_dir), tmp_path, "eval")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"LeNet, checkpoint {lenet_dir}/model.ckpt-{LENET_STEPS} "
                               f"(step {LENET_STEPS}), 359 examples")
    accuracy = float(lines[1].removeprefix("accuracy "))
    assert accuracy >= 0.97, out
    status, out, err = zygote.run(_eval(digits, lenet_dir, LENET, "--format", "json",
                                        "--moving-average"), tmp_path, "eval_json")
    assert status == 0, err
    report = json.loads(out)
    assert report["examples"] == 359 and report["global_step"] == LENET_STEPS
    assert report["accuracy"] >= 0.97 and report["top5"] >= report["accuracy"]  # averages
    # keep-N and the state file: every checkpoint listed, newest last
    state = (lenet_dir / "checkpoint").read_text().splitlines()
    assert state[0] == f'model_checkpoint_path: "model.ckpt-{LENET_STEPS}"'
    assert state[1:] == [f'all_model_checkpoint_paths: "model.ckpt-{s}"'
                         for s in (100, 200, 300, 400)]
    assert list(lenet_dir.glob("events.out.tfevents.*"))


def test_the_same_command_again_is_already_done(zygote, digits, lenet_dir, tmp_path):
    status, out, err = zygote.run(_train(digits, lenet_dir, LENET, "--steps",
                                         str(LENET_STEPS), "--optimizer", "momentum",
                                         "--moving-average-decay", "0.99"), tmp_path, "again")
    assert status == 0, err
    assert f"already trained to step {LENET_STEPS}" in out


def test_tf_slim_reads_the_checkpoint(tf, slim, digits, lenet_dir):
    """tf_slim's LeNet in a TF1 graph restores the checkpoint by name (Saver, with
    global_step, and assign_from_checkpoint_fn) and predicts what the generated model does."""
    v1 = tf.compat.v1
    prefix = tf.train.latest_checkpoint(str(lenet_dir))
    assert prefix == f"{lenet_dir}/model.ckpt-{LENET_STEPS}"
    images = next(iter(tf.data.TFRecordDataset(
        str(digits / "digits_validation-00000-of-00001.tfrecord")).batch(16)))
    pixels = np.stack([tf.io.decode_png(tf.train.Example.FromString(r.numpy()).features
                                        .feature["image/encoded"].bytes_list.value[0]).numpy()
                       for r in images]).astype(np.float32)
    pixels = (pixels - 128.0) / 128.0  # lenet preprocessing
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 28, 28, 1])
        with slim.arg_scope(lenet_arg_scope(tf, slim)):
            logits, _ = lenet(x, tf, slim, is_training=False)
        step = v1.train.get_or_create_global_step()
        saver = v1.train.Saver(slim.get_model_variables() + [step])
        init = slim.assign_from_checkpoint_fn(prefix, slim.get_model_variables())
        with v1.Session() as sess:
            saver.restore(sess, prefix)
            assert sess.run(step) == LENET_STEPS
            slim_saver_logits = sess.run(logits, {x: pixels})
            sess.run(v1.global_variables_initializer())
            init(sess)
            slim_logits = sess.run(logits, {x: pixels})
    np.testing.assert_allclose(slim_logits, slim_saver_logits, rtol=1e-6)
    from oracles.backend import build_generated
    _, _, cls, _ = build_generated(LENET.read_text(), str(LENET))
    model = cls()
    report = model.load_slim_checkpoint(str(lenet_dir))
    assert not report["missing"] and not report["unexpected"]
    ours = model(tf.constant(pixels), training=False)[0].numpy()
    np.testing.assert_allclose(ours, slim_logits, rtol=1e-4, atol=1e-4)


def _weights(tf, train_dir) -> dict:
    reader = tf.train.load_checkpoint(str(train_dir))
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}


TINY_RUN = ["--batch-size", "16", "--optimizer", "rmsprop", "--learning-rate", "0.01",
            "--summary-every", "0", "--deterministic", "--moving-average-decay", "0.9"]


def test_resuming_equals_an_uninterrupted_run(tf, zygote, digits, tmp_path):
    """Stopped at step 7 (mid-epoch, mid-decay), resumed to 14: bit-identical to 14 at once,
    dropout masks, batch-norm statistics, RMSProp slots, moving averages and data included."""
    once = _train(digits, tmp_path / "once", TINY, *TINY_RUN, "--save-every", "7",
                  "--num-samples", "100", "--steps", "14")
    assert zygote.run(once, tmp_path, "once")[0] == 0
    twice = _train(digits, tmp_path / "twice", TINY, *TINY_RUN, "--save-every", "7",
                   "--num-samples", "100")
    assert zygote.run(twice + ["--steps", "7"], tmp_path, "first")[0] == 0
    status, out, err = zygote.run(twice + ["--steps", "14"], tmp_path, "second")
    assert status == 0 and "resuming from" in err and "(step 7, epoch 0)" in err, err
    a, b = _weights(tf, tmp_path / "once"), _weights(tf, tmp_path / "twice")
    assert sorted(a) == sorted(b)
    assert any(k.endswith("/RMSProp_1") for k in a) and "global_step" in a
    assert any(k.endswith("/ExponentialMovingAverage") for k in a)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    status, _, err = zygote.run(twice + ["--steps", "20", "--batch-size", "8"], tmp_path, "b8")
    assert status == 2 and "was trained with --batch-size 16" in err


def test_fine_tuning_from_a_checkpoint(tf, zygote, digits, tmp_path):
    base = _train(digits, tmp_path / "base", TINY, *TINY_RUN, "--steps", "3")
    assert zygote.run(base, tmp_path, "base")[0] == 0
    tune = _train(digits, tmp_path / "tune", TINY, "--steps", "2", "--summary-every", "0",
                  "--checkpoint-path", str(tmp_path / "base"), "--exclude-scopes",
                  "Tiny/logits", "--trainable-scopes", "Tiny/logits", "-D", "num_classes=7",
                  "--labels-offset", "0")
    status, _, err = zygote.run(tune, tmp_path, "tune")
    assert status == 2 and re.search("label [789] is out of range", err), err  # 7 classes
    # 10 classes again: conv1 restored and frozen, the logits re-initialized and trained
    tune = [a for a in tune if a not in ("-D", "num_classes=7")]
    status, _, err = zygote.run(tune, tmp_path, "tune10")
    assert status == 0, err
    assert "initialized 4 variables from" in err
    base_w, tuned = _weights(tf, tmp_path / "base"), _weights(tf, tmp_path / "tune")
    np.testing.assert_array_equal(base_w["Tiny/conv1/weights"], tuned["Tiny/conv1/weights"])
    assert not np.array_equal(base_w["Tiny/logits/weights"], tuned["Tiny/logits/weights"])
    assert "Tiny/conv1/weights/RMSProp" not in tuned and "Tiny/logits/weights/RMSProp" in tuned
    mismatch = _train(digits, tmp_path / "mismatch", TINY, "--steps", "1", "-D",
                      "num_classes=12", "--checkpoint-path", str(tmp_path / "base"))
    status, _, err = zygote.run(mismatch, tmp_path, "mismatch")
    assert status == 2 and "shape mismatch" in err and "--exclude-scopes" in err, err
    assert not (tmp_path / "mismatch" / "checkpoint").exists()
