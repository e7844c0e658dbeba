"""``ff.io.decode_csv``, ``ff.strings.regex_full_match`` / ``regex_replace`` and
``ff.constant``: eagerly against what TensorFlow 2.21 returned for the same calls, traced
into native maps (per line and on batches of lines), and a CSV round trip through Python's
``csv`` writer."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ferroflow as ff
from ferroflow.data import Dataset

DEFAULTS4 = [[0.0], [0], [""], [0.0]]

# (records, record_defaults, keyword arguments, what tf.io.decode_csv returned).
CSV_CASES = [
    (["1.5,2,abc,3", "2,,x,"], DEFAULTS4, {}, [[1.5, 2.0], [2, 0], [b"abc", b"x"], [3.0, 0.0]]),
    (
        ['1,2,"a,""b""",3', '"1",2,"",3'],
        [[0.0], [0], ["d"], [0.0]],
        {},
        [[1.0, 1.0], [2, 2], [b'a,"b"', b"d"], [3.0, 3.0]],
    ),
    (
        ["NA,NA,NA,1", '"NA",1,x,2'],
        [[0.5], [3], ["q"], [0.0]],
        {"na_value": "NA"},
        [[0.5, 0.5], [3, 1], [b"q", b"x"], [1.0, 2.0]],
    ),
    (["1,2,a,3,9", "4,5,b"], [[0], [""]], {"select_cols": [1, 2]}, [[2, 5], [b"a", b"b"]]),
    ("1,a", [[0], [""]], {}, [1, b"a"]),
    (["1,"], [0, 5], {}, [[1], [5]]),
    (["1\t2"], [[0], [0]], {"field_delim": "\t"}, [[1], [2]]),
    (['1,"a""b"'], [[0], [""]], {"use_quote_delim": False}, [[1], [b'"a""b"']]),
    (["1,\n2", '"a\nb",3'], [[""], [0]], {}, [[b"1", b"a\nb"], [2, 3]]),
    (["1,2,,"], [[0], [0], [7], [8]], {}, [[1], [2], [7], [8]]),
    (
        [" 1 ,+7, a ,-.5"],
        [[0], [0], [""], [0.0]],
        {},
        [[1], [7], [b" a "], [-0.5]],
    ),
    (
        ["9223372036854775807,0.1"],
        [np.array([0], np.int64), np.array([0.0])],
        {},
        [[9223372036854775807], [0.1]],
    ),
]

# (records, record_defaults, keyword arguments, exception, message TensorFlow gave).
CSV_ERRORS = [
    (
        ["1.5,,abc,3"],
        [[0.0], np.array([], np.int32), [""], [0.0]],
        {},
        ff.errors.InvalidArgumentError,
        "Field 1 is required but missing in record 0!",
    ),
    (["1,2,3,4,5"], DEFAULTS4, {}, ff.errors.InvalidArgumentError, "Expect 4 fields but have 5"),
    (["1,2,3"], DEFAULTS4, {}, ff.errors.InvalidArgumentError, "Expect 4 fields but have 3"),
    (
        [["1,2", "3,4"], ["5,6", "7,x"]],
        [[0], [0]],
        {},
        ff.errors.InvalidArgumentError,
        "Field 1 in record 3 is not a valid int32: x",
    ),
    (["y"], [[0.0]], {}, ff.errors.InvalidArgumentError, "not a valid float: y"),
    (["3000000000"], [[0]], {}, ff.errors.InvalidArgumentError, "not a valid int32: 3000000000"),
    (["2.0"], [[0]], {}, ff.errors.InvalidArgumentError, "not a valid int32: 2.0"),
    (['1,a"b'], [[0], [""]], {}, ff.errors.InvalidArgumentError, "Unquoted fields cannot"),
    (["1\r"], [[0]], {}, ff.errors.InvalidArgumentError, "Unquoted fields cannot"),
    (['"a"b'], [[""]], {}, ff.errors.InvalidArgumentError, "Quote inside a string"),
    (['"ab'], [[""]], {}, ff.errors.InvalidArgumentError, "Quoted field has to end"),
    (["1|2"], [[0], [0]], {"field_delim": "||"}, ff.errors.InvalidArgumentError, "only 1 char"),
    (["1"], [[1, 2]], {}, ff.errors.InvalidArgumentError, "only be 1 default per field"),
    (["1"], [[True]], {}, ff.errors.InvalidArgumentError, "float32, float64, int32, int64"),
    (["1,2"], [[0], [""]], {"select_cols": [2, 1]}, ValueError, "not strictly increasing"),
    (["1,2"], [[0]], {"select_cols": [0, 1]}, ValueError, "do not match"),
]


