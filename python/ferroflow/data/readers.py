"""File-reading datasets: ``TFRecordDataset``, ``TextLineDataset``, ``ParquetDataset``,
``ArrowIPCDataset``."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import _trace
from .._dtypes import string
from .._lib import NativeColumnarSource
from .._spec import TensorSpec
from ..errors import InvalidArgumentError
from ..io._object_files import use_storage_options
from ..io._tfrecord import TFRecordOptions
from ._args import buffer_arg, count_arg, cpu_count, parallel_reads, path_list
from ._arrow import columnar_native, file_list
from ._structure import Structure
from .dataset import Dataset


def _filenames_dataset(filenames: Any, storage_options: dict[str, Any] | None = None) -> Dataset:
    if isinstance(filenames, Dataset):
        if storage_options:
            raise TypeError(
                "storage_options needs the file names themselves, not a Dataset of them: "
                "use ff.io.set_storage_options(prefix, options) for names a dataset computes"
            )
        spec = filenames.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype != string or spec.shape.rank != 0:
            raise TypeError(
                f"`filenames` must be a Dataset of scalar strings, got elements {spec!r}"
            )
        return filenames
    paths = path_list(filenames)
    use_storage_options(paths, storage_options)
    names = [os.fsencode(f) for f in paths]
    if not names:
        raise InvalidArgumentError("`filenames` must name at least one file")
    arr = np.empty(len(names), dtype=object)
    arr[:] = names
    return Dataset.from_tensor_slices(arr)


def _read_files(
    filenames: Any,
    kind: str,
    compression_type: str | None,
    buffer_size: int | None,
    num_parallel_reads: int | None,
    fixed: tuple[int, int, int] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """The engine's dataset of the records of files of ``kind`` (see ``file_records``)."""
    compression = TFRecordOptions.get_compression_type_string(compression_type)
    names = _filenames_dataset(filenames, storage_options)
    buffer = buffer_arg(buffer_size)
    cycle = parallel_reads(num_parallel_reads, autotune=cpu_count())
    return names._native.file_records(kind, compression, buffer, cycle, False, fixed)


