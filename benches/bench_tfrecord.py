"""TFRecord throughput on generated shards: raw records in batches of 256, and
batch(256) + parse_example, against tf.data's TFRecordDataset(num_parallel_reads=AUTOTUNE).

    python benches/bench_tfrecord.py
"""

from __future__ import annotations

from shards import FEATURES, average_jpeg_size, write_shards

import ferroflow as ff
from harness import measure, optional, report

tf = optional("tensorflow")


def _count(batches, key=None) -> int:
    n = 0
    for b in batches:
        n += len(b[key] if key else b)
    return n


def run(compression: str | None) -> None:
    paths = write_shards(compression=compression)
    total = 16 * 600
    label = compression or "uncompressed"

    def batches(module):
        """The shards' records in batches of 256, read the same way by either system."""
        return module.data.TFRecordDataset(
            paths, compression_type=compression, num_parallel_reads=module.data.AUTOTUNE
        ).batch(256)

    def ff_raw() -> int:
        return _count(batches(ff))

    def ff_parse() -> int:
        return _count(batches(ff).map(lambda s: ff.io.parse_example(s, FEATURES)), "label")

    raw = [measure("ferroflow", ff_raw)]
    parsed = [measure("ferroflow", ff_parse)]
    if tf is not None:
        spec = {
            "image": tf.io.FixedLenFeature([], tf.string),
            "label": tf.io.FixedLenFeature([], tf.int64),
            "embedding": tf.io.FixedLenFeature([64], tf.float32),
            "tokens": tf.io.VarLenFeature(tf.int64),
        }

        def tf_raw() -> int:
            return _count(batches(tf).as_numpy_iterator())

        def tf_parse() -> int:
            ds = batches(tf).map(lambda s: tf.io.parse_example(s, spec))
            # Each value is brought to numpy, as ferroflow hands it over; as_numpy_iterator()
            # is avoided because its SparseTensor conversion is ~300x slower than this loop.
            n = 0
            for b in ds:
                n += len(b["label"].numpy())
                b["image"].numpy(), b["embedding"].numpy(), b["tokens"].values.numpy()
            return n

        raw.append(measure("tf.data", tf_raw))
        parsed.append(measure("tf.data", tf_parse))
    assert all(r.items == total for r in raw + parsed)
    report(f"{label}: TFRecordDataset(AUTOTUNE).batch(256), raw records", raw, "records")
    report(f"{label}: ... .batch(256).map(parse_example)", parsed, "records")


def main() -> None:
    print(
        f"16 shards x 600 records; each a ~{average_jpeg_size() // 1000} KB JPEG, an int64 "
        f"label, 64 floats and a variable int64 list; tf.data: "
        f"{tf.__version__ if tf else 'not installed'}"
    )
    for compression in (None, "GZIP"):
        run(compression)


if __name__ == "__main__":
    main()