def _plain(values):
    return [np.asarray(v).tolist() for v in values]


@pytest.mark.parametrize(("records", "defaults", "kwargs", "expected"), CSV_CASES)
def test_decode_csv_as_tensorflow(records, defaults, kwargs, expected):
    out = ff.io.decode_csv(records, defaults, **kwargs)
    assert _plain(out) == expected
    assert [np.shape(v) for v in out] == [np.shape(records)] * len(expected)


def test_decode_csv_reads_floats_as_tensorflow():
    text = "inf,nan,1e3,0x1p3,-Infinity, 1.5 ,1e40,1.,1e-50"
    out = [float(v[0]) for v in ff.io.decode_csv([text], [[0.0]] * 9)]
    assert math.isnan(out[1])
    assert out[:1] + out[2:] == [math.inf, 1000.0, 8.0, -math.inf, 1.5, math.inf, 1.0, 0.0]
    assert ff.strings.to_number(["0x10", " 2.5 "]).tolist() == [16.0, 2.5]


@pytest.mark.parametrize(("records", "defaults", "kwargs", "error", "message"), CSV_ERRORS)
def test_decode_csv_refuses_what_tensorflow_refuses(records, defaults, kwargs, error, message):
    with pytest.raises(error, match=message.replace("|", r"\|")):
        ff.io.decode_csv(records, defaults, **kwargs)


def _notes(it):
    return {s["path"]: s["notes"] for s in it.stats()}


def test_decode_csv_traces_per_line_and_per_batch():
    lines = ["1,a,0.5", '2,"b,c",', "3,,1e3"]
    names = ["id", "name", "score"]

    def parse(line):
        features = dict(zip(names, ff.io.decode_csv(line, [[0], ["?"], [0.0]])))
        return features, features.pop("score")

    it = iter(Dataset.from_tensor_slices(lines).map(parse, num_parallel_calls=2))
    out = [({k: np.asarray(v).tolist() for k, v in f.items()}, float(s)) for f, s in it]
    assert all(n == [] for n in _notes(it).values())
    assert out == [
        ({"id": 1, "name": b"a"}, 0.5),
        ({"id": 2, "name": b"b,c"}, 0.0),
        ({"id": 3, "name": b"?"}, 1000.0),
    ]
    batched = Dataset.from_tensor_slices(lines).batch(2)
    it = iter(batched.map(lambda b: ff.io.decode_csv(b, [[0], ["?"], [0.0]])))
    assert [_plain(e) for e in it] == [
        [[1, 2], [b"a", b"b,c"], [0.5, 0.0]],
        [[3], [b"?"], [1000.0]],
    ]
    assert all(n == [] for n in _notes(it).values())


def test_decode_csv_error_in_a_pipeline_names_the_record():
    lines = Dataset.from_tensor_slices(["1,2", "3,x"])
    ds = lines.map(lambda line: ff.io.decode_csv(line, [[0], [0]]))
    it = iter(ds)
    assert _plain(next(it)) == [1, 2]
    with pytest.raises(ff.errors.InvalidArgumentError, match="not a valid int32: x"):
        next(it)


