"""Fingerprints of dataset definitions: a digest of the operation that made a dataset, its
arguments and its input datasets' fingerprints. The same definition has the same fingerprint
in every process (no address, no per-process hash); a cache file and an iterator's saved
state carry it, so that they are refused by a pipeline that is not theirs.

A function argument is digested by its code, its default arguments, the values it closes
over and the module-level values its code names, so editing a map function changes the
fingerprint; a list, dict or set it reads from outside counts by its type alone (it is
most often a counter or a log the function appends to). An object that prints its memory
address counts by its type alone.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _random, _trace

# How deep functions and containers are followed; what lies deeper counts by its type alone.
_MAX_DEPTH = 6
_SIMPLE = (type(None), bool, int, float, complex, str)


class _Digest:
    """blake2b over tagged, length-prefixed fields, so that no two values share a stream."""

    def __init__(self) -> None:
        self._hash = hashlib.blake2b(digest_size=16)
        self._seen: set[int] = set()

    def field(self, tag: str, payload: bytes = b"") -> None:
        self._hash.update(tag.encode())
        self._hash.update(len(payload).to_bytes(8, "little"))
        self._hash.update(payload)

    def value(self, value: Any, depth: int = 0) -> None:
        if isinstance(value, _SIMPLE):
            self.field(type(value).__name__, repr(value).encode())
        elif isinstance(value, bytes | bytearray | memoryview):
            self.field("bytes", bytes(value))
        elif isinstance(getattr(value, "_fingerprint", None), str):
            self.field("dataset", value._fingerprint.encode())
        elif isinstance(value, np.ndarray | np.generic):
            self._array(np.asarray(value), depth)
        elif isinstance(value, os.PathLike):
            self.field("path", os.fspath(value).encode(errors="surrogateescape"))
        elif depth >= _MAX_DEPTH or id(value) in self._seen:
            self.field("deep", _type_name(value).encode())
        else:
            self._seen.add(id(value))
            self._composite(value, depth + 1)
            self._seen.discard(id(value))

    def _array(self, array: np.ndarray, depth: int) -> None:
        self.field("ndarray", f"{array.dtype.str} {array.shape}".encode())
        if array.dtype.hasobject:
            for item in array.ravel().tolist():
                self.value(item, depth + 1)
        else:
            self.field("data", np.ascontiguousarray(array).tobytes())

    def _composite(self, value: Any, depth: int) -> None:
        if isinstance(value, list | tuple):
            self.field(type(value).__name__, str(len(value)).encode())
            for item in value:
                self.value(item, depth)
        elif isinstance(value, dict):
            self.field("dict", str(len(value)).encode())
            for key, item in value.items():
                self.value(key, depth)
                self.value(item, depth)
        elif isinstance(value, set | frozenset):
            self.field("set", b"".join(sorted(fingerprint_of(v).encode() for v in value)))
        elif isinstance(value, functools.partial):
            self.field("partial")
            for part in (value.func, value.args, value.keywords):
                self.value(part, depth)
        elif isinstance(value, types.FunctionType):
            self._function(value, depth)
        elif isinstance(value, types.MethodType):
            self.field("method")
            self.value(value.__func__, depth)
            self.value(value.__self__, depth)
        elif isinstance(value, types.CodeType):
            self._code(value, depth)
        elif isinstance(value, types.ModuleType | type | types.BuiltinFunctionType):
            self.field("named", _qualified_name(value).encode())
        else:
            self._object(value)

    def _function(self, fn: types.FunctionType, depth: int) -> None:
        # By its name and code, not its module: the same function in a script and in the
        # module it moved to defines the same pipeline.
        self.field("function", fn.__qualname__.encode())
        self._code(fn.__code__, depth)
        self.value(fn.__defaults__, depth)
        self.value(fn.__kwdefaults__, depth)
        for cell in fn.__closure__ or ():
            try:
                self._outside(cell.cell_contents, depth)
            except ValueError:  # a cell not yet filled
                self.field("empty cell")
        for name in sorted(_global_names(fn.__code__)):
            if name in fn.__globals__:
                self.field("global", name.encode())
                self._outside(fn.__globals__[name], depth)

    def _outside(self, value: Any, depth: int) -> None:
        """A value a function reads from outside: a list, dict or set there is most often
        something the function appends to (a counter, a log), so it counts by its type."""
        if isinstance(value, list | dict | set | bytearray):
            self.field("mutable", _type_name(value).encode())
        else:
            self.value(value, depth)

    def _code(self, code: types.CodeType, depth: int) -> None:
        self.field("code", code.co_code)
        self.field("names", " ".join(code.co_names + code.co_varnames).encode())
        for const in code.co_consts:
            self.value(const, depth)

    def _object(self, value: Any) -> None:
        text = repr(value)
        if " at 0x" in text or len(text) > 100_000:
            self.field("object", _type_name(value).encode())
        else:
            self.field("object", f"{_type_name(value)} {text}".encode())

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _type_name(value: Any) -> str:
    return _qualified_name(type(value))


def _qualified_name(value: Any) -> str:
    module = getattr(value, "__module__", None) or ""
    return f"{module}.{getattr(value, '__qualname__', getattr(value, '__name__', '?'))}"


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def fingerprint_of(value: Any) -> str:
    """The digest of one value, as it enters a dataset's fingerprint."""
    digest = _Digest()
    digest.value(value)
    return digest.hexdigest()


