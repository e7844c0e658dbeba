"""TFRecord throughput on generated shards (16 x 600 records, each a JPEG, an int64 label,
64 floats and a variable-length int64 list), uncompressed and GZIP:

- raw: ``TFRecordDataset(paths, num_parallel_reads=AUTOTUNE).batch(256)``, the records as
  they come: ferroflow's numpy arrays of ``bytes``; tf.data's string tensors (what a
  TensorFlow loop gets) and through ``as_numpy_iterator()``.
- parse: the same ``.map(parse_example)``: ferroflow's numpy values; tf.data's tensors
  with every value brought to numpy (``.numpy()``, the sparse tokens' values), as a
  PyTorch or JAX loop needs them (its ``as_numpy_iterator()`` converts SparseTensors about
  300x slower, which would measure that instead).

Each system runs in fresh processes, alternating (see ``harness.py``).

    python benches/bench_tfrecord.py [raw parse raw_gzip parse_gzip] [--rounds 5]
"""

from __future__ import annotations

from shards import write_shards

from harness import System, Workload, main

RECORDS = 16 * 600


def _batches(module, compression):
    return module.data.TFRecordDataset(
        write_shards(compression=compression),
        compression_type=compression,
        num_parallel_reads=module.data.AUTOTUNE,
    ).batch(256)


def ferroflow_epochs(compression, parse: bool):
    def setup():
        from shards import features

        import ferroflow as ff

        dataset = _batches(ff, compression)
        if parse:
            dataset = dataset.map(lambda s: ff.io.parse_example(s, features(ff)))
        return lambda: dataset

    return setup


def tf_epochs(compression, parse: bool, numpy: bool):
    def setup():
        import tensorflow as tf

        dataset = _batches(tf, compression)
        if not parse:
            return dataset.as_numpy_iterator if numpy else (lambda: dataset)
        from shards import features

        spec = features(tf)
        parsed = dataset.map(lambda s: tf.io.parse_example(s, spec))

        def epoch():
            for b in parsed:
                yield {
                    "label": b["label"].numpy(),
                    "image": b["image"].numpy(),
                    "embedding": b["embedding"].numpy(),
                    "tokens": b["tokens"].values.numpy(),
                }

        return epoch

    return setup


def _records(batch) -> int:
    return len(batch["label"]) if isinstance(batch, dict) else int(batch.shape[0])


def _workload(compression, parse: bool) -> Workload:
    label = compression or "uncompressed"
    what = ".batch(256).map(parse_example)" if parse else ".batch(256), raw records"
    systems = [System("ferroflow", ferroflow_epochs(compression, parse), _records, ("ferroflow",))]
    if parse:
        systems.append(
            System(
                "tf.data (to numpy)",
                tf_epochs(compression, True, True),
                _records,
                ("tensorflow",),
            )
        )
    else:
        systems += [
            System(
                "tf.data (tensors)", tf_epochs(compression, False, False), _records, ("tensorflow",)
            ),
            System(
                "tf.data (numpy)", tf_epochs(compression, False, True), _records, ("tensorflow",)
            ),
        ]
    return Workload(
        f"{RECORDS} records, {label}: TFRecordDataset(AUTOTUNE){what}",
        "records",
        systems,
        files=lambda: write_shards(compression=compression),
    )


WORKLOADS = {
    "raw": _workload(None, False),
    "parse": _workload(None, True),
    "raw_gzip": _workload("GZIP", False),
    "parse_gzip": _workload("GZIP", True),
}


if __name__ == "__main__":
    write_shards()
    write_shards(compression="GZIP")
    main(WORKLOADS)
