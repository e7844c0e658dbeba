"""``Dataset.distribute``: each of several training processes (ranks) reads its own part of a
pipeline's data, and every rank yields the same number of elements per epoch, so that a
collective in the training step (an all-reduce of gradients) never waits on a rank that has
run out.

The pipeline is made again from its public calls (each dataset keeps the call that made it):
under the FILE policy its file-reading source is replaced by one over this rank's files, and
the calls after it are replayed on that. Under DATA every rank runs the whole pipeline and
keeps every n-th element. AUTO takes FILE where the pipeline starts from files, at least one
per rank, and DATA otherwise.

Equal counts under FILE need each file's element count: each file is read once per process
to count it (in parallel), and the counts are kept for later calls. With a seed, every rank
draws the same new file order each epoch and takes its share of it, so each epoch a rank
reads other files; then the counts say, each epoch, how many elements every rank has, and
each rank stops at the fewest (``remainder="drop"``) or goes round its own files again up to
the most (``"pad"``)."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgumentError
from .experimental import AutoShardPolicy

if TYPE_CHECKING:
    from ._fingerprint import Call
    from .dataset import Dataset

_RECORD_READERS = {"TFRecordDataset", "TextLineDataset", "FixedLengthRecordDataset", "CsvDataset"}
_COLUMNAR_READERS = {"ParquetDataset": "row_group_rows", "ArrowIPCDataset": "batch_rows"}
_NAME_SOURCES = {"Dataset.list_files", "Dataset.from_tensor_slices"}
_PER_FILE = {"Dataset.interleave", "Dataset.flat_map"}
_REMAINDERS = ("drop", "pad", None)

# Element counts of files, by the reading call and the file's identity (path, size, mtime).
_counts: dict[tuple[Any, ...], int] = {}


def world(num_replicas: int | None, rank: int | None) -> tuple[int, int, str]:
    """The number of ranks, this process's rank, and where they were read: the arguments,
    an initialized ``torch.distributed``, JAX's processes, or ``WORLD_SIZE`` and ``RANK``."""
    if num_replicas is not None or rank is not None:
        if num_replicas is None or rank is None:
            raise InvalidArgumentError("give both num_replicas and rank, or neither")
        return _checked(num_replicas, rank, "the arguments")
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return _checked(dist.get_world_size(), dist.get_rank(), "torch.distributed")
    jax = sys.modules.get("jax")
    if jax is not None and jax.process_count() > 1:
        return _checked(jax.process_count(), jax.process_index(), "jax")
    if "WORLD_SIZE" in os.environ or "RANK" in os.environ:
        try:
            size, index = int(os.environ["WORLD_SIZE"]), int(os.environ["RANK"])
        except (KeyError, ValueError):
            raise InvalidArgumentError(
                "WORLD_SIZE and RANK must both be set to integers, got "
                f"WORLD_SIZE={os.environ.get('WORLD_SIZE')!r} RANK={os.environ.get('RANK')!r}"
            ) from None
        return _checked(size, index, "WORLD_SIZE and RANK")
    return 1, 0, "a single process"


def _checked(size: Any, index: Any, source: str) -> tuple[int, int, str]:
    size, index = int(size), int(index)
    if size < 1 or not 0 <= index < size:
        raise InvalidArgumentError(f"rank {index} of {size} (from {source}) is not a rank")
    return size, index, source


def policy_of(policy: Any) -> AutoShardPolicy:
    try:
        return AutoShardPolicy(policy)
    except ValueError:
        raise InvalidArgumentError(f"policy must be an AutoShardPolicy, got {policy!r}") from None


