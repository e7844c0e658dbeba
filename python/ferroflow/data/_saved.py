"""``Dataset.save`` and ``Dataset.load``: a directory of TFRecord shards and a description.

The format, version 1:

- ``dataset_spec.json``: ``{"format": "ferroflow.saved_dataset", "version": 1,
  "element_spec": ..., "compression": null | "GZIP" | "ZLIB", "shards": [file names],
  "elements": count}``, written last, so a directory without it is not a saved dataset.
  The element spec is nested JSON: ``{"tuple": [...]}``, ``{"dict": {key: ...}}`` or
  ``{"shape": [dims, null for unknown], "dtype": name}``.
- ``shard-NNNNN.tfrecord``: one record per element, in order within a shard (a save with
  checkpoints writes each shard in parts, ``shard-NNNNN-part-KKKKK.tfrecord``, one part per
  checkpoint interval; ``shards`` lists them in order). A record is
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
from .._object_names import is_remote
from .._ops import parse_tensor, serialize_tensor, stack
from .._spec import TensorSpec
from ..errors import InvalidArgumentError, NotFoundError
from ..io import gfile
from ._window import ShardDataset

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


def _compression(
    value: Any, what: str = "compression must be None, 'GZIP' or 'ZLIB'"
) -> str | None:
    if value not in _COMPRESSIONS:
        raise InvalidArgumentError(f"{what}, got {value!r}")
    return value or None


def _record(*components: Any) -> Any:
    return serialize_tensor(stack([serialize_tensor(c) for c in components]))


def sharded_records(dataset: Any, shard_func: Any, with_elements: bool = False) -> Any:
    """``dataset``'s elements as ``(shard, record)`` pairs: ``shard_func(*element)``'s shard
    (0 when None) and the element serialized as a saved dataset's record; with
    ``with_elements``, ``(element, shard, record)``."""
    packed = isinstance(dataset.element_spec, tuple)

    def pair(*e: Any) -> Any:
        shard = 0 if shard_func is None else shard_func(*e)
        record = _record(*_nest.flatten(e))
        if not with_elements:
            return shard, record
        return (e if packed else e[0]), shard, record

    return dataset.map(pair)


class ShardWriters:
    """The open shard files of a save under ``directory``, one per shard index, each named
    by ``name(shard)``; ``close`` returns the files written, in shard order."""

    def __init__(self, directory: str, compression: str | None, name: Any) -> None:
        from ..io import TFRecordOptions

        self._directory = directory
        self._options = TFRecordOptions(compression_type=compression or "")
        self._name = name
        self._writers: dict[int, tuple[str, Any]] = {}

    def write(self, shard: Any, record: Any) -> None:
        """Appends ``record`` to shard ``shard``'s file, opening it on its first record."""
        from ..io import TFRecordWriter

        shard = int(shard)
        if shard < 0:
            raise InvalidArgumentError(f"shard_func gave shard {shard}")
        if shard not in self._writers:
            if not self._writers:
                gfile.makedirs(self._directory)
            name = self._name(shard)
            path = gfile.join(self._directory, name)
            self._writers[shard] = (name, TFRecordWriter(path, self._options))
        self._writers[shard][1].write(record)

    def close(self) -> list[tuple[int, str]]:
        """Closes every file; the ``(shard, file name)`` of each, in shard order."""
        written = []
        for shard, (name, writer) in sorted(self._writers.items()):
            writer.close()
            written.append((shard, name))
        self._writers.clear()
        return written


_CHECKPOINT_KEYS = {
    "checkpoint_interval",
    "directory",
    "max_to_keep",
    "step_counter",
    "checkpoint_name",
    "keep_checkpoint_every_n_hours",
    "init_fn",
}
_CHECKPOINT_FILE = "save-checkpoint.json"
_DEFAULT_INTERVAL = 1000


def _checkpointing(directory: str, checkpoint_args: Any) -> tuple[str, int] | None:
    """Where a resumable save keeps its checkpoint and how many elements lie between two,
    from ``checkpoint_args`` (tf.train.CheckpointManager's arguments; None: no
    checkpoints)."""
    if checkpoint_args is None:
        return None
    unknown = set(checkpoint_args) - _CHECKPOINT_KEYS
    if unknown:
        raise TypeError(f"save: unknown checkpoint_args {sorted(unknown)}")
    interval = checkpoint_args.get("checkpoint_interval") or _DEFAULT_INTERVAL
    if int(interval) < 1:
        raise InvalidArgumentError(f"save: checkpoint_interval must be positive, got {interval}")
    where = os.fspath(checkpoint_args.get("directory") or gfile.join(directory, "checkpoint"))
    return where, int(interval)


def _shard_files(directory: str) -> list[str]:
    names = gfile.listdir(directory) if gfile.isdir(directory) else []
    return [n for n in names if n.startswith("shard-") and n.endswith(".tfrecord")]


