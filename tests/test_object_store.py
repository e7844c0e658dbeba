"""Record files in object stores read exactly as the same files on local disk: an
S3-compatible store (a real SeaweedFS server on loopback) and Google Cloud Storage's API
(fake-gcs-server on loopback), each test on each. TFRecord plain and compressed, text lines,
fixed length records, CSV, Parquet and Arrow, in parallel, resumed from a state in the
middle of an object; globs; a missing object and a damaged one are errors naming the object.
Retries and failures for good are checked on the S3 store, through a faulty proxy."""

import gzip

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from object_store_server import FaultyProxy

import ferroflow as ff
from ferroflow.errors import DataLossError, InvalidArgumentError, NotFoundError


def _upload(server, path, key):
    with open(path, "rb") as f:
        return server.put("fixtures", key, f.read())


@pytest.mark.parametrize("name", ["examples.tfrecord", "examples.tfrecord.gz"])
def test_tfrecords_read_from_the_store_equal_the_local_file(store, fixtures, name):
    local = str(fixtures / "tfrecord" / name)
    remote = _upload(store, local, f"tfrecord/{name}")
    compression = "GZIP" if name.endswith(".gz") else None
    want = list(ff.data.TFRecordDataset(local, compression).as_numpy_iterator())
    got = list(ff.data.TFRecordDataset(remote, compression).as_numpy_iterator())
    assert got == want and len(got) > 0


def test_many_objects_in_parallel_and_a_state_in_the_middle_of_one(store, tmp_path):
    urls, want = [], []
    for i in range(4):
        path = tmp_path / f"part-{i}.tfrecord"
        records = [f"{i}-{j}-".encode() * (j % 50 + 1) for j in range(300)]
        with ff.io.TFRecordWriter(str(path)) as writer:
            for r in records:
                writer.write(r)
        urls.append(_upload(store, path, f"parts/part-{i}.tfrecord"))
        want.append(records)
    ds = ff.data.TFRecordDataset(urls, num_parallel_reads=4)
    got = [bytes(r) for r in ds.as_numpy_iterator()]
    assert sorted(got) == sorted(r for records in want for r in records)
    sequential = ff.data.TFRecordDataset(urls)
    it = iter(sequential)
    first = [bytes(next(it).numpy()) for _ in range(450)]
    state = it.get_state()
    resumed = iter(sequential)
    resumed.set_state(state)
    rest = [bytes(r.numpy()) for r in resumed]
    assert first + rest == [r for records in want for r in records]


def test_text_lines_csv_and_fixed_length_records(store, tmp_path):
    text = b"".join(f"line {i}\n".encode() for i in range(1000))
    (tmp_path / "lines.txt.gz").write_bytes(gzip.compress(text))
    url = _upload(store, tmp_path / "lines.txt.gz", "text/lines.txt.gz")
    got = list(ff.data.TextLineDataset(url, compression_type="GZIP").as_numpy_iterator())
    assert got == [f"line {i}".encode() for i in range(1000)]
    body = np.arange(3 * 256, dtype=np.uint8).tobytes()
    (tmp_path / "fixed.bin").write_bytes(b"HEAD" + body + b"FOOT")
    url = _upload(store, tmp_path / "fixed.bin", "fixed/fixed.bin")
    records = ff.data.FixedLengthRecordDataset(url, 256, header_bytes=4, footer_bytes=4)
    assert b"".join(records.as_numpy_iterator()) == body
    url = store.put("fixtures", "csv/table.csv", b'x,y\n1,2.5\n3,"4.5"\n')
    table = ff.data.experimental.CsvDataset(url, [ff.int32, ff.float32], header=True)
    assert [(int(x), float(y)) for x, y in table.as_numpy_iterator()] == [(1, 2.5), (3, 4.5)]


