"""How a pipeline splits at its files: the public calls that made it are found, its reading
call (a reader of record or columnar files, or file names read by an interleave) is made
again over each rank's share of the files, and the calls after it are replayed on that.
Each pass's file order comes from a key the ranks share, so each epoch can deal the files
out afresh; the files' element counts say how many elements every rank has, to even them."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgumentError
from . import _elastic

if TYPE_CHECKING:
    from ._fingerprint import Call
    from .dataset import Dataset

_RECORD_READERS = {"TFRecordDataset", "TextLineDataset", "FixedLengthRecordDataset", "CsvDataset"}
_COLUMNAR_READERS = {"ParquetDataset": "row_group_rows", "ArrowIPCDataset": "batch_rows"}
_NAME_SOURCES = {"Dataset.list_files", "Dataset.from_tensor_slices"}
_PER_FILE = {"Dataset.interleave", "Dataset.flat_map"}
# How many passes ahead a resumed state's pass is looked for.
_MAX_EPOCHS = 100_000
# Element counts of files, by the reading call and the file's identity (path, size, mtime).
_counts: dict[tuple[Any, ...], int] = {}


def _chain(ds: Dataset) -> list[Call] | None:
    """The public calls that made ``ds``, its source's first (None if one was not public)."""
    calls = []
    current: Any = ds
    while current is not None:
        call = getattr(current, "_call", None)
        if call is None:
            return None
        calls.append(call)
        current = call.receiver
    return calls[::-1]


