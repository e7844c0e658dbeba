"""``ferroflow.data.experimental``: the names tf.data keeps under ``experimental``."""

from __future__ import annotations

from typing import Any

from .._dtypes import int64
from ._tracing import map_tracing, set_map_tracing
from .csv import CsvDataset, make_csv_dataset
from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset


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


__all__ = [
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
