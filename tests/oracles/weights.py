"""Variable values that look trained: what numeric comparisons load into both sides.

TF-Slim's initial values would hide mistakes (zero biases and batch norm offsets, unit moving
variances make a folded or transposed parameter look right) and even change which kernels run
(grappler drops an addition of zeros), so the zoo tests, the export tests and the benchmarks
load these instead, by variable name.
"""

from __future__ import annotations

import numpy as np


def trained_like_values(shapes: dict[str, tuple], seed: int) -> dict[str, np.ndarray]:
    """A float32 value for every variable name (by its shape): He-scaled normal weights, and
    random biases, batch norm offsets, scales and moving statistics.

    >>> values = trained_like_values({"c/weights": (3, 3, 8, 4), "c/moving_variance": (4,)}, 0)
    >>> bool(values["c/weights"].std() < 0.5 < values["c/moving_variance"].min())
    True
    """
    rng = np.random.default_rng(seed)
    values = {}
    for name, shape in sorted(shapes.items()):
        leaf = name.rsplit("/", 1)[-1]
        if leaf in ("biases", "beta", "moving_mean"):
            value = rng.normal(0.0, 0.1, shape).astype(np.float32)
        elif leaf in ("gamma", "moving_variance"):
            value = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        else:  # weights [kh, kw, in, out] or [in, out]; depthwise weights [kh, kw, in, mult]
            fan_in = int(np.prod(shape[:2])) if leaf == "depthwise_weights" \
                else int(np.prod(shape[:-1]))
            # float32 throughout: VGG's fc6 alone is 400 MB, twice that as float64
            value = rng.standard_normal(shape, dtype=np.float32)
            value *= np.float32(np.sqrt(2.0 / max(fan_in, 1)))
        values[name] = value
    return values
