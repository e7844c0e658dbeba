"""``ferroflow.linalg``: ``tf.linalg``'s ``norm``, ``matmul`` and ``einsum``."""

from ._array_ops import matmul
from ._control import einsum
from ._reduce import norm

__all__ = ["einsum", "matmul", "norm"]
