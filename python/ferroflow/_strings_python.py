"""String functions computed in Python: ``tf.strings.reduce_join``, ``format`` and
``unicode_split``. Eager only; a traced function that calls one runs as Python."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _trace
from ._composite import RaggedTensor
from ._convert import to_numpy, utf8_items
from ._tensor import as_tensor


def _eager(value: Any, what: str) -> np.ndarray:
    if _trace.is_symbol(value):
        raise _trace.TraceUnsupported(f"{what} runs as Python")
    converted = to_numpy(value, "string")
    if isinstance(converted, bytes):
        out = np.empty((), dtype=object)
        out[()] = converted
        return out
    return utf8_items(np.array(converted, dtype=object))


def reduce_join(
    inputs: Any,
    axis: Any = None,
    keepdims: bool = False,
    separator: str | bytes = "",
    name: str | None = None,
) -> Any:
    """The strings along ``axis`` (all of them when None) joined with ``separator``."""
    values = _eager(inputs, "reduce_join")
    sep = separator.encode() if isinstance(separator, str) else bytes(separator)
    axes = tuple(range(values.ndim)) if axis is None else tuple(np.atleast_1d(axis).tolist())
    axes = tuple(a % values.ndim for a in axes)
    kept = [d for d in range(values.ndim) if d not in axes]
    moved = np.transpose(values, kept + list(axes))
    rows = moved.reshape(*[values.shape[d] for d in kept], -1)
    joined = np.empty(rows.shape[:-1], dtype=object)
    for index in np.ndindex(joined.shape):
        joined[index] = sep.join(rows[index])
    if keepdims:
        joined = joined.reshape([1 if d in axes else n for d, n in enumerate(values.shape)])
    return as_tensor(joined)


def format(  # noqa: A001 - TensorFlow's name
    template: str, inputs: Any, placeholder: str = "{}", summarize: int = 3, name: Any = None
) -> Any:
    """``template`` with each ``placeholder`` replaced by the next of ``inputs`` as
    ``tf.print`` shows it."""
    from ._control import _text

    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if any(_trace.is_symbol(x) for x in items):
        raise _trace.TraceUnsupported("strings.format runs as Python")
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(items):
        raise ValueError(
            f"format: {len(pieces) - 1} placeholders in the template, {len(items)} inputs"
        )
    out = pieces[0]
    for item, rest in zip(items, pieces[1:]):
        out += _text(item, summarize) + rest
    return as_tensor(_eager(out.encode(), "format"))


def unicode_split(
    input: Any,  # noqa: A002
    input_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    name: str | None = None,
) -> Any:
    """Each string split into its characters, each a UTF-8 string: a vector for one
    string, a ``RaggedTensor`` for a vector of them (``tf.strings.unicode_split``)."""
    values = _eager(input, "unicode_split")
    handling = {"replace": "replace", "ignore": "ignore", "strict": "strict"}[errors]

    def characters(item: bytes) -> list[bytes]:
        text = item.decode(input_encoding, handling)
        if handling == "replace":
            text = text.replace("\ufffd", chr(replacement_char))
        return [c.encode("utf-8") for c in text]

    if values.ndim == 0:
        return as_tensor(np.asarray(characters(values[()]) or [], dtype=object).reshape(-1))
    rows = [characters(v) for v in values.reshape(-1)]
    flat = np.asarray([c for row in rows for c in row], dtype=object).reshape(-1)
    splits = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    return RaggedTensor(flat, [splits])


__all__ = ["format", "reduce_join", "unicode_split"]
