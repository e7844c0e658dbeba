"""``ferroflow.sparse``: ``SparseTensor`` values and conversions (``tf.sparse``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._composite import SparseTensor, SparseTensorSpec
from ._convert import to_numpy
from ._tensor import as_tensor


def to_dense(
    sp_input: SparseTensor,
    default_value: Any = None,
    validate_indices: bool = True,
    name: Any = None,
) -> Any:
    """The dense tensor of ``sp_input``, ``default_value`` (zero, or the empty string)
    where it has no value."""
    return as_tensor(np.asarray(sp_input.to_dense(default_value)))


def from_dense(tensor: Any, name: str | None = None) -> SparseTensor:
    """The values of ``tensor`` that are not zero (not empty, for strings), with their
    positions."""
    dense = np.asarray(to_numpy(tensor))
    zero = b"" if dense.dtype == object else 0
    keep = dense != zero
    indices = np.argwhere(keep).astype(np.int64)
    return SparseTensor(indices, dense[keep], np.asarray(dense.shape, np.int64))


__all__ = ["SparseTensor", "SparseTensorSpec", "from_dense", "to_dense"]
