"""``Tensor``: the values iteration and eager ops give, as TensorFlow's eager tensors behave
where users touch them (``.numpy()``, ``.shape.as_list()``, ``.dtype.name``, ``print``), while
staying numpy arrays: ``np.asarray``, ``torch.from_numpy``, ``jax.device_put`` and DLPack take
them without a copy."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _lib, _trace
from ._convert import utf8_items
from ._dtypes import DType, of_numpy
from ._spec import TensorShape

_ndarray_shape = np.ndarray.shape
_ndarray_dtype = np.ndarray.dtype
_ndarray_getitem = np.ndarray.__getitem__


class Shape(tuple):
    """The shape of a concrete value: a tuple of ints that also answers ``tf.TensorShape``'s
    methods (``as_list()``, ``rank``, ``num_elements()`` ...)."""

    __slots__ = ()

    @property
    def rank(self) -> int:
        """The number of dimensions."""
        return len(self)

    ndims = rank

    @property
    def dims(self) -> list[int]:
        """The dimensions as a list."""
        return list(self)

    def as_list(self) -> list[int]:
        """The dimensions as a list."""
        return list(self)

    def num_elements(self) -> int:
        """The number of values (the product of the dimensions)."""
        return int(np.prod(self, dtype=np.int64))

    def is_fully_defined(self) -> bool:
        """Always true: a value's shape is known."""
        return True

    def is_compatible_with(self, other: Any) -> bool:
        """True when ``other`` (a shape, with unknown dimensions as ``None``) matches."""
        return TensorShape(self).is_compatible_with(other)

    def assert_is_compatible_with(self, other: Any) -> None:
        """Raises ``ValueError`` unless ``other`` is compatible."""
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {TensorShape(other)} are incompatible")

    def merge_with(self, other: Any) -> Shape:
        """This shape, after checking ``other`` is compatible with it."""
        self.assert_is_compatible_with(other)
        return self

    def concatenate(self, other: Any) -> TensorShape:
        """The dimensions of this shape followed by those of ``other``."""
        other = TensorShape(other)
        if other.rank is None:
            return TensorShape(None)
        return TensorShape([*self, *other.as_list()])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple):
            return tuple.__eq__(self, other)
        try:
            return TensorShape(self) == TensorShape(other)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = tuple.__hash__

    def __getitem__(self, key: Any) -> Any:
        value = tuple.__getitem__(self, key)
        return Shape(value) if isinstance(key, slice) else value

    def __repr__(self) -> str:
        return f"TensorShape({list(self)})"

    def __str__(self) -> str:
        return tuple.__repr__(self)


# Other classes whose instances are tensors too (the string batches of `_string_tensor`).
TENSOR_KINDS: list[type] = []


