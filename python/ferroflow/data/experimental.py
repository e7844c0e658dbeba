"""``ferroflow.data.experimental``: the names tf.data keeps under ``experimental``."""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from .. import _nest
from .._convert import to_numpy
from .._dtypes import int64
from .._spec import TensorSpec
from .._tensor import as_tensor
from ..errors import InvalidArgumentError
from ._optional import Optional
from ._tracing import map_tracing, set_map_tracing
from .csv import CsvDataset, make_csv_dataset
from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, Iterator
from .options import DistributeOptions, OptimizationOptions, ThreadingOptions


def Counter(start: int = 0, step: int = 1, dtype: Any = int64, name: str | None = None) -> Dataset:  # noqa: N802
    """``Dataset.counter``: an endless dataset of ``start``, ``start + step``, ..."""
    return Dataset.counter(start, step, dtype)


def choose_from_datasets(
    datasets: list[Dataset], choice_dataset: Dataset, stop_on_empty_dataset: bool = True
) -> Dataset:
    """``Dataset.choose_from_datasets``."""
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def sample_from_datasets(
    datasets: list[Dataset],
    weights: Any = None,
    seed: int | None = None,
    stop_on_empty_dataset: bool = False,
) -> Dataset:
    """``Dataset.sample_from_datasets``."""
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def bucket_by_sequence_length(
    element_length_func: Any,
    bucket_boundaries: list[int],
    bucket_batch_sizes: list[int],
    padded_shapes: Any = None,
    padding_values: Any = None,
    pad_to_bucket_boundary: bool = False,
    no_padding: bool = False,
    drop_remainder: bool = False,
) -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.bucket_by_sequence_length``."""
    return lambda dataset: dataset.bucket_by_sequence_length(
        element_length_func,
        bucket_boundaries,
        bucket_batch_sizes,
        padded_shapes,
        padding_values,
        pad_to_bucket_boundary,
        no_padding,
        drop_remainder,
    )


def group_by_window(
    key_func: Any, reduce_func: Any, window_size: Any = None, window_size_func: Any = None
) -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.group_by_window``."""
    return lambda dataset: dataset.group_by_window(
        key_func, reduce_func, window_size, window_size_func
    )


def enable_debug_mode() -> None:
    """Runs every map function as Python with numpy values (``tf.data``'s debug mode)."""
    set_map_tracing("python")


def cardinality(dataset: Dataset) -> Any:
    """``dataset.cardinality()``."""
    return dataset.cardinality()


def ignore_errors(log_warning: bool = False) -> Any:
    """A transformation for ``Dataset.apply``: ``dataset.ignore_errors(log_warning)``."""
    return lambda dataset: dataset.ignore_errors(log_warning)


def get_single_element(dataset: Dataset) -> Any:
    """``dataset.get_single_element()``."""
    return dataset.get_single_element()


def parallel_interleave(
    map_func: Any,
    cycle_length: int,
    block_length: int = 1,
    sloppy: bool | None = False,
    buffer_output_elements: Any = None,
    prefetch_input_elements: Any = None,
) -> Any:
    """A transformation for ``Dataset.apply``: ``interleave`` with ``cycle_length`` inputs
    open in parallel; ``sloppy`` lets elements come in the order they are ready."""
    return lambda dataset: dataset.interleave(
        map_func,
        cycle_length,
        block_length,
        num_parallel_calls=cycle_length,
        deterministic=None if sloppy is None else not sloppy,
    )


def assert_cardinality(expected_cardinality: int) -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.assert_cardinality``."""
    return lambda dataset: dataset.assert_cardinality(expected_cardinality)


class Reducer:
    """How ``group_by_reducer`` folds each group: ``init_func(key)`` gives a group's first
    state, ``reduce_func(state, element)`` the next, ``finalize_func(state)`` (a tuple
    state unpacked into arguments) the group's output."""

    def __init__(self, init_func: Any, reduce_func: Any, finalize_func: Any) -> None:
        self.init_func, self.reduce_func, self.finalize_func = init_func, reduce_func, finalize_func


def _unpacked(func: Any, value: Any) -> Any:
    return func(*value) if type(value) is tuple else func(value)


def _relaxed(value: Any) -> Any:
    """The spec of ``value`` with every dimension unknown (a group's output may grow)."""
    spec = TensorSpec.from_value(value)
    return TensorSpec([None] * (spec.shape.rank or 0), spec.dtype)


def group_by_reducer(key_func: Any, reducer: Reducer) -> Any:
    """A transformation for ``Dataset.apply``: groups the whole input by the int64
    ``key_func(element)``, folds each group with ``reducer``, and gives one output per
    group, in the order groups first appeared. It reads the input to its end before the
    first output, and runs as Python."""

    def apply(dataset: Dataset) -> Dataset:
        def groups() -> Any:
            states: dict[int, Any] = {}
            for element in dataset:
                key = int(np.asarray(_unpacked(key_func, element)))
                if key not in states:
                    states[key] = reducer.init_func(as_tensor(np.int64(key)))
                states[key] = reducer.reduce_func(states[key], element)
            for state in states.values():
                yield _unpacked(reducer.finalize_func, state)

        probe = _unpacked(reducer.finalize_func, reducer.init_func(as_tensor(np.int64(0))))
        signature = _nest.map_structure(_relaxed, probe)
        return Dataset.from_generator(groups, output_signature=signature)

    return apply