def save(
    dataset: Any,
    path: Any,
    compression: Any = None,
    shard_func: Any = None,
    checkpoint_args: Any = None,
) -> None:
    """Writes every element of ``dataset`` under directory ``path`` (see the module). With
    ``checkpoint_args``, a save cut short goes on from its last checkpoint when called
    again."""
    compression = _compression(compression)
    spec = spec_to_json(dataset.element_spec)
    directory = os.fspath(path)
    gfile.makedirs(directory)
    if gfile.exists(gfile.join(directory, SPEC_FILE)):
        gfile.remove(gfile.join(directory, SPEC_FILE))
    records = sharded_records(dataset, shard_func)
    checkpointing = _checkpointing(directory, checkpoint_args)
    iterator = records.as_numpy_iterator()
    done: list[tuple[int, int, str]] = []  # (shard, part, file) of finished files
    count, part = 0, 0
    state_file = None if checkpointing is None else gfile.join(checkpointing[0], _CHECKPOINT_FILE)
    if state_file is None:
        # A checkpoint an earlier, unfinished save left in the default place speaks of files
        # this save replaces: a later resumable save must not go on from it.
        stale = gfile.join(directory, "checkpoint", _CHECKPOINT_FILE)
        if gfile.exists(stale):
            gfile.remove(stale)
    elif gfile.exists(state_file):
        with gfile.GFile(state_file) as f:
            saved = json.load(f)
        missing = [d[2] for d in saved["done"] if not gfile.exists(gfile.join(directory, d[2]))]
        if missing:
            raise InvalidArgumentError(
                f"save: the checkpoint in {checkpointing[0]} names files no longer in "
                f"{directory} ({missing[0]} ...); remove the checkpoint to start again"
            )
        if saved["compression"] != compression or saved["element_spec"] != spec:
            raise InvalidArgumentError(
                f"save: the checkpoint in {checkpointing[0]} is of another save (compression "
                "or element spec differ); remove it to start again"
            )
        iterator.set_state(saved["iterator"])
        done = [tuple(d) for d in saved["done"]]
        count, part = saved["elements"], saved["part"]
    # Files no checkpoint vouches for are from an earlier or interrupted save.
    for name in set(_shard_files(directory)) - {d[2] for d in done}:
        gfile.remove(gfile.join(directory, name))

    # A file is named when it opens: after a checkpoint closes them, the next part's.
    writers = ShardWriters(
        directory, compression, lambda shard: _shard_name(shard, part if checkpointing else None)
    )

    def close_part() -> None:
        done.extend((shard, part, name) for shard, name in writers.close())

    try:
        for shard, record in iterator:
            writers.write(shard, record)
            count += 1
            if checkpointing is not None and count % checkpointing[1] == 0:
                close_part()
                part += 1
                write_json(
                    state_file,
                    {
                        "compression": compression,
                        "element_spec": spec,
                        "iterator": iterator.get_state(),
                        "done": done,
                        "elements": count,
                        "part": part,
                    },
                )
    finally:
        close_part()
    shards = [name for _, _, name in sorted(done)]
    publish(directory, spec, compression, shards, count)
    if state_file is not None and gfile.exists(state_file):
        gfile.remove(state_file)
        if not is_remote(state_file) and not os.listdir(checkpointing[0]):
            os.rmdir(checkpointing[0])


def _shard_name(shard: int, part: int | None) -> str:
    """A shard's file, or (with checkpoints) one part of it."""
    if part is None:
        return f"shard-{shard:05d}.tfrecord"
    return f"shard-{shard:05d}-part-{part:05d}.tfrecord"


def publish(
    directory: str, spec_json: Any, compression: str | None, shards: list[str], elements: int
) -> None:
    """Writes the description that makes ``directory`` a saved dataset of ``shards`` (file
    names under it), in one step."""
    description = {
        "format": FORMAT,
        "version": VERSION,
        "element_spec": spec_json,
        "compression": compression,
        "shards": shards,
        "elements": elements,
    }
    write_json(gfile.join(directory, SPEC_FILE), description)


def write_json(path: str, value: dict[str, Any]) -> None:
    """Replaces the JSON file at ``path`` in one step, so a crash leaves the old one or the
    new one, never half of one (an object in a store is replaced whole by its write)."""
    if is_remote(path):
        with gfile.GFile(path, "w") as f:
            f.write(json.dumps(value, indent=1))
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = path + ".partial"
    with open(partial, "w") as f:
        json.dump(value, f, indent=1)
    os.replace(partial, path)


def _description(directory: str) -> dict[str, Any]:
    try:
        with gfile.GFile(gfile.join(directory, SPEC_FILE)) as f:
            description = json.load(f)
    except NotFoundError:
        raise NotFoundError(
            f"{directory} holds no saved dataset (no {SPEC_FILE}; was the save finished?)"
        ) from None
    if description.get("format") != FORMAT or description.get("version") != VERSION:
        raise InvalidArgumentError(
            f"{directory}/{SPEC_FILE} is not a version {VERSION} {FORMAT} description"
        )
    return description


def load(
    path: Any, element_spec: Any = None, compression: Any = None, reader_func: Any = None
) -> Any:
    """The dataset saved under ``path``: elements in shard order, or what ``reader_func``
    makes of the dataset of shard datasets."""
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
    files = [gfile.join(directory, name) for name in description["shards"]]

    def decode(record: Any) -> Any:
        parts = parse_tensor(record, "string")
        flat = [ensure_shape(parse_tensor(parts[i], s.dtype), s.shape) for i, s in enumerate(specs)]
        return _nest.pack_sequence_as(spec, flat)

    if reader_func is not None:
        from .dataset import Dataset

        def open_shard(name: Any) -> Any:
            return TFRecordDataset(name, compression_type=saved or "").map(decode)

        shards = ShardDataset(Dataset.from_tensor_slices(files), open_shard, spec)
        read = reader_func(shards)
        if not isinstance(read, Dataset):
            raise TypeError(f"load: reader_func must return a Dataset, got {type(read).__name__}")
        return read
    records = TFRecordDataset(files, compression_type=saved or "")
    # The count is known, so the loaded dataset has a length (Keras takes its steps from it).
    return records.map(decode).assert_cardinality(int(description["elements"]))
