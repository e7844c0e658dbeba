"""Ray Data reading through ferroflow (a local Ray cluster of worker processes on this
machine): TFRecord Examples and Parquet rows come out as Ray's rows with the values written,
files in an object store included; and a ferroflow pipeline runs per Ray Train worker on
that worker's share."""

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ray = pytest.importorskip("ray")

import ferroflow as ff  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _example(i):
    feature = ff.train.Feature
    return ff.train.Example(
        features=ff.train.Features(
            feature={
                "id": feature(int64_list=ff.train.Int64List(value=[i])),
                "vec": feature(float_list=ff.train.FloatList(value=[i, i + 0.5, -1.0])),
                "tokens": feature(int64_list=ff.train.Int64List(value=list(range(i % 4)))),
                "name": feature(bytes_list=ff.train.BytesList(value=[b"n%d" % i])),
            }
        )
    ).SerializeToString()


def _write_shards(folder, shards=3, per_shard=50):
    folder.mkdir(exist_ok=True)
    for s in range(shards):
        with ff.io.TFRecordWriter(str(folder / f"part-{s}.tfrecord")) as writer:
            for i in range(s * per_shard, (s + 1) * per_shard):
                writer.write(_example(i))
    return shards * per_shard


def _want(i):
    return {"id": i, "vec": [i, i + 0.5, -1.0], "tokens": list(range(i % 4)), "name": b"n%d" % i}


def test_read_tfrecords_gives_one_row_per_example_with_inferred_columns(cluster, tmp_path):
    count = _write_shards(tmp_path / "shards")
    ds = ff.ray.read_tfrecords(str(tmp_path / "shards"), override_num_blocks=3)
    schema = ds.schema().base_schema
    assert schema.field("id").type == pa.int64()
    assert schema.field("vec").type == pa.list_(pa.float32(), 3)
    assert pa.types.is_list(schema.field("tokens").type)
    assert schema.field("name").type == pa.binary()
    rows = sorted(ds.take_all(), key=lambda r: r["id"])
    assert len(rows) == count
    for i, row in enumerate(rows):
        assert {k: (list(v) if isinstance(v, np.ndarray) else v) for k, v in row.items()} == _want(
            i
        )


def test_read_tfrecords_with_given_features_and_a_glob(cluster, tmp_path):
    _write_shards(tmp_path / "shards")
    features = {
        "id": ff.io.FixedLenFeature([], ff.int64),
        "name": ff.io.FixedLenFeature([], ff.string),
    }
    ds = ff.ray.read_tfrecords(str(tmp_path / "shards" / "part-[01].tfrecord"), features)
    rows = sorted(ds.take_all(), key=lambda r: r["id"])
    assert rows == [{"id": i, "name": b"n%d" % i} for i in range(100)]


def test_read_parquet_reads_the_columns_asked_for(cluster, tmp_path):
    table = pa.table(
        {"a": np.arange(3000), "b": np.arange(3000) * 0.5, "c": [f"s{i}" for i in range(3000)]}
    )
    (tmp_path / "pq").mkdir()
    for k in range(3):
        pq.write_table(table.slice(k * 1000, 1000), tmp_path / "pq" / f"{k}.parquet")
    ds = ff.ray.read_parquet(str(tmp_path / "pq"), columns=["a", "c"])
    got = ds.to_arrow_refs()
    merged = pa.concat_tables(ray.get(got)).sort_by("a")
    assert merged.column_names == ["a", "c"]
    assert merged.column("a").to_pylist() == list(range(3000))
    assert merged.column("c").to_pylist() == [f"s{i}".encode() for i in range(3000)]


def test_read_tfrecords_from_an_object_store(cluster, s3, tmp_path):
    _write_shards(tmp_path / "shards", shards=2, per_shard=20)
    for s in range(2):
        s3.put(
            "ray",
            f"shards/part-{s}.tfrecord",
            (tmp_path / "shards" / f"part-{s}.tfrecord").read_bytes(),
        )
    # The workers were started before the test set the store's variables: they travel
    # with the job's runtime environment, as a user's credentials would.
    env = {k: v for k, v in s3.environment().items()}
    ds = ff.ray.read_tfrecords("s3://ray/shards/", runtime_env={"env_vars": env})
    assert sorted(r["id"] for r in ds.take_all()) == list(range(40))


def _trainer(kind):
    if kind == "torch":
        pytest.importorskip("torch")
        from ray.train.torch import TorchTrainer

        return TorchTrainer
    # Without torch.distributed: the ranks can only come from Ray Train's context.
    from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

    return DataParallelTrainer


@pytest.mark.parametrize("kind", ["torch", "plain"])
def test_a_pipeline_per_ray_train_worker_reads_its_own_share(cluster, tmp_path, kind):
    from ray.train import RunConfig, ScalingConfig

    trainer_class = _trainer(kind)

    count = _write_shards(tmp_path / "shards", shards=4, per_shard=25)
    out = tmp_path / "seen"
    out.mkdir()

    def train_loop(config):
        import ray.train

        import ferroflow as ff

        context = ray.train.get_context()
        files = ff.data.Dataset.list_files(config["pattern"], shuffle=False)
        ds = files.interleave(ff.data.TFRecordDataset).map(
            lambda r: ff.io.parse_single_example(r, {"id": ff.io.FixedLenFeature([], ff.int64)})[
                "id"
            ]
        )
        mine = ds.distribute(seed=0)
        seen = [int(i) for i in mine.as_numpy_iterator()]
        with open(f"{config['out']}/{context.get_world_rank()}.json", "w") as f:
            json.dump({"seen": seen, "source": mine._distribution["ranks_from"]}, f)

    trainer = trainer_class(
        train_loop,
        train_loop_config={"pattern": str(tmp_path / "shards" / "*.tfrecord"), "out": str(out)},
        scaling_config=ScalingConfig(num_workers=2, use_gpu=False, resources_per_worker={"CPU": 1}),
        run_config=RunConfig(storage_path=str(tmp_path / "runs")),
    )
    trainer.fit()
    reports = [json.loads((out / f"{rank}.json").read_text()) for rank in range(2)]
    want_source = "torch.distributed" if kind == "torch" else "Ray Train"
    assert [r["source"] for r in reports] == [want_source] * 2
    parts = [r["seen"] for r in reports]
    assert len(parts[0]) == len(parts[1]) == count // 2
    assert sorted(parts[0] + parts[1]) == list(range(count))
