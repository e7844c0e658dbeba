"""Type stubs for the native module ``ferroflow._lib`` (the Rust engine's Python handles)."""

import os
from collections.abc import Callable
from typing import Any, final

__all__ = [
    "NativeColumnarSource",
    "NativeDataset",
    "NativeGraph",
    "NativeIterator",
    "NativeSourceGraph",
    "NativeStringBatch",
    "NativeTfRecordWriter",
    "RecordBatch",
    "__version__",
    "decode_example",
    "decode_sequence_example",
    "encode_example",
    "encode_sequence_example",
    "graph_op_names",
    "inspect_file",
    "list_objects",
    "parse_example",
    "parse_sequence",
    "shut_down",
    "use_string_tensor_type",
    "use_tensor_type",
]
__version__: str

@final
class NativeDataset:
    """An immutable engine dataset; every method returns a new one."""

    @staticmethod
    def range(start: int, stop: int, step: int, dtype: str) -> NativeDataset: ...
    @staticmethod
    def from_tensors(components: list[Any]) -> NativeDataset: ...
    @staticmethod
    def from_tensor_slices(components: list[Any]) -> NativeDataset: ...
    @staticmethod
    def from_generator(open: Callable[[], Callable[[], list[Any] | None]]) -> NativeDataset: ...
    @staticmethod
    def zip(datasets: list[NativeDataset]) -> NativeDataset: ...
    @staticmethod
    def directed_interleave(
        selector: NativeDataset, datasets: list[NativeDataset], stop_on_empty: bool
    ) -> NativeDataset: ...
    @staticmethod
    def random(
        seed: int | None, rerandomize: bool, weights: list[float] | None = None
    ) -> NativeDataset: ...
    def weighted_choice(self, seed: int | None, rerandomize: bool) -> NativeDataset: ...
    def concatenate(self, other: NativeDataset) -> NativeDataset: ...
    def map(
        self,
        func: Callable[..., list[Any]],
        parallelism: int | None = None,
        deterministic: bool | None = None,
        note: str | None = None,
    ) -> NativeDataset: ...
    def map_graph(
        self, graph: NativeGraph, parallelism: int | None = None, deterministic: bool | None = None
    ) -> NativeDataset: ...
    def filter(self, predicate: Callable[..., list[Any]] | NativeGraph) -> NativeDataset: ...
    def take_while(self, predicate: Callable[..., list[Any]] | NativeGraph) -> NativeDataset: ...
    def flat_map(
        self, func: Callable[..., NativeDataset] | NativeSourceGraph, note: str | None = None
    ) -> NativeDataset: ...
    def interleave(
        self,
        func: Callable[..., NativeDataset] | NativeSourceGraph,
        cycle_length: int,
        block_length: int,
        parallelism: int | None = None,
        deterministic: bool | None = None,
        note: str | None = None,
    ) -> NativeDataset: ...
    def batch(
        self,
        batch_size: int,
        drop_remainder: bool,
        parallelism: int | None = None,
        deterministic: bool | None = None,
        ragged: list[bool] = ...,
    ) -> NativeDataset: ...
    def padded_batch(
        self,
        batch_size: int,
        padded_shapes: list[list[int | None] | None],
        padding_values: list[Any],
        drop_remainder: bool,
    ) -> NativeDataset: ...
    def scan(
        self, func: Callable[..., list[Any]] | NativeGraph, initial_state: list[Any]
    ) -> NativeDataset: ...
    def bucket_by_sequence_length(
        self,
        length_fn: Callable[..., list[Any]] | NativeGraph,
        boundaries: list[int],
        batch_sizes: list[int],
        padding: tuple[list[list[int | None] | None], list[Any]] | None,
        pad_to_boundary: bool,
        drop_remainder: bool,
    ) -> NativeDataset: ...
    def unbatch(self) -> NativeDataset: ...
    def shuffle(
        self, buffer_size: int, seed: int | None, reshuffle_each_iteration: bool
    ) -> NativeDataset: ...
    def repeat(self, count: int) -> NativeDataset: ...
    def assert_cardinality(self, expected: int) -> NativeDataset: ...
    def take(self, count: int) -> NativeDataset: ...
    def skip(self, count: int) -> NativeDataset: ...
    def shard(self, num_shards: int, index: int) -> NativeDataset: ...
    def cache(self, filename: str, description: str = "") -> NativeDataset: ...
    def prefetch(self, buffer_size: int) -> NativeDataset: ...
    def file_records(
        self,
        format: str,
        compression: str,
        buffer_size: int | None,
        cycle_length: int | None,
        header: bool = False,
        fixed: tuple[int, int, int] | None = None,
        csv: tuple[bytes, bool] | None = None,
        located: bool = False,
    ) -> NativeDataset: ...
    def window(self, size: int, shift: int, stride: int, drop_remainder: bool) -> NativeDataset: ...
    def group_by_window(
        self,
        key_fn: Callable[..., list[Any]] | NativeGraph,
        window_size: int | None = None,
        size_fn: Callable[..., list[Any]] | NativeGraph | None = None,
    ) -> NativeDataset: ...
    def unique(self) -> NativeDataset: ...
    def ignore_errors(self, log_warning: bool) -> NativeDataset: ...
    def cardinality(self) -> int: ...
    def iter(
        self,
        cpu_budget: int = 0,
        deterministic: bool = True,
        ram_budget: int = 0,
        timeline: bool = False,
        state: Any = None,
        probe: bool = False,
    ) -> NativeIterator: ...

