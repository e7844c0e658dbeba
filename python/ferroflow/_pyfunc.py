"""``py_function`` and ``numpy_function``: call Python from a pipeline function, as in
TensorFlow. On numpy values the call is direct; inside a traced map function it is recorded
and made for every element at run time, under the GIL. Outputs are converted to ``Tout``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _trace
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


def _plain(value: Any) -> Any:
    value = to_numpy(value)
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _convert_outputs(result: Any, Tout: Any) -> Any:
    def one(value: Any, dtype: Any) -> Any:
        return _plain(to_numpy(value, dtype))

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


def _call(
    inp: Sequence[Any], Tout: Any, call: Callable[[list[Any]], Any], wrap: Callable[[Any], Any]
) -> Any:
    """``call`` on ``inp`` (each passed through ``wrap``) now, or recorded when tracing."""
    builder = _trace.current()
    if builder is None:
        return _convert_outputs(call([wrap(v) for v in inp]), Tout)
    many = isinstance(Tout, (list, tuple))
    dtypes = [as_dtype(t) for t in Tout] if many else ([] if Tout is None else [as_dtype(Tout)])

    def run(*values: Any) -> list[Any]:
        out = _convert_outputs(call([wrap(v) for v in values]), Tout)
        results = out if many else ([] if Tout is None else [out])
        return [to_numpy(r) for r in results]

    symbols = _trace.external_call(builder, list(inp), run, dtypes)
    return symbols if many else (symbols[0] if symbols else None)


def py_function(
    func: Callable[..., Any], inp: Sequence[Any], Tout: Any, name: str | None = None
) -> Any:
    """Calls ``func(*inp)`` with values that have ``.numpy()``, converting the result to
    ``Tout`` (a dtype, or a list of dtypes for several results)."""
    return _call(inp, Tout, lambda values: func(*values), lambda v: _eager(to_numpy(v)))


def numpy_function(
    func: Callable[..., Any],
    inp: Sequence[Any],
    Tout: Any,
    stateful: bool = True,
    name: str | None = None,
) -> Any:
    """Calls ``func(*inp)`` with numpy values, converting the result to ``Tout``."""
    return _call(inp, Tout, lambda values: func(*values), _plain)
