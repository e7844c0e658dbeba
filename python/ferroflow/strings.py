"""``ferroflow.strings``: the string operations of ``tf.strings`` the pipelines use."""

from ._ops import to_number

__all__ = ["to_number"]