def _defining(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a method that makes a dataset so that the dataset it makes (or, for
    ``__init__``, the one it initializes) gets the fingerprint of this call. The outermost
    call sets it last, so a dataset built from others inside a method is named by that
    method's call."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seeds = _random.seed_context()
        result = method(*args, **kwargs)
        made = args[0] if name.endswith("__init__") else result
        if made is None or (result is not None and args and result is args[0]):
            return result  # a no-op that returned its own receiver keeps its fingerprint
        if _trace.current() is not None:
            # Made while a function is traced, from symbols: the traced function's own code
            # is in the fingerprint of the dataset that calls it.
            return result
        bound = signature.bind(*args, **kwargs)
        # A constructor shared by several dataset classes is named by the class it made.
        op = type(made).__qualname__ if name.endswith("__init__") else name
        receiver, own = _split(made, bound.arguments)
        # Digested once, for both the fingerprint and the call chain: arrays by content.
        arguments = fingerprint_of(own)
        digest = _Digest()
        digest.field("op", op.encode())
        digest.value(seeds)
        if receiver is not None:
            digest.field("input", receiver._fingerprint.encode())
        digest.field("arguments", arguments.encode())
        made._fingerprint = digest.hexdigest()
        made._steps = (*(receiver._steps if receiver is not None else ()), (op, arguments))
        made._call = Call(op, wrapper, bound, receiver, name.endswith("__init__"))
        return result

    return wrapper


class Call:
    """The public call that made a dataset, kept so that the pipeline can be made again with
    another input at its start (``Dataset.distribute`` gives each rank its own files)."""

    def __init__(
        self,
        op: str,
        method: Callable[..., Any],
        bound: inspect.BoundArguments,
        receiver: Any,
        constructor: bool,
    ) -> None:
        self.op = op
        self.receiver = receiver
        self._method = method
        self._bound = bound
        self._constructor = constructor

    def argument(self, name: str) -> Any:
        """The value the call gave its parameter ``name`` (None when it took the default)."""
        return self._bound.arguments.get(name)

    def replay(self, receiver: Any = None, **changes: Any) -> Any:
        """The call again, on ``receiver`` (for a method) and with ``changes`` to its named
        arguments."""
        arguments = dict(self._bound.arguments)
        arguments.update(changes)
        names = list(arguments)
        if self.receiver is not None:
            arguments[names[0]] = receiver
        again = inspect.BoundArguments(self._bound.signature, arguments)  # type: ignore[arg-type]
        if self._constructor:
            # The first argument is the dataset the constructor initialized: make another.
            return type(again.args[0])(*again.args[1:], **again.kwargs)
        return self._method(*again.args, **again.kwargs)


def _split(made: Any, arguments: dict[str, Any]) -> tuple[Any, list[tuple[str, Any]]]:
    """The dataset a method was called on (None for a source or a constructor's own
    ``self``), and the call's other arguments but ``name`` and ``storage_options`` (an op's
    name labels it, credentials and endpoints reach the data; neither changes what it
    yields). The receiver starts the call chain (``_steps``) that says
    which call differs when two fingerprints do."""
    values = list(arguments.values())
    receiver = values[0] if values else None
    if receiver is made or not isinstance(getattr(receiver, "_fingerprint", None), str):
        receiver = None
    own = [
        (k, v)
        for k, v in arguments.items()
        if k not in _UNYIELDED and v is not receiver and v is not made
    ]
    return receiver, own


# Arguments that change nothing a dataset yields.
_UNYIELDED = ("name", "storage_options")


def first_difference(saved: list[Any], current: tuple[tuple[str, str], ...]) -> str:
    """Where a dataset's calls (`_steps`) differ from those saved with a state, in words."""
    for i, (was, now) in enumerate(zip(saved, current)):
        if list(was) != list(now):
            if was[0] != now[0]:
                return f"call {i + 1} was {was[0]}, it is {now[0]} in this dataset"
            return f"call {i + 1}, {now[0]}, had other arguments"
    if len(saved) != len(current):
        return f"the state's pipeline has {len(saved)} calls, this dataset {len(current)}"
    return "a function, seed or input dataset of the pipeline differs"


def install(cls: type, methods: list[str]) -> None:
    """Wraps ``cls``'s methods named in ``methods`` (static ones included)."""
    for attr in methods:
        raw = cls.__dict__[attr]
        qualname = f"{cls.__name__}.{attr}"
        if isinstance(raw, staticmethod):
            setattr(cls, attr, staticmethod(_defining(qualname, raw.__func__)))
        else:
            setattr(cls, attr, _defining(qualname, raw))


def dataset_methods(cls: type) -> list[str]:
    """The public methods of ``cls`` that return a new dataset."""
    names = []
    for attr, raw in cls.__dict__.items():
        func = raw.__func__ if isinstance(raw, staticmethod) else raw
        if attr.startswith("_") or not inspect.isfunction(func):
            continue
        if func.__annotations__.get("return") == "Dataset":
            names.append(attr)
    return names
