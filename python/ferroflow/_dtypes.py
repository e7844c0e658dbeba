"""Tensor element types with TensorFlow's names (``ff.int64``, ``ff.string`` ...)."""

from __future__ import annotations

from typing import Any

import numpy as np


class _DTypeKind(type):
    """Each dtype has its own DType subclass, whose class attributes answer as its numpy
    dtype's class does: numpy reads some (``type(a.dtype)._is_numeric``) from the class of a
    dtype it is given, and a tensor's ``.dtype`` is a DType."""

    def __getattr__(cls, name: str) -> Any:
        numpy_class = cls.__dict__.get("_numpy_class")
        if numpy_class is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(numpy_class, name)


class DType(metaclass=_DTypeKind):
    """An element type, like ``tf.DType``: compares equal to its name and its numpy dtype.

    It also stands in for its numpy dtype, as a tensor's ``.dtype`` must where numpy, JAX or
    PyTorch code reads it: ``np.dtype(d)`` converts it, and numpy's attributes (``kind``,
    ``itemsize``, ``type`` ...) answer through it."""

    __slots__ = ("name", "_np")

    def __new__(cls, name: str, numpy_dtype: Any) -> DType:
        npd = np.dtype(numpy_dtype)
        kind = _DTypeKind(f"DType_{name}", (cls,), {"__slots__": (), "_numpy_class": type(npd)})
        kind.__module__ = cls.__module__
        return object.__new__(kind)

    def __init__(self, name: str, numpy_dtype: Any) -> None:
        self.name = name
        self._np = np.dtype(numpy_dtype)

    @property
    def as_numpy_dtype(self) -> type:
        """The numpy scalar type (``np.int64`` ...; ``object`` for strings, as in TensorFlow)."""
        return self._np.type

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype (object for strings); ``np.dtype(d)`` reads it."""
        return self._np

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_np":
            raise AttributeError(name)
        return getattr(self._np, name)

    @property
    def is_floating(self) -> bool:
        """True for float16, float32 and float64."""
        return self._np.kind == "f"

    @property
    def is_integer(self) -> bool:
        """True for the signed and unsigned integer types."""
        return self._np.kind in "iu"

    @property
    def is_bool(self) -> bool:
        """True for bool."""
        return self._np.kind == "b"

    @property
    def size(self) -> int:
        """Bytes per element (8 for strings, the size of a reference, as numpy reports)."""
        return self._np.itemsize

    @property
    def min(self) -> Any:
        """The smallest representable value."""
        return np.iinfo(self._np).min if self.is_integer else np.finfo(self._np).min

    @property
    def max(self) -> Any:
        """The largest representable value."""
        return np.iinfo(self._np).max if self.is_integer else np.finfo(self._np).max

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: {self.name!r}>"

    def __eq__(self, other: object) -> bool:
        try:
            return as_dtype(other).name == self.name  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return NotImplemented

    def __hash__(self) -> int:
        # As the numpy dtype's, so a DType finds the entries of a set or dict of numpy dtypes.
        return hash(self._np)

    def __reduce__(self) -> tuple[Any, ...]:
        return (as_dtype, (self.name,))


bool_ = DType("bool", np.bool_)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
uint32 = DType("uint32", np.uint32)
uint64 = DType("uint64", np.uint64)
float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
string = DType("string", object)

half = float16
double = float64

ALL = (
    bool_,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    float16,
    float32,
    float64,
    string,
)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(
    {"half": float16, "double": float64, "float": float32, "bytes": string, "str": string}
)
_BY_NUMPY = {d._np: d for d in ALL if d is not string}
# The numeric numpy dtypes the engine takes as they are.
NUMERIC_NUMPY_DTYPES = frozenset(_BY_NUMPY)


def of_numpy(npd: np.dtype) -> DType | None:
    """The DType of a numpy dtype, by one lookup (``None`` for a dtype without one)."""
    found = _BY_NUMPY.get(npd)
    if found is None and npd.kind in "OSU":
        return string
    return found


def as_dtype(value: Any) -> DType:
    """Converts a DType, a name, a numpy dtype or a Python type to a ``DType`` (tf.as_dtype)."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        try:
            return _BY_NAME[value]
        except KeyError:
            raise TypeError(f"unknown dtype name {value!r}") from None
    if value in (bytes, str, object):
        return string
    if value is bool:
        return bool_
    if value is int:
        return int64
    if value is float:
        return float32
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"cannot convert {value!r} to a dtype") from None
    if npd.kind in "OSU":
        return string
    try:
        return _BY_NUMPY[npd]
    except KeyError:
        raise TypeError(f"unsupported dtype {npd}") from None
