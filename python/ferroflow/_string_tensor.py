"""``StringTensor``: what iteration and eager ops give for a tensor of strings of rank one or
more. The engine hands the batch over as one object, its own buffer; each string becomes a
Python ``bytes`` only when asked for (``.numpy()``, indexing, iterating, numpy functions),
as TensorFlow's string tensors make ``bytes`` only at ``.numpy()``. A batch of raw records
thus costs one hand-off, not an object per record.

It is a ``ff.Tensor`` for ``isinstance``, prints as TensorFlow prints, and does what a
``Tensor`` of strings does by turning itself into one (once, then kept)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _lib, _tensor
from ._dtypes import string
from ._tensor import Shape, Tensor


class StringTensor:
    """A tensor of strings (``tf.string``, rank one or more) over the engine's buffer."""

    __slots__ = ("_batch", "_array")
    _ff_strings = True  # read by modules that cannot import this one
    # numpy defers its binary operators to this class's, which compare as a Tensor does.
    __array_priority__ = 30

    def __init__(self, batch: Any) -> None:
        self._batch = batch
        self._array: Tensor | None = None

    def _tensor(self) -> Tensor:
        """The strings as a ``Tensor`` of ``bytes`` (made on first use, then kept)."""
        if self._array is None:
            self._array = self._batch.to_numpy().view(Tensor)
        return self._array

    def numpy(self) -> np.ndarray:
        """The strings as a numpy object array of ``bytes`` (``tf.Tensor.numpy``)."""
        return self._tensor().numpy()

    @property
    def shape(self) -> Shape:
        """The dimensions: a tuple that also has ``as_list()`` and ``rank``."""
        return Shape(self._batch.shape)

    @property
    def dtype(self) -> Any:
        """``ff.string``."""
        return string

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self._batch.shape)

    @property
    def size(self) -> int:
        """The number of strings."""
        return int(self._batch.size)

    @property
    def nbytes(self) -> int:
        """The bytes of all the strings together."""
        return int(self._batch.nbytes)

    def get_shape(self) -> Shape:
        """The shape (``tf.Tensor.get_shape``)."""
        return self.shape

    def __len__(self) -> int:
        return int(self._batch.shape[0])

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int) and self.ndim == 1:
            # One string without making the others: a 0-d string tensor, as TensorFlow gives.
            if not -len(self) <= key < len(self):
                raise IndexError(f"index {key} is out of bounds for {len(self)} strings")
            return _tensor.scalar(self._batch.item(key % len(self)), object)
        return self._tensor()[key]

    def __iter__(self) -> Any:
        return iter(self._tensor())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        plain = self.numpy()
        return plain if dtype is None else plain.astype(dtype)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._tensor() == other

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._tensor() != other

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return bool(self._tensor())

    def __str__(self) -> str:
        return str(self._tensor())

    def __repr__(self) -> str:
        return repr(self._tensor())

    def __reduce__(self) -> Any:
        return (_tensor.as_tensor, (self.numpy(),))

    def __getattr__(self, name: str) -> Any:
        # Everything else a Tensor of strings has (tolist, reshape, astype, ref ...).
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._tensor(), name)

    def to_arrow(self) -> Any:
        """The strings as a pyarrow ``large_binary`` array (flattened), from the engine's
        buffer in one copy."""
        import pyarrow as pa

        values, offsets = self._batch.buffers()
        return pa.LargeBinaryArray.from_buffers(
            pa.large_binary(),
            self.size,
            [None, pa.py_buffer(np.asarray(offsets, np.int64)), pa.py_buffer(values)],
        )


_tensor.TENSOR_KINDS.append(StringTensor)
_lib.use_string_tensor_type(StringTensor)
