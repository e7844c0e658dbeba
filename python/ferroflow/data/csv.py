"""CSV files as datasets: ``tf.data.experimental.CsvDataset`` (one tuple of columns per
record) and ``make_csv_dataset`` (batches of named columns, with types read from the
file). Records are read by the engine and parsed by the native ``decode_csv`` kernel."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._dtypes import DType, as_dtype, float32, float64, int32, int64, string
from .._object_names import is_remote
from .._spec import TensorSpec
from .._text import read_csv
from ..errors import InvalidArgumentError
from ..io._object_files import open_stream, use_storage_options
from ..io._tfrecord import TFRecordOptions
from ._args import AUTOTUNE, buffer_arg, parallel_reads
from ._structure import Structure
from .dataset import Dataset, _matching, _patterns
from .readers import _filenames_dataset


def _record_default(default: Any) -> Any:
    """A dtype means a required column (no default), as in TensorFlow."""
    if isinstance(default, DType) or (
        isinstance(default, type) and issubclass(default, np.generic)
    ):
        return np.array([], dtype=as_dtype(default).as_numpy_dtype)
    return default


class CsvDataset(Dataset):
    """The records of CSV files, each a tuple of scalars, one per column
    (``tf.data.experimental.CsvDataset``).

    ``record_defaults`` gives each column's type and the value of an empty field: a value
    (``0``, ``0.0``, ``""``, ``[0.0]``) or a dtype for a column that must be present. A quoted
    field may span lines. ``header`` skips each file's first record; ``select_cols`` or
    ``exclude_cols`` (not both) keeps or drops columns by index; ``field_delim``,
    ``use_quote_delim`` and ``na_value`` are as for ``ff.io.decode_csv``. Files are read one
    after another; a record that does not parse raises ``InvalidArgumentError``.
    """

    def __init__(
        self,
        filenames: Any,
        record_defaults: Sequence[Any],
        compression_type: str | None = None,
        buffer_size: int | None = None,
        header: bool = False,
        field_delim: str = ",",
        use_quote_delim: bool = True,
        na_value: str = "",
        select_cols: Sequence[int] | None = None,
        exclude_cols: Sequence[int] | None = None,
        name: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        defaults = [_record_default(d) for d in record_defaults]
        if select_cols is not None and exclude_cols is not None:
            raise InvalidArgumentError("Either select_cols or exclude_cols should be empty")
        if exclude_cols is not None:
            dropped = {int(c) for c in exclude_cols}
            total = len(defaults) + len(dropped)
            if any(c < 0 or c >= total for c in dropped):
                raise InvalidArgumentError(f"exclude_cols must be in [0, {total})")
            select_cols = [c for c in range(total) if c not in dropped]
        compression = TFRecordOptions.get_compression_type_string(compression_type)
        buffer = buffer_arg(buffer_size)
        files = _filenames_dataset(filenames, storage_options)
        records = _records(files, field_delim, use_quote_delim, compression, buffer, None, header)
        parsed = _parse(records, defaults, field_delim, use_quote_delim, na_value, select_cols)
        super().__init__(parsed._native, parsed._structure)


def _records(
    files: Dataset,
    delim: str,
    quoted: bool,
    compression: str,
    buffer: int | None,
    cycle: int | None,
    header: bool,
) -> Dataset:
    """The CSV records of the files ``files`` names (ended by a line break outside a quoted
    field), read by the engine one file after another or ``cycle`` at once."""
    delimiter = delim.encode() if isinstance(delim, str) else bytes(delim)
    csv = (delimiter, bool(quoted))
    native = files._native.file_records(
        "csv_record", compression, buffer, cycle, bool(header), None, csv, True
    )
    # Each record comes with its file and line, for parse errors to name.
    return Dataset(
        native, Structure((TensorSpec([], string), TensorSpec([], string), TensorSpec([], int64)))
    )


def _parse(
    records: Dataset,
    defaults: list[Any],
    delim: str,
    quoted: bool,
    na_value: str,
    select_cols: Sequence[int] | None,
) -> Dataset:
    """Each record parsed into a tuple of columns (a native map); a bad record's error
    names its file and line."""

    def parse(record: Any, path: Any, line: Any) -> tuple:
        where = (path, line)
        return tuple(read_csv(record, defaults, delim, quoted, na_value, select_cols, True, where))

    return records.map(parse)


def _file_names(patterns: list[str], file_pattern: Any) -> list[str]:
    names = [f for p in patterns for f in sorted(_matching(p))]
    if not names:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    return names


@contextlib.contextmanager
def _open_text(path: str, compression: str, encoding: str) -> Iterator[Any]:
    """The file or object ``path`` as text, decompressed."""
    with open_stream(path, "r") if is_remote(path) else open(path, "rb") as raw:
        if compression == "ZLIB":
            yield io.StringIO(zlib.decompress(raw.read()).decode(encoding), newline="")
            return
        body = gzip.GzipFile(fileobj=raw) if compression == "GZIP" else raw
        # Closing the wrapper closes the gzip stream, not `raw`, which `with` closes.
        text = io.TextIOWrapper(body, encoding=encoding, newline="")
        try:
            yield text
        finally:
            text.close()


def _rows(
    names: list[str], delim: str, quoted: bool, compression: str, encoding: str, header: bool
) -> Any:
    """The CSV rows of every file in turn, read with Python's csv module, each file's header
    row left out when ``header``."""
    quoting = csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    for name in names:
        with _open_text(name, compression, encoding) as f:
            rows = csv.reader(f, delimiter=delim, quoting=quoting)
            if header:
                next(rows, None)
            yield from rows


def _header(name: str, delim: str, quoted: bool, compression: str, encoding: str) -> list[str]:
    rows = _rows([name], delim, quoted, compression, encoding, header=False)
    try:
        return next(rows, [])
    finally:
        rows.close()


def _fits(text: str, dtype: DType) -> bool:
    """Whether ``text`` is a value of ``dtype``, as make_csv_dataset's type inference asks."""
    try:
        if dtype.is_integer:
            info = np.iinfo(dtype.as_numpy_dtype)
            return info.min <= int(text) <= info.max
        return bool(dtype.as_numpy_dtype(text) < np.inf)
    except (ValueError, OverflowError):
        return False


