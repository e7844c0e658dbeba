"""``Dataset.distribute``: each of several training processes (ranks) reads its own part of a
pipeline's data, and every rank yields the same number of elements per epoch, so that a
collective in the training step (an all-reduce of gradients) never waits on a rank that has
run out.

Under the FILE policy the pipeline is made again over this rank's share of its files (see
``_file_plan``). Under DATA every rank runs the whole pipeline and keeps every n-th element.
AUTO takes FILE where the pipeline starts from files, at least one per rank, and DATA
otherwise. This module picks the ranks and the policy, evens DATA's counts, and takes a pass
saved by other ranks over (``resume``, with ``_elastic``'s segments)."""

from __future__ import annotations

import math
import os
import sys
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from . import _elastic
from ._file_plan import FilePlan, checked_plan, file_plan, to_target
from .experimental import AutoShardPolicy

if TYPE_CHECKING:
    from .dataset import Dataset

_REMAINDERS = ("drop", "pad", None)


def world(num_replicas: int | None, rank: int | None) -> tuple[int, int, str]:
    """The number of ranks, this process's rank, and where they were read: the arguments,
    an initialized ``torch.distributed``, a Ray Train worker's context, JAX's processes, or
    ``WORLD_SIZE`` and ``RANK``."""
    if num_replicas is not None or rank is not None:
        if num_replicas is None or rank is None:
            raise InvalidArgumentError("give both num_replicas and rank, or neither")
        return _checked(num_replicas, rank, "the arguments")
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return _checked(dist.get_world_size(), dist.get_rank(), "torch.distributed")
    train = _ray_train_world()
    if train is not None:
        return _checked(*train, "Ray Train")
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


def _ray_train_world() -> tuple[int, int] | None:
    """The world size and rank of this Ray Train worker, or None outside one."""
    train = sys.modules.get("ray.train")
    if train is None:
        return None
    try:
        context = train.get_context()
        size, rank = context.get_world_size(), context.get_world_rank()
    except Exception:  # not in a training worker: Ray says so in ways that vary by version
        return None
    return (size, rank) if size is not None and size > 1 else None


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
        plan = file_plan(ds)
        if isinstance(plan, FilePlan):
            plan = checked_plan(plan.files, size, plan)
        if isinstance(plan, FilePlan):
            report.update(policy="FILE", files=len(plan.files), _plan=plan)
            return plan.build(size, rank, seed, remainder, report), report
        if policy == AutoShardPolicy.FILE:
            raise InvalidArgumentError(f"the FILE policy cannot split this pipeline: {plan}")
        report["why_not_file"] = plan
    if policy == AutoShardPolicy.HINT:
        raise InvalidArgumentError("the HINT policy needs tf.distribute's shard hints; use FILE")
    report["policy"] = "DATA"
    return _by_element(ds, size, rank, remainder), report


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
        found = file_plan(report["_source"])
        plan = found if isinstance(found, FilePlan) else None
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
        start = to_target(start, sizes[rank], targets[rank], rank)
    plan.advance_past(described["key"], report["_seed"])
    report.setdefault("epoch", {}).update(
        files=sorted({plan.files[s[0]] for s in ranks[rank]}), elements_per_rank=sizes
    )
    return plan.finish(start), again


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
