"""ParquetDataset and ArrowIPCDataset against what pyarrow wrote and reads."""

from __future__ import annotations

import base64
import json
import math
import os

import numpy as np
import pytest

import ferroflow as ff

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

CODECS = ["snappy", "zstd", "gzip", "none"]
FILL = {"maybe": -1.0}


def expected_rows(fixtures):
    table = json.loads((fixtures / "parquet" / "table.json").read_text())
    return table


def check_row(row, want):
    assert row["id"] == want["id"] and row["id"].dtype == np.int64
    assert row["x"] == np.float32(want["x"]) and row["x"].dtype == np.float32
    assert row["maybe"] == (-1.0 if want["maybe"] is None else want["maybe"])
    assert row["word"] == want["word"].encode()
    np.testing.assert_array_equal(row["vec"], np.float32(want["vec"]))
    assert row["vec"].shape == (4,)
    np.testing.assert_array_equal(row["seq"], np.int32(want["seq"]))
    assert row["seq"].dtype == np.int32
    assert row["raw"] == base64.b64decode(want["raw"])
    assert row["flag"] == want["flag"]


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_agrees_with_table_json(fixtures, codec):
    table = expected_rows(fixtures)
    ds = ff.data.ParquetDataset(
        str(fixtures / "parquet" / f"table_{codec}.parquet"), null_values=FILL
    )
    assert list(ds.element_spec) == table["columns"]
    assert ds.element_spec["vec"] == ff.TensorSpec([4], ff.float32)
    assert ds.element_spec["seq"] == ff.TensorSpec([None], ff.int32)
    assert ds.cardinality() == table["rows"]
    rows = list(ds)
    assert len(rows) == table["rows"]
    for row, want in zip(rows, table["first_rows"]):
        check_row(row, want)
    assert sum(int(r["id"]) for r in rows) == table["sums"]["id"]
    assert math.isclose(sum(float(r["x"]) for r in rows), table["sums"]["x"], rel_tol=1e-6)
    assert [r["maybe"] == -1.0 for r in rows] == [i % 5 == 0 for i in range(table["rows"])]


def test_arrow_ipc_file_agrees_with_table_json(fixtures):
    table = expected_rows(fixtures)
    rows = list(
        ff.data.ArrowIPCDataset(str(fixtures / "parquet" / "table.arrow"), null_values=FILL)
    )
    assert len(rows) == table["rows"]
    for row, want in zip(rows, table["first_rows"]):
        check_row(row, want)


def test_a_null_without_a_fill_names_column_row_and_file(fixtures):
    path = fixtures / "parquet" / "table_snappy.parquet"
    ds = ff.data.ParquetDataset(str(path)).skip(3)
    with pytest.raises(ff.errors.InvalidArgumentError) as info:
        list(ds)
    message = str(info.value)
    assert "'maybe'" in message and "row 5 of row group 0" in message and path.name in message


def test_projection_reads_only_the_asked_columns(fixtures, tmp_path):
    ds = ff.data.ParquetDataset(
        str(fixtures / "parquet" / "table_zstd.parquet"), columns=["word", "id"]
    )
    assert set(ds.element_spec) == {"id", "word"}
    first = next(iter(ds))
    assert first == {"id": 0, "word": b"alpha"}
    with pytest.raises(ff.errors.InvalidArgumentError, match="no column 'nope'"):
        ff.data.ParquetDataset(str(fixtures / "parquet" / "table_zstd.parquet"), columns=["nope"])


def test_batch_slices_columns_across_row_groups(fixtures):
    path = str(fixtures / "parquet" / "table_snappy.parquet")
    ds = ff.data.ParquetDataset(path, columns=["id", "vec", "word"]).batch(100)
    batches = list(ds)
    assert [len(b["id"]) for b in batches] == [100, 100, 100]
    ids = np.concatenate([b["id"] for b in batches])
    np.testing.assert_array_equal(ids, np.arange(300))
    want = pq.read_table(path, columns=["vec", "word"])
    np.testing.assert_array_equal(
        np.concatenate([b["vec"] for b in batches]),
        np.stack(want.column("vec").to_numpy(zero_copy_only=False)),
    )
    assert list(np.concatenate([b["word"] for b in batches])) == [
        w.encode() for w in want.column("word").to_pylist()
    ]
    assert batches[0]["vec"].flags.c_contiguous and batches[0]["vec"].flags.writeable


