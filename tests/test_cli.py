"""The ``ferroflow`` command line (``ferroflow.cli``) against the reference files: counts,
checksums, damage offsets and Example specs as TensorFlow and pyarrow see them, and the
TFRecord <-> Parquet conversion round trip."""

from __future__ import annotations

import base64
import importlib.metadata
import io
import json
import random
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import ferroflow as ff
from ferroflow import cli

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_FILES = [
    ("examples.tfrecord", "NONE", ""),
    ("examples.tfrecord.gz", "GZIP", "GZIP"),
    ("examples.tfrecord.zlib", "ZLIB", "ZLIB"),
]


def run(capsys, *args):
    """Runs the command line in this process: (exit status, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def inspect_json(capsys, *paths):
    code, out, _ = run(capsys, "inspect", "--json", *paths)
    return code, json.loads(out)


def eval_spec(source):
    return eval(source, {"ff": ff})


def parsed_rows(parsed, rows):
    """Per feature, each record's values as a list (sparse values split by row)."""
    out = {}
    for name, value in parsed.items():
        if isinstance(value, ff.SparseTensor):
            lists = [[] for _ in range(rows)]
            for (row, _), v in zip(value.indices.tolist(), value.values.tolist()):
                lists[row].append(v)
            out[name] = lists
        else:
            out[name] = [np.atleast_1d(v).tolist() for v in value]
    return out


def expected_rows(fixtures):
    """examples.json: per feature, each record's values, as TensorFlow decoded them."""
    records = json.loads((fixtures / "tfrecord" / "examples.json").read_text())["records"]
    out = {}
    for record in records:
        for name, feature in record.items():
            if "values_b64" in feature:
                values = [base64.b64decode(v) for v in feature["values_b64"]]
            elif feature["kind"] == "float_list":
                values = [float(np.float32(v)) for v in feature["values"]]
            else:
                values = list(feature["values"])
            out.setdefault(name, []).append(values)
    return out


def read_records(paths, compression=""):
    return list(ff.data.TFRecordDataset([str(p) for p in paths], compression).as_numpy_iterator())


@pytest.mark.parametrize("name,compression,tf_compression", EXAMPLE_FILES)
def test_inspect_counts_examples_and_its_spec_parses_tensorflows_values(
    capsys, fixtures, name, compression, tf_compression
):
    path = fixtures / "tfrecord" / name
    code, doc = inspect_json(capsys, path)
    assert code == 0
    [report] = doc["files"]
    assert report["format"] == "tfrecord"
    assert report["compression"] == compression
    assert report["records"] == 50
    assert report["damage"] is None
    assert report["contents"] == "example"
    spec = eval_spec(report["spec"])
    assert spec == {
        "label": ff.io.FixedLenFeature([], ff.int64),
        "embedding": ff.io.FixedLenFeature([8], ff.float32),
        "name": ff.io.FixedLenFeature([], ff.string),
        "tokens": ff.io.VarLenFeature(ff.int64),
        "score": ff.io.FixedLenFeature([], ff.float32),
        "blob": ff.io.FixedLenFeature([], ff.string),
        "tags": ff.io.VarLenFeature(ff.string),
        "id": ff.io.FixedLenFeature([], ff.int64),
    }
    parsed = ff.io.parse_example(read_records([path], tf_compression), spec)
    assert parsed["embedding"].shape == (50, 8)
    assert parsed_rows(parsed, 50) == expected_rows(fixtures)


def test_feature_statistics_agree_with_tensorflows_decoding(capsys, fixtures):
    _, doc = inspect_json(capsys, fixtures / "tfrecord" / "examples.tfrecord")
    expected = expected_rows(fixtures)
    for f in doc["files"][0]["features"]:
        lengths = [len(v) for v in expected[f["name"]]]
        assert f["records"] == 50
        assert (f["min_length"], f["max_length"]) == (min(lengths), max(lengths))
        assert f["values"] == sum(lengths)


def test_the_printed_text_spec_is_pasteable(capsys, fixtures):
    code, out, err = run(capsys, "inspect", fixtures / "tfrecord" / "examples.tfrecord")
    assert code == 0
    assert "TFRecord, uncompressed" in out
    assert "50, every length and data CRC valid" in out
    # The spec block starts at a line "{" and ends at the next "}".
    block = re.search(r"^\{$.*?^\}$", out, re.S | re.M)
    assert block is not None, out
    spec = eval_spec(block.group(0))
    assert spec["embedding"] == ff.io.FixedLenFeature([8], ff.float32)
    assert spec["tags"] == ff.io.VarLenFeature(ff.string)
    assert err == ""


