"""What the columnar datasets and the Arrow output share: element structures of column dicts
(a struct column is a nested dict) and the column paths of their components."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .. import _nest
from .._convert import to_numpy
from .._dtypes import as_dtype
from .._lib import NativeColumnarSource, NativeDataset
from .._spec import TensorSpec
from ..errors import InvalidArgumentError
from ._args import count_arg, cpu_count, parallel_reads, path_list
from .dataset import Dataset


def column_paths(structure: Any) -> list[list[str]]:
    """The column path (names from the top-level column down) of each component of a dict
    structure, in component order."""
    if not isinstance(structure, Mapping):
        raise TypeError(
            "Arrow output needs elements that are dicts of columns (nested dicts become "
            f"struct columns), got {structure!r}; map the elements to a dict first"
        )

    def paths(value: Any, prefix: list[str]) -> Any:
        if isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str):
                    raise TypeError(f"column names must be strings, got {key!r}")
            return {k: paths(v, [*prefix, k]) for k, v in value.items()}
        if not isinstance(value, TensorSpec):
            raise TypeError(f"column {'.'.join(prefix)!r} is {value!r}, not a tensor")
        return list(prefix)

    return _nest.flatten(paths(structure, []))


def _spec_tree(source: NativeColumnarSource) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, dtype, shape in source.leaves():
        node = tree
        for name in path[:-1]:
            node = node.setdefault(name, {})
        node[path[-1]] = TensorSpec(shape, as_dtype(dtype))
    return tree


def _shard(shard: Any) -> tuple[int, int]:
    if shard is None:
        return 1, 0
    try:
        count, index = shard
    except (TypeError, ValueError):
        raise TypeError(f"shard must be (num_shards, index), got {shard!r}") from None
    return count_arg("num_shards", count), count_arg("index", index)


def columnar_native(
    source: NativeColumnarSource,
    *,
    null_values: Mapping[str, Any] | None = None,
    num_parallel_reads: Any = None,
    shuffle_units: bool = False,
    seed: int | None = None,
    shard: Any = None,
    even_shards: str | None = None,
) -> tuple[NativeDataset, dict[str, Any]]:
    """The engine dataset of `source`'s rows and its element structure."""
    structure = _spec_tree(source)
    fills = {}
    for name, value in dict(null_values or {}).items():
        if not isinstance(name, str):
            raise TypeError(f"null_values keys must be column names, got {name!r}")
        fills[name] = to_numpy(value)
    count, index = _shard(shard)
    native = source.dataset(
        column_paths(structure),
        fills,
        # Two units per core for AUTOTUNE: decoding alone leaves a core idle while a unit's
        # batches are handed over, and a unit in flight costs only its decoded size.
        parallel_reads(num_parallel_reads, autotune=2 * cpu_count()),
        bool(shuffle_units),
        None if seed is None else int(seed) & 0xFFFF_FFFF_FFFF_FFFF,
        count,
        index,
        even_shards,
    )
    return native, structure


def file_list(filenames: Any) -> list[str]:
    """Paths from a path, a list of paths, or a Dataset of scalar strings."""
    if isinstance(filenames, Dataset):
        names = [os.fsdecode(n) for n in filenames.as_numpy_iterator()]
    else:
        names = [os.fsdecode(f) for f in path_list(filenames)]
    if not names:
        raise InvalidArgumentError("`filenames` must name at least one file")
    return names
