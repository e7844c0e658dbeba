"""``Optional``: a value that may be absent, as ``Iterator.get_next_as_optional`` gives."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _nest
from .._dtypes import bool_
from .._spec import TensorSpec
from .._tensor import as_tensor
from ..errors import InvalidArgumentError


class Optional:
    """A value that may be absent (``tf.experimental.Optional``)."""

    def __init__(self, value: Any, element_spec: Any, present: bool) -> None:
        self._value, self._spec, self._present = value, element_spec, present

    @staticmethod
    def from_value(value: Any) -> Optional:
        """An optional holding ``value``."""
        spec = _nest.map_structure(TensorSpec.from_value, value)
        return Optional(value, spec, True)

    @staticmethod
    def empty(element_spec: Any) -> Optional:
        """An optional holding nothing, of values described by ``element_spec``."""
        return Optional(None, element_spec, False)

    def has_value(self, name: str | None = None) -> Any:
        """A bool tensor: whether there is a value."""
        return as_tensor(np.asarray(self._present, bool_.as_numpy_dtype))

    def get_value(self, name: str | None = None) -> Any:
        """The value; ``InvalidArgumentError`` when there is none."""
        if not self._present:
            raise InvalidArgumentError("The optional has no value")
        return self._value

    @property
    def element_spec(self) -> Any:
        """The spec of the value."""
        return self._spec
