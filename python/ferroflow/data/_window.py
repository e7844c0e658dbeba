"""Datasets whose elements are datasets: the windows of ``Dataset.window``, the groups
``group_by_window`` hands its reduce function, and the shards ``Dataset.load`` hands its
``reader_func``. The engine carries each window as its components stacked along a new
first dimension (each shard as its file name); here each becomes a dataset when a function
or the caller sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _nest
from .._spec import TensorShape
from ..errors import UnimplementedError
from ._structure import Structure
from .dataset import Dataset, Iterator


class DatasetSpec:
    """The spec of a dataset-valued element (``tf.data.DatasetSpec``): the element spec of
    the datasets it holds."""

    __slots__ = ("element_spec", "dataset_shape")

    def __init__(self, element_spec: Any, dataset_shape: Any = ()) -> None:
        self.element_spec = element_spec
        self.dataset_shape = TensorShape(dataset_shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatasetSpec) and other.element_spec == self.element_spec

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DatasetSpec({self.element_spec!r}, {self.dataset_shape!r})"


def as_datasets(stacked: Any) -> Any:
    """A window's stacked components as a structure of datasets of their slices."""
    return _nest.map_structure(Dataset.from_tensor_slices, stacked)


def _on_windows(
    func: Callable[..., Any], unpack: bool, opened: Callable[[Any], Any]
) -> Callable[..., Any]:
    """``func`` called with each element as the datasets ``opened`` makes of it."""
    if unpack:
        return lambda *stacked: func(*opened(stacked))
    return lambda stacked: func(opened(stacked))


class WindowIterator(Iterator):
    """One pass over a dataset of windows: each element a structure of datasets. Its state
    is saved and restored as any iterator's."""

    def __init__(self, dataset: WindowDataset) -> None:
        super().__init__(dataset)
        self._opened = dataset._opened

    def __next__(self) -> Any:
        return self._opened(super().__next__())


class WindowDataset(Dataset):
    """A dataset whose elements are windows: a structure of datasets (one per component),
    as ``Dataset.window`` gives. Iterate it, ``flat_map`` or ``interleave`` the windows into
    tensors, ``map`` or ``filter`` them with functions of datasets, or ``take``, ``skip``,
    ``shuffle``, ``repeat`` them; transformations that need tensors raise."""

    def __init__(self, stacked: Dataset, window_spec: Any) -> None:
        super().__init__(stacked._native, stacked._structure, stacked._options)
        self._window_spec = window_spec
        self._unpack = type(window_spec) is tuple

    def _opened(self, value: Any) -> Any:
        """The datasets one element stands for."""
        return as_datasets(value)

    def _same_kind(self, derived: Dataset) -> Dataset:
        return WindowDataset(derived, self._window_spec)

    def _derive(self, native: Any, structure: Structure | None = None) -> Dataset:
        derived = Dataset(
            native, self._structure if structure is None else structure, self._options
        )
        if structure is None:  # the same windows, reordered or fewer
            return self._same_kind(derived)
        return derived

    @property
    def element_spec(self) -> Any:
        """A structure of ``DatasetSpec``: each window component's element spec."""
        return _nest.map_structure(DatasetSpec, self._window_spec)

    def __iter__(self) -> WindowIterator:
        return WindowIterator(self)

    def map(self, map_func: Callable[..., Any], *args: Any, **kwargs: Any) -> Dataset:
        """``map_func`` of each window's datasets; it must return tensors."""
        return super().map(_on_windows(map_func, self._unpack, self._opened), *args, **kwargs)

    def filter(self, predicate: Callable[..., Any], name: str | None = None) -> Dataset:
        """Keeps the windows for which ``predicate`` (of the window's datasets) is True."""
        return super().filter(_on_windows(predicate, self._unpack, self._opened))

    def flat_map(self, map_func: Callable[..., Dataset], name: str | None = None) -> Dataset:
        """The elements of ``map_func(window)`` for each window, one window after another."""
        return super().flat_map(_on_windows(map_func, self._unpack, self._opened))

    def interleave(self, map_func: Callable[..., Dataset], *args: Any, **kwargs: Any) -> Dataset:
        """``interleave`` of ``map_func(window)`` over the windows."""
        return super().interleave(
            _on_windows(map_func, self._unpack, self._opened), *args, **kwargs
        )

    def _needs_tensors(self, *_: Any, **__: Any) -> Any:
        raise UnimplementedError(
            "this transformation needs tensor elements; turn the windows into tensors "
            "first, e.g. with .flat_map(lambda w: w.batch(size))"
        )

    batch = padded_batch = unbatch = bucket_by_sequence_length = _needs_tensors
    scan = unique = reduce = as_numpy_iterator = window = _needs_tensors


class ShardDataset(WindowDataset):
    """The shards of a saved dataset, each element the dataset of one shard's file, as
    ``Dataset.load`` hands them to its ``reader_func``."""

    def __init__(self, files: Dataset, open_shard: Callable[[Any], Dataset], spec: Any) -> None:
        super().__init__(files, spec)
        self._unpack = False
        self._open_shard = open_shard

    def _opened(self, value: Any) -> Any:
        return self._open_shard(value)

    def _same_kind(self, derived: Dataset) -> Dataset:
        return ShardDataset(derived, self._open_shard, self._window_spec)

    @property
    def element_spec(self) -> Any:
        """The ``DatasetSpec`` of the shards: the saved dataset's element spec."""
        return DatasetSpec(self._window_spec)
