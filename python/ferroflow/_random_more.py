"""More of ``tf.random``: ``fold_in``, ``categorical`` and ``shuffle`` (composed of native
ops, so they trace) and ``Generator``, a stateful source of stateless draws."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _trace
from ._array_ops import argsort, expand_dims, gather
from ._dtypes import as_dtype, float32, int64
from ._math import add, less, minimum
from ._ops import cast, stack, transpose
from ._random_tensors import split, stateless_normal, stateless_uniform, uniform
from ._reduce import cumsum, reduce_sum, softmax


def _static_dims(value: Any, what: str) -> list[int]:
    traced = _trace.is_symbol(value)
    if traced and value.shape.rank is None:
        raise _trace.TraceUnsupported(f"{what} of a tensor of unknown rank")
    dims = value.shape.as_list() if traced else list(np.shape(value))
    if any(d is None for d in dims):
        raise _trace.TraceUnsupported(f"{what} of a tensor whose shape varies")
    return dims


def fold_in(seed: Any, data: Any, alg: str = "auto_select") -> Any:
    """A new seed from ``seed`` (two integers) and the integer ``data``, the same for the
    same pair (``tf.random.fold_in``; ferroflow's numbers, not TensorFlow's)."""
    mixed = add(cast(seed, int64), stack([np.int64(0), cast(data, int64)]))
    return split(mixed, 1)[0]


def categorical(
    logits: Any, num_samples: int, dtype: Any = int64, seed: int | None = None, name: Any = None
) -> Any:
    """For each row of ``logits`` ([batch, classes], unnormalized log-probabilities),
    ``num_samples`` class indices drawn from its softmax (``tf.random.categorical``)."""
    rows, classes = _static_dims(logits, "categorical")
    cdf = cumsum(softmax(cast(logits, float32)), axis=1)
    draws = uniform([rows, int(num_samples)], seed=seed)
    below = cast(less(expand_dims(cdf, 1), expand_dims(draws, 2)), int64)
    index = minimum(reduce_sum(below, axis=2), np.int64(classes - 1))
    return cast(index, as_dtype(dtype))


def shuffle(value: Any, seed: int | None = None, name: str | None = None) -> Any:
    """``value`` with its first dimension in a random order (``tf.random.shuffle``)."""
    count = _static_dims(value, "shuffle")[0]
    return gather(value, argsort(uniform([count], seed=seed)))


class Generator:
    """A random number generator with state (``tf.random.Generator``): each draw takes the
    next of a sequence of stateless seeds, so two generators from one seed draw the same
    values. In a traced function each call takes one seed of the sequence, and each
    element draws from that seed and its position, as the other random ops do."""

    def __init__(self, key: int, counter: int = 0) -> None:
        self._key = int(key) & (2**63 - 1)
        self._counter = int(counter)

    @classmethod
    def from_seed(cls, seed: int, alg: Any = None) -> Generator:
        """A generator whose draws depend on ``seed`` alone."""
        return cls(seed)

    @classmethod
    def from_non_deterministic_state(cls, alg: Any = None) -> Generator:
        """A generator seeded from the operating system's entropy."""
        return cls(int(np.random.SeedSequence().entropy) & (2**63 - 1))

    @property
    def state(self) -> Any:
        """``[key, counter]``: where the sequence of draws stands."""
        return np.asarray([self._key, self._counter], np.int64)

    @property
    def algorithm(self) -> str:
        """The name of the stream (ferroflow's, not TensorFlow's Philox or ThreeFry)."""
        return "ferroflow"

    def reset_from_seed(self, seed: int) -> None:
        """Starts the sequence of ``seed`` again."""
        self._key, self._counter = int(seed) & (2**63 - 1), 0

    def _next_seed(self) -> Any:
        seed = np.asarray([self._key, self._counter], np.int64)
        self._counter += 1
        if _trace.current() is not None:
            # A seed of its own for each element, drawn from this call's place in the
            # sequence and the element's position.
            op = (int(seed[0]) * 0x9E3779B97F4A7C15 + int(seed[1])) & (2**64 - 1)
            return uniform([2], 0, 2**62, int64, seed=op)
        return seed

    def uniform(
        self,
        shape: Any,
        minval: Any = 0,
        maxval: Any = None,
        dtype: Any = float32,
        name: Any = None,
    ) -> Any:
        """Values uniform in [minval, maxval)."""
        return stateless_uniform(shape, self._next_seed(), minval, maxval, dtype)

    def uniform_full_int(self, shape: Any, dtype: Any = int64, name: Any = None) -> Any:
        """Integers over (nearly) the whole range of ``dtype``."""
        info = np.iinfo(as_dtype(dtype).as_numpy_dtype)
        return stateless_uniform(shape, self._next_seed(), int(info.min), int(info.max), dtype)

    def normal(
        self, shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = float32, name: Any = None
    ) -> Any:
        """Values from a normal distribution."""
        return stateless_normal(shape, self._next_seed(), mean, stddev, dtype)

    def make_seeds(self, count: int = 1) -> Any:
        """``count`` seeds for the stateless functions, as int64 ``[2, count]``."""
        return transpose(split(self._next_seed(), int(count)))

    def split(self, count: int = 1) -> list[Generator]:
        """``count`` new generators, independent of this one and of each other."""
        seeds = np.asarray(self.make_seeds(count)).T
        return [Generator(int(a) ^ (int(b) << 1)) for a, b in seeds]


_global: list[Generator] = []


def get_global_generator() -> Generator:
    """The process's generator, created from entropy on first use."""
    if not _global:
        _global.append(Generator.from_non_deterministic_state())
    return _global[0]


def set_global_generator(generator: Generator) -> None:
    """Replaces the process's generator."""
    _global[:] = [generator]
