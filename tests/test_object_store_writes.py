"""Writing to an S3-compatible object store (a real SeaweedFS server on loopback): every
writer makes the same bytes in the store as on local disk, ``save``/``load`` and file caches
work on objects, ``gfile`` treats prefixes as directories, and explicit store options work
without the environment."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from object_store_server import FaultyProxy

import ferroflow as ff
from ferroflow.errors import InvalidArgumentError, NotFoundError
from ferroflow.io import gfile


def _records(count, size=100):
    return [bytes([i % 251]) * (size + i % 17) for i in range(count)]


def _write_records(path, records, compression=None):
    with ff.io.TFRecordWriter(path, compression) as writer:
        for r in records:
            writer.write(r)


def _bytes(name):
    with gfile.GFile(name, "rb") as f:
        return f.read()


@pytest.mark.parametrize("compression", [None, "GZIP"])
def test_tfrecord_writer_makes_the_same_object_as_the_local_file(s3, tmp_path, compression):
    s3.put("written", "keep", b"")
    records = _records(500)
    local, remote = str(tmp_path / "r.tfrecord"), "s3://written/tfrecord/r.tfrecord"
    _write_records(local, records, compression)
    _write_records(remote, records, compression)
    assert _bytes(remote) == open(local, "rb").read()
    got = list(ff.data.TFRecordDataset(remote, compression).as_numpy_iterator())
    assert got == records


def test_an_object_larger_than_a_part_is_uploaded_in_parts(s3):
    s3.put("written", "keep", b"")
    # 24 MiB: three parts of 8 MiB, sent while later records are written.
    records = [bytes([i % 256]) * (64 << 10) for i in range(384)]
    url = "s3://written/large/big.tfrecord"
    _write_records(url, records)
    assert gfile.stat(url).length == sum(len(r) + 16 for r in records)
    got = ff.data.TFRecordDataset(url).as_numpy_iterator()
    assert all(g == r for g, r in zip(got, records, strict=True))


def test_write_parquet_makes_the_same_object_as_the_local_file(s3, tmp_path):
    s3.put("written", "keep", b"")
    ds = ff.data.Dataset.range(10_000).map(
        lambda i: {"id": i, "x": ff.cast(i, ff.float32) / 3.0, "w": ff.strings.as_string(i)}
    )
    local, remote = str(tmp_path / "t.parquet"), "s3://written/parquet/t.parquet"
    assert ff.io.write_parquet(ds, local, row_group_size=4096) == 10_000
    assert ff.io.write_parquet(ds, remote, row_group_size=4096) == 10_000
    assert _bytes(remote) == open(local, "rb").read()
    table = pq.read_table(local)
    back = next(iter(ff.data.ParquetDataset(remote, columns=["id", "w"]).batch(10_000)))
    np.testing.assert_array_equal(back["id"].numpy(), table.column("id").to_numpy())
    assert (
        list(back["w"].numpy())
        == table.column("w").to_pylist()
        == [b"%d" % i for i in range(10_000)]
    )


def test_write_file_and_read_file_on_objects(s3):
    s3.put("written", "keep", b"")
    url = "s3://written/io/blob.bin"
    payload = bytes(range(256)) * 100
    ff.io.write_file(url, payload)
    assert ff.io.read_file(url).numpy() == payload
    ff.io.write_file("s3://written/io/empty.bin", b"")
    assert ff.io.read_file("s3://written/io/empty.bin").numpy() == b""
    # Inside a traced map function too.
    names = ff.data.Dataset.from_tensor_slices([url, "s3://written/io/empty.bin"])
    assert list(names.map(ff.io.read_file).as_numpy_iterator()) == [payload, b""]
    with pytest.raises(NotFoundError, match="s3://written/io/none.bin"):
        ff.io.read_file("s3://written/io/none.bin")


def test_save_and_load_on_objects_equal_local(s3, tmp_path):
    s3.put("written", "keep", b"")
    ds = ff.data.Dataset.range(100).map(lambda i: {"i": i, "sq": ff.fill([3], i * i)})
    url = "s3://written/saved/run1"
    ds.save(url, compression="GZIP", shard_func=lambda e: e["i"] % 3)
    ds.save(str(tmp_path / "run1"), compression="GZIP", shard_func=lambda e: e["i"] % 3)
    assert sorted(gfile.listdir(url)) == sorted(gfile.listdir(str(tmp_path / "run1")))
    for name in gfile.listdir(url):
        assert _bytes(f"{url}/{name}") == _bytes(str(tmp_path / "run1" / name))
    loaded = ff.data.Dataset.load(url)
    assert loaded.cardinality() == 100
    got = sorted(int(e["i"]) for e in loaded.as_numpy_iterator())
    assert got == list(range(100))
    description = json.loads(_bytes(f"{url}/dataset_spec.json"))
    assert description["elements"] == 100 and len(description["shards"]) == 3
    with pytest.raises(NotFoundError, match="no saved dataset"):
        ff.data.Dataset.load("s3://written/saved/none")


def test_a_cache_file_in_the_store_is_written_once_and_replayed(s3):
    records = _records(200)
    source = "s3://written/cached/source.tfrecord"
    s3.put("written", "keep", b"")
    _write_records(source, records)
    cached = ff.data.TFRecordDataset(source).cache("s3://written/cached/c")
    assert list(cached.as_numpy_iterator()) == records
    assert gfile.exists("s3://written/cached/c.ffcache")
    gfile.remove(source)
    # The source is gone: the second pass can only come from the cache object.
    assert list(cached.as_numpy_iterator()) == records


def test_a_sharded_snapshot_in_the_store_is_written_once_and_replayed(s3):
    s3.put("written", "keep", b"")
    calls = []

    def gen():
        calls.append(1)
        yield from range(30)

    def build():
        source = ff.data.Dataset.from_generator(gen, output_signature=ff.TensorSpec([], ff.int64))
        return source.snapshot("s3://written/snap", compression="GZIP", shard_func=lambda x: x % 2)

    assert [int(x) for x in build()] == list(range(30)) and len(calls) == 1
    (snapshot,) = gfile.listdir("s3://written/snap")
    description = json.loads(_bytes(f"s3://written/snap/{snapshot}dataset_spec.json"))
    assert description["elements"] == 30 and len(description["shards"]) == 2
    # Shard after shard: the even elements, then the odd ones.
    assert [int(x) for x in build()] == list(range(0, 30, 2)) + list(range(1, 30, 2))
    assert len(calls) == 1


def test_gfile_on_objects(s3, tmp_path):
    s3.put("written", "keep", b"")
    root = "s3://written/tree"
    for name in ["a.txt", "b.txt", "sub/c.txt", "sub/deep/d.txt"]:
        with gfile.GFile(f"{root}/{name}", "w") as f:
            f.write(f"{name}\nsecond line\n")
    assert gfile.exists(f"{root}/a.txt") and gfile.exists(root) and gfile.isdir(f"{root}/sub")
    assert not gfile.exists(f"{root}/none") and not gfile.isdir(f"{root}/a.txt")
    assert sorted(gfile.listdir(root)) == ["a.txt", "b.txt", "sub/"]
    assert gfile.glob(f"{root}/*.txt") == [f"{root}/a.txt", f"{root}/b.txt"]
    walked = list(gfile.walk(root))
    assert walked == [
        (root, ["sub"], ["a.txt", "b.txt"]),
        (f"{root}/sub", ["deep"], ["c.txt"]),
        (f"{root}/sub/deep", [], ["d.txt"]),
    ]
    info = gfile.stat(f"{root}/a.txt")
    assert (info.length, info.is_directory) == (len("a.txt\nsecond line\n"), False)
    assert gfile.stat(f"{root}/sub").is_directory
    with gfile.GFile(f"{root}/sub/c.txt") as f:
        assert list(f) == ["sub/c.txt\n", "second line\n"]
    with gfile.GFile(f"{root}/sub/c.txt", "rb") as f:
        f.seek(4)
        assert f.read(5) == b"c.txt" and f.tell() == 9
    # Copies within the store, to it and from it.
    gfile.copy(f"{root}/a.txt", f"{root}/copied.txt")
    gfile.copy(f"{root}/b.txt", str(tmp_path / "b.txt"))
    gfile.copy(str(tmp_path / "b.txt"), f"{root}/uploaded.txt")
    assert _bytes(f"{root}/copied.txt") == _bytes(f"{root}/a.txt")
    assert (
        _bytes(f"{root}/uploaded.txt")
        == (tmp_path / "b.txt").read_bytes()
        == _bytes(f"{root}/b.txt")
    )
    with pytest.raises(ff.errors.AlreadyExistsError):
        gfile.copy(f"{root}/a.txt", f"{root}/b.txt")
    gfile.rename(f"{root}/copied.txt", f"{root}/renamed.txt")
    assert not gfile.exists(f"{root}/copied.txt") and gfile.exists(f"{root}/renamed.txt")
    gfile.remove(f"{root}/renamed.txt")
    with pytest.raises(NotFoundError, match="renamed.txt"):
        gfile.remove(f"{root}/renamed.txt")
    gfile.rmtree(f"{root}/sub")
    assert not gfile.exists(f"{root}/sub/c.txt")
    # (SeaweedFS keeps emptied folders as prefixes; S3 would list nothing at all.)
    assert not any(files for _, _, files in gfile.walk(f"{root}/sub")), list(
        gfile.walk(f"{root}/sub")
    )
    assert gfile.listdir(root) == ["a.txt", "b.txt", "uploaded.txt", "sub/"]


def test_a_directory_renamed_in_a_store_moves_every_object_under_it(s3, tmp_path):
    s3.put("written", "keep", b"")
    root = "s3://written/moving"
    contents = {"a.txt": b"first", "sub/b.bin": bytes(range(256)) * 300, "sub/deep/c": b""}
    for name, data in contents.items():
        with gfile.GFile(f"{root}/tree/{name}", "wb") as f:
            f.write(data)
    gfile.rename(f"{root}/tree", f"{root}/moved")
    moved = [f"{top}/{name}" for top, _, names in gfile.walk(f"{root}/moved") for name in names]
    assert sorted(moved) == [f"{root}/moved/{name}" for name in sorted(contents)]
    assert {n: _bytes(f"{root}/moved/{n}") for n in contents} == contents
    # (SeaweedFS keeps emptied folders as prefixes; no object is left under them.)
    assert not any(files for _, _, files in gfile.walk(f"{root}/tree"))
    with gfile.GFile(f"{root}/other/a.txt", "wb") as f:
        f.write(b"kept")
    with pytest.raises(ff.errors.AlreadyExistsError):
        gfile.rename(f"{root}/other", f"{root}/moved")
    gfile.rename(f"{root}/other", f"{root}/moved", overwrite=True)
    assert _bytes(f"{root}/moved/a.txt") == b"kept"
    assert _bytes(f"{root}/moved/sub/b.bin") == contents["sub/b.bin"]
    with pytest.raises(ff.errors.UnimplementedError, match="between stores only"):
        gfile.rename(f"{root}/moved", str(tmp_path / "local"))


def test_rmtree_deletes_many_objects_per_request(proxy, s3):
    s3.put("written", "keep", b"")
    root = "s3://written/many"
    for i in range(40):
        with gfile.GFile(f"{root}/{i % 3}/{i}.txt", "w") as f:
            f.write(str(i))
    counting = proxy()
    gfile.rmtree(root)
    # One listing and one bulk delete, not a stat and a delete per object.
    assert len(counting.authorizations) == 2
    assert not any(files for _, _, files in gfile.walk(root))


def test_an_object_whose_writing_raised_is_not_created(s3):
    s3.put("written", "keep", b"")
    url = "s3://written/failed/half.txt"
    with pytest.raises(RuntimeError), gfile.GFile(url, "w") as f:
        f.write("half of it")
        raise RuntimeError("the producer failed")
    assert not gfile.exists(url)
    with pytest.raises(ff.errors.UnimplementedError, match="written whole"):
        with gfile.GFile(url, "a") as f:
            f.write("more")


def test_writing_to_a_bucket_that_does_not_exist_names_the_object(s3):
    with pytest.raises(ff.errors.OpError, match="s3://no-such-bucket/x.tfrecord"):
        _write_records("s3://no-such-bucket/x.tfrecord", _records(3))


def test_explicit_storage_options_replace_the_environment(s3_server, monkeypatch):
    s3_server.put("written", "opts/one.txt", b"through options")
    for key in s3_server.environment():
        monkeypatch.delenv(key, raising=False)
    options = {
        "endpoint": s3_server.endpoint,
        "allow_http": True,
        "skip_signature": True,
        "region": "us-east-1",
    }
    s3_server.put("written", "relayed/two.txt", b"through the relay")
    relay = FaultyProxy(s3_server.endpoint)
    ff.io.set_storage_options("s3://written/", options)
    # A longer prefix in the same bucket with options of its own: its own client.
    ff.io.set_storage_options("s3://written/relayed/", {**options, "endpoint": relay.endpoint})
    try:
        assert ff.io.read_file("s3://written/opts/one.txt").numpy() == b"through options"
        assert not relay.authorizations
        assert ff.io.read_file("s3://written/relayed/two.txt").numpy() == b"through the relay"
        assert relay.authorizations
        assert ff.io.read_file("s3://written/opts/one.txt").numpy() == b"through options"
        with pytest.raises(InvalidArgumentError, match="no_such_key"):
            ff.io.set_storage_options("s3://written/", {"no_such_key": "1"})
        # Options for every bucket, under the longer prefixes' own.
        ff.io.set_storage_options("s3://written/", None)
        ff.io.set_storage_options("s3://", options)
        assert ff.io.read_file("s3://written/opts/one.txt").numpy() == b"through options"
    finally:
        ff.io.set_storage_options("s3://", None)
        ff.io.set_storage_options("s3://written/", None)
        ff.io.set_storage_options("s3://written/relayed/", None)
        relay.stop()


def _options_alone(s3_server, monkeypatch):
    """The server's settings as a call's ``storage_options``, with none in the environment:
    each call then reaches the server only through its own argument (the tests empty the
    registry between calls)."""
    for key in s3_server.environment():
        monkeypatch.delenv(key, raising=False)
    s3_server.put("written", "keep", b"")
    return {
        "endpoint": s3_server.endpoint,
        "allow_http": True,
        "skip_signature": True,
        "region": "us-east-1",
    }


def test_storage_options_given_to_a_reader_or_writer_reach_its_store(s3_server, monkeypatch):
    options = _options_alone(s3_server, monkeypatch)
    url, table = "s3://written/per-call/a.tfrecord", "s3://written/per-call/t.parquet"
    records = _records(7)
    rows = ff.data.Dataset.range(50).map(lambda i: {"i": i, "half": ff.cast(i, ff.float32) / 2})

    def forget():
        ff.io.set_storage_options("s3://written/", None)

    try:
        with ff.io.TFRecordWriter(url, storage_options=options) as writer:
            for r in records:
                writer.write(r)
        forget()
        assert ff.io.write_parquet(rows, table, storage_options=options) == 50
        forget()
        found = ff.data.Dataset.list_files(
            "s3://written/per-call/*.tfrecord", shuffle=False, storage_options=options
        )
        assert [bytes(n) for n in found.as_numpy_iterator()] == [url.encode()]
        forget()
        read = ff.data.TFRecordDataset(url, storage_options=options)
        assert [bytes(r) for r in read.as_numpy_iterator()] == records
        forget()
        parquet = ff.data.ParquetDataset([table], storage_options=options)
        assert [int(r["i"]) for r in parquet.as_numpy_iterator()] == list(range(50))
        # Credentials change nothing a dataset yields: not its fingerprint either.
        other = ff.data.TFRecordDataset(url, storage_options={**options, "region": "eu-west-1"})
        assert other._fingerprint == read._fingerprint == ff.data.TFRecordDataset(url)._fingerprint
        with pytest.raises(TypeError, match="not a Dataset of them"):
            ff.data.TFRecordDataset(ff.data.Dataset.from_tensors(url), storage_options=options)
    finally:
        forget()


def test_storage_options_given_to_save_load_cache_gfile_and_read_file(s3_server, monkeypatch):
    options = _options_alone(s3_server, monkeypatch)
    base = "s3://written/per-call-files"
    ds = ff.data.Dataset.range(20).map(lambda i: (i, ff.cast(i, ff.float32) * 0.5))

    def forget():
        ff.io.set_storage_options("s3://written/", None)

    def values(dataset):
        return [(int(a), float(b)) for a, b in dataset.as_numpy_iterator()]

    try:
        forget()
        ds.save(f"{base}/saved", storage_options=options)
        forget()
        assert values(ff.data.Dataset.load(f"{base}/saved", storage_options=options)) == values(ds)
        forget()
        cached = ds.cache(f"{base}/cache", storage_options=options)
        assert values(cached) == values(ds) == values(cached)
        forget()
        with ff.io.gfile.GFile(f"{base}/note.txt", "w", storage_options=options) as f:
            f.write("hello")
        forget()
        read = ff.io.read_file(f"{base}/note.txt", storage_options=options)
        assert read.numpy() == b"hello"
        forget()
        with ff.io.gfile.GFile(f"{base}/note.txt", "rb", storage_options=options) as f:
            assert f.read() == b"hello"
        forget()
        snapshot = ds.snapshot(
            f"{base}/snap", shard_func=lambda i, x: i % 2, storage_options=options
        )
        assert sorted(values(snapshot)) == sorted(values(ds))
        forget()
        # A name a map computes is only known as it runs: with options of its own the
        # function cannot be traced, and runs as Python with each name at hand.
        names = ff.data.Dataset.from_tensors(f"{base}/note.txt")
        mapped = names.map(lambda name: ff.io.read_file(name, storage_options=options))
        assert list(mapped.as_numpy_iterator()) == [b"hello"]
        it = iter(mapped)
        next(it)
        assert any("not one a traced function computes" in " ".join(s["notes"]) for s in it.stats())
    finally:
        forget()
