"""``ferroflow convert``: TFRecord Example shards to Parquet, and Parquet or Arrow IPC
files to TFRecord Example shards."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

import numpy as np

from .. import _lib
from ._inspect import example_spec, expand_paths, inspect_paths, merge_features, value_kinds
from ._progress import CliError, Progress, bar

_PARQUET_CODECS = ("snappy", "zstd", "gzip", "lz4", "none")
_TFRECORD_CODECS = ("none", "gzip", "zlib")


def _shard_names(output: str, shards: int) -> list[str]:
    """``out.tfrecord`` as ``out-00000-of-00004.tfrecord`` ..., TensorFlow's shard naming."""
    if shards == 1:
        return [output]
    head, name = os.path.split(output)
    stem, dot, suffix = name.partition(".")
    return [
        os.path.join(head, f"{stem}-{i:05d}-of-{shards:05d}{dot}{suffix}") for i in range(shards)
    ]


def _write_parquet(
    dataset: Any,
    path: str,
    row_group_size: int,
    compression: str | None,
    on_rows: Callable[[int], None],
) -> int:
    """``ff.io.write_parquet``, with a thread reading how many rows the pass has produced
    while the write runs (with the GIL released) on this one."""
    from ..data.dataset import Iterator
    from ..io._parquet import write_rows

    iterator = Iterator(dataset)
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.1):
            stats = iterator.stats()
            if stats:
                on_rows(int(stats[0]["elements"]))

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        return write_rows(iterator, path, row_group_size, compression)
    finally:
        done.set()
        watcher.join()


def _checked_inputs(reports: Sequence[Mapping[str, Any]]) -> None:
    for r in reports:
        if "error" in r:
            raise CliError(f"{r['path']}: {r['error']}")
        if r.get("damage") is not None:
            d = r["damage"]
            raise CliError(f"{r['path']} is damaged at offset {d['offset']:,}: {d['message']}")


def _tfrecord_to_parquet(
    reports: Sequence[Mapping[str, Any]],
    output: str,
    compression: str | None,
    row_group_size: int,
    progress: Progress,
    warn: Callable[[str], None],
) -> int:
    import ferroflow as ff

    for r in reports:
        if r["contents"] == "other":
            why = r["not_example"]
            raise CliError(
                f"{r['path']}: record {why['record']:,} at offset {why['offset']:,} is not a "
                f"tf.train.Example ({why['reason']}); only Example records convert to Parquet"
            )
        if r["contents"] == "sequence_example":
            raise CliError(f"{r['path']}: SequenceExample records do not convert to Parquet")
    examples = [r for r in reports if r["contents"] == "example"]
    if not examples:
        raise CliError("the inputs hold no records")
    merged = merge_features(examples)
    spec, left_out = example_spec(merged)
    for f in merged:
        if f["name"] in left_out and value_kinds(f["kinds"]):
            # Dropping its values would not be a faithful conversion.
            raise CliError(f"feature {f['name']!r} cannot be converted: {left_out[f['name']]}")
    for name, why in left_out.items():
        warn(f"feature {name!r} holds no values and is left out: {why}")
    dtypes = {"int64": ff.int64, "float": ff.float32, "bytes": ff.string}
    # Fixed-length features become plain or fixed-size list columns; variable-length ones
    # are read as their plain values (a RaggedFeature of one record), which become list
    # columns.
    features = {
        name: ff.io.RaggedFeature(dtypes[kind])
        if shape is None
        else ff.io.FixedLenFeature(shape, dtypes[kind])
        for name, (kind, shape) in spec.items()
    }
    dataset = None
    for codec, group in itertools.groupby(reports, key=lambda r: r["compression"]):
        files = ff.data.TFRecordDataset([r["path"] for r in group], compression_type=codec)
        dataset = files if dataset is None else dataset.concatenate(files)
    assert dataset is not None
    # Parsed on worker threads; the output keeps the records' order.
    parsed = dataset.map(
        lambda record: ff.io.parse_single_example(record, features),
        num_parallel_calls=ff.data.AUTOTUNE,
        deterministic=True,
    )
    total = sum(r["records"] for r in reports)
    if not progress.enabled:
        return int(ff.io.write_parquet(parsed, output, row_group_size, compression))
    return _write_parquet(
        parsed,
        output,
        row_group_size,
        compression,
        lambda rows: progress.show(f"writing {os.path.basename(output)} {bar(rows, total)}"),
    )


