"""A small real data set in TF-Slim's format: scikit-learn's bundled 8x8 digits, upscaled.

scikit-learn ships the 1,797 handwritten digits (UCI's optical recognition set, 8x8 pixels, 16
grey levels) inside its wheel, so nothing is downloaded. :func:`build_digits` upscales each to
``size - 8`` pixels (bilinear) and centres it on a ``size x size`` black canvas, the way MNIST
centres a 20x20 digit in 28x28, encodes it as PNG and writes TF-Slim's layout:

- ``digits_train-0000K-of-0000N.tfrecord`` (80% by default) and
  ``digits_validation-00000-of-00001.tfrecord`` (the held-out rest), split by a seeded
  permutation and written in shuffled order;
- ``labels.txt`` (``0:0`` ... ``9:9``, as ``dataset_utils.write_label_file`` writes it).

Every file is written to a temporary name and renamed when complete, so a failed or interrupted
build never leaves a half-written file under a final name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .data import example_bytes
from .files import atomic_path, write_text

NUM_CLASSES = 10


@dataclass
class DigitsReport:
    """What :func:`build_digits` wrote."""

    train_files: list[str]
    validation_files: list[str]
    train_examples: int
    validation_examples: int
    size: int


def load_digits() -> tuple[Any, Any]:
    """scikit-learn's bundled digits: images ``[1797, 8, 8]`` (0..16) and labels."""
    try:
        from sklearn.datasets import load_digits as sk_load
    except ImportError:
        raise ImportError("the digits data set comes with scikit-learn: "
                          "pip install 'slimdsl[data]' (or scikit-learn)") from None
    bunch = sk_load()
    return bunch.images, bunch.target


def build_digits(tf: Any, out_dir: str, *, size: int = 28, validation: float = 0.2,
                 shards: int = 2, seed: int = 0) -> DigitsReport:
    """Write the digits as TFRecords in TF-Slim's format to ``out_dir`` (created if needed)."""
    import numpy as np

    if size < 8:
        raise ValueError(f"--size {size}: the digits are 8x8; use 8 or more")
    if not 0.0 < validation < 1.0:
        raise ValueError(f"--validation {validation}: use a fraction between 0 and 1")
    images, labels = load_digits()
    order = np.random.RandomState(seed).permutation(len(labels))
    held = max(1, int(round(len(labels) * validation)))
    splits = {"train": order[held:], "validation": order[:held]}
    inner = max(size - 8, 8) if size >= 16 else size
    pad = (size - inner) // 2
    scaled = tf.image.resize(tf.constant(images[..., None] * (255.0 / 16.0), tf.float32),
                             [inner, inner], "bilinear")
    pixels = tf.cast(tf.round(tf.clip_by_value(scaled, 0.0, 255.0)), tf.uint8)
    pixels = tf.pad(pixels, [[0, 0], [pad, size - inner - pad], [pad, size - inner - pad],
                             [0, 0]]).numpy()
    os.makedirs(out_dir, exist_ok=True)
    written: dict[str, list[str]] = {}
    for split, indices in splits.items():
        count = shards if split == "train" else 1
        written[split] = []
        for shard in range(count):
            part = indices[shard::count]
            name = f"digits_{split}-{shard:05d}-of-{count:05d}.tfrecord"
            records = [example_bytes(tf, tf.io.encode_png(pixels[i]).numpy(), "png",
                                     int(labels[i]), size, size) for i in part]
            written[split].append(_write_records(tf, os.path.join(out_dir, name), records))
    write_text(os.path.join(out_dir, "labels.txt"),
                "".join(f"{k}:{k}\n" for k in range(NUM_CLASSES)))
    return DigitsReport(written["train"], written["validation"], len(splits["train"]),
                        len(splits["validation"]), size)


def _write_records(tf: Any, path: str, records: list[bytes]) -> str:
    with atomic_path(path) as tmp, tf.io.TFRecordWriter(tmp) as writer:
        for record in records:
            writer.write(record)
    return path
