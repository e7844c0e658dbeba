"""``SparseTensor`` and ``RaggedTensor``: the values ``VarLenFeature`` and ``RaggedFeature``
parse into, as numpy arrays. In a dataset element each travels as its component arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._dtypes import DType, as_dtype, int64
from ._spec import TensorShape, TensorSpec


def _array(value: Any, dtype: Any = None) -> Any:
    """``value`` as a numpy array; traced components (while a function is traced) pass
    through as they are."""
    if getattr(value, "_ff_symbol", False):
        return value
    if getattr(type(value), "_ff_strings", False):
        value = value._tensor()  # components are arrays: a string batch is made one once
    if isinstance(value, np.ndarray) and (dtype is None or value.dtype == dtype):
        return value
    return np.asarray(value, dtype=dtype)


class SparseTensor:
    """A sparse value like ``tf.sparse.SparseTensor``: ``indices`` (int64 [nnz, rank]),
    ``values`` ([nnz]) and ``dense_shape`` (int64 [rank])."""

    __slots__ = ("indices", "values", "dense_shape")

    def __init__(self, indices: Any, values: Any, dense_shape: Any) -> None:
        self.indices = _array(indices, np.int64)
        self.values = _array(values)
        self.dense_shape = _array(dense_shape, np.int64)

    @property
    def dtype(self) -> DType:
        """The values' dtype."""
        return as_dtype(self.values.dtype)

    @property
    def shape(self) -> TensorShape:
        """The dense shape."""
        return TensorShape(self.dense_shape.tolist())

    def to_dense(self, default_value: Any = None) -> np.ndarray:
        """The dense array (``tf.sparse.to_dense``); missing entries get ``default_value``
        (0, or ``b""`` for strings)."""
        if default_value is None:
            default_value = b"" if self.values.dtype == object else 0
        out = np.full(tuple(self.dense_shape), default_value, dtype=self.values.dtype)
        if len(self.values):
            out[tuple(self.indices.T)] = self.values
        return out

    def _ff_components(self) -> list[Any]:
        return [self.indices, self.values, self.dense_shape]

    def _ff_spec(self) -> SparseTensorSpec:
        rank = self.dense_shape.shape[0]
        return SparseTensorSpec(None if rank is None else [None] * rank, self.dtype)

    def __repr__(self) -> str:
        return (
            f"SparseTensor(indices={self.indices.tolist()}, values={self.values.tolist()}, "
            f"dense_shape={self.dense_shape.tolist()})"
        )


class RaggedTensor:
    """A ragged value like ``tf.RaggedTensor``: ``flat_values`` split into rows by
    ``nested_row_splits`` (outermost first)."""

    __slots__ = ("flat_values", "nested_row_splits")

    def __init__(self, flat_values: Any, nested_row_splits: list[Any]) -> None:
        self.flat_values = _array(flat_values)
        self.nested_row_splits = [_array(s, np.int64) for s in nested_row_splits]

    @classmethod
    def from_row_splits(cls, values: Any, row_splits: Any) -> RaggedTensor:
        """One ragged dimension over ``values``."""
        return cls(values, [row_splits])

    @property
    def values(self) -> Any:
        """The values one level down (a RaggedTensor, or the flat values)."""
        if len(self.nested_row_splits) == 1:
            return self.flat_values
        return RaggedTensor(self.flat_values, self.nested_row_splits[1:])

    @property
    def row_splits(self) -> np.ndarray:
        """The outermost row splits."""
        return self.nested_row_splits[0]

    @property
    def ragged_rank(self) -> int:
        """How many ragged dimensions there are."""
        return len(self.nested_row_splits)

    @property
    def dtype(self) -> DType:
        """The values' dtype."""
        return as_dtype(self.flat_values.dtype)

    def to_list(self) -> list[Any]:
        """Nested Python lists (``tf.RaggedTensor.to_list``)."""
        rows: Any = self.flat_values.tolist()
        for splits in reversed(self.nested_row_splits):
            rows = [rows[a:b] for a, b in zip(splits[:-1], splits[1:])]
        return rows

    def _ff_components(self) -> list[Any]:
        return [self.flat_values, *self.nested_row_splits]

    def _ff_spec(self) -> RaggedTensorSpec:
        return RaggedTensorSpec(None, self.dtype, ragged_rank=self.ragged_rank)

    def __repr__(self) -> str:
        return f"<RaggedTensor {self.to_list()!r}>"


class SparseTensorSpec:
    """Describes a ``SparseTensor`` component (``tf.SparseTensorSpec``)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: Any = None, dtype: Any = "float32") -> None:
        self.shape = TensorShape(shape)
        self.dtype = as_dtype(dtype)

    @property
    def value_type(self) -> type:
        """The type of the values this spec describes: ``SparseTensor``."""
        return SparseTensor

    def _ff_component_specs(self) -> list[TensorSpec]:
        rank = self.shape.rank
        return [
            TensorSpec([None, rank], int64),
            TensorSpec([None], self.dtype),
            TensorSpec([rank], int64),
        ]

    def _ff_value_from_components(self, parts: list[Any]) -> SparseTensor:
        return SparseTensor(*parts)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SparseTensorSpec)
            and self.shape == other.shape
            and self.dtype == other.dtype
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))

    def __repr__(self) -> str:
        return f"SparseTensorSpec({self.shape}, {self.dtype!r})"


class RaggedTensorSpec:
    """Describes a ``RaggedTensor`` component (``tf.RaggedTensorSpec``)."""

    __slots__ = ("shape", "dtype", "ragged_rank")

    def __init__(self, shape: Any = None, dtype: Any = "float32", ragged_rank: int = 1) -> None:
        self.shape = TensorShape(shape)
        self.dtype = as_dtype(dtype)
        self.ragged_rank = ragged_rank

    @property
    def value_type(self) -> type:
        """The type of the values this spec describes: ``RaggedTensor``."""
        return RaggedTensor

    def _ff_component_specs(self) -> list[TensorSpec]:
        return [TensorSpec([None], self.dtype)] + [TensorSpec([None], int64)] * self.ragged_rank

    def _ff_value_from_components(self, parts: list[Any]) -> RaggedTensor:
        return RaggedTensor(parts[0], parts[1:])

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, RaggedTensorSpec)
            and self.dtype == other.dtype
            and self.ragged_rank == other.ragged_rank
        )

    def __hash__(self) -> int:
        return hash((self.dtype, self.ragged_rank))

    def __repr__(self) -> str:
        return f"RaggedTensorSpec(dtype={self.dtype!r}, ragged_rank={self.ragged_rank})"


def is_composite(value: Any) -> bool:
    """True for sparse and ragged values and their specs."""
    return hasattr(value, "_ff_components") or hasattr(value, "_ff_component_specs")
