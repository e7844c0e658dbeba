"""``Dataset.snapshot`` with ``compression``, ``shard_func`` or ``reader_func``: the snapshot
is a saved dataset (``Dataset.save``'s format) in the snapshot's directory.

Each pass looks whether the snapshot is complete. If so, it reads it as ``Dataset.load``
does, through ``reader_func``. If not, it runs the pipeline and writes each element it
hands on into the shard ``shard_func`` picks, under a directory of its own
(``run-<id>/``); a pass that reaches the end publishes its run by writing the snapshot's
``dataset_spec.json`` in one step, unless another pass published first. A pass stopped
early removes what it wrote."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from ..io import gfile
from ._functions import dataset_fn
from ._saved import (
    SPEC_FILE,
    ShardWriters,
    _compression,
    _shard_name,
    load,
    publish,
    sharded_records,
    spec_to_json,
)
from ._structure import Structure


def record_compression(compression: Any) -> str | None:
    """The TFRecord compression a snapshot's ``compression`` writes: "AUTO" is Snappy in
    TensorFlow, which TFRecord files here do not offer, so it writes them plain."""
    if compression in ("AUTO", "NONE"):
        return None
    return _compression(compression, "snapshot: compression must be 'AUTO', None, 'GZIP' or 'ZLIB'")


def snapshot(
    dataset: Any, directory: str, compression: str | None, reader_func: Any, shard_func: Any
) -> Any:
    """``dataset`` persisted under ``directory`` on its first complete pass, and read from
    there on every pass after it (see the module)."""
    from .dataset import Dataset

    spec = dataset.element_spec
    spec_json = spec_to_json(spec)  # refuses, at once, what a saved dataset cannot hold
    gfile.makedirs(directory)

    def write_pass() -> Iterator[Any]:
        run = f"run-{uuid.uuid4().hex}"
        run_directory = gfile.join(directory, run)
        writers = ShardWriters(run_directory, compression, lambda shard: _shard_name(shard, None))
        elements, finished = 0, False
        try:
            for element, shard, record in sharded_records(
                dataset, shard_func, with_elements=True
            ).as_numpy_iterator():
                writers.write(shard, record)
                elements += 1
                yield element
            finished = True
        finally:
            written = writers.close()
            if finished and not gfile.exists(gfile.join(directory, SPEC_FILE)):
                shards = [f"{run}/{name}" for _, name in written]
                publish(directory, spec_json, compression, shards, elements)
            elif gfile.isdir(run_directory):
                gfile.rmtree(run_directory)

    def open_pass(_: Any) -> Any:
        if gfile.exists(gfile.join(directory, SPEC_FILE)):
            return load(directory, reader_func=reader_func)
        return Dataset.from_generator(write_pass, output_signature=spec)

    seed = Dataset.from_tensors(0)
    output = Structure(spec)
    fn = dataset_fn(open_pass, seed._structure, output)
    return seed._derive(seed._native.flat_map(fn, "reads or writes a snapshot"), output)
