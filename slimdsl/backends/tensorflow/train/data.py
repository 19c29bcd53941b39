"""TF-Slim's dataset format: TFRecord files of ``tf.train.Example`` records, and a tf.data
pipeline over them.

A record holds ``image/encoded`` (JPEG, PNG, GIF or BMP bytes), ``image/format``,
``image/class/label`` (int64) and ``image/height`` / ``image/width``, as TF-Slim's
``dataset_utils.image_to_tfexample`` writes them. :func:`training_dataset` reads, for every epoch:

1. the files in an order shuffled per epoch, read in parallel (``interleave``);
2. the *serialized* records (cheap to hold) shuffled in blocks of ``--shuffle-buffer`` by
   stateless random keys from ``--seed`` and the epoch, then numbered within the epoch;
3. grouped into global batches; a resumed run skips the batches already trained on here, before
   anything is decoded, so resuming costs reading, not decoding;
4. each input pipeline keeps its slice of every global batch (one pipeline per worker under
   ``multi-worker``), so N devices see exactly the examples one device would;
5. decoded and preprocessed in parallel (deterministic order), batched per replica, prefetched;
6. epochs follow one another in one endless dataset (:func:`training_dataset`), so the
   pipeline never stops to be rebuilt at an epoch's end.

Bad data raises :class:`DataError` with the file and record number: :func:`locate_error` replays
the checks record by record when TensorFlow's own error does not say where.
"""

from __future__ import annotations

import glob
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .preprocessing import PREPROCESSING

#: Channels tf.io.decode_image can produce.
DECODABLE_CHANNELS = (1, 3, 4)
#: How long :func:`locate_error` may scan for the record behind a pipeline error.
LOCATE_SECONDS = 60.0


class DataError(Exception):
    """Input data that cannot be used; the message names the file and the record."""


@dataclass(frozen=True)
class InputSpec:
    """What the pipeline reads and what the model takes."""

    files: tuple[str, ...]
    height: int
    width: int
    channels: int
    num_classes: int
    preprocessing: str
    batch_size: int  # global: split over every replica of every worker
    seed: int = 0
    labels_offset: int = 0
    shuffle_buffer: int = 2048


def list_files(patterns: str) -> list[str]:
    """The files matching ``patterns`` (comma-separated globs), sorted and checked.

    Raises :class:`DataError` when a pattern matches nothing, or a file is empty or unreadable.
    """
    files: list[str] = []
    for pattern in (p.strip() for p in patterns.split(",")):
        if not pattern:
            continue
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        matches = [m for m in matches if not os.path.isdir(m)]
        if not matches or not os.path.exists(matches[0]):
            raise DataError(f"no data files match '{pattern}'")
        files.extend(m for m in matches if m not in files)
    if not files:
        raise DataError("no data files given")
    for path in files:
        try:
            size = os.path.getsize(path)
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if size == 0:
            raise DataError(f"{path}: the file is empty (no records)")
    return files


def count_records(tf: Any, files: Iterable[str]) -> int:
    """The number of records in ``files`` (reads them; raises :class:`DataError`)."""
    total = 0
    for path in files:
        try:
            total += int(tf.data.TFRecordDataset(path).reduce(
                0, plain(tf, lambda n, _: n + 1)))
        except tf.errors.OpError as exc:
            good = 0
            try:  # find where: count the records that read
                for _ in tf.data.TFRecordDataset(path):
                    good += 1
            except tf.errors.OpError:
                pass
            raise DataError(f"{path}: record {good}: corrupt TFRecord data "
                            f"({error_text(exc)})") from None
    return total


def example_bytes(tf: Any, encoded: bytes, image_format: str, label: int, height: int,
                  width: int) -> bytes:
    """One record in TF-Slim's format (``dataset_utils.image_to_tfexample``)."""
    def b(value: bytes) -> Any:
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    def i(value: int) -> Any:
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))

    return tf.train.Example(features=tf.train.Features(feature={
        "image/encoded": b(encoded), "image/format": b(image_format.encode()),
        "image/class/label": i(label), "image/height": i(height), "image/width": i(width),
    })).SerializeToString()


def error_text(exc: Any) -> str:
    """The first line of a TensorFlow error, or the text of a failed assertion."""
    message = getattr(exc, "message", str(exc))
    found = re.search(r"assertion failed: \[(.*?)\]\s*(?:\n|$)", message, re.S)
    if found:
        return found.group(1)
    first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    return re.sub(r"\s*\[Op:\w+\]$", "", first).strip()


def plain(tf: Any, fn: Any) -> Any:
    """``fn`` marked for tf.data to trace as it is: it has no Python control flow on tensors,
    and AutoGraph's source conversion would cost seconds per run."""
    return tf.autograph.experimental.do_not_convert(fn)


