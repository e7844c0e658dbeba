"""``ferroflow.io``: the data-pipeline part of ``tf.io``: TFRecord writing, the
``tf.train.Example`` parsers, image codecs, Parquet writing, and ``gfile``."""

from .._image_boxes import decode_and_crop_jpeg, extract_jpeg_shape, is_jpeg
from .._ops import (
    decode_base64,
    decode_bmp,
    decode_gif,
    decode_image,
    decode_jpeg,
    decode_png,
    decode_raw,
    decode_webp,
    encode_base64,
    encode_jpeg,
    encode_png,
    parse_tensor,
    read_file,
    serialize_tensor,
)
from .._text import decode_csv
from . import gfile
from ._object_files import set_storage_options
from ._parquet import write_parquet
from ._parsing import (
    FixedLenFeature,
    FixedLenSequenceFeature,
    RaggedFeature,
    VarLenFeature,
    parse_example,
    parse_sequence_example,
    parse_single_example,
    parse_single_sequence_example,
)
from ._tfrecord import TFRecordOptions, TFRecordWriter
from .gfile import write_file

__all__ = [
    "FixedLenFeature",
    "FixedLenSequenceFeature",
    "RaggedFeature",
    "TFRecordOptions",
    "TFRecordWriter",
    "VarLenFeature",
    "decode_and_crop_jpeg",
    "decode_base64",
    "decode_csv",
    "decode_bmp",
    "decode_gif",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "decode_webp",
    "decode_raw",
    "encode_base64",
    "encode_jpeg",
    "extract_jpeg_shape",
    "encode_png",
    "gfile",
    "is_jpeg",
    "parse_example",
    "parse_sequence_example",
    "parse_tensor",
    "parse_single_example",
    "parse_single_sequence_example",
    "read_file",
    "serialize_tensor",
    "set_storage_options",
    "write_file",
    "write_parquet",
]
