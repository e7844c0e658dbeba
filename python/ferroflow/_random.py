"""Global and operation seeds, with TensorFlow's rules: with a global seed set and no op seed,
ops get successive deterministic seeds; with neither, results are random."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_global_seed: int | None = None
_op_counter = 0


def set_seed(seed: int | None) -> None:
    """Sets the global random seed (``tf.random.set_seed``); resets the op-seed sequence."""
    global _global_seed, _op_counter
    with _lock:
        _global_seed = None if seed is None else int(seed)
        _op_counter = 0


def get_seed(op_seed: int | None) -> int | None:
    """The seed an op should use, or None for a random one."""
    global _op_counter
    with _lock:
        if _global_seed is None:
            return None if op_seed is None else int(op_seed) & 0xFFFF_FFFF_FFFF_FFFF
        if op_seed is None:
            op_seed = _op_counter
            _op_counter += 1
        return (_global_seed * 0x9E3779B97F4A7C15 + int(op_seed)) & 0xFFFF_FFFF_FFFF_FFFF


def seed_context() -> tuple[int, int] | None:
    """The global seed and the next op seed it gives, or None without a global seed: what
    decides the seeds of the ops made next."""
    with _lock:
        return None if _global_seed is None else (_global_seed, _op_counter)