def tensorflow_offset(entry):
    """The byte offset in TensorFlow's message ("corrupted record at 45")."""
    return int(re.search(r"record at (\d+)", entry["message"]).group(1))


def test_damaged_files_name_tensorflows_offset_and_fail(capsys, fixtures):
    damaged = json.loads((fixtures / "tfrecord" / "damaged.json").read_text())
    good = fixtures / "tfrecord" / "examples.tfrecord"
    for name, entry in damaged.items():
        code, doc = inspect_json(capsys, fixtures / "tfrecord" / name, good)
        assert code != 0, name
        report, other = doc["files"]
        damage = report["damage"]
        assert damage is not None, name
        assert name in damage["message"]
        if entry.get("tensorflow_crashed"):
            # A length of 2**40 with a valid CRC: refused before anything is allocated.
            assert (damage["kind"], damage["offset"], report["records"]) == ("truncated", 0, 0)
        else:
            assert damage["offset"] == tensorflow_offset(entry), name
            assert report["records"] == entry["records_before_error"], name
        # The other file is still reported in full.
        assert other["records"] == 50 and other["damage"] is None
        assert doc["summary"]["damaged"] == 1


def test_damage_kinds_are_told_apart(capsys, fixtures):
    kinds = {}
    for name in ["truncated", "bad_data_crc", "bad_length_crc"]:
        _, doc = inspect_json(capsys, fixtures / "tfrecord" / f"{name}.tfrecord")
        kinds[name] = doc["files"][0]["damage"]
    assert kinds["truncated"]["kind"] == "truncated"
    assert kinds["bad_length_crc"]["kind"] == "length_crc"
    assert kinds["bad_data_crc"]["kind"] == "data_crc"
    # The data CRC covers the data, which follows the 12-byte header of record 2 at 33.
    assert (kinds["bad_data_crc"]["record_offset"], kinds["bad_data_crc"]["record"]) == (33, 2)


