"""``ferroflow.math``: the element-wise part of ``tf.math`` the pipelines use."""

from ._math import (
    add,
    divide,
    equal,
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
    not_equal,
    subtract,
)
from ._ops import argmax, argmin

truediv = divide

__all__ = [
    "add",
    "argmax",
    "argmin",
    "divide",
    "equal",
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
    "multiply",
    "not_equal",
    "subtract",
    "truediv",
]
