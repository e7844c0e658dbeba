"""Tensor operations. Each runs one Rust kernel: at once on numpy values, or recorded into
the graph while a map function is traced (the same kernel then runs for every element)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _random, _trace
from ._composite import RaggedTensor
from ._convert import dtype_of, to_numpy
from ._dtypes import as_dtype, float32, int32, int64, string
from ._lib import NativeGraph
from ._spec import TensorSpec
from ._tensor import as_tensor


def _result(value: Any) -> Any:
    return as_tensor(value)


_eager_positions = itertools.count()


def op_seed(seed: int | None) -> int:
    """The seed of a random op: from ``seed`` and the global seed, or fresh entropy."""
    chosen = _random.get_seed(seed)
    return random.getrandbits(64) if chosen is None else chosen


def _apply(op: str, inputs: Sequence[Any], attr: Any, spec: Any, random_op: bool = False) -> Any:
    """Runs kernel ``op`` on ``inputs``: recorded when any input is traced (or, for a random
    op, whenever a function is being traced), else now.
    ``spec(input_specs)`` gives the output's TensorSpec (for tracing). A random op run eagerly
    gets a new position each call, so repeated calls differ."""
    return apply_multi(op, inputs, attr, lambda s: [spec(s)], 1, random_op)[0]


def apply_multi(
    op: str, inputs: Sequence[Any], attr: Any, specs: Any, outputs: int, random_op: bool = False
) -> list[Any]:
    """``_apply`` for a kernel with several outputs: ``specs(input_specs)`` lists their
    TensorSpecs."""
    builder = next((x.graph for x in inputs if _trace.is_symbol(x)), None)
    if builder is None and random_op:
        # A random op of constants still draws anew for each element while tracing.
        builder = _trace.current()
    if builder is not None:
        args = [x if _trace.is_symbol(x) else builder.constant(x) for x in inputs]
        return builder.add(op, args, attr, specs([TensorSpec(a.shape, a.dtype) for a in args]))
    # A string batch is already what the engine reads; making it numpy would make a bytes
    # object per string only to read them back.
    values = [x if getattr(type(x), "_ff_strings", False) else to_numpy(x) for x in inputs]
    n = len(values)
    graph = NativeGraph(n, [(op, list(range(n)), attr)], list(range(n, n + outputs)))
    index = next(_eager_positions) if random_op else 0
    return [_result(v) for v in graph(values, index)]


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Any:
    """``value`` as the values elements carry (``tf.constant``): a numpy array, numpy scalar
    or ``bytes``, of ``dtype`` or of the type TensorFlow infers (Python ints int32, floats
    float32). With ``shape``, one value fills the shape and more values are reshaped to it."""
    v = to_numpy(value, dtype)
    if shape is None:
        return _result(v)
    dims = tuple(int(d) for d in np.asarray(shape).reshape(-1))
    arr = np.asarray([v], dtype=object).reshape(()) if isinstance(v, bytes) else np.asarray(v)
    size = int(np.prod(dims))
    if arr.size == 1:
        arr = np.full(dims, arr.reshape(-1)[0], dtype=arr.dtype)
    elif arr.size == size:
        arr = arr.reshape(dims)
    else:
        raise TypeError(
            f"constant: {arr.size} values cannot have shape {list(dims)} ({size} elements)"
        )
    return _result(arr)


def convert_to_tensor(
    value: Any, dtype: Any = None, dtype_hint: Any = None, name: str | None = None
) -> Any:
    """``value`` as ``constant`` gives it (``tf.convert_to_tensor``); a traced tensor is
    returned as it is."""
    if _trace.is_symbol(value):
        return value
    if dtype is None and dtype_hint is not None:
        try:
            return constant(value, dtype_hint)
        except (TypeError, ValueError):
            pass
    return constant(value, dtype)


def _stack_int64(items: Sequence[Any]) -> Any:
    """A vector of integers some of which are traced (stacked as TensorFlow converts them)."""
    return stack([cast(d, int64) if _trace.is_symbol(d) else np.int64(d) for d in items])


def _holds_symbols(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and any(_trace.is_symbol(v) for v in value)


def seed_tensor(seed: Any) -> Any:
    """A stateless op's seed as one tensor of two integers: a pair of traced scalars (as
    ``Dataset.zip`` with a counter gives) is stacked, as TensorFlow converts it."""
    return _stack_int64(seed) if _holds_symbols(seed) else seed


def random_op(
    op: str, inputs: list[Any], attr: tuple, spec: Any, seed: Any, stateless: bool
) -> Any:
    """Runs random kernel ``op``: seeded by the op seed ``seed`` and each element's
    position, or (``stateless``) by the seed tensor ``seed`` alone, its last input."""
    if stateless:
        return _apply(op, [*inputs, seed_tensor(seed)], (*attr, None), spec)
    return _apply(op, inputs, (*attr, op_seed(seed)), spec, True)


def _dims(spec: TensorSpec) -> list[int | None] | None:
    return None if spec.shape.rank is None else spec.shape.as_list()


def cast(x: Any, dtype: Any, name: str | None = None) -> Any:
    """``x`` converted to ``dtype`` (``tf.cast``): floats to integers truncate toward zero,
    numbers to bool test for non-zero."""
    to = as_dtype(dtype)
    traced = _trace.is_symbol(x)
    source = x.dtype.name if traced else dtype_of(to_numpy(x)).name
    if "string" in (source, to.name):
        if traced:  # the Python path raises the TypeError, with the value in hand
            raise _trace.TraceUnsupported("casts to or from strings")
        raise TypeError("cast does not convert strings; use ff.strings.to_number")
    return _apply("cast", [x], to.name, lambda s: TensorSpec(s[0].shape, to))


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Any:
    """``tensor`` with a new shape of as many elements (one dimension may be -1)."""
    dims = [int(d) for d in np.asarray(shape).reshape(-1)]
    return _apply(
        "reshape",
        [tensor],
        dims,
        lambda s: TensorSpec([None if d == -1 else d for d in dims], s[0].dtype),
    )


def transpose(a: Any, perm: Any = None, conjugate: bool = False, name: str | None = None) -> Any:
    """``a`` with its dimensions reordered: dimension ``i`` of the result is dimension
    ``perm[i]`` (reversed when ``perm`` is None), as ``tf.transpose``."""
    rank = a.shape.rank if _trace.is_symbol(a) else np.ndim(to_numpy(a))
    if rank is None:
        raise _trace.TraceUnsupported("transposing a tensor of unknown rank")
    order = list(range(rank))[::-1] if perm is None else [int(p) for p in np.asarray(perm)]
    order = [p + rank if p < 0 else p for p in order]

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        return TensorSpec(None if dims is None else [dims[p] for p in order], s[0].dtype)

    return _apply("transpose", [a], order, spec)


def shape(input: Any, out_type: Any = int32, name: str | None = None) -> Any:  # noqa: A002
    """The dimensions of ``input`` as a vector of ``out_type`` (``tf.shape``); in a traced
    function, the dimensions of each element."""
    to = as_dtype(out_type)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        return TensorSpec([s[0].shape.rank], to)

    return _apply("shape", [input], to.name, spec)


def fill(dims: Any, value: Any, name: str | None = None) -> Any:
    """A tensor of shape ``dims`` with every value ``value`` (``tf.fill``); ``dims`` may be
    computed from the element inside a traced function."""
    if _holds_symbols(dims):
        known = [None if _trace.is_symbol(d) else int(d) for d in dims]
        dims = _stack_int64(dims)
    elif _trace.is_symbol(dims):
        rank = dims.shape.as_list()[0] if dims.shape.rank == 1 else None
        known = None if rank is None else [None] * rank
    else:
        dims = np.asarray(dims, dtype=np.int64).reshape(-1)
        known = [int(d) for d in dims]

    def spec(s: list[TensorSpec]) -> TensorSpec:
        return TensorSpec(known, s[1].dtype)

    return _apply("fill", [dims, value], None, spec)


def _constant_of(dtype: Any, number: int) -> Any:
    to = as_dtype(dtype)
    if to == string:
        if number:
            from .errors import InvalidArgumentError

            raise InvalidArgumentError("strings have no one")
        return b""
    return np.asarray(number, to.as_numpy_dtype)


def zeros(shape: Any, dtype: Any = float32, name: str | None = None) -> Any:
    """A tensor of ``shape`` of zeros (empty strings for strings)."""
    return fill(shape, _constant_of(dtype, 0))


def ones(shape: Any, dtype: Any = float32, name: str | None = None) -> Any:
    """A tensor of ``shape`` of ones."""
    return fill(shape, _constant_of(dtype, 1))


def _like(input: Any, dtype: Any, number: int) -> Any:  # noqa: A002
    traced = _trace.is_symbol(input)
    if dtype is None:
        dtype = input.dtype if traced else dtype_of(to_numpy(input))
    value = _constant_of(dtype, number)
    if not traced:
        return fill(shape(input), value)
    # The result has the input's shape, as far as tracing knows it.
    spec = lambda s: TensorSpec(input.shape, s[1].dtype)  # noqa: E731
    return _apply("fill", [shape(input), value], None, spec)


def zeros_like(input: Any, dtype: Any = None, name: str | None = None) -> Any:  # noqa: A002
    """Zeros of ``input``'s shape, of its dtype unless ``dtype`` is given."""
    return _like(input, dtype, 0)


