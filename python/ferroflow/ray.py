"""Ray Data on ferroflow's readers: ``read_tfrecords`` and ``read_parquet`` make Ray datasets
whose blocks are Arrow tables built by ferroflow's native readers and Example parser, and
``FerroflowDatasource`` reads any ferroflow pipeline made per group of files. Each Ray read
task runs its pipeline in its own worker process; rows are gathered into Arrow in Rust,
never as Python objects.

In a Ray Train worker, ``Dataset.distribute()`` takes the worker's rank from Ray Train, so
each worker runs a ferroflow pipeline over its own share of the files.

Ray is an optional dependency: ``import ferroflow`` never imports it, this module does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import ray
import ray.data

from . import _lib
from . import data as _data
from ._dtypes import float32, int64, string
from .errors import InvalidArgumentError
from .io import gfile
from .io._parsing import FixedLenFeature, RaggedFeature, parse_single_example

#: Rows per Arrow block unless asked otherwise.
DEFAULT_ROWS_PER_BLOCK = 4096
#: Records of the first file looked at to infer the features of ``read_tfrecords``.
_INFERENCE_RECORDS = 100
_KINDS = {1: string, 2: float32, 3: int64}
#: Files whose sizes are asked for at once when a read is planned.
_STAT_THREADS = 16


def expand_paths(paths: str | Sequence[str]) -> list[str]:
    """The files ``paths`` names: each a file, a glob pattern, or a directory (or prefix of
    objects) whose files are all taken; sorted, each once. Local paths and store URLs alike."""
    names = [paths] if isinstance(paths, str) else list(paths)
    files: set[str] = set()
    for name in names:
        if any(c in name for c in "*?["):
            files.update(gfile.glob(name))
        elif gfile.isdir(name):
            for folder, _, found in gfile.walk(name):
                files.update(gfile.join(folder, f) for f in found)
        else:
            files.add(name)
    if not files:
        raise InvalidArgumentError(f"no files match {paths!r}")
    return sorted(files)


class FerroflowDatasource(ray.data.Datasource):
    """A Ray datasource over ``files``: a read task takes a group of them and yields the rows
    of ``make_dataset(group)`` (a ferroflow ``Dataset`` of rows: dicts of tensors, not
    batched) as Arrow tables of up to ``rows_per_block`` rows. A first dimension that varies
    from row to row becomes a list column. ``make_dataset`` runs in the Ray worker, so it
    must be picklable (a lambda or closure is, through cloudpickle)."""

    def __init__(
        self,
        files: Sequence[str],
        make_dataset: Callable[[list[str]], Any],
        rows_per_block: int = DEFAULT_ROWS_PER_BLOCK,
    ) -> None:
        if not files:
            raise InvalidArgumentError("FerroflowDatasource needs at least one file")
        self._files = list(files)
        self._make_dataset = make_dataset
        self._rows_per_block = int(rows_per_block)
        self._sizes: list[int] | None = None

    def get_name(self) -> str:
        """The name Ray gives its read tasks."""
        return "Ferroflow"

    def _file_sizes(self) -> list[int]:
        if self._sizes is None:
            # A request per object in a store: many at once, not thousands in a row.
            with ThreadPoolExecutor(_STAT_THREADS) as pool:
                self._sizes = list(pool.map(lambda f: gfile.stat(f).length, self._files))
        return self._sizes

    def estimate_inmemory_data_size(self) -> int | None:
        """The files' total size (decoded rows may take more)."""
        return sum(self._file_sizes())

    def get_read_tasks(self, parallelism: int, *args: Any, **kwargs: Any) -> list[Any]:
        """One read task per group of consecutive files, at most ``parallelism`` groups."""
        from ray.data.block import BlockMetadata
        from ray.data.datasource import ReadTask

        sizes = self._file_sizes()
        groups = [
            [int(i) for i in group]
            for group in np.array_split(
                np.arange(len(self._files)), max(1, min(parallelism, len(self._files)))
            )
        ]
        tasks = []
        for group in groups:
            files = [self._files[i] for i in group]
            metadata = BlockMetadata(
                num_rows=None,
                size_bytes=sum(sizes[i] for i in group),
                input_files=files,
                exec_stats=None,
            )
            tasks.append(
                ReadTask(_reader(self._make_dataset, files, self._rows_per_block), metadata)
            )
        return tasks


