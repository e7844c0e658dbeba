"""Control flow and helpers met in input code: ``tf.cond``, ``tf.map_fn``,
``tf.vectorized_map``, ``tf.einsum``, ``tf.print``, ``tf.name_scope``.

Each traces: ``cond`` computes both branches and selects; ``map_fn`` and ``vectorized_map``
record the function as a graph of its own, run on each row by the engine; ``einsum`` is
composed of transposes, products and sums; ``print`` records a call that prints when each
element is computed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _nest, _trace
from ._convert import to_numpy
from ._lib import NativeGraph
from ._spec import TensorShape, TensorSpec
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
        return _traced_over_rows(fn, elems)
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


def _traced_over_rows(fn: Callable[[Any], Any], elems: Any) -> Any:
    """``_over_rows`` in a traced function: ``fn`` traced once on symbolic rows into a graph
    of its own, which the engine runs on every row."""
    flat = _nest.flatten(elems)
    outer = next(e.graph for e in flat if _trace.is_symbol(e))
    symbols = [e if _trace.is_symbol(e) else outer.constant(e) for e in flat]
    if any(s.shape.rank in (None, 0) for s in symbols):
        raise _trace.TraceUnsupported("map_fn over values without a known first dimension")
    body = _trace.GraphBuilder(len(symbols))
    rows = [
        _trace.Symbol(body, i, s.dtype, TensorShape(s.shape.as_list()[1:]))
        for i, s in enumerate(symbols)
    ]
    with _trace.tracing(body):
        result = fn(_nest.pack_sequence_as(elems, rows))
        outputs = [
            o if _trace.is_symbol(o) and o.graph is body else body.constant(o)
            for o in _nest.flatten(result)
        ]
    graph = NativeGraph(body.inputs, body.nodes, [o.index for o in outputs])
    count = symbols[0].shape.as_list()[0]
    described = [
        (o.dtype.name, None if not o.shape.is_fully_defined() else o.shape.as_list())
        for o in outputs
    ]
    specs = [
        TensorSpec(None if o.shape.rank is None else [count, *o.shape.as_list()], o.dtype)
        for o in outputs
    ]
    stacked = outer.add("map_rows", symbols, (graph, described), specs)
    return _nest.pack_sequence_as(result, stacked)


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
    """Einstein summation (``tf.einsum``): computed by numpy on values; in a traced function,
    composed of transposes, broadcast products and sums (repeated labels within one input,
    a diagonal, run as Python there)."""
    if any(_trace.is_symbol(x) for x in inputs):
        return _traced_einsum(equation, list(inputs))
    return as_tensor(np.einsum(equation, *(np.asarray(to_numpy(x)) for x in inputs)))


def _einsum_terms(equation: str, ranks: list[int | None]) -> tuple[list[str], str]:
    """Each input's labels and the output's, with ``...`` spelled out as labels of their own
    (right-aligned, as the dimensions they stand for broadcast)."""
    equation = equation.replace(" ", "")
    lhs, arrow, out = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(f"einsum: {len(terms)} inputs in {equation!r}, {len(ranks)} given")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in equation]
    widest = 0
    spelled = []
    for term, rank in zip(terms, ranks):
        if "..." in term:
            if rank is None:
                raise _trace.TraceUnsupported("einsum with ... on a value of unknown rank")
            width = rank - len(term.replace("...", ""))
            widest = max(widest, width)
            term = term.replace("...", "".join(spare[-width:]) if width else "")
        spelled.append(term)
    ellipsis = "".join(spare[-widest:]) if widest else ""
    if not arrow:
        once = sorted(c for c in set("".join(terms)) if lhs.count(c) == 1 and c.isalpha())
        out = ellipsis + "".join(once)
    else:
        out = out.replace("...", ellipsis)
    return spelled, out


def _traced_einsum(equation: str, inputs: list[Any]) -> Any:
    from ._array_ops import expand_dims
    from ._math import multiply
    from ._ops import transpose
    from ._reduce import reduce_sum

    ranks = [x.shape.rank if _trace.is_symbol(x) else np.ndim(to_numpy(x)) for x in inputs]
    terms, out = _einsum_terms(equation, ranks)
    if any(len(set(t)) != len(t) for t in terms):
        raise _trace.TraceUnsupported("einsum with a repeated label in one input")
    summed = [c for c in dict.fromkeys("".join(terms)) if c not in out]
    order = list(out) + summed
    product = None
    for x, term in zip(inputs, terms):
        # Each input's axes put in the common order, with length-1 axes for labels it lacks.
        ordered = sorted(term, key=order.index)
        if ordered != list(term):
            x = transpose(x, [term.index(c) for c in ordered])
        for at, label in enumerate(order):
            if label not in term:
                x = expand_dims(x, at)
        product = x if product is None else multiply(product, x)
    if summed:
        product = reduce_sum(product, axis=list(range(len(out), len(order))))
    return product


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


def _tuples(value: Any) -> Any:
    """``value`` with its lists made tuples, so that flattening reaches what they hold (a
    list is one tensor to ``_nest``, a printed list a sequence of values)."""
    if isinstance(value, (list, tuple)):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


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
    stream = output_stream
    if isinstance(stream, str):
        stream = sys.stdout if stream.endswith("stdout") else sys.stderr
    builder = _trace.current()
    if builder is None:
        stream.write(sep.join(_text(x, summarize) for x in inputs) + end)
        return None
    # In a traced function: a call, made as each element is computed, that prints the
    # values the traced parts of ``inputs`` have then.
    structure = _tuples(tuple(inputs))
    flat = _nest.flatten(structure)
    traced = [i for i, x in enumerate(flat) if _trace.is_symbol(x)]

    def emit(*values: Any) -> list[Any]:
        filled = list(flat)
        for i, v in zip(traced, values):
            filled[i] = v
        items = _nest.pack_sequence_as(structure, filled)
        stream.write(sep.join(_text(x, summarize) for x in items) + end)
        return []

    _trace.external_call(builder, [flat[i] for i in traced], emit, [])
    return None


class name_scope:  # noqa: N801 - TensorFlow's name
    """A context manager naming the ops inside it (``tf.name_scope``); ferroflow's ops are
    not named, so it only gives its name back."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> str:
        return self.name

    def __exit__(self, *exc: object) -> None:
        return None