class FilePlan:
    """A pipeline split at its files: ``source(files)`` makes its start over some of them,
    ``one_file(file)`` over one, and ``rest`` are the calls after that start. ``reader`` is
    the call that reads the files; ``cycle`` and ``block`` say how it interleaves them.
    ``elastic`` is None when a pass can move to another number of ranks, or why not."""

    def __init__(
        self,
        files: list[str],
        source: Callable[[list[str]], Dataset],
        one_file: Callable[[str], Dataset],
        rest: Sequence[Call],
        reader: Call,
        interleaving: tuple[int, int],
        elastic: str | None,
    ) -> None:
        self.files, self.source, self.one_file = files, source, one_file
        self.rest, self.reader = rest, reader
        self.cycle, self.block = interleaving
        self.elastic = elastic
        self.records_per_element = 1
        for call in rest:
            if call.op in ("Dataset.batch", "Dataset.padded_batch"):
                self.records_per_element *= int(call.argument("batch_size"))
        self.keys: Dataset | None = None

    def build(
        self, size: int, rank: int, seed: int | None, remainder: Any, report: dict[str, Any]
    ) -> Dataset:
        if self.reader.op in _COLUMNAR_READERS:
            start = self._units(size, rank, seed, remainder, report)
        else:
            start = self._files(size, rank, seed, remainder, report)
        return self.finish(start)

    def finish(self, start: Dataset) -> Dataset:
        """``start`` with the calls after the reading made again on it."""
        for call in self.rest:
            start = call.replay(start)
        return start

    def _units(
        self, size: int, rank: int, seed: int | None, remainder: Any, report: dict[str, Any]
    ) -> Dataset:
        from .. import _lib

        key = _COLUMNAR_READERS[self.reader.op]
        rows = [n for f in self.files for n in _lib.inspect_file(f)[key]]
        if len(rows) < size:
            raise InvalidArgumentError(
                f"the FILE policy needs a reading unit per rank: {len(rows)} units for {size} ranks"
            )
        changes: dict[str, Any] = {"shard": (size, rank), "even_shards": remainder}
        if seed is not None:
            flag = "shuffle_row_groups" if self.reader.op == "ParquetDataset" else None
            changes.update({flag or "shuffle_record_batches": True, "seed": seed})
        report["units"] = len(rows)
        if remainder is None:
            report["elements_per_rank"] = [sum(rows[r::size]) for r in range(size)]
        # The reader deals out each pass's order of units and evens the rows itself, so that
        # a `batch` right after it still cuts whole column runs.
        return self.reader.replay(**changes)

    def order(self, key: int, seed: int | None) -> np.ndarray:
        """The files' order in the pass whose key is ``key``: the same on every rank."""
        if seed is None:
            return np.arange(len(self.files))
        return np.random.default_rng(key & (2**64 - 1)).permutation(len(self.files))

    def _files(
        self, size: int, rank: int, seed: int | None, remainder: Any, report: dict[str, Any]
    ) -> Dataset:
        from .dataset import Dataset

        counts = None if remainder is None else self.counts()
        epoch_report: dict[str, Any] = report.setdefault("epoch", {})

        def epoch_source(key: Any) -> Dataset:
            order = self.order(int(key), seed)
            mine = [self.files[i] for i in order[rank::size]]
            epoch_report.update(files=mine, key=int(key), order=order)
            start = self.source(mine)
            if counts is None:
                return start
            per_rank = [sum(counts[i] for i in order[r::size]) for r in range(size)]
            epoch_report["elements_per_rank"] = per_rank
            return _equalized(start, per_rank[rank], per_rank, remainder, rank)

        # One element a pass, its key, the same on every rank: with a seed a new one each
        # pass, from which that pass's file order is drawn.
        if seed is None:
            self.keys = Dataset.from_tensors(np.int64(0))
        else:
            self.keys = Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
        return self.keys.flat_map(epoch_source)

    def counts(self) -> list[int]:
        """Every file's element count, read once per process and kept while it is unchanged."""
        keys = []
        for f in self.files:
            stat = os.stat(f)
            keys.append((self.one_file(f).fingerprint(), stat.st_size, stat.st_mtime_ns))
        missing = [i for i, k in enumerate(keys) if k not in _counts]
        if missing:
            with ThreadPoolExecutor(max(1, min(len(missing), os.cpu_count() or 1))) as pool:
                found = pool.map(lambda i: _count(self.one_file(self.files[i])), missing)
                for i, n in zip(missing, found):
                    _counts[keys[i]] = n
        return [_counts[k] for k in keys]

    def described(self, order: np.ndarray, key: int, size: int, remainder: Any) -> dict:
        """The pass that reads the files in ``order`` over ``size`` ranks, as segments."""
        counts = self.counts()
        ranks = [[[int(i), 0, counts[i]] for i in order[r::size]] for r in range(size)]
        sizes = [sum(s[2] for s in r) for r in ranks]
        return _elastic.pass_of(
            ranks, self.cycle, self.block, _elastic.targets_for(sizes, remainder), key
        )

    def advance_past(self, key: int, seed: int | None) -> None:
        """Moves this process's passes on to the one after the pass whose key is ``key``."""
        if seed is None or self.keys is None:
            return
        for _ in range(_MAX_EPOCHS):
            if int(next(iter(self.keys))) == key:
                return
        raise InvalidArgumentError(
            f"the iterator state's pass is not among the next {_MAX_EPOCHS} passes of this "
            "dataset: was it saved with another seed?"
        )

    def segments(self, segments: list[list[int]]) -> Dataset:
        """The records of ``segments``, interleaved as this pipeline interleaves files."""
        from .dataset import Dataset

        if not segments:
            return self.one_file(self.files[0]).take(0)
        names = [self.files[s[0]] for s in segments]
        firsts = np.array([s[1] for s in segments], np.int64)
        counts = np.array([s[2] for s in segments], np.int64)

        def read(name: Any, first: Any, count: Any) -> Dataset:
            return self.one_file(name.decode()).skip(int(first)).take(int(count))

        return Dataset.from_tensor_slices((names, firsts, counts)).interleave(
            read,
            cycle_length=self.cycle,
            block_length=self.block,
            num_parallel_calls=self.cycle if self.cycle > 1 else None,
        )


def _count(ds: Dataset) -> int:
    total = ds.reduce(np.int64(0), lambda n, _: n + 1)
    return int(np.asarray(total))


def _equalized(start: Dataset, own: int, per_rank: list[int], remainder: str, rank: int) -> Dataset:
    """``start`` (``own`` elements) cut to the fewest any rank has, or gone round again up to
    the most."""
    even = min(per_rank) if remainder == "drop" else max(per_rank)
    return to_target(start, own, even, rank)


