"""TensorBoard summaries written with TensorFlow alone (TensorBoard need not be installed).

``tf.summary.scalar`` and ``histogram`` live in the tensorboard package; these write the same
records through core ``tf.summary.write`` with the plugin metadata TensorBoard reads.
"""

from __future__ import annotations

from typing import Any

HISTOGRAM_BUCKETS = 30


def _metadata(plugin: str) -> Any:
    from tensorflow.core.framework import summary_pb2

    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin))


def scalar(tf: Any, tag: str, value: Any) -> None:
    """A scalar at the default writer's step (as tf.summary.scalar)."""
    tf.summary.write(tag, tf.cast(value, tf.float32), metadata=_metadata("scalars"))


def histogram(tf: Any, tag: str, values: Any) -> None:
    """A histogram of ``values``: ``[buckets, 3]`` rows of (left edge, right edge, count)."""
    values = tf.reshape(tf.cast(values, tf.float64), [-1])
    low, high = tf.reduce_min(values), tf.reduce_max(values)
    high = tf.where(high > low, high, low + 1.0)
    counts = tf.histogram_fixed_width(values, tf.stack([low, high]), HISTOGRAM_BUCKETS)
    edges = tf.linspace(low, high, HISTOGRAM_BUCKETS + 1)
    rows = tf.stack([edges[:-1], edges[1:], tf.cast(counts, tf.float64)], axis=1)
    tf.summary.write(tag, rows, metadata=_metadata("histograms"))