def ones_like(input: Any, dtype: Any = None, name: str | None = None) -> Any:  # noqa: A002
    """Ones of ``input``'s shape, of its dtype unless ``dtype`` is given."""
    return _like(input, dtype, 1)


def _joined_spec(specs: list[TensorSpec], axis: int, new_axis: bool) -> TensorSpec:
    dims = _dims(specs[0])
    if dims is None:
        return TensorSpec(None, specs[0].dtype)
    rank = len(dims) + (1 if new_axis else 0)
    a = axis + rank if axis < 0 else axis
    if new_axis:
        dims.insert(a, len(specs))
    else:
        sizes = [_dims(s)[a] if _dims(s) is not None else None for s in specs]
        dims[a] = None if any(x is None for x in sizes) else sum(sizes)
    return TensorSpec(dims, specs[0].dtype)


def concat(values: Sequence[Any], axis: int, name: str | None = None) -> Any:
    """``values`` joined along existing dimension ``axis`` (``tf.concat``)."""
    return _apply("concat", list(values), int(axis), lambda s: _joined_spec(s, int(axis), False))


def stack(values: Sequence[Any], axis: int = 0, name: str | None = None) -> Any:
    """Same-shaped ``values`` joined along a new dimension ``axis`` (``tf.stack``)."""
    return _apply("stack", list(values), int(axis), lambda s: _joined_spec(s, int(axis), True))


