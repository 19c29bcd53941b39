"""The zoo at TF-Slim's image size.

A fully convolutional network of the zoo declares named sizes (``input inputs: [?, H, W, 3]``:
resnet_v1/v2); the comparisons with TF-Slim, the export checks and the benchmarks run it at
TF-Slim's ``default_image_size`` (224) by giving that input shape, as ``--input`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slimdsl.api import compile_file

TF_SLIM_SIZE = 224
#: Networks measured at another size: cyclegan_generator_resnet has no default_image_size, and
#: its reference data (tests/data/nets/) is built at 256x256.
REFERENCE_SIZES = {"cyclegan_generator_resnet": 256}


def named_size_inputs(graph) -> list:
    """The inputs of ``graph`` whose height or width is a named size (H, W)."""
    return [p for p in graph.inputs if any(not isinstance(d, int) for d in p.tensor.shape[1:3])]


def compile_at_size(path: str, size: int | None = None, **kwargs: Any):
    """The graph of the model of ``path``, with every input whose height or width is a named
    size given as ``[batch, size, size, ...]`` (the batch stays as declared); ``size`` defaults
    to the network's TF-Slim size (224, or its :data:`REFERENCE_SIZES` entry)."""
    if size is None:
        size = REFERENCE_SIZES.get(Path(path).stem, TF_SLIM_SIZE)
    graph = compile_file(path, **kwargs)
    given = {p.name: (p.tensor.shape[0], size, size, *p.tensor.shape[3:])
             for p in named_size_inputs(graph)}
    return compile_file(path, inputs=given, **kwargs) if given else graph