_FIELD = st.text(st.characters(codec="utf-8", exclude_characters="\r\x00"), min_size=1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-(2**31), 2**31 - 1), _FIELD, st.floats(width=32)),
        min_size=1,
        max_size=8,
    )
)
def test_decode_csv_reads_what_python_csv_writes(rows):
    # One record per row; the writer quotes fields holding a line break or a quote.
    lines = []
    for row in rows:
        one = io.StringIO()
        csv.writer(one, lineterminator="\n").writerow(row)
        lines.append(one.getvalue()[:-1])
    ints, texts, floats = ff.io.decode_csv(lines, [[0], [""], [0.0]])
    assert ints.tolist() == [r[0] for r in rows]
    assert texts.tolist() == [r[1].encode() for r in rows]
    np.testing.assert_array_equal(floats, np.array([r[2] for r in rows], np.float32))


# (strings, pattern, what tf.strings.regex_full_match returned).
FULL_MATCH_CASES = [
    (["abc", "aXbXc", "héllo wörld", ""], r"a.*c", [True, True, False, False]),
    (["héllo wörld", "hello world"], r"\w+ \w+", [False, True]),
    (["\v", " ", "\u00a0"], r"\s", [False, True, False]),
    (["١٢٣", "123"], r"\d+", [False, True]),
    (["a[b", "&", "a", "a["], r"[[a]+|[&&]", [False, True, True, True]),
    ([b"\xff", b"a\xff"], "a?.", [False, False]),
]

# (strings, pattern, rewrite, replace_global, what tf.strings.regex_replace returned).
REPLACE_CASES = [
    (["aXbXc", "abc"], "X", "-", True, [b"a-b-c", b"abc"]),
    (["aXbXc"], "X", "-", False, [b"a-bXc"]),
    (["abc", "hé"], "x*", "-", True, [b"-a-b-c-", "-h-é-".encode()]),
    (["abc"], "b*", "-", True, [b"-a-c-"]),
    (["john smith", "x"], r"(\w+) (\w+)", r"\2, \1", True, [b"smith, john", b"x"]),
    (["ab"], "b", r"<\0>$1\\", True, [b"a<b>$1\\"]),
    (["a.b"], r"\Q.\E", "x", True, [b"axb"]),
    (["Hello, World!"], "[[:punct:]]", "", True, [b"Hello World"]),
    (["ABC"], "(?i)b", "x", True, [b"AxC"]),
    (["ab\n"], "$", "x", True, [b"ab\nx"]),
    (["ac"], r"a(b)?c", r"[\1]", True, [b"[]"]),
]


@pytest.mark.parametrize(("strings", "pattern", "expected"), FULL_MATCH_CASES)
def test_regex_full_match_as_tensorflow(strings, pattern, expected):
    assert ff.strings.regex_full_match(strings, pattern).tolist() == expected


@pytest.mark.parametrize(("strings", "pattern", "rewrite", "glob", "expected"), REPLACE_CASES)
def test_regex_replace_as_tensorflow(strings, pattern, rewrite, glob, expected):
    out = ff.strings.regex_replace(strings, pattern, rewrite, replace_global=glob)
    assert out.tolist() == expected


def test_regex_errors():
    with pytest.raises(ff.errors.InvalidArgumentError, match=r"Invalid pattern: a\(b"):
        ff.strings.regex_full_match(["a"], "a(b")
    # TensorFlow leaves the strings unreplaced here; a silent no-op hides the mistake.
    with pytest.raises(ff.errors.InvalidArgumentError, match="group 2"):
        ff.strings.regex_replace(["ab"], "(b)", r"\2")
    with pytest.raises(ff.errors.InvalidArgumentError, match="invalid rewrite"):
        ff.strings.regex_replace(["ab"], "b", r"\a")


def test_regex_ops_trace_natively_and_on_batches():
    lines = ["# comment", "a<br />b", "plain"]
    ds = (
        Dataset.from_tensor_slices(lines)
        .filter(lambda line: ff.logical_not(ff.strings.regex_full_match(line, "#.*")))
        .map(lambda line: ff.strings.regex_replace(line, "<br />", " "))
    )
    it = iter(ds)
    assert list(it) == [b"a b", b"plain"]
    assert all(n == [] for n in _notes(it).values())
    batched = (
        Dataset.from_tensor_slices(lines)
        .batch(3)
        .map(lambda b: ff.strings.regex_replace(b, r"(\w)", r"\1\1", replace_global=False))
    )
    assert [x.tolist() for x in batched] == [[b"# ccomment", b"aa<br />b", b"pplain"]]


