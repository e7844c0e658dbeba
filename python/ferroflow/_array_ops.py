"""Operations that pick, move and generate values (``tf.gather``, ``tf.where``,
``tf.squeeze``, ``tf.tile``, ``tf.pad``, ``tf.sort``, ``tf.range`` ...): each is one native
kernel call, eagerly or traced, except the few composed of slicing (``split``,
``unstack``, ``slice``)."""

from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any

import numpy as np

from . import _trace
from ._convert import dtype_of, to_numpy
from ._dtypes import as_dtype, bool_, int32, int64
from ._math import _beside
from ._ops import _apply, _dims, _holds_symbols, _stack_int64, apply_multi, cast
from ._spec import TensorShape, TensorSpec
from ._tensor import as_tensor

newaxis = None


def _static_ints(value: Any, what: str) -> list[int]:
    if _trace.is_symbol(value) or (
        isinstance(value, (list, tuple)) and any(_trace.is_symbol(v) for v in value)
    ):
        raise _trace.TraceUnsupported(f"{what} computed from the element")
    return [int(v) for v in np.asarray(value).reshape(-1)]


def _rank(x: Any) -> int | None:
    return x.shape.rank if _trace.is_symbol(x) else np.ndim(to_numpy(x))


def _axis_index(axis: int, rank: int | None) -> int | None:
    return None if rank is None else (axis + rank if axis < 0 else axis)


def identity(input: Any, name: str | None = None) -> Any:  # noqa: A002
    """``input`` unchanged (``tf.identity``)."""
    return input if _trace.is_symbol(input) else as_tensor(to_numpy(input))


def expand_dims(input: Any, axis: int, name: str | None = None) -> Any:  # noqa: A002
    """``input`` with a dimension of size 1 inserted at ``axis``."""
    at = int(axis)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        if dims is None:
            return TensorSpec(None, s[0].dtype)
        dims.insert(at if at >= 0 else len(dims) + 1 + at, 1)
        return TensorSpec(dims, s[0].dtype)

    return _apply("expand_dims", [input], at, spec)


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> Any:  # noqa: A002
    """``input`` without the dimensions ``axis`` names (of size 1), or without every
    dimension of size 1 when ``axis`` is None."""
    axes = [] if axis is None else _static_ints(axis, "squeeze axes")

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        if dims is None:
            return TensorSpec(None, s[0].dtype)
        if not axes:
            if any(d is None for d in dims):
                raise _trace.TraceUnsupported("squeezing dimensions of unknown size")
            return TensorSpec([d for d in dims if d != 1], s[0].dtype)
        drop = {a % len(dims) for a in axes} if dims else set()
        return TensorSpec([d for i, d in enumerate(dims) if i not in drop], s[0].dtype)

    return _apply("squeeze", [input], axes, spec)


def gather(
    params: Any,
    indices: Any,
    validate_indices: Any = None,
    axis: Any = None,
    batch_dims: int = 0,
    name: str | None = None,
) -> Any:
    """The slices of ``params`` at ``indices`` along ``axis``: the result's shape is
    ``params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis+1:]``
    (``tf.gather``). The first ``batch_dims`` dimensions of both are taken in step, and
    ``axis`` defaults to ``batch_dims``."""
    bd = int(batch_dims)
    at = bd if axis is None else int(axis)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        p, i = _dims(s[0]), _dims(s[1])
        if p is None or i is None or not p:
            return TensorSpec(None, s[0].dtype)
        a, b = at % len(p), bd + len(i) if bd < 0 else bd
        return TensorSpec(p[:a] + i[b:] + p[a + 1 :], s[0].dtype)

    return _apply("gather", [params, indices], (at, bd), spec)


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Any:
    """``tensor`` with the order along each of ``axis`` reversed."""
    return _apply("reverse", [tensor], _static_ints(axis, "reverse axes"), lambda s: s[0])


def roll(input: Any, shift: Any, axis: Any, name: str | None = None) -> Any:  # noqa: A002
    """``input`` shifted by ``shift`` along ``axis``, wrapping around (``tf.roll``)."""
    attr = (_static_ints(shift, "roll shifts"), _static_ints(axis, "roll axes"))
    return _apply("roll", [input], attr, lambda s: s[0])


