"""``Dataset.sparse_batch``: elements of varying shape batched into ``SparseTensor``s."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._composite import SparseTensor
from .._ops import shape
from ..errors import InvalidArgumentError


def sparse_batch(dataset: Any, batch_size: int, row_shape: Any) -> Any:
    """Pads each batch to ``row_shape`` with each element's own shape kept beside it, then
    lists every value at its position in the element."""
    dims = [int(d) for d in np.asarray(row_shape).reshape(-1)]
    spec = dataset.element_spec
    if spec.shape.rank is not None and spec.shape.rank != len(dims):
        raise InvalidArgumentError(
            f"sparse_batch: row_shape {dims} must have the elements' rank {spec.shape.rank}"
        )
    with_shapes = dataset.map(lambda x: (x, shape(x, out_type="int64")))
    padded = with_shapes.padded_batch(batch_size, padded_shapes=(dims, [len(dims)]))

    def to_sparse(values: Any, shapes: Any) -> SparseTensor:
        # padded_batch has refused elements larger than row_shape, naming them.
        values, shapes = np.asarray(values), np.asarray(shapes)
        indices = [
            [row, *position]
            for row, element_shape in enumerate(shapes)
            for position in np.ndindex(*element_shape)
        ]
        index = np.asarray(indices, np.int64).reshape(-1, len(dims) + 1)
        picked = values[tuple(index.T)] if len(index) else values.reshape(-1)[:0]
        return SparseTensor(index, picked, np.asarray([len(shapes), *dims], np.int64))

    return padded.map(to_sparse)
