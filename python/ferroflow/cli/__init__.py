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
import sys
from collections.abc import Sequence

from .. import _lib
from ..errors import OpError
from ._convert import _PARQUET_CODECS, _TFRECORD_CODECS, _null_value, _run_convert, convert
from ._inspect import (
    EXIT_DAMAGED,
    _run_inspect,
    describe,
    example_spec,
    expand_paths,
    inspect_paths,
    merge_features,
    render_spec,
)
from ._progress import CliError, Progress

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

# Exit status on Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


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
