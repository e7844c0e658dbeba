"""``ferroflow.math``: the element-wise part of ``tf.math`` the pipelines use."""

from ._math import (
    abs,
    add,
    divide,
    equal,
    floordiv,
    floormod,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    subtract,
)
from ._ops import argmax, argmin

truediv = divide
mod = floormod

__all__ = [
    "abs",
    "add",
    "argmax",
    "argmin",
    "divide",
    "equal",
    "floordiv",
    "floormod",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "negative",
    "not_equal",
    "pow",
    "subtract",
    "truediv",
]
