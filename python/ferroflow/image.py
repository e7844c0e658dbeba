"""``ferroflow.image``: the data-pipeline part of ``tf.image``. Each function runs a Rust
kernel, eagerly on numpy values or inside traced map functions; images are
[height, width, channels] or [batch, height, width, channels]."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _trace
from ._dtypes import as_dtype, float32
from ._image_boxes import (
    crop_and_resize,
    decode_and_crop_jpeg,
    extract_jpeg_shape,
    hsv_to_rgb,
    is_jpeg,
    rgb_to_hsv,
    sample_distorted_bounding_box,
    stateless_sample_distorted_bounding_box,
)
from ._math import floordiv, multiply, pow
from ._ops import (  # the codecs are tf.image names too
    _apply,
    _dims,
    cast,
    concat,
    decode_bmp,
    decode_gif,
    decode_image,
    decode_jpeg,
    decode_png,
    decode_webp,
    encode_jpeg,
    encode_png,
    random_op,
)
from ._ops import transpose as transpose_tensor
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


def _known_dims(images: Any) -> list[int | None] | None:
    """The dimensions of an image (traced or a value), None where tracing does not know."""
    shape = images.shape if _trace.is_symbol(images) else np.shape(images)
    return None if getattr(shape, "rank", 1) is None else list(shape)


def _aspect_preserving_size(images: Any, height: int, width: int) -> tuple[int, int]:
    """The largest size within [height, width] with the image's aspect ratio, computed in
    float32 and rounded half to even, as tf.image.resize does."""
    dims = _known_dims(images)
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


def _box(offset_height: Any, offset_width: Any, target_height: Any, target_width: Any) -> tuple:
    """A bounding box's four integers, checked as TensorFlow checks them."""
    box = (int(offset_height), int(offset_width), int(target_height), int(target_width))
    names = ("offset_height", "offset_width", "target_height", "target_width")
    for name, value in zip(names, box):
        if value < 0 or (name.startswith("target") and value == 0):
            raise ValueError(f"{name} must be {'>= 0' if name.startswith('offset') else '> 0'}")
    return box


def crop_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> Any:
    """The ``target_height`` x ``target_width`` window at (``offset_height``,
    ``offset_width``)."""
    attr = _box(offset_height, offset_width, target_height, target_width)
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
    return random_op("random_flip", [image], (False,), lambda s: s[0], seed, False)


def random_flip_up_down(image: Any, seed: int | None = None) -> Any:
    """Flips each image top to bottom with probability 1/2 (seeded as
    ``random_flip_left_right``)."""
    return random_op("random_flip", [image], (True,), lambda s: s[0], seed, False)


def _crop_size(size: Any) -> list[int]:
    dims = [int(d) for d in size]
    if len(dims) != 3:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError("random_crop takes size [height, width, channels]")
    return dims


def random_crop(value: Any, size: Any, seed: int | None = None, name: str | None = None) -> Any:
    """A window of ``size`` = [height, width, channels] at a random place of one image."""
    dims = _crop_size(size)
    spec = lambda s: TensorSpec(dims, s[0].dtype)  # noqa: E731
    return random_op("random_crop", [value], (dims[0], dims[1]), spec, seed, False)


def _random_adjust(
    kind: str, image: Any, lower: float, upper: float, seed: Any, stateless: bool = False
) -> Any:
    attr = (kind, float(lower), float(upper))
    return random_op("random_adjust", [image], attr, lambda s: s[0], seed, stateless)


def _check_range(lower: float, upper: float) -> None:
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")


def random_brightness(image: Any, max_delta: float, seed: int | None = None) -> Any:
    """``adjust_brightness`` by one random delta in [-max_delta, max_delta)."""
    if max_delta < 0:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError("max_delta must be non-negative")
    return _random_adjust("brightness", image, -max_delta, max_delta, seed)


def random_contrast(image: Any, lower: float, upper: float, seed: int | None = None) -> Any:
    """``adjust_contrast`` by one random factor in [lower, upper)."""
    _check_range(lower, upper)
    return _random_adjust("contrast", image, lower, upper, seed)


def random_saturation(image: Any, lower: float, upper: float, seed: int | None = None) -> Any:
    """``adjust_saturation`` by one random factor in [lower, upper)."""
    _check_range(lower, upper)
    return _random_adjust("saturation", image, lower, upper, seed)


