"""``Dataset``: tf.data's fluent API over the Rust engine.

A ``Dataset`` is an immutable plan: each method returns a new one. Iterating starts the
engine's iterator tree; elements come back as numpy values in the dataset's structure.
"""

from __future__ import annotations

import functools
import glob as _glob
import os
import time
import weakref
from collections.abc import Callable, Mapping
from collections.abc import Iterator as _PyIterator
from typing import Any

import numpy as np

from .. import _nest, _random, _trace
from .._convert import to_numpy
from .._dtypes import DType, as_dtype, int64, string
from .._lib import NativeDataset, NativeIterator
from .._spec import TensorShape, TensorSpec
from .._tensor import as_tensor
from ..errors import InternalError, InvalidArgumentError
from . import _fingerprint, _functions, _report, _structure, _tracing
from ._args import AUTOTUNE, count_arg, cpu_count, function_arg, parallelism
from ._optional import Optional
from ._structure import Structure
from .options import Options

_STATE_FORMAT = "ferroflow_iterator_state"
_STATE_VERSION = 1

INFINITE_CARDINALITY = -1
"""What ``cardinality()`` returns for an infinite dataset."""
UNKNOWN_CARDINALITY = -2
"""What ``cardinality()`` returns when the size cannot be known without iterating."""


class _Cardinality(int):
    """An int that also answers ``.numpy()``, as the tensor TensorFlow returns does."""

    def numpy(self) -> np.int64:
        """The value as a numpy int64."""
        return np.int64(self)