_INFERENCE_ORDER = [int32, int64, float32, float64, string]


def _infer_type(text: str, na_value: str, previous: DType | None) -> DType | None:
    """The least permissive type that holds ``text`` and every value seen before."""
    if text in ("", na_value):
        return previous  # an empty field says nothing about the column's type
    start = 0 if previous is None else _INFERENCE_ORDER.index(previous)
    for dtype in _INFERENCE_ORDER[start:]:
        if dtype == string or _fits(text, dtype):
            return dtype
    return string


def _inferred_defaults(
    rows: Any, columns: int, select: list[int] | None, na_value: str, limit: int
) -> list[Any]:
    """Each column's default (0 of its type, or b"") from the types of up to ``limit`` rows."""
    inferred: list[DType | None] = [None] * columns
    width, seen = None, 0
    try:
        for row in rows:
            width = len(row) if width is None else width
            if len(row) != width or (select is not None and select[-1] >= width):
                raise ValueError(
                    "Problem inferring types: CSV row has different number of fields than expected."
                )
            values = row if select is None else [row[c] for c in select]
            inferred = [_infer_type(v, na_value, t) for v, t in zip(values, inferred)]
            seen += 1
            if seen >= limit:
                break
    finally:
        rows.close()
    return [
        np.array([b""], dtype=object) if t in (None, string) else np.zeros(1, t.as_numpy_dtype)
        for t in inferred
    ]