def test_variable_lists_batch_only_when_equal_and_pad_otherwise(fixtures):
    path = str(fixtures / "parquet" / "table_none.parquet")
    ds = ff.data.ParquetDataset(path, columns=["seq"])
    with pytest.raises(ff.errors.InvalidArgumentError, match="'seq'.*padded_batch"):
        list(ds.batch(4))
    padded = next(iter(ds.padded_batch(4)))["seq"]
    np.testing.assert_array_equal(padded, [[0, 0, 0], [0, 0, 0], [0, 1, 0], [0, 1, 2]])


def write_table(path, n_rows=100, row_group_size=10, **columns):
    table = pa.table({"id": pa.array(range(n_rows), pa.int64()), **columns})
    pq.write_table(table, path, row_group_size=row_group_size)
    return table


def test_several_files_read_in_order_in_parallel_and_sharded_by_row_group(tmp_path):
    paths = []
    for f in range(3):
        path = tmp_path / f"part{f}.parquet"
        table = pa.table({"id": pa.array(range(f * 100, (f + 1) * 100), pa.int64())})
        pq.write_table(table, path, row_group_size=10)
        paths.append(str(path))
    for reads in (None, 1, 4, ff.data.AUTOTUNE):
        ds = ff.data.ParquetDataset(paths, num_parallel_reads=reads)
        assert [int(r["id"]) for r in ds] == list(range(300))
    from_dataset = ff.data.ParquetDataset(ff.data.Dataset.from_tensor_slices(paths))
    assert from_dataset.cardinality() == 300
    shards = [[int(r["id"]) for r in ff.data.ParquetDataset(paths, shard=(4, i))] for i in range(4)]
    assert sorted(sum(shards, [])) == list(range(300))
    # Row groups of 10 rows: shard 1 holds row groups 1, 5, 9 ... of the 30.
    assert shards[1][:10] == list(range(10, 20)) and shards[1][10:20] == list(range(50, 60))
    with pytest.raises(ff.errors.InvalidArgumentError):
        ff.data.ParquetDataset(paths, shard=(2, 2))


def test_row_group_shuffle_is_seeded_and_keeps_row_groups_whole(tmp_path):
    path = str(tmp_path / "t.parquet")
    write_table(path, n_rows=200, row_group_size=10)
    ds = ff.data.ParquetDataset(path, shuffle_row_groups=True, seed=7)
    first = [int(r["id"]) for r in ds]
    second = [int(r["id"]) for r in ds]
    assert sorted(first) == list(range(200)) and first != list(range(200))
    assert first != second, "each pass reshuffles"
    for order in (first, second):
        groups = [order[i : i + 10] for i in range(0, 200, 10)]
        assert all(g == list(range(g[0], g[0] + 10)) and g[0] % 10 == 0 for g in groups)
    again = ff.data.ParquetDataset(path, shuffle_row_groups=True, seed=7)
    assert [int(r["id"]) for r in again] == first


def test_struct_columns_are_nested_dicts_and_nulls_take_their_fill(tmp_path):
    path = str(tmp_path / "s.parquet")
    point = pa.array(
        [{"x": 1.0, "label": "a"}, {"x": None, "label": "b"}, None],
        pa.struct([("x", pa.float32()), ("label", pa.string())]),
    )
    pq.write_table(pa.table({"p": point, "n": pa.array([1, None, 3], pa.int16())}), path)
    ds = ff.data.ParquetDataset(path, null_values={"p.x": 0.5, "p.label": "?", "n": -1})
    assert ds.element_spec == {
        "n": ff.TensorSpec([], ff.int16),
        "p": {"label": ff.TensorSpec([], ff.string), "x": ff.TensorSpec([], ff.float32)},
    }
    rows = list(ds)
    assert rows == [
        {"n": 1, "p": {"label": b"a", "x": 1.0}},
        {"n": -1, "p": {"label": b"b", "x": 0.5}},
        {"n": 3, "p": {"label": b"?", "x": 0.5}},
    ]
    with pytest.raises(ff.errors.InvalidArgumentError, match="'p.x' is null at row 1"):
        list(ff.data.ParquetDataset(path, null_values={"n": -1, "p.label": "?"}))


