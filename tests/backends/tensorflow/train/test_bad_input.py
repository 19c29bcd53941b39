"""Bad input to ``slimc train`` / ``eval`` / ``data``: a clear one-line error, exit 2, and
nothing half-written (no train dir, no checkpoint, no temporary file)."""

from __future__ import annotations

import pytest
from trainkit import TINY

from slimdsl import cli
from slimdsl.backends.tensorflow.train.data import example_bytes


def _records(tf, path, labels, size=28, channels=1, corrupt_at=None):
    with tf.io.TFRecordWriter(str(path)) as writer:
        for label in labels:
            png = tf.io.encode_png(tf.fill([size, size, channels], tf.constant(7, tf.uint8)))
            writer.write(example_bytes(tf, png.numpy(), "png", label, size, size))
    if corrupt_at is not None:  # flip a byte inside the record after the first corrupt_at
        raw = bytearray(path.read_bytes())
        raw[(len(raw) // len(labels)) * corrupt_at + 30] ^= 0xFF
        path.write_bytes(bytes(raw))
    return path


def _train(capsys, data, train_dir, *extra, model=TINY):
    code = cli.main(["train", str(model), "--data", str(data), "--train-dir", str(train_dir),
                     "--steps", "2", "--batch-size", "4", "--summary-every", "0", *extra])
    err = capsys.readouterr().err
    return code, err


def _nothing_written(train_dir) -> bool:
    return not train_dir.exists() or not [p for p in train_dir.iterdir()
                                          if not p.name.startswith("events.")]


def test_missing_and_empty_data(tf, tmp_path, capsys):
    code, err = _train(capsys, tmp_path / "train-*.tfrecord", tmp_path / "run")
    assert code == 2 and f"slimc: error: no data files match '{tmp_path}/train-*.tfrecord'" in err
    (tmp_path / "empty.tfrecord").write_bytes(b"")
    code, err = _train(capsys, tmp_path / "empty.tfrecord", tmp_path / "run")
    assert code == 2 and "empty.tfrecord: the file is empty (no records)" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("device,message", [
    ("gpu:0", "device gpu:0 is not available (physical devices: cpu x1)"),
    ("tpu:0", "'tpu:0' is not a device; use cpu, cpu:1, gpu, gpu:1"),
    ("cpu:0,cpu:0", "device cpu:0 is listed twice"),
])
def test_unknown_devices(tf, tmp_path, capsys, device, message):
    data = _records(tf, tmp_path / "train.tfrecord", [1, 2])
    code, err = _train(capsys, data, tmp_path / "run", "--device", device)
    assert code == 2 and message in err, err
    assert not (tmp_path / "run").exists()


def test_bad_records_at_the_start(tf, tmp_path, capsys):
    data = _records(tf, tmp_path / "labels.tfrecord", [3, 10])
    code, err = _train(capsys, tmp_path / "*.tfrecord", tmp_path / "run", "--labels-offset", "4")
    assert code == 2, err
    assert "labels.tfrecord: record 0: label 3 is out of range: the model has 10 classes " \
           "(labels 4..13 with --labels-offset 4)" in err
    data.write_bytes(b"this is not a TFRecord file at all")
    code, err = _train(capsys, data, tmp_path / "run")
    assert code == 2 and "labels.tfrecord: record 0: corrupt TFRecord data" in err, err
    assert _nothing_written(tmp_path / "run")


def test_images_the_model_cannot_take(tf, tmp_path, capsys):
    data = _records(tf, tmp_path / "train.tfrecord", [1, 2])
    two = tmp_path / "two.slim"
    two.write_text(TINY.read_text().replace("[?, 28, 28, 1]", "[?, 28, 28, 2]"))
    code, err = _train(capsys, data, tmp_path / "run", model=two)
    assert code == 2 and "the model's input has 2 channels; images decode to 1, 3, 4 " \
                         "channels only" in err, err
    big = tmp_path / "big.slim"
    big.write_text(TINY.read_text().replace("[?, 28, 28, 1]", "[?, 32, 32, 1]"))
    code, err = _train(capsys, data, tmp_path / "run", "--preprocessing", "none", model=big)
    assert code == 2 and "train.tfrecord: record 0: image 28x28: the model takes 32x32 " \
                         "(--preprocessing none does not resize" in err, err
    vector = tmp_path / "vector.slim"
    vector.write_text("model V {\n  input x: [?, 784]\n  fully_connected(10) as fc\n}\n")
    code, err = _train(capsys, data, tmp_path / "run", model=vector)
    assert code == 2 and "V's input 'x' is [?, 784]; slimc train needs images [?, height, " \
                         "width, channels]" in err, err
    assert _nothing_written(tmp_path / "run")


def test_eval_of_a_missing_checkpoint(tf, tmp_path, capsys):
    data = _records(tf, tmp_path / "val.tfrecord", [1, 2])
    code = cli.main(["eval", str(TINY), "--data", str(data), "--checkpoint-path",
                     str(tmp_path / "nowhere")])
    assert code == 2
    assert f"{tmp_path}/nowhere: no such checkpoint" in capsys.readouterr().err


def test_data_with_bad_options_writes_nothing(tmp_path, capsys):
    out = tmp_path / "digits"
    assert cli.main(["data", "digits", str(out), "--size", "4"]) == 2
    assert "--size 4: the digits are 8x8; use 8 or more" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.slow
def test_a_corrupt_record_midway_stops_training_cleanly(tf, zygote, tmp_path):
    data = _records(tf, tmp_path / "train.tfrecord", list(range(10)) * 4, corrupt_at=37)
    status, _, err = zygote.run(
        ["train", str(TINY), "--data", str(data), "--train-dir", str(tmp_path / "run"),
         "--steps", "50", "--batch-size", "4", "--summary-every", "0", "--shuffle-buffer", "1",
         "--learning-rate-decay-type", "fixed"],  # no record count first: fails mid-training
        tmp_path, "corrupt")
    assert status == 2, err
    assert "train.tfrecord: record 37: corrupt TFRecord data" in err, err
    assert _nothing_written(tmp_path / "run")