def to_target(start: Dataset, own: int, target: int, rank: int) -> Dataset:
    """``start`` (``own`` elements) cut to ``target``, or gone round again up to it."""
    if target <= own:
        return start.take(target) if target < own else start
    if own == 0:
        raise InvalidArgumentError(
            f"rank {rank} has no elements to pad with up to {target}: its files are empty"
        )
    return start.repeat().take(target)


def file_plan(ds: Dataset) -> FilePlan | str:
    """How ``ds`` splits at its files, or why it does not."""
    from ._args import cpu_count, parallel_reads
    from .readers import file_list

    calls = _chain(ds)
    if calls is None:
        return "it was made by a call that is not public, so it cannot be made again"
    first = calls[0]
    if first.op in _RECORD_READERS or first.op in _COLUMNAR_READERS:
        if first.op in _COLUMNAR_READERS and first.argument("shard") is not None:
            return f"its {first.op} is sharded already"
        files = file_list(first.argument("filenames"))
        cycle = parallel_reads(first.argument("num_parallel_reads"), autotune=cpu_count())
        plan = FilePlan(
            files,
            lambda mine: first.replay(filenames=mine),
            lambda one: first.replay(filenames=[one], num_parallel_reads=None),
            calls[1:],
            first,
            (cycle or 1, 1),
            "its files are split by reading unit, not by record"
            if first.op in _COLUMNAR_READERS
            else _not_elastic(calls[1:], []),
        )
        return plan
    if first.op in _NAME_SOURCES:
        per_file = next((k for k, c in enumerate(calls) if c.op in _PER_FILE), None)
        if per_file is None:
            return "its file names are not read by an interleave or flat_map"
        between = [c.op for c in calls[1:per_file]]
        if any(op != "Dataset.shuffle" for op in between):
            return f"its file names pass through {between} before they are read"
        names = _names(calls[0])
        if names is None:
            return "its source is not a list of file names"
        reader = calls[per_file]
        made = calls[1 : per_file + 1]
        plan = FilePlan(
            names,
            lambda mine: _replayed(mine, made),
            lambda one: _replayed([one], [reader]),
            calls[per_file + 1 :],
            reader,
            _interleaving(reader),
            _not_elastic(calls[per_file + 1 :], between),
        )
        return plan
    return f"it starts with {first.op}, which reads no files"


def _interleaving(call: Call) -> tuple[int, int]:
    """The files an interleave or flat_map reads at once, and the records it takes from each
    in turn."""
    from ._args import AUTOTUNE, cpu_count

    if call.op == "Dataset.flat_map":
        return 1, 1
    cycle = call.argument("cycle_length")
    block = call.argument("block_length")
    return (
        cpu_count() if cycle in (None, AUTOTUNE) else int(cycle),
        1 if block is None else int(block),
    )


# Calls after the reading that keep each record's place in the stream: what a rank has
# delivered then follows from how many elements it delivered.
_KEEP_ORDER = {"Dataset.map", "Dataset.batch", "Dataset.padded_batch", "Dataset.prefetch"}


def _not_elastic(after: Sequence[Call], between: list[str]) -> str | None:
    """Why a pass of this pipeline cannot move to another number of ranks (None if it can)."""
    if between:
        return f"its file names are shuffled ({', '.join(between)}) before they are read"
    moved = [c.op for c in after if c.op not in _KEEP_ORDER]
    if moved:
        return (
            f"{', '.join(moved)} after the reading change which records an element holds; "
            "only map, batch, padded_batch and prefetch keep them countable"
        )
    return None


def checked_plan(files: list[str], size: int, plan: FilePlan) -> FilePlan | str:
    if plan.reader.op not in _COLUMNAR_READERS and len(files) < size:
        return f"it reads {len(files)} files, fewer than the {size} ranks"
    return plan


def _names(source: Call) -> list[str] | None:
    made: Dataset = (
        source.replay(shuffle=False) if source.op == "Dataset.list_files" else (source.replay())
    )
    values = list(made.as_numpy_iterator())
    if not all(isinstance(v, bytes) for v in values):
        return None
    # Sorted: list_files shuffles by default, and every rank must see one order.
    return sorted({v.decode() for v in values})


def _replayed(files: list[str], calls: Sequence[Call]) -> Dataset:
    from .dataset import Dataset

    start = Dataset.from_tensor_slices(files)
    for call in calls:
        start = call.replay(start)
    return start