def map_and_batch(
    map_func: Any,
    batch_size: int,
    num_parallel_batches: Any = None,
    drop_remainder: bool = False,
    num_parallel_calls: Any = None,
) -> Any:
    """A transformation for ``Dataset.apply``: ``map`` then ``batch`` (the two fused, as
    tf.data fuses them)."""
    calls = num_parallel_calls
    if calls is None and num_parallel_batches is not None:
        calls = num_parallel_batches * batch_size
    return lambda dataset: dataset.map(map_func, num_parallel_calls=calls).batch(
        batch_size, drop_remainder
    )


def dense_to_ragged_batch(
    batch_size: int, drop_remainder: bool = False, row_splits_dtype: Any = int64
) -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.ragged_batch``."""
    return lambda dataset: dataset.ragged_batch(batch_size, drop_remainder, row_splits_dtype)


def dense_to_sparse_batch(batch_size: int, row_shape: Any) -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.sparse_batch``."""
    return lambda dataset: dataset.sparse_batch(batch_size, row_shape)


def unbatch() -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.unbatch``."""
    return lambda dataset: dataset.unbatch()


def unique() -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.unique``."""
    return lambda dataset: dataset.unique()


def scan(initial_state: Any, scan_func: Any) -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.scan``."""
    return lambda dataset: dataset.scan(initial_state, scan_func)


def take_while(predicate: Any) -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.take_while``."""
    return lambda dataset: dataset.take_while(predicate)


def enumerate_dataset(start: int = 0) -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.enumerate``."""
    return lambda dataset: dataset.enumerate(start)


def shuffle_and_repeat(buffer_size: int, count: Any = None, seed: Any = None) -> Any:
    """A transformation for ``Dataset.apply``: ``shuffle`` (reshuffled each epoch), then
    ``repeat(count)``."""
    return lambda dataset: dataset.shuffle(buffer_size, seed).repeat(count)


def prefetch_to_device(device: str, buffer_size: Any = None) -> Any:
    """A transformation for ``Dataset.apply``: ``prefetch(buffer_size)`` (AUTOTUNE when
    None). Elements stay in host memory; framework adapters move them to a device."""
    return lambda dataset: dataset.prefetch(AUTOTUNE if buffer_size is None else buffer_size)


def copy_to_device(target_device: str, source_device: str = "/cpu:0") -> Any:
    """A transformation for ``Dataset.apply`` that leaves the dataset as it is: elements stay
    in host memory."""
    return lambda dataset: dataset


def snapshot(
    path: str, compression: Any = "AUTO", reader_func: Any = None, shard_func: Any = None
) -> Any:
    """A transformation for ``Dataset.apply``: ``Dataset.snapshot``."""
    return lambda dataset: dataset.snapshot(path, compression, reader_func, shard_func)


def save(dataset: Dataset, path: str, compression: Any = None, shard_func: Any = None) -> None:
    """``dataset.save(path, compression, shard_func)``."""
    dataset.save(path, compression, shard_func)


def load(
    path: str, element_spec: Any = None, compression: Any = None, reader_func: Any = None
) -> Dataset:
    """``Dataset.load(path, element_spec, compression, reader_func)``."""
    return Dataset.load(path, element_spec, compression, reader_func)


def from_list(elements: list[Any], name: str | None = None) -> Dataset:
    """A dataset of the given elements, which share one structure and dtypes; their
    shapes may differ (the spec keeps the dimensions all share)."""
    if not elements:
        raise InvalidArgumentError("from_list: elements must not be empty")
    first = elements[0]
    for other in elements[1:]:
        _nest.assert_same_structure(first, other)
    flat = [[to_numpy(v) for v in _nest.flatten(e)] for e in elements]
    shapes = {tuple(np.shape(v) for v in row) for row in flat}
    if len(shapes) == 1:
        columns = [to_numpy([row[i] for row in flat]) for i in range(len(flat[0]))]
        return Dataset.from_tensor_slices(_nest.pack_sequence_as(first, columns))
    specs = [TensorSpec.from_value(v) for v in flat[0]]
    for row in flat[1:]:
        specs = [
            s.most_specific_compatible_type(TensorSpec.from_value(v)) for s, v in zip(specs, row)
        ]
    signature = _nest.pack_sequence_as(first, specs)
    values = [_nest.pack_sequence_as(first, row) for row in flat]
    return Dataset.from_generator(lambda: iter(values), output_signature=signature)


def get_next_as_optional(iterator: Iterator) -> Optional:
    """The iterator's next element as an ``Optional``, empty at the end."""
    return iterator.get_next_as_optional()


class AutoShardPolicy(enum.IntEnum):
    """How ``tf.distribute`` would shard a dataset across workers: accepted in
    ``Options().experimental_distribute.auto_shard_policy``."""

    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


__all__ = [
    "AutoShardPolicy",
    "Reducer",
    "group_by_reducer",
    "assert_cardinality",
    "DistributeOptions",
    "OptimizationOptions",
    "Optional",
    "ThreadingOptions",
    "copy_to_device",
    "dense_to_ragged_batch",
    "dense_to_sparse_batch",
    "enumerate_dataset",
    "from_list",
    "get_next_as_optional",
    "load",
    "map_and_batch",
    "parallel_interleave",
    "prefetch_to_device",
    "save",
    "scan",
    "shuffle_and_repeat",
    "snapshot",
    "take_while",
    "unbatch",
    "unique",
    "AUTOTUNE",
    "Counter",
    "CsvDataset",
    "INFINITE_CARDINALITY",
    "UNKNOWN_CARDINALITY",
    "bucket_by_sequence_length",
    "cardinality",
    "choose_from_datasets",
    "enable_debug_mode",
    "get_single_element",
    "group_by_window",
    "make_csv_dataset",
    "sample_from_datasets",
    "map_tracing",
    "set_map_tracing",
]