def test_all_integer_float_and_string_types(tmp_path):
    path = str(tmp_path / "types.parquet")
    types = {
        "i8": pa.int8(),
        "u16": pa.uint16(),
        "i32": pa.int32(),
        "u64": pa.uint64(),
        "f16": pa.float16(),
        "f64": pa.float64(),
    }
    columns = {n: pa.array(np.arange(5).astype(t.to_pandas_dtype()), t) for n, t in types.items()}
    columns["s"] = pa.array(["", "é", "abc", "d", "ef"], pa.large_string())
    columns["b"] = pa.array([b"\x00", b"", b"xy", b"z", b"\xff"], pa.binary())
    columns["grid"] = pa.array(
        [[[i, i + 1], [i + 2, i + 3]] for i in range(5)],
        pa.list_(pa.list_(pa.int64(), 2), 2),
    )
    pq.write_table(pa.table(columns), path)
    ds = ff.data.ParquetDataset(path)
    batch = next(iter(ds.batch(5)))
    for name, t in types.items():
        assert batch[name].dtype == np.dtype(t.to_pandas_dtype()), name
        np.testing.assert_array_equal(batch[name], np.arange(5))
    assert list(batch["s"]) == [s.encode() for s in ["", "é", "abc", "d", "ef"]]
    assert list(batch["b"]) == [b"\x00", b"", b"xy", b"z", b"\xff"]
    assert batch["grid"].shape == (5, 2, 2)
    np.testing.assert_array_equal(batch["grid"][3], [[3, 4], [5, 6]])


def test_a_damaged_file_is_a_data_loss_error_naming_it(fixtures, tmp_path):
    data = (fixtures / "parquet" / "table_snappy.parquet").read_bytes()
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ff.errors.DataLossError, match="truncated.parquet"):
        ff.data.ParquetDataset(str(truncated))
    # A valid footer over damaged pages: the read fails, naming the file and row group.
    footer_len = int.from_bytes(data[-8:-4], "little")
    body = bytearray(data)
    for i in range(8, len(data) - footer_len - 8, 7):
        body[i] ^= 0x5A
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(bytes(body))
    with pytest.raises(ff.errors.DataLossError, match=r"damaged.parquet: row group 0"):
        list(ff.data.ParquetDataset(str(damaged), null_values=FILL))
    with pytest.raises(ff.errors.NotFoundError, match="missing.parquet"):
        ff.data.ParquetDataset(str(tmp_path / "missing.parquet"))


def test_files_with_different_columns_are_refused(tmp_path):
    a, b = str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")
    write_table(a, n_rows=5)
    pq.write_table(pa.table({"id": pa.array([1.0])}), b)
    with pytest.raises(ff.errors.InvalidArgumentError, match="b.parquet"):
        ff.data.ParquetDataset([a, b])


def test_ragged_batch_cuts_list_columns_into_values_and_row_splits(fixtures):
    path = str(fixtures / "parquet" / "table_gzip.parquet")
    ds = ff.data.ParquetDataset(path, columns=["seq", "id"]).ragged_batch(50)
    assert isinstance(ds.element_spec["seq"], ff.RaggedTensorSpec)
    assert ds.element_spec["id"] == ff.TensorSpec([None], ff.int64)
    want = pq.read_table(path, columns=["seq"]).column("seq").to_pylist()
    got = []
    for batch in ds:  # batches of 50 span row groups of 64
        seq = batch["seq"]
        assert seq.row_splits[0] == 0 and seq.row_splits[-1] == len(seq.flat_values)
        assert seq.flat_values.dtype == np.int32
        got.extend(seq.to_list())
    assert got == want
    # The same through the generic (row by row) path gives the same rows.
    rows = ff.data.ParquetDataset(path, columns=["seq"]).map(lambda r: r["seq"]).ragged_batch(50)
    assert sum((b.to_list() for b in rows), []) == want


