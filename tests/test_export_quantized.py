"""Dynamic-range quantization (``slimc export --format tflite --quantize dynamic``) keeps the
top-1 prediction on a fixed batch of real images: the issue's "top-1 agreement >= 99%".

tests/test_export_zoo.py checks quantization with trained-like random weights, whose logits are
near-tied (a top-1 margin smaller than the int8 error), so there top-1 is only compared on the
examples with a clear lead. Here the networks keep TF-Slim's default initializers (Xavier
weights, zero biases, batch norm at mean 0 and variance 1, seeded) and see scikit-learn's
bundled digits (offline), upscaled to the network's input: every example's top-1 margin is
several times the largest change that quantization makes to its logits (asserted, so the
agreement cannot pass on near-ties), and top-1 must agree on at least 99% of the batch.

What it shows, and what not: an untrained network's prediction is dominated by what it does to
any input, so lenet gives two classes across the batch and inception_v1 one. The test guards
against a quantized file that moves the logits by more than the margins (wrong weights baked
in, a broken scale), not the accuracy of a trained classifier.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from oracles.zoo import compile_at_size

from slimdsl.backends.tensorflow.train.digits import load_digits

MODELS = Path(__file__).resolve().parent.parent / "models"
BATCH = 64
AGREEMENT = 0.99
#: Each example's float top-1 margin must exceed this many times its largest quantization error.
MARGIN_OVER_ERROR = 2.0


def _digits(shape) -> np.ndarray:
    """The first BATCH digits, bilinearly upscaled to [height, width], grey repeated over the
    channels, scaled to [-1, 1] (TF-Slim's Inception preprocessing range)."""
    import tensorflow as tf

    images = load_digits()[0][:BATCH, ..., None].astype(np.float32) / 16.0
    height, width, channels = shape
    x = tf.image.resize(images, [height, width], "bilinear").numpy()
    return np.repeat(x, channels, axis=-1) * 2.0 - 1.0


def _quantized_and_float(tf, name: str, seed: int = 0):
    from slimdsl.backends.tensorflow.export import formats, runtimes
    from slimdsl.backends.tensorflow.export.build import ExportModel

    tf.random.set_seed(seed)  # TF-Slim's initializers, drawn the same way on every run
    em = ExportModel(tf, compile_at_size(str(MODELS / f"{name}.slim")))
    port = em.graph.inputs[0]
    x = _digits(port.tensor.shape[1:4])
    want = em.model(tf.constant(x), training=False)[0].numpy().reshape(BATCH, -1)
    got = runtimes.run_tflite(tf, formats.tflite_bytes(em, optimize=False, quantize="dynamic"),
                              {port.name: x})
    return next(iter(got.values())).reshape(BATCH, -1), want


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lenet", "inception_v1"])
def test_dynamic_quantization_keeps_the_top1_of_real_images(tf, name):
    got, want = _quantized_and_float(tf, name)
    agreement = float(np.mean(got.argmax(-1) == want.argmax(-1)))
    assert agreement >= AGREEMENT, f"{name}: top-1 agreement {agreement:.1%} of {BATCH}"
    ranked = np.sort(want, axis=-1)
    margin = ranked[:, -1] - ranked[:, -2]
    error = np.abs(got - want).max(axis=-1)
    assert np.all(margin > MARGIN_OVER_ERROR * error), (
        f"{name}: the quantization moves logits by more than half the top-1 margin, or the "
        f"logits are near-tied (then agreement measures nothing): smallest margin / error "
        f"{np.min(margin / error):.2f}")
