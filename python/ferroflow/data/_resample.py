"""``Dataset.rejection_resample``, composed as tf.data composes it: each element gets its
class; a filter keeps it with its class's acceptance probability; and the original stream
is mixed in with the probability the target asks of it. Without ``initial_dist`` the
class distribution is estimated as the data streams by (a running count per batch of 32,
starting from 10 of each class)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _random
from .dataset import Dataset

_ESTIMATION_BATCH = 32
_SMOOTHING = 10


def acceptance(initial: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.float32]:
    """Each class's acceptance probability and the probability of taking an element of the
    original stream unfiltered (TensorFlow's ``_calculate_acceptance_probs_with_mixing``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = target / (initial + np.finfo(np.float32).tiny)
        ratio = np.where(np.isinf(ratio), np.float32(0), ratio).astype(np.float32)
        low, high = ratio.min(), ratio.max()
        return ((ratio - low) / (high - low)).astype(np.float32), np.float32(low)


def _estimated_distributions(classes: Dataset, num_classes: int) -> Dataset:
    """For each element, the class distribution seen so far (counted a batch at a time)."""

    def update(counts: np.ndarray, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = counts + np.bincount(np.asarray(batch, np.int64), minlength=num_classes)
        dist = (counts / counts.sum()).astype(np.float32)
        return counts, np.tile(dist, (_ESTIMATION_BATCH, 1))

    start = np.full(num_classes, _SMOOTHING, np.int64)
    return classes.batch(_ESTIMATION_BATCH).scan(start, update).unbatch()


def rejection_resample(
    dataset: Dataset,
    class_func: Callable[..., Any],
    target_dist: Any,
    initial_dist: Any,
    seed: int | None,
) -> Dataset:
    target = np.asarray(target_dist, np.float32).reshape(-1)
    op_seed = _random.get_seed(seed)
    rng_seed = np.random.SeedSequence(op_seed) if op_seed is not None else None

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
        initial_ds = _estimated_distributions(dataset.map(class_func), len(target))
        pairs = initial_ds.map(lambda d: acceptance(np.asarray(d), target))
        accept_ds = pairs.map(lambda a, m: a)
        mix_ds = pairs.map(lambda a, m: m)

    draws = np.random.default_rng(rng_seed)

    def keep(accept: np.ndarray, class_and_element: Any) -> bool:
        return bool(draws.random(dtype=np.float32) < accept[int(class_and_element[0])])

    filtered = Dataset.zip((accept_ds, classed)).filter(keep).map(lambda a, ce: ce).prefetch(3)
    if original_share == 1:
        return classed
    if original_share == 0:
        return filtered
    weights = mix_ds.map(lambda m: np.array([m, 1 - m], np.float32))
    return Dataset.sample_from_datasets(
        [classed, filtered], weights=weights, seed=seed, stop_on_empty_dataset=True
    )
