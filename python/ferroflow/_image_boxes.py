"""Image functions of Inception-style input pipelines: ``sample_distorted_bounding_box``
(TensorFlow's algorithm), ``crop_and_resize``, ``extract_jpeg_shape``,
``decode_and_crop_jpeg``, ``is_jpeg``, and the HSV conversions (composed of element-wise
ops, so they trace)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._array_ops import where
from ._composed_math import divide_no_nan
from ._dtypes import as_dtype, int32, uint8
from ._math import abs as abs_
from ._math import add, equal, maximum, minimum, multiply, subtract
from ._ops import _apply, _jpeg_options, apply_multi, cast, op_seed, seed_tensor, stack
from ._reduce import reduce_max, reduce_min
from ._spec import TensorSpec
from .errors import InvalidArgumentError


def _channels(image: Any) -> list[Any]:
    return [image[..., i] for i in range(3)]


def rgb_to_hsv(images: Any, name: str | None = None) -> Any:
    """Float RGB images (last dimension 3, values in [0, 1]) as hue, saturation and value,
    each in [0, 1], as TensorFlow's kernel computes them."""
    r, g, b = _channels(images)
    value = reduce_max(images, -1)
    spread = subtract(value, reduce_min(images, -1))
    saturation = where(value > 0, divide_no_nan(spread, value), multiply(value, 0.0))
    norm = divide_no_nan(1.0 / 6.0, spread)
    hue = where(
        equal(r, value),
        multiply(norm, subtract(g, b)),
        where(
            equal(g, value),
            add(multiply(norm, subtract(b, r)), 2.0 / 6.0),
            add(multiply(norm, subtract(r, g)), 4.0 / 6.0),
        ),
    )
    hue = where(spread > 0, hue, multiply(hue, 0.0))
    hue = where(hue < 0, add(hue, 1.0), hue)
    return stack([hue, saturation, value], axis=-1)


def hsv_to_rgb(images: Any, name: str | None = None) -> Any:
    """Float HSV images (last dimension 3) as RGB, as TensorFlow's kernel computes them."""
    h, s, v = _channels(images)
    dh = multiply(h, 6.0)

    def ramp(center: float, rising: bool) -> Any:
        distance = abs_(subtract(dh, center))
        raw = subtract(distance, 1.0) if rising else subtract(2.0, distance)
        return minimum(maximum(raw, 0.0), 1.0)

    weights = [ramp(3.0, True), ramp(2.0, False), ramp(4.0, False)]
    plain = subtract(1.0, s)
    return stack([multiply(add(plain, multiply(s, w)), v) for w in weights], axis=-1)


def crop_and_resize(
    image: Any,
    boxes: Any,
    box_indices: Any,
    crop_size: Any,
    method: str = "bilinear",
    extrapolation_value: float = 0.0,
    name: str | None = None,
) -> Any:
    """Boxes ``[y1, x1, y2, x2]`` (normalized) cut from images ``box_indices`` of the batch
    ``image`` and resampled to ``crop_size``, as float32 ``[boxes, height, width, channels]``;
    samples outside the image are ``extrapolation_value``."""
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"crop_and_resize: method must be bilinear or nearest, got {method!r}")
    height, width = (int(v) for v in np.asarray(crop_size).reshape(-1))
    attr = (height, width, method == "nearest", float(extrapolation_value))

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = s[0].shape.as_list() if s[0].shape.rank else [None] * 4
        count = s[1].shape.as_list()[0] if s[1].shape.rank else None
        return TensorSpec([count, height, width, dims[-1]], "float32")

    return _apply("crop_and_resize", [image, boxes, box_indices], attr, spec)


def extract_jpeg_shape(contents: Any, output_type: Any = int32, name: str | None = None) -> Any:
    """``[height, width, channels]`` of a JPEG, read from its headers without decoding."""
    to = as_dtype(output_type)
    return _apply("extract_jpeg_shape", [contents], to.name, lambda s: TensorSpec([3], to))


def is_jpeg(contents: Any, name: str | None = None) -> Any:
    """True when ``contents`` starts as a JPEG does."""
    from ._ops import substr

    return equal(substr(contents, 0, 3), b"\xff\xd8\xff")


