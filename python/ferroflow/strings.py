"""``ferroflow.strings``: the string operations of ``tf.strings`` the pipelines use."""

from ._ops import as_string, join, length, lower, split, strip, substr, to_number, upper

__all__ = ["as_string", "join", "length", "lower", "split", "strip", "substr", "to_number", "upper"]
