"""``ferroflow.compat``: ``tf.compat.v1``'s names that TensorFlow 1 input code uses."""

from . import v1

__all__ = ["v1"]
