"""Random tensors (``uniform``, ``normal`` and their stateless forms) and ``split`` for the
seeds of the stateless operations."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _trace
from ._dtypes import as_dtype, float32
from ._ops import _apply, _dims, _holds_symbols, random_op, seed_tensor
from ._spec import TensorSpec


def split(seed: Any, num: int = 2, alg: str = "auto_select") -> Any:
    """``num`` new seeds from ``seed`` (two integers), as a [num, 2] tensor of its dtype
    (``tf.random.split``); the same seed always gives the same seeds. They are ferroflow's
    own numbers, not TensorFlow's."""
    count = int(num)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        if _dims(s[0]) not in (None, [2]):
            raise ValueError(f"a seed is two integers, got shape {s[0].shape}")
        return TensorSpec([count, 2], s[0].dtype)

    return _apply("split_seed", [seed_tensor(seed)], count, spec)


def _shape(shape: Any) -> list[int]:
    if _trace.is_symbol(shape) or _holds_symbols(shape):
        raise _trace.TraceUnsupported("a random tensor of a computed shape")
    return [int(d) for d in np.asarray(shape, dtype=np.int64).reshape(-1)]


def _random_tensor(shape: Any, dtype: Any, kind: str, a: Any, b: Any, seed: Any, stateless: bool):
    dims, to = _shape(shape), as_dtype(dtype)
    if kind == "uniform" and to.is_integer:
        # Integer bounds stay exact (a float64 cannot hold every int64).
        kind, a, b = "uniform_int", int(a), int(b)
    else:
        a, b = float(a), float(b)
    spec = lambda s: TensorSpec(dims, to)  # noqa: E731
    inputs: list[Any] = []
    return random_op("random_tensor", inputs, (dims, to.name, kind, a, b), spec, seed, stateless)


def _uniform_bounds(minval: Any, maxval: Any, dtype: Any) -> tuple[Any, Any]:
    if maxval is None:
        if as_dtype(dtype).is_integer:
            raise ValueError("Must specify maxval for integer dtype")
        maxval = 1
    return minval, maxval


def uniform(
    shape: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = float32,
    seed: int | None = None,
    name: str | None = None,
) -> Any:
    """Values drawn uniformly from [minval, maxval) (``tf.random.uniform``); ``maxval``
    defaults to 1 for floats and is required for integers. Inside a traced function each
    element draws its own values, reproducibly under a seed."""
    low, high = _uniform_bounds(minval, maxval, dtype)
    return _random_tensor(shape, dtype, "uniform", low, high, seed, False)


def normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = float32,
    seed: int | None = None,
    name: str | None = None,
) -> Any:
    """Values drawn from a normal distribution (``tf.random.normal``)."""
    return _random_tensor(shape, dtype, "normal", mean, stddev, seed, False)


def stateless_uniform(
    shape: Any,
    seed: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = float32,
    name: str | None = None,
    alg: str = "auto_select",
) -> Any:
    """``uniform`` drawn from ``seed`` (two integers) alone: the same seed gives the same
    values (ferroflow's own numbers, not TensorFlow's)."""
    low, high = _uniform_bounds(minval, maxval, dtype)
    return _random_tensor(shape, dtype, "uniform", low, high, seed, True)


def stateless_normal(
    shape: Any,
    seed: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = float32,
    name: str | None = None,
    alg: str = "auto_select",
) -> Any:
    """``normal`` drawn from ``seed`` (two integers) alone."""
    return _random_tensor(shape, dtype, "normal", mean, stddev, seed, True)
