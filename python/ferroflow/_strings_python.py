"""``tf.strings.reduce_join``, ``format`` and ``unicode_split``. ``reduce_join`` and
``unicode_split`` of one string run natively; ``format`` formats in Python (in a traced
function, as a call made for each element), as does ``unicode_split`` of several strings,
which gives a ``RaggedTensor``."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _trace
from ._composite import RaggedTensor
from ._convert import to_numpy, utf8_items
from ._dtypes import string
from ._ops import _apply
from ._spec import TensorSpec
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
    sep = separator.encode() if isinstance(separator, str) else bytes(separator)
    axes = None if axis is None else [int(a) for a in np.atleast_1d(axis)]

    def spec(s: list[TensorSpec]) -> TensorSpec:
        rank = s[0].shape.rank
        if rank is None:
            return TensorSpec(None, "string")
        dims = s[0].shape.as_list()
        joined = set(range(rank)) if axes is None else {a % max(rank, 1) for a in axes}
        kept = [1 if d in joined else n for d, n in enumerate(dims) if keepdims or d not in joined]
        return TensorSpec(kept, "string")

    return _apply("reduce_join", [inputs], (axes, bool(keepdims), sep), spec)


def format(  # noqa: A001 - TensorFlow's name
    template: str, inputs: Any, placeholder: str = "{}", summarize: int = 3, name: Any = None
) -> Any:
    """``template`` with each ``placeholder`` replaced by the next of ``inputs`` as
    ``tf.print`` shows it."""
    from ._control import _text

    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(items):
        raise ValueError(
            f"format: {len(pieces) - 1} placeholders in the template, {len(items)} inputs"
        )

    def filled(values: list[Any]) -> bytes:
        out = pieces[0]
        for item, rest in zip(values, pieces[1:]):
            out += _text(item, summarize) + rest
        return out.encode()

    builder = _trace.current()
    if builder is None:
        return as_tensor(_eager(filled(items), "format"))
    traced = [i for i, x in enumerate(items) if _trace.is_symbol(x)]

    def call(*values: Any) -> list[Any]:
        given = list(items)
        for i, v in zip(traced, values):
            given[i] = v
        return [filled(given)]

    (text,) = _trace.external_call(builder, [items[i] for i in traced], call, [string])
    text.set_shape([])
    return text


def unicode_split(
    input: Any,  # noqa: A002
    input_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    name: str | None = None,
) -> Any:
    """Each string split into its characters, each a UTF-8 string: a vector for one
    string, a ``RaggedTensor`` for a vector of them (``tf.strings.unicode_split``)."""
    handling = {"replace": "replace", "ignore": "ignore", "strict": "strict"}[errors]
    if input_encoding.replace("-", "").upper() == "UTF8" and (
        np.ndim(input) == 0 if not _trace.is_symbol(input) else input.shape.rank == 0
    ):
        return _apply(
            "unicode_split",
            [input],
            (handling, int(replacement_char)),
            lambda s: TensorSpec([None], "string"),
        )
    values = _eager(input, "unicode_split")

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