def distribute(
    ds: Dataset, policy: AutoShardPolicy, size: int, rank: int, seed: int | None, remainder: Any
) -> tuple[Dataset, dict[str, Any]]:
    """This rank's dataset and what was done, for the statistics."""
    if remainder not in _REMAINDERS:
        raise InvalidArgumentError(f'remainder must be "drop", "pad" or None, got {remainder!r}')
    report: dict[str, Any] = {"rank": rank, "ranks": size, "remainder": remainder}
    if size == 1 or policy == AutoShardPolicy.OFF:
        report["policy"] = "OFF" if policy == AutoShardPolicy.OFF else policy.name
        return ds, report
    if policy in (AutoShardPolicy.FILE, AutoShardPolicy.AUTO):
        plan = _file_plan(ds, size)
        if isinstance(plan, _FilePlan):
            report.update(policy="FILE", files=len(plan.files))
            return plan.build(size, rank, seed, remainder, report), report
        if policy == AutoShardPolicy.FILE:
            raise InvalidArgumentError(f"the FILE policy cannot split this pipeline: {plan}")
        report["why_not_file"] = plan
    if policy == AutoShardPolicy.HINT:
        raise InvalidArgumentError("the HINT policy needs tf.distribute's shard hints; use FILE")
    report["policy"] = "DATA"
    return _by_element(ds, size, rank, remainder), report


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


class _FilePlan:
    """A pipeline split at its files: ``source(files)`` makes its start over some of them,
    ``rest`` are the calls after that start, and ``unit_rows`` (for Parquet and Arrow) the
    rows of each reading unit, which are split instead of whole files."""

    def __init__(
        self,
        files: list[str],
        source: Callable[[list[str]], Dataset],
        rest: Sequence[Call],
        reader: Call,
    ) -> None:
        self.files, self.source, self.rest, self.reader = files, source, rest, reader

    def build(
        self, size: int, rank: int, seed: int | None, remainder: Any, report: dict[str, Any]
    ) -> Dataset:
        if self.reader.op in _COLUMNAR_READERS:
            start = self._units(size, rank, seed, remainder, report)
        else:
            start = self._files(size, rank, seed, remainder, report)
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
        changes: dict[str, Any] = {"shard": (size, rank)}
        if seed is not None:
            flag = (
                "shuffle_row_groups"
                if self.reader.op == "ParquetDataset"
                else ("shuffle_record_batches")
            )
            changes.update({flag: True, "seed": seed})
        start = self.reader.replay(**changes)
        report["units"] = len(rows)
        if remainder is None:
            return start
        per_rank = [sum(rows[r::size]) for r in range(size)]
        report["elements_per_rank"] = per_rank
        return _equalized(start, per_rank[rank], per_rank, remainder, rank)

    def _files(
        self, size: int, rank: int, seed: int | None, remainder: Any, report: dict[str, Any]
    ) -> Dataset:
        from .dataset import Dataset

        files, source = self.files, self.source
        counts = None if remainder is None else self._counts()
        epoch_report: dict[str, Any] = report.setdefault("epoch", {})

        def epoch_source(order: Any) -> Dataset:
            order = np.asarray(order)
            mine = [files[i] for i in order[rank::size]]
            start = source(mine)
            epoch_report["files"] = mine
            if counts is None:
                return start
            per_rank = [sum(counts[i] for i in order[r::size]) for r in range(size)]
            epoch_report["elements_per_rank"] = per_rank
            return _equalized(start, per_rank[rank], per_rank, remainder, rank)

        order = Dataset.range(len(files))
        if seed is not None:
            order = order.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        # One element a pass: that epoch's file order, the same on every rank.
        return order.batch(len(files)).flat_map(epoch_source)

    def _counts(self) -> list[int]:
        keys = []
        for f in self.files:
            stat = os.stat(f)
            keys.append((self.source([f]).fingerprint(), stat.st_size, stat.st_mtime_ns))
        missing = [i for i, k in enumerate(keys) if k not in _counts]
        if missing:
            with ThreadPoolExecutor(max(1, min(len(missing), os.cpu_count() or 1))) as pool:
                found = pool.map(lambda i: _count(self.source([self.files[i]])), missing)
                for i, n in zip(missing, found):
                    _counts[keys[i]] = n
        return [_counts[k] for k in keys]