class _TensorType(type):
    """Lets ``isinstance(x, Tensor)`` hold for a traced component and a string batch too,
    as ``tf.Tensor`` covers eager and graph tensors alike."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return (
            type.__instancecheck__(cls, obj)
            or _trace.is_symbol(obj)
            or (cls is Tensor and isinstance(obj, tuple(TENSOR_KINDS)))
        )


class Tensor(np.ndarray, metaclass=_TensorType):
    """A tensor value (``tf.Tensor``): a numpy array, scalars included as 0-d arrays, with
    TensorFlow's ``.numpy()``, ``.shape``, ``.dtype`` and printing.

    It computes as numpy does (numpy's type promotion, which differs from TensorFlow's for
    mixed dtypes: TensorFlow refuses ``int32 + int64``, numpy promotes). Tensors are not
    hashable, as in TensorFlow; ``ref()`` gives a hashable key."""

    __slots__ = ()

    def numpy(self) -> Any:
        """The value as plain numpy: a numpy scalar (``bytes`` for a string) when 0-d, else
        an array sharing this tensor's memory."""
        plain = self.view(np.ndarray)
        return plain[()] if plain.ndim == 0 else plain

    @property  # type: ignore[override]
    def shape(self) -> Shape:
        """The dimensions: a tuple that also has ``as_list()`` and ``rank``."""
        return Shape(_ndarray_shape.__get__(self))

    @shape.setter
    def shape(self, value: Any) -> None:
        _ndarray_shape.__set__(self, value)

    @property  # type: ignore[override]
    def dtype(self) -> Any:
        """The element type as a ``DType`` (``.name``, ``.as_numpy_dtype``); it also stands
        in for the numpy dtype wherever numpy takes one."""
        npd = _ndarray_dtype.__get__(self)
        # numpy, JAX and Keras read .dtype often: one lookup, not the general conversion.
        found = of_numpy(npd)
        return npd if found is None else found  # numpy arithmetic can make unnamed dtypes

    def get_shape(self) -> Shape:
        """The shape (``tf.Tensor.get_shape``)."""
        return self.shape

    def set_shape(self, shape: Any) -> None:
        """Checks that ``shape`` is compatible with this value's (a value's shape is known, so
        nothing changes), raising ``ValueError`` as TensorFlow does when it is not."""
        if not self.shape.is_compatible_with(shape):
            raise ValueError(
                f"Tensor's shape {self.shape} is not compatible with supplied shape "
                f"{list(TensorShape(shape))}"
            )

    def ref(self) -> _Reference:
        """A hashable reference to this tensor (``tf.Tensor.ref``)."""
        return _Reference(self)

    def __getitem__(self, key: Any) -> Any:
        out = _ndarray_getitem(self, key)
        if isinstance(out, np.ndarray):
            return out
        return scalar(out, _ndarray_dtype.__get__(self))

    def __bytes__(self) -> bytes:
        # A string scalar's bytes: numpy's buffer would give the address of the bytes object.
        if self.ndim == 0 and _ndarray_dtype.__get__(self) == _OBJECT:
            return bytes(_ndarray_getitem(self, ()))
        return self.tobytes()

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return np.ndarray.__eq__(self, _string_operand(self, other))

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return np.ndarray.__ne__(self, _string_operand(self, other))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return len(self.view(np.ndarray))

    def __str__(self) -> str:
        return f"tf.Tensor({_text(self, repr_form=False)}, shape={self.shape}, dtype={_name(self)})"

    def __repr__(self) -> str:
        return f"<tf.Tensor: shape={self.shape}, dtype={_name(self)}, numpy={_text(self, True)}>"


class _Reference:
    """A hashable stand-in for a tensor, compared by identity (``tf.Tensor.ref()``)."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    def deref(self) -> Tensor:
        """The tensor referred to."""
        return self._tensor

    def __hash__(self) -> int:
        return id(self._tensor)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reference) and other._tensor is self._tensor


_OBJECT = np.dtype(object)


def _string_operand(tensor: Tensor, other: Any) -> Any:
    """``other`` with ``str`` encoded to UTF-8 when ``tensor`` holds strings: TensorFlow
    compares a string tensor with ``"abc"`` as with ``b"abc"``."""
    if _ndarray_dtype.__get__(tensor) != _OBJECT:
        return other
    if isinstance(other, (str, bytes)):
        # As an object array: numpy would make bytes an "S" array, which drops trailing NULs.
        return scalar(other.encode() if isinstance(other, str) else other, _OBJECT)
    if isinstance(other, (list, tuple)):
        out = np.empty(len(other), dtype=object)
        out[:] = list(other)
        return utf8_items(out)
    return other


def _name(tensor: Tensor) -> str:
    dtype = tensor.dtype
    return dtype.name if isinstance(dtype, DType) else str(dtype)


def _text(tensor: Tensor, repr_form: bool) -> str:
    """The value as TensorFlow prints it: Python's repr of a scalar, numpy's of an array."""
    value = tensor.numpy()
    if not repr_form:
        text = str(value)
    elif np.isscalar(value) and not isinstance(value, bytes):
        text = repr(value.item())  # type: ignore[union-attr]
    else:
        text = repr(value)
    return "\n" + text if "\n" in text else text


def scalar(value: Any, dtype: Any) -> Tensor:
    """A 0-d tensor of numpy dtype ``dtype`` holding ``value``."""
    out = np.empty((), dtype=dtype)
    out[()] = value
    return out.view(Tensor)


def as_tensor(value: Any) -> Any:
    """An engine value (numpy array or scalar, ``bytes``) as a ``Tensor``; other values
    (traced components, composite tensors, tensors already) unchanged."""
    if isinstance(value, np.ndarray):
        return value if type(value) is Tensor else value.view(Tensor)
    if isinstance(value, np.generic):
        return np.asarray(value).view(Tensor)
    if isinstance(value, bytes):
        return scalar(value, object)
    return value


def is_tensor(value: Any) -> bool:
    """True for a tensor (``tf.is_tensor``): a value from iteration or an op, a traced
    component, or a ragged or sparse tensor."""
    from ._composite import RaggedTensor, SparseTensor

    return isinstance(value, (Tensor, RaggedTensor, SparseTensor))


_lib.use_tensor_type(Tensor)
