"""``ferroflow.strings``: the string operations of ``tf.strings`` the pipelines use."""

from ._ops import split, to_number

__all__ = ["split", "to_number"]