class Dataset:
    """A sequence of elements, each a nested structure (tuple, dict) of numpy values.

    Build one from a source (``range``, ``from_tensor_slices``, ``from_generator``,
    ``list_files``, ``TFRecordDataset`` ...), chain transformations, and iterate.
    """

    def __init__(
        self, native: NativeDataset, structure: Structure, options: Options | None = None
    ) -> None:
        self._native = native
        self._structure = structure
        self._options = options
        self._prefetched = False
        # Set by the public call that made this dataset (see `_fingerprint.install`).
        self._fingerprint: str | None = None
        self._steps: tuple[tuple[str, str], ...] = ()
        self._injected_prefetch: NativeDataset | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            _fingerprint.install(cls, ["__init__"])

    def fingerprint(self) -> str:
        """A digest (32 hex digits) of this dataset's definition: its sources, every
        transformation and argument, the code of its functions and the seeds in effect. Two
        definitions that yield the same elements the same way have the same fingerprint, in
        any process; a cache file and an iterator's state record it, to be refused by
        another pipeline."""
        if self._fingerprint is None:
            raise InternalError("this dataset was made by no public call and has no fingerprint")
        return self._fingerprint

    # What ``distribute`` did, for the iterator's statistics; kept by the datasets made from it.
    _distribution: dict[str, Any] | None = None

    def _derive(self, native: NativeDataset, structure: Structure | None = None) -> Dataset:
        made = Dataset(native, self._structure if structure is None else structure, self._options)
        made._distribution = self._distribution
        return made

    # ----------------------------------------------------------------- sources

    @staticmethod
    def range(*args: Any, output_type: Any = int64, name: str | None = None) -> Dataset:
        """``range(stop)``, ``range(start, stop)`` or ``range(start, stop, step)``."""
        if not 1 <= len(args) <= 3:
            raise InvalidArgumentError(f"range takes 1 to 3 positional arguments, got {len(args)}")
        ints = [count_arg("range argument", a) for a in args]
        start, stop, step = (0, ints[0], 1) if len(ints) == 1 else (*ints, 1)[:3]
        dtype = as_dtype(output_type)
        return Dataset(
            NativeDataset.range(start, stop, step, dtype.name), Structure(TensorSpec([], dtype))
        )

    @staticmethod
    def counter(
        start: int = 0, step: int = 1, dtype: Any = int64, name: str | None = None
    ) -> Dataset:
        """An endless dataset of ``start``, ``start + step``, ... (to zip seeds or indices
        with another dataset)."""
        if step == 0:
            value = np.asarray(start, as_dtype(dtype).as_numpy_dtype)
            return Dataset.from_tensors(value).repeat()
        limit = np.iinfo(np.int64).max if step > 0 else np.iinfo(np.int64).min
        return Dataset.range(start, limit, step, output_type=dtype).repeat()

    @staticmethod
    def random(
        seed: int | None = None,
        rerandomize_each_iteration: bool | None = None,
        name: str | None = None,
    ) -> Dataset:
        """An endless dataset of random int64 scalars. With a seed (or ``ff.random.set_seed``)
        every pass draws the same values unless ``rerandomize_each_iteration``. The values
        are ferroflow's own, not TensorFlow's Philox stream."""
        native = NativeDataset.random(_random.get_seed(seed), bool(rerandomize_each_iteration))
        return Dataset(native, Structure(TensorSpec([], int64)))

    def rejection_resample(
        self,
        class_func: Callable[..., Any],
        target_dist: Any,
        initial_dist: Any = None,
        seed: int | None = None,
        name: str | None = None,
    ) -> Dataset:
        """Resamples toward the class distribution ``target_dist`` by rejecting elements of
        over-represented classes and repeating the rest, as ``tf.data``'s
        ``rejection_resample``: elements become ``(class, element)``. ``initial_dist`` is the
        data's class distribution, estimated as the data streams by when not given."""
        from ._resample import rejection_resample

        return rejection_resample(self, class_func, target_dist, initial_dist, seed)

    @staticmethod
    def choose_from_datasets(
        datasets: list[Dataset],
        choice_dataset: Dataset,
        stop_on_empty_dataset: bool = True,
    ) -> Dataset:
        """Each element from ``datasets[i]`` for the next ``i`` of ``choice_dataset`` (scalar
        int64s). An exhausted dataset ends the result (``stop_on_empty_dataset``) or is
        passed over; the result ends when the choices do or every dataset is exhausted."""
        spec = choice_dataset.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype != int64 or spec.shape.rank != 0:
            raise TypeError(
                "Invalid `choice_dataset`. Elements of `choice_dataset` must be scalar of "
                f"type `ff.int64`, got {spec!r}"
            )
        return _directed(choice_dataset, datasets, stop_on_empty_dataset)

    @staticmethod
    def sample_from_datasets(
        datasets: list[Dataset],
        weights: Any = None,
        seed: int | None = None,
        stop_on_empty_dataset: bool = False,
        rerandomize_each_iteration: bool | None = None,
    ) -> Dataset:
        """Each element from one of ``datasets`` picked at random with probabilities
        ``weights`` (uniform when None; a dataset of weight vectors gives each pick its own
        weights). An exhausted dataset is passed over (later picks
        fall on the others) unless ``stop_on_empty_dataset``."""
        count = len(datasets)
        rerandomize = bool(rerandomize_each_iteration)
        if isinstance(weights, Dataset):
            spec = weights.element_spec
            if not (
                isinstance(spec, TensorSpec)
                and spec.dtype.is_floating
                and spec.shape.rank == 1
                and spec.shape.as_list()[0] in (None, count)
            ):
                raise TypeError(
                    f"Invalid `weights`. A weights dataset must yield vectors of {count} floats, "
                    f"got {spec!r}"
                )
            native = weights._native.weighted_choice(_random.get_seed(seed), rerandomize)
            selector = Dataset(native, Structure(TensorSpec([], int64)))
            return _directed(selector, datasets, stop_on_empty_dataset)
        w = [1.0] * count if weights is None else [float(x) for x in np.asarray(weights).ravel()]
        if len(w) != count:
            raise ValueError(
                f"Invalid `weights`. The shape of `weights` should be compatible with "
                f"`[len(datasets)]` but is {[len(w)]} for {count} datasets."
            )
        # As tf.data does with listed weights: a dataset weighted zero or less is never
        # picked, so it is left out (all of them: nothing is picked).
        kept = [(d, x) for d, x in zip(datasets, w) if x > 0]
        if not kept:
            return datasets[0].take(0)
        native = NativeDataset.random(_random.get_seed(seed), rerandomize, [x for _, x in kept])
        selector = Dataset(native, Structure(TensorSpec([], int64)))
        return _directed(selector, [d for d, _ in kept], stop_on_empty_dataset)

    @staticmethod
    def from_tensors(tensors: Any, name: str | None = None) -> Dataset:
        """A dataset of exactly one element, ``tensors``."""
        if _trace.has_symbols(tensors):
            return _trace.SymbolicSource("tensors", tensors, slices=False)  # type: ignore[return-value]
        values = _nest.map_structure(to_numpy, tensors)
        return Dataset(
            NativeDataset.from_tensors(_nest.flatten(values)), Structure.of_values(values)
        )

    @staticmethod
    def from_tensor_slices(tensors: Any, name: str | None = None) -> Dataset:
        """One element per slice along the first dimension of every component."""
        if _trace.has_symbols(tensors):
            return _trace.SymbolicSource("tensor_slices", tensors, slices=True)  # type: ignore[return-value]
        values = _nest.map_structure(to_numpy, tensors)
        flat = _nest.flatten(values)
        for v in flat:
            if isinstance(v, bytes) or v.ndim == 0:
                raise InvalidArgumentError(
                    "from_tensor_slices needs components of rank 1 or more; got a scalar"
                )
        native = NativeDataset.from_tensor_slices(flat)
        structure = _nest.map_structure(
            lambda v: TensorSpec(v.shape[1:], as_dtype(v.dtype)), values
        )
        return Dataset(native, Structure(structure))

    @staticmethod
    def from_generator(
        generator: Callable[..., Any],
        output_types: Any = None,
        output_shapes: Any = None,
        args: Any = None,
        output_signature: Any = None,
        name: str | None = None,
    ) -> Dataset:
        """Elements from a Python generator, called anew for every iteration.

        Give ``output_signature`` (nested ``TensorSpec``s), or the older ``output_types`` with
        optional ``output_shapes``. ``args`` are converted to numpy values and passed to
        ``generator`` (strings as ``bytes``), as tf.data does.
        """
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is None:
            if output_types is None:
                raise TypeError(
                    "The `output_types` argument can not be None when "
                    "`output_signature` is not given."
                )
            if output_shapes is None:
                output_shapes = _nest.map_structure(lambda _: None, output_types)
            types = _nest.flatten(output_types)
            shapes = _flatten_shapes(output_shapes, output_types, "output_shapes")
            output_signature = _nest.pack_sequence_as(
                output_types, [TensorSpec(s, t) for t, s in zip(types, shapes)]
            )
        specs = _nest.flatten(output_signature)
        for s in specs:
            if not isinstance(s, TensorSpec):
                raise TypeError(f"output_signature must contain TensorSpecs, got {s!r}")
        arg_values = tuple(_pythonic(to_numpy(a)) for a in (args or ()))
        signature = output_signature

        def open_stream() -> Callable[[], list[Any] | None]:
            source = iter(generator(*arg_values))

            def step() -> list[Any] | None:
                try:
                    value = next(source)
                except StopIteration:
                    return None
                return _generator_components(value, signature, specs)

            return step

        return Dataset(NativeDataset.from_generator(open_stream), Structure(output_signature))

    @staticmethod
    def from_arrow(
        data: Any, null_values: dict[str, Any] | None = None, name: str | None = None
    ) -> Dataset:
        """One element per row of Arrow data: a dict of column tensors, as ``ParquetDataset``
        gives. ``data`` is anything exposing the Arrow PyCapsule interface
        (``__arrow_c_stream__`` or ``__arrow_c_array__``): a pyarrow Table, RecordBatch or
        RecordBatchReader, a polars DataFrame ... Its buffers are taken over, not copied (a
        stream is read to its end now); each record batch is a unit for ``batch``'s slicing.
        ``null_values`` maps a column name to the value its nulls take.
        """
        from .._lib import NativeColumnarSource
        from ._arrow import columnar_native

        source = NativeColumnarSource.from_arrow(data)
        native, structure = columnar_native(source, null_values=null_values)
        return Dataset(native, Structure(structure))

    @staticmethod
    def list_files(
        file_pattern: str | list[str],
        shuffle: bool | None = None,
        seed: int | None = None,
        name: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> Dataset:
        """The file names matching one or more glob patterns; shuffled unless ``shuffle=False``.
        A pattern may name objects in a store (``s3://bucket/train-*.tfrecord``), reached with
        ``storage_options`` as ``TFRecordDataset`` takes them.

        Raises ``InvalidArgumentError`` when nothing matches, as tf.data does.
        """
        patterns = _patterns(file_pattern)
        from ..io._object_files import use_storage_options

        use_storage_options(patterns, storage_options)
        names = sorted({f for p in patterns for f in _matching(p)})
        if not names:
            raise InvalidArgumentError(
                f"Expected 'file_pattern' argument {patterns!r} to match at least one file"
            )
        ds = Dataset.from_tensor_slices(np.array([n.encode() for n in names], dtype=object))
        if shuffle is None or shuffle:
            ds = ds.shuffle(len(names), seed=seed)
        return ds

    @staticmethod
    def zip(*args: Any, datasets: Any = None, name: str | None = None) -> Dataset:
        """Elements of several datasets side by side (a tuple or dict of them), until the
        shortest ends. ``Dataset.zip((a, b))`` and ``Dataset.zip(a, b)`` both work."""
        if datasets is None:
            datasets = args[0] if len(args) == 1 else tuple(args)
        elif args:
            raise TypeError("pass the datasets either positionally or as `datasets`, not both")
        flat = _nest.flatten(datasets)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip takes datasets, got {type(d).__name__}")
        structure = Structure(
            derive=lambda *parts: _nest.pack_sequence_as(datasets, list(parts)),
            deps=[d._structure for d in flat],
        )
        return Dataset(
            NativeDataset.zip([d._native for d in flat]), structure, _merge_options(flat)
        )

    # ----------------------------------------------------------------- transformations

    def concatenate(self, dataset: Dataset, name: str | None = None) -> Dataset:
        """This dataset's elements followed by ``dataset``'s (the structures must match)."""
        a, b = self._structure, dataset._structure
        if a.peek() is not None and b.peek() is not None:
            _structure.merged(a.peek(), b.peek())
        return Dataset(
            self._native.concatenate(dataset._native),
            Structure(derive=_structure.merged, deps=[a, b]),
            _merge_options([self, dataset]),
        )

    def map(
        self,
        map_func: Callable[..., Any],
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        name: str | None = None,
        processes: int | None = None,
    ) -> Dataset:
        """Applies ``map_func`` to each element; a tuple element is unpacked into arguments.

        Like ``tf.function``, the function is first traced once with symbolic tensors: if it
        only uses ferroflow operations (arithmetic, comparisons, ``ff.cast``,
        ``ff.io.parse_example`` ..., indexing into tuples and dicts), it runs as a native
        graph on worker threads, with no Python and no GIL. Otherwise it runs as Python and
        receives numpy values (numpy scalars, ``bytes`` for scalar strings); it may return any
        structure of numpy values, Python scalars, lists or ``bytes``. The iterator's
        statistics note which path a map took; ``ff.data.experimental.set_map_tracing``
        forces either.

        ``processes`` (a count, or ``AUTOTUNE`` for one per CPU) runs the function as Python
        in that many worker processes instead, for functions that hold the GIL (Pillow,
        pure-Python augmentation); results come back through shared memory, errors with the
        worker's traceback. Elements go to the workers in runs sized from the function's
        measured cost (about 20 ms of work each), so the round trip is paid per run; if a
        worker dies, the elements of its run go again one at a time, and only an element a
        worker dies on alone is lost. ``num_parallel_calls`` counts runs in flight then and
        defaults to twice ``processes``: each worker is sent its next run while it computes
        one. On a free-threaded interpreter (no GIL) the function runs on ``processes``
        threads instead.
        """
        det = None if deterministic is None else bool(deterministic)
        function_arg("map_func", map_func)
        if processes is not None:
            from ._processes import DEPTH, gil_enabled, process_count

            workers = process_count(processes)
            if not gil_enabled():
                # A free-threaded interpreter runs Python functions on threads at once.
                calls = workers if num_parallel_calls is None else num_parallel_calls
                return self.map(map_func, calls, deterministic, name)
            default_calls = workers * DEPTH  # each worker is sent its next element early
            calls = parallelism(default_calls if num_parallel_calls is None else num_parallel_calls)
            output = Structure()
            fn = _functions.process_element_fn(map_func, self._structure, output, workers)
            note = f"runs as Python in {workers} worker processes"
            ds = self._derive(self._native.map(fn, calls, det, note, many=True), output)
            output.resolve = _functions.resolver(ds)
            ds._process_pool = fn.pool  # type: ignore[attr-defined]
            return ds
        calls = parallelism(num_parallel_calls)
        traced = _tracing.trace_map(map_func, self._structure)
        if isinstance(traced, tuple):
            graph, spec = traced
            return self._derive(self._native.map_graph(graph, calls, det), Structure(spec))
        output = Structure()
        fn = _functions.element_fn(map_func, self._structure, output)
        ds = self._derive(self._native.map(fn, calls, det, traced), output)
        output.resolve = _functions.resolver(ds)
        return ds

    @property
    def process_pids(self) -> list[int]:
        """The process ids of the workers a ``map(..., processes=N)`` made this dataset with
        (empty for other datasets); they stop when the dataset is garbage-collected."""
        pool = getattr(self, "_process_pool", None)
        return [] if pool is None else pool.pids

    def scan(
        self, initial_state: Any, scan_func: Callable[..., Any], name: str | None = None
    ) -> Dataset:
        """Carries a state through the elements: ``scan_func(state, element)`` returns
        ``(new_state, output)``, and the outputs are the new elements. The new state must have
        the initial state's structure and dtypes (its shapes may change). Traced into a native
        graph when it can be, as ``map`` functions are."""
        function_arg("scan_func", scan_func)
        state = _nest.map_structure(to_numpy, initial_state)
        state_spec = _structure.structure_of(state)
        element_spec = self._structure.get()
        native_state = _nest.flatten(state)
        traced = _tracing.trace_map(scan_func, Structure((state_spec, element_spec)))
        if isinstance(traced, tuple):
            new_state = _scan_state(traced[1], state_spec)
            if new_state != state_spec:  # a state whose shape changes: trace for any shape
                relaxed = _structure.merged(state_spec, new_state)
                traced = _tracing.trace_map(scan_func, Structure((relaxed, element_spec)))
        if isinstance(traced, tuple):
            graph, spec = traced
            _scan_state(spec, state_spec)
            return self._derive(self._native.scan(graph, native_state), Structure(spec[1]))

        def output_of(spec: Any) -> Any:
            _scan_state(spec, state_spec)
            return spec[1]

        full = Structure()
        fn = _functions.element_fn(scan_func, Structure((state_spec, element_spec)), full)
        output = Structure(derive=output_of, deps=[full])
        ds = self._derive(self._native.scan(fn, native_state), output)
        full.resolve = _functions.resolver(ds)
        return ds

    def unique(self, name: str | None = None) -> Dataset:
        """Each distinct element once, in order of first appearance. Elements must be one
        int32, int64 or string tensor; every distinct element is kept in memory."""
        spec = self._structure.get()
        if not isinstance(spec, TensorSpec):
            raise TypeError("Dataset.unique only supports elements of a single component")
        if spec.dtype.name not in ("int32", "int64", "string"):
            raise TypeError(
                f"`Dataset.unique` does not support type {spec.dtype.name} -- only `ff.int32`, "
                "`ff.int64`, and `ff.string` are supported."
            )
        return self._derive(self._native.unique())

    def filter(self, predicate: Callable[..., Any], name: str | None = None) -> Dataset:
        """Keeps the elements for which ``predicate`` returns True (a scalar bool); traced
        into a native graph when it can be, as ``map`` functions are."""
        graph = _tracing.trace_predicate(function_arg("predicate", predicate), self._structure)
        fn = graph if graph is not None else _functions.predicate_fn(predicate, self._structure)
        return self._derive(self._native.filter(fn))

    def take_while(self, predicate: Callable[..., Any], name: str | None = None) -> Dataset:
        """Elements up to, not including, the first for which ``predicate`` is False; traced
        as ``filter`` predicates are."""
        graph = _tracing.trace_predicate(function_arg("predicate", predicate), self._structure)
        fn = graph if graph is not None else _functions.predicate_fn(predicate, self._structure)
        return self._derive(self._native.take_while(fn))

    def flat_map(self, map_func: Callable[..., Dataset], name: str | None = None) -> Dataset:
        """Maps each element to a dataset and reads those datasets one after another.

        A function that returns ``from_tensors``, ``from_tensor_slices`` or
        ``TFRecordDataset`` of values it computes with ferroflow operations is traced and
        runs without Python; any other runs as Python, called with numpy values."""
        return self._with_dataset_fn(map_func, lambda fn, note: self._native.flat_map(fn, note))

    def interleave(
        self,
        map_func: Callable[..., Dataset],
        cycle_length: int | None = None,
        block_length: int | None = None,
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        name: str | None = None,
    ) -> Dataset:
        """Maps elements to datasets and cycles through ``cycle_length`` of them at a time,
        taking ``block_length`` consecutive elements from each, in tf.data's order.

        ``cycle_length`` None or AUTOTUNE means the number of CPUs; ``block_length`` defaults
        to 1. ``map_func`` is traced as ``flat_map``'s is (``lambda f: TFRecordDataset(f)``
        runs without Python).
        """
        cycle = (
            cpu_count()
            if cycle_length in (None, AUTOTUNE)
            else count_arg("cycle_length", cycle_length)
        )
        block = 1 if block_length is None else count_arg("block_length", block_length)
        calls = parallelism(num_parallel_calls)
        det = None if deterministic is None else bool(deterministic)
        return self._with_dataset_fn(
            map_func,
            lambda fn, note: self._native.interleave(fn, cycle, block, calls, det, note),
        )

    def _with_dataset_fn(
        self, map_func: Callable[..., Dataset], make: Callable[[Any, str | None], Any]
    ) -> Dataset:
        """``flat_map`` and ``interleave``: ``make(fn, note)`` builds the native stage from
        the traced function, or from the Python one with the note saying why it is Python."""
        traced = _tracing.trace_dataset_fn(function_arg("map_func", map_func), self._structure)
        if isinstance(traced, tuple):
            return self._derive(make(traced[0], None), Structure(traced[1]))
        output = Structure()
        fn = _functions.dataset_fn(map_func, self._structure, output)
        ds = self._derive(make(fn, traced), output)
        output.resolve = _functions.resolver(ds)
        return ds

    def batch(
        self,
        batch_size: int,
        drop_remainder: bool = False,
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        name: str | None = None,
    ) -> Dataset:
        """Stacks ``batch_size`` consecutive elements; the last batch may be smaller unless
        ``drop_remainder``. Every component must have the same shape within a batch."""
        size = count_arg("batch_size", batch_size)
        dim = size if drop_remainder else None
        det = None if deterministic is None else bool(deterministic)
        native = self._native.batch(
            size, bool(drop_remainder), parallelism(num_parallel_calls), det
        )
        return self._derive(
            native,
            Structure(derive=lambda s: _structure.batched(s, dim), deps=[self._structure]),
        )

    def ragged_batch(
        self,
        batch_size: int,
        drop_remainder: bool = False,
        row_splits_dtype: Any = int64,
        name: str | None = None,
    ) -> Dataset:
        """Like ``batch``, but a component whose first dimension varies (``None`` in its spec,
        as a Parquet list column's) becomes a ``RaggedTensor``: the rows' values concatenated
        and int64 row splits. Other components stack as ``batch`` stacks them. Over a
        columnar source the values are cut from the column at once, not row by row."""
        size = count_arg("batch_size", batch_size)
        if as_dtype(row_splits_dtype) != int64:
            raise InvalidArgumentError("row_splits_dtype must be int64")
        specs = _nest.flatten(_structure.dense_only(self._structure.get()))
        ragged = [_structure.varies_in_first_dim(s) for s in specs]
        native = self._native.batch(size, bool(drop_remainder), None, None, ragged)
        dim = size if drop_remainder else None
        return self._derive(
            native,
            Structure(derive=lambda s: _structure.ragged_batched(s, dim), deps=[self._structure]),
        )

    def padded_batch(
        self,
        batch_size: int,
        padded_shapes: Any = None,
        padding_values: Any = None,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> Dataset:
        """Like ``batch``, padding each component to ``padded_shapes`` (``None``/-1 dimensions
        pad to the longest in the batch; no ``padded_shapes`` pads every dimension so).
        ``padding_values`` defaults to 0, or ``b""`` for strings."""
        size = count_arg("batch_size", batch_size)
        spec = _structure.dense_only(self._structure.get())
        specs = _nest.flatten(spec)
        shapes: list[list[int | None] | None]
        if padded_shapes is None:
            shapes = [None] * len(specs)
        else:
            shapes = _flatten_shapes(padded_shapes, spec, "padded_shapes")
        values = _padding_values(padding_values, spec, specs)
        batch_dim = size if drop_remainder else None
        padded_spec = _nest.pack_sequence_as(
            spec,
            [
                TensorSpec(
                    None
                    if shape is None and s.shape.rank is None
                    else [batch_dim, *(shape if shape is not None else [None] * s.shape.rank)],
                    s.dtype,
                )
                for s, shape in zip(specs, shapes)
            ],
        )
        native = self._native.padded_batch(size, shapes, values, bool(drop_remainder))
        return self._derive(native, Structure(padded_spec))

    def bucket_by_sequence_length(
        self,
        element_length_func: Callable[..., Any],
        bucket_boundaries: list[int],
        bucket_batch_sizes: list[int],
        padded_shapes: Any = None,
        padding_values: Any = None,
        pad_to_bucket_boundary: bool = False,
        no_padding: bool = False,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> Dataset:
        """Batches of elements of similar length: ``element_length_func`` gives each element's
        length, bucket ``i`` takes lengths in ``[bucket_boundaries[i-1],
        bucket_boundaries[i])`` and is batched by ``bucket_batch_sizes[i]`` (one more size
        than boundaries), padded as ``padded_batch`` pads (to the bucket's boundary minus one
        with ``pad_to_bucket_boundary``; not at all with ``no_padding``). Partial buckets are
        batched at the end, in bucket order, unless ``drop_remainder``. The length function
        is traced as ``filter`` predicates are."""
        boundaries = [int(b) for b in bucket_boundaries]
        sizes = [count_arg("bucket_batch_sizes", b) for b in bucket_batch_sizes]
        spec = _structure.dense_only(self._structure.get())
        specs = _nest.flatten(spec)
        fn = _int_scalar_fn(element_length_func, self._structure, "element_length_func")
        padding = None
        if not no_padding:
            if padded_shapes is not None:
                shapes = _flatten_shapes(padded_shapes, spec, "padded_shapes")
            elif pad_to_bucket_boundary:
                if any(s.shape.rank is None for s in specs):
                    raise ValueError("pad_to_bucket_boundary needs elements of known rank")
                shapes = [s.shape.as_list() for s in specs]
            else:
                shapes = [None] * len(specs)
            padding = (shapes, _padding_values(padding_values, spec, specs))
        native = self._native.bucket_by_sequence_length(
            fn, boundaries, sizes, padding, bool(pad_to_bucket_boundary), bool(drop_remainder)
        )
        batched = _stacked_spec(spec)
        if not no_padding:  # padded dimensions vary from batch to batch
            batched = _nest.map_structure(
                lambda s: TensorSpec(
                    None if s.shape.rank is None else [None] * s.shape.rank, s.dtype
                ),
                batched,
            )
        return self._derive(native, Structure(batched))

    def group_by_window(
        self,
        key_func: Callable[..., Any],
        reduce_func: Callable[[Any, Dataset], Dataset],
        window_size: int | None = None,
        window_size_func: Callable[[Any], Any] | None = None,
        name: str | None = None,
    ) -> Dataset:
        """Groups elements by ``key_func``'s integer key; a group holding ``window_size``
        elements (or ``window_size_func(key)``) goes to ``reduce_func(key, window)`` as a
        window of datasets, and the elements of the dataset it returns are the output. At the
        end the groups left are reduced in ascending key order. ``key_func`` and
        ``window_size_func`` are traced as ``filter`` predicates are."""
        from ._window import as_datasets

        if (window_size is None) == (window_size_func is None):
            raise ValueError(
                "Either the `window_size` argument or the `window_size_func` argument must be "
                "specified."
            )
        key_fn = _int_scalar_fn(key_func, self._structure, "key_func")
        size_fn = None
        if window_size_func is not None:
            size_fn = _int_scalar_fn(
                window_size_func, Structure(TensorSpec([], int64)), "window_size_func"
            )
        size = None if window_size is None else count_arg("window_size", window_size)
        spec = _structure.dense_only(self._structure.get())
        native = self._native.group_by_window(key_fn, size, size_fn)
        groups = self._derive(native, Structure((TensorSpec([], int64), _stacked_spec(spec))))
        return groups.flat_map(lambda key, stacked: reduce_func(key, as_datasets(stacked)))

    def window(
        self,
        size: int,
        shift: int | None = None,
        stride: int = 1,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> Dataset:
        """Windows of ``size`` elements, ``stride`` apart, starting every ``shift`` elements
        (``size`` by default); each window is a structure of datasets like the element's
        (``for w in ds.window(3): w.batch(3)``, or ``.flat_map(lambda w: w.batch(3))``).
        Windows near the end hold fewer elements unless ``drop_remainder``. Elements within
        a window must have one shape per component."""
        from ._window import WindowDataset

        size = count_arg("size", size)
        step = size if shift is None else count_arg("shift", shift)
        spec = _structure.dense_only(self._structure.get())
        native = self._native.window(size, step, count_arg("stride", stride), bool(drop_remainder))
        return WindowDataset(self._derive(native, Structure(_stacked_spec(spec))), spec)

    def unbatch(self, name: str | None = None) -> Dataset:
        """Splits every element along its first dimension into separate elements."""
        return self._derive(
            self._native.unbatch(), Structure(derive=_structure.unbatched, deps=[self._structure])
        )

    def shuffle(
        self,
        buffer_size: int,
        seed: int | None = None,
        reshuffle_each_iteration: bool | None = None,
        name: str | None = None,
    ) -> Dataset:
        """Randomly shuffles with a buffer of ``buffer_size`` elements (1 keeps the order).

        With ``reshuffle_each_iteration`` (the default) every iteration has a new order; a
        ``seed`` (or ``ff.random.set_seed``) makes the sequence of orders reproducible.
        """
        size = count_arg("buffer_size", buffer_size)
        reshuffle = True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        return self._derive(self._native.shuffle(size, _random.get_seed(seed), reshuffle))

    def repeat(self, count: int | None = None, name: str | None = None) -> Dataset:
        """The dataset ``count`` times over; forever when ``count`` is None or -1."""
        n = -1 if count is None else count_arg("count", count)
        return self._derive(self._native.repeat(n))

    def assert_cardinality(self, expected_cardinality: int) -> Dataset:
        """The same elements, with ``expected_cardinality`` as the cardinality
        (``INFINITE_CARDINALITY``, -1, for an input that never ends); iterating raises
        ``FailedPreconditionError`` as soon as the input proves to have fewer or more
        (``tf.data.experimental.assert_cardinality`` as a method)."""
        return self._derive(self._native.assert_cardinality(int(expected_cardinality)))

    def take(self, count: int, name: str | None = None) -> Dataset:
        """The first ``count`` elements (all of them for -1)."""
        return self._derive(self._native.take(count_arg("count", count)))

    def skip(self, count: int, name: str | None = None) -> Dataset:
        """All but the first ``count`` elements (none for -1)."""
        return self._derive(self._native.skip(count_arg("count", count)))

    def shard(self, num_shards: int, index: int, name: str | None = None) -> Dataset:
        """Every ``num_shards``-th element starting at ``index``."""
        n, i = count_arg("num_shards", num_shards), count_arg("index", index)
        return self._derive(self._native.shard(n, i))

    def distribute(
        self,
        policy: Any = None,
        num_replicas: int | None = None,
        rank: int | None = None,
        seed: int | None = None,
        remainder: str | None = "drop",
    ) -> Dataset:
        """This process's part of the data when ``num_replicas`` processes (ranks) train
        together, every rank yielding the same number of elements each epoch, so that
        collectives in the training step never wait on a rank that ran out.

        ``num_replicas`` and ``rank`` default to those of an initialized
        ``torch.distributed``, else of a Ray Train worker, else of JAX's processes, else the
        ``WORLD_SIZE`` and ``RANK`` environment variables, else one process. ``policy`` (an
        ``AutoShardPolicy``; default the options' ``experimental_distribute.auto_shard_policy``,
        AUTO) picks how:

        - FILE: each rank reads its share of the pipeline's files (of the row groups for
          Parquet, record batches for Arrow); the calls after the reading are made again
          over them. With ``seed``, every rank draws the same new file order each epoch
          before taking its share.
        - DATA: every rank runs the whole pipeline and keeps every ``num_replicas``-th
          element.
        - AUTO: FILE where the pipeline reads at least one file per rank, DATA otherwise.
        - OFF: the dataset as it is.

        ``remainder`` says what evens the counts: ``"drop"`` stops every rank at the fewest
        elements any rank has, ``"pad"`` goes round a rank's own data again up to the most,
        ``None`` leaves the counts as they come. Under FILE, evening the counts reads each
        file once per process to count its elements. The iterator's ``stats()`` say what was
        done. Call it on the finished pipeline (after ``batch``), so the counts are of
        batches.

        An iterator's state resumes on the same rank exactly; under FILE, with only ``map``,
        ``batch``, ``padded_batch`` and ``prefetch`` after the reading, a state saved with
        another number of ranks (any rank's, at a step all ranks reached) goes on there
        without a record read twice or lost."""
        from . import _distribute

        options = self.options()
        chosen = options.experimental_distribute.auto_shard_policy if policy is None else policy
        size, index, source = _distribute.world(num_replicas, rank)
        made, report = _distribute.distribute(
            self,
            _distribute.policy_of(_distribute.AutoShardPolicy.AUTO if chosen is None else chosen),
            size,
            index,
            None if seed is None else count_arg("seed", seed),
            remainder,
        )
        report.update(ranks_from=source, _made=weakref.ref(made))
        made._distribution = report
        return made

    def enumerate(self, start: int = 0, name: str | None = None) -> Dataset:
        """Pairs each element with its int64 index: ``(index, element)``."""
        counter = Dataset.range(count_arg("start", start), np.iinfo(np.int64).max)
        return Dataset.zip((counter, self))

    def cache(
        self,
        filename: str = "",
        name: str | None = None,
        *,
        storage_options: dict[str, Any] | None = None,
    ) -> Dataset:
        """Keeps the elements of the first complete iteration, in memory or (with
        ``filename``) in the file ``filename + ".ffcache"``, and replays them afterwards.

        A cache file names the element structure it holds and checks every element, and it
        is complete only once its end is written: a file of another pipeline, one cut short
        or one damaged raises ``DataLossError`` naming it (delete it to rebuild the cache)
        instead of being replayed. ``storage_options`` (not in tf.data) are the store's
        options for a ``filename`` in an object store (``ff.io.set_storage_options``)."""
        from ..io._object_files import use_storage_options

        use_storage_options([filename], storage_options)
        spec = self._structure.peek()
        description = f"pipeline {self.fingerprint()}, elements {spec!r}"
        return self._derive(self._native.cache(os.fspath(filename), description))

    def snapshot(
        self,
        path: str,
        compression: Any = "AUTO",
        reader_func: Any = None,
        shard_func: Any = None,
        name: str | None = None,
        *,
        storage_options: dict[str, Any] | None = None,
    ) -> Dataset:
        """Persists the elements under directory ``path`` on the first complete pass and
        replays them on later passes and in later processes (``tf.data``'s ``snapshot``).
        The snapshot is keyed by this pipeline's fingerprint, so a changed pipeline writes a
        new one. With the defaults it is a ``cache`` file. With ``compression`` ("GZIP",
        "ZLIB"; "AUTO" and None write plain records), ``shard_func`` (``shard_func(*element)``
        gives each element's shard) or ``reader_func`` (given the dataset of shard datasets,
        it returns the dataset to read, as ``Dataset.load``'s), it is a saved dataset,
        written by the pass as it goes and read back through ``reader_func``.
        ``storage_options`` (not in tf.data) are the store's options for a ``path`` in an
        object store (``ff.io.set_storage_options``)."""
        from ..io import gfile
        from ..io._object_files import use_storage_options
        from ._snapshot import record_compression, snapshot

        use_storage_options([path], storage_options)

        directory = gfile.join(os.fspath(path), f"snapshot-{self.fingerprint()}")
        records = record_compression(compression)
        if records is None and reader_func is None and shard_func is None:
            gfile.makedirs(os.fspath(path))
            return self.cache(directory)
        return snapshot(self, directory, records, reader_func, shard_func)

    def save(
        self,
        path: str,
        compression: Any = None,
        shard_func: Any = None,
        checkpoint_args: Any = None,
        *,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        """Writes every element under directory ``path``, for ``Dataset.load``: TFRecord
        shards (``compression`` None, ``"GZIP"`` or ``"ZLIB"``) and a ``dataset_spec.json``
        written last. ``shard_func(*element)`` picks each element's shard (one shard when
        None). With ``checkpoint_args`` (``{"checkpoint_interval": n, "directory": ...}``,
        tf.train.CheckpointManager's names) the save checkpoints every ``n`` elements, and a
        save cut short resumes from its last checkpoint when called again. The format is
        described in docs/api.md. ``storage_options`` (not in tf.data) are the store's
        options for a ``path`` in an object store (``ff.io.set_storage_options``)."""
        from ..io._object_files import use_storage_options
        from ._saved import save

        use_storage_options([path], storage_options)

        save(self, path, compression, shard_func, checkpoint_args)

    @staticmethod
    def load(
        path: str,
        element_spec: Any = None,
        compression: Any = None,
        reader_func: Any = None,
        *,
        storage_options: dict[str, Any] | None = None,
    ) -> Dataset:
        """The dataset ``save`` wrote under ``path``: shard by shard, each in order, or what
        ``reader_func`` makes of the dataset of shard datasets (for example
        ``lambda shards: shards.interleave(lambda s: s, cycle_length=4)``).
        ``storage_options`` (not in tf.data) are the store's options for a ``path`` in an
        object store (``ff.io.set_storage_options``)."""
        from ..io._object_files import use_storage_options
        from ._saved import load

        use_storage_options([path], storage_options)

        return load(path, element_spec, compression, reader_func)

    def rebatch(
        self, batch_size: int, drop_remainder: bool = False, name: str | None = None
    ) -> Dataset:
        """The same values in batches of ``batch_size`` (``unbatch().batch(batch_size)``); a
        list of sizes is cycled through, one batch of each in turn, as tf.data does."""
        sizes = [int(s) for s in np.atleast_1d(np.asarray(batch_size)).reshape(-1)]
        if not sizes or min(sizes) < 1:
            raise InvalidArgumentError(f"rebatch: batch sizes must be positive, got {sizes}")
        if len(set(sizes)) == 1:
            return self.unbatch().batch(sizes[0], drop_remainder)
        from ._rebatch import rebatch_cycled

        return rebatch_cycled(self, sizes, bool(drop_remainder))

    def sparse_batch(self, batch_size: int, row_shape: Any, name: str | None = None) -> Dataset:
        """Batches elements of one rank and at most ``row_shape`` into a ``SparseTensor`` of
        dense shape ``[batch] + row_shape`` holding every value of each element at its
        position (``tf.data``'s ``sparse_batch``)."""
        from ._sparse_batch import sparse_batch

        return sparse_batch(self, batch_size, row_shape)

    def prefetch(self, buffer_size: int, name: str | None = None) -> Dataset:
        """Produces up to ``buffer_size`` elements ahead on a background thread, so the
        producer overlaps the consumer. ``AUTOTUNE`` lets the engine choose; 0 is a no-op."""
        size = count_arg("buffer_size", buffer_size)
        if size == 0:
            return self
        ds = self._derive(self._native.prefetch(size))
        ds._prefetched = True
        return ds

    def ignore_errors(self, log_warning: bool = False, name: str | None = None) -> Dataset:
        """Drops elements whose production failed and goes on: for a TFRecord file, the rest of
        a damaged file is skipped and reading continues with the next file. What was skipped
        is listed by the iterator's ``ignored_errors``; ``log_warning`` also prints each one."""
        return self._derive(self._native.ignore_errors(bool(log_warning)))

    def apply(self, transformation_func: Callable[[Dataset], Dataset]) -> Dataset:
        """``transformation_func(self)``, for chaining reusable pipeline pieces."""
        result = transformation_func(self)
        if not isinstance(result, Dataset):
            raise TypeError("`transformation_func` must return a Dataset.")
        return result

    def with_options(self, options: Options, name: str | None = None) -> Dataset:
        """This dataset with ``options`` applied to the whole pipeline (settings already made
        here keep their values unless ``options`` sets them too)."""
        if not isinstance(options, Options):
            raise TypeError(f"with_options takes a ferroflow.data.Options, got {type(options)}")
        merged = options if self._options is None else self._options.merge(options)
        ds = Dataset(self._native, self._structure, merged)
        ds._prefetched = self._prefetched
        return ds

    def options(self) -> Options:
        """The options in effect for this dataset."""
        return self._options if self._options is not None else Options()

    # ----------------------------------------------------------------- inspection

    @property
    def element_spec(self) -> Any:
        """The nested ``TensorSpec``s of the elements."""
        return self._structure.get()

    def cardinality(self) -> _Cardinality:
        """The number of elements, or ``INFINITE_CARDINALITY`` / ``UNKNOWN_CARDINALITY``."""
        return _Cardinality(self._native.cardinality())

    def __len__(self) -> int:
        n = self._native.cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator:
        return Iterator(self)

    def as_numpy_iterator(self) -> Iterator:
        """An iterator of plain numpy values: numpy scalars for 0-d numbers, ``bytes`` for 0-d
        strings, arrays otherwise (iterating the dataset gives ``Tensor``s instead)."""
        return Iterator(self, numpy=True)

    def as_torch(self, pin_memory: bool = False, device: Any = None, prefetch: int = 2) -> Any:
        """This dataset as a ``torch.utils.data.IterableDataset`` for ``DataLoader(...,
        batch_size=None)``, PyTorch Lightning or Accelerate: torch tensors sharing the
        engine's memory; ``state_dict`` / ``load_state_dict`` on its iterator resume exactly
        (torchdata's ``StatefulDataLoader``); with ``num_workers > 0`` each worker reads
        its own shard. ``pin_memory`` pins each batch on a background thread, ``prefetch``
        batches ahead; ``device`` ("cuda:N") also copies them there on a side stream."""
        from ._torch import iterable_dataset

        return iterable_dataset(self, bool(pin_memory), device, int(prefetch))

    def as_jax(self, sharding: Any = None, prefetch: int = 2) -> Any:
        """This dataset's batches as ``jax.Array``s, ``prefetch`` of them put on the devices
        ahead of the loop: on the default device, or laid out by ``sharding``. A sharding
        over several processes' devices takes each process's local batch and gives the
        global array (``jax.make_array_from_process_local_data``). Its iterators have
        ``state_dict`` / ``load_state_dict``."""
        from ._jax import JaxIterable

        return JaxIterable(self, sharding, int(prefetch))

    def as_arrow_iterator(self, rows_per_batch: int | None = None) -> ArrowIterator:
        """An iterator of Arrow record batches, one per element.

        Each element must be a batch of records: a dict of columns (nested dicts become struct
        columns) whose first dimension is the rows, as ``batch(n)`` makes them. Further fixed
        dimensions become fixed-size lists, strings become binary. The record batches expose
        the Arrow PyCapsule interface, so ``pyarrow.record_batch(b)``, ``polars.from_arrow(b)``
        and duckdb take them without copying; pyarrow is not needed to make them.

        With ``rows_per_batch``, each element is one row instead (a dict of tensors, not
        batched), and up to that many rows go in each record batch: a first dimension that
        varies from row to row (``None`` in the element spec) becomes a list column, as
        ``write_parquet`` writes it.
        """
        return ArrowIterator(self, rows_per_batch)

    def reduce(
        self, initial_state: Any, reduce_func: Callable[[Any, Any], Any], name: str | None = None
    ) -> Any:
        """Folds the elements: ``state = reduce_func(state, element)``."""
        state = _nest.map_structure(_as_value, initial_state)
        for element in self:
            state = _nest.map_structure(_as_value, reduce_func(state, element))
        return state

    def get_single_element(self, name: str | None = None) -> Any:
        """The only element; ``InvalidArgumentError`` if there are none or several."""
        it = iter(self)
        try:
            element = next(it)
        except StopIteration:
            raise InvalidArgumentError("Dataset was empty.") from None
        try:
            next(it)
        except StopIteration:
            return element
        finally:
            it.close()
        raise InvalidArgumentError("Dataset had more than one element.")

    def __repr__(self) -> str:
        spec = self._structure.peek()
        return f"<Dataset element_spec={spec!r}>" if spec is not None else "<Dataset>"


def _patterns(file_pattern: Any) -> list[str]:
    """One glob pattern or several (``str`` or ``bytes``), as a list of ``str``."""
    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
    return [p.decode() if isinstance(p, bytes) else str(p) for p in patterns]


def _matching(pattern: str) -> list[str]:
    """The local files or objects ``pattern`` matches."""
    from .. import _object_names

    return _object_names.glob(pattern) if _object_names.is_remote(pattern) else _glob.glob(pattern)


# Every public method that makes a dataset records its call in that dataset's fingerprint;
# `apply` only hands the dataset to a function whose own calls do, and so does
# `distribute`, whose arguments may leave the rank to be found (its calls name it).
_fingerprint.install(
    Dataset,
    [m for m in _fingerprint.dataset_methods(Dataset) if m not in ("apply", "distribute")],
)


class Iterator(_PyIterator):
    """One pass over a dataset. Waits happen with the GIL released; closing (or dropping)
    the iterator stops any background threads."""

    def __init__(self, dataset: Dataset, numpy: bool = False) -> None:
        options = dataset.options()
        self._numpy = numpy
        cpu_budget, deterministic, ram_budget = options._engine_settings()
        self._timeline = bool(options.timeline)
        self._settings = (cpu_budget, deterministic, ram_budget, self._timeline)
        self._native_dataset = self._runnable(dataset)
        self._dataset = dataset
        # Elements returned in this pass, and the pass a distributed pipeline was resumed
        # into on other ranks (see `distribute`), for the state.
        self._delivered = 0
        self._resumed_pass: dict[str, Any] | None = None
        # Started on first use, so that `set_state` on a new iterator starts the pass where
        # the state says instead of starting one to throw away.
        self._pass: NativeIterator | None = None
        self._structure = dataset._structure
        self._pack: Callable[[list[Any]], Any] | None = None
        self._started = time.perf_counter()
        self._returned_at: float | None = None
        self._consumer: list[tuple[float, float]] = []

    @staticmethod
    def _runnable(dataset: Dataset) -> NativeDataset:
        native = dataset._native
        if dataset.options()._inject_prefetch() and not dataset._prefetched:
            # As tf.data does by default: the pipeline runs ahead of the training loop. One
            # stage per dataset, so each pass starts from the buffer the last one tuned.
            if dataset._injected_prefetch is None:
                dataset._injected_prefetch = native.prefetch(AUTOTUNE)
            native = dataset._injected_prefetch
        return native

    @property
    def _native(self) -> NativeIterator:
        if self._pass is None:
            self._pass = self._native_dataset.iter(*self._settings)
        return self._pass

    def __iter__(self) -> Iterator:
        return self

    def __next__(self) -> Any:
        if self._timeline and self._returned_at is not None:
            now = time.perf_counter() - self._started
            self._consumer.append((self._returned_at, now))
        try:
            flat = self._native.next(self._numpy)
        except InvalidArgumentError:
            self._structure.peek()  # raises UnimplementedError for unbatchable components
            raise
        if flat is None:
            raise StopIteration
        pack = self._pack
        if pack is None:
            structure = self._structure.peek()
            if structure is None:
                structure = self._structure.get()
            pack = self._pack = _nest.make_packer(structure)
        if self._timeline:
            self._returned_at = time.perf_counter() - self._started
        self._delivered += 1
        return pack(flat)

    def get_next(self) -> Any:
        """The next element; ``OutOfRangeError`` at the end (``tf.data.Iterator.get_next``)."""
        try:
            return next(self)
        except StopIteration:
            from ..errors import OutOfRangeError

            raise OutOfRangeError("End of sequence") from None

    def get_next_as_optional(self) -> Any:
        """The next element as an ``Optional`` (``ff.data.experimental.Optional``), empty at
        the end instead of raising."""
        try:
            return Optional(next(self), self.element_spec, True)
        except StopIteration:
            return Optional.empty(self.element_spec)

    def close(self) -> None:
        """Stops the pass now; background threads exit after their current element."""
        self._native.close()

    def get_state(self) -> dict[str, Any]:
        """Where this pass stands: after the last element this iterator returned, never an
        element still in a buffer. A small JSON-serializable dict (positions, counters and
        seeds, not elements); ``set_state`` on a new iterator of the same dataset goes on
        exactly from there. See "Checkpoints" in docs/api.md for what each operation keeps."""
        state: dict[str, Any] = {
            _STATE_FORMAT: _STATE_VERSION,
            "fingerprint": self._dataset.fingerprint(),
            "calls": [list(step) for step in self._dataset._steps],
        }
        if self._resumed_pass is None:
            # A pass resumed on other ranks is not this dataset's own pass: only its
            # description below says where it stands.
            state["position"] = self._native.save_state()
        from ._distribute import pass_state

        moving = pass_state(self._dataset, self._delivered, self._resumed_pass)
        if moving is not None:
            state["distribution"] = moving
        return state

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Moves this iterator to ``state`` (from ``get_state`` of an iterator of the same
        dataset definition, in this process or another): the next element is the one that
        followed there. A state of another definition, or a malformed one, raises
        ``InvalidArgumentError`` saying what differs."""
        if not isinstance(state, Mapping) or state.get(_STATE_FORMAT) != _STATE_VERSION:
            raise InvalidArgumentError(
                "malformed iterator state: expected the dict get_state returns "
                f"({_STATE_FORMAT!r}: {_STATE_VERSION}), got {type(state).__name__}"
            )
        fingerprint = self._dataset.fingerprint()
        moving = state.get("distribution")
        if moving is not None and (
            state.get("fingerprint") != fingerprint or "position" not in state
        ):
            self._resume_elsewhere(moving)
            return
        if state.get("fingerprint") != fingerprint:
            calls = state.get("calls")
            where = (
                _fingerprint.first_difference(calls, self._dataset._steps)
                if isinstance(calls, list)
                else "its calls are not recorded"
            )
            raise InvalidArgumentError(
                "the iterator state was saved from another dataset definition "
                f"(fingerprint {state.get('fingerprint')!r}, this dataset's {fingerprint!r}): "
                f"{where}"
            )
        if self._pass is not None:
            self._pass.close()
        self._pass = self._native_dataset.iter(*self._settings, state=state.get("position"))
        self._delivered = 0 if moving is None else int(moving["delivered"])

    def _resume_elsewhere(self, moving: Mapping[str, Any]) -> None:
        """Goes on with a distributed pass saved with another number of ranks, or by
        another rank: what no rank delivered yet, dealt out again over this dataset's."""
        from ._distribute import resume

        resumed = resume(self._dataset._distribution, dict(moving))
        made, described = (self._dataset, None) if resumed is None else resumed
        if self._pass is not None:
            self._pass.close()
        self._native_dataset = self._runnable(made)
        self._pass = None
        self._delivered = 0
        self._resumed_pass = described

    def state_dict(self) -> dict[str, Any]:
        """``get_state`` under the name PyTorch's stateful loaders use."""
        return self.get_state()

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """``set_state`` under the name PyTorch's stateful loaders use."""
        self.set_state(state_dict)

    def stats(self) -> list[dict[str, Any]]:
        """Per-stage statistics of this pass so far, outermost stage first: ``elements``
        produced, ``busy_s`` (the stage's own work), ``input_wait_s`` and ``consumer_wait_s``
        (time an asynchronous stage waited for its input or for room in its buffer),
        ``buffered`` and ``tuned`` (buffer size or parallelism), and ``notes``. After
        ``distribute``, the outermost stage's notes say what this rank reads."""
        stats = self._native.stats()
        report = self._dataset._distribution
        if report is not None and stats:
            from ._distribute import describe

            stats[0]["notes"] = [*stats[0]["notes"], describe(report)]
        return stats

    def summary(self) -> str:
        """The statistics as a table, with the bottleneck stage named."""
        return _report.summary(self.stats())

    def save_timeline(self, path: str | os.PathLike[str]) -> None:
        """Saves a timeline picture (PNG, SVG ... by the file name) of every stage call and of
        the time your loop spent between elements. Needs matplotlib, and the pass must have
        been started with ``Options.timeline = True``."""
        if not self._timeline:
            raise InvalidArgumentError(
                "this pass recorded no timeline; set options.timeline = True and iterate again"
            )
        events, _ = self._native.timeline()
        _report.save_timeline(path, self.stats(), events, self._consumer)

    @property
    def ignored_errors(self) -> list[str]:
        """The messages of the errors ``ignore_errors`` skipped so far in this pass."""
        return self._native.skipped_errors()

    @property
    def element_spec(self) -> Any:
        """The nested ``TensorSpec``s of the elements."""
        return self._structure.get()


# --------------------------------------------------------------------- helpers


class ArrowIterator(Iterator):
    """One pass over a dataset of record batches (see ``Dataset.as_arrow_iterator``)."""

    def __init__(self, dataset: Dataset, rows_per_batch: int | None = None) -> None:
        from ._arrow import column_paths
        from ._structure import varies_in_first_dim

        self._paths = column_paths(dataset.element_spec)
        self._rows = None if rows_per_batch is None else count_arg("rows_per_batch", rows_per_batch)
        if self._rows is not None and self._rows < 1:
            raise InvalidArgumentError(f"rows_per_batch must be positive, got {rows_per_batch}")
        self._variable = [varies_in_first_dim(s) for s in _nest.flatten(dataset.element_spec)]
        self._ended = False
        super().__init__(dataset)

    def __next__(self) -> Any:
        if self._rows is None:
            batch = self._native.next_record_batch(self._paths)
        elif self._ended:
            batch = None
        else:
            batch = self._native.next_rows_record_batch(self._paths, self._variable, self._rows)
            # A short batch is the pass's last.
            self._ended = batch is None or batch.num_rows < self._rows
        if batch is None:
            raise StopIteration
        return batch


def _stacked_spec(spec: Any) -> Any:
    """The spec of elements of ``spec`` stacked along a new first dimension."""
    return _nest.map_structure(
        lambda s: TensorSpec(None if s.shape.rank is None else [None, *s.shape.as_list()], s.dtype),
        spec,
    )


def _int_scalar_fn(func: Callable[..., Any], structure: Structure, what: str) -> Any:
    """``func`` (giving one integer) traced into a graph, or wrapped to run as Python."""
    graph = _tracing.trace_scalar(
        function_arg(what, func),
        structure,
        lambda d: d.is_integer,
        f"{what} must return one scalar integer",
    )
    return graph or _functions.int_scalar_fn(func, structure, what)


def _scan_state(spec: Any, state_spec: Any) -> Any:
    """The new state's spec in ``scan_func``'s output ``spec``, checked against the state's."""
    if not isinstance(spec, tuple) or len(spec) != 2:
        raise TypeError("scan_func must return a pair (new_state, output_element)")
    try:
        _structure.merged(state_spec, spec[0])
    except (TypeError, ValueError) as e:
        raise TypeError(f"scan_func's new state does not match the initial state: {e}") from e
    return spec[0]


def _directed(selector: Dataset, datasets: list[Dataset], stop_on_empty: bool) -> Dataset:
    """The elements of ``datasets`` in the order ``selector`` names them."""
    datasets = list(datasets)
    if not datasets:
        raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
    structures = [d._structure for d in datasets]
    known = [st.peek() for st in structures]
    if all(k is not None for k in known):
        functools.reduce(_structure.merged, known)
    native = NativeDataset.directed_interleave(
        selector._native, [d._native for d in datasets], bool(stop_on_empty)
    )
    merged = Structure(
        derive=lambda *parts: functools.reduce(_structure.merged, parts), deps=structures
    )
    return Dataset(native, merged, _merge_options([selector, *datasets]))


def _merge_options(datasets: list[Dataset]) -> Options | None:
    """The options of several inputs combined, later inputs winning."""
    merged: Options | None = None
    for d in datasets:
        if d._options is not None:
            merged = d._options if merged is None else merged.merge(d._options)
    return merged


def _pythonic(value: Any) -> Any:
    """A generator argument as tf.data passes it: numpy scalars and bytes."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.view(np.ndarray)[()]
    return value


def _as_value(value: Any) -> Any:
    return as_tensor(to_numpy(value))


def _shape_list(shape: Any, what: str) -> list[int | None] | None:
    if shape is None:
        return None
    try:
        ts = TensorShape(shape) if not isinstance(shape, TensorShape) else shape
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(f"{what}: {shape!r} is not a shape: {e}") from None
    return None if ts.rank is None else ts.as_list()


def _flatten_shapes(shapes: Any, structure: Any, what: str) -> list[list[int | None] | None]:
    """Flattens ``shapes`` (the argument ``what``) following ``structure``: where the
    structure has a component, the value in ``shapes`` is that component's shape (a list or
    tuple of dims, or None)."""
    if not _nest.is_nested(structure):
        return [_shape_list(shapes, what)]
    if isinstance(structure, Mapping):
        if not isinstance(shapes, Mapping):
            raise InvalidArgumentError(f"{what}: expected a dict of shapes, got {shapes!r}")
        return [
            x for k in sorted(structure) for x in _flatten_shapes(shapes[k], structure[k], what)
        ]
    if not isinstance(shapes, (tuple, list)) or len(shapes) != len(structure):
        raise InvalidArgumentError(
            f"{what}: expected {len(structure)} shapes matching the element structure, "
            f"got {shapes!r}"
        )
    return [x for sh, st in zip(shapes, structure) for x in _flatten_shapes(sh, st, what)]


def _padding_values(padding_values: Any, spec: Any, specs: list[TensorSpec]) -> list[Any]:
    if padding_values is None:
        return [to_numpy(b"" if s.dtype == string else 0, s.dtype) for s in specs]
    if _nest.is_nested(spec) and not _nest.is_nested(padding_values):
        flat = [padding_values] * len(specs)
    else:
        flat = _nest.flatten(padding_values)
    if len(flat) != len(specs):
        raise InvalidArgumentError(
            f"padding_values has {len(flat)} components, the elements have {len(specs)}"
        )
    return [to_numpy(v, s.dtype) for v, s in zip(flat, specs)]


def _generator_components(value: Any, signature: Any, specs: list[TensorSpec]) -> list[Any]:
    if _nest.is_nested(signature):
        if isinstance(value, list) and isinstance(signature, tuple):
            value = tuple(value)
        try:
            _nest.assert_same_structure(signature, value)
        except (ValueError, TypeError) as e:
            raise TypeError(
                f"`generator` yielded an element that did not match the expected "
                f"structure. The expected structure was {signature!r}, but the "
                f"yielded element was {value!r}."
            ) from e
    flat = _nest.flatten_up_to(signature, value)
    out = []
    for v, spec in zip(flat, specs):
        try:
            arr = to_numpy(v, spec.dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"`generator` yielded an element that could not be converted to the "
                f"expected type. The expected type was {spec.dtype.name}, but the "
                f"yielded element was {v!r}."
            ) from e
        shape = () if isinstance(arr, bytes) else arr.shape
        if not spec.shape.is_compatible_with(shape):
            raise InvalidArgumentError(
                f"`generator` yielded an element of shape {shape} where an element of shape "
                f"{tuple(spec.shape.as_list())} was expected."
            )
        out.append(arr)
    return out


__all__ = [
    "AUTOTUNE",
    "INFINITE_CARDINALITY",
    "UNKNOWN_CARDINALITY",
    "Dataset",
    "DType",
    "Iterator",
]