def _columns(structure: Any, prefix: str = "") -> list[tuple[str, list[str], Any]]:
    """(feature name, key path, spec) per column; a struct's fields are named ``a.b``."""
    out = []
    for key, value in structure.items():
        if isinstance(value, Mapping):
            out += [(n, [key, *p], s) for n, p, s in _columns(value, f"{prefix}{key}.")]
        else:
            out.append((prefix + key, [key], value))
    return out


def _column_plan(structure: Any, warn: Callable[[str], None]) -> list[tuple[str, list[str], int]]:
    """(feature name, key path, Example list kind) per column: 1 bytes, 2 float, 3 int64."""
    plan = []
    for name, path, spec in _columns(structure):
        dtype = spec.dtype
        if dtype.name == "string":
            kind = 1
        elif dtype.is_floating:
            kind = 2
            if dtype.name == "float64":
                warn(f"column {name!r} is float64; Example floats are 32-bit, so it is rounded")
        elif dtype.is_integer or dtype.is_bool:
            kind = 3
            if dtype.name == "uint64":
                warn(f"column {name!r} is uint64; values past 2**63 wrap in an Example's int64")
        else:
            raise CliError(f"column {name!r} of type {dtype.name} has no Example list kind")
        if spec.shape.rank is not None and spec.shape.rank > 1:
            warn(f"column {name!r} of shape {spec.shape} is flattened into one list")
        plan.append((name, path, kind))
    return plan


def _feature_values(value: Any, kind: int) -> np.ndarray:
    if kind == 1:
        items = [value] if isinstance(value, bytes) else list(np.asarray(value).reshape(-1))
        return np.array(items, dtype=object) if items else np.empty(0, dtype=object)
    target = np.float32 if kind == 2 else np.int64
    return np.asarray(value).reshape(-1).astype(target, copy=False)


def _columnar_to_tfrecord(
    reports: Sequence[Mapping[str, Any]],
    output: str,
    compression: str,
    shards: int,
    null_values: Mapping[str, Any],
    progress: Progress,
    warn: Callable[[str], None],
) -> int:
    import ferroflow as ff

    formats = {r["format"] for r in reports}
    if len(formats) > 1:
        raise CliError("Parquet and Arrow IPC inputs cannot be mixed in one conversion")
    reader = ff.data.ParquetDataset if formats == {"parquet"} else ff.data.ArrowIPCDataset
    dataset = reader(
        [r["path"] for r in reports],
        null_values=dict(null_values) or None,
        num_parallel_reads=ff.data.AUTOTUNE,
    )
    plan = _column_plan(dataset.element_spec, warn)
    total = sum(r["rows"] for r in reports)
    options = ff.io.TFRecordOptions("" if compression == "none" else compression.upper())
    writers = [ff.io.TFRecordWriter(name, options) for name in _shard_names(output, shards)]
    written = 0
    try:
        for element in dataset:
            features = []
            for name, path, kind in plan:
                value = element
                for key in path:
                    value = value[key]
                features.append((name, kind, _feature_values(value, kind)))
            # Contiguous rows per shard keep the rows' order across the shard files.
            shard = written * shards // total if total else 0
            writers[min(shard, shards - 1)].write(_lib.encode_example(features))
            written += 1
            if progress.enabled:
                progress.show(f"writing {os.path.basename(output)} {bar(written, total)}")
    finally:
        for w in writers:
            w.close()
    return written