def check_spec(spec: InputSpec) -> None:
    """Refuse a model the pipeline cannot feed (raises :class:`DataError`)."""
    if spec.channels not in DECODABLE_CHANNELS:
        raise DataError(f"the model's input has {spec.channels} channels; images decode to "
                        f"{', '.join(map(str, DECODABLE_CHANNELS))} channels only")
    if spec.preprocessing not in PREPROCESSING:
        raise DataError(f"unknown preprocessing '{spec.preprocessing}'; choose one of "
                        f"{', '.join(PREPROCESSING)}")
    if spec.num_classes < 1:
        raise DataError("the model's logits have no classes")


def decode(tf: Any, spec: InputSpec, serialized: Any) -> tuple[Any, Any]:
    """One record -> (uint8 image [h, w, channels], label in [0, num_classes)), checked."""
    features = tf.io.parse_single_example(serialized, {
        "image/encoded": tf.io.FixedLenFeature([], tf.string),
        "image/class/label": tf.io.FixedLenFeature([], tf.int64),
    })
    image = tf.io.decode_image(features["image/encoded"], channels=spec.channels,
                               expand_animations=False)
    raw = features["image/class/label"]
    label = raw - spec.labels_offset
    low, high = spec.labels_offset, spec.labels_offset + spec.num_classes - 1
    shift = f" with --labels-offset {spec.labels_offset}" if spec.labels_offset else ""
    ok = tf.logical_and(label >= 0, label < spec.num_classes)
    checks = [tf.debugging.Assert(ok, [tf.strings.format(
        "label {} is out of range: the model has " + f"{spec.num_classes} classes (labels "
        f"{low}..{high}{shift})", raw)])]
    if spec.preprocessing == "none":
        shape = tf.shape(image)
        fits = tf.reduce_all(tf.equal(shape[:2], [spec.height, spec.width]))
        checks.append(tf.debugging.Assert(fits, [tf.strings.format(
            "image {}x{}: the model takes " + f"{spec.height}x{spec.width} (--preprocessing "
            "none does not resize; choose resize, lenet, inception, vgg or cifarnet)",
            (shape[0], shape[1]))]))
    with tf.control_dependencies(checks):
        return tf.identity(image), tf.cast(label, tf.int32)


def _prepare(tf: Any, spec: InputSpec, training: bool) -> Any:
    preprocess = PREPROCESSING[spec.preprocessing]

    def fn(index: Any, serialized: Any, epoch: Any) -> tuple[Any, Any, Any]:
        image, label = decode(tf, spec, serialized)
        seed = epoch_seed(tf.constant(spec.seed, tf.int64), epoch)
        image = preprocess(tf, image, spec.height, spec.width, training, tf.stack([seed, index]))
        image = tf.ensure_shape(image, [spec.height, spec.width, spec.channels])
        return image, label, epoch

    return fn


def epoch_seed(seed: Any, epoch: Any) -> Any:
    """The seed of one epoch's file order, shuffle and augmentation (ints or int64 tensors)."""
    return (seed * 1_000_003 + epoch * 7919 + 17) % (2 ** 31 - 1)


def _records(tf: Any, files: Any) -> Any:
    """The records of ``files`` (a string tensor), read in parallel, in a fixed order."""
    ds = tf.data.Dataset.from_tensor_slices(files)
    return ds.interleave(plain(tf, lambda f: tf.data.TFRecordDataset(f, buffer_size=1 << 20)),
                         cycle_length=8, block_length=1, num_parallel_calls=tf.data.AUTOTUNE,
                         deterministic=True)


def _block_shuffle(tf: Any, ds: Any, size: int, seed: Any) -> Any:
    """Shuffle within consecutive blocks of ``size`` records, by stateless random keys drawn
    from ``seed`` and the block's number: the same order every time, whatever else ran."""
    def shuffle(block: Any, records: Any) -> Any:
        keys = tf.random.stateless_uniform(tf.shape(records), tf.stack([seed, block]))
        return tf.gather(records, tf.argsort(keys))

    return ds.batch(size).enumerate().map(plain(tf, shuffle)).unbatch()


def _epoch(tf: Any, spec: InputSpec, epoch: Any, skip: int, pipeline: int,
           pipelines: int) -> Any:
    """One training epoch as (index in the epoch, record, epoch): this pipeline's slice of every
    global batch, the first ``skip`` global batches left out."""
    epoch = tf.cast(epoch, tf.int64)
    seed = epoch_seed(tf.constant(spec.seed, tf.int64), epoch)
    files = tf.random.experimental.stateless_shuffle(
        tf.constant(list(spec.files)), tf.stack([seed, tf.constant(1, tf.int64)]))
    ds = _block_shuffle(tf, _records(tf, files), spec.shuffle_buffer, seed).enumerate()
    ds = ds.batch(spec.batch_size, drop_remainder=True)
    if skip:
        ds = ds.skip(skip)
    share = spec.batch_size // pipelines
    lo, hi = pipeline * share, (pipeline + 1) * share
    ds = ds.map(plain(tf, lambda i, r: (i[lo:hi], r[lo:hi], tf.fill([hi - lo], epoch))))
    return ds.unbatch()


