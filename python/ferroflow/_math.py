"""Element-wise arithmetic, comparison and logic as functions (``tf.add``, ``tf.equal``,
``tf.logical_and``, ...): the operators of traced tensors, also usable eagerly on numpy
values, where a Python number takes the other operand's dtype as in TensorFlow."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _trace
from ._convert import dtype_of, to_numpy
from ._ops import _apply


def _is_value(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic, bytes))


def _beside(value: Any, other: Any) -> Any:
    """A Python operand in the dtype of the numpy operand ``other`` where TensorFlow would
    convert it so (an int to any number type, a float to a float type)."""
    v = to_numpy(value)
    have, want = dtype_of(v), dtype_of(other)
    if have != want and (have.is_integer or (have.is_floating and want.is_floating)):
        if want.is_integer or want.is_floating:
            return to_numpy(value, want)
    return v  # the kernel refuses the mix of dtypes, naming both


def _binary(op: str, x: Any, y: Any) -> Any:
    if _trace.is_symbol(x):
        return x._binary(op, y)
    if _trace.is_symbol(y):
        return y._binary(op, x, reverse=True)
    if _is_value(y) and not _is_value(x):
        b = to_numpy(y)
        a = _beside(x, b)
    else:
        a = to_numpy(x)
        b = to_numpy(y) if _is_value(y) else _beside(y, a)
    # Both operands are values: the kernel runs now and decides the result's dtype (traced
    # operands took the tracer's path above, which states it for the graph).
    return _apply("binary", [a, b], op, lambda s: s[0])


def add(x: Any, y: Any, name: str | None = None) -> Any:
    """``x + y`` element-wise, broadcasting."""
    return _binary("add", x, y)


def subtract(x: Any, y: Any, name: str | None = None) -> Any:
    """``x - y`` element-wise, broadcasting."""
    return _binary("sub", x, y)


def multiply(x: Any, y: Any, name: str | None = None) -> Any:
    """``x * y`` element-wise, broadcasting."""
    return _binary("mul", x, y)


def divide(x: Any, y: Any, name: str | None = None) -> Any:
    """``x / y`` element-wise (integers divide as float64, as ``tf.math.truediv``)."""
    return _binary("div", x, y)


def floordiv(x: Any, y: Any, name: str | None = None) -> Any:
    """``x // y``: the quotient rounded down (integer division by zero raises)."""
    return _binary("floordiv", x, y)


def floormod(x: Any, y: Any, name: str | None = None) -> Any:
    """``x % y``: the remainder with the sign of ``y``, as Python's."""
    return _binary("floormod", x, y)


def pow(x: Any, y: Any, name: str | None = None) -> Any:  # noqa: A001
    """``x ** y`` element-wise (integers to negative powers raise)."""
    return _binary("pow", x, y)


def negative(x: Any, name: str | None = None) -> Any:
    """``-x`` element-wise (signed integers wrap, ``-0.0`` keeps its sign; unsigned
    integers are refused, as in TensorFlow)."""
    return _apply("unary", [x], "neg", lambda s: s[0])


def abs(x: Any, name: str | None = None) -> Any:  # noqa: A001
    """``|x|`` element-wise (``abs(-0.0)`` is ``0.0``; unsigned integers are refused)."""
    return _apply("unary", [x], "abs", lambda s: s[0])


def maximum(x: Any, y: Any, name: str | None = None) -> Any:
    """The larger of ``x`` and ``y`` element-wise."""
    return _binary("maximum", x, y)


def minimum(x: Any, y: Any, name: str | None = None) -> Any:
    """The smaller of ``x`` and ``y`` element-wise."""
    return _binary("minimum", x, y)


def equal(x: Any, y: Any, name: str | None = None) -> Any:
    """``x == y`` element-wise (strings too)."""
    return _binary("equal", x, y)


def not_equal(x: Any, y: Any, name: str | None = None) -> Any:
    """``x != y`` element-wise (strings too)."""
    return _binary("not_equal", x, y)


def less(x: Any, y: Any, name: str | None = None) -> Any:
    """``x < y`` element-wise."""
    return _binary("less", x, y)


def less_equal(x: Any, y: Any, name: str | None = None) -> Any:
    """``x <= y`` element-wise."""
    return _binary("less_equal", x, y)


def greater(x: Any, y: Any, name: str | None = None) -> Any:
    """``x > y`` element-wise."""
    return _binary("greater", x, y)


def greater_equal(x: Any, y: Any, name: str | None = None) -> Any:
    """``x >= y`` element-wise."""
    return _binary("greater_equal", x, y)


def logical_and(x: Any, y: Any, name: str | None = None) -> Any:
    """``x and y`` for bools element-wise."""
    return _binary("logical_and", x, y)


def logical_or(x: Any, y: Any, name: str | None = None) -> Any:
    """``x or y`` for bools element-wise."""
    return _binary("logical_or", x, y)


def logical_xor(x: Any, y: Any, name: str | None = None) -> Any:
    """Exactly one of ``x`` and ``y`` true, element-wise."""
    return _binary("logical_xor", x, y)


def logical_not(x: Any, name: str | None = None) -> Any:
    """``not x`` for bools element-wise."""
    return _binary("logical_xor", x, np.bool_(True))