def convert(
    inputs: Sequence[str],
    output: str,
    to: str | None = None,
    compression: str | None = None,
    row_group_size: int = 65536,
    num_shards: int = 1,
    null_values: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Converts TFRecord Example files to one Parquet file (``to="parquet"``), or Parquet or
    Arrow IPC files to TFRecord Example files (``to="tfrecord"``, ``num_shards`` of them);
    returns the rows written. ``to`` defaults to the other format of the inputs'.

    The Example spec is inferred as ``inspect`` infers it, over all inputs: scalar features
    become plain columns, fixed-length ones fixed-size lists, variable-length ones lists, and
    bytes become binary; back the other way each column becomes a feature of its values.
    ``compression``: for Parquet snappy (default), zstd, gzip, lz4 or none; for TFRecord
    none (default, or GZIP/ZLIB from an output ending in .gz/.zlib), gzip or zlib.
    ``null_values`` maps a column to the value its nulls become (Examples have no nulls).
    """
    progress = progress if progress is not None else Progress(enabled=False)
    warn = warn if warn is not None else (lambda message: None)
    if to not in (None, "parquet", "tfrecord"):
        raise CliError(f"to must be 'parquet' or 'tfrecord', got {to!r}")
    reports = inspect_paths(inputs, progress)
    _checked_inputs(reports)
    if any(os.path.abspath(output) == os.path.abspath(r["path"]) for r in reports):
        raise CliError(f"{output} is also an input")
    families = {"tfrecord" if r["format"] == "tfrecord" else "columnar" for r in reports}
    if len(families) > 1:
        raise CliError("TFRecord and Parquet/Arrow inputs cannot be mixed in one conversion")
    source = families.pop()
    target = to or ("parquet" if source == "tfrecord" else "tfrecord")
    if (target == "tfrecord") != (source == "columnar"):
        raise CliError(
            f"converting {'TFRecord' if source == 'tfrecord' else 'Parquet/Arrow'} input to "
            f"{target} is not supported: TFRecord converts to Parquet and back"
        )
    codec = None if compression is None else compression.lower()
    try:
        if target == "parquet":
            if codec is not None and codec not in _PARQUET_CODECS:
                raise CliError(f"Parquet compression must be one of {', '.join(_PARQUET_CODECS)}")
            if num_shards != 1:
                raise CliError("--num-shards applies to TFRecord output only")
            parquet_codec = "snappy" if codec is None else None if codec == "none" else codec
            return _tfrecord_to_parquet(
                reports, output, parquet_codec, row_group_size, progress, warn
            )
        if codec is None:
            codec = {".gz": "gzip", ".zlib": "zlib"}.get(os.path.splitext(output)[1], "none")
        if codec not in _TFRECORD_CODECS:
            raise CliError(f"TFRecord compression must be one of {', '.join(_TFRECORD_CODECS)}")
        return _columnar_to_tfrecord(
            reports, output, codec, num_shards, null_values or {}, progress, warn
        )
    finally:
        progress.clear()


def _null_value(text: str) -> tuple[str, Any]:
    name, eq, value = text.partition("=")
    if not eq or not name:
        raise argparse.ArgumentTypeError(f"expected COLUMN=VALUE, got {text!r}")
    try:
        parsed: Any = json.loads(value)
    except json.JSONDecodeError:
        parsed = value.encode()
    if isinstance(parsed, str):
        parsed = parsed.encode()
    return name, parsed


def _run_convert(args: argparse.Namespace, out: TextIO) -> int:
    inputs, unmatched = expand_paths(args.inputs)
    if unmatched:
        raise CliError(f"no file matches {', '.join(unmatched)}")
    progress = Progress(enabled=False if args.no_progress else None)
    started = time.monotonic()
    rows = convert(
        inputs,
        args.output,
        to=args.to,
        compression=args.compression,
        row_group_size=args.row_group_size,
        num_shards=args.num_shards,
        null_values=dict(args.null_value or []),
        progress=progress,
        warn=lambda message: print(f"ferroflow convert: warning: {message}", file=sys.stderr),
    )
    outputs = _shard_names(args.output, args.num_shards) if args.num_shards > 1 else [args.output]
    seconds = time.monotonic() - started
    shown = outputs[0] if len(outputs) == 1 else f"{outputs[0]} ... ({len(outputs)} files)"
    out.write(f"wrote {rows:,} rows to {shown} in {seconds:.1f} s\n")
    return 0
