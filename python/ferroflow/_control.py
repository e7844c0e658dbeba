"""Control flow and helpers met in input code: ``tf.cond``, ``tf.map_fn``,
``tf.vectorized_map``, ``tf.einsum``, ``tf.print``, ``tf.name_scope``.

``cond`` traces natively by computing both branches and selecting; the others run as Python
when met in a traced function (the function then runs as Python, per element)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _nest, _trace
from ._convert import to_numpy
from ._tensor import as_tensor


def cond(
    pred: Any,
    true_fn: Callable[[], Any] | None = None,
    false_fn: Callable[[], Any] | None = None,
    name: str | None = None,
) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()`` (``tf.cond``). Traced with a traced
    ``pred``, both branches are traced and their results selected element by element, so
    they must give the same structure and dtypes."""
    if true_fn is None or false_fn is None:
        raise TypeError("cond needs both true_fn and false_fn")
    if not _trace.is_symbol(pred):
        return true_fn() if bool(np.asarray(to_numpy(pred))) else false_fn()
    from ._array_ops import where

    yes, no = true_fn(), false_fn()
    try:
        _nest.assert_same_structure(yes, no)
    except (TypeError, ValueError) as e:
        raise _trace.TraceUnsupported(f"cond branches of different structures: {e}") from e
    return _nest.pack_sequence_as(
        yes, [where(pred, a, b) for a, b in zip(_nest.flatten(yes), _nest.flatten(no))]
    )


def _over_rows(fn: Callable[[Any], Any], elems: Any) -> Any:
    """``fn`` applied to each row of ``elems`` (a tensor or a structure of them), the results
    stacked."""
    if any(_trace.is_symbol(e) for e in _nest.flatten(elems)):
        raise _trace.TraceUnsupported("map_fn runs as Python")
    flat = [np.asarray(to_numpy(e)) for e in _nest.flatten(elems)]
    rows = len(flat[0])
    if any(len(f) != rows for f in flat):
        raise ValueError("map_fn: every tensor in elems needs the same first dimension")
    results = [
        fn(_nest.pack_sequence_as(elems, [as_tensor(f[i]) for f in flat])) for i in range(rows)
    ]
    if not results:
        raise ValueError("map_fn: elems has no rows")
    parts = [_nest.flatten(r) for r in results]
    stacked = [
        as_tensor(np.stack([np.asarray(to_numpy(p[k])) for p in parts]))
        for k in range(len(parts[0]))
    ]
    return _nest.pack_sequence_as(results[0], stacked)


def map_fn(
    fn: Callable[[Any], Any],
    elems: Any,
    dtype: Any = None,
    parallel_iterations: Any = None,
    back_prop: bool = True,
    swap_memory: bool = False,
    infer_shape: bool = True,
    name: str | None = None,
    fn_output_signature: Any = None,
) -> Any:
    """``fn`` applied to each row of ``elems`` (unpacked along the first dimension; a
    structure of tensors gives structures), the results stacked (``tf.map_fn``)."""
    return _over_rows(fn, elems)


def vectorized_map(
    fn: Callable[[Any], Any], elems: Any, fallback_to_while_loop: bool = True
) -> Any:
    """``map_fn``'s result (``tf.vectorized_map``): each row is computed by ``fn``."""
    return _over_rows(fn, elems)


def einsum(equation: str, *inputs: Any, **kwargs: Any) -> Any:
    """Einstein summation (``tf.einsum``), computed by numpy."""
    if any(_trace.is_symbol(x) for x in inputs):
        raise _trace.TraceUnsupported("einsum runs as Python")
    return as_tensor(np.einsum(equation, *(np.asarray(to_numpy(x)) for x in inputs)))


def _text(value: Any, summarize: int) -> str:
    if isinstance(value, (str, bytes)):
        return value if isinstance(value, str) else repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_text(v, summarize)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v, summarize) for v in value) + "]"
    converted = to_numpy(value)
    if isinstance(converted, bytes):
        return converted.decode("utf-8", "replace")
    plain = np.asarray(converted)
    if plain.ndim == 0:
        return str(plain[()])
    with np.printoptions(threshold=max(summarize, 1) * 2, edgeitems=max(summarize, 1)):
        return np.array2string(plain, separator=" ")


def print(  # noqa: A001
    *inputs: Any,
    output_stream: Any = sys.stderr,
    summarize: int = 3,
    sep: str = " ",
    end: str = "\n",
    name: str | None = None,
) -> None:
    """Prints ``inputs`` to ``output_stream`` (standard error by default), tensors as
    numpy prints them with ``summarize`` values at each end (``tf.print``)."""
    if any(_trace.is_symbol(x) for x in _nest.flatten(list(inputs))):
        raise _trace.TraceUnsupported("tf.print runs as Python")
    text = sep.join(_text(x, summarize) for x in inputs) + end
    stream = output_stream
    if isinstance(stream, str):
        stream = sys.stdout if stream.endswith("stdout") else sys.stderr
    stream.write(text)


class name_scope:  # noqa: N801 - TensorFlow's name
    """A context manager naming the ops inside it (``tf.name_scope``); ferroflow's ops are
    not named, so it only gives its name back."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> str:
        return self.name

    def __exit__(self, *exc: object) -> None:
        return None
