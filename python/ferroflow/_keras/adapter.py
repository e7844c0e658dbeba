"""Keras 3 takes a ferroflow ``Dataset`` in ``fit``, ``evaluate`` and ``predict``, under the
tensorflow, jax and torch backends.

Keras picks an adapter for its input in ``keras.src.trainers.data_adapters.get_data_adapter``
and knows no third-party datasets, so that function is wrapped to answer ferroflow datasets
with ``DatasetAdapter``. The wrapping happens when Keras's adapter module is imported (a
finder on ``sys.meta_path`` watches for it), or at once if it already is; ferroflow never
imports Keras itself."""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

import numpy as np

_ADAPTERS = "keras.src.trainers.data_adapters"


def _adapter_class() -> type:
    """The adapter, defined against the installed Keras (imported here, on first use)."""
    from keras.src import tree
    from keras.src.trainers.data_adapters import data_adapter_utils
    from keras.src.trainers.data_adapters.data_adapter import DataAdapter

    from .. import _nest
    from ..data.dataset import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY

    class DatasetAdapter(DataAdapter):  # type: ignore[misc]
        """Feeds Keras from a ferroflow dataset of batches: every epoch iterates it anew;
        a known cardinality gives the steps per epoch."""

        def __init__(self, dataset: Any, class_weight: Any = None) -> None:
            if class_weight is not None:
                dataset = dataset.map(_class_weight_function(class_weight))
            self._dataset = dataset

        def get_numpy_iterator(self) -> Any:
            return self._dataset.as_numpy_iterator()

        def get_jax_iterator(self) -> Any:
            return data_adapter_utils.get_jax_iterator(self._dataset.as_numpy_iterator())

        def get_torch_dataloader(self) -> Any:
            return data_adapter_utils.get_torch_dataloader(self._dataset.as_numpy_iterator())

        def get_tf_dataset(self) -> Any:
            import tensorflow as tf

            spec = _nest.map_structure(
                lambda s: tf.TensorSpec(s.shape.as_list(), s.dtype.name),
                self._dataset.element_spec,
            )
            dataset = self._dataset
            return tf.data.Dataset.from_generator(
                lambda: (tree.lists_to_tuples(e) for e in dataset.as_numpy_iterator()),
                output_signature=tree.lists_to_tuples(spec),
            )

        @property
        def num_batches(self) -> int | None:
            n = int(self._dataset.cardinality())
            return None if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY) else n

        @property
        def batch_size(self) -> int | None:
            first = _nest.flatten(self._dataset.element_spec)[0]
            return first.shape[0] if first.shape.rank else None

        @property
        def has_partial_batch(self) -> bool | None:
            return None

        @property
        def partial_batch_size(self) -> int | None:
            return None

    return DatasetAdapter


def _class_weight_function(class_weight: dict[int, float]) -> Any:
    """A map function adding per-sample weights looked up from each label, as Keras does for
    ``fit(class_weight=...)``: classes not listed weigh 1; a label is a class index (rounded)
    or, with several columns, a one-hot or probability row."""
    table = np.ones(int(max(class_weight)) + 1, np.float32)
    for label, weight in class_weight.items():
        table[int(label)] = weight

    def weigh(x: Any, y: Any, sample_weight: Any = None) -> Any:
        if sample_weight is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        labels = np.asarray(y)
        if labels.ndim >= 2 and labels.shape[-1] > 1:
            classes = labels.argmax(axis=-1)
        else:
            classes = np.round(labels.reshape(labels.shape[0])).astype(np.int64)
        known = (classes >= 0) & (classes < len(table))
        weights = np.where(known, table[np.clip(classes, 0, len(table) - 1)], 1.0)
        return x, y, weights.astype(np.float32)

    return weigh


def _refused(argument: str, value: Any) -> None:
    if value is not None:
        raise ValueError(
            f"When providing `x` as a ferroflow Dataset, `{argument}` should not be passed: "
            "it belongs in the dataset's elements, as for a tf.data.Dataset."
        )


def _wrap(module: ModuleType) -> None:
    """Makes ``module.get_data_adapter`` answer ferroflow datasets."""
    original = module.get_data_adapter
    if getattr(original, "_ferroflow", False):
        return
    from ..data.dataset import Dataset

    adapter: list[type] = []

    def get_data_adapter(x: Any, y: Any = None, sample_weight: Any = None, *args: Any, **kw: Any):
        if isinstance(x, Dataset):
            _refused("y", y)
            _refused("sample_weight", sample_weight)
            if not adapter:
                adapter.append(_adapter_class())
            return adapter[0](x, class_weight=kw.get("class_weight"))
        return original(x, y, sample_weight, *args, **kw)

    get_data_adapter._ferroflow = True  # type: ignore[attr-defined]
    get_data_adapter.__doc__ = original.__doc__
    module.get_data_adapter = get_data_adapter  # type: ignore[attr-defined]


class _WrapOnImport(importlib.abc.MetaPathFinder):
    """Wraps Keras's adapter choice right after Keras imports that module."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != _ADAPTERS:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            _wrap(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Lets Keras take ferroflow datasets, now if Keras's adapters are loaded, else when
    they are."""
    loaded = sys.modules.get(_ADAPTERS)
    if loaded is not None:
        _wrap(loaded)
    elif not any(isinstance(f, _WrapOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _WrapOnImport())