def stateless_random_brightness(image: Any, max_delta: float, seed: Any) -> Any:
    """``adjust_brightness`` by a delta in [-max_delta, max_delta) drawn from ``seed`` (two
    integers) alone: the same seed gives the same result. The draws are ferroflow's own,
    not TensorFlow's Philox numbers."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return _random_adjust("brightness", image, -max_delta, max_delta, seed, True)


def stateless_random_contrast(image: Any, lower: float, upper: float, seed: Any) -> Any:
    """``adjust_contrast`` by a factor in [lower, upper) drawn from ``seed`` alone."""
    _check_range(lower, upper)
    return _random_adjust("contrast", image, lower, upper, seed, True)


def stateless_random_saturation(image: Any, lower: float, upper: float, seed: Any) -> Any:
    """``adjust_saturation`` by a factor in [lower, upper) drawn from ``seed`` alone."""
    _check_range(lower, upper)
    return _random_adjust("saturation", image, lower, upper, seed, True)


def stateless_random_flip_left_right(image: Any, seed: Any) -> Any:
    """Flips each image left to right with probability 1/2, drawn from ``seed`` alone."""
    return random_op("random_flip", [image], (False,), lambda s: s[0], seed, True)


def stateless_random_flip_up_down(image: Any, seed: Any) -> Any:
    """Flips each image top to bottom with probability 1/2, drawn from ``seed`` alone."""
    return random_op("random_flip", [image], (True,), lambda s: s[0], seed, True)


def stateless_random_crop(value: Any, size: Any, seed: Any, name: str | None = None) -> Any:
    """A window of ``size`` = [height, width, channels] of one image, placed by ``seed``
    alone."""
    dims = _crop_size(size)
    spec = lambda s: TensorSpec(dims, s[0].dtype)  # noqa: E731
    return random_op("random_crop", [value], (dims[0], dims[1]), spec, seed, True)


def _adjust(kind: str, image: Any, amount: float) -> Any:
    return _apply("adjust", [image], (kind, float(amount)), lambda s: s[0])


def adjust_brightness(image: Any, delta: float) -> Any:
    """Adds ``delta`` to every value; integer images are adjusted in [0, 1] and converted
    back with saturation, as ``tf.image.adjust_brightness``."""
    return _adjust("brightness", image, delta)


def adjust_contrast(images: Any, contrast_factor: float) -> Any:
    """Moves each channel away from its mean over the image:
    ``(x - mean) * contrast_factor + mean`` (integer images in [0, 1], as TensorFlow)."""
    return _adjust("contrast", images, contrast_factor)


def adjust_saturation(image: Any, saturation_factor: float, name: str | None = None) -> Any:
    """Scales the HSV saturation of RGB images by ``saturation_factor`` (clamped to [0, 1]),
    with TensorFlow's float arithmetic."""
    return _adjust("saturation", image, saturation_factor)


def adjust_hue(image: Any, delta: float, name: str | None = None) -> Any:
    """Turns the hue of RGB images by ``delta`` (in [-1, 1], a fraction of the colour
    circle), with TensorFlow's AdjustHue arithmetic; integer images in [0, 1]."""
    if not -1.0 <= delta <= 1.0:
        raise ValueError("delta must be in the interval [-1, 1]")
    return _adjust("hue", image, delta)


def _check_hue_delta(max_delta: float) -> None:
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")


def random_hue(image: Any, max_delta: float, seed: int | None = None) -> Any:
    """``adjust_hue`` by one random delta in [-max_delta, max_delta) (``max_delta`` <= 0.5)."""
    _check_hue_delta(max_delta)
    return _random_adjust("hue", image, -max_delta, max_delta, seed)


def stateless_random_hue(image: Any, max_delta: float, seed: Any) -> Any:
    """``adjust_hue`` by a delta in [-max_delta, max_delta) drawn from ``seed`` alone."""
    _check_hue_delta(max_delta)
    return _random_adjust("hue", image, -max_delta, max_delta, seed, True)


