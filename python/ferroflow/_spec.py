"""``TensorShape`` and ``TensorSpec``: the static description of a dataset's components."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ._dtypes import DType, as_dtype, float32


class TensorShape:
    """A shape whose dimensions may be unknown (``None``), like ``tf.TensorShape``."""

    __slots__ = ("_dims",)

    def __init__(self, dims: Iterable[int | None] | TensorShape | int | None) -> None:
        if isinstance(dims, TensorShape):
            self._dims: tuple[int | None, ...] | None = dims._dims
        elif dims is None:
            self._dims = None
        elif isinstance(dims, (int, np.integer)):
            self._dims = (int(dims),)
        else:
            self._dims = tuple(None if d is None or d == -1 else int(d) for d in dims)
        if self._dims is not None and any(d is not None and d < 0 for d in self._dims):
            raise ValueError(
                f"Dimension {min(d for d in self._dims if d is not None)} must be >= 0"
            )

    @property
    def rank(self) -> int | None:
        """The number of dimensions, or None if unknown."""
        return None if self._dims is None else len(self._dims)

    ndims = rank

    def as_list(self) -> list[int | None]:
        """The dimensions as a list (raises ValueError for an unknown rank, as TensorFlow)."""
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self) -> bool:
        """True when the rank and every dimension are known."""
        return self._dims is not None and all(d is not None for d in self._dims)

    def is_compatible_with(self, other: Any) -> bool:
        """True when some concrete shape matches both."""
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def most_specific_compatible_shape(self, other: TensorShape) -> TensorShape:
        """The shape keeping the dimensions both agree on."""
        if self._dims is None or other._dims is None or len(self._dims) != len(other._dims):
            return TensorShape(None)
        return TensorShape(a if a == b else None for a, b in zip(self._dims, other._dims))

    def __iter__(self) -> Iterator[int | None]:
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __getitem__(self, key: Any) -> Any:
        if self._dims is None:
            return None
        value = self._dims[key]
        return TensorShape(value) if isinstance(key, slice) else value

    def __eq__(self, other: object) -> bool:
        try:
            other_shape = TensorShape(other)  # type: ignore[arg-type]
        except TypeError:
            return NotImplemented
        return self._dims == other_shape._dims

    def __hash__(self) -> int:
        return hash(self._dims)

    def __repr__(self) -> str:
        return "TensorShape(None)" if self._dims is None else f"TensorShape({list(self._dims)})"


class TensorSpec:
    """Describes one component: its shape (``None`` for unknown dims) and dtype."""

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape: Any, dtype: Any = float32, name: str | None = None) -> None:
        self.shape = TensorShape(shape)
        self.dtype: DType = as_dtype(dtype)
        self.name = name

    @classmethod
    def from_value(cls, value: Any) -> TensorSpec:
        """The spec of a concrete numpy value, bytes or scalar."""
        if isinstance(value, (bytes, str)):
            return cls([], "string")
        arr = np.asarray(value)
        return cls(arr.shape, as_dtype(arr.dtype))

    def is_compatible_with(self, value: Any) -> bool:
        """True when ``value`` (a spec or a value) fits this spec."""
        other = value if isinstance(value, TensorSpec) else TensorSpec.from_value(value)
        return self.dtype == other.dtype and self.shape.is_compatible_with(other.shape)

    def most_specific_compatible_type(self, other: TensorSpec) -> TensorSpec:
        """The spec covering both this one and ``other`` (same dtype required)."""
        if self.dtype != other.dtype:
            raise TypeError(f"incompatible dtypes {self.dtype} and {other.dtype}")
        return TensorSpec(self.shape.most_specific_compatible_shape(other.shape), self.dtype)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TensorSpec)
            and self.shape == other.shape
            and self.dtype == other.dtype
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))

    def __repr__(self) -> str:
        dims = "None" if self.shape.rank is None else f"{tuple(self.shape.as_list())}"
        return f"TensorSpec(shape={dims}, dtype={self.dtype!r}, name={self.name!r})"
