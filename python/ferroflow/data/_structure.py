"""A dataset's element structure (nested ``TensorSpec``s), known at construction for sources
and after the first call for datasets made by user functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import _nest
from .._convert import dtype_of, shape_of
from .._spec import TensorSpec


class Structure:
    """Holds the nested TensorSpecs of a dataset's elements.

    ``value`` is set at once (sources), derived from other structures (``derive``), or set by a
    user function's wrapper on its first call (``record``). ``get`` resolves a structure that is
    not known yet by calling ``resolve``, which pulls one element through the pipeline.
    """

    __slots__ = ("_value", "_derive", "_deps", "resolve", "__weakref__")

    def __init__(
        self,
        value: Any = None,
        derive: Callable[..., Any] | None = None,
        deps: Sequence[Structure] = (),
    ) -> None:
        self._value = value
        self._derive = derive
        self._deps = tuple(deps)
        self.resolve: Callable[[], None] | None = None

    @classmethod
    def of_values(cls, structure: Any) -> Structure:
        """The structure of engine values (numpy arrays, bytes, sparse and ragged values)."""
        return cls(structure_of(structure))

    def record(self, spec: Any) -> None:
        """Sets the structure from a user function's first output; later outputs keep it."""
        if self._value is None:
            self._value = spec

    def peek(self) -> Any:
        """The structure if it is known by now, else None."""
        if self._value is None and self._derive is not None:
            parts = [d.peek() for d in self._deps]
            if all(p is not None for p in parts):
                self._value = self._derive(*parts)
        return self._value

    def get(self) -> Any:
        """The structure, resolving it (by running the pipeline up to one element) if needed."""
        value = self.peek()
        if value is not None:
            return value
        for dep in self._deps:
            dep.get()
        if self.peek() is None and self.resolve is not None:
            self.resolve()
        value = self.peek()
        if value is None:
            from ..errors import InvalidArgumentError

            raise InvalidArgumentError(
                "cannot infer element_spec: the dataset produced no element for its function "
                "to describe"
            )
        return value


def spec_of_value(value: Any) -> TensorSpec:
    """The TensorSpec of an engine value."""
    return TensorSpec(shape_of(value), dtype_of(value))


def structure_of(value: Any) -> Any:
    """The nested specs of a nested value; sparse and ragged values get their own specs."""
    if hasattr(value, "_ff_spec"):
        return value._ff_spec()
    if isinstance(value, Mapping):
        return (
            type(value)((k, structure_of(v)) for k, v in value.items())
            if type(value) is not dict
            else {k: structure_of(v) for k, v in value.items()}
        )
    if isinstance(value, tuple):
        parts = [structure_of(v) for v in value]
        return type(value)(*parts) if hasattr(value, "_fields") else tuple(parts)
    return spec_of_value(value)


def dense_only(spec: Any) -> Any:
    """Raises for sparse or ragged components, which batch differently from dense ones."""
    for leaf in _leaves(spec):
        if not isinstance(leaf, TensorSpec):
            from ..errors import UnimplementedError

            raise UnimplementedError(
                f"batching or unbatching elements with a {type(leaf).__name__} component is not "
                "supported; batch the serialized records first and parse them with "
                "parse_example"
            )
    return spec


def _leaves(spec: Any) -> list[Any]:
    if isinstance(spec, Mapping):
        return [x for k in sorted(spec) for x in _leaves(spec[k])]
    if isinstance(spec, tuple):
        return [x for v in spec for x in _leaves(v)]
    return [spec]


def batched(spec: Any, batch_dim: int | None) -> Any:
    """Every component spec with a new leading dimension."""
    return _nest.map_structure(
        lambda s: TensorSpec([batch_dim, *_dims(s)] if s.shape.rank is not None else None, s.dtype),
        dense_only(spec),
    )


def varies_in_first_dim(spec: TensorSpec) -> bool:
    """Whether a component's first dimension is unknown (it batches as ragged rows)."""
    return spec.shape.rank is not None and spec.shape.rank > 0 and spec.shape[0] is None


def ragged_batched(spec: Any, batch_dim: int | None) -> Any:
    """The specs after ``ragged_batch``: ragged where the first dimension varies."""
    from .._composite import RaggedTensorSpec

    def batch_one(s: TensorSpec) -> Any:
        if varies_in_first_dim(s):
            return RaggedTensorSpec([batch_dim, *_dims(s)], s.dtype, ragged_rank=1)
        return TensorSpec([batch_dim, *_dims(s)] if s.shape.rank is not None else None, s.dtype)

    return _nest.map_structure(batch_one, dense_only(spec))


def unbatched(spec: Any) -> Any:
    """Every component spec without its leading dimension."""
    return _nest.map_structure(
        lambda s: TensorSpec(_dims(s)[1:] if s.shape.rank is not None else None, s.dtype),
        dense_only(spec),
    )


def _dims(spec: TensorSpec) -> list[int | None]:
    return spec.shape.as_list()


def merged(a: Any, b: Any) -> Any:
    """The structure covering elements of both (for concatenate); raises if incompatible."""
    _nest.assert_same_structure(a, b)
    fa, fb = _nest.flatten(a), _nest.flatten(b)
    out = []
    for x, y in zip(fa, fb):
        if x.dtype != y.dtype:
            raise TypeError(f"Incompatible dataset elements: {x.dtype.name} and {y.dtype.name}")
        out.append(x.most_specific_compatible_type(y))
    return _nest.pack_sequence_as(a, out)