@pytest.mark.parametrize("command", ["console script", "python -m"])
def test_entry_point_in_a_subprocess_reports_damage_without_progress_bar(
    fixtures, tmp_path, command
):
    # The installed package, from a folder outside the checkout: the console script pip put
    # beside this interpreter, or the package run as a module.
    script = Path(sysconfig.get_path("scripts")) / "ferroflow"
    argv = [str(script)] if command == "console script" else [sys.executable, "-m", "ferroflow"]
    result = subprocess.run(
        [
            *argv,
            "inspect",
            str(fixtures / "tfrecord" / "bad_data_crc.tfrecord"),
            str(fixtures / "tfrecord" / "examples.tfrecord.gz"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1
    assert "data CRC mismatch at offset 45" in result.stdout
    assert "GZIP compressed" in result.stdout
    assert "every length and data CRC valid" in result.stdout
    # stderr is a pipe here: no progress line.
    assert "\r" not in result.stderr and result.stderr == ""


def test_a_damaged_compressed_file_is_reported_in_the_decompressed_stream(
    capsys, fixtures, tmp_path
):
    data = (fixtures / "tfrecord" / "examples.tfrecord.gz").read_bytes()
    cut = tmp_path / "cut.tfrecord.gz"
    cut.write_bytes(data[: len(data) // 2])
    code, out, _ = run(capsys, "inspect", cut)
    assert code == 1
    assert "of the decompressed stream" in out
    _, doc = inspect_json(capsys, cut)
    report = doc["files"][0]
    assert report["compression"] == "GZIP"
    assert 0 < report["records"] < 50
    assert report["damage"]["record"] == report["records"]


@pytest.mark.parametrize("codec", ["snappy", "zstd", "gzip", "none"])
def test_parquet_reports_rows_row_groups_codec_and_schema(capsys, fixtures, codec):
    pq = pytest.importorskip("pyarrow.parquet")
    path = fixtures / "parquet" / f"table_{codec}.parquet"
    code, doc = inspect_json(capsys, path)
    assert code == 0
    [r] = doc["files"]
    table = json.loads((fixtures / "parquet" / "table.json").read_text())
    assert r["format"] == "parquet"
    assert r["rows"] == table["rows"] == 300
    assert r["row_groups"] == 5
    assert r["row_group_rows"] == [64, 64, 64, 64, 44]
    meta = pq.ParquetFile(path).metadata
    assert r["codecs"] == [meta.row_group(0).column(0).compression]
    assert [c["name"] for c in r["columns"]] == table["columns"]
    maybe = next(c for c in r["leaf_columns"] if c["path"] == "maybe")
    assert maybe["null_count"] == pq.read_table(path).column("maybe").null_count


def test_arrow_ipc_files_and_streams_report_batches_and_compression(capsys, fixtures, tmp_path):
    pa = pytest.importorskip("pyarrow")
    ipc = pytest.importorskip("pyarrow.ipc")
    path = fixtures / "parquet" / "table.arrow"
    code, doc = inspect_json(capsys, path)
    assert code == 0
    [r] = doc["files"]
    reader = ipc.open_file(path)
    assert (r["format"], r["ipc_format"]) == ("arrow_ipc", "file")
    assert r["rows"] == 300
    assert r["record_batches"] == reader.num_record_batches
    assert r["codecs"] == []
    assert [c["name"] for c in r["columns"]] == reader.schema.names

    table = pa.table({"a": pa.array(range(1000)), "b": pa.array([str(i) for i in range(1000)])})
    written = {}
    for name, codec, writer in [
        ("z.arrow", "zstd", ipc.new_file),
        ("l.arrows", "lz4", ipc.new_stream),
    ]:
        options = ipc.IpcWriteOptions(compression=codec)
        with writer(tmp_path / name, table.schema, options=options) as w:
            for batch in table.to_batches(max_chunksize=300):
                w.write_batch(batch)
        written[name] = tmp_path / name
    _, doc = inspect_json(capsys, *written.values())
    zstd, lz4 = doc["files"]
    assert (zstd["ipc_format"], zstd["codecs"], zstd["rows"]) == ("file", ["ZSTD"], 1000)
    assert zstd["batch_rows"] == [300, 300, 300, 100]
    assert (lz4["ipc_format"], lz4["codecs"], lz4["rows"]) == ("stream", ["LZ4_FRAME"], 1000)


def test_mixed_codecs_are_listed_per_column(capsys, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "mixed.parquet"
    table = pa.table({"a": pa.array(range(100)), "b": pa.array([1.5] * 100)})
    pq.write_table(table, path, compression={"a": "zstd", "b": "snappy"}, row_group_size=30)
    code, out, _ = run(capsys, "inspect", path)
    assert code == 0
    assert "Parquet, ZSTD, SNAPPY" in out
    assert "100 in 4 row groups of 30 rows, the last 10" in out
    _, doc = inspect_json(capsys, path)
    leaves = {c["path"]: c["codecs"] for c in doc["files"][0]["leaf_columns"]}
    assert leaves == {"a": ["ZSTD"], "b": ["SNAPPY"]}


def test_records_that_are_not_examples_get_no_spec(capsys, fixtures):
    code, doc = inspect_json(
        capsys,
        fixtures / "tfrecord" / "raw.tfrecord",
        fixtures / "tfrecord" / "sequence.tfrecord",
        fixtures / "tfrecord" / "empty.tfrecord",
    )
    assert code == 0
    raw, sequence, empty = doc["files"]
    assert (raw["records"], raw["contents"]) == (4, "other")
    assert raw["record_bytes"] == {"min": 0, "max": 70000, "total": 71025}
    assert raw["not_example"]["record"] == 1 and "spec" not in raw
    assert (sequence["records"], sequence["contents"]) == (5, "sequence_example")
    assert "spec" not in sequence
    assert (empty["records"], empty["contents"], empty["damage"]) == (0, "none", None)
    _, out, _ = run(capsys, "inspect", fixtures / "tfrecord" / "raw.tfrecord")
    assert "not tf.train.Example: record 1 at offset 16" in out


def test_inferred_shapes_follow_presence_lengths_and_kinds(capsys, tmp_path):
    path = tmp_path / "mixed.tfrecord"
    with ff.io.TFRecordWriter(str(path)) as w:
        for i in range(6):
            feature = {
                "pair": ff.train.Feature(int64_list=ff.train.Int64List(value=[i, -i])),
                "sometimes": ff.train.Feature(float_list=ff.train.FloatList(value=[0.5])),
                "clash": ff.train.Feature(int64_list=ff.train.Int64List(value=[i]))
                if i % 2
                else ff.train.Feature(float_list=ff.train.FloatList(value=[1.0])),
            }
            if i % 3 == 0:
                del feature["sometimes"]
            example = ff.train.Example(features=ff.train.Features(feature=feature))
            w.write(example.SerializeToString())
    code, doc = inspect_json(capsys, path)
    assert code == 0
    report = doc["files"][0]
    source = report["spec"]
    assert '# "clash": left out, records disagree on its kind (int64 in 3, float in 3)' in source
    assert eval_spec(source) == {
        "pair": ff.io.FixedLenFeature([2], ff.int64),
        "sometimes": ff.io.VarLenFeature(ff.float32),
    }
    sometimes = next(f for f in report["features"] if f["name"] == "sometimes")
    assert (sometimes["records"], sometimes["shape"]) == (4, None)
    # A feature with clashing kinds cannot be converted faithfully.
    code, _, err = run(capsys, "convert", path, "-o", tmp_path / "x.parquet")
    assert code == 1 and "'clash'" in err


def test_shards_merge_into_one_spec(capsys, fixtures, tmp_path):
    short = tmp_path / "short.tfrecord"
    with ff.io.TFRecordWriter(str(short)) as w:
        example = ff.train.Example(
            features=ff.train.Features(
                feature={"label": ff.train.Feature(int64_list=ff.train.Int64List(value=[3]))}
            )
        )
        w.write(example.SerializeToString())
    code, doc = inspect_json(capsys, fixtures / "tfrecord" / "examples.tfrecord", short)
    assert code == 0
    spec = eval_spec(doc["summary"]["spec"])
    # label is a scalar in both files; the others are missing from the second.
    assert spec["label"] == ff.io.FixedLenFeature([], ff.int64)
    assert spec["embedding"] == ff.io.VarLenFeature(ff.float32)
    assert spec["name"] == ff.io.VarLenFeature(ff.string)


def test_missing_files_globs_and_garbage_are_errors_not_crashes(capsys, fixtures, tmp_path):
    fake = tmp_path / "fake.parquet"
    fake.write_bytes(b"PAR1" + b"\0" * 40)
    code, doc = inspect_json(
        capsys,
        tmp_path / "missing.tfrecord",
        tmp_path / "*.nothing",
        fake,
        tmp_path,
        fixtures / "tfrecord" / "examples.tfrecord",
    )
    assert code == 1
    missing, garbage, directory, good, unmatched = doc["files"]
    assert missing["error_type"] == "NotFoundError" and "missing.tfrecord" in missing["error"]
    assert garbage["error_type"] == "DataLossError" and "fake.parquet" in garbage["error"]
    assert "directory" in directory["error"]
    assert good["records"] == 50
    assert unmatched["error"] == "no file matches"
    assert doc["summary"]["errors"] == 4


def test_damaged_bytes_of_every_format_never_crash(fixtures, tmp_path):
    rng = random.Random(7)
    sources = [
        fixtures / "tfrecord" / "examples.tfrecord",
        fixtures / "tfrecord" / "examples.tfrecord.gz",
        fixtures / "parquet" / "table_zstd.parquet",
        fixtures / "parquet" / "table.arrow",
    ]
    outcomes = set()
    for i in range(300):
        source = rng.choice(sources)
        data = bytearray(source.read_bytes())
        if i % 3 == 2:
            data = data[: rng.randrange(len(data))]
        else:
            # Footers and headers hold the lengths worth damaging; the middle holds data.
            for _ in range(rng.randint(1, 6)):
                at = rng.randrange(len(data)) if i % 3 else len(data) - 1 - rng.randrange(300)
                data[at] = rng.randrange(256)
        path = tmp_path / f"m{i}{''.join(source.suffixes)}"
        path.write_bytes(bytes(data))
        try:
            report = ff._lib.inspect_file(str(path))
            outcomes.add("damaged" if report.get("damage") else "read")
        except ff.errors.OpError as e:
            assert path.name in str(e)
            outcomes.add("error")
    assert outcomes == {"read", "damaged", "error"}


def test_globs_expand_sorted(capsys, fixtures):
    code, doc = inspect_json(capsys, fixtures / "parquet" / "table_*.parquet")
    assert code == 0
    names = [Path(r["path"]).name for r in doc["files"]]
    assert names == sorted(f"table_{c}.parquet" for c in ["gzip", "none", "snappy", "zstd"])
    assert {r["codecs"][0] for r in doc["files"]} == {"GZIP", "UNCOMPRESSED", "SNAPPY", "ZSTD"}


def test_convert_round_trips_tfrecord_through_parquet(capsys, fixtures, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    sources = [fixtures / "tfrecord" / n for n in ("examples.tfrecord", "examples.tfrecord.zlib")]
    parquet = tmp_path / "examples.parquet"
    code, out, _ = run(
        capsys,
        "convert",
        *sources,
        "-o",
        parquet,
        "--row-group-size",
        "16",
        "--compression",
        "zstd",
    )
    assert code == 0 and "wrote 100 rows" in out

    # Scalars are plain columns, fixed lengths fixed-size lists, the rest lists; bytes binary.
    schema = pq.read_schema(parquet)
    assert schema.field("label").type == pa.int64()
    assert schema.field("score").type == pa.float32()
    assert schema.field("name").type == pa.binary()
    assert schema.field("embedding").type == pa.list_(pa.float32(), 8)
    assert schema.field("tokens").type == pa.list_(pa.int64())
    assert schema.field("tags").type == pa.list_(pa.binary())
    _, doc = inspect_json(capsys, parquet)
    assert (doc["files"][0]["rows"], doc["files"][0]["row_groups"]) == (100, 7)
    assert doc["files"][0]["codecs"] == ["ZSTD"]
    column = pq.read_table(parquet).column("tokens").to_pylist()
    assert column[:50] == expected_rows(fixtures)["tokens"]

    back = tmp_path / "back.tfrecord.gz"
    code, out, _ = run(capsys, "convert", parquet, "-o", back, "--num-shards", "3")
    assert code == 0 and "(3 files)" in out
    shards = sorted(tmp_path.glob("back-*-of-00003.tfrecord.gz"))
    assert [p.name for p in shards] == [f"back-0000{i}-of-00003.tfrecord.gz" for i in range(3)]
    _, doc = inspect_json(capsys, *shards)
    assert [r["compression"] for r in doc["files"]] == ["GZIP"] * 3
    assert sum(r["records"] for r in doc["files"]) == 100

    spec = eval_spec(doc["summary"]["spec"])
    _, original = inspect_json(capsys, sources[0])
    assert spec == eval_spec(original["files"][0]["spec"])
    before = ff.io.parse_example(read_records([sources[0]] * 2), spec)
    after = ff.io.parse_example(read_records(shards, "GZIP"), spec)
    assert parsed_rows(after, 100) == parsed_rows(before, 100)
    for name, value in before.items():
        got = after[name]
        if isinstance(value, ff.SparseTensor):
            np.testing.assert_array_equal(got.indices, value.indices)
            np.testing.assert_array_equal(got.dense_shape, value.dense_shape)
            value, got = value.values, got.values
        assert got.dtype == value.dtype
        np.testing.assert_array_equal(got, value)


def test_convert_parquet_fixture_to_tfrecord_and_back(capsys, fixtures, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    source = fixtures / "parquet" / "table_snappy.parquet"
    out = tmp_path / "table.tfrecord"
    # Examples have no nulls: a nullable column with nulls needs a value for them.
    code, _, err = run(capsys, "convert", source, "-o", out)
    assert code == 1 and "maybe" in err
    code, _, err = run(capsys, "convert", source, "-o", out, "--null-value", "maybe=NaN")
    assert code == 0
    assert "float64" in err  # rounded to an Example's 32-bit floats, with a warning
    _, doc = inspect_json(capsys, out)
    report = doc["files"][0]
    assert report["records"] == 300
    spec = eval_spec(report["spec"])
    assert spec["vec"] == ff.io.FixedLenFeature([4], ff.float32)
    assert spec["seq"] == ff.io.VarLenFeature(ff.int64)
    assert spec["flag"] == ff.io.FixedLenFeature([], ff.int64)
    assert spec["word"] == ff.io.FixedLenFeature([], ff.string)
    parsed = ff.io.parse_example(read_records([out]), spec)
    table = pq.read_table(source).to_pydict()
    assert parsed["id"].tolist() == table["id"]
    assert parsed["word"].tolist() == [w.encode() for w in table["word"]]
    assert parsed["raw"].tolist() == table["raw"]
    assert parsed["flag"].tolist() == [int(f) for f in table["flag"]]
    np.testing.assert_array_equal(parsed["vec"], np.float32(table["vec"]))
    assert parsed_rows(parsed, 300)["seq"] == table["seq"]
    maybe = [np.nan if m is None else m for m in table["maybe"]]
    np.testing.assert_array_equal(parsed["maybe"], np.float32(maybe))

    # And back to Parquet: the same columns, as Examples can hold them.
    again = tmp_path / "again.parquet"
    assert run(capsys, "convert", out, "-o", again, "--compression", "none")[0] == 0
    rows = pq.read_table(again).to_pydict()
    assert rows["id"] == table["id"]
    assert rows["seq"] == table["seq"]
    assert rows["raw"] == table["raw"]


def test_convert_refuses_what_it_cannot_do(capsys, fixtures, tmp_path):
    examples = fixtures / "tfrecord" / "examples.tfrecord"
    cases = [
        ([fixtures / "tfrecord" / "bad_data_crc.tfrecord"], "offset 45"),
        ([fixtures / "tfrecord" / "raw.tfrecord"], "not a tf.train.Example"),
        ([fixtures / "tfrecord" / "sequence.tfrecord"], "SequenceExample"),
        ([examples, fixtures / "parquet" / "table_none.parquet"], "cannot be mixed"),
        ([examples, "--to", "tfrecord"], "not supported"),
        ([examples, "--compression", "brotli"], "compression must be one of"),
        ([tmp_path / "*.none"], "no file matches"),
    ]
    for args, message in cases:
        code, _, err = run(capsys, "convert", *args, "-o", tmp_path / "out.parquet")
        assert code == 1, args
        assert message in err, (args, err)
    assert not (tmp_path / "out.parquet").exists()
    code, _, err = run(capsys, "convert", examples, "-o", examples)
    assert code == 1 and "also an input" in err


def test_progress_draws_only_on_a_terminal(fixtures, tmp_path):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert not cli.Progress(stream=io.StringIO()).enabled
    screen = Terminal()
    progress = cli.Progress(stream=screen)
    assert progress.enabled
    progress.show("scanning [#...] 10%")
    progress.show("too soon, skipped")
    progress.clear()
    text = screen.getvalue()
    assert text.startswith("\rscanning [#...] 10%") and "too soon" not in text
    assert text.endswith("\r" + " " * len("scanning [#...] 10%") + "\r")

    # The drawing path of convert (a thread reading the pass's progress) gives the same file.
    out = tmp_path / "p.parquet"
    rows = cli.convert(
        [str(fixtures / "tfrecord" / "examples.tfrecord")],
        str(out),
        progress=cli.Progress(stream=Terminal()),
    )
    assert rows == 50
    values = ff.data.ParquetDataset(str(out)).map(lambda e: e["id"])
    assert list(values.as_numpy_iterator()) == list(range(50))


def test_the_engine_calls_progress_and_stops_on_its_error(tmp_path):
    path = tmp_path / "big.tfrecord"
    with ff.io.TFRecordWriter(str(path)) as w:
        for _ in range(8):
            w.write(b"x" * (1 << 20))
    calls = []
    report = ff._lib.inspect_file(str(path), lambda *a: calls.append(a), progress_interval=0)
    assert report["records"] == 8
    # Checked every MiB read: after each of the 1 MiB records.
    size = path.stat().st_size
    assert [records for _, _, records in calls] == list(range(1, 9))
    assert all(0 < done <= total == size for done, total, _ in calls)
    assert calls[-1][0] == size

    def stop(*_):
        raise KeyError("stop")

    with pytest.raises(KeyError, match="stop"):
        ff._lib.inspect_file(str(path), stop, progress_interval=0)
    with pytest.raises(ValueError, match="progress_interval"):
        ff._lib.inspect_file(str(path), None, progress_interval=-1)


def test_console_script_and_usage(capsys):
    scripts = importlib.metadata.entry_points(group="console_scripts")
    assert [s.value for s in scripts if s.name == "ferroflow"] == ["ferroflow.cli:main"]
    assert cli.main([]) == 2
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["convert", "x.tfrecord"])  # no -o
    assert exit_info.value.code == 2
    capsys.readouterr()
