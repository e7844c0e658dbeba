"""``ferroflow.image``: the data-pipeline part of ``tf.image``. Each function runs a Rust
kernel, eagerly on numpy values or inside traced map functions; images are
[height, width, channels] or [batch, height, width, channels]."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _trace
from ._dtypes import as_dtype, float32
from ._ops import _apply, _dims, cast, op_seed
from ._spec import TensorSpec


class ResizeMethod:
    """The names ``resize`` takes, as ``tf.image.ResizeMethod``."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    AREA = "area"
    BICUBIC = "bicubic"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


def _aspect_preserving_size(images: Any, height: int, width: int) -> tuple[int, int]:
    """The largest size within [height, width] with the image's aspect ratio, computed in
    float32 and rounded half to even, as tf.image.resize does."""
    shape = images.shape if hasattr(images, "shape") else np.shape(images)
    dims = list(shape) if shape is not None and getattr(shape, "rank", 1) is not None else None
    if dims is None or len(dims) < 3 or dims[-3] is None or dims[-2] is None:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(
            "resize(preserve_aspect_ratio=True) needs the image's height and width to be known"
        )
    current_h, current_w = np.float32(dims[-3]), np.float32(dims[-2])
    factor = min(np.float32(height) / current_h, np.float32(width) / current_w)
    return int(np.round(factor * current_h)), int(np.round(factor * current_w))


def _image_spec(spec: TensorSpec, height: Any, width: Any, dtype: Any = None) -> TensorSpec:
    dims = _dims(spec)
    dtype = spec.dtype if dtype is None else dtype
    if dims is None:
        return TensorSpec(None, dtype)
    return TensorSpec([*dims[:-3], height, width, dims[-1]], dtype)


def resize(
    images: Any,
    size: Any,
    method: str = ResizeMethod.BILINEAR,
    preserve_aspect_ratio: bool = False,
    antialias: bool = False,
    name: str | None = None,
) -> Any:
    """Resizes to ``size`` = [height, width] as TensorFlow 2 does (half-pixel centres; Keys
    cubic for bicubic): float32 output, the input dtype for nearest neighbour. ``antialias``
    stretches the kernel when shrinking (bilinear, bicubic and the kernel methods
    ``lanczos3``, ``lanczos5``, ``gaussian``, ``mitchellcubic``; nearest and area ignore it,
    as in TensorFlow). ``preserve_aspect_ratio`` shrinks ``size`` to the image's aspect ratio
    (its height and width must be known)."""
    height, width = (int(d) for d in size)
    method = getattr(method, "value", method)
    if preserve_aspect_ratio:
        height, width = _aspect_preserving_size(images, height, width)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        return _image_spec(s[0], height, width, None if method == "nearest" else float32)

    return _apply("resize", [images], (height, width, str(method), bool(antialias)), spec)


def flip_left_right(image: Any) -> Any:
    """Mirrors the image(s) left to right."""
    return _apply("flip_left_right", [image], None, lambda s: s[0])


def crop_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> Any:
    """The ``target_height`` x ``target_width`` window at (``offset_height``,
    ``offset_width``)."""
    attr = (int(offset_height), int(offset_width), int(target_height), int(target_width))
    return _apply("crop", [image], attr, lambda s: _image_spec(s[0], attr[2], attr[3]))


def central_crop(image: Any, central_fraction: float) -> Any:
    """The central ``central_fraction`` of the image(s), rounded as TensorFlow rounds."""

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        if dims is None or dims[-3] is None or dims[-2] is None:
            return _image_spec(s[0], None, None)
        h, w = dims[-3], dims[-2]
        if central_fraction == 1:
            return s[0]
        offset = int(1 / ((1 - central_fraction) / 2.0))
        return _image_spec(s[0], h - 2 * (h // offset), w - 2 * (w // offset))

    return _apply("central_crop", [image], float(central_fraction), spec)


def per_image_standardization(image: Any) -> Any:
    """Each image scaled to zero mean and unit variance, as float32:
    ``(x - mean) / max(stddev, 1 / sqrt(number of values))``."""
    return _apply(
        "per_image_standardization", [image], None, lambda s: TensorSpec(s[0].shape, float32)
    )


def random_flip_left_right(image: Any, seed: int | None = None) -> Any:
    """Flips each image left to right with probability 1/2. With a seed (or
    ``ff.random.set_seed``) the choices are reproducible, whichever worker runs an element."""
    return _apply("random_flip_left_right", [image], op_seed(seed), lambda s: s[0], True)


def random_crop(value: Any, size: Any, seed: int | None = None, name: str | None = None) -> Any:
    """A window of ``size`` = [height, width, channels] at a random place of one image."""
    dims = [int(d) for d in size]
    if len(dims) != 3:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError("random_crop takes size [height, width, channels]")
    return _apply(
        "random_crop",
        [value],
        (dims[0], dims[1], op_seed(seed)),
        lambda s: TensorSpec(dims, s[0].dtype),
        True,
    )


def random_brightness(image: Any, max_delta: float, seed: int | None = None) -> Any:
    """Adds one random delta in [-max_delta, max_delta) to the image."""
    if max_delta < 0:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError("max_delta must be non-negative")
    return _apply(
        "random_brightness", [image], (float(max_delta), op_seed(seed)), lambda s: s[0], True
    )


def convert_image_dtype(image: Any, dtype: Any, saturate: bool = False, name: str | None = None):
    """Converts between integer and float images, scaling as TensorFlow does (integers map
    to [0, 1]: uint8 255 becomes 1.0)."""
    to = as_dtype(dtype)
    src = image.dtype if _trace.is_symbol(image) else as_dtype(np.asarray(image).dtype)
    if src == to:
        return image
    if src.is_integer and to.is_floating:
        return cast(image, to) * np.asarray(1.0 / float(src.max), dtype=to.as_numpy_dtype)
    if src.is_floating and to.is_integer:
        scaled = image * np.asarray(float(to.max) + 0.5, dtype=src.as_numpy_dtype)
        return cast(scaled, to)
    if src.is_integer and to.is_integer:
        # Integer ranges are powers of two: widening multiplies by the ratio of the ranges,
        # narrowing floor-divides by it (uint8 255 <-> uint16 65280).
        if src.max > to.max:
            if _trace.is_symbol(image):
                raise _trace.TraceUnsupported("narrowing integer image conversions")
            return cast(np.floor_divide(np.asarray(image), (src.max + 1) // (to.max + 1)), to)
        widen = np.asarray((to.max + 1) // (src.max + 1), dtype=to.as_numpy_dtype)
        return cast(image, to) * widen
    return cast(image, to)


__all__ = [
    "ResizeMethod",
    "central_crop",
    "convert_image_dtype",
    "crop_to_bounding_box",
    "flip_left_right",
    "per_image_standardization",
    "random_brightness",
    "random_crop",
    "random_flip_left_right",
    "resize",
]
