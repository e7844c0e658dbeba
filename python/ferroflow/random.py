"""``ferroflow.random``: the global seed, as ``tf.random.set_seed``, and ``split`` for the
seeds of the ``stateless_random_*`` image operations."""

from __future__ import annotations

from typing import Any

from ._ops import _apply, _dims, seed_tensor
from ._random import set_seed
from ._spec import TensorSpec


def split(seed: Any, num: int = 2, alg: str = "auto_select") -> Any:
    """``num`` new seeds from ``seed`` (two integers), as a [num, 2] tensor of its dtype
    (``tf.random.split``); the same seed always gives the same seeds. They are ferroflow's
    own numbers, not TensorFlow's."""
    count = int(num)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        if _dims(s[0]) not in (None, [2]):
            raise ValueError(f"a seed is two integers, got shape {s[0].shape}")
        return TensorSpec([count, 2], s[0].dtype)

    return _apply("split_seed", [seed_tensor(seed)], count, spec)


__all__ = ["set_seed", "split"]
