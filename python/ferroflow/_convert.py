"""Python values to the numpy values the engine takes, with TensorFlow's type inference:
Python ints become int32 (int64 when they do not fit), floats float32, str and bytes strings;
numpy values keep their dtype."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._dtypes import NUMERIC_NUMPY_DTYPES, DType, as_dtype, string

_INT32 = np.iinfo(np.int32)


def _all_python_leaves(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_all_python_leaves(v) for v in value)
    return isinstance(value, (bool, int, float, str, bytes))


def _has_strings(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_has_strings(v) for v in value)
    return isinstance(value, (str, bytes))


def _plain_leaves(value: Any) -> Any:
    """``value`` with its array leaves (tensors from iteration or ops) as plain numpy, 0-d
    ones as their scalar or ``bytes``, so a list of them converts as a list of numbers or
    strings does."""
    if isinstance(value, (list, tuple)):
        return [_plain_leaves(v) for v in value]
    if isinstance(value, np.ndarray):
        plain = value.view(np.ndarray)
        return plain[()] if plain.ndim == 0 else plain
    return value


def utf8_items(values: np.ndarray) -> np.ndarray:
    """An object array of strings with its ``str`` items as UTF-8 ``bytes`` (in place)."""
    flat = values.reshape(-1)
    for i, item in enumerate(flat):
        if isinstance(item, str):
            flat[i] = item.encode("utf-8")
    return values


def _encode(item: Any) -> bytes:
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        return item.encode("utf-8")
    if isinstance(item, np.bytes_):
        return bytes(item)
    raise TypeError(f"cannot convert {type(item).__name__} {item!r} to a string tensor")


def _string_array(arr: np.ndarray) -> np.ndarray:
    out = np.empty(arr.shape, dtype=object)
    flat_in, flat_out = arr.reshape(-1), out.reshape(-1)
    for i in range(flat_in.size):
        flat_out[i] = _encode(flat_in[i])
    return out


def to_numpy(value: Any, dtype: Any = None) -> Any:
    """The engine's form of ``value``: a numpy array of a supported dtype, an object array of
    bytes, or ``bytes`` for a scalar string. ``dtype`` forces the type (as ``tf.constant``)."""
    target: DType | None = None if dtype is None else as_dtype(dtype)
    if isinstance(value, (bytes, str)):
        if target is not None and target != string:
            raise TypeError(f"cannot convert the string {value!r} to {target.name}")
        return _encode(value)
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    if isinstance(value, (list, tuple)):
        value = _plain_leaves(value)
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
    elif _all_python_leaves(value):
        # Object arrays keep bytes whole: numpy's "S" dtype would drop trailing NUL bytes.
        arr = np.array(value, dtype=object) if _has_strings(value) else np.asarray(value)
        if target is None and arr.dtype == np.int64:
            if arr.size == 0 or (arr.min() >= _INT32.min and arr.max() <= _INT32.max):
                arr = arr.astype(np.int32)
        elif target is None and arr.dtype == np.float64:
            arr = arr.astype(np.float32)
    else:
        arr = np.asarray(value)
    if arr.dtype.kind in "OSU" or (target is not None and target == string):
        if target is not None and target != string:
            raise TypeError(f"cannot convert string values to {target.name}")
        if arr.ndim == 0:
            return _encode(arr.item())
        if arr.dtype == object:
            return arr  # the engine reads bytes and str items itself, and rejects others
        return _string_array(arr)
    if (
        arr.dtype.kind == "f"
        and arr.size == 0
        and target is None
        and not isinstance(value, (np.ndarray, np.generic))
    ):
        arr = arr.astype(np.float32)
    if target is not None:
        if arr.dtype != target.as_numpy_dtype:
            cast = arr.astype(target.as_numpy_dtype)
            if arr.dtype.kind in "iub" and target.is_integer and not np.array_equal(cast, arr):
                raise ValueError(f"values {value!r} do not fit in {target.name}")
            arr = cast
    else:
        as_dtype(arr.dtype)  # raises TypeError for unsupported dtypes
    if arr.ndim and not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)  # numpy's copy is faster than element-wise reads
    return arr


# The numpy scalar types of the dtypes the engine takes as they are.
ENGINE_SCALARS = frozenset(d.type for d in NUMERIC_NUMPY_DTYPES)


def engine_leaf(value: Any) -> Any:
    """``to_numpy(value)`` for one component, with what functions mostly return (a contiguous
    numeric array, a numpy scalar) handed over without the general conversion: a Python
    function in ``map`` pays for it on every element."""
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype in NUMERIC_NUMPY_DTYPES and value.flags.c_contiguous:
            return value
    elif kind in ENGINE_SCALARS:
        return np.asarray(value)
    return to_numpy(value)


def dtype_of(value: Any) -> DType:
    """The dtype of an engine value."""
    if isinstance(value, bytes):
        return string
    return as_dtype(value.dtype)


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of an engine value."""
    return () if isinstance(value, bytes) else tuple(value.shape)
