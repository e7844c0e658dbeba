"""``Dataset.rejection_resample``, composed as tf.data composes it: each element gets its
class; a filter keeps it with its class's acceptance probability; and the original stream
is mixed in with the probability the target asks of it. Without ``initial_dist`` the
class distribution is estimated as the data streams by (a running count per batch of 32,
starting from 10 of each class)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._ops import stack
from .dataset import Dataset

_ESTIMATION_BATCH = 32
_SMOOTHING = 10


def acceptance(initial: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.float32]:
    """Each class's acceptance probability and the probability of taking an element of the
    original stream unfiltered (TensorFlow's ``_calculate_acceptance_probs_with_mixing``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (target / (initial + np.finfo(np.float32).tiny)).astype(np.float32)
        low, high = ratio.min(), ratio.max()
        return ((ratio - low) / (high - low)).astype(np.float32), np.float32(low)


def _estimated_acceptance(classes: Dataset, target: np.ndarray) -> Dataset:
    """For each element, ``acceptance`` of the class distribution seen so far, counted a
    batch of 32 at a time (starting from 10 of each class) as tf.data estimates it."""

    def update(counts: np.ndarray, batch: np.ndarray) -> tuple[np.ndarray, tuple]:
        counts = counts + np.bincount(np.asarray(batch, np.int64), minlength=len(target))
        accept, mix = acceptance((counts / counts.sum()).astype(np.float32), target)
        return counts, (np.tile(accept, (_ESTIMATION_BATCH, 1)), np.full(_ESTIMATION_BATCH, mix))

    start = np.full(len(target), _SMOOTHING, np.int64)
    return classes.batch(_ESTIMATION_BATCH).scan(start, update).unbatch()


def rejection_resample(
    dataset: Dataset,
    class_func: Callable[..., Any],
    target_dist: Any,
    initial_dist: Any,
    seed: int | None,
) -> Dataset:
    target = np.asarray(target_dist, np.float32).reshape(-1)

    def with_class(*element: Any) -> Any:
        return class_func(*element), element[0] if len(element) == 1 else element

    classed = dataset.map(with_class)
    original_share: float | None = None
    if initial_dist is not None:
        initial = np.asarray(initial_dist, np.float32).reshape(-1)
        accept, mix = acceptance(initial, target)
        accept_ds = Dataset.from_tensors(accept).repeat()
        mix_ds = Dataset.from_tensors(mix).repeat()
        with np.errstate(divide="ignore", invalid="ignore"):
            original_share = float(np.min(target / initial))
    else:
        estimated = _estimated_acceptance(dataset.map(class_func), target)
        accept_ds = estimated.map(lambda accept, mix: accept)
        mix_ds = estimated.map(lambda accept, mix: mix)

    def keep(accept: np.ndarray, class_and_element: Any, draw: Any) -> bool:
        # A uniform draw in [0, 1) from the 53 high bits of a seeded random int64: the
        # draws repeat every pass under a seed.
        uniform = float(np.uint64(np.int64(draw)) >> np.uint64(11)) * 2.0**-53
        return uniform < float(accept[int(class_and_element[0])])

    draws = Dataset.random(seed=seed)
    filtered = (
        Dataset.zip((accept_ds, classed, draws)).filter(keep).map(lambda a, ce, d: ce).prefetch(3)
    )
    if original_share == 1:
        return classed
    if original_share == 0:
        return filtered
    weights = mix_ds.map(lambda m: stack([m, 1 - m]))
    return Dataset.sample_from_datasets(
        [classed, filtered], weights=weights, seed=seed, stop_on_empty_dataset=True
    )
