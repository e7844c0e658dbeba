"""``py_function`` and ``numpy_function``: call Python from a pipeline function, as in
TensorFlow. On numpy values the call is direct; inside a traced map function it is recorded
and made for every element at run time, under the GIL. Outputs are converted to ``Tout``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _trace
from ._convert import to_numpy
from ._dtypes import as_dtype
from ._tensor import as_tensor


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
        out = _convert_outputs(call([wrap(v) for v in inp]), Tout)
        return [as_tensor(v) for v in out] if isinstance(out, list) else as_tensor(out)
    many = isinstance(Tout, (list, tuple))
    dtypes = [as_dtype(t) for t in Tout] if many else ([] if Tout is None else [as_dtype(Tout)])

    def run(*values: Any) -> list[Any]:
        out = _convert_outputs(call([wrap(v) for v in values]), Tout)
        results = out if many else ([] if Tout is None else [out])
        return [to_numpy(r) for r in results]

    symbols = _trace.external_call(builder, list(inp), run, dtypes)
    return symbols if many else (symbols[0] if symbols else None)


def _decorated(
    func: Callable[..., Any] | None, inp: Sequence[Any] | None, call: Callable[..., Any]
) -> Any:
    """``call(func, inp)``, or, when ``inp`` is not given, a decorator form: ``func`` (or the
    function decorated) called with its arguments as ``inp``."""
    if inp is not None:
        if func is None:
            raise TypeError("func is required when inp is given")
        return call(func, inp)

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(*args: Any) -> Any:
            return call(f, list(args))

        return wrapper

    return decorate if func is None else decorate(func)


def py_function(
    func: Callable[..., Any] | None = None,
    inp: Sequence[Any] | None = None,
    Tout: Any = None,
    name: str | None = None,
) -> Any:
    """Calls ``func(*inp)`` with ``Tensor`` values (which have ``.numpy()``), converting the
    result to ``Tout`` (a dtype, or a list of dtypes for several results). Without ``inp``
    it is a decorator, as in TensorFlow: ``@py_function(Tout=ff.float32)`` makes a function
    whose calls go through ``py_function``."""
    return _decorated(
        func,
        inp,
        lambda f, args: _call(args, Tout, lambda values: f(*values), _tensor_input),
    )


def _tensor_input(value: Any) -> Any:
    return as_tensor(to_numpy(value))


def numpy_function(
    func: Callable[..., Any] | None = None,
    inp: Sequence[Any] | None = None,
    Tout: Any = None,
    stateful: bool = True,
    name: str | None = None,
) -> Any:
    """Calls ``func(*inp)`` with numpy values, converting the result to ``Tout``; without
    ``inp``, a decorator as ``py_function`` is."""
    return _decorated(
        func, inp, lambda f, args: _call(args, Tout, lambda values: f(*values), _plain)
    )
