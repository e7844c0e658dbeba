"""The ``ferroflow`` command: look inside data files, and convert between formats.

``ferroflow inspect PATH...`` reports for each TFRecord, Parquet or Arrow IPC file its format,
compression, record or row count and schema. It checks every TFRecord length and data
checksum, naming the first damaged offset, and for files of ``tf.train.Example`` records it
prints a feature spec ready to paste after ``import ferroflow as ff``. ``--json`` prints the
same facts as JSON.

With ``--json`` the output is ``{"files": [...], "summary": {...}}``. Every file has ``path``
and ``size`` and ``format`` (``tfrecord``, ``parquet``, ``arrow_ipc``), or ``error`` and
``error_type`` when it cannot be read. TFRecord files add ``compression``, ``records``,
``record_bytes``, ``damage`` (None, or ``kind``, ``offset``, ``record_offset``, ``record``,
``message``), ``contents`` (``example``, ``sequence_example``, ``other``, ``none``),
``features`` and ``spec`` for Examples, ``not_example`` otherwise. Parquet files add ``rows``,
``row_groups``, ``row_group_rows``, ``codecs``, ``columns``, ``leaf_columns``; Arrow IPC files
``ipc_format``, ``rows``, ``record_batches``, ``batch_rows``, ``codecs``, ``columns``. The
summary counts damaged and unreadable files and holds the spec over all Example files.

``ferroflow convert IN... -o OUT`` turns TFRecord Example shards into one Parquet file, and
Parquet (or Arrow IPC) files into TFRecord Example shards.

The scanning runs in the Rust engine (``_lib.inspect_file``); this module only expands paths,
renders reports and drives the datasets that convert. ``python -m ferroflow`` runs it too.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TextIO

import numpy as np

from . import _lib
from .errors import OpError

__all__ = [
    "CliError",
    "Progress",
    "build_parser",
    "convert",
    "describe",
    "example_spec",
    "expand_paths",
    "inspect_paths",
    "main",
    "merge_features",
    "render_spec",
]

# Exit statuses besides 0 and argparse's 2: an input damaged, unreadable or refused; Ctrl-C.
EXIT_DAMAGED = 1
EXIT_INTERRUPTED = 130

_SPEC_DTYPES = {"int64": "ff.int64", "float": "ff.float32", "bytes": "ff.string"}


class CliError(Exception):
    """A problem with the inputs that stops a command; its message names the file."""


class Progress:
    """A one-line progress display on stderr. It draws only when the stream is a terminal
    (never into a pipe or a log), at most ten times a second, and erases itself when done."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self._stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self._drawn = 0
        self._last = 0.0

    def show(self, text: str) -> None:
        """Replaces the line with ``text`` unless the last drawing is under 0.1 s old."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        text = text[: max(10, shutil.get_terminal_size().columns - 1)]
        self._stream.write("\r" + text + " " * max(0, self._drawn - len(text)))
        self._stream.flush()
        self._drawn = len(text)

    def clear(self) -> None:
        """Erases the line, so that what is printed next starts clean."""
        if self._drawn:
            self._stream.write("\r" + " " * self._drawn + "\r")
            self._stream.flush()
            self._drawn = 0
        self._last = 0.0


def _bar(done: int, total: int, width: int = 24) -> str:
    fraction = min(1.0, done / total) if total else 0.0
    filled = int(fraction * width)
    return f"[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:3.0f}%"


def _human(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit} ({n:,} bytes)"


def expand_paths(patterns: Iterable[str]) -> tuple[list[str], list[str]]:
    """The files ``patterns`` name, in order: a pattern with glob characters (``*``, ``?``,
    ``[``; ``**`` spans directories) gives its matching files sorted. Also returns the
    patterns that matched no file."""
    files: list[str] = []
    unmatched: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            found = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
            files.extend(found)
            if not found:
                unmatched.append(pattern)
        else:
            files.append(pattern)
    return files, unmatched


def _value_kinds(kinds: Mapping[str, int]) -> list[str]:
    return [k for k in ("int64", "float", "bytes") if kinds.get(k, 0) > 0]


def _single_kind(kinds: Mapping[str, int]) -> str | None:
    present = _value_kinds(kinds)
    return present[0] if len(present) == 1 else None


def merge_features(reports: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The feature statistics of several Example files as if they were one: a feature stays
    fixed-length only when every file holds it in every record with the same length."""
    merged: dict[str, dict[str, Any]] = {}
    for report in reports:
        for f in report["features"]:
            m = merged.get(f["name"])
            if m is None:
                merged[f["name"]] = m = {
                    "name": f["name"],
                    "kinds": dict.fromkeys(f["kinds"], 0),
                    "records": 0,
                    "min_length": f["min_length"],
                    "max_length": f["max_length"],
                    "values": 0,
                    "shape": f["shape"],
                    "files": 0,
                }
            for k, n in f["kinds"].items():
                m["kinds"][k] += n
            m["records"] += f["records"]
            m["values"] += f["values"]
            m["min_length"] = min(m["min_length"], f["min_length"])
            m["max_length"] = max(m["max_length"], f["max_length"])
            if m["shape"] != f["shape"]:
                m["shape"] = None
            m["files"] += 1
    for m in merged.values():
        m["kind"] = _single_kind(m["kinds"])
        if m.pop("files") != len(reports):
            m["shape"] = None
    return list(merged.values())


def example_spec(
    features: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, tuple[str, list[int] | None]], dict[str, str]]:
    """From inspected feature statistics: each feature's ``(kind, shape)`` (shape ``[]`` or
    ``[n]`` for a fixed-length feature, None for a variable-length one), and the features no
    spec can read, with the reason."""
    spec: dict[str, tuple[str, list[int] | None]] = {}
    left_out: dict[str, str] = {}
    for f in features:
        kind = f.get("kind") or _single_kind(f["kinds"])
        if kind is not None:
            spec[f["name"]] = (kind, f["shape"])
            continue
        kinds = _value_kinds(f["kinds"])
        if kinds:
            counts = ", ".join(f"{k} in {f['kinds'][k]}" for k in kinds)
            left_out[f["name"]] = f"records disagree on its kind ({counts})"
        else:
            left_out[f["name"]] = "no record sets a value kind"
    return spec, left_out


