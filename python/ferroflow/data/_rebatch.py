"""``Dataset.rebatch`` with several batch sizes: the values in batches whose sizes cycle
through the list, as tf.data's ``rebatch`` does with a vector ``batch_size``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtypes import int64
from .._spec import TensorSpec
from ._structure import Structure


def rebatch_cycled(dataset: Any, sizes: list[int], drop_remainder: bool) -> Any:
    """``dataset``'s values unbatched, then batched ``sizes[0]``, ``sizes[1]``, ... values at
    a time, starting the list again at its end. The engine groups consecutive values by the
    batch they belong to, so no Python runs per value."""
    from .._array_ops import gather
    from .._math import greater_equal
    from .._ops import cast, shape
    from .._reduce import reduce_sum
    from . import _structure
    from .dataset import _int_scalar_fn, _stacked_spec

    count, period = len(sizes), sum(sizes)
    starts = np.cumsum(sizes)[:-1].astype(np.int64)  # where each batch after the first begins
    table = np.asarray(sizes, np.int64)

    def batch_of(index: Any, element: Any) -> Any:
        slot = reduce_sum(cast(greater_equal(index % period, starts), int64))
        return index // period * count + slot

    def size_of(batch: Any) -> Any:
        return gather(table, batch % count)

    numbered = dataset.unbatch().enumerate()
    key_fn = _int_scalar_fn(batch_of, numbered._structure, "rebatch")
    size_fn = _int_scalar_fn(size_of, Structure(TensorSpec([], int64)), "rebatch")
    spec = _structure.dense_only(numbered._structure.get())
    native = numbered._native.group_by_window(key_fn, None, size_fn)
    groups = numbered._derive(native, Structure((TensorSpec([], int64), _stacked_spec(spec))))
    if drop_remainder:
        groups = groups.filter(lambda batch, stacked: shape(stacked[0])[0] == size_of(batch))
    return groups.map(lambda batch, stacked: stacked[1])