def training_dataset(tf: Any, spec: InputSpec, *, epoch: int = 0, skip_batches: int = 0,
                     pipeline: int = 0, pipelines: int = 1,
                     replica_batch: int | None = None) -> Any:
    """Endless training batches ``(images, labels, epochs)`` of ``replica_batch`` (default:
    the global batch), from ``epoch`` on, its first ``skip_batches`` global batches skipped.

    Each epoch has its own file order and shuffle, drops its last partial global batch and
    never shares a batch with the next; the order depends only on ``spec.seed`` and the epoch.
    The epoch of every example comes along, so the trainer knows where an epoch starts.
    """
    first = _epoch(tf, spec, epoch, skip_batches, pipeline, pipelines)
    rest = tf.data.Dataset.range(epoch + 1, 2 ** 62).flat_map(
        plain(tf, lambda e: _epoch(tf, spec, e, 0, pipeline, pipelines)))
    ds = first.concatenate(rest)
    ds = ds.map(plain(tf, _prepare(tf, spec, True)), num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True)
    ds = ds.batch(replica_batch or spec.batch_size, drop_remainder=True)
    return _finish(tf, ds)


def epoch_dataset(tf: Any, spec: InputSpec, batch: int | None = None) -> Any:
    """Every record once, in order, as evaluation batches ``(images, labels)``."""
    ds = _records(tf, tf.constant(list(spec.files))).enumerate()
    prepare = _prepare(tf, spec, False)
    ds = ds.map(plain(tf, lambda i, r: prepare(i, r, tf.constant(0, tf.int64))[:2]),
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return _finish(tf, ds.batch(batch or spec.batch_size))


def _finish(tf: Any, ds: Any) -> Any:
    options = tf.data.Options()
    options.deterministic = True
    options.experimental_distribute.auto_shard_policy = \
        tf.data.experimental.AutoShardPolicy.OFF  # each pipeline takes its slice itself
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def has_one_batch(tf: Any, spec: InputSpec) -> bool:
    """Whether the files hold at least one global batch (reads at most that many records)."""
    first = _records(tf, tf.constant(list(spec.files))).take(spec.batch_size)
    return int(first.reduce(0, plain(tf, lambda n, _: n + 1))) >= spec.batch_size


def locate_error(tf: Any, spec: InputSpec, exc: Exception,
                 seconds: float = LOCATE_SECONDS) -> DataError:
    """The :class:`DataError` behind a pipeline error: the first bad record, found by reading
    the files one record at a time (for at most ``seconds``)."""
    check = tf.function(lambda record: decode(tf, spec, record), autograph=False)
    deadline = time.monotonic() + seconds
    for path in spec.files:
        index = 0  # the record being read
        try:
            for record in tf.data.TFRecordDataset(path):
                check(record)
                index += 1
                if time.monotonic() > deadline:
                    return DataError(f"bad data in {', '.join(spec.files)}: {error_text(exc)}")
        except tf.errors.DataLossError as inner:
            return DataError(f"{path}: record {index}: corrupt TFRecord data "
                             f"({error_text(inner)})")
        except tf.errors.OpError as inner:
            return DataError(f"{path}: record {index}: {_explain(error_text(inner))}")
    return DataError(f"bad data in {', '.join(spec.files)}: {error_text(exc)}")


def _explain(text: str) -> str:
    """TensorFlow's decoding errors, said in the dataset's terms."""
    if "Could not parse example input" in text or "Feature:" in text or "Key:" in text:
        return f"not a TF-Slim image record ({text})"
    if "Unknown image file format" in text or "image" in text.lower() and "decode" in \
            text.lower():
        return f"image/encoded is not a JPEG, PNG, GIF or BMP image ({text})"
    return text


def first_record_check(tf: Any, spec: InputSpec) -> None:
    """Decode the first record of every file before anything is built: a clear early error
    for a wrong data set (raises :class:`DataError`)."""
    check = tf.function(lambda record: decode(tf, spec, record), autograph=False)
    for path in spec.files:
        try:
            for record in tf.data.TFRecordDataset(path).take(1):
                check(record)
        except tf.errors.DataLossError as exc:
            raise DataError(f"{path}: record 0: corrupt TFRecord data "
                            f"({error_text(exc)})") from None
        except tf.errors.OpError as exc:
            raise DataError(f"{path}: record 0: {_explain(error_text(exc))}") from None