def test_constant_converts_as_tensorflow():
    assert ff.constant(3).dtype == np.int32
    assert ff.constant([1.5, 2]).dtype == np.float32
    assert ff.constant("x") == b"x"
    assert ff.constant(0, shape=[2, 2]).tolist() == [[0, 0], [0, 0]]
    assert ff.constant([1, 2, 3, 4], shape=[2, 2]).tolist() == [[1, 2], [3, 4]]
    assert ff.constant([], ff.int32).dtype == np.int32
    assert ff.constant(1, ff.float64).dtype == np.float64
    with pytest.raises(TypeError, match="cannot have shape"):
        ff.constant([1, 2, 3], shape=[2, 2])
    assert ff.convert_to_tensor([1, 2], dtype_hint=ff.int64).dtype == np.int64


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_text_line_dataset_splits_lines_as_tensorflow(tmp_path):
    import gzip

    a = _write(tmp_path / "a.txt", b"a\nbb\r\n\nc")
    empty = _write(tmp_path / "empty.txt", b"")
    b = _write(tmp_path / "b.txt.gz", gzip.compress(b"x,1\ny,2\nz,3\n"))
    assert list(ff.data.TextLineDataset(a)) == [b"a", b"bb", b"", b"c"]
    assert list(ff.data.TextLineDataset([empty, a])) == [b"a", b"bb", b"", b"c"]
    gz = ff.data.TextLineDataset(b, compression_type="GZIP")
    assert list(gz) == [b"x,1", b"y,2", b"z,3"]
    plain = _write(tmp_path / "b.txt", b"x,1\ny,2\nz,3\n")
    both = ff.data.TextLineDataset([a, plain], num_parallel_reads=2)
    assert list(both) == [b"a", b"x,1", b"bb", b"y,2", b"", b"z,3", b"c"]
    with pytest.raises(ff.errors.NotFoundError, match="missing.txt"):
        list(ff.data.TextLineDataset(str(tmp_path / "missing.txt")))


def test_the_guides_csv_lines_pipeline(tmp_path):
    header = b"survived,sex,age,class\n"
    paths = [
        _write(tmp_path / "one.csv", header + b"0,male,22.0,Third\n# note\n1,female,,First\n"),
        _write(tmp_path / "two.csv", header + b'1,"female",4.0,"Second, upper"\n'),
    ]
    files = Dataset.from_tensor_slices(paths)
    lines = files.interleave(
        lambda f: (
            ff.data.TextLineDataset(f)
            .skip(1)
            .filter(lambda line: ff.not_equal(ff.strings.substr(line, 0, 1), "#"))
        ),
        cycle_length=2,
    )
    rows = lines.map(lambda line: ff.io.decode_csv(line, [[0], [""], [28.0], [""]]))
    assert [tuple(np.asarray(v).tolist() for v in r) for r in rows] == [
        (0, b"male", 22.0, b"Third"),
        (1, b"female", 4.0, b"Second, upper"),
        (1, b"female", 28.0, b"First"),
    ]
    # A flat_map or interleave function returning the file's lines opens it natively.
    it = iter(files.interleave(ff.data.TextLineDataset, cycle_length=2).batch(2))
    first = next(it)
    assert first.tolist() == [header[:-1], header[:-1]]
    assert all(n == [] for n in _notes(it).values())


TITANIC = (
    "survived,sex,age,n_siblings_spouses,parch,fare,class,deck,embark_town,alone\n"
    "0,male,22.0,1,0,7.25,Third,unknown,Southampton,n\n"
    "1,female,38.0,1,0,71.2833,First,C,Cherbourg,n\n"
    "1,female,,0,0,7.925,Third,unknown,Southampton,y\n"
    '1,"fe,male",35.0,1,0,53.1,First,C,Southampton,n\n'
    '0,male,28.0,0,0,8.4583,Third,unknown,"Queens\ntown",y\n'
)