def tile(input: Any, multiples: Any, name: str | None = None) -> Any:  # noqa: A002
    """``input`` repeated ``multiples[d]`` times along each dimension ``d``."""
    known = None if _trace.is_symbol(multiples) else _static_ints(multiples, "multiples")
    if known is not None:
        multiples = np.asarray(known, np.int64)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        if dims is None or known is None:
            return TensorSpec(None if dims is None else [None] * len(dims), s[0].dtype)
        return TensorSpec([None if d is None else d * m for d, m in zip(dims, known)], s[0].dtype)

    return _apply("tile", [input, multiples], None, spec)


def broadcast_to(input: Any, shape: Any, name: str | None = None) -> Any:  # noqa: A002
    """``input`` repeated along dimensions of size 1 (and new leading ones) to ``shape``."""
    known = None if _trace.is_symbol(shape) else _static_ints(shape, "shape")
    target = shape if known is None else np.asarray(known, np.int64)
    size = None if known is None else len(known)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        return TensorSpec(known if known is not None else [None] * (size or 0), s[0].dtype)

    return _apply("broadcast_to", [input, target], None, spec)


def pad(
    tensor: Any,
    paddings: Any,
    mode: str = "CONSTANT",
    constant_values: Any = 0,
    name: str | None = None,
) -> Any:
    """``tensor`` padded by ``paddings[d] = [before, after]`` along each dimension: with
    ``constant_values``, or mirrored (``"REFLECT"`` leaves the edge out, ``"SYMMETRIC"``
    repeats it)."""
    amounts = np.asarray(_static_ints(paddings, "paddings"), np.int64).reshape(-1, 2)
    dtype = tensor.dtype if _trace.is_symbol(tensor) else dtype_of(to_numpy(tensor))
    constant = to_numpy(constant_values, dtype)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        if dims is None:
            return TensorSpec(None, s[0].dtype)
        grown = [None if d is None else d + int(a + b) for d, (a, b) in zip(dims, amounts)]
        return TensorSpec(grown, s[0].dtype)

    return _apply("pad_tensor", [tensor, amounts, constant], str(mode), spec)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Any:
    """With ``x`` and ``y``: ``x`` where ``condition`` holds, else ``y``, all broadcast.
    Without: the coordinates of the true values of ``condition`` as ``[count, rank]``
    int64 (``tf.where``)."""
    if (x is None) != (y is None):
        raise ValueError("where: give both x and y, or neither")
    if x is None:
        rank = _rank(condition)
        return _apply("where_true", [condition], None, lambda s: TensorSpec([None, rank], int64))
    if not _trace.is_symbol(x) and not _trace.is_symbol(y):
        x_value = to_numpy(x) if isinstance(x, (np.ndarray, np.generic, bytes)) else None
        if x_value is None and isinstance(y, (np.ndarray, np.generic, bytes)):
            y = to_numpy(y)
            x = _beside(x, y)
        elif x_value is not None:
            x, y = x_value, _beside(y, x_value)
    elif _trace.is_symbol(x) and not _trace.is_symbol(y):
        y = to_numpy(y, x.dtype)
    elif _trace.is_symbol(y) and not _trace.is_symbol(x):
        x = to_numpy(x, y.dtype)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        from ._trace import _broadcast

        shape = _broadcast(_broadcast(s[0].shape, s[1].shape), s[2].shape)
        return TensorSpec(shape, s[1].dtype)

    return _apply("select", [condition, x, y], None, spec)


def boolean_mask(tensor: Any, mask: Any, axis: Any = None, name: str | None = None) -> Any:
    """The slices of ``tensor`` where ``mask`` (whose shape matches dimensions ``axis``
    onward) holds, those dimensions flattened into one (``tf.boolean_mask``)."""
    at = 0 if axis is None else int(axis)
    mask_rank = _rank(mask)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        if dims is None or mask_rank is None:
            return TensorSpec(None, s[0].dtype)
        return TensorSpec(dims[:at] + [None] + dims[at + mask_rank :], s[0].dtype)

    return _apply("boolean_mask", [tensor, mask], at, spec)


