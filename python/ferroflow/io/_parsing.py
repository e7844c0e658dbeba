"""tf.io's feature specs and ``parse_*`` functions. A batch of records is parsed by one call
into the Rust wire-format parser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import _lib, _trace
from .._composite import RaggedTensor, SparseTensor
from .._convert import to_numpy
from .._dtypes import DType, as_dtype, int64
from .._spec import TensorSpec
from ..errors import InvalidArgumentError, UnimplementedError

_PARSE_DTYPES = ("int64", "float32", "string")


class FixedLenFeature(NamedTuple):
    """A feature with exactly ``prod(shape)`` values per record; ``default_value`` fills in
    for records that lack it (without one, a missing feature is an error)."""

    shape: Any
    dtype: Any
    default_value: Any = None


class VarLenFeature(NamedTuple):
    """A feature with any number of values, parsed into a ``SparseTensor``."""

    dtype: Any


class RaggedFeature(NamedTuple):
    """A feature with any number of values, parsed into a ``RaggedTensor`` (batch) or a 1-D
    array (single record). Only the feature's own values are supported: no ``partitions``."""

    dtype: Any
    value_key: str | None = None
    partitions: tuple = ()
    row_splits_dtype: Any = int64
    validate: bool = False


class FixedLenSequenceFeature(NamedTuple):
    """A feature list (or a feature) of steps with ``prod(shape)`` values each, parsed into a
    dense ``[steps, *shape]`` array; ``allow_missing`` lets records lack it."""

    shape: Any
    dtype: Any
    allow_missing: bool = False
    default_value: Any = None


def _dtype_name(dtype: Any, key: str) -> str:
    d: DType = as_dtype(dtype)
    if d.name not in _PARSE_DTYPES:
        raise InvalidArgumentError(
            f"feature {key!r}: dtype must be int64, float32 or string, got {d.name}"
        )
    return d.name


def _shape(shape: Any, key: str) -> list[int]:
    dims = [shape] if isinstance(shape, (int, np.integer)) else list(shape)
    if any(d is None or int(d) < 0 for d in dims):
        raise InvalidArgumentError(f"feature {key!r}: shape {dims} must be fully defined")
    return [int(d) for d in dims]


def _default(value: Any, dtype: str) -> Any:
    if value is None:
        return None
    arr = np.asarray(value, dtype=object if dtype == "string" else dtype).reshape(-1)
    return to_numpy(arr, dtype)


def _spec_tuples(features: Mapping[str, Any]) -> list[tuple]:
    out = []
    for key, f in features.items():
        if isinstance(f, (FixedLenFeature, FixedLenSequenceFeature)):
            dtype = _dtype_name(f.dtype, key)
            kind = "fixed_len" if isinstance(f, FixedLenFeature) else "fixed_len_sequence"
            shape, default = _shape(f.shape, key), _default(f.default_value, dtype)
            out.append((key, kind, dtype, shape, default, bool(getattr(f, "allow_missing", 0))))
        elif isinstance(f, VarLenFeature):
            out.append((key, "var_len", _dtype_name(f.dtype, key), None, None, False))
        elif isinstance(f, RaggedFeature):
            if f.partitions or (f.value_key is not None and f.value_key != key):
                raise UnimplementedError(
                    f"feature {key!r}: RaggedFeature partitions and value_key are not supported"
                )
            out.append((key, "ragged", _dtype_name(f.dtype, key), None, None, False))
        else:
            raise TypeError(f"feature {key!r}: unsupported feature spec {f!r}")
    return out


def _records(serialized: Any) -> Any:
    if isinstance(serialized, (bytes, str)):
        return to_numpy(serialized)
    values = to_numpy(serialized, "string")
    return values


def _value(parsed: Any) -> Any:
    if isinstance(parsed, tuple):
        if parsed[0] == "sparse":
            return SparseTensor(parsed[1], parsed[2], parsed[3])
        if not parsed[2]:
            return parsed[1]
        return RaggedTensor(parsed[1], parsed[2])
    return parsed


def _as_dict(features: Mapping[str, Any], parsed: list[Any]) -> dict[str, Any]:
    return {key: _value(p) for key, p in zip(features, parsed)}


