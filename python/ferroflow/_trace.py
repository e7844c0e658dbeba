"""Tracing map functions into native graphs, as ``tf.function`` traces for tf.data. The
function is called once with ``Symbol``s that carry each component's dtype and shape; the
ferroflow operations it applies to them (arithmetic, comparisons, ``ff.cast``,
``ff.io.parse_example`` ...) are recorded. Anything else a symbol cannot do (turn into a
numpy array, be tested for truth, ``.numpy()``) raises ``TraceUnsupported``, and the caller
runs the function as Python instead."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ._dtypes import DType, bool_, float64
from ._spec import TensorShape, TensorSpec

_active = threading.local()


def current() -> GraphBuilder | None:
    """The graph being recorded on this thread, if a function is being traced."""
    stack = getattr(_active, "stack", None)
    return stack[-1] if stack else None


class tracing:  # noqa: N801 - used as a context manager, like a function
    """Marks ``builder`` as the graph being recorded while the block runs."""

    def __init__(self, builder: GraphBuilder) -> None:
        self.builder = builder

    def __enter__(self) -> GraphBuilder:
        if not hasattr(_active, "stack"):
            _active.stack = []
        _active.stack.append(self.builder)
        return self.builder

    def __exit__(self, *exc: Any) -> None:
        _active.stack.pop()


class TraceUnsupported(Exception):
    """The function did something a traced graph cannot express."""


def has_symbols(value: Any) -> bool:
    """Whether a (nested) value holds traced tensors, while a function is being traced."""
    from . import _nest

    return current() is not None and any(isinstance(v, Symbol) for v in _nest.flatten(value))


class SymbolicSource:
    """A source dataset that a traced ``flat_map`` or ``interleave`` function builds from
    traced tensors: which source (``kind``), the values it is built from, and the element
    spec it yields. A function that returns one runs natively; anything done to it (a
    method call) makes the function run as Python."""

    __slots__ = ("builder", "kind", "outputs", "spec", "options")

    def __init__(self, kind: str, values: Any, slices: bool, options: tuple = ()) -> None:
        from . import _nest

        builder = current()
        assert builder is not None, "made only while tracing"
        flat = [v if isinstance(v, Symbol) else builder.constant(v) for v in _nest.flatten(values)]

        def spec_of(s: Symbol) -> TensorSpec:
            if not slices:
                return TensorSpec(s.shape, s.dtype)
            if s.shape.rank is None or s.shape.rank == 0:
                raise TraceUnsupported("it slices a tensor without a first dimension")
            return TensorSpec(s.shape.as_list()[1:], s.dtype)

        structure = _nest.pack_sequence_as(values, flat) if _nest.is_nested(values) else flat[0]
        self.builder, self.kind, self.outputs, self.options = builder, kind, flat, options
        self.spec = _nest.map_structure(spec_of, structure)

    def __getattr__(self, name: str) -> Any:
        raise TraceUnsupported(f"it uses .{name} of a dataset made from its input")


class GraphBuilder:
    """The nodes recorded so far; values are numbered inputs first, then node outputs."""

    def __init__(self, inputs: int) -> None:
        self.inputs = inputs
        self.nodes: list[tuple[str, list[int], Any]] = []
        self.next_value = inputs

    def add(
        self, op: str, inputs: list[Symbol], attr: Any, outputs: list[TensorSpec]
    ) -> list[Symbol]:
        for s in inputs:
            if s.graph is not self:
                raise TraceUnsupported("a symbol from another traced function was used")
        self.nodes.append((op, [s.index for s in inputs], attr))
        out = [Symbol(self, self.next_value + i, o.dtype, o.shape) for i, o in enumerate(outputs)]
        self.next_value += len(outputs)
        return out

    def constant(self, value: Any) -> Symbol:
        from ._convert import dtype_of, shape_of, to_numpy

        v = to_numpy(value)
        return self.add("const", [], v, [TensorSpec(shape_of(v), dtype_of(v))])[0]


def _broadcast(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.rank is None or b.rank is None:
        return TensorShape(None)
    da, db = a.as_list(), b.as_list()
    rank = max(len(da), len(db))
    da, db = [1] * (rank - len(da)) + da, [1] * (rank - len(db)) + db
    out: list[int | None] = []
    for x, y in zip(da, db):
        if x == 1:
            out.append(y)
        elif y == 1 or x == y:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        else:
            raise TraceUnsupported(f"shapes {a} and {b} cannot be broadcast together")
    return TensorShape(out)


_COMPARISONS = {"less", "less_equal", "greater", "greater_equal", "equal", "not_equal"}
_LOGICAL = {"logical_and", "logical_or", "logical_xor"}


class Symbol:
    """A component while a function is traced: its dtype and shape, no value."""

    __slots__ = ("graph", "index", "dtype", "shape")
    __array_priority__ = 1000  # numpy defers binary operators to us

    def __init__(self, graph: GraphBuilder, index: int, dtype: DType, shape: TensorShape) -> None:
        self.graph, self.index, self.dtype, self.shape = graph, index, dtype, TensorShape(shape)

    _ff_symbol = True

    @property
    def ndim(self) -> int | None:
        """The rank, when known."""
        return self.shape.rank

    def get_shape(self) -> TensorShape:
        """The static shape (``tf.Tensor.get_shape``)."""
        return self.shape

    def set_shape(self, shape: Any) -> None:
        """Refines the static shape with ``shape``'s known dimensions, as TensorFlow's
        ``set_shape`` does in a traced function; ``ValueError`` if they are incompatible."""
        given = TensorShape(shape)
        if not self.shape.is_compatible_with(given):
            raise ValueError(f"Shapes {self.shape} and {given} are incompatible")
        if given.rank is None:
            return
        if self.shape.rank is None:
            self.shape = given
            return
        known = zip(self.shape.as_list(), given.as_list())
        self.shape = TensorShape([a if b is None else b for a, b in known])

    def _operand(self, other: Any) -> Symbol:
        if isinstance(other, Symbol):
            if other.dtype != self.dtype:
                raise TraceUnsupported(
                    f"operands of dtypes {self.dtype.name} and {other.dtype.name}"
                )
            return other
        if isinstance(other, (bool, int, float, np.generic, np.ndarray)):
            arr = np.asarray(other)
            if arr.dtype.kind == "f" and not self.dtype.is_floating:
                raise TraceUnsupported("a float constant with an integer tensor")
            if isinstance(other, (np.generic, np.ndarray)) and arr.dtype != self.dtype:
                raise TraceUnsupported("a numpy constant of another dtype")
            return self.graph.constant(arr.astype(self.dtype.as_numpy_dtype))
        raise TraceUnsupported(f"cannot combine a tensor with {type(other).__name__}")

    def _string_operand(self, other: Any) -> Symbol:
        from ._convert import to_numpy

        if isinstance(other, Symbol):
            if other.dtype != self.dtype:
                raise TraceUnsupported(f"comparing strings with {other.dtype.name} values")
            return other
        if isinstance(other, (str, bytes, list, tuple, np.ndarray, np.generic)):
            try:
                return self.graph.constant(to_numpy(other, "string"))
            except (TypeError, ValueError) as e:
                raise TraceUnsupported(f"comparing strings with {other!r}") from e
        raise TraceUnsupported(f"comparing strings with {type(other).__name__}")

    def _binary(self, op: str, other: Any, reverse: bool = False) -> Symbol:
        if self.dtype.name == "string":
            if op not in ("equal", "not_equal"):
                raise TraceUnsupported("strings only compare for equality")
            b = self._string_operand(other)
            spec = TensorSpec(_broadcast(self.shape, b.shape), bool_)
            return self.graph.add("binary", [self, b], op, [spec])[0]
        b = self._operand(other)
        a, b = (b, self) if reverse else (self, b)
        if op in _COMPARISONS:
            dtype = bool_
        elif op in _LOGICAL:
            if not self.dtype.is_bool:
                raise TraceUnsupported(f"{op} of {self.dtype.name} values")
            dtype = bool_
        elif op == "div" and self.dtype.is_integer:
            dtype = float64
        else:
            if self.dtype.is_bool:
                raise TraceUnsupported("arithmetic on bools")
            dtype = self.dtype
        spec = TensorSpec(_broadcast(a.shape, b.shape), dtype)
        return self.graph.add("binary", [a, b], op, [spec])[0]

    def __add__(self, o: Any) -> Symbol:
        return self._binary("add", o)

    def __radd__(self, o: Any) -> Symbol:
        return self._binary("add", o, True)

    def __sub__(self, o: Any) -> Symbol:
        return self._binary("sub", o)

    def __rsub__(self, o: Any) -> Symbol:
        return self._binary("sub", o, True)

    def __mul__(self, o: Any) -> Symbol:
        return self._binary("mul", o)

    def __rmul__(self, o: Any) -> Symbol:
        return self._binary("mul", o, True)

    def __truediv__(self, o: Any) -> Symbol:
        return self._binary("div", o)

    def __rtruediv__(self, o: Any) -> Symbol:
        return self._binary("div", o, True)

    def __floordiv__(self, o: Any) -> Symbol:
        return self._binary("floordiv", o)

    def __rfloordiv__(self, o: Any) -> Symbol:
        return self._binary("floordiv", o, True)

    def __mod__(self, o: Any) -> Symbol:
        return self._binary("floormod", o)

    def __rmod__(self, o: Any) -> Symbol:
        return self._binary("floormod", o, True)

    def __pow__(self, o: Any) -> Symbol:
        return self._binary("pow", o)

    def __rpow__(self, o: Any) -> Symbol:
        return self._binary("pow", o, True)

    def _unary(self, op: str) -> Symbol:
        if self.dtype.is_bool or self.dtype.name.startswith("uint") or self.dtype.name == "string":
            raise TraceUnsupported(f"{op} of {self.dtype.name} values")
        return self.graph.add("unary", [self], op, [TensorSpec(self.shape, self.dtype)])[0]

    def __neg__(self) -> Symbol:
        return self._unary("neg")

    def __abs__(self) -> Symbol:
        return self._unary("abs")

    def __lt__(self, o: Any) -> Symbol:
        return self._binary("less", o)

    def __le__(self, o: Any) -> Symbol:
        return self._binary("less_equal", o)

    def __gt__(self, o: Any) -> Symbol:
        return self._binary("greater", o)

    def __ge__(self, o: Any) -> Symbol:
        return self._binary("greater_equal", o)

    def __eq__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._binary("equal", o)

    def __ne__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._binary("not_equal", o)

    def __and__(self, o: Any) -> Symbol:
        return self._binary("logical_and", o)

    def __rand__(self, o: Any) -> Symbol:
        return self._binary("logical_and", o, True)

    def __or__(self, o: Any) -> Symbol:
        return self._binary("logical_or", o)

    def __ror__(self, o: Any) -> Symbol:
        return self._binary("logical_or", o, True)

    def __xor__(self, o: Any) -> Symbol:
        return self._binary("logical_xor", o)

    def __rxor__(self, o: Any) -> Symbol:
        return self._binary("logical_xor", o, True)

    def __invert__(self) -> Symbol:
        """``~t`` of a traced bool tensor: its logical not."""
        return self._binary("logical_xor", True)

    __hash__ = object.__hash__

    def _unsupported(self, *_: Any, **__: Any) -> Any:
        raise TraceUnsupported("a traced tensor has no value to use here")

    def __getitem__(self, key: Any) -> Symbol:
        """``t[key]`` with integers, slices, ``None`` and ``...``, as numpy indexes."""
        indices = [_index_attr(k) for k in (key if isinstance(key, tuple) else (key,))]
        spec = TensorSpec(_sliced_shape(self.shape, indices), self.dtype)
        return self.graph.add("strided_slice", [self], indices, [spec])[0]

    __bool__ = __array__ = __iter__ = __len__ = __index__ = __int__ = __float__ = _unsupported
    numpy = tolist = item = astype = reshape = _unsupported

    def __repr__(self) -> str:
        return f"<traced tensor shape={self.shape} dtype={self.dtype.name}>"


def _index_attr(key: Any) -> tuple:
    """One index as the engine's strided slice takes it."""
    if key is Ellipsis:
        return ("ellipsis",)
    if key is None:
        return ("new_axis",)
    if isinstance(key, slice):
        bounds = []
        for bound in (key.start, key.stop, key.step):
            if bound is not None and not _is_integer(bound):
                raise TraceUnsupported(f"a slice bound of type {type(bound).__name__}")
            bounds.append(None if bound is None else int(bound))
        if bounds[2] == 0:
            raise TraceUnsupported("a slice step of zero")
        return ("range", bounds[0], bounds[1], 1 if bounds[2] is None else bounds[2])
    if _is_integer(key):
        return ("at", int(key))
    raise TraceUnsupported(f"indexing with {type(key).__name__} (only integers, slices, None, ...)")


