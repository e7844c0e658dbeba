"""``ferroflow inspect``: reports of what data files hold, as text or JSON, and the
``tf.train.Example`` spec inferred from them."""

from __future__ import annotations

import argparse
import glob
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from .. import _lib
from ..errors import OpError
from ._progress import Progress, bar, human

EXIT_DAMAGED = 1

_SPEC_DTYPES = {"int64": "ff.int64", "float": "ff.float32", "bytes": "ff.string"}


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


def value_kinds(kinds: Mapping[str, int]) -> list[str]:
    return [k for k in ("int64", "float", "bytes") if kinds.get(k, 0) > 0]


def _single_kind(kinds: Mapping[str, int]) -> str | None:
    present = value_kinds(kinds)
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
        kinds = value_kinds(f["kinds"])
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
            progress.show(f"{label} {bar(done, total)} {records:,} records")

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
    lines = [f"  format       TFRecord, {compression}, {human(r['size'])}"]
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
        kind = f["kind"] or "/".join(value_kinds(f["kinds"])) or "unset"
        lo, hi = f["min_length"], f["max_length"]
        length = f"{lo} value{'s' * (lo != 1)}" if lo == hi else f"{lo} to {hi} values"
        where = "every record" if f["records"] == records else f"{f['records']:,} of {records:,}"
        lines.append(f"    {f['name']:<{width}}  {kind:<6} {length:<16} {where}")
    return lines


def _describe_parquet(r: Mapping[str, Any]) -> list[str]:
    codecs = ", ".join(r["codecs"]) or "no column chunks"
    lines = [f"  format       Parquet, {codecs}, {human(r['size'])}"]
    lines.append(f"  rows         {r['rows']:,} in {_rows_of(r['row_group_rows'], 'row group')}")
    if len(r["codecs"]) > 1:
        for leaf in r["leaf_columns"]:
            lines.append(f"    {leaf['path']}: {', '.join(leaf['codecs'])}")
    if r.get("created_by"):
        lines.append(f"  written by   {r['created_by']}")
    return lines + _describe_columns(r["columns"])


def _describe_ipc(r: Mapping[str, Any]) -> list[str]:
    codecs = ", ".join(r["codecs"]) or "uncompressed"
    lines = [f"  format       Arrow IPC {r['ipc_format']}, {codecs}, {human(r['size'])}"]
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
        reports.append({"path": pattern, "error": "no file matches", "error_type": "NotFoundError"})
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