def sequence_mask(
    lengths: Any, maxlen: Any = None, dtype: Any = bool_, name: str | None = None
) -> Any:
    """``mask[..., j] = j < lengths[...]`` for ``j`` below ``maxlen`` (the largest length
    when None), as ``dtype``."""
    inputs = [lengths] if maxlen is None else [lengths, maxlen]
    width = None if maxlen is None or _trace.is_symbol(maxlen) else int(np.asarray(maxlen))

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        return TensorSpec(None if dims is None else [*dims, width], bool_)

    mask = _apply("sequence_mask", inputs, maxlen is not None, spec)
    to = as_dtype(dtype)
    return mask if to == bool_ else cast(mask, to)


def range(  # noqa: A001
    start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None, name: str | None = None
) -> Any:
    """``start, start + delta, ...`` below ``limit`` (``tf.range``; one argument is the
    limit). The dtype is ``dtype``, else float32 if any argument is a float, else int32."""
    if limit is None:
        start, limit = 0, start
    values = [start, limit, delta]
    if dtype is not None:
        to = as_dtype(dtype)
    else:
        kinds = [v.dtype if _trace.is_symbol(v) else dtype_of(to_numpy(v)) for v in values]
        floats = [k for k in kinds if k.is_floating]
        to = floats[0] if floats else (int64 if int64 in kinds else int32)
    args = [cast(v, to) if _trace.is_symbol(v) else to_numpy(v, to) for v in values]
    length = None
    if not any(_trace.is_symbol(v) for v in args):
        s, lim, d = (float(np.asarray(v)) for v in args)
        span = (lim - s) / d if d else float("nan")
        length = max(0, int(np.ceil(span))) if np.isfinite(span) else None
    return _apply("range", args, None, lambda s: TensorSpec([length], to))


def _sorting(values: Any, axis: int, direction: str, indices: bool) -> Any:
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"direction must be ASCENDING or DESCENDING, got {direction!r}")
    attr = (int(axis), direction == "DESCENDING", indices)
    return _apply(
        "sort",
        [values],
        attr,
        lambda s: TensorSpec(s[0].shape, int32) if indices else s[0],
    )


def sort(values: Any, axis: int = -1, direction: str = "ASCENDING", name: str | None = None) -> Any:
    """``values`` sorted along ``axis`` (NaN last when ascending)."""
    return _sorting(values, axis, direction, False)


def argsort(
    values: Any,
    axis: int = -1,
    direction: str = "ASCENDING",
    stable: bool = False,
    name: str | None = None,
) -> Any:
    """The positions that sort ``values`` along ``axis``, as int32 (always stable)."""
    return _sorting(values, axis, direction, True)


UniqueResult = namedtuple("UniqueResult", ["y", "idx"])


def unique(x: Any, out_idx: Any = int32, name: str | None = None) -> UniqueResult:
    """The distinct values of vector ``x`` in order of first appearance (``y``), and for
    each value of ``x`` the index of its value in ``y`` (``idx``, of ``out_idx``)."""

    def specs(s: list[TensorSpec]) -> list[TensorSpec]:
        return [TensorSpec([None], s[0].dtype), TensorSpec(s[0].shape, int32)]

    y, idx = apply_multi("unique", [x], None, specs, 2)
    to = as_dtype(out_idx)
    return UniqueResult(y, idx if to == int32 else cast(idx, to))


def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    name: str | None = None,
    **unused: Any,
) -> Any:
    """``a @ b`` over the last two dimensions, leading dimensions broadcast
    (``tf.linalg.matmul``); ``adjoint`` is ``transpose`` for real values."""
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        x, y = _dims(s[0]), _dims(s[1])
        if x is None or y is None:
            return TensorSpec(None, s[0].dtype)
        from ._trace import _broadcast

        m = x[-1] if ta else x[-2]
        n = y[-2] if tb else y[-1]
        lead = _broadcast(TensorShape(x[:-2]), TensorShape(y[:-2]))
        dims = None if lead.rank is None else [*lead.as_list(), m, n]
        return TensorSpec(dims, s[0].dtype)

    return _apply("matmul", [a, b], (ta, tb), spec)