def one_hot(
    indices: Any,
    depth: int,
    on_value: Any = None,
    off_value: Any = None,
    axis: int | None = None,
    dtype: Any = None,
    name: str | None = None,
) -> Any:
    """One-hot vectors of length ``depth`` for integer ``indices`` (``tf.one_hot``): out of
    range indices give all ``off_value``; the new dimension is last unless ``axis`` says."""
    out = (
        as_dtype(dtype)
        if dtype is not None
        else (dtype_of(to_numpy(on_value)) if on_value is not None else float32)
    )
    on = to_numpy(1 if on_value is None else on_value, out)
    off = to_numpy(0 if off_value is None else off_value, out)
    ax = -1 if axis is None else int(axis)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        if dims is None:
            return TensorSpec(None, out)
        dims.insert(len(dims) if ax == -1 else ax, int(depth))
        return TensorSpec(dims, out)

    return _apply("one_hot", [indices, on, off], (int(depth), ax), spec)


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None) -> Any:
    """``t`` with values below ``clip_value_min`` raised to it and above ``clip_value_max``
    lowered to it."""
    if _trace.is_symbol(t):
        return t._binary("maximum", clip_value_min)._binary("minimum", clip_value_max)
    value = to_numpy(t)
    return _result(np.clip(value, clip_value_min, clip_value_max).astype(value.dtype))


def to_number(string_tensor: Any, out_type: Any = float32, name: str | None = None) -> Any:
    """Each string parsed as a number of ``out_type`` (``tf.strings.to_number``)."""
    to = as_dtype(out_type)
    return _apply("to_number", [string_tensor], to.name, lambda s: TensorSpec(s[0].shape, to))


def decode_raw(
    input_bytes: Any,
    out_type: Any,
    little_endian: bool = True,
    fixed_length: int | None = None,
    name: str | None = None,
) -> Any:
    """The bytes of each string as values of ``out_type``, in a new last dimension
    (``tf.io.decode_raw``)."""
    to = as_dtype(out_type)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        return TensorSpec(None if dims is None else [*dims, None], to)

    return _apply("decode_raw", [input_bytes], (to.name, bool(little_endian)), spec)