def _is_integer(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _sliced_shape(shape: TensorShape, indices: list[tuple]) -> TensorShape:
    """The shape of ``t[indices]`` for ``t`` of ``shape``, as far as it is known."""
    if shape.rank is None:
        return TensorShape(None)
    dims = shape.as_list()
    named = sum(1 for i in indices if i[0] in ("at", "range"))
    if named > len(dims) or sum(1 for i in indices if i[0] == "ellipsis") > 1:
        raise TraceUnsupported(f"indices {indices} do not fit a tensor of shape {shape}")
    out: list[int | None] = []
    rest = iter(dims)
    for kind, *args in indices:
        if kind == "new_axis":
            out.append(1)
        elif kind == "ellipsis":
            out.extend(next(rest) for _ in range(len(dims) - named))
        elif kind == "at":
            size = next(rest)
            if size is not None and not -size <= args[0] < size:
                raise TraceUnsupported(f"index {args[0]} is out of bounds for size {size}")
        else:
            size = next(rest)
            out.append(None if size is None else len(range(*slice(*args).indices(size))))
    out.extend(rest)
    return TensorShape(out)


def is_symbol(value: Any) -> bool:
    """True while tracing, for a traced component."""
    return isinstance(value, Symbol)


def external_call(
    builder: GraphBuilder, inputs: list[Any], call: Any, out_dtypes: list[DType]
) -> list[Symbol]:
    """Records a Python call (``py_function``) that runs at run time, under the GIL, with the
    numpy values of ``inputs``; it returns one value per entry of ``out_dtypes``."""
    args = [x if isinstance(x, Symbol) else builder.constant(x) for x in inputs]
    specs = [TensorSpec(None, d) for d in out_dtypes]
    return builder.add("py_function", args, (call, len(specs)), specs)
