"""Arrow data in (Dataset.from_arrow), Arrow record batches out (as_arrow_iterator), and
Parquet writing (ff.io.write_parquet), checked with pyarrow (and polars when installed)."""

from __future__ import annotations

import numpy as np
import pytest

import ferroflow as ff

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def sample_table(n=10):
    return pa.table(
        {
            "id": pa.array(range(n), pa.int64()),
            "x": pa.array(np.linspace(0, 1, n, dtype=np.float32)),
            "name": pa.array([f"r{i}" for i in range(n)]),
            "vec": pa.array([[i, -i] for i in range(n)], pa.list_(pa.float32(), 2)),
        }
    )


@pytest.mark.parametrize("kind", ["table", "record_batch", "reader"])
def test_from_arrow_takes_tables_batches_and_readers(kind):
    table = sample_table()
    obj = {
        "table": table,
        "record_batch": table.to_batches()[0],
        "reader": pa.RecordBatchReader.from_batches(
            table.schema, table.to_batches(max_chunksize=3)
        ),
    }[kind]
    ds = ff.data.Dataset.from_arrow(obj)
    assert ds.element_spec["vec"] == ff.TensorSpec([2], ff.float32)
    rows = list(ds)
    assert [int(r["id"]) for r in rows] == list(range(10))
    assert rows[3]["name"] == b"r3"
    np.testing.assert_array_equal(rows[3]["vec"], [3, -3])
    batches = list(ds.batch(4))
    np.testing.assert_array_equal(batches[0]["x"], table.column("x").to_numpy()[:4])


def test_from_arrow_takes_a_table_of_several_chunks_and_refuses_other_objects():
    table = pa.concat_tables([sample_table(5), sample_table(5)])
    assert table.column("id").num_chunks == 2
    ids = [int(b["id"][0]) for b in ff.data.Dataset.from_arrow(table).batch(10)]
    assert ids == [0]
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        ff.data.Dataset.from_arrow([1, 2, 3])


def test_from_arrow_nulls_need_a_fill():
    table = pa.table({"v": pa.array([1.5, None, 3.0])})
    with pytest.raises(ff.errors.InvalidArgumentError, match="'v' is null at row 1"):
        list(ff.data.Dataset.from_arrow(table))
    rows = list(ff.data.Dataset.from_arrow(table, null_values={"v": 0.0}))
    assert [float(r["v"]) for r in rows] == [1.5, 0.0, 3.0]


def test_arrow_iterator_yields_record_batches_pyarrow_takes_without_copying():
    ds = ff.data.Dataset.from_arrow(sample_table()).batch(4)
    batches = list(ds.as_arrow_iterator())
    assert [b.num_rows for b in batches] == [4, 4, 2]
    first = pa.record_batch(batches[0])
    assert first.schema.names == ["id", "name", "vec", "x"]
    assert first.column("id").to_pylist() == [0, 1, 2, 3]
    assert first.column("name").to_pylist() == [b"r0", b"r1", b"r2", b"r3"]
    assert first.schema.field("vec").type == pa.list_(pa.float32(), 2)
    assert first.column("vec").to_pylist() == [[0, 0], [1, -1], [2, -2], [3, -3]]
    # Two imports of one batch see the same memory: the export shares its buffers.
    again = pa.record_batch(batches[0])
    assert first.column("x").buffers()[1].address == again.column("x").buffers()[1].address
    table = pa.Table.from_batches([pa.record_batch(b) for b in batches])
    np.testing.assert_array_equal(table.column("x").to_numpy(), sample_table().column("x"))


def test_arrow_iterator_nests_dicts_as_structs_and_keeps_tensor_shapes():
    ds = ff.data.Dataset.from_tensor_slices(
        {"img": np.arange(24, dtype=np.uint8).reshape(2, 3, 4), "meta": {"k": np.array([7, 8])}}
    ).batch(2)
    batch = pa.record_batch(next(iter(ds.as_arrow_iterator())))
    assert batch.schema.field("img").type == pa.list_(pa.list_(pa.uint8(), 4), 3)
    assert batch.schema.field("meta").type == pa.struct([("k", pa.int64())])
    assert batch.column("meta").to_pylist() == [{"k": 7}, {"k": 8}]
    assert batch.column("img").to_pylist()[1][2] == [20, 21, 22, 23]


def test_arrow_iterator_needs_batched_dict_elements():
    with pytest.raises(TypeError, match="dicts of columns"):
        ff.data.Dataset.range(4).batch(2).as_arrow_iterator()
    with pytest.raises(ff.errors.InvalidArgumentError, match="batch the dataset"):
        next(iter(ff.data.Dataset.from_tensor_slices({"a": [1, 2]}).as_arrow_iterator()))