def _spec_entry(kind: str, shape: list[int] | None) -> str:
    dtype = _SPEC_DTYPES[kind]
    if shape is None:
        return f"ff.io.VarLenFeature({dtype})"
    return f"ff.io.FixedLenFeature({list(shape)}, {dtype})"


def render_spec(
    spec: Mapping[str, tuple[str, list[int] | None]], left_out: Mapping[str, str] | None = None
) -> str:
    """The spec as Python source: a dict literal of ``ff.io`` feature specs, one per line,
    with a comment for each feature left out. ``eval`` it with ``ff`` bound to ferroflow."""
    if not spec and not left_out:
        return "{}"
    lines = ["{"]
    lines += [f"    {json.dumps(name)}: {_spec_entry(*entry)}," for name, entry in spec.items()]
    lines += [
        f"    # {json.dumps(name)}: left out, {why}" for name, why in (left_out or {}).items()
    ]
    lines.append("}")
    return "\n".join(lines)


def _with_spec(report: dict[str, Any]) -> dict[str, Any]:
    if report.get("contents") == "example":
        spec, left_out = example_spec(report["features"])
        report["spec"] = render_spec(spec, left_out)
    return report


def inspect_paths(paths: Sequence[str], progress: Progress | None = None) -> list[dict[str, Any]]:
    """Inspects each file, in order. A file that cannot be read gives ``{"path", "error",
    "error_type"}`` in its place; a damaged TFRecord file is a report with its ``damage``.
    Files of Examples get a ``spec`` (Python source, see ``render_spec``)."""
    reports = []
    for i, path in enumerate(paths):
        prefix = f"[{i + 1}/{len(paths)}] " if len(paths) > 1 else ""
        name = os.path.basename(path)

        def report_progress(
            done: int, total: int, records: int, label: str = prefix + name
        ) -> None:
            assert progress is not None
            progress.show(f"{label} {_bar(done, total)} {records:,} records")

        callback = report_progress if progress is not None and progress.enabled else None
        try:
            report = _with_spec(_lib.inspect_file(path, callback))
        except (OpError, OSError, ValueError) as e:
            report = {"path": path, "error": str(e), "error_type": type(e).__name__}
        finally:
            if progress is not None:
                progress.clear()
        reports.append(report)
    return reports


def _rows_of(sizes: Sequence[int], what: str) -> str:
    if not sizes:
        return f"no {what}s"
    n = len(sizes)
    plural = what if n == 1 else what + "es" if what.endswith("ch") else what + "s"
    if n == 1:
        return f"1 {plural}"
    if len(set(sizes[:-1])) == 1:
        shape = f"of {sizes[0]:,} rows" + (
            "" if sizes[-1] == sizes[0] else f", the last {sizes[-1]:,}"
        )
    else:
        shape = f"of {min(sizes):,} to {max(sizes):,} rows"
    return f"{n:,} {plural} {shape}"


def _describe_columns(columns: Sequence[Mapping[str, Any]]) -> list[str]:
    width = max((len(c["name"]) for c in columns), default=0)
    lines = [f"  columns      {len(columns)}"]
    for c in columns:
        nullable = "" if c["nullable"] else "  not null"
        lines.append(f"    {c['name']:<{width}}  {c['type']}{nullable}")
    return lines