def _traced(serialized: Any, features: Mapping[str, Any], batched: bool) -> dict[str, Any]:
    """Records the parse in the function being traced; outputs are traced components."""
    rank = serialized.shape.rank
    if serialized.dtype.name != "string" or rank != (1 if batched else 0):
        raise _trace.TraceUnsupported("parse_example needs a string batch (or scalar)")
    specs = _spec_tuples(features)
    batch = [serialized.shape[0]] if batched else []
    outputs: list[TensorSpec] = []
    for _key, kind, dtype, shape, _default, _allow in specs:
        if kind == "fixed_len":
            outputs.append(TensorSpec([*batch, *shape], dtype))
        elif kind == "var_len":
            rank_out = 2 if batched else 1
            outputs += [
                TensorSpec([None, rank_out], "int64"),
                TensorSpec([None], dtype),
                TensorSpec([rank_out], "int64"),
            ]
        elif kind == "ragged":
            outputs.append(TensorSpec([None], dtype))
            if batched:
                outputs.append(TensorSpec([None], "int64"))
        else:
            raise _trace.TraceUnsupported(f"{kind} features in parse_example")
    symbols = serialized.graph.add("parse_example", [serialized], (specs, batched), outputs)
    out, at = {}, 0
    for key, (_k, kind, *_rest) in zip(features, specs):
        if kind == "var_len":
            out[key] = SparseTensor(*symbols[at : at + 3])
            at += 3
        elif kind == "ragged" and batched:
            out[key] = RaggedTensor(symbols[at], [symbols[at + 1]])
            at += 2
        else:
            out[key] = symbols[at]
            at += 1
    return out


def parse_example(
    serialized: Any, features: Mapping[str, Any], example_names: Any = None, name: str | None = None
) -> dict[str, Any]:
    """Parses a batch of serialized ``tf.train.Example`` records (a 1-D array or list of
    bytes) into a dict of batched values: dense arrays, ``SparseTensor`` or ``RaggedTensor``."""
    if _trace.is_symbol(serialized):
        return _traced(serialized, features, batched=True)
    records = _records(serialized)
    if isinstance(records, bytes) or records.ndim != 1:
        raise InvalidArgumentError(
            "parse_example takes a 1-D batch of serialized records; use "
            "parse_single_example for one record"
        )
    return _as_dict(features, _lib.parse_example(records, _spec_tuples(features)))


def parse_single_example(
    serialized: Any, features: Mapping[str, Any], example_names: Any = None, name: str | None = None
) -> dict[str, Any]:
    """Parses one serialized ``tf.train.Example`` into a dict of values."""
    if _trace.is_symbol(serialized):
        return _traced(serialized, features, batched=False)
    records = _records(serialized)
    if not isinstance(records, bytes):
        if records.ndim != 0:
            raise InvalidArgumentError("parse_single_example takes one serialized record")
        records = records[()]
    return _as_dict(features, _lib.parse_example(records, _spec_tuples(features)))


def _split_sequence(
    context_features: Mapping[str, Any] | None, sequence_features: Mapping[str, Any] | None
) -> tuple[dict, dict]:
    return dict(context_features or {}), dict(sequence_features or {})


def parse_single_sequence_example(
    serialized: Any,
    context_features: Any = None,
    sequence_features: Any = None,
    example_name: Any = None,
    name: str | None = None,
) -> tuple[dict, dict]:
    """Parses one serialized ``tf.train.SequenceExample`` into ``(context, feature_lists)``."""
    context, sequence = _split_sequence(context_features, sequence_features)
    records = _records(serialized)
    if not isinstance(records, bytes):
        records = records[()]
    ctx, lists, _ = _lib.parse_sequence(records, _spec_tuples(context), _spec_tuples(sequence))
    return _as_dict(context, ctx), _as_dict(sequence, lists)


def parse_sequence_example(
    serialized: Any,
    context_features: Any = None,
    sequence_features: Any = None,
    example_names: Any = None,
    name: str | None = None,
) -> tuple[dict, dict, dict]:
    """Parses a batch of serialized ``tf.train.SequenceExample`` records into
    ``(context, feature_lists, lengths)``; ``lengths`` holds the step counts of the dense
    (FixedLenSequenceFeature) feature lists."""
    context, sequence = _split_sequence(context_features, sequence_features)
    records = _records(serialized)
    if isinstance(records, bytes) or records.ndim != 1:
        raise InvalidArgumentError("parse_sequence_example takes a 1-D batch of records")
    ctx, lists, lengths = _lib.parse_sequence(
        records, _spec_tuples(context), _spec_tuples(sequence)
    )
    dense_lengths = {
        k: n
        for (k, f), n in zip(sequence.items(), lengths)
        if isinstance(f, FixedLenSequenceFeature)
    }
    return _as_dict(context, ctx), _as_dict(sequence, lists), dense_lengths
