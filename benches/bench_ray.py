"""Ray Data reading TFRecord Examples: ``ray.data.read_tfrecords`` (Ray's own reader, which
parses with TensorFlow's protobuf classes) against ``ferroflow.ray.read_tfrecords`` (the
ferroflow datasource: native reader and parser, Arrow blocks built in Rust), over the 16
shards of ``bench_tfrecord.py`` (a ~20 KB JPEG, a label, 64 floats and a variable-length
list per record). Each system runs in fresh processes, alternating (see ``harness.py``);
each process starts a local Ray cluster of the same size (``ray.init(num_cpus=2)``) before
it is timed, and an epoch is one pass of ``iter_batches(batch_size=256)`` over a dataset
read anew. Ray's reader is given the features as a ``tf_schema`` (it needs
``tensorflow-metadata``): without one it fails on the variable-length list. The CPU figures
count the driver process only, not Ray's worker processes.

    python benches/bench_ray.py [tfrecord] [--rounds 5]
"""

from __future__ import annotations

from shards import write_shards

from harness import System, Workload, main

BATCH = 256


def _start_ray():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    return ray


def _ferroflow():
    def setup():
        _start_ray()
        import ferroflow as ff
        from ferroflow import ray as ffray

        paths = write_shards()
        features = {
            "image": ff.io.FixedLenFeature([], ff.string),
            "label": ff.io.FixedLenFeature([], ff.int64),
            "embedding": ff.io.FixedLenFeature([64], ff.float32),
            "tokens": ff.io.RaggedFeature(ff.int64),
        }

        def epoch():
            ds = ffray.read_tfrecords(paths, features)
            return ds.iter_batches(batch_size=BATCH, batch_format="pyarrow")

        return epoch

    return setup


def _tf_schema():
    """The records' features for Ray's reader: without a schema it makes a one-value list a
    scalar, and the variable-length list then fails to join blocks where it has one value."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema()
    for name, kind in (
        ("image", schema_pb2.FeatureType.BYTES),
        ("label", schema_pb2.FeatureType.INT),
        ("embedding", schema_pb2.FeatureType.FLOAT),
        ("tokens", schema_pb2.FeatureType.INT),
    ):
        feature = schema.feature.add()
        feature.name, feature.type = name, kind
    return schema


def _ray_own():
    def setup():
        ray = _start_ray()
        paths = write_shards()
        schema = _tf_schema()

        def epoch():
            ds = ray.data.read_tfrecords(paths, tf_schema=schema)
            return ds.iter_batches(batch_size=BATCH, batch_format="pyarrow")

        return epoch

    return setup


WORKLOADS = {
    "tfrecord": Workload(
        "Ray Data: 16 TFRecord shards x 600 Examples (~20 KB each), iter_batches(256)",
        "records",
        [
            System("ferroflow.ray.read_tfrecords", _ferroflow(), len, ("ferroflow", "ray")),
            System(
                "ray.data.read_tfrecords",
                _ray_own(),
                len,
                ("ray", "tensorflow", "tensorflow_metadata"),
            ),
        ],
        epochs=3,
    ),
}


if __name__ == "__main__":
    main(WORKLOADS)