def adjust_gamma(image: Any, gamma: float = 1, gain: float = 1) -> Any:
    """``gain * image ** gamma`` on the image in [0, 1] (float16/32 images as they are),
    converted back to its dtype with saturation, as ``tf.image.adjust_gamma``."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number.")
    src = image.dtype if _trace.is_symbol(image) else as_dtype(np.asarray(image).dtype)
    flt = image if src.name in ("float16", "float32") else convert_image_dtype(image, float32)
    adjusted = multiply(pow(flt, float(gamma)), float(gain))
    return convert_image_dtype(adjusted, src, saturate=True)


def rgb_to_grayscale(images: Any, name: str | None = None) -> Any:
    """RGB images as one channel of luma (weights 0.2989, 0.587, 0.114), of their dtype."""

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        return TensorSpec(None if dims is None else [*dims[:-1], 1], s[0].dtype)

    return _apply("rgb_to_grayscale", [images], None, spec)


def grayscale_to_rgb(images: Any, name: str | None = None) -> Any:
    """One-channel images with the channel repeated three times."""
    dims = _known_dims(images)
    if dims is not None and (not dims or dims[-1] not in (1, None)):
        raise ValueError("Last dimension of a grayscale image should be size 1.")
    return concat([images, images, images], -1)


def flip_up_down(image: Any) -> Any:
    """Mirrors the image(s) top to bottom."""
    return _apply("flip_up_down", [image], None, lambda s: s[0])


def transpose(image: Any, name: str | None = None) -> Any:
    """Swaps the height and width of the image(s)."""
    dims = _known_dims(image)
    rank = None if dims is None else len(dims)
    if rank not in (3, 4):
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(f"transpose takes images of rank 3 or 4, not {rank}")
    return transpose_tensor(image, [1, 0, 2] if rank == 3 else [0, 2, 1, 3])


def rot90(image: Any, k: int = 1, name: str | None = None) -> Any:
    """The image(s) rotated ``k`` quarter turns counter-clockwise."""
    turns = int(k) % 4
    if turns == 1:
        return transpose(flip_left_right(image))
    if turns == 2:
        return flip_up_down(flip_left_right(image))
    if turns == 3:
        return flip_left_right(transpose(image))
    return image


def pad_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> Any:
    """The image(s) placed at (``offset_height``, ``offset_width``) of zero images of
    ``target_height`` x ``target_width``."""
    attr = _box(offset_height, offset_width, target_height, target_width)
    return _apply("pad", [image], attr, lambda s: _image_spec(s[0], attr[2], attr[3]))


def _static_size(image: Any, op: str) -> tuple[int, int]:
    """The height and width of an image or batch, which ``op`` needs to know in advance."""
    dims = _known_dims(image)
    if dims is None or len(dims) not in (3, 4) or dims[-3] is None or dims[-2] is None:
        if _trace.is_symbol(image):
            raise _trace.TraceUnsupported(f"{op} of an image of unknown size")
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(f"{op} takes images, got shape {dims}")
    return int(dims[-3]), int(dims[-2])


def resize_with_crop_or_pad(image: Any, target_height: int, target_width: int) -> Any:
    """Crops or zero-pads the image(s), centred, to ``target_height`` x ``target_width``
    (no resampling); the height and width must be known when tracing."""
    height, width = _static_size(image, "resize_with_crop_or_pad")
    target_height, target_width = int(target_height), int(target_width)
    cropped = crop_to_bounding_box(
        image,
        max((height - target_height) // 2, 0),
        max((width - target_width) // 2, 0),
        min(target_height, height),
        min(target_width, width),
    )
    return pad_to_bounding_box(
        cropped,
        max((target_height - height) // 2, 0),
        max((target_width - width) // 2, 0),
        target_height,
        target_width,
    )


def resize_with_pad(
    image: Any,
    target_height: int,
    target_width: int,
    method: str = ResizeMethod.BILINEAR,
    antialias: bool = False,
) -> Any:
    """Resizes the image(s) to fit ``target_height`` x ``target_width`` keeping their aspect
    ratio, then zero-pads them, centred, to that size; sizes computed in float32 as
    ``tf.image.resize_with_pad`` does. The height and width must be known when tracing."""
    f32 = np.float32
    height, width = (f32(d) for d in _static_size(image, "resize_with_pad"))
    target_h, target_w = f32(target_height), f32(target_width)
    ratio = max(width / target_w, height / target_h)
    resized_h, resized_w = height / ratio, width / ratio
    top = max(0, int(np.floor((target_h - resized_h) / f32(2))))
    left = max(0, int(np.floor((target_w - resized_w) / f32(2))))
    resized = resize(
        image, [int(np.floor(resized_h)), int(np.floor(resized_w))], method, False, antialias
    )
    return pad_to_bounding_box(resized, top, left, int(target_height), int(target_width))


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
            ratio = np.asarray((src.max + 1) // (to.max + 1), dtype=src.as_numpy_dtype)
            return cast(floordiv(image, ratio), to)
        widen = np.asarray((to.max + 1) // (src.max + 1), dtype=to.as_numpy_dtype)
        return cast(image, to) * widen
    return cast(image, to)


__all__ = [
    "ResizeMethod",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_hue",
    "adjust_saturation",
    "central_crop",
    "convert_image_dtype",
    "crop_and_resize",
    "crop_to_bounding_box",
    "decode_and_crop_jpeg",
    "decode_bmp",
    "decode_gif",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "decode_webp",
    "encode_jpeg",
    "encode_png",
    "extract_jpeg_shape",
    "flip_left_right",
    "flip_up_down",
    "grayscale_to_rgb",
    "hsv_to_rgb",
    "is_jpeg",
    "pad_to_bounding_box",
    "per_image_standardization",
    "random_brightness",
    "random_contrast",
    "random_crop",
    "random_flip_left_right",
    "random_flip_up_down",
    "random_hue",
    "random_saturation",
    "resize",
    "resize_with_crop_or_pad",
    "resize_with_pad",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "rot90",
    "sample_distorted_bounding_box",
    "stateless_random_brightness",
    "stateless_random_contrast",
    "stateless_random_crop",
    "stateless_random_flip_left_right",
    "stateless_random_flip_up_down",
    "stateless_random_hue",
    "stateless_random_saturation",
    "stateless_sample_distorted_bounding_box",
    "transpose",
]
