"""TF-Slim's dataset format and the input pipeline: the digits files, the record layout, the
order (seeded, resumable, split exactly over pipelines), preprocessing, bad data located."""

from __future__ import annotations

import os

import numpy as np
import pytest

from slimdsl.backends.tensorflow.train import data as td
from slimdsl.backends.tensorflow.train.preprocessing import PREPROCESSING, default_for


def _spec(files, **kw) -> td.InputSpec:
    args = {"height": 28, "width": 28, "channels": 1, "num_classes": 10,
            "preprocessing": "lenet", "batch_size": 8, "seed": 3, "shuffle_buffer": 64}
    args.update(kw)
    return td.InputSpec(tuple(str(f) for f in files), **args)


def _labels(ds) -> list[int]:
    return [int(x) for _, labels in ds for x in labels.numpy()]


@pytest.mark.slow  # builds the digits (scikit-learn, 1,797 PNGs)
def test_digits_files_are_tf_slim_records(tf, digits):
    names = sorted(os.listdir(digits))
    assert names == ["digits_train-00000-of-00002.tfrecord", "digits_train-00001-of-00002.tfrecord",
                     "digits_validation-00000-of-00001.tfrecord", "labels.txt"]
    assert (digits / "labels.txt").read_text().splitlines()[:2] == ["0:0", "1:1"]
    train = td.list_files(str(digits / "digits_train-*"))
    held = td.list_files(str(digits / "digits_validation-*"))
    assert td.count_records(tf, train) + td.count_records(tf, held) == 1797
    assert td.count_records(tf, held) == 359
    record = next(iter(tf.data.TFRecordDataset(held[0]))).numpy()
    example = tf.train.Example.FromString(record).features.feature
    assert example["image/format"].bytes_list.value == [b"png"]
    assert example["image/height"].int64_list.value == [28]
    assert example["image/width"].int64_list.value == [28]
    image = tf.io.decode_png(example["image/encoded"].bytes_list.value[0]).numpy()
    assert image.shape == (28, 28, 1) and image.max() > 200
    assert image[:4].max() == 0 and image[:, -4:].max() == 0  # centred in a black border


def test_file_lists(tmp_path):
    with pytest.raises(td.DataError, match="no data files match"):
        td.list_files(str(tmp_path / "train-*.tfrecord"))
    (tmp_path / "empty.tfrecord").write_bytes(b"")
    with pytest.raises(td.DataError, match="empty.tfrecord: the file is empty"):
        td.list_files(str(tmp_path / "*.tfrecord"))


@pytest.mark.slow
def test_order_is_seeded_resumable_and_split_exactly(tf, digits):
    spec = _spec(td.list_files(str(digits / "digits_train-*")), batch_size=64, shuffle_buffer=2048)
    per_epoch = 1438 // 64  # the last partial batch of an epoch is dropped

    def labels(n, **kw):
        return [int(x) for _, batch, _ in td.training_dataset(tf, spec, **kw).take(n)
                for x in batch.numpy()]

    def epochs(n, **kw):
        return [int(e[0]) for _, _, e in td.training_dataset(tf, spec, **kw).take(n)]

    first = labels(30)
    tf.random.set_seed(99)  # the order depends on --seed and the epoch only
    assert labels(30) == first
    assert labels(30 - 5, skip_batches=5) == first[5 * 64:]
    assert labels(30 - per_epoch, epoch=1) == first[per_epoch * 64:]  # epochs chain
    assert epochs(30) == [0] * per_epoch + [1] * (30 - per_epoch)
    assert first[:per_epoch * 64] != first[per_epoch * 64:2 * per_epoch * 64]  # reshuffled
    assert sorted(first[:per_epoch * 64]) != sorted(labels(per_epoch, epoch=3))  # other drops
    halves = [labels(30, pipeline=p, pipelines=2, replica_batch=32) for p in (0, 1)]
    for k in range(30):  # global batch k = the first pipeline's half, then the second's
        assert first[64 * k: 64 * k + 32] == halves[0][32 * k: 32 * k + 32]
        assert first[64 * k + 32: 64 * k + 64] == halves[1][32 * k: 32 * k + 32]


@pytest.mark.parametrize("name", sorted(PREPROCESSING))
def test_preprocessing_gives_the_model_size_and_is_seeded(tf, name):
    image = tf.constant(np.random.RandomState(0).randint(0, 256, (40, 30, 3)), tf.uint8)
    if name == "none":
        image = image[:24, :24]
    seed = tf.constant([5, 9], tf.int64)
    for training in (True, False):
        a = PREPROCESSING[name](tf, image, 24, 24, training, seed)
        b = PREPROCESSING[name](tf, image, 24, 24, training, seed)
        assert a.shape == (24, 24, 3) and a.dtype == tf.float32
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert default_for("LeNet") == "lenet" and default_for("vgg_16") == "vgg"
    assert default_for("InceptionV3") == "inception" and default_for("Tiny") == "resize"


def _write(tf, path, records) -> str:
    with tf.io.TFRecordWriter(str(path)) as writer:
        for r in records:
            writer.write(r)
    return str(path)


def _good(tf, label=1) -> bytes:
    png = tf.io.encode_png(tf.zeros([28, 28, 1], tf.uint8)).numpy()
    return td.example_bytes(tf, png, "png", label, 28, 28)


@pytest.mark.slow  # three failing pipelines and their scans; the CLI's quick tests cover record 0
def test_bad_records_are_located(tf, tmp_path):
    cases = {
        "label": ([_good(tf), _good(tf, 12)], "record 1: label 12 is out of range: the model "
                                              "has 10 classes (labels 0..9)"),
        "image": ([_good(tf), td.example_bytes(tf, b"not an image", "png", 1, 2, 2)],
                  "record 1: image/encoded is not a JPEG, PNG, GIF or BMP image"),
        "example": ([b"\x08garbage"], "record 0: not a TF-Slim image record"),
    }
    for name, (records, message) in cases.items():
        spec = _spec([_write(tf, tmp_path / f"{name}.tfrecord", records)], batch_size=1)
        with pytest.raises(tf.errors.OpError) as info:
            _labels(td.epoch_dataset(tf, spec))
        error = td.locate_error(tf, spec, info.value)
        assert str(error).startswith(str(tmp_path / f"{name}.tfrecord")), str(error)
        assert message in str(error), str(error)
    path = _write(tf, tmp_path / "corrupt.tfrecord", [_good(tf), _good(tf)])
    raw = bytearray(open(path, "rb").read())
    raw[-30] ^= 0xFF  # a byte of the second record's payload: its CRC no longer matches
    open(path, "wb").write(bytes(raw))
    spec = _spec([path], batch_size=1)
    with pytest.raises(tf.errors.OpError) as info:
        _labels(td.epoch_dataset(tf, spec))
    assert "corrupt.tfrecord: record 1: corrupt TFRecord data" in \
        str(td.locate_error(tf, spec, info.value))
    shifted = _spec([_write(tf, tmp_path / "zero.tfrecord", [_good(tf, 0)])], labels_offset=1)
    with pytest.raises(td.DataError, match=r"record 0: label 0 is out of range: the model has 10 "
                                           r"classes \(labels 1..10 with --labels-offset 1\)"):
        td.first_record_check(tf, shifted)
    sized = _spec([_write(tf, tmp_path / "sized.tfrecord", [_good(tf)])], height=32, width=32,
                  preprocessing="none")
    with pytest.raises(td.DataError, match="image 28x28: the model takes 32x32"):
        td.first_record_check(tf, sized)
