"""``write_parquet``: a dataset of records to a Parquet file."""

from __future__ import annotations

import os
from typing import Any

from .. import _nest
from ..data._arrow import column_paths
from ..data._structure import varies_in_first_dim


def write_parquet(
    dataset: Any,
    path: str | os.PathLike[str],
    row_group_size: int = 65536,
    compression: str | None = "snappy",
    storage_options: dict[str, Any] | None = None,
) -> int:
    """Writes every element of ``dataset`` as one row of a Parquet file; returns the rows.
    ``storage_options`` are the credentials and endpoint of the store an ``s3://`` (...)
    path names, as ``ff.io.set_storage_options`` takes them (registered for that store).

    Elements must be dicts of tensors (nested dicts become struct columns), as
    ``ParquetDataset`` yields them: a scalar is a plain column, a fixed shape becomes nested
    fixed-size lists, a first dimension that varies (``None`` in the element spec) becomes a
    list column, and strings become binary. ``row_group_size`` rows go in each row group;
    ``compression`` is None, "snappy" (the default, as pyarrow), "zstd", "gzip" or "lz4".
    The rows are gathered and written in Rust, never as Python objects.
    """
    from ..data.dataset import Iterator
    from ._object_files import use_storage_options

    use_storage_options([path], storage_options)
    return write_rows(Iterator(dataset), path, row_group_size, compression)


def write_rows(
    iterator: Any,
    path: str | os.PathLike[str],
    row_group_size: int,
    compression: str | None,
) -> int:
    """``write_parquet`` of the rows of a pass already begun (an ``Iterator``), so that the
    caller may read its ``stats()`` from another thread while the write runs."""
    structure = iterator.element_spec
    paths = column_paths(structure)
    variable = [varies_in_first_dim(spec) for spec in _nest.flatten(structure)]
    return iterator._native.write_parquet(
        os.fspath(path), paths, variable, compression, int(row_group_size)
    )


__all__ = ["write_parquet"]
