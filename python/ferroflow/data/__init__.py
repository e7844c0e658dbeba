"""``ferroflow.data``: tf.data's API (``Dataset``, ``AUTOTUNE`` ...) on the Rust engine."""

from . import experimental
from ._window import DatasetSpec
from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, Iterator
from .options import AutotuneOptions, Options, ThreadingOptions
from .readers import (
    ArrowIPCDataset,
    FixedLengthRecordDataset,
    ParquetDataset,
    TextLineDataset,
    TFRecordDataset,
)

__all__ = [
    "AUTOTUNE",
    "ArrowIPCDataset",
    "FixedLengthRecordDataset",
    "ParquetDataset",
    "AutotuneOptions",
    "Options",
    "ThreadingOptions",
    "INFINITE_CARDINALITY",
    "UNKNOWN_CARDINALITY",
    "Dataset",
    "DatasetSpec",
    "Iterator",
    "TFRecordDataset",
    "TextLineDataset",
    "experimental",
]