def decode_and_crop_jpeg(
    contents: Any,
    crop_window: Any,
    channels: int = 0,
    ratio: int = 1,
    fancy_upscaling: bool = True,
    try_recover_truncated: bool = False,
    acceptable_fraction: float = 1,
    dct_method: str = "",
    name: str | None = None,
) -> Any:
    """The window ``[y, x, height, width]`` of a JPEG's pixels, as uint8 [height, width,
    channels] (0: the file's own); the pixels are those ``decode_jpeg`` with the same options
    then a crop gives (with ``ratio``, the window is in pixels of the scaled image). Only the
    window is converted to pixels: rows above it and columns beside it are read but not
    transformed, and a baseline JPEG is read only down to a little below the window. PNG, GIF
    or WebP data is decoded whole, then cropped."""
    channels = int(channels)
    if channels not in (0, 1, 3):
        raise InvalidArgumentError(f"channels must be 0, 1 or 3, got {channels}")

    def spec(specs: Any) -> TensorSpec:
        return TensorSpec([None, None, channels or None], uint8)

    attr = (channels, *_jpeg_options(dct_method, fancy_upscaling, ratio))
    return _apply("decode_and_crop_jpeg", [contents, crop_window], attr, spec)


def _sample_box(
    image_size: Any,
    bounding_boxes: Any,
    seed: Any,
    stateless: bool,
    min_object_covered: float,
    aspect_ratio_range: Any,
    area_range: Any,
    max_attempts: int,
    use_image_if_no_bounding_boxes: bool,
) -> tuple[Any, Any, Any]:
    low_ratio, high_ratio = (float(v) for v in aspect_ratio_range)
    low_area, high_area = (float(v) for v in area_range)
    options = (
        float(min_object_covered),
        (low_ratio, high_ratio),
        (low_area, high_area),
        int(max_attempts),
        bool(use_image_if_no_bounding_boxes),
    )
    specs = [
        TensorSpec([3], int32),
        TensorSpec([3], int32),
        TensorSpec([1, 1, 4], "float32"),
    ]
    inputs = [image_size, cast(bounding_boxes, "float32")]
    if stateless:
        inputs.append(seed_tensor(seed))
        attr = (*options, None)
    else:
        attr = (*options, op_seed(seed))
    begin, size, bbox = apply_multi("sample_crop_box", inputs, attr, lambda s: specs, 3, True)
    return begin, size, bbox


def sample_distorted_bounding_box(
    image_size: Any,
    bounding_boxes: Any,
    seed: int | None = None,
    min_object_covered: float = 0.1,
    aspect_ratio_range: Any = (0.75, 1.33),
    area_range: Any = (0.05, 1.0),
    max_attempts: int = 100,
    use_image_if_no_bounding_boxes: bool = False,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """A random crop for data augmentation, by TensorFlow's algorithm: up to
    ``max_attempts`` draws of an aspect ratio in ``aspect_ratio_range`` and an area in
    ``area_range`` (fractions of the image) until a crop covers at least
    ``min_object_covered`` of one of ``bounding_boxes`` ([batch, N, 4], normalized), else
    the whole image. Returns ``(begin, size, bboxes)`` for ``tf.slice``. Seeded as the other
    random ops: each call (and each element of a pipeline) draws anew, reproducibly with a
    seed. The draws are ferroflow's, not TensorFlow's."""
    return _sample_box(
        image_size,
        bounding_boxes,
        seed,
        False,
        min_object_covered,
        aspect_ratio_range,
        area_range,
        max_attempts,
        use_image_if_no_bounding_boxes,
    )


def stateless_sample_distorted_bounding_box(
    image_size: Any,
    bounding_boxes: Any,
    seed: Any,
    min_object_covered: float = 0.1,
    aspect_ratio_range: Any = (0.75, 1.33),
    area_range: Any = (0.05, 1.0),
    max_attempts: int = 100,
    use_image_if_no_bounding_boxes: bool = False,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """``sample_distorted_bounding_box`` drawn from the seed pair ``seed`` alone: the same
    seed gives the same crop."""
    return _sample_box(
        image_size,
        bounding_boxes,
        seed,
        True,
        min_object_covered,
        aspect_ratio_range,
        area_range,
        max_attempts,
        use_image_if_no_bounding_boxes,
    )