def _describe_tfrecord(r: Mapping[str, Any]) -> list[str]:
    compression = {"NONE": "uncompressed"}.get(r["compression"], r["compression"] + " compressed")
    lines = [f"  format       TFRecord, {compression}, {_human(r['size'])}"]
    damage = r["damage"]
    where = "" if r["compression"] == "NONE" else " of the decompressed stream"
    if damage is None:
        lines.append(f"  records      {r['records']:,}, every length and data CRC valid")
    else:
        what = {
            "truncated": "truncated record",
            "length_crc": "length CRC mismatch",
            "data_crc": "data CRC mismatch",
            "unreadable": "unreadable data",
        }[damage["kind"]]
        lines.append(
            f"  DAMAGED      {what} at offset {damage['offset']:,}{where} "
            f"(record {damage['record']:,}, starting at offset {damage['record_offset']:,})"
        )
        lines.append(f"  error        {damage['message']}")
        lines.append(f"  records      {r['records']:,} intact before the damage")
    sizes = r["record_bytes"]
    if r["records"]:
        lines.append(
            f"  record size  {sizes['min']:,} to {sizes['max']:,} bytes, {sizes['total']:,} in all"
        )
    contents = r["contents"]
    if contents == "example":
        lines += _describe_features(r["features"], r["records"])
        lines.append("  spec         (paste after `import ferroflow as ff`)")
        lines.append(r["spec"])
    elif contents == "sequence_example":
        lines.append("  contents     tf.train.SequenceExample records (no Example spec)")
    elif contents == "other":
        why = r["not_example"]
        lines.append(
            f"  contents     not tf.train.Example: record {why['record']:,} at offset "
            f"{why['offset']:,}: {why['reason']}"
        )
    return lines


def _describe_features(features: Sequence[Mapping[str, Any]], records: int) -> list[str]:
    lines = [f"  contents     tf.train.Example, {len(features)} features"]
    width = max(len(f["name"]) for f in features)
    for f in features:
        kind = f["kind"] or "/".join(_value_kinds(f["kinds"])) or "unset"
        lo, hi = f["min_length"], f["max_length"]
        length = f"{lo} value{'s' * (lo != 1)}" if lo == hi else f"{lo} to {hi} values"
        where = "every record" if f["records"] == records else f"{f['records']:,} of {records:,}"
        lines.append(f"    {f['name']:<{width}}  {kind:<6} {length:<16} {where}")
    return lines


def _describe_parquet(r: Mapping[str, Any]) -> list[str]:
    codecs = ", ".join(r["codecs"]) or "no column chunks"
    lines = [f"  format       Parquet, {codecs}, {_human(r['size'])}"]
    lines.append(f"  rows         {r['rows']:,} in {_rows_of(r['row_group_rows'], 'row group')}")
    if len(r["codecs"]) > 1:
        for leaf in r["leaf_columns"]:
            lines.append(f"    {leaf['path']}: {', '.join(leaf['codecs'])}")
    if r.get("created_by"):
        lines.append(f"  written by   {r['created_by']}")
    return lines + _describe_columns(r["columns"])


def _describe_ipc(r: Mapping[str, Any]) -> list[str]:
    codecs = ", ".join(r["codecs"]) or "uncompressed"
    lines = [f"  format       Arrow IPC {r['ipc_format']}, {codecs}, {_human(r['size'])}"]
    batches = _rows_of(r["batch_rows"], "record batch")
    if r["dictionary_batches"]:
        n = r["dictionary_batches"]
        batches += f" (and {n:,} dictionary batch{'es' * (n != 1)})"
    lines.append(f"  rows         {r['rows']:,} in {batches}")
    return lines + _describe_columns(r["columns"])


def describe(report: Mapping[str, Any]) -> str:
    """A report as the text ``ferroflow inspect`` prints for it."""
    lines = [str(report["path"])]
    if "error" in report:
        lines.append(f"  ERROR        {report['error_type']}: {report['error']}")
    elif report["format"] == "tfrecord":
        lines += _describe_tfrecord(report)
    elif report["format"] == "parquet":
        lines += _describe_parquet(report)
    else:
        lines += _describe_ipc(report)
    return "\n".join(lines)


def _combined_spec(reports: Sequence[Mapping[str, Any]]) -> str | None:
    examples = [r for r in reports if r.get("contents") == "example"]
    if len(examples) < 2:
        return None
    return render_spec(*example_spec(merge_features(examples)))


