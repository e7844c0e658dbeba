"""``tf.math``'s element-wise functions of two tensors that are composed of the native
ones (so they trace): ``atan2``, ``squared_difference``, ``divide_no_nan``,
``multiply_no_nan``, ``xlogy``, ``xdivy``, ``truncatediv``, ``truncatemod``, ``add_n``,
``scalar_mul``."""

from __future__ import annotations

import math
from functools import reduce
from typing import Any

from ._array_ops import where
from ._math import (
    add,
    divide,
    equal,
    floordiv,
    floormod,
    greater,
    less,
    logical_and,
    multiply,
    not_equal,
    subtract,
)
from ._ops import zeros_like
from ._unary import atan, log, square


def _zero(x: Any) -> Any:
    """Zeros shaped as ``x``, whatever its values (``x - x`` would be NaN at inf)."""
    return zeros_like(x)


def squared_difference(x: Any, y: Any, name: str | None = None) -> Any:
    """``(x - y) ** 2`` element-wise."""
    return square(subtract(x, y))


def divide_no_nan(x: Any, y: Any, name: str | None = None) -> Any:
    """``x / y``, and 0 where ``y`` is 0."""
    zero = equal(y, _zero(y))
    safe = where(zero, add(_zero(y), 1), y)
    quotient = divide(x, safe)
    return where(zero, _zero(quotient), quotient)


def multiply_no_nan(x: Any, y: Any, name: str | None = None) -> Any:
    """``x * y``, and 0 where ``y`` is 0 even if ``x`` is infinite or NaN."""
    product = multiply(x, y)
    return where(equal(y, _zero(y)), _zero(y), product)


def xlogy(x: Any, y: Any, name: str | None = None) -> Any:
    """``x * log(y)``, and 0 where ``x`` is 0."""
    product = multiply(x, log(y))
    return where(equal(x, _zero(x)), _zero(x), product)


def xdivy(x: Any, y: Any, name: str | None = None) -> Any:
    """``x / y``, and 0 where ``x`` is 0."""
    quotient = divide(x, y)
    return where(equal(x, _zero(x)), _zero(x), quotient)


def _signs_differ(x: Any, y: Any) -> Any:
    return not_equal(less(x, _zero(x)), less(y, _zero(y)))


def truncatemod(x: Any, y: Any, name: str | None = None) -> Any:
    """The remainder of division rounding toward zero: it has the sign of ``x`` (C's
    ``%`` and ``fmod``)."""
    r = floormod(x, y)
    return where(logical_and(not_equal(r, _zero(r)), _signs_differ(x, y)), subtract(r, y), r)


def truncatediv(x: Any, y: Any, name: str | None = None) -> Any:
    """Integer division rounding toward zero (C's ``/``)."""
    q = floordiv(x, y)
    r = floormod(x, y)
    round_up = logical_and(not_equal(r, _zero(r)), _signs_differ(x, y))
    return where(round_up, add(q, 1), q)


def atan2(y: Any, x: Any, name: str | None = None) -> Any:
    """The angle of the point ``(x, y)`` in (-pi, pi]."""
    base = atan(divide(y, x))
    negative_x = less(x, _zero(x))
    upper = greater(y, _zero(y))
    lower = less(y, _zero(y))
    zero_x = equal(x, _zero(x))
    turned = where(less(y, _zero(y)), subtract(base, math.pi), add(base, math.pi))
    on_axis = where(
        upper, add(_zero(y), math.pi / 2), where(lower, add(_zero(y), -math.pi / 2), _zero(y))
    )
    return where(zero_x, on_axis, where(negative_x, turned, base))


def add_n(inputs: list[Any], name: str | None = None) -> Any:
    """The element-wise sum of ``inputs`` (tensors of one shape and dtype)."""
    if not inputs:
        raise ValueError("add_n needs at least one input")
    return reduce(add, inputs)


def scalar_mul(scalar: Any, x: Any, name: str | None = None) -> Any:
    """``scalar * x``."""
    return multiply(scalar, x)


__all__ = [
    "add_n",
    "atan2",
    "divide_no_nan",
    "multiply_no_nan",
    "scalar_mul",
    "squared_difference",
    "truncatediv",
    "truncatemod",
    "xdivy",
    "xlogy",
]