def _rows(ds):
    return [tuple(np.asarray(v).tolist() for v in e) for e in ds]


def test_csv_dataset_as_tensorflow(tmp_path):
    titanic = _write(tmp_path / "titanic.csv", TITANIC.encode())
    types = [ff.int32, ff.string, [0.0], [0], [0], [0.0], [""], [""], [""], [""]]
    rows = _rows(ff.data.experimental.CsvDataset(titanic, types, header=True))
    assert rows[2] == (1, b"female", 0.0, 0, 0, np.float32(7.925).item(), b"Third") + (
        b"unknown",
        b"Southampton",
        b"y",
    )
    assert rows[3][1] == b"fe,male" and rows[4][8] == b"Queens\ntown" and len(rows) == 5
    picked = ff.data.experimental.CsvDataset(
        titanic, [[0.0], [""]], header=True, select_cols=[2, 8]
    )
    assert _rows(picked) == [
        (22.0, b"Southampton"),
        (38.0, b"Cherbourg"),
        (0.0, b"Southampton"),
        (35.0, b"Southampton"),
        (28.0, b"Queens\ntown"),
    ]
    dropped = ff.data.experimental.CsvDataset(titanic, [[""]] * 8, header=True, exclude_cols=[0, 9])
    assert _rows(dropped)[0] == (b"male", b"22.0", b"1", b"0", b"7.25", b"Third", b"unknown") + (
        b"Southampton",
    )
    # A blank line is one empty field; \r\n ends a record; each file has its header.
    blank = _write(tmp_path / "blank.csv", b"1,a,2\n\n3,b,4\r\n")
    assert _rows(ff.data.experimental.CsvDataset(blank, [["?"]], select_cols=[0])) == [
        (b"1",),
        (b"?",),
        (b"3",),
    ]
    with pytest.raises(ff.errors.InvalidArgumentError, match="Expect 3 fields but have 1"):
        list(ff.data.experimental.CsvDataset(blank, [[-1], ["?"], [0.0]]))
    two = _write(tmp_path / "two.csv", b"h\n5\n")
    both = ff.data.experimental.CsvDataset([two, two], [[0]], header=True)
    assert _rows(both) == [(5,), (5,)]
    with pytest.raises(ff.errors.InvalidArgumentError, match="select_cols or exclude_cols"):
        ff.data.experimental.CsvDataset(two, [[0]], select_cols=[0], exclude_cols=[1])


def _columns(batch):
    return {k: np.asarray(v).tolist() for k, v in batch.items()}


def test_make_csv_dataset_as_tensorflow(tmp_path):
    titanic = _write(tmp_path / "titanic.csv", TITANIC.encode())
    make = ff.data.experimental.make_csv_dataset
    ds = make(titanic, batch_size=2, num_epochs=1, shuffle=False, label_name="survived")
    batches = [(_columns(f), np.asarray(label).tolist()) for f, label in ds]
    assert [label for _, label in batches] == [[0, 1], [1, 1], [0]]
    first = batches[0][0]
    assert list(first) == [
        "sex",
        "age",
        "n_siblings_spouses",
        "parch",
        "fare",
        "class",
        "deck",
        "embark_town",
        "alone",
    ]
    assert first["age"] == [22.0, 38.0] and first["class"] == [b"Third", b"First"]
    features, _ = next(iter(ds))
    # Types inferred as TensorFlow infers them from the first rows.
    assert features["age"].dtype == np.float32 and features["parch"].dtype == np.int32
    assert features["sex"].dtype == object
    picked = make(
        titanic,
        batch_size=3,
        num_epochs=1,
        shuffle=False,
        select_columns=["age", "class", "survived"],
        label_name="survived",
    )
    assert [(_columns(f), np.asarray(label).tolist()) for f, label in picked] == [
        ({"age": [22.0, 38.0, 0.0], "class": [b"Third", b"First", b"Third"]}, [0, 1, 1]),
        ({"age": [35.0, 28.0], "class": [b"First", b"Third"]}, [1, 0]),
    ]
    given = make(
        titanic, 5, num_epochs=1, shuffle=False, select_columns=[0, 2], column_defaults=[0, -1.0]
    )
    assert [_columns(b) for b in given] == [
        {"survived": [0, 1, 1, 1, 0], "age": [22.0, 38.0, -1.0, 35.0, 28.0]}
    ]
    # num_epochs=None repeats forever and keeps batches full.
    forever = make(titanic, batch_size=3, shuffle=True, shuffle_seed=1, label_name="survived")
    labels = [np.asarray(label).tolist() for _, label in forever.take(5)]
    assert all(len(x) == 3 for x in labels) and sorted(sum(labels[:5], [])).count(1) >= 3
    with pytest.raises(ValueError, match="must be one of the columns"):
        make(titanic, batch_size=3, label_name="nope")


