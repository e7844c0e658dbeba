"""``ferroflow.ragged``: building ``RaggedTensor`` values (``tf.ragged``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._composite import RaggedTensor
from ._convert import to_numpy, utf8_items


def constant(
    pylist: Any,
    dtype: Any = None,
    ragged_rank: int | None = None,
    inner_shape: Any = None,
    name: str | None = None,
    row_splits_dtype: Any = "int64",
) -> Any:
    """A ``RaggedTensor`` from nested lists whose lengths vary (``tf.ragged.constant``):
    every level above the innermost ``ragged_rank`` (by default, every level that is a
    list) becomes row splits; the leaves are converted as ``ff.constant`` converts them."""
    depth = _depth(pylist)
    rank = depth - 1 if ragged_rank is None else int(ragged_rank)
    if rank < 1:
        return to_numpy(pylist, dtype)
    level = list(pylist)
    splits = []
    for _ in range(rank):
        lengths = [len(row) for row in level]
        splits.append(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        level = [item for row in level for item in row]
    if not level:
        return RaggedTensor(np.zeros(0, np.float32 if dtype is None else dtype), splits)
    values = to_numpy(level, dtype)
    if isinstance(values, np.ndarray) and values.dtype == object:
        values = utf8_items(values)
    return RaggedTensor(values, splits)


def _depth(value: Any) -> int:
    """How many levels of lists ``value`` has (the deepest)."""
    if isinstance(value, (list, tuple)):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


__all__ = ["constant"]
