"""Text parsing operations: ``tf.io.decode_csv`` and the ``tf.strings`` regular expression
ops. Each runs one Rust kernel, eagerly or inside a traced map function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import _trace
from ._convert import dtype_of, shape_of, to_numpy
from ._dtypes import bool_, int64, string
from ._ops import _apply, apply_multi
from ._spec import TensorSpec
from .errors import InvalidArgumentError

_CSV_TYPES = ("float32", "float64", "int32", "int64", "string")


def _text(value: Any, what: str) -> bytes:
    """A constant string argument as bytes."""
    if _trace.is_symbol(value):
        raise _trace.TraceUnsupported(f"a {what} computed from the element")
    text = to_numpy(value, string)
    if not isinstance(text, bytes):
        raise TypeError(f"{what} must be one string")
    return text


def _csv_default(value: Any, field: int) -> Any:
    """One column's default: a value of at most one element (none: the column is required)."""
    if _trace.is_symbol(value):
        return value
    default = to_numpy(value)
    if dtype_of(default).name not in _CSV_TYPES:
        raise InvalidArgumentError(
            f"decode_csv: record_defaults[{field}] is {dtype_of(default).name}; defaults must "
            f"be float32, float64, int32, int64 or string"
        )
    if len(shape_of(default)) > 1:
        raise ValueError(f"decode_csv: record_defaults[{field}] must have rank 0 or 1")
    return default


def decode_csv(
    records: Any,
    record_defaults: Sequence[Any],
    field_delim: str = ",",
    use_quote_delim: bool = True,
    name: str | None = None,
    na_value: str = "",
    select_cols: Sequence[int] | None = None,
) -> list[Any]:
    """Each string of ``records`` parsed as one CSV record (``tf.io.decode_csv``): a list with
    one tensor per column, each of ``records``' shape. ``record_defaults`` gives each column's
    type and the value of an empty (or ``na_value``) field: ``[0.0]`` float32, ``[0]`` int32,
    ``[""]`` string, an empty array of a dtype for a column that must be present. Fields may
    be quoted with ``"`` unless ``use_quote_delim`` is False; ``select_cols`` (increasing
    column indices) parses only those columns. Works on a batch of lines as on one."""
    return read_csv(records, record_defaults, field_delim, use_quote_delim, na_value, select_cols)


def read_csv(
    records: Any,
    record_defaults: Sequence[Any],
    field_delim: str = ",",
    use_quote_delim: bool = True,
    na_value: str = "",
    select_cols: Sequence[int] | None = None,
    empty_record_is_field: bool = False,
    where: tuple[Any, Any] | None = None,
) -> list[Any]:
    """``decode_csv``; with ``empty_record_is_field`` an empty record is one empty field, as
    ``CsvDataset`` reads a blank line, not a record of no fields; ``where`` (a file name
    and a line) is named in parse errors."""
    cols = None
    if select_cols is not None:
        cols = [int(c) for c in select_cols]
        if any(a >= b for a, b in zip(cols, cols[1:])):
            raise ValueError("select_cols is not strictly increasing.")
        if cols and cols[0] < 0:
            raise ValueError("select_cols contains negative values.")
        if len(cols) != len(record_defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
    defaults = [_csv_default(d, i) for i, d in enumerate(record_defaults)]
    if not defaults:
        raise ValueError("decode_csv: record_defaults must name at least one column")
    delimiter, na = _text(field_delim, "field_delim"), _text(na_value, "na_value")
    located = where is not None
    attr = (delimiter, bool(use_quote_delim), na, cols, bool(empty_record_is_field), located)

    def specs(s: list[TensorSpec]) -> list[TensorSpec]:
        return [TensorSpec(s[0].shape, d.dtype) for d in s[1 : 1 + len(defaults)]]

    inputs = [records, *defaults, *(where or ())]
    return apply_multi("decode_csv", inputs, attr, specs, len(defaults))


def _pattern(pattern: Any) -> str:
    return _text(pattern, "pattern").decode("utf-8")


def regex_full_match(input: Any, pattern: Any, name: str | None = None) -> Any:  # noqa: A002
    """Whether each string matches the RE2 ``pattern`` entirely
    (``tf.strings.regex_full_match``); ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII as in RE2."""
    return _apply(
        "regex_full_match", [input], _pattern(pattern), lambda s: TensorSpec(s[0].shape, bool_)
    )


def regex_replace(
    input: Any,  # noqa: A002
    pattern: Any,
    rewrite: Any,
    replace_global: bool = True,
    name: str | None = None,
) -> Any:
    """Each string with the matches of the RE2 ``pattern`` replaced by ``rewrite``
    (``tf.strings.regex_replace``): every match, or only the first unless
    ``replace_global``. In ``rewrite``, ``\\1``..``\\9`` insert a group and ``\\0`` the match.
    Differs on purpose: a rewrite with another escape, or naming a group the pattern lacks,
    raises ``InvalidArgumentError`` where TensorFlow leaves the string unreplaced."""
    attr = (_pattern(pattern), _text(rewrite, "rewrite"), bool(replace_global))
    return _apply("regex_replace", [input], attr, lambda s: TensorSpec(s[0].shape, string))


def to_hash_bucket_fast(input: Any, num_buckets: int, name: str | None = None) -> Any:  # noqa: A002
    """Each string's bucket in ``[0, num_buckets)`` by FarmHash Fingerprint64, as
    ``tf.strings.to_hash_bucket_fast`` gives it (int64; the same string always lands in the
    same bucket, here and in TensorFlow)."""
    if int(num_buckets) < 1:
        raise ValueError("num_buckets must be >= 1")
    return _apply("hash_bucket", [input], int(num_buckets), lambda s: TensorSpec(s[0].shape, int64))
