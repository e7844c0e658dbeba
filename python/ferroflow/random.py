"""``ferroflow.random``: the global seed (``tf.random.set_seed``), random tensors
(``uniform``, ``normal`` and their stateless forms), ``split`` and ``fold_in`` for the seeds
of the stateless operations, ``categorical``, ``shuffle`` and ``Generator``."""

from ._random import set_seed
from ._random_more import (
    Generator,
    categorical,
    fold_in,
    get_global_generator,
    set_global_generator,
    shuffle,
)
from ._random_tensors import normal, split, stateless_normal, stateless_uniform, uniform

__all__ = [
    "Generator",
    "categorical",
    "fold_in",
    "get_global_generator",
    "normal",
    "set_global_generator",
    "set_seed",
    "shuffle",
    "split",
    "stateless_normal",
    "stateless_uniform",
    "uniform",
]