@final
class NativeIterator:
    """One pass over a NativeDataset."""

    def next(self, numpy: bool = False) -> list[Any] | None: ...
    def save_state(self) -> Any: ...
    def next_record_batch(self, paths: list[list[str]]) -> RecordBatch | None: ...
    def write_parquet(
        self,
        path: str,
        paths: list[list[str]],
        variable: list[bool],
        compression: str | None,
        row_group_size: int,
    ) -> int: ...
    def skipped_errors(self) -> list[str]: ...
    def stats(self) -> list[dict[str, Any]]: ...
    def timeline(self) -> tuple[list[tuple[int, int, float, float]], float]: ...
    def close(self) -> None: ...

@final
class NativeTfRecordWriter:
    """Writes records to a TFRecord file."""

    def __new__(cls, path: str, compression: str) -> NativeTfRecordWriter: ...
    def write(self, record: bytes) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...

def encode_example(features: list[tuple[str, int, Any]]) -> bytes: ...
def decode_example(data: bytes) -> list[tuple[str, int, Any]]: ...
def encode_sequence_example(
    context: list[tuple[str, int, Any]], feature_lists: list[tuple[str, list[tuple[int, Any]]]]
) -> bytes: ...
def decode_sequence_example(
    data: bytes,
) -> tuple[list[tuple[str, int, Any]], list[tuple[str, list[tuple[int, Any]]]]]: ...
def parse_example(serialized: Any, specs: list[tuple]) -> list[Any]: ...
def graph_op_names() -> list[str]: ...
def use_tensor_type(cls: type) -> None: ...
def shut_down(timeout: float) -> bool: ...
def list_objects(prefix: str) -> list[str]: ...
def inspect_file(
    path: str | os.PathLike[str],
    progress: Callable[[int, int, int], object] | None = None,
    progress_interval: float | None = None,
) -> dict[str, Any]: ...
def parse_sequence(
    serialized: Any, context_specs: list[tuple], sequence_specs: list[tuple]
) -> tuple[list[Any], list[Any], list[Any] | None]: ...

@final
class NativeGraph:
    """A traced function: nodes of Rust kernels over an element's components."""

    def __new__(
        cls, inputs: int, nodes: list[tuple[str, list[int], Any]], outputs: list[int]
    ) -> NativeGraph: ...
    def __call__(self, components: list[Any], index: int = 0) -> list[Any]: ...

@final
class NativeSourceGraph:
    """A traced flat_map/interleave function: a graph and the source it builds."""

    def __new__(
        cls,
        graph: NativeGraph,
        kind: str,
        compression: str | None = None,
        buffer_size: int | None = None,
    ) -> NativeSourceGraph: ...

@final
class NativeColumnarSource:
    @staticmethod
    def parquet(paths: list[str], columns: list[str] | None = None) -> NativeColumnarSource: ...
    @staticmethod
    def arrow_ipc(paths: list[str], columns: list[str] | None = None) -> NativeColumnarSource: ...
    @staticmethod
    def from_arrow(obj: Any) -> NativeColumnarSource: ...
    def leaves(self) -> list[tuple[list[str], str, list[int | None]]]: ...
    def dataset(
        self,
        paths: list[list[str]],
        fills: dict[str, Any],
        parallel_reads: int | None,
        shuffle: bool,
        shuffle_seed: int | None,
        num_shards: int,
        shard_index: int,
        even: str | None = None,
    ) -> NativeDataset: ...

@final
class RecordBatch:
    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def __arrow_c_schema__(self) -> Any: ...
    def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]: ...
    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any: ...

@final
class NativeStringBatch:
    """A tensor of strings as the engine holds them, wrapped by ``ferroflow.StringTensor``."""

    @property
    def shape(self) -> list[int]: ...
    @property
    def size(self) -> int: ...
    @property
    def nbytes(self) -> int: ...
    def item(self, index: int) -> bytes: ...
    def to_numpy(self) -> Any: ...
    def buffers(self) -> tuple[bytes, list[int]]: ...

def use_string_tensor_type(cls: type) -> None: ...