def test_arrow_iterator_gathers_rows_and_makes_varying_dimensions_list_columns():
    ds = ff.data.Dataset.range(10).map(
        lambda i: {
            "id": i,
            "upto": ff.range(i % 4),
            "pair": ff.stack([i, -i]),
            "s": ff.strings.as_string(i),
        }
    )
    batches = [pa.record_batch(b) for b in ds.as_arrow_iterator(rows_per_batch=4)]
    assert [b.num_rows for b in batches] == [4, 4, 2]
    table = pa.Table.from_batches(batches)
    assert table.schema.field("upto").type == pa.list_(pa.int64())
    assert table.schema.field("pair").type == pa.list_(pa.int64(), 2)
    assert table.column("upto").to_pylist() == [list(range(i % 4)) for i in range(10)]
    assert table.column("pair").to_pylist() == [[i, -i] for i in range(10)]
    assert table.column("s").to_pylist() == [b"%d" % i for i in range(10)]
    # A pass of exactly whole batches ends without an empty one.
    assert [b.num_rows for b in ds.take(8).as_arrow_iterator(rows_per_batch=4)] == [4, 4]
    with pytest.raises(ff.errors.InvalidArgumentError, match="rows_per_batch must be positive"):
        ds.as_arrow_iterator(rows_per_batch=0)


def test_polars_takes_the_record_batches():
    pl = pytest.importorskip("polars")
    ds = ff.data.Dataset.from_arrow(sample_table()).batch(10)
    frame = pl.from_arrow(pa.record_batch(next(iter(ds.as_arrow_iterator()))))
    assert frame["id"].to_list() == list(range(10))
    direct = pl.DataFrame(next(iter(ds.as_arrow_iterator())))
    assert direct["id"].to_list() == list(range(10))
    # polars reads a bare array capsule as one struct column.
    column = pl.from_arrow(next(iter(ds.as_arrow_iterator())))
    assert column.struct.unnest()["id"].to_list() == list(range(10))
    back = list(ff.data.Dataset.from_arrow(frame))
    assert [int(r["id"]) for r in back] == list(range(10))


@pytest.mark.parametrize("codec", [None, "snappy", "zstd", "gzip"])
def test_write_parquet_round_trips_through_pyarrow(fixtures, tmp_path, codec):
    source = ff.data.ParquetDataset(
        str(fixtures / "parquet" / "table_snappy.parquet"), null_values={"maybe": -1.0}
    )
    out = tmp_path / "out.parquet"
    assert ff.io.write_parquet(source, out, row_group_size=50, compression=codec) == 300
    written = pq.ParquetFile(out)
    assert written.metadata.num_row_groups == 6
    table = written.read()
    original = pq.read_table(fixtures / "parquet" / "table_snappy.parquet")
    assert table.column("id").to_pylist() == original.column("id").to_pylist()
    assert table.column("x").to_pylist() == original.column("x").to_pylist()
    assert table.column("vec").to_pylist() == original.column("vec").to_pylist()
    assert table.column("seq").to_pylist() == original.column("seq").to_pylist()
    assert table.column("raw").to_pylist() == original.column("raw").to_pylist()
    assert table.column("flag").to_pylist() == original.column("flag").to_pylist()
    assert table.column("word").to_pylist() == [
        w.encode() for w in original.column("word").to_pylist()
    ]
    assert table.column("maybe").to_pylist() == [
        -1.0 if m is None else m for m in original.column("maybe").to_pylist()
    ]
    again = [r["seq"].tolist() for r in ff.data.ParquetDataset(str(out))]
    assert again == original.column("seq").to_pylist()


def test_write_parquet_refuses_bad_input(tmp_path):
    with pytest.raises(TypeError, match="dicts of columns"):
        ff.io.write_parquet(ff.data.Dataset.range(3), tmp_path / "a.parquet")
    with pytest.raises(ff.errors.InvalidArgumentError, match="row_group_size"):
        ff.io.write_parquet(
            ff.data.Dataset.from_tensor_slices({"a": [1]}), tmp_path / "b.parquet", 0
        )
    with pytest.raises(ff.errors.InvalidArgumentError, match="compression"):
        ff.io.write_parquet(
            ff.data.Dataset.from_tensor_slices({"a": [1]}), tmp_path / "c.parquet", 10, "brotli9"
        )


def test_from_arrow_batches_never_alias_the_callers_table():
    table = sample_table()
    batch = next(iter(ff.data.Dataset.from_arrow(table).batch(10)))
    assert not np.shares_memory(batch["x"], table.column("x").to_numpy())
    batch["x"][:] = 7.0
    assert table.column("x").to_pylist()[1] != 7.0
    again = next(iter(ff.data.Dataset.from_arrow(table).batch(10)))
    np.testing.assert_array_equal(again["x"], table.column("x").to_numpy())


def test_dictionary_columns_with_null_keys_take_the_fill():
    empty = pa.DictionaryArray.from_arrays(
        pa.array([None, None], pa.int32()), pa.array([], pa.string())
    )
    table = pa.table({"e": empty, "d": pa.array(["a", None]).dictionary_encode()})
    rows = list(ff.data.Dataset.from_arrow(table, null_values={"e": "y", "d": "-"}))
    assert rows == [{"d": b"a", "e": b"y"}, {"d": b"-", "e": b"y"}]
    with pytest.raises(ff.errors.InvalidArgumentError, match="'d' is null at row 1"):
        list(ff.data.Dataset.from_arrow(table, null_values={"e": "y"}))
