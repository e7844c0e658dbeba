"""``ff.keras``: the installed Keras 3, imported when first touched, with its dataset
utilities giving ferroflow datasets and its ``fit`` / ``evaluate`` / ``predict`` taking
them (see ``adapter``)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import types
from typing import Any

from . import adapter

_DATASET_UTILITIES = (
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
)


class _Overlay(types.ModuleType):
    """A Keras module whose names are Keras's, except the ones given here."""

    def __init__(self, base: types.ModuleType, own: dict[str, Any], name: str) -> None:
        super().__init__(name, base.__doc__)
        self._base = base
        self.__dict__.update(own)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._base, name)
        if name in _OVERLAID_SUBMODULES and isinstance(value, types.ModuleType):
            from . import datasets

            own = {n: getattr(datasets, n) for n in _DATASET_UTILITIES}
            value = _Overlay(value, own, f"{self.__name__}.{name}")
            setattr(self, name, value)
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self._base)) | set(self.__dict__))


_OVERLAID_SUBMODULES = ("utils", "preprocessing")


def _file_backend() -> str | None:
    """The backend Keras's configuration file names, if any."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as f:
            return json.load(f).get("backend")
    except (OSError, ValueError, AttributeError):
        return None


def _choose_backend() -> None:
    """Keras defaults to the tensorflow backend (and writes that default to its
    configuration file on first import). Without TensorFlow installed and with no other
    backend chosen, use JAX or PyTorch, whichever is installed, so that TensorFlow
    tutorials run after ``import ferroflow as tf``."""
    if os.environ.get("KERAS_BACKEND") or importlib.util.find_spec("tensorflow"):
        return
    if _file_backend() not in (None, "tensorflow"):
        return
    for backend in ("jax", "torch"):
        if importlib.util.find_spec(backend):
            os.environ["KERAS_BACKEND"] = backend
            return


def load() -> types.ModuleType:
    """Imports Keras 3 and returns it with ferroflow's dataset utilities."""
    _choose_backend()
    adapter.install()
    try:
        keras = importlib.import_module("keras")
    except ImportError as e:
        raise ImportError(
            "ff.keras is the installed Keras 3: pip install keras (and a backend: jax, "
            "torch or tensorflow)"
        ) from e
    return _Overlay(keras, {}, "ferroflow.keras")