def split(input: Any, sep: Any = None, maxsplit: int = -1, name: str | None = None) -> Any:  # noqa: A002
    """Each string split into pieces, as ``tf.strings.split``: on ``sep``, keeping empty
    pieces, or without ``sep`` on runs of whitespace; at most ``maxsplit`` splits unless it
    is -1 (then the rest is one last piece; 0 keeps the string whole). A scalar gives a
    vector of pieces, a vector of strings a ``RaggedTensor`` with one row per string
    (eagerly; a traced function splits scalars natively and runs as Python for vectors)."""
    separator = None if sep is None else to_numpy(sep, string)
    if separator is not None and not isinstance(separator, bytes):
        raise TypeError("strings.split: sep must be one string")
    attr = (separator or None, int(maxsplit))
    if _trace.is_symbol(input):
        if input.shape.rank != 0:
            raise _trace.TraceUnsupported("splitting strings other than a scalar (ragged result)")
        pieces = TensorSpec([None], string)
        return input.graph.add("split", [input], attr, [pieces, TensorSpec([2], int64)])[0]
    value = to_numpy(input, string)
    rank = 0 if isinstance(value, bytes) else value.ndim
    if rank > 1:
        raise ValueError(f"strings.split takes a scalar or a vector of strings, not rank {rank}")
    pieces, row_splits = NativeGraph(1, [("split", [0], attr)], [1, 2])([value])
    return pieces if rank == 0 else RaggedTensor.from_row_splits(pieces, row_splits)


def _string_map(name: str, input: Any, a: int = 0, b: int = 0, flag: bool = False) -> Any:  # noqa: A002
    out = int32 if name == "length" else string
    return _apply("strings", [input], (name, a, b, flag), lambda s: TensorSpec(s[0].shape, out))


def _unit(unit: str) -> bool:
    """Whether a ``unit`` argument counts UTF-8 characters rather than bytes."""
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"unit must be 'BYTE' or 'UTF8_CHAR', not {unit!r}")
    return unit == "UTF8_CHAR"


def lower(input: Any, encoding: str = "", name: str | None = None) -> Any:  # noqa: A002
    """Each string in lower case: ASCII letters only, or all letters with
    ``encoding="utf-8"`` (``tf.strings.lower``)."""
    return _string_map("lower", input, flag=encoding.lower().replace("-", "") == "utf8")


def upper(input: Any, encoding: str = "", name: str | None = None) -> Any:  # noqa: A002
    """Each string in upper case (``tf.strings.upper``)."""
    return _string_map("upper", input, flag=encoding.lower().replace("-", "") == "utf8")


def strip(input: Any, name: str | None = None) -> Any:  # noqa: A002
    """Each string without leading and trailing whitespace (``tf.strings.strip``)."""
    return _string_map("strip", input)


def length(input: Any, unit: str = "BYTE", name: str | None = None) -> Any:  # noqa: A002
    """Each string's length in bytes or (``unit="UTF8_CHAR"``) characters, as int32."""
    return _string_map("length", input, flag=_unit(unit))


def substr(input: Any, pos: int, len: int, unit: str = "BYTE", name: str | None = None) -> Any:  # noqa: A002
    """``len`` bytes (or characters) of each string from ``pos``, which counts from the end
    when negative (``tf.strings.substr``); a ``pos`` beyond the string is an error."""
    return _string_map("substr", input, int(pos), int(len), _unit(unit))


def as_string(input: Any, precision: int = -1, name: str | None = None, **_: Any) -> Any:  # noqa: A002
    """Numbers and bools as strings (``tf.strings.as_string``): floats with ``precision``
    digits after the point (6 by default), bools as ``true``/``false``."""
    return _string_map("as_string", input, int(precision))


def join(inputs: Sequence[Any], separator: str = "", name: str | None = None) -> Any:
    """The strings of ``inputs`` (of one shape, or scalars) joined position by position
    with ``separator`` (``tf.strings.join``)."""
    sep = to_numpy(separator, string)

    def spec(s: list[TensorSpec]) -> TensorSpec:
        shaped = [x.shape for x in s if x.shape.rank != 0]
        return TensorSpec(shaped[0] if shaped else [], string)

    return _apply("join_strings", list(inputs), sep, spec)


def _arg_extreme(input: Any, axis: Any, largest: bool, output_type: Any) -> Any:  # noqa: A002
    out = as_dtype(output_type)
    ax = 0 if axis is None else int(np.asarray(axis))

    def spec(s: list[TensorSpec]) -> TensorSpec:
        dims = _dims(s[0])
        if dims is None:
            return TensorSpec(None, out)
        if not -len(dims) <= ax < len(dims):
            raise _trace.TraceUnsupported(f"axis {ax} is out of range for rank {len(dims)}")
        del dims[ax]
        return TensorSpec(dims, out)

    return _apply("arg_extreme", [input], (ax, largest, out.name), spec)