def _reader(
    make_dataset: Callable[[list[str]], Any], files: list[str], rows: int
) -> Callable[[], Any]:
    def read() -> Any:
        import pyarrow as pa

        for batch in make_dataset(files).as_arrow_iterator(rows_per_batch=rows):
            yield pa.Table.from_batches([pa.record_batch(batch)])

    return read


def infer_features(file: str, compression_type: str | None = None) -> dict[str, Any]:
    """Parsing features for the ``tf.train.Example`` records of ``file``, from its first
    records: a feature with one value in each is a scalar, one with the same number of
    values in each a fixed-size list, any other a variable-length list. Bytes features are
    strings, floats float32, ints int64."""
    records = _data.TFRecordDataset(file, compression_type).take(_INFERENCE_RECORDS)
    kinds: dict[str, int] = {}
    lengths: dict[str, set[int]] = {}
    present: dict[str, int] = {}
    seen = 0
    for record in records.as_numpy_iterator():
        seen += 1
        for name, kind, values in _lib.decode_example(bytes(record)):
            if kinds.setdefault(name, kind) != kind:
                raise InvalidArgumentError(
                    f"{file}: feature {name!r} changes its kind between records"
                )
            lengths.setdefault(name, set()).add(len(values))
            present[name] = present.get(name, 0) + 1
    if not seen:
        raise InvalidArgumentError(f"{file} holds no records to infer features from; pass features")
    features: dict[str, Any] = {}
    for name, kind in sorted(kinds.items()):
        found = lengths[name]
        if present[name] == seen and len(found) == 1:
            (n,) = found
            features[name] = FixedLenFeature([] if n == 1 else [n], _KINDS[kind])
        else:
            features[name] = RaggedFeature(_KINDS[kind])
    return features


def read_tfrecords(
    paths: str | Sequence[str],
    features: dict[str, Any] | None = None,
    *,
    compression_type: str | None = None,
    rows_per_block: int = DEFAULT_ROWS_PER_BLOCK,
    override_num_blocks: int | None = None,
    **read_args: Any,
) -> Any:
    """A Ray dataset of the ``tf.train.Example`` records in ``paths`` (files, globs or
    directories, local or in a store), one row per record, parsed by ferroflow.

    ``features`` maps names to ``FixedLenFeature`` / ``RaggedFeature`` / ``VarLenFeature``-like
    parsing specs, as ``parse_single_example`` takes them; without it they are inferred
    from the first file (see ``infer_features``: one value is a scalar, as Ray's own
    ``read_tfrecords`` makes it). ``read_args`` go to ``ray.data.read_datasource``."""
    files = expand_paths(paths)
    spec = features if features is not None else infer_features(files[0], compression_type)

    def make(group: list[str]) -> Any:
        records = _data.TFRecordDataset(group, compression_type)
        return records.map(lambda r: parse_single_example(r, spec))

    source = FerroflowDatasource(files, make, rows_per_block)
    return ray.data.read_datasource(source, override_num_blocks=override_num_blocks, **read_args)


def read_parquet(
    paths: str | Sequence[str],
    columns: Sequence[str] | None = None,
    *,
    rows_per_block: int = DEFAULT_ROWS_PER_BLOCK,
    override_num_blocks: int | None = None,
    **read_args: Any,
) -> Any:
    """A Ray dataset of the rows of the Parquet files in ``paths`` (files, globs or
    directories, local or in a store), read by ferroflow: only ``columns`` (all when None)
    are read, a store's objects by the byte ranges of those columns only."""
    files = expand_paths(paths)
    chosen = None if columns is None else list(columns)

    def make(group: list[str]) -> Any:
        return _data.ParquetDataset(group, columns=chosen)

    source = FerroflowDatasource(files, make, rows_per_block)
    return ray.data.read_datasource(source, override_num_blocks=override_num_blocks, **read_args)


__all__ = [
    "DEFAULT_ROWS_PER_BLOCK",
    "FerroflowDatasource",
    "expand_paths",
    "infer_features",
    "read_parquet",
    "read_tfrecords",
]
