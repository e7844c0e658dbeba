"""``tf.compat.v1`` for input code written for TensorFlow 1: its image resizing (with TF1's
``align_corners`` and corner-aligned grid, which differ from TF2's half-pixel centres by up
to 186 levels on noisy images), one-shot iterators, and the parsing names it kept at the
top level."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .. import _nest
from .._dtypes import float32
from .._ops import _apply
from .._spec import TensorSpec
from ..data import Dataset
from ..image import _image_spec
from ..io import (
    FixedLenFeature,
    FixedLenSequenceFeature,
    VarLenFeature,
    parse_example,
    parse_single_example,
)


def _grid(align_corners: bool, half_pixel_centers: bool) -> str:
    if align_corners and half_pixel_centers:
        raise ValueError("If half_pixel_centers is True, align_corners must be False.")
    if half_pixel_centers:
        return "half_pixel"
    return "align_corners" if align_corners else "asymmetric"


def _resize(images: Any, size: Any, nearest: bool, grid: str) -> Any:
    height, width = (int(d) for d in size)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        return _image_spec(s[0], height, width, None if nearest else float32)

    return _apply("resize_v1", [images], (height, width, nearest, grid), spec)


def resize_bilinear(
    images: Any,
    size: Any,
    align_corners: bool = False,
    name: str | None = None,
    half_pixel_centers: bool = False,
) -> Any:
    """TensorFlow 1's bilinear resize: float32 out, sampling on TF1's grid (corners at
    pixel 0, or aligned with ``align_corners``) unless ``half_pixel_centers``."""
    return _resize(images, size, False, _grid(align_corners, half_pixel_centers))


def resize_nearest_neighbor(
    images: Any,
    size: Any,
    align_corners: bool = False,
    name: str | None = None,
    half_pixel_centers: bool = False,
) -> Any:
    """TensorFlow 1's nearest-neighbour resize (the input's dtype), on TF1's grid."""
    return _resize(images, size, True, _grid(align_corners, half_pixel_centers))


class ResizeMethod:
    """TensorFlow 1's resize methods (``tf.compat.v1.image.ResizeMethod``)."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def resize_images(
    images: Any,
    size: Any,
    method: Any = ResizeMethod.BILINEAR,
    align_corners: bool = False,
    preserve_aspect_ratio: bool = False,
    name: str | None = None,
) -> Any:
    """``tf.compat.v1.image.resize_images``: bilinear and nearest on TF1's grid. Bicubic,
    area and ``preserve_aspect_ratio`` go to ``ff.image.resize``, which samples on TF2's
    grid and takes no ``align_corners``."""
    from .. import image

    if method in (ResizeMethod.BILINEAR, "bilinear") and not preserve_aspect_ratio:
        return resize_bilinear(images, size, align_corners)
    if method in (ResizeMethod.NEAREST_NEIGHBOR, "nearest") and not preserve_aspect_ratio:
        return resize_nearest_neighbor(images, size, align_corners)
    names = {ResizeMethod.BICUBIC: "bicubic", ResizeMethod.AREA: "area"}
    return image.resize(images, size, names.get(method, method), preserve_aspect_ratio)


def make_one_shot_iterator(dataset: Dataset) -> Any:
    """An iterator over ``dataset`` (``tf.compat.v1.data.make_one_shot_iterator``); its
    ``get_next()`` gives the elements, then raises ``OutOfRangeError``."""
    return iter(dataset)


def get_output_shapes(dataset: Dataset) -> Any:
    """The element shapes (``tf.compat.v1.data.get_output_shapes``)."""
    return _nest.map_structure(lambda s: s.shape, dataset.element_spec)


def get_output_types(dataset: Dataset) -> Any:
    """The element dtypes (``tf.compat.v1.data.get_output_types``)."""
    return _nest.map_structure(lambda s: s.dtype, dataset.element_spec)


image = SimpleNamespace(
    resize=resize_images,
    resize_images=resize_images,
    resize_bilinear=resize_bilinear,
    resize_nearest_neighbor=resize_nearest_neighbor,
    ResizeMethod=ResizeMethod,
)
data = SimpleNamespace(
    Dataset=Dataset,
    make_one_shot_iterator=make_one_shot_iterator,
    get_output_shapes=get_output_shapes,
    get_output_types=get_output_types,
)
io = SimpleNamespace(
    FixedLenFeature=FixedLenFeature,
    FixedLenSequenceFeature=FixedLenSequenceFeature,
    VarLenFeature=VarLenFeature,
    parse_example=parse_example,
    parse_single_example=parse_single_example,
)

__all__ = [
    "FixedLenFeature",
    "FixedLenSequenceFeature",
    "VarLenFeature",
    "data",
    "image",
    "io",
    "parse_example",
    "parse_single_example",
]
