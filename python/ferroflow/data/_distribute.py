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
from . import _elastic
from .experimental import AutoShardPolicy

if TYPE_CHECKING:
    from ._fingerprint import Call
    from .dataset import Dataset

_RECORD_READERS = {"TFRecordDataset", "TextLineDataset", "FixedLengthRecordDataset", "CsvDataset"}
_COLUMNAR_READERS = {"ParquetDataset": "row_group_rows", "ArrowIPCDataset": "batch_rows"}
_NAME_SOURCES = {"Dataset.list_files", "Dataset.from_tensor_slices"}
_PER_FILE = {"Dataset.interleave", "Dataset.flat_map"}
_REMAINDERS = ("drop", "pad", None)
# How many passes ahead a resumed state's pass is looked for.
_MAX_EPOCHS = 100_000

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
    if policy != AutoShardPolicy.OFF:
        # However this rank reads, it can take over a pass that ranks split at their files
        # saved (see `resume`).
        report.update(_source=ds, _seed=seed, pipeline=ds.fingerprint())
    if size == 1 or policy == AutoShardPolicy.OFF:
        report["policy"] = "OFF" if policy == AutoShardPolicy.OFF else policy.name
        return ds, report
    if policy in (AutoShardPolicy.FILE, AutoShardPolicy.AUTO):
        plan = _file_plan(ds)
        if isinstance(plan, _FilePlan):
            plan = _checked_plan(plan.files, size, plan)
        if isinstance(plan, _FilePlan):
            report.update(policy="FILE", files=len(plan.files), _plan=plan)
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


# Calls after `distribute` that leave its elements as they are, one pass per pass.
_AS_THEY_ARE = {"Dataset.prefetch", "Dataset.with_options"}


def pass_state(
    dataset: Dataset, delivered: int, resumed: dict[str, Any] | None
) -> dict[str, Any] | None:
    """What the state of an iterator of ``dataset`` needs for its pass to go on with another
    number of ranks: the pass (``resumed``, or the epoch's) and the elements this rank
    delivered in it. None when the pipeline cannot move so."""
    report = dataset._distribution
    plan = None if report is None else report.get("_plan")
    if report is None or plan is None or plan.elastic is not None:
        return None
    made = report["_made"]()
    call = getattr(dataset, "_call", None)
    while dataset is not made and call is not None and call.op in _AS_THEY_ARE:
        dataset, call = call.receiver, getattr(call.receiver, "_call", None)
    if dataset is not made:
        return None  # its passes are not the distributed passes (a repeat, a shuffle ...)
    if resumed is None and delivered:
        epoch = report["epoch"]
        resumed = plan.described(epoch["order"], epoch["key"], report["ranks"], report["remainder"])
    return {
        "pipeline": report["pipeline"],
        "pass": resumed,
        "delivered": delivered,
        "records_per_element": plan.records_per_element,
    }


def resume(
    report: dict[str, Any] | None, saved: dict[str, Any]
) -> tuple[Dataset, dict[str, Any]] | None:
    """This rank's dataset for the rest of the pass ``saved`` (from ``pass_state`` of any
    rank, at a step every rank reached) dealt out again over this dataset's ranks, and that
    pass's description; None for a state saved before its pass began (this rank's own pass
    starts then). The dataset's later passes go on from the next epoch."""
    if report is None or "pipeline" not in report:
        raise InvalidArgumentError(
            "the iterator state was saved by a rank of a distributed pipeline; this dataset "
            "was not made by distribute (with a policy other than OFF)"
        )
    described = saved["pass"]
    if described is None and saved.get("pipeline") == report["pipeline"]:
        return None
    plan = report.get("_plan")
    if plan is None:
        found = _file_plan(report["_source"])
        plan = found if isinstance(found, _FilePlan) else None
    why = "it is not split at its files" if plan is None else plan.elastic
    if plan is None or why is not None:
        raise InvalidArgumentError(
            "the iterator state was saved by another rank or number of ranks, and this "
            f"pipeline cannot take a pass to another rank: {why}"
        )
    if saved.get("pipeline") != report["pipeline"]:
        raise InvalidArgumentError(
            "the iterator state was saved from another pipeline or other files "
            f"(fingerprint {saved.get('pipeline')!r} before distribute, this one's "
            f"{report['pipeline']!r})"
        )
    size, rank, remainder = report["ranks"], report["rank"], report["remainder"]
    delivered = int(saved["delivered"])
    left = _elastic.left_after(described, delivered, plan.records_per_element)
    if len(left) == size:
        # As many ranks as saved the pass: each goes on with what is left of its own (the
        # rank whose state this is may go on from its exact place instead).
        ranks = left
        old_targets = described["targets"]
        done = delivered * plan.records_per_element
        targets = None if old_targets is None else [max(0, t - done) for t in old_targets]
        sizes = [sum(s[2] for s in r) for r in ranks]
    else:
        ranks = _elastic.dealt([s for r in left for s in r], size)
        sizes = [sum(s[2] for s in r) for r in ranks]
        targets = _elastic.targets_for(sizes, remainder)
    again = _elastic.pass_of(ranks, plan.cycle, plan.block, targets, described["key"])
    start = plan.segments(ranks[rank])
    if targets is not None:
        start = _to_target(start, sizes[rank], targets[rank], rank)
    plan.advance_past(described["key"], report["_seed"])
    report.setdefault("epoch", {}).update(
        files=sorted({plan.files[s[0]] for s in ranks[rank]}), elements_per_rank=sizes
    )
    return plan.finish(start), again


def _count(ds: Dataset) -> int:
    total = ds.reduce(np.int64(0), lambda n, _: n + 1)
    return int(np.asarray(total))


def _equalized(start: Dataset, own: int, per_rank: list[int], remainder: str, rank: int) -> Dataset:
    """``start`` (``own`` elements) cut to the fewest any rank has, or gone round again up to
    the most."""
    even = min(per_rank) if remainder == "drop" else max(per_rank)
    return _to_target(start, own, even, rank)


def _to_target(start: Dataset, own: int, target: int, rank: int) -> Dataset:
    """``start`` (``own`` elements) cut to ``target``, or gone round again up to it."""
    if target <= own:
        return start.take(target) if target < own else start
    if own == 0:
        raise InvalidArgumentError(
            f"rank {rank} has no elements to pad with up to {target}: its files are empty"
        )
    return start.repeat().take(target)


def _file_plan(ds: Dataset) -> _FilePlan | str:
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
        plan = _FilePlan(
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
        plan = _FilePlan(
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
    remainder = report["remainder"]
    if "units" in report:
        text += f", {report['units']} reading units dealt out"
        if remainder is not None:
            fresh = " afresh each epoch" if report.get("_seed") is not None else ""
            text += f"{fresh}, rows evened ({remainder})"
    elif "files" in report:
        text += f" over {report['files']} files"
    epoch = report.get("epoch", {})
    if "files" in epoch:
        text += f"; this epoch {len(epoch['files'])} of them"
    per_rank = epoch.get("elements_per_rank", report.get("elements_per_rank"))
    if per_rank is not None:
        own = per_rank[report["rank"]]
        if remainder == "drop":
            text += f"; {min(per_rank)} elements, {own - min(per_rank)} dropped"
        elif remainder == "pad":
            text += f"; {max(per_rank)} elements, {max(per_rank) - own} padded"
        text += f" (elements per rank: {per_rank})"
    elif report["policy"] == "DATA" and remainder is not None:
        text += f"; counts evened ({remainder})"
    return text
