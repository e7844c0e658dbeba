"""``py_function`` and ``numpy_function``: call Python from a pipeline function, as in
TensorFlow. Values here are already numpy, so the call is direct; outputs are converted to
``Tout``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._convert import to_numpy
from ._dtypes import as_dtype


class EagerValue(np.ndarray):
    """A numpy array that also answers ``.numpy()``, so functions written for
    ``tf.py_function`` (which receive eager tensors) run unchanged."""

    def numpy(self) -> Any:
        """The value as plain numpy (a numpy scalar or ``bytes`` for 0-d values)."""
        plain = self.view(np.ndarray)
        return plain[()] if plain.ndim == 0 else plain


def _eager(value: Any) -> EagerValue:
    arr = np.empty((), dtype=object) if isinstance(value, bytes) else np.asarray(value)
    if isinstance(value, bytes):
        arr[()] = value
    return arr.view(EagerValue)


def _convert_outputs(result: Any, Tout: Any) -> Any:
    def one(value: Any, dtype: Any) -> Any:
        v = to_numpy(value, dtype)
        return v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v

    if isinstance(Tout, (list, tuple)):
        if not Tout:
            return []
        results = result if isinstance(result, (list, tuple)) else [result]
        if len(results) != len(Tout):
            raise ValueError(f"the function returned {len(results)} values, Tout names {len(Tout)}")
        return [one(r, t) for r, t in zip(results, Tout)]
    if Tout is None:
        return None
    return one(result, as_dtype(Tout))


def py_function(
    func: Callable[..., Any], inp: Sequence[Any], Tout: Any, name: str | None = None
) -> Any:
    """Calls ``func(*inp)`` with values that have ``.numpy()``, converting the result to
    ``Tout`` (a dtype, or a list of dtypes for several results)."""
    return _convert_outputs(func(*[_eager(to_numpy(v)) for v in inp]), Tout)


def numpy_function(
    func: Callable[..., Any],
    inp: Sequence[Any],
    Tout: Any,
    stateful: bool = True,
    name: str | None = None,
) -> Any:
    """Calls ``func(*inp)`` with numpy values, converting the result to ``Tout``."""
    args = []
    for v in inp:
        arr = to_numpy(v)
        args.append(arr[()] if isinstance(arr, np.ndarray) and arr.ndim == 0 else arr)
    return _convert_outputs(func(*args), Tout)