def argmax(input: Any, axis: Any = None, output_type: Any = int64, name: str | None = None) -> Any:  # noqa: A002
    """The index of the largest value along ``axis`` (0 when None), the first on ties
    (``tf.math.argmax``); booleans count True as larger, and a NaN is never the largest."""
    return _arg_extreme(input, axis, True, output_type)


def argmin(input: Any, axis: Any = None, output_type: Any = int64, name: str | None = None) -> Any:  # noqa: A002
    """The index of the smallest value along ``axis`` (0 when None), the first on ties
    (``tf.math.argmin``)."""
    return _arg_extreme(input, axis, False, output_type)


def encode_base64(input: Any, pad: bool = False, name: str | None = None) -> Any:  # noqa: A002
    """Strings as web-safe base64 (``-`` and ``_``), ``=``-padded when ``pad``
    (``tf.io.encode_base64``)."""
    return _string_map("encode_base64", input, flag=bool(pad))


def decode_base64(input: Any, name: str | None = None) -> Any:  # noqa: A002
    """Web-safe base64 strings, padded or not, decoded (``tf.io.decode_base64``)."""
    return _string_map("decode_base64", input)


def serialize_tensor(tensor: Any, name: str | None = None) -> Any:
    """``tensor`` as the bytes of a TensorFlow ``TensorProto`` (``tf.io.serialize_tensor``):
    TensorFlow's ``parse_tensor`` reads them, and ferroflow's reads TensorFlow's."""
    return _apply("serialize_tensor", [tensor], None, lambda s: TensorSpec([], "string"))


def parse_tensor(serialized: Any, out_type: Any, name: str | None = None) -> Any:
    """The tensor in the ``TensorProto`` bytes ``serialized``, which must hold ``out_type``
    (``tf.io.parse_tensor``); its shape is known only once parsed."""
    to = as_dtype(out_type)
    return _apply("parse_tensor", [serialized], to.name, lambda s: TensorSpec(None, to))


def read_file(
    filename: Any, name: str | None = None, *, storage_options: dict[str, Any] | None = None
) -> Any:
    """The contents of the file ``filename`` names, as one string (``tf.io.read_file``).
    ``storage_options`` (not in TensorFlow) are the store's options for an object's URL
    (``ff.io.set_storage_options``); a name a traced function computes takes the options
    set for its prefix beforehand."""
    if storage_options:
        from .io._object_files import use_storage_options

        if _trace.is_symbol(filename):
            raise TypeError(
                "storage_options needs the file name itself, not one a traced function "
                "computes: use ff.io.set_storage_options(prefix, options)"
            )
        use_storage_options([filename], storage_options)
    return _apply("read_file", [filename], None, lambda s: TensorSpec([], "string"))


__all__ = [
    "decode_base64",
    "encode_base64",
    "parse_tensor",
    "serialize_tensor",
    "argmax",
    "argmin",
    "cast",
    "clip_by_value",
    "concat",
    "fill",
    "one_hot",
    "ones",
    "ones_like",
    "reshape",
    "shape",
    "stack",
    "transpose",
    "zeros",
    "zeros_like",
]


def _decode(
    op: str,
    contents: Any,
    channels: int,
    dtype: Any,
    allowed: tuple[str, ...],
    rank: int | None = 3,
    expand_animations: bool = False,
    jpeg: tuple[str, bool, int] = ("", True, 1),
) -> Any:
    to = as_dtype(dtype).name
    if to not in allowed:
        raise TypeError(
            f"Value for attr 'dtype' of {to} is not in the list of allowed values: "
            + ", ".join(allowed)
        )
    ch = int(channels)
    shape = None if rank is None else [None] * (rank - 1) + [ch or None]
    return _apply(
        "decode_image",
        [contents],
        (op, ch, to, bool(expand_animations), *jpeg),
        lambda s: TensorSpec(shape, to),
    )