def _count(ds: Dataset) -> int:
    total = ds.reduce(np.int64(0), lambda n, _: n + 1)
    return int(np.asarray(total))


def _equalized(start: Dataset, own: int, per_rank: list[int], remainder: str, rank: int) -> Dataset:
    """``start`` (``own`` elements) cut to the fewest any rank has, or gone round again up to
    the most."""
    if remainder == "drop":
        return start.take(min(per_rank)) if own > min(per_rank) else start
    most = max(per_rank)
    if own == 0 and most > 0:
        raise InvalidArgumentError(
            f"rank {rank} has no elements to pad with: its files are empty "
            f"(elements per rank: {per_rank})"
        )
    return start.repeat().take(most) if most > own else start


def _file_plan(ds: Dataset, size: int) -> _FilePlan | str:
    """How ``ds`` splits at its files, or why it does not."""
    from .readers import file_list

    calls = _chain(ds)
    if calls is None:
        return "it was made by a call that is not public, so it cannot be made again"
    first = calls[0]
    if first.op in _RECORD_READERS or first.op in _COLUMNAR_READERS:
        if first.op in _COLUMNAR_READERS and first.argument("shard") is not None:
            return f"its {first.op} is sharded already"
        files = file_list(first.argument("filenames"))
        source = lambda mine: first.replay(filenames=mine)  # noqa: E731
        return _checked_plan(files, size, _FilePlan(files, source, calls[1:], first))
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
        made = calls[1 : per_file + 1]
        source = lambda mine: _replayed(mine, made)  # noqa: E731
        return _checked_plan(
            names, size, _FilePlan(names, source, calls[per_file + 1 :], calls[per_file])
        )
    return f"it starts with {first.op}, which reads no files"


def _checked_plan(files: list[str], size: int, plan: _FilePlan) -> _FilePlan | str:
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


def _by_element(ds: Dataset, size: int, rank: int, remainder: Any) -> Dataset:
    """Every ``size``-th element from ``rank`` on, as many on every rank."""
    from .dataset import Dataset

    if remainder is None:
        return ds.shard(size, rank)
    total = int(ds.cardinality())
    if total >= 0:
        if remainder == "drop":
            return ds.shard(size, rank).take(total // size)
        return ds.repeat().shard(size, rank).take(math.ceil(total / size)) if total else ds
    if total == -1:  # infinite: every rank has as many
        return ds.shard(size, rank)

    # Unknown length: each group of `size` consecutive elements gives one to each rank; the
    # last, short group is dropped or gone round.
    def pick(*window: Any) -> Dataset:
        group = window[0] if len(window) == 1 else window
        elements = group if isinstance(group, Dataset) else Dataset.zip(group)
        return elements.repeat().skip(rank).take(1)

    return ds.window(size, drop_remainder=remainder == "drop").flat_map(pick)


def describe(report: dict[str, Any]) -> str:
    """What ``distribute`` did, in words, for the statistics."""
    text = (
        f"rank {report['rank']} of {report['ranks']} ({report['ranks_from']}), {report['policy']}"
    )
    if "why_not_file" in report:
        text += f" (not FILE: {report['why_not_file']})"
    if "units" in report:
        text += f" over every {report['ranks']}th of {report['units']} reading units"
    elif "files" in report:
        text += f" over {report['files']} files"
    epoch = report.get("epoch", {})
    if "files" in epoch:
        text += f"; this epoch {len(epoch['files'])} of them"
    per_rank = epoch.get("elements_per_rank", report.get("elements_per_rank"))
    if per_rank is not None:
        own = per_rank[report["rank"]]
        if report["remainder"] == "drop":
            text += f"; {min(per_rank)} elements, {own - min(per_rank)} dropped"
        else:
            text += f"; {max(per_rank)} elements, {max(per_rank) - own} padded"
        text += f" (elements per rank: {per_rank})"
    elif report["policy"] == "DATA" and report["remainder"] is not None:
        text += f"; counts evened ({report['remainder']})"
    return text
