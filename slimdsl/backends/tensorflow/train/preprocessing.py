"""TF-Slim's image preprocessing choices, by the names of its ``preprocessing_factory``.

Each function takes one decoded image (uint8, ``[h, w, c]``), the model's input height and
width, whether it is training, and a stateless seed (``[2]`` int64) from which every random
choice is drawn. The seed is derived from the run's ``--seed``, the epoch and the example's
position in the epoch, so a resumed run augments each example exactly as an uninterrupted run
would. Every function returns a float32 image of exactly ``[height, width, c]``.

- ``lenet``: crop or pad to the size, then ``(x - 128) / 128`` (training and evaluation alike).
- ``inception``: training takes a random crop covering 5-100% of the image with an aspect ratio
  of 3/4 to 4/3 (TF-Slim's ``distorted_bounding_box_crop``), resizes it, flips it left-right at
  random and distorts brightness and saturation (3-channel images); evaluation takes the central
  87.5% and resizes it. Both scale to [-1, 1].
- ``vgg``: training resizes the smaller side to a random length in [256, 512] (scaled by
  ``height / 224`` for other input sizes), takes a random crop and flips at random; evaluation
  resizes the smaller side to 256 (scaled alike) and takes the central crop. Both subtract
  ImageNet's per-channel means.
- ``cifarnet``: training pads by 4, takes a random crop, flips at random, varies brightness and
  contrast; evaluation crops or pads to the size. Both standardize each image.
- ``resize``: resize to the size and scale to [-1, 1], nothing random (slimc's own choice, the
  default for models TF-Slim's factory does not know).
- ``none``: the images must already have the model's size; scaled to [-1, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

#: ImageNet's per-channel means (RGB), as vgg_preprocessing subtracts them.
VGG_MEANS = (123.68, 116.78, 103.94)

#: TF-Slim's preprocessing_factory: the preprocessing of a model, by its name's prefix.
BY_MODEL = (
    ("lenet", "lenet"), ("cifarnet", "cifarnet"), ("inception", "inception"),
    ("mobilenet", "inception"), ("nasnet", "inception"), ("pnasnet", "inception"),
    ("vgg", "vgg"), ("resnet", "vgg"),
)


def default_for(model_name: str) -> str:
    """The preprocessing TF-Slim's factory uses for ``model_name`` (``resize`` if none)."""
    lowered = model_name.lower()
    for prefix, name in BY_MODEL:
        if lowered.startswith(prefix):
            return name
    return "resize"


def _seeds(tf: Any, seed: Any, count: int) -> list[Any]:
    """``count`` independent stateless seeds from one."""
    return list(tf.unstack(tf.random.experimental.stateless_split(seed, count)))


def _to_unit(tf: Any, image: Any) -> Any:
    return tf.image.convert_image_dtype(image, tf.float32)  # uint8 -> [0, 1]


def lenet(tf: Any, image: Any, height: int, width: int, training: bool, seed: Any) -> Any:
    image = tf.cast(image, tf.float32)
    image = tf.image.resize_with_crop_or_pad(image, height, width)
    return (image - 128.0) / 128.0


def inception(tf: Any, image: Any, height: int, width: int, training: bool, seed: Any) -> Any:
    image = _to_unit(tf, image)
    if not training:
        image = tf.image.central_crop(image, central_fraction=0.875)
        image = tf.image.resize(image, [height, width], "bilinear")
    else:
        crop_seed, flip_seed, color_seed = _seeds(tf, seed, 3)
        begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
            tf.shape(image), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
            seed=crop_seed, min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
            area_range=(0.05, 1.0), max_attempts=100, use_image_if_no_bounding_boxes=True)
        image = tf.slice(image, begin, size)
        image = tf.image.resize(image, [height, width], "bilinear")
        image = tf.image.stateless_random_flip_left_right(image, flip_seed)
        if image.shape[-1] == 3:  # TF-Slim's fast-mode colour distortion
            brightness, saturation = _seeds(tf, color_seed, 2)
            image = tf.image.stateless_random_brightness(image, 32.0 / 255.0, brightness)
            image = tf.image.stateless_random_saturation(image, 0.5, 1.5, saturation)
        image = tf.clip_by_value(image, 0.0, 1.0)
    return (image - 0.5) * 2.0


def _resize_smaller_side(tf: Any, image: Any, side: Any) -> Any:
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.cast(side, tf.float32) / tf.reduce_min(shape)
    new = tf.cast(tf.math.round(shape * scale), tf.int32)
    return tf.image.resize(image, new, "bilinear")


def vgg(tf: Any, image: Any, height: int, width: int, training: bool, seed: Any) -> Any:
    image = tf.cast(image, tf.float32)
    channels = image.shape[-1]
    scale = height / 224.0
    side_min, side_max = math.ceil(256 * scale), math.ceil(512 * scale)
    if training:
        side_seed, crop_seed, flip_seed = _seeds(tf, seed, 3)
        side = tf.random.stateless_uniform([], side_seed, side_min, side_max + 1, tf.int32)
        image = _resize_smaller_side(tf, image, side)
        image = tf.image.stateless_random_crop(image, [height, width, channels], crop_seed)
        image = tf.image.stateless_random_flip_left_right(image, flip_seed)
    else:
        image = _resize_smaller_side(tf, image, side_min)
        image = tf.image.resize_with_crop_or_pad(image, height, width)
    means = VGG_MEANS if channels == 3 else (sum(VGG_MEANS) / 3.0,) * channels
    return image - tf.constant(means, tf.float32)


def cifarnet(tf: Any, image: Any, height: int, width: int, training: bool, seed: Any) -> Any:
    image = tf.cast(image, tf.float32)
    if training:
        crop_seed, flip_seed, brightness, contrast = _seeds(tf, seed, 4)
        image = tf.pad(image, [[4, 4], [4, 4], [0, 0]])
        image = tf.image.stateless_random_crop(image, [height, width, image.shape[-1]],
                                               crop_seed)
        image = tf.image.stateless_random_flip_left_right(image, flip_seed)
        image = tf.image.stateless_random_brightness(image, 63.0, brightness)
        image = tf.image.stateless_random_contrast(image, 0.2, 1.8, contrast)
    else:
        image = tf.image.resize_with_crop_or_pad(image, height, width)
    return tf.image.per_image_standardization(image)


def resize(tf: Any, image: Any, height: int, width: int, training: bool, seed: Any) -> Any:
    image = tf.image.resize(_to_unit(tf, image), [height, width], "bilinear")
    return (image - 0.5) * 2.0


def none(tf: Any, image: Any, height: int, width: int, training: bool, seed: Any) -> Any:
    return (_to_unit(tf, image) - 0.5) * 2.0


PREPROCESSING: dict[str, Callable[..., Any]] = {
    "lenet": lenet, "inception": inception, "vgg": vgg, "cifarnet": cifarnet,
    "resize": resize, "none": none,
}
