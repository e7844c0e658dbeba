"""``ferroflow.data.Options``: pipeline-wide settings, set with ``Dataset.with_options`` as in
tf.data. Unset values (None) take the defaults; ``merge`` lets later settings win."""

from __future__ import annotations

from typing import Any


class _OptionGroup:
    """A group of settings; every field starts unset (None)."""

    _fields: tuple[str, ...] = ()

    def __init__(self) -> None:
        for f in self._fields:
            object.__setattr__(self, f, None)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._fields and not isinstance(getattr(type(self), name, None), property):
            raise AttributeError(f"{type(self).__name__} has no option {name!r}")
        object.__setattr__(self, name, value)

    def _merged(self, other: _OptionGroup) -> _OptionGroup:
        out = type(self)()
        for f in self._fields:
            mine, theirs = getattr(self, f), getattr(other, f)
            if isinstance(mine, _OptionGroup):
                object.__setattr__(out, f, mine._merged(theirs))
            else:
                object.__setattr__(out, f, theirs if theirs is not None else mine)
        return out

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(
            getattr(self, f) == getattr(other, f) for f in self._fields
        )

    def __repr__(self) -> str:
        set_ = {f: getattr(self, f) for f in self._fields if getattr(self, f) is not None}
        return f"{type(self).__name__}({set_})"


class AutotuneOptions(_OptionGroup):
    """``enabled`` (default True), ``cpu_budget`` (threads; 0 or None: every core) and
    ``ram_budget`` (bytes of buffers AUTOTUNE may hold; 0 or None: half the memory)."""

    _fields = ("enabled", "cpu_budget", "ram_budget", "autotune_algorithm")


class ThreadingOptions(_OptionGroup):
    """``private_threadpool_size``: the pipeline's worker threads (used when ``cpu_budget``
    is unset); ``max_intra_op_parallelism`` is accepted for compatibility."""

    _fields = ("private_threadpool_size", "max_intra_op_parallelism")


class _Accepted(_OptionGroup):
    """Settings tf.data has that do not change how ferroflow runs; accepted so code that sets
    them keeps working."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in type(self)._fields:
            type(self)._fields = (*type(self)._fields, name)
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None


class OptimizationOptions(_Accepted):
    """tf.data's graph-rewrite switches. ``inject_prefetch`` (default True, as in tf.data)
    adds a final ``prefetch(AUTOTUNE)`` when the pipeline does not end with one; the others
    (``map_fusion`` ...) are accepted, without effect."""


class DistributeOptions(_Accepted):
    """tf.distribute's auto-sharding settings: ``auto_shard_policy`` is the policy
    ``Dataset.distribute`` takes when it is given none; the others are accepted, without
    effect."""


class Options(_OptionGroup):
    """Pipeline-wide settings: ``deterministic`` (default True: parallel stages keep their
    input order unless an op says otherwise), ``autotune`` (with ``enabled`` False, no
    ``prefetch`` is injected either) and ``threading``. ``timeline``
    (ferroflow's own, default False) records every stage call so the iterator can
    ``save_timeline``."""

    _fields = (
        "deterministic",
        "autotune",
        "threading",
        "experimental_optimization",
        "experimental_distribute",
        "experimental_slack",
        "experimental_warm_start",
        "experimental_external_state_policy",
        "experimental_symbolic_checkpoint",
        "timeline",
    )

    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "autotune", AutotuneOptions())
        object.__setattr__(self, "threading", ThreadingOptions())
        object.__setattr__(self, "experimental_optimization", OptimizationOptions())
        object.__setattr__(self, "experimental_distribute", DistributeOptions())

    @property
    def experimental_deterministic(self) -> bool | None:
        """The older name of ``deterministic``."""
        return self.deterministic

    @experimental_deterministic.setter
    def experimental_deterministic(self, value: bool | None) -> None:
        self.deterministic = value

    @property
    def experimental_threading(self) -> ThreadingOptions:
        """The older name of ``threading``."""
        return self.threading

    def merge(self, options: Options) -> Options:
        """These options with every setting ``options`` sets taking precedence."""
        return self._merged(options)  # type: ignore[return-value]

    def _inject_prefetch(self) -> bool:
        """Whether a final ``prefetch(AUTOTUNE)`` is added (tf.data's ``inject_prefetch``)."""
        if self.autotune.enabled is False:
            return False
        return self.experimental_optimization.inject_prefetch is not False

    def _engine_settings(self) -> tuple[int, bool, int]:
        cpu = self.autotune.cpu_budget or self.threading.private_threadpool_size or 0
        deterministic = True if self.deterministic is None else bool(self.deterministic)
        return int(cpu), deterministic, int(self.autotune.ram_budget or 0)


__all__ = [
    "AutotuneOptions",
    "DistributeOptions",
    "OptimizationOptions",
    "Options",
    "ThreadingOptions",
]