def ensure_shape(x: Any, shape: Any, name: str | None = None) -> Any:
    """``x``, after checking its shape is compatible with ``shape`` (``None`` dims match
    any size), raising ``InvalidArgumentError`` when it is not; a traced tensor takes on the
    dimensions ``shape`` states, and is checked for each element."""
    want = TensorShape(shape)
    if want.rank is None:
        return x if _trace.is_symbol(x) else as_tensor(to_numpy(x))
    if _trace.is_symbol(x) and not x.shape.is_compatible_with(want):
        raise ValueError(f"Shape {x.shape} is incompatible with {want}")

    def spec(s: list[TensorSpec]) -> TensorSpec:
        known = s[0].shape
        if known.rank is None:
            return TensorSpec(want, s[0].dtype)
        merged = [w if w is not None else k for w, k in zip(want.as_list(), known.as_list())]
        return TensorSpec(merged, s[0].dtype)

    return _apply("ensure_shape", [x], want.as_list(), spec)


def _along(value: Any, axis: int, piece: Any) -> Any:
    rank = _rank(value)
    if rank is None:
        raise _trace.TraceUnsupported("splitting a tensor of unknown rank")
    at = _axis_index(axis, rank)
    return value[(builtins.slice(None),) * at + (piece,)]  # type: ignore[operator]


def _size_along(value: Any, axis: int) -> int:
    if _trace.is_symbol(value):
        dims = _dims(TensorSpec(value.shape, value.dtype))
        size = None if dims is None else dims[axis]
        if size is None:
            raise _trace.TraceUnsupported("splitting a dimension of unknown size")
        return size
    return int(np.shape(to_numpy(value))[axis])


def split(
    value: Any, num_or_size_splits: Any, axis: int = 0, num: Any = None, name: Any = None
) -> list[Any]:
    """``value`` cut along ``axis`` into ``num_or_size_splits`` equal pieces, or pieces of
    the sizes it lists (one may be -1, the rest)."""
    value = value if _trace.is_symbol(value) else as_tensor(to_numpy(value))
    size = _size_along(value, int(axis))
    if np.ndim(num_or_size_splits) == 0:
        count = int(num_or_size_splits)
        if count <= 0 or size % count:
            raise ValueError(f"split: dimension {axis} of size {size} does not divide into {count}")
        sizes = [size // count] * count
    else:
        sizes = [int(s) for s in num_or_size_splits]
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = size - (sum(sizes) + 1)
        if sum(sizes) != size or min(sizes, default=0) < 0:
            raise ValueError(f"split: sizes {sizes} do not add up to dimension size {size}")
    bounds = np.cumsum([0, *sizes])
    return [
        _along(value, int(axis), builtins.slice(int(a), int(b))) for a, b in zip(bounds, bounds[1:])
    ]


def unstack(value: Any, num: Any = None, axis: int = 0, name: str | None = None) -> list[Any]:
    """The slices of ``value`` along ``axis``, each without that dimension."""
    value = value if _trace.is_symbol(value) else as_tensor(to_numpy(value))
    count = _size_along(value, int(axis)) if num is None else int(num)
    return [_along(value, int(axis), i) for i in builtins.range(count)]


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Any:  # noqa: A001
    """The block of ``input_`` starting at ``begin`` with ``size`` values along each
    dimension (-1: to the end), as ``tf.slice``. ``begin`` and ``size`` may be computed in a
    traced function (as ``sample_distorted_bounding_box`` gives them)."""
    if any(_trace.is_symbol(v) or _holds_symbols(v) for v in (begin, size)):
        bounds = [_stack_int64(v) if _holds_symbols(v) else v for v in (begin, size)]

        def spec(s: list[TensorSpec]) -> TensorSpec:
            rank = s[0].shape.rank
            return TensorSpec(None if rank is None else [None] * rank, s[0].dtype)

        return _apply("dynamic_slice", [input_, *bounds], None, spec)
    starts = _static_ints(begin, "slice begin")
    sizes = _static_ints(size, "slice size")
    pieces = tuple(builtins.slice(b, None if s == -1 else b + s) for b, s in zip(starts, sizes))
    value = input_ if _trace.is_symbol(input_) else as_tensor(to_numpy(input_))
    return value[pieces]


__all__ = [
    "argsort",
    "boolean_mask",
    "broadcast_to",
    "ensure_shape",
    "expand_dims",
    "gather",
    "identity",
    "matmul",
    "newaxis",
    "pad",
    "range",
    "reverse",
    "roll",
    "sequence_mask",
    "sort",
    "split",
    "squeeze",
    "tile",
    "unique",
    "unstack",
    "where",
]
