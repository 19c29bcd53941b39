"""Parameters and FLOPs of the N-d convolutions and pools, the normalizers and TF-Slim's less
common layers, worked out by hand from docs/language.md's FLOPs table (per example, inference).

The variables themselves (names, shapes) are compared with real tf_slim in
test_shapes_tf_more.py; here the counts the summary and ``--max-flops`` report are pinned.
"""

from __future__ import annotations

import pytest

from slimdsl.api import compile_source

VIDEO = """\
model m {
  input x: [?, 4, 8, 8, 3]
  conv3d(4, [1, 3, 3], stride=[1, 2, 2])
  conv3d_transpose(5, 3, stride=2, normalizer_fn=group_norm, normalizer_params={groups: 5})
  max_pool3d(2)
  avg_pool3d([1, 2, 2], stride=1, padding="SAME")
  instance_norm()
  gdn()
  layer_norm(center=false)
  group_norm(groups=5)
  s = model_variable("scale", [5])
}
"""
# out [4, 4, 4, 4] = 256 elements; then [8, 8, 8, 5] = 2560; then [4, 4, 4, 5] = 320
VIDEO_COUNTS = [
    ("conv3d", 3 * 3 * 3 * 4 + 4, 2 * 256 * (3 * 3 * 3) + 256),
    # every input element (256 = 4x4x4 positions x 4 channels) through a 3x3x3 kernel to 5
    # outputs; group_norm instead of biases: 6 per element, beta and gamma
    ("conv3d_transpose", 27 * 5 * 4 + 5 + 5, 2 * 256 * 27 * 5 + 6 * 2560),
    ("max_pool3d", 0, 320 * 2 * 2 * 2),
    ("avg_pool3d", 0, 320 * 1 * 2 * 2),
    ("instance_norm", 5 + 5, 6 * 320),
    ("gdn", 5 + 5 * 5, 320 * (2 * 5 + 3)),
    ("layer_norm", 5, 6 * 320),
    ("group_norm", 5 + 5, 6 * 320),
    ("model_variable", 5, 0),
]

SEQUENCE = """\
model m {
  input x: [?, 10, 3]
  conv1d(4, 3, stride=2)
  convolution(6, 2, padding="VALID", normalizer_fn=batch_norm)
  pool(2, "AVG", stride=2)
  maxout(3)
  linear(7)
}
"""
# [5, 4] = 20 elements; VALID k=2: [4, 6] = 24; pooled [2, 6]; maxout [2, 3]; linear [2, 7]
SEQUENCE_COUNTS = [
    ("conv1d", 3 * 3 * 4 + 4, 2 * 20 * 3 * 3 + 20),
    # batch_norm (center, no scale): beta and the two moving statistics; 2 per element
    ("convolution", 2 * 4 * 6 + 6 + 6 + 6, 2 * 24 * 2 * 4 + 2 * 24),
    ("pool", 0, 12 * 2),
    ("maxout", 0, 2 * 6),
    ("linear", 3 * 7 + 7, 2 * 14 * 3 + 14),
]

IMAGES = """\
model m {
  input x: [?, 6, 8, 4]
  scale_gradient(0.5)
  images_to_sequence()
  sequence_to_images(6)
  pool(3, "MAX", dilation_rate=2)
  spatial_softmax()
}
"""
# the sequences reshape [?, 6, 8, 4] and back; a dilated 3x3 window spans 5x5: VALID gives
# [2, 4, 4] = 32 elements, 9 compared each
IMAGES_COUNTS = [
    ("scale_gradient", 0, 0),
    ("images_to_sequence", 0, 0),
    ("sequence_to_images", 0, 0),
    ("pool", 0, 32 * 9),
    ("spatial_softmax", 1, 5 * 32),  # the temperature is a variable
]


@pytest.mark.parametrize("source,expected", [(VIDEO, VIDEO_COUNTS),
                                             (SEQUENCE, SEQUENCE_COUNTS),
                                             (IMAGES, IMAGES_COUNTS)],
                         ids=["video", "sequence", "images"])
def test_parameters_and_flops_of_the_new_layers(source, expected):
    graph = compile_source(source)
    got = [(n.kind, n.params, n.flops) for n in graph.nodes]
    assert got == expected
    assert graph.total_params == sum(p for _, p, _ in expected)
    assert graph.flops == sum(f for _, _, f in expected)
    # the only variables that are not trainable: batch_norm's two moving statistics
    moving = 2 * 6 if "batch_norm" in source else 0
    assert graph.trainable_params == graph.total_params - moving