def test_to_hash_bucket_fast_as_tensorflow():
    words = ["", "a", "hello", "The quick brown fox jumps over the lazy dog"]
    # tf.strings.to_hash_bucket_fast(words, 2**62) and (words, 10) in TensorFlow 2.21.
    big = [1936946117179621455, 3694432073954588131, 3786372426573024488, 3152101869897863476]
    assert ff.strings.to_hash_bucket_fast(words, 2**62).tolist() == big
    assert ff.strings.to_hash_bucket_fast(words, 10).tolist() == [3, 9, 6, 4]
    ds = Dataset.from_tensor_slices(words).map(lambda w: ff.strings.to_hash_bucket_fast(w, 2**62))
    it = iter(ds)
    assert [int(x) for x in it] == big
    assert all(n == [] for n in _notes(it).values())
    with pytest.raises(ValueError, match="num_buckets"):
        ff.strings.to_hash_bucket_fast(words, 0)


def test_csv_records_end_as_tensorflow_reads_them(tmp_path):
    # A lone \r ends a record; a quote inside an unquoted field opens no quoted field, so
    # it costs one record, not the rest of the file.
    cr = _write(tmp_path / "cr.csv", b"1,a\r2,b\r")
    assert _rows(ff.data.experimental.CsvDataset(cr, [[0], [""]])) == [(1, b"a"), (2, b"b")]
    lines = [b'1,a"b'] + [f"{i},x".encode() for i in range(2, 2000)]
    stray = _write(tmp_path / "stray.csv", b"\n".join(lines) + b"\n")
    ds = ff.data.experimental.CsvDataset(stray, [[0], [""]])
    with pytest.raises(ff.errors.InvalidArgumentError, match="stray.csv, line 1: Unquoted fields"):
        list(ds)
    assert len(list(ds.ignore_errors())) == 1998
    # Parse errors name the file and the line the record starts on.
    bad = _write(tmp_path / "late.csv", b'h\n1,a\n2,"b\nc"\nx,d\n')
    message = r"late.csv, line 5: Field 0 in record is not a valid int32: x"
    with pytest.raises(ff.errors.InvalidArgumentError, match=message):
        list(ff.data.experimental.CsvDataset(bad, [[0], [""]], header=True))


def test_make_csv_dataset_infers_types_across_files(tmp_path):
    _write(tmp_path / "f1.csv", b"a,b\n1,2.5\n3,4.5\n")
    _write(tmp_path / "f2.csv", b"a,b\n5,6.5\n")
    ds = ff.data.experimental.make_csv_dataset(
        str(tmp_path / "f*.csv"), batch_size=3, num_epochs=1, shuffle=False
    )
    (batch,) = list(ds)
    assert batch["a"].dtype == np.int32 and batch["b"].dtype == np.float32
    assert batch["a"].tolist() == [1, 3, 5]


def test_regex_class_ranges_ending_or_starting_at_a_hyphen():
    # RE2 reads "--" in a class as a range to or from "-" (TensorFlow's results).
    assert ff.strings.regex_full_match([",", "a"], "[+--]").tolist() == [True, False]
    assert ff.strings.regex_full_match([".", "-", "0"], "[--/]").tolist() == [True, True, False]
