"""``Dataset.save`` and ``Dataset.load``: a directory of TFRecord shards and a description.

The format, version 1:

- ``dataset_spec.json``: ``{"format": "ferroflow.saved_dataset", "version": 1,
  "element_spec": ..., "compression": null | "GZIP" | "ZLIB", "shards": [file names],
  "elements": count}``, written last, so a directory without it is not a saved dataset.
  The element spec is nested JSON: ``{"tuple": [...]}``, ``{"dict": {key: ...}}`` or
  ``{"shape": [dims, null for unknown], "dtype": name}``.
- ``shard-NNNNN.tfrecord``: one record per element, in order within a shard. A record is
  ``tf.io.serialize_tensor`` of a string vector holding ``serialize_tensor`` of each
  component in ``nest.flatten`` order, so TensorFlow can read the records as well.

Saving and loading both run natively: components are serialized and parsed by traced
functions; only the writing of finished records runs in Python."""

from __future__ import annotations

import json
import os
from typing import Any

from .. import _nest
from .._array_ops import ensure_shape
from .._ops import parse_tensor, serialize_tensor, stack
from .._spec import TensorSpec
from ..errors import InvalidArgumentError, NotFoundError

SPEC_FILE = "dataset_spec.json"
FORMAT = "ferroflow.saved_dataset"
VERSION = 1
_COMPRESSIONS = (None, "", "GZIP", "ZLIB")


def spec_to_json(spec: Any) -> Any:
    """A structure of ``TensorSpec`` as JSON (tuples, dicts and dense tensors only)."""
    if isinstance(spec, TensorSpec):
        dims = None if spec.shape.rank is None else spec.shape.as_list()
        return {"shape": dims, "dtype": spec.dtype.name}
    if isinstance(spec, dict):
        return {"dict": {str(k): spec_to_json(v) for k, v in spec.items()}}
    if isinstance(spec, tuple):
        return {"tuple": [spec_to_json(v) for v in spec]}
    raise InvalidArgumentError(
        f"save: elements must be tensors, tuples or dicts of them; got a {type(spec).__name__}"
    )


def spec_from_json(value: Any) -> Any:
    """The inverse of ``spec_to_json``."""
    if "dict" in value:
        return {k: spec_from_json(v) for k, v in value["dict"].items()}
    if "tuple" in value:
        return tuple(spec_from_json(v) for v in value["tuple"])
    return TensorSpec(value["shape"], value["dtype"])


def _compression(value: Any) -> str | None:
    if value not in _COMPRESSIONS:
        raise InvalidArgumentError(f"compression must be None, 'GZIP' or 'ZLIB', got {value!r}")
    return value or None


def _record(*components: Any) -> Any:
    return serialize_tensor(stack([serialize_tensor(c) for c in components]))


def save(dataset: Any, path: Any, compression: Any = None, shard_func: Any = None) -> None:
    """Writes every element of ``dataset`` under directory ``path`` (see the module)."""
    from ..io import TFRecordOptions, TFRecordWriter

    compression = _compression(compression)
    spec = spec_to_json(dataset.element_spec)
    directory = os.fspath(path)
    os.makedirs(directory, exist_ok=True)
    if os.path.exists(os.path.join(directory, SPEC_FILE)):
        os.remove(os.path.join(directory, SPEC_FILE))
    if shard_func is None:
        records = dataset.map(lambda *e: _record(*_nest.flatten(e)))
    else:
        records = dataset.map(lambda *e: (shard_func(*e), _record(*_nest.flatten(e))))
    options = TFRecordOptions(compression_type=compression or "")
    writers: dict[int, Any] = {}
    count = 0
    try:
        for item in records.as_numpy_iterator():
            shard, record = (int(item[0]), item[1]) if shard_func is not None else (0, item)
            if shard < 0:
                raise InvalidArgumentError(f"save: shard_func gave shard {shard}")
            if shard not in writers:
                name = os.path.join(directory, f"shard-{shard:05d}.tfrecord")
                writers[shard] = TFRecordWriter(name, options)
            writers[shard].write(record)
            count += 1
    finally:
        for writer in writers.values():
            writer.close()
    shards = [f"shard-{s:05d}.tfrecord" for s in sorted(writers)]
    description = {
        "format": FORMAT,
        "version": VERSION,
        "element_spec": spec,
        "compression": compression,
        "shards": shards,
        "elements": count,
    }
    with open(os.path.join(directory, SPEC_FILE), "w") as f:
        json.dump(description, f, indent=1)


def _description(directory: str) -> dict[str, Any]:
    try:
        with open(os.path.join(directory, SPEC_FILE)) as f:
            description = json.load(f)
    except FileNotFoundError:
        raise NotFoundError(
            f"{directory} holds no saved dataset (no {SPEC_FILE}; was the save finished?)"
        ) from None
    if description.get("format") != FORMAT or description.get("version") != VERSION:
        raise InvalidArgumentError(
            f"{directory}/{SPEC_FILE} is not a version {VERSION} {FORMAT} description"
        )
    return description


def load(path: Any, element_spec: Any = None, compression: Any = None) -> Any:
    """The dataset saved under ``path``, elements in shard order."""
    from .readers import TFRecordDataset

    directory = os.fspath(path)
    description = _description(directory)
    spec = spec_from_json(description["element_spec"])
    if element_spec is not None and element_spec != spec:
        raise InvalidArgumentError(
            f"load: element_spec {element_spec!r} differs from the saved {spec!r}"
        )
    saved = description["compression"]
    if compression is not None and _compression(compression) != saved:
        raise InvalidArgumentError(f"load: the dataset was saved with compression {saved!r}")
    specs = _nest.flatten(spec)
    files = [os.path.join(directory, name) for name in description["shards"]]

    def decode(record: Any) -> Any:
        parts = parse_tensor(record, "string")
        flat = [ensure_shape(parse_tensor(parts[i], s.dtype), s.shape) for i, s in enumerate(specs)]
        return _nest.pack_sequence_as(spec, flat)

    records = TFRecordDataset(files, compression_type=saved or "")
    # The count is known, so the loaded dataset has a length (Keras takes its steps from it).
    return records.map(decode).assert_cardinality(int(description["elements"]))