@pytest.mark.parametrize("compression", [None, "GZIP"])
def test_make_csv_dataset_over_objects_equals_the_local_files(store, tmp_path, compression):
    # Column names from the header and types inferred from the rows, read from the objects.
    suffix = ".gz" if compression else ""
    for i in range(2):
        body = "id,score,name\n" + "".join(f"{i * 10 + j},{j / 4},n{j}\n" for j in range(5))
        data = gzip.compress(body.encode()) if compression else body.encode()
        (tmp_path / f"part-{i}.csv{suffix}").write_bytes(data)
        store.put("fixtures", f"csv-parts/part-{i}.csv{suffix}", data)

    def batches(pattern):
        ds = ff.data.experimental.make_csv_dataset(
            pattern,
            4,
            label_name="score",
            num_epochs=1,
            shuffle=False,
            compression_type=compression,
        )
        return [
            ({k: v.tolist() for k, v in features.items()}, label.tolist())
            for features, label in ds.as_numpy_iterator()
        ]

    local = batches(str(tmp_path / f"part-*.csv{suffix}"))
    remote = batches(f"{store.scheme}://fixtures/csv-parts/part-*.csv{suffix}")
    assert remote == local
    assert local[0] == (
        {"id": [0, 1, 2, 3], "name": [b"n0", b"n1", b"n2", b"n3"]},
        [0.0, 0.25, 0.5, 0.75],
    )
    with pytest.raises(ValueError, match="No files match"):
        ff.data.experimental.make_csv_dataset(f"{store.scheme}://fixtures/csv-parts/none-*.csv", 4)


def test_a_missing_or_damaged_object_is_an_error_naming_it(store, fixtures):
    missing = f"{store.scheme}://fixtures/no/such.tfrecord"
    with pytest.raises(NotFoundError, match=missing):
        list(ff.data.TFRecordDataset(missing))
    local = fixtures / "tfrecord" / "bad_data_crc.tfrecord"
    damaged = _upload(store, local, "bad/crc.tfrecord")
    with pytest.raises(DataLossError, match=damaged) as raised:
        list(ff.data.TFRecordDataset(damaged))
    with pytest.raises(DataLossError) as local_raised:
        list(ff.data.TFRecordDataset(str(local)))
    # The same offset as the local file's error.
    assert str(raised.value).replace(damaged, "") == str(local_raised.value).replace(str(local), "")
    # ignore_errors keeps what comes before the damage, as for the local file.
    kept = list(ff.data.TFRecordDataset(damaged).ignore_errors().as_numpy_iterator())
    assert kept == list(ff.data.TFRecordDataset(str(local)).ignore_errors().as_numpy_iterator())


def test_list_files_matches_objects_as_glob_matches_files(store, tmp_path):
    names = ["train-0.tfrecord", "train-1.tfrecord", "test-0.tfrecord", "deeper/train-2.tfrecord"]
    for name in names:
        with ff.io.TFRecordWriter(str(tmp_path / "one")) as writer:
            writer.write(name.encode())
        _upload(store, tmp_path / "one", f"listing/{name}")
    root = f"{store.scheme}://fixtures/listing"
    found = ff.data.Dataset.list_files(f"{root}/train-*.tfrecord", shuffle=False)
    assert [n.decode() for n in found.as_numpy_iterator()] == [
        f"{root}/train-0.tfrecord",
        f"{root}/train-1.tfrecord",
    ]
    records = found.interleave(ff.data.TFRecordDataset, cycle_length=2)
    assert sorted(records.as_numpy_iterator()) == [b"train-0.tfrecord", b"train-1.tfrecord"]
    deeper = ff.data.Dataset.list_files(f"{root}/*/train-?.tfrecord")
    assert [n.decode() for n in deeper.as_numpy_iterator()] == [f"{root}/deeper/train-2.tfrecord"]
    with pytest.raises(InvalidArgumentError, match="to match at least one file"):
        ff.data.Dataset.list_files(f"{root}/none-*")