class _RecordFileDataset(Dataset):
    """The records of files of one kind (``_format``), one scalar string each."""

    _format = ""

    def __new__(
        cls,
        filenames: Any,
        compression_type: str | None = None,
        buffer_size: int | None = None,
        num_parallel_reads: int | None = None,
        name: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> Any:
        # Inside a traced flat_map or interleave function, one file named by a traced
        # string becomes a source the engine opens itself, without Python.
        if _trace.has_symbols(filenames) and num_parallel_reads is None:
            if storage_options:
                raise TypeError(
                    "storage_options needs the file names themselves: for names a function "
                    "computes, use ff.io.set_storage_options(prefix, options) beforehand"
                )
            spec = getattr(filenames, "shape", None)
            if getattr(filenames, "dtype", None) == string and spec is not None and spec.rank == 0:
                compression = TFRecordOptions.get_compression_type_string(compression_type)
                buffer = buffer_arg(buffer_size)
                return _trace.SymbolicSource(
                    cls._format, filenames, slices=False, options=(compression, buffer)
                )
        return super().__new__(cls)

    def __init__(
        self,
        filenames: Any,
        compression_type: str | None = None,
        buffer_size: int | None = None,
        num_parallel_reads: int | None = None,
        name: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        native = _read_files(
            filenames,
            self._format,
            compression_type,
            buffer_size,
            num_parallel_reads,
            storage_options=storage_options,
        )
        super().__init__(native, Structure(TensorSpec([], string)))


class TFRecordDataset(_RecordFileDataset):
    """The records of one or more TFRecord files, as scalar strings.

    ``filenames`` is a path, a list of paths, or a Dataset of them. ``compression_type`` is
    None/"", "GZIP" or "ZLIB". With ``num_parallel_reads`` N (or AUTOTUNE) N files are read
    at once, records interleaved one by one in file order, as tf.data does; without it the
    files are read one after another. Every record's length and data CRC32C are checked; a
    damaged file raises ``DataLossError`` naming the file and the byte offset.

    ``storage_options`` (not in tf.data) are the credentials and endpoint of the stores the
    paths name (``s3://``, ``gs://``, ...), as ``ff.io.set_storage_options`` takes them; they
    are registered for those stores (bucket or host) and stay so. So do they for the other
    readers and writers that take them.
    """

    _format = "tfrecord"


class TextLineDataset(_RecordFileDataset):
    """The lines of one or more text files, as scalar strings without their ``\n`` or
    ``\r\n`` (``tf.data.TextLineDataset``); a last line without a line break counts.

    ``filenames``, ``compression_type``, ``buffer_size`` and ``num_parallel_reads`` are as
    for ``TFRecordDataset``: files one after another, or N at once with lines interleaved
    one by one. Parse the lines with ``ff.io.decode_csv`` or the ``ff.strings`` operations.
    """

    _format = "text_line"


class FixedLengthRecordDataset(Dataset):
    """The records of files of fixed-length records, as scalar strings
    (``tf.data.FixedLengthRecordDataset``; CIFAR-10's binary format): each file is
    ``header_bytes``, then records of ``record_bytes``, then ``footer_bytes``. A body that is
    not a whole number of records raises ``DataLossError`` naming the file.
    ``compression_type``, ``buffer_size`` and ``num_parallel_reads`` are as for
    ``TFRecordDataset``."""

    def __init__(
        self,
        filenames: Any,
        record_bytes: int,
        header_bytes: int | None = None,
        footer_bytes: int | None = None,
        buffer_size: int | None = None,
        compression_type: str | None = None,
        num_parallel_reads: int | None = None,
        name: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        layout = (
            count_arg("record_bytes", record_bytes),
            count_arg("header_bytes", header_bytes or 0),
            count_arg("footer_bytes", footer_bytes or 0),
        )
        native = _read_files(
            filenames,
            "fixed_length",
            compression_type,
            buffer_size,
            num_parallel_reads,
            layout,
            storage_options,
        )
        super().__init__(native, Structure(TensorSpec([], string)))


_COLUMNAR_ARGS = """
    Each element is one row: a dict from column name to a tensor (a struct column is a nested
    dict). Integers, floats and bools keep their type; strings, binary and dictionary-encoded
    strings become ``ff.string`` (bytes); a fixed-size list is a fixed dimension; a variable
    list is a 1-D tensor of its row's length (``padded_batch`` pads such rows; ``batch``
    needs equal lengths, as tf.data does).

    ``filenames``: a path, a list of paths, or a Dataset of them (all read when the dataset is
    made; every file must have the same columns). ``columns`` keeps only those top-level
    columns, and only they are read. ``null_values`` maps a column name (dotted for struct
    fields: ``"a.b"``) to the value its nulls take; a null in any other column raises
    ``InvalidArgumentError`` naming the column, the row and the file.

    ``num_parallel_reads`` N (AUTOTUNE: two per core) decodes N {units} ahead at once on the
    pipeline's worker threads, rows still in file order; without it each of the {units} is
    read when the pass reaches it. At most N + 1 {units} are in memory at a time, whatever
    the file size.
    ``{flag}`` visits the {units} in a new random order each pass (reproducible with
    ``seed``); ``shard=(n, i)`` keeps the i-th of every n {units}, so n workers read
    disjoint parts. ``even_shards`` (``"drop"`` or ``"pad"``) makes the n shards give as
    many rows each pass: every shard shuffles all the {units} alike (with the same
    ``seed``) and takes the i-th of every n of that order, so each pass deals them out
    afresh; then every shard stops at the fewest rows any shard has, or goes round its own
    {units} again up to the most.

    ``batch(n)`` right after this dataset cuts n consecutive rows from each column at once
    instead of stacking rows one by one.
"""


def _open_columnar(
    open_source: Any,
    filenames: Any,
    columns: Any,
    storage_options: dict[str, Any] | None,
    **options: Any,
) -> tuple[Any, dict[str, Any]]:
    names = file_list(filenames)
    use_storage_options(names, storage_options)
    source = open_source(names, None if columns is None else list(columns))
    return columnar_native(source, **options)


class ParquetDataset(Dataset):
    """The rows of one or more Parquet files; row groups are the unit of reading."""

    def __init__(
        self,
        filenames: Any,
        columns: list[str] | None = None,
        num_parallel_reads: int | None = None,
        shuffle_row_groups: bool = False,
        seed: int | None = None,
        shard: tuple[int, int] | None = None,
        null_values: dict[str, Any] | None = None,
        name: str | None = None,
        even_shards: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        native, structure = _open_columnar(
            NativeColumnarSource.parquet,
            filenames,
            columns,
            storage_options,
            num_parallel_reads=num_parallel_reads,
            shuffle_units=shuffle_row_groups,
            seed=seed,
            shard=shard,
            null_values=null_values,
            even_shards=even_shards,
        )
        super().__init__(native, Structure(structure))


class ArrowIPCDataset(Dataset):
    """The rows of one or more Arrow IPC (Feather v2) files; record batches are the unit of
    reading. A file in the IPC stream format is read as one unit."""

    def __init__(
        self,
        filenames: Any,
        columns: list[str] | None = None,
        num_parallel_reads: int | None = None,
        shuffle_record_batches: bool = False,
        seed: int | None = None,
        shard: tuple[int, int] | None = None,
        null_values: dict[str, Any] | None = None,
        name: str | None = None,
        even_shards: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        native, structure = _open_columnar(
            NativeColumnarSource.arrow_ipc,
            filenames,
            columns,
            storage_options,
            num_parallel_reads=num_parallel_reads,
            shuffle_units=shuffle_record_batches,
            seed=seed,
            shard=shard,
            null_values=null_values,
            even_shards=even_shards,
        )
        super().__init__(native, Structure(structure))


ParquetDataset.__doc__ = (ParquetDataset.__doc__ or "") + _COLUMNAR_ARGS.format(
    units="row groups", flag="shuffle_row_groups"
)
ArrowIPCDataset.__doc__ = (ArrowIPCDataset.__doc__ or "") + _COLUMNAR_ARGS.format(
    units="record batches", flag="shuffle_record_batches"
)

__all__ = [
    "ArrowIPCDataset",
    "FixedLengthRecordDataset",
    "ParquetDataset",
    "TFRecordDataset",
    "TextLineDataset",
]