def test_ragged_batch_of_null_lists_with_a_fill(tmp_path):
    path = str(tmp_path / "l.parquet")
    lists = pa.array([[1, 2], None, [], [3]], pa.list_(pa.int64()))
    pq.write_table(pa.table({"l": lists}), path)
    with pytest.raises(ff.errors.InvalidArgumentError, match="'l' is null at row 1"):
        list(ff.data.ParquetDataset(path).ragged_batch(4))
    batch = next(iter(ff.data.ParquetDataset(path, null_values={"l": 0}).ragged_batch(4)))
    assert batch["l"].to_list() == [[1, 2], [], [], [3]]


def test_batches_keep_primitive_columns_in_the_decoded_buffers(fixtures):
    path = str(fixtures / "parquet" / "table_snappy.parquet")
    first, second = list(ff.data.ParquetDataset(path, columns=["id", "vec"]).batch(32).take(2))
    for batch in (first, second):
        for column in ("id", "vec"):
            arr = batch[column]
            # The tensor views the Arrow buffer Parquet was decoded into: no copy was made.
            assert type(arr.base.base).__name__ == "ArrowValues", column
            assert arr.flags.writeable and arr.flags.c_contiguous
    assert not np.shares_memory(first["id"], second["id"])
    np.testing.assert_array_equal(second["id"], np.arange(32, 64))
    # Writing to a handed-out batch changes nothing that is read later, cached data included.
    cached = ff.data.ParquetDataset(path, columns=["id"]).batch(50).cache()
    epoch = [b["id"] for b in cached]
    for arr in epoch:
        arr[:] = -1
    again = np.concatenate([b["id"] for b in cached])
    np.testing.assert_array_equal(again, np.arange(300))


def _write_ipc(path, batches, stream=False):
    schema = batches[0].schema
    opener = pa.ipc.new_stream if stream else pa.ipc.new_file
    with opener(str(path), schema) as writer:
        for batch in batches:
            writer.write_batch(batch)