@pytest.mark.parametrize("name", ["table_zstd.parquet", "table.arrow"])
def test_parquet_and_arrow_read_from_the_store_equal_the_local_file(store, fixtures, name):
    local = str(fixtures / "parquet" / name)
    remote = _upload(store, local, f"columnar/{name}")
    reader = ff.data.ParquetDataset if name.endswith(".parquet") else ff.data.ArrowIPCDataset
    for columns in (["id", "x", "word", "vec", "raw", "flag"], ["id", "word"]):
        want = list(reader(local, columns=columns).batch(16).as_numpy_iterator())
        got = list(reader(remote, columns=columns).batch(16).as_numpy_iterator())
        assert len(got) == len(want) > 0
        for g, w in zip(got, want):
            assert g.keys() == w.keys()
            for key in w:
                np.testing.assert_array_equal(g[key], w[key])


def test_answers_to_try_again_later_are_retried(proxy, s3, fixtures):
    local = fixtures / "tfrecord" / "examples.tfrecord"
    remote = _upload(s3, local, "retried/examples.tfrecord")
    slow = proxy(fail_first=2)
    got = list(ff.data.TFRecordDataset(remote).as_numpy_iterator())
    assert got == list(ff.data.TFRecordDataset(str(local)).as_numpy_iterator())
    assert slow.failed >= 4  # twice for the size, twice for the bytes


def test_a_read_that_fails_for_good_names_the_object_the_range_and_the_cause(
    proxy, s3, fixtures, monkeypatch
):
    remote = _upload(s3, fixtures / "tfrecord" / "examples.tfrecord", "failing/examples.tfrecord")
    down = proxy(fail_first=1000, only="GET")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    with pytest.raises(ff.errors.UnknownError) as raised:
        list(ff.data.TFRecordDataset(remote))
    message = str(raised.value)
    assert remote in message and "bytes 0.." in message and "503" in message, message
    assert down.failed == 3  # the first try and two retries of the one range
    # Nothing was yielded from a range that never came: the pass has no element to give.
    assert list(ff.data.TFRecordDataset(remote).ignore_errors()) == []


def _written_records(path, count, size):
    records = [bytes([i % 251]) * (size + i % 37) for i in range(count)]
    with ff.io.TFRecordWriter(str(path)) as writer:
        for record in records:
            writer.write(record)
    return records


def test_a_record_stream_reads_an_object_in_one_streamed_answer(proxy, s3, tmp_path):
    local = tmp_path / "many.tfrecord"
    records = _written_records(local, 9000, 1000)  # about 9 MiB
    remote = _upload(s3, local, "streamed/many.tfrecord")
    counting = proxy()
    assert list(ff.data.TFRecordDataset(remote).as_numpy_iterator()) == records
    # Its size, then the object in one answer: not a request per record, nor one per range.
    assert len(counting.authorizations) == 2
    assert counting.forwarded_bytes == local.stat().st_size


def test_an_answer_broken_off_mid_stream_is_resumed_where_it_broke(proxy, s3, tmp_path):
    records = _written_records(tmp_path / "cut.tfrecord", 3000, 1000)
    remote = _upload(s3, tmp_path / "cut.tfrecord", "streamed/cut.tfrecord")
    cutting = proxy(cut_first=1)
    assert list(ff.data.TFRecordDataset(remote).as_numpy_iterator()) == records
    assert cutting.cut == 1
    # The retry asks for the rest only, from where the first answer broke off.
    resumed = [r for r in cutting.ranges if r and not r.startswith("bytes=0-")]
    assert len(resumed) == 1, cutting.ranges


def test_answers_broken_off_for_good_end_the_file_after_its_whole_records(
    proxy, s3, tmp_path, monkeypatch
):
    records = _written_records(tmp_path / "cut-for-good.tfrecord", 3000, 1000)
    remote = _upload(s3, tmp_path / "cut-for-good.tfrecord", "streamed/cut-for-good.tfrecord")
    proxy(cut_first=1000)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    with pytest.raises(ff.errors.UnknownError, match="cut-for-good.tfrecord"):
        list(ff.data.TFRecordDataset(remote))
    got = list(ff.data.TFRecordDataset(remote).ignore_errors().as_numpy_iterator())
    # Whole records up to where the bytes stopped coming, none cut short.
    assert 0 < len(got) < len(records) and got == records[: len(got)]


