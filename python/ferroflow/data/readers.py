"""File-reading datasets: ``TFRecordDataset``."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .._dtypes import string
from .._spec import TensorSpec
from ..errors import InvalidArgumentError
from ..io._tfrecord import TFRecordOptions
from ._structure import Structure
from .dataset import AUTOTUNE, Dataset, _count_arg, _cpu_count


def _filenames_dataset(filenames: Any) -> Dataset:
    if isinstance(filenames, Dataset):
        spec = filenames.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype != string or spec.shape.rank != 0:
            raise TypeError(
                f"`filenames` must be a Dataset of scalar strings, got elements {spec!r}"
            )
        return filenames
    if isinstance(filenames, (str, bytes, os.PathLike)):
        filenames = [filenames]
    names = [os.fsencode(f) for f in filenames]
    if not names:
        raise InvalidArgumentError("`filenames` must name at least one file")
    arr = np.empty(len(names), dtype=object)
    arr[:] = names
    return Dataset.from_tensor_slices(arr)


class TFRecordDataset(Dataset):
    """The records of one or more TFRecord files, as scalar strings.

    ``filenames`` is a path, a list of paths, or a Dataset of them. ``compression_type`` is
    None/"", "GZIP" or "ZLIB". With ``num_parallel_reads`` N (or AUTOTUNE) N files are read
    at once, records interleaved one by one in file order, as tf.data does; without it the
    files are read one after another. Every record's length and data CRC32C are checked; a
    damaged file raises ``DataLossError`` naming the file and the byte offset.
    """

    def __init__(
        self,
        filenames: Any,
        compression_type: str | None = None,
        buffer_size: int | None = None,
        num_parallel_reads: int | None = None,
        name: str | None = None,
    ) -> None:
        compression = TFRecordOptions.get_compression_type_string(compression_type)
        names = _filenames_dataset(filenames)
        buffer = None if buffer_size in (None, AUTOTUNE) else _count_arg("buffer_size", buffer_size)
        if buffer is not None and buffer <= 0:
            raise InvalidArgumentError(f"buffer_size must be positive, got {buffer}")
        cycle = None
        if num_parallel_reads is not None:
            cycle = (
                _cpu_count()
                if num_parallel_reads == AUTOTUNE
                else _count_arg("num_parallel_reads", num_parallel_reads)
            )
            if cycle <= 0:
                raise InvalidArgumentError(
                    f"num_parallel_reads must be positive or AUTOTUNE, got {cycle}"
                )
        native = names._native.tfrecord_records(compression, buffer, cycle)
        super().__init__(native, Structure(TensorSpec([], string)))


__all__ = ["TFRecordDataset"]
