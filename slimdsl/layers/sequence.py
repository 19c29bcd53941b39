"""Images to sequences and back: ``images_to_sequence`` ([N, H, W, C] -> [W, N*H, C]) and
``sequence_to_images`` ([T, N*height, D] -> [N, height, T, D]), TF-Slim's reshapes for running a
recurrent layer along an image's width."""

from __future__ import annotations

from typing import Any

from . import feature_shapes as fs
from .base import COLLECT, Arg, LayerKind
from .shapes import Shape


def _images_to_sequence(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return fs.images_to_sequence(ins[0])


def _sequence_to_images(ins: list[Shape], a: dict[str, Any]) -> Shape:
    return fs.sequence_to_images(ins[0], a["height"],
                                 a["output_data_format"] == "channels_first")


KINDS = [
    LayerKind(
        "images_to_sequence", "[N, H, W, C] -> [W, N*H, C]: out[w, n*H + h] = x[n, h, w] "
        "(W and C must be known).",
        (Arg("data_format", "data-format", "NHWC"), COLLECT), _images_to_sequence,
        default_scope="ImagesToSequence", func_name="images_to_sequence", scope_kind="name",
        tf_name="slim.images_to_sequence", category="reshape", input_dtypes=None),
    LayerKind(
        "sequence_to_images", "[T, N*height, D] -> [N, height, T, D] (channels_first: "
        "[N, D, height, T]), the inverse of images_to_sequence.",
        (Arg("height", "int"), Arg("output_data_format", "keras-format", "channels_last"),
         COLLECT), _sequence_to_images,
        default_scope="SequenceToImages", func_name="sequence_to_images", scope_kind="name",
        tf_name="slim.sequence_to_images", category="reshape", input_dtypes=None),
]