def test_a_file_read_at_scattered_offsets_gives_the_local_bytes(s3, tmp_path):
    data = np.random.default_rng(5).integers(0, 256, 5 << 20, dtype=np.uint8).tobytes()
    (tmp_path / "scattered.bin").write_bytes(data)
    remote = _upload(s3, tmp_path / "scattered.bin", "streamed/scattered.bin")
    # Reading on, a short skip forward (through the stream), a long one (a new stream), a
    # step back (a new range), and on to the end.
    steps = [(0, 10), (10, 2 << 20), (2_500_000, 1000), (4_000_000, 64), (100, 70_000)]
    steps.append((5_000_000, 1 << 20))
    with ff.io.gfile.GFile(remote, "rb") as f:
        for at, size in steps:
            f.seek(at)
            assert f.read(size) == data[at : at + size], (at, size)


def test_an_object_larger_than_a_segment_streams_in_two_answers(proxy, s3, tmp_path):
    # About 69 MiB: a segment of 64 MiB, then the rest (asked for while the first comes).
    local = tmp_path / "large.tfrecord"
    records = _written_records(local, 1100, 64 << 10)
    remote = _upload(s3, local, "streamed/large.tfrecord")
    counting = proxy()
    got = ff.data.TFRecordDataset(remote).as_numpy_iterator()
    assert all(g == r for g, r in zip(got, records, strict=True))
    assert len(counting.authorizations) == 3
    assert counting.forwarded_bytes == local.stat().st_size


def test_parquet_fetches_only_the_columns_asked_for(proxy, s3, tmp_path):
    table = pa.table({f"c{i}": np.random.default_rng(i).random(50_000) for i in range(8)})
    pq.write_table(table, tmp_path / "wide.parquet", row_group_size=10_000, compression="none")
    remote = _upload(s3, tmp_path / "wide.parquet", "wide/wide.parquet")
    size = (tmp_path / "wide.parquet").stat().st_size
    counting = proxy()
    one = [
        float(v)
        for b in ff.data.ParquetDataset(remote, columns=["c3"]).batch(10_000)
        for v in b["c3"]
    ]
    assert one == table.column("c3").to_pylist()
    # One column of eight (and the footer), not the file.
    assert counting.forwarded_bytes < size / 4


def test_aws_profile_files_give_the_endpoint_region_and_keys(
    s3_server, fixtures, tmp_path, monkeypatch
):
    remote = _upload(
        s3_server, fixtures / "tfrecord" / "examples.tfrecord", "profile/examples.tfrecord"
    )
    relay = FaultyProxy(s3_server.endpoint)
    try:
        for key in s3_server.environment():
            monkeypatch.delenv(key, raising=False)
        (tmp_path / "config").write_text(
            f"[default]\nregion = eu-west-1\n\n[profile train]\nregion = us-east-1\n"
            f"endpoint_url = {relay.endpoint}\n"
        )
        (tmp_path / "credentials").write_text(
            "[train]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = not-a-secret\n"
        )
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
        monkeypatch.setenv("AWS_PROFILE", "train")
        monkeypatch.setenv("AWS_ALLOW_HTTP", "true")  # the files have no word for plain HTTP
        got = list(ff.data.TFRecordDataset(remote).as_numpy_iterator())
        local = fixtures / "tfrecord" / "examples.tfrecord"
        assert got == list(ff.data.TFRecordDataset(str(local)).as_numpy_iterator())
        # Every request went to the profile's endpoint, signed with the profile's key.
        assert relay.authorizations
        assert all(
            "Credential=AKIDFROMFILE/" in a and "/us-east-1/s3/" in a for a in relay.authorizations
        )
    finally:
        relay.stop()
