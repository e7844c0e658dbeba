"""``ferroflow.random``: the global seed, as ``tf.random.set_seed``."""

from ._random import set_seed

__all__ = ["set_seed"]