def decode_jpeg(
    contents: Any,
    channels: int = 0,
    ratio: int = 1,
    fancy_upscaling: bool = True,
    try_recover_truncated: bool = False,
    acceptable_fraction: float = 1,
    dct_method: str = "",
    name: str | None = None,
) -> Any:
    """A JPEG's pixels as uint8 [height, width, channels] (0: the file's own channels),
    decoded with libjpeg-turbo's algorithms as TensorFlow's kernel decodes them.
    ``dct_method`` picks the inverse DCT: ``"INTEGER_FAST"`` (TensorFlow's choice for ``""``;
    its pixels equal TensorFlow's) or ``"INTEGER_ACCURATE"`` (the choice here for ``""``: it
    is both the more accurate and, here, the faster one; pixels differ from TensorFlow's
    default by a few levels). ``fancy_upscaling`` interpolates chroma (else it is repeated);
    ``ratio`` 2, 4 or 8 decodes the image at that fraction of its size. A truncated file is an
    error: ``try_recover_truncated`` and ``acceptable_fraction`` are accepted and ignored. As in
    TensorFlow, a PNG, a one-frame GIF or a WebP decodes too."""
    return _decode(
        "jpeg",
        contents,
        channels,
        "uint8",
        ("uint8",),
        jpeg=_jpeg_options(dct_method, fancy_upscaling, ratio),
    )


def _jpeg_options(dct_method: Any, fancy_upscaling: Any, ratio: Any) -> tuple[str, bool, int]:
    """How a JPEG op decodes, as its kernel takes it (checked there, as TensorFlow checks)."""
    return str(dct_method), bool(fancy_upscaling), int(ratio)


def decode_png(
    contents: Any, channels: int = 0, dtype: Any = "uint8", name: str | None = None
) -> Any:
    """A PNG's pixels as [height, width, channels] (0: the file's own channels) of ``dtype``,
    uint8 or uint16: 16-bit files narrow to their high byte, 8-bit ones widen by 257, as
    ``tf.io.decode_png`` does. As in TensorFlow, a JPEG, a one-frame GIF or a WebP decodes
    too."""
    return _decode("png", contents, channels, dtype, ("uint8", "uint16"))


def decode_gif(contents: Any, name: str | None = None) -> Any:
    """A GIF's frames as uint8 [frames, height, width, 3], as ``tf.io.decode_gif`` composes
    them: each frame drawn over the one before, transparent pixels keeping what is under them
    (disposal methods are not applied). A JPEG or PNG gives one frame."""
    return _decode("gif", contents, 3, "uint8", ("uint8",), rank=4)


def decode_bmp(contents: Any, channels: int = 0, name: str | None = None) -> Any:
    """An uncompressed 8-, 24- or 32-bit BMP's pixels as uint8 [height, width, channels]
    (0: the file's own; 3 or 4), read as ``tf.io.decode_bmp`` reads them: an 8-bit file's
    bytes are gray levels (its palette is not applied)."""
    return _decode("bmp", contents, channels, "uint8", ("uint8",))


def decode_webp(
    contents: Any, channels: int = 0, dtype: Any = "uint8", name: str | None = None
) -> Any:
    """A WebP's frames as uint8 [frames, height, width, channels] (``tf.io.decode_webp``): RGB,
    or RGBA when the file has alpha; an animation's frames composed as libwebp does, RGBA.
    ``channels`` must be 0 or the file's own."""
    return _decode("webp", contents, channels, dtype, ("uint8",), rank=4)


def decode_image(
    contents: Any,
    channels: int | None = None,
    dtype: Any = "uint8",
    name: str | None = None,
    expand_animations: bool = True,
) -> Any:
    """A JPEG's, PNG's, GIF's, BMP's or WebP's pixels, the format read from the data, as
    ``dtype`` (uint8, uint16 or float32 in [0, 1], converted from the file's own depth as
    ``tf.io.decode_image`` does). An animated GIF or WebP gives [frames, height, width,
    channels] with ``expand_animations`` (so the rank is known only when the image is read),
    else its first frame."""
    return _decode(
        "image",
        contents,
        channels or 0,
        dtype,
        ("uint8", "uint16", "float32"),
        rank=None if expand_animations else 3,
        expand_animations=expand_animations,
    )


def encode_png(image: Any, compression: int = -1, name: str | None = None) -> Any:
    """A uint8 or uint16 [height, width, channels] image as PNG bytes of that bit depth
    (``tf.io.encode_png``)."""
    return _apply("encode_png", [image], int(compression), lambda s: TensorSpec([], "string"))


def encode_jpeg(image: Any, format: str = "", quality: int = 95, **options: Any) -> Any:
    """A uint8 gray or RGB image as baseline JPEG bytes at ``quality``
    (``tf.io.encode_jpeg``; its other tuning options are accepted and ignored)."""
    return _apply(
        "encode_jpeg", [image], max(1, min(100, int(quality))), lambda s: TensorSpec([], "string")
    )