def _ipc_batches(count, rows):
    words = pa.array(["low", "mid", "high"]).dictionary_encode()
    return [
        pa.record_batch(
            {
                "id": pa.array(np.arange(i * rows, (i + 1) * rows)),
                "level": pa.DictionaryArray.from_arrays(
                    pa.array(np.arange(rows) % 3, pa.int8()), words.dictionary
                ),
                "x": pa.array(np.full(rows, i, np.float32)),
            }
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_arrow_ipc_files_of_many_batches_read_in_order_with_dictionaries(tmp_path, stream):
    path = tmp_path / "many.arrow"
    _write_ipc(path, _ipc_batches(300, 7), stream)
    expected = pa.ipc.open_stream(str(path)) if stream else pa.ipc.open_file(str(path))
    table = expected.read_all()
    ds = ff.data.ArrowIPCDataset(str(path), columns=["level", "id"], num_parallel_reads=2)
    out = list(ds.batch(500))
    ids = np.concatenate([b["id"] for b in out])
    np.testing.assert_array_equal(ids, table["id"].to_numpy())
    levels = np.concatenate([b["level"] for b in out])
    assert list(levels) == [s.encode() for s in table["level"].to_pylist()]
    assert set(out[0]) == {"level", "id"}


def test_a_damaged_arrow_ipc_batch_is_a_data_loss_error_naming_it(tmp_path):
    path = tmp_path / "damaged.arrow"
    _write_ipc(path, _ipc_batches(3, 5))
    data = bytearray(path.read_bytes())
    # Messages start with a continuation marker: the schema's, the dictionary's, then one
    # per batch.
    markers = [i for i in range(len(data) - 4) if data[i : i + 4] == b"\xff\xff\xff\xff"]
    start = markers[3]
    data[start : start + 16] = bytes(16)
    path.write_bytes(bytes(data))
    ds = ff.data.ArrowIPCDataset(str(path))
    with pytest.raises(ff.errors.DataLossError, match=r"damaged.arrow: record batch 1"):
        list(ds)
    assert [int(r["id"]) for r in ds.take(5)] == list(range(5))
    truncated = tmp_path / "truncated.arrow"
    truncated.write_bytes(bytes(data[:-20]))
    with pytest.raises(ff.errors.DataLossError, match="truncated.arrow"):
        ff.data.ArrowIPCDataset(str(truncated))


@pytest.mark.parametrize("stream", [False, True])
def test_damaged_arrow_ipc_bytes_fail_cleanly_naming_the_file(tmp_path, stream):
    # Random damage anywhere (footer, schema, dictionary, batch metadata or bodies) either
    # still decodes or is a DataLossError naming the file: never a crash, a panic reported
    # as an internal error, or an allocation sized by a damaged length.
    source = tmp_path / "source.arrow"
    _write_ipc(source, _ipc_batches(4, 7), stream)
    original = source.read_bytes()
    rng = np.random.default_rng(17)
    damaged = tmp_path / "damaged.arrow"
    outcomes = {"ok": 0, "DataLossError": 0}
    for _ in range(100):
        data = bytearray(original)
        for at in rng.integers(0, len(data), rng.integers(1, 5)):
            data[at] = rng.integers(0, 256)
        damaged.write_bytes(bytes(data))
        try:
            list(ff.data.ArrowIPCDataset(str(damaged)))
            outcomes["ok"] += 1
        except ff.errors.DataLossError as e:
            assert "damaged.arrow" in str(e)
            outcomes["DataLossError"] += 1
    assert outcomes["DataLossError"] > 20


def test_a_file_that_is_not_arrow_ipc_is_refused_without_reading_it_as_lengths(tmp_path):
    # "PAR1" read as a stream's first length would be 827 MB.
    other = tmp_path / "table.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), other)
    with pytest.raises(ff.errors.DataLossError, match="table.parquet: not a readable Arrow IPC"):
        ff.data.ArrowIPCDataset(str(other))


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_a_file_replaced_or_deleted_during_a_read_is_read_whole_as_it_was(tmp_path, kind):
    def write(path, offset):
        table = pa.table({"x": np.arange(10_000, dtype=np.int64) + offset})
        if kind == "parquet":
            pq.write_table(table, path, row_group_size=1000)
        else:
            _write_ipc(path, table.to_batches(max_chunksize=1000))

    def dataset(path):
        if kind == "parquet":
            return ff.data.ParquetDataset(str(path))
        return ff.data.ArrowIPCDataset(str(path))

    path, other = tmp_path / f"t.{kind}", tmp_path / f"other.{kind}"
    write(path, 0)
    write(other, 1_000_000)
    it = iter(dataset(path))
    seen = [int(next(it)["x"])]
    os.replace(other, path)  # a new version lands while the old one is read
    seen += [int(e["x"]) for e in it]
    assert seen == list(range(10_000))

    it = iter(dataset(path))
    seen = [int(next(it)["x"])]
    os.remove(path)
    seen += [int(e["x"]) for e in it]
    assert seen == list(range(1_000_000, 1_010_000))


def test_parquet_page_checksums_are_verified(tmp_path):
    values = np.arange(1000, dtype=np.int64) * 7919
    path = tmp_path / "checked.parquet"
    pq.write_table(
        pa.table({"x": values}),
        path,
        write_page_checksum=True,
        compression="none",
        use_dictionary=False,
    )
    assert [int(e["x"]) for e in ff.data.ParquetDataset(str(path))] == values.tolist()
    data = bytearray(path.read_bytes())
    data[data.index(int(values[500]).to_bytes(8, "little"))] ^= 1  # one bit of one value
    path.write_bytes(bytes(data))
    with pytest.raises(ff.errors.DataLossError, match="checked.parquet"):
        list(ff.data.ParquetDataset(str(path)))