def make_csv_dataset(
    file_pattern: Any,
    batch_size: int,
    column_names: Sequence[str] | None = None,
    column_defaults: Sequence[Any] | None = None,
    label_name: str | None = None,
    select_columns: Sequence[Any] | None = None,
    field_delim: str = ",",
    use_quote_delim: bool = True,
    na_value: str = "",
    header: bool = True,
    num_epochs: int | None = None,
    shuffle: bool = True,
    shuffle_buffer_size: int = 10000,
    shuffle_seed: int | None = None,
    prefetch_buffer_size: int | None = None,
    num_parallel_reads: int | None = None,
    sloppy: bool = False,
    num_rows_for_inference: int = 100,
    compression_type: str | None = None,
    ignore_errors: bool = False,
    encoding: str = "utf-8",
    storage_options: dict[str, Any] | None = None,
) -> Dataset:
    """Batches of CSV records as ``(features, label)`` (or ``features`` without
    ``label_name``), ``features`` a dict from column name to a batched column
    (``tf.data.experimental.make_csv_dataset``).

    Column names come from the first file's header unless ``column_names`` is given; types
    are inferred from the first ``num_rows_for_inference`` rows (int32, int64, float32,
    float64, else string; empty columns string) unless ``column_defaults`` is given.
    ``select_columns`` keeps columns by name or index. As in TensorFlow the files are
    shuffled, records shuffled in a buffer of ``shuffle_buffer_size`` and repeated forever
    (``num_epochs=None``, batches then all full) unless told otherwise. Patterns may name
    objects in a store (``s3://bucket/part-*.csv``), reached with ``storage_options`` as
    ``TFRecordDataset`` takes them.
    """
    patterns = _patterns(file_pattern)
    use_storage_options(patterns, storage_options)
    names = _file_names(patterns, file_pattern)
    compression = TFRecordOptions.get_compression_type_string(compression_type)
    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` argument to be set.")
        headers = [_header(n, field_delim, use_quote_delim, compression, encoding) for n in names]
        if any(h != headers[0] for h in headers):
            raise ValueError("Files have different column names in the header row.")
        column_names = headers[0]
    column_names = list(column_names)
    if len(set(column_names)) != len(column_names):
        raise ValueError("Cannot have duplicate column names.")
    select = None
    if select_columns is not None:
        wanted = list(select_columns)
        if all(isinstance(c, int) for c in wanted):
            select = sorted(wanted)
        elif all(isinstance(c, str) for c in wanted):
            missing = [c for c in wanted if c not in column_names]
            if missing:
                raise ValueError(f"Column(s) {missing} in `select_columns` not in column names.")
            select = sorted(column_names.index(c) for c in wanted)
        else:
            raise ValueError("`select_columns` must be all integers or all strings.")
        if len(set(select)) != len(select):
            raise ValueError("`select_columns` contains duplicate columns.")
        if select and (select[0] < 0 or select[-1] >= len(column_names)):
            raise ValueError("`select_columns` names a column outside the file.")
        column_names = [column_names[i] for i in select]
    if label_name is not None and label_name not in column_names:
        raise ValueError(f"`label_name` provided must be one of the columns: {column_names}.")
    if column_defaults is None:
        column_defaults = _inferred_defaults(
            _rows(names, field_delim, use_quote_delim, compression, encoding, header),
            len(column_names),
            select,
            na_value,
            num_rows_for_inference,
        )
    elif len(column_defaults) != len(column_names):
        raise ValueError("The number of column names and column defaults do not match.")

    files = Dataset.from_tensor_slices(np.array([n.encode() for n in names], dtype=object))
    if shuffle:
        files = files.shuffle(len(names), seed=shuffle_seed)
    cycle = None if num_parallel_reads in (None, 1) else parallel_reads(num_parallel_reads, 2)
    records = _records(files, field_delim, use_quote_delim, compression, None, cycle, header)
    defaults = [_record_default(d) for d in column_defaults]
    dataset = _parse(records, defaults, field_delim, use_quote_delim, na_value, select)
    if ignore_errors:
        dataset = dataset.ignore_errors()
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    dataset = dataset.batch(batch_size, drop_remainder=num_epochs is None)

    def name_columns(*columns: Any) -> Any:
        features = dict(zip(column_names, columns))
        if label_name is None:
            return features
        return features, features.pop(label_name)

    dataset = dataset.map(name_columns)
    return dataset.prefetch(AUTOTUNE if prefetch_buffer_size is None else prefetch_buffer_size)


__all__ = ["CsvDataset", "make_csv_dataset"]
