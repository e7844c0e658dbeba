"""Reductions (``tf.reduce_sum`` and kin, over any axes), running sums and products, and
what is composed of them (variance, log-sum-exp, softmax, norms); each reduction is one
call of the native reduction kernel, eagerly or traced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _math, _trace, _unary
from ._dtypes import as_dtype, int64
from ._ops import _apply, cast, zeros_like
from ._spec import TensorSpec


def _axes(axis: Any) -> list[int] | None:
    """``axis`` (None, an int, or a list of them; tensors too) as a list of ints."""
    if axis is None:
        return None
    if _trace.is_symbol(axis):
        raise _trace.TraceUnsupported("a reduction axis computed from the element")
    return [int(a) for a in np.asarray(axis).reshape(-1)]


def _reduced_spec(axes: list[int] | None, keepdims: bool) -> Callable[[list[TensorSpec]], Any]:
    def spec(s: list[TensorSpec]) -> TensorSpec:
        shape = s[0].shape
        if shape.rank is None:
            return TensorSpec(None, s[0].dtype)
        dims = shape.as_list()
        rank = len(dims)
        chosen = set(range(rank)) if axes is None else {a % rank if rank else a for a in axes}
        if keepdims:
            out = [1 if d in chosen else n for d, n in enumerate(dims)]
        else:
            out = [n for d, n in enumerate(dims) if d not in chosen]
        return TensorSpec(out, s[0].dtype)

    return spec


def _reduction(op: str, doc: str) -> Callable[..., Any]:
    def function(
        input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
    ) -> Any:
        axes = _axes(axis)
        keep = bool(keepdims)
        return _apply("reduce", [input_tensor], (op, axes, keep), _reduced_spec(axes, keep))

    function.__name__ = function.__qualname__ = f"reduce_{op}"
    function.__doc__ = doc
    return function


reduce_sum = _reduction(
    "sum", "The sum over ``axis`` (every axis when None); integers wrap as TensorFlow's."
)
reduce_prod = _reduction("prod", "The product over ``axis`` (every axis when None).")
reduce_max = _reduction("max", "The largest value over ``axis``; NaN if any is NaN.")
reduce_min = _reduction("min", "The smallest value over ``axis``; NaN if any is NaN.")
reduce_mean = _reduction(
    "mean", "The mean over ``axis``; integer tensors divide rounding toward zero, as in TF."
)
reduce_all = _reduction("all", "True where every bool over ``axis`` is.")
reduce_any = _reduction("any", "True where any bool over ``axis`` is.")


def reduce_variance(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Any:
    """The population variance over ``axis`` (floats; integers raise ``TypeError``, as in
    TensorFlow)."""
    dtype = (
        input_tensor.dtype
        if _trace.is_symbol(input_tensor)
        else as_dtype(np.asarray(input_tensor).dtype)
    )
    if not dtype.is_floating:
        raise TypeError(f"reduce_variance takes floats, got {dtype.name}")
    mean = reduce_mean(input_tensor, axis, keepdims=True)
    return reduce_mean(_unary.square(_math.subtract(input_tensor, mean)), axis, keepdims)


def reduce_std(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Any:
    """The population standard deviation over ``axis`` (floats)."""
    return _unary.sqrt(reduce_variance(input_tensor, axis, keepdims))


def reduce_euclidean_norm(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Any:
    """``sqrt(sum(x ** 2))`` over ``axis`` (floats)."""
    return _unary.sqrt(reduce_sum(_unary.square(input_tensor), axis, keepdims))


def reduce_logsumexp(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Any:
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow as TensorFlow does."""
    from ._array_ops import where

    def finite_or_zero(m: Any) -> Any:
        return where(_unary.is_finite(m), m, zeros_like(m))

    shift = finite_or_zero(reduce_max(input_tensor, axis, keepdims=True))
    total = reduce_sum(_unary.exp(_math.subtract(input_tensor, shift)), axis, keepdims)
    offset = shift if keepdims else finite_or_zero(reduce_max(input_tensor, axis))
    return _math.add(_unary.log(total), offset)


def count_nonzero(
    input: Any,  # noqa: A002
    axis: Any = None,
    keepdims: bool = False,
    dtype: Any = int64,
    name: str | None = None,
) -> Any:
    """How many values over ``axis`` are not zero (not empty, for strings), as ``dtype``."""
    nonzero = _math.not_equal(input, _zero_like(input))
    return reduce_sum(cast(nonzero, as_dtype(dtype)), axis, keepdims)


def _zero_like(x: Any) -> Any:
    dtype = x.dtype if _trace.is_symbol(x) else as_dtype(np.asarray(x).dtype)
    return b"" if dtype.name == "string" else np.zeros((), dtype.as_numpy_dtype)


def softmax(logits: Any, axis: int = -1, name: str | None = None) -> Any:
    """``exp(x) / sum(exp(x))`` along ``axis`` (``tf.nn.softmax``)."""
    e = _unary.exp(_math.subtract(logits, reduce_max(logits, axis, keepdims=True)))
    return _math.divide(e, reduce_sum(e, axis, keepdims=True))


def log_softmax(logits: Any, axis: int = -1, name: str | None = None) -> Any:
    """``x - log(sum(exp(x)))`` along ``axis`` (``tf.nn.log_softmax``)."""
    shifted = _math.subtract(logits, reduce_max(logits, axis, keepdims=True))
    return _math.subtract(shifted, _unary.log(reduce_sum(_unary.exp(shifted), axis, keepdims=True)))


def norm(
    tensor: Any,
    ord: Any = "euclidean",  # noqa: A002
    axis: Any = None,
    keepdims: bool = False,
    name: str | None = None,
) -> Any:
    """A vector norm over ``axis`` (``tf.norm`` / ``tf.linalg.norm``): ``"euclidean"`` (or
    2), 1, or ``np.inf``. Over two axes only ``"euclidean"`` / ``"fro"`` (the Frobenius
    norm) is computed; matrix norms 1, 2 and inf raise ``ValueError``."""
    if axis is not None and np.size(axis) == 2 and ord not in ("euclidean", "fro"):
        raise ValueError(f"norm: the matrix norm ord={ord!r} is not supported")
    if ord in ("euclidean", "fro", 2, 2.0):
        return reduce_euclidean_norm(tensor, axis, keepdims)
    if ord in (1, 1.0):
        return reduce_sum(_math.abs(tensor), axis, keepdims)
    if ord == np.inf:
        return reduce_max(_math.abs(tensor), axis, keepdims)
    raise ValueError(f"norm: ord must be 'euclidean', 'fro', 1, 2 or np.inf, got {ord!r}")


def _cumulative(product: bool) -> Callable[..., Any]:
    def function(
        x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: Any = None
    ) -> Any:
        attr = (product, int(axis), bool(exclusive), bool(reverse))
        return _apply("cumulative", [x], attr, lambda s: s[0])

    return function


cumsum = _cumulative(False)
cumsum.__name__ = cumsum.__qualname__ = "cumsum"
cumsum.__doc__ = """Running sums along ``axis``: ``exclusive`` leaves each value out of its own
sum, ``reverse`` sums from the end (``tf.math.cumsum``)."""
cumprod = _cumulative(True)
cumprod.__name__ = cumprod.__qualname__ = "cumprod"
cumprod.__doc__ = """Running products along ``axis``, with ``exclusive`` and ``reverse`` as
``cumsum`` (``tf.math.cumprod``)."""
