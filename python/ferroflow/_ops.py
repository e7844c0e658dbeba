"""Tensor operations that work on numpy values eagerly and record themselves while a map
function is traced."""

from __future__ import annotations

from typing import Any

from . import _trace
from ._convert import to_numpy
from ._dtypes import as_dtype


def cast(x: Any, dtype: Any, name: str | None = None) -> Any:
    """``x`` converted to ``dtype`` (``tf.cast``): floats to integers truncate toward zero,
    numbers to bool test for non-zero."""
    if _trace.is_symbol(x):
        return _trace.cast(x, dtype)
    target = as_dtype(dtype)
    value = to_numpy(x)
    if isinstance(value, bytes) or value.dtype == object or target.name == "string":
        raise TypeError("cast does not convert strings; use ff.strings.to_number")
    out = value.astype(target.as_numpy_dtype)
    return out[()] if out.ndim == 0 else out