def _run_inspect(args: argparse.Namespace, out: TextIO) -> int:
    paths, unmatched = expand_paths(args.paths)
    progress = Progress(enabled=False if args.no_progress else None)
    reports = inspect_paths(paths, progress)
    for pattern in unmatched:
        reports.append({"path": pattern, "error": "no file matches", "error_type": "NotFound"})
    combined = _combined_spec(reports)
    damaged = sum(1 for r in reports if r.get("damage") is not None)
    errors = sum(1 for r in reports if "error" in r)
    if args.json:
        summary = {"files": len(reports), "damaged": damaged, "errors": errors, "spec": combined}
        json.dump({"files": reports, "summary": summary}, out, indent=2)
        out.write("\n")
    else:
        out.write("\n\n".join(describe(r) for r in reports) + "\n")
        if len(reports) > 1:
            records = sum(r.get("records", 0) for r in reports)
            rows = sum(r.get("rows", 0) for r in reports)
            counts = [f"{records:,} records"] if records else []
            counts += [f"{rows:,} rows"] if rows else []
            out.write(
                f"\n{len(reports)} files: {', '.join(counts) or 'empty'}; "
                f"{damaged} damaged, {errors} unreadable\n"
            )
            if combined is not None:
                out.write("spec over all Example files:\n" + combined + "\n")
    return EXIT_DAMAGED if damaged or errors else 0


# --- convert -----------------------------------------------------------------------------

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
    """``ff.io.write_parquet``, keeping hold of the pass so that a thread can read how many
    rows went by while the write runs (with the GIL released) on this one."""
    from . import _nest
    from .data._arrow import column_paths
    from .data._structure import varies_in_first_dim
    from .data.dataset import Iterator

    structure = dataset.element_spec
    paths = column_paths(structure)
    variable = [varies_in_first_dim(spec) for spec in _nest.flatten(structure)]
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
        return int(
            iterator._native.write_parquet(path, paths, variable, compression, row_group_size)
        )
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
        if f["name"] in left_out and _value_kinds(f["kinds"]):
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
        lambda rows: progress.show(f"writing {os.path.basename(output)} {_bar(rows, total)}"),
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
                progress.show(f"writing {os.path.basename(output)} {_bar(written, total)}")
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


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser: the ``inspect`` and ``convert`` commands."""
    parser = argparse.ArgumentParser(
        prog="ferroflow",
        description="Inspect TFRecord, Parquet and Arrow IPC files, and convert between them.",
    )
    parser.add_argument("--version", action="version", version=f"ferroflow {_lib.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    inspect = commands.add_parser(
        "inspect",
        help="report format, counts and schema; check every TFRecord CRC",
        description="Report each file's format, compression, record or row counts and schema. "
        "Every TFRecord length and data CRC is checked; for tf.train.Example records a feature "
        "spec is printed, ready to paste. Exits with 1 when a file is damaged or unreadable.",
    )
    inspect.add_argument("paths", nargs="+", metavar="PATH", help="files or glob patterns")
    inspect.add_argument("--json", action="store_true", help="print the facts as JSON")
    inspect.add_argument("--no-progress", action="store_true", help="never draw a progress bar")

    conv = commands.add_parser(
        "convert",
        help="TFRecord Examples to Parquet, or Parquet/Arrow IPC to TFRecord Examples",
        description="Convert TFRecord tf.train.Example shards into one Parquet file (the spec "
        "inferred as inspect infers it), or Parquet or Arrow IPC files into TFRecord Example "
        "shards.",
    )
    conv.add_argument("inputs", nargs="+", metavar="IN", help="input files or glob patterns")
    conv.add_argument("-o", "--output", required=True, metavar="OUT", help="the output file")
    conv.add_argument(
        "--to", choices=("parquet", "tfrecord"), help="output format (default: the other one)"
    )
    conv.add_argument(
        "--compression",
        metavar="CODEC",
        help=f"Parquet: {'/'.join(_PARQUET_CODECS)} (default snappy); "
        f"TFRecord: {'/'.join(_TFRECORD_CODECS)} (default from OUT's extension)",
    )
    conv.add_argument(
        "--row-group-size",
        type=_positive,
        default=65536,
        metavar="N",
        help="Parquet rows per row group",
    )
    conv.add_argument(
        "--num-shards",
        type=_positive,
        default=1,
        metavar="N",
        help="TFRecord output files (OUT-00000-of-0000N...)",
    )
    conv.add_argument(
        "--null-value",
        type=_null_value,
        action="append",
        metavar="COLUMN=VALUE",
        help="what a column's nulls become (a JSON value, else text); repeatable",
    )
    conv.add_argument("--no-progress", action="store_true", help="never draw a progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status:
    0, 1 when an input is damaged or unreadable, 2 for a bad command line, 130 when
    interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.command == "inspect":
            return _run_inspect(args, sys.stdout)
        return _run_convert(args, sys.stdout)
    except CliError as e:
        print(f"ferroflow {args.command}: error: {e}", file=sys.stderr)
        return EXIT_DAMAGED
    except (OpError, OSError, ValueError) as e:
        print(f"ferroflow {args.command}: error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_DAMAGED
    except KeyboardInterrupt:
        print(f"\nferroflow {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
