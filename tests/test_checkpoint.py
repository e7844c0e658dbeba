"""Iterator checkpoints: get_state/set_state resume exactly after the last element Python
took, in a new dataset object (as after a restart), across epochs and with parallel stages;
states of another definition or malformed ones are refused; ff.train.Checkpoint and
CheckpointManager behave as in the tf.data guide; a process killed mid-epoch resumes from its
last checkpoint."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ferroflow as ff


def _flat(element) -> list:
    if isinstance(element, ff.data.Dataset):
        return [_flat(e) for e in element]
    if isinstance(element, ff.RaggedTensor):
        return element.to_list()
    if isinstance(element, tuple | list):
        return [v for e in element for v in _flat(e)]
    if isinstance(element, dict):
        return [v for k in sorted(element) for v in _flat(element[k])]
    return np.asarray(element).ravel().tolist()


def _cut_and_resume(make, cut: int):
    """(the elements after `cut` of an uninterrupted pass, those of a new dataset's
    iterator restored from the JSON state taken at the cut)."""
    it = iter(make())
    # Up to `cut`: where an unseeded random stage comes before a filter or a skip, each new
    # dataset can have another number of elements.
    for _ in itertools.islice(it, cut):
        pass
    state = json.loads(json.dumps(it.get_state()))
    reference = [_flat(e) for e in it]
    resumed = iter(make())
    resumed.set_state(state)
    return reference, [_flat(e) for e in resumed]


def _write_records(folder, n_files: int, per_file: int, compression=None) -> list[str]:
    paths = []
    for i in range(n_files):
        path = str(folder / f"part-{i}.tfrecord")
        with ff.io.TFRecordWriter(path, ff.io.TFRecordOptions(compression)) as w:
            for j in range(per_file + i):
                w.write(f"{i}:{j}".encode())
        paths.append(path)
    return paths


# One step of a pipeline: (name, function of a dataset of int64 scalars to another).
def _steps():
    return st.sampled_from(
        [
            ("map", lambda d: d.map(lambda x: x * 3 + 1)),
            ("python map", lambda d: d.map(lambda x: np.int64(int(x) ^ 5))),
            ("parallel map", lambda d: d.map(lambda x: x + 7, num_parallel_calls=3)),
            ("filter", lambda d: d.filter(lambda x: x % 3 != 1)),
            ("shuffle", lambda d: d.shuffle(5, seed=3)),
            ("unseeded shuffle", lambda d: d.shuffle(4)),
            ("repeat", lambda d: d.repeat(2)),
            ("take", lambda d: d.take(17)),
            ("skip", lambda d: d.skip(2)),
            ("prefetch", lambda d: d.prefetch(2)),
            ("batch-first", lambda d: d.batch(3).map(lambda b: b[0])),
            ("batch-unbatch", lambda d: d.batch(4).unbatch()),
            ("padded_batch-unbatch", lambda d: d.padded_batch(3).unbatch()),
            ("flat_map", lambda d: d.flat_map(lambda x: ff.data.Dataset.range(x % 3))),
            ("enumerate", lambda d: d.enumerate(5).map(lambda i, x: i * 1000 + x)),
            # Each of these uses `d` once: two passes over one dataset at once share its
            # per-epoch seeds, and which takes which depends on timing.
            (
                "zip",
                lambda d: ff.data.Dataset.zip((d, ff.data.Dataset.range(5, 99))).map(
                    lambda a, b: a * 100 + b
                ),
            ),
            ("concatenate", lambda d: d.concatenate(ff.data.Dataset.range(3))),
            ("shard", lambda d: d.shard(2, 1)),
            ("take_while", lambda d: d.take_while(lambda x: x < 110)),
            ("ignore_errors", lambda d: d.ignore_errors()),
            ("window", lambda d: d.window(3, 2).flat_map(lambda w: w)),
            ("group_by_window", lambda d: d.group_by_window(lambda x: x % 3, _regroup, 3)),
            (
                "bucket",
                lambda d: d.bucket_by_sequence_length(
                    lambda x: x % 5, [2, 4], [2, 3, 2], no_padding=True
                ).unbatch(),
            ),
            ("scan", lambda d: d.scan(np.int64(1), lambda s, x: (s + x, s * 2 - x))),
            ("python scan", lambda d: d.scan(np.int64(0), lambda s, x: (s + int(x), s))),
            ("unique", lambda d: d.map(lambda x: x % 11).unique()),
            ("cache", lambda d: d.cache().repeat(2)),
            ("cache file", lambda d: d.cache(_cache_name()).repeat(2)),
            (
                "sample",
                lambda d: ff.data.Dataset.sample_from_datasets(
                    [d, ff.data.Dataset.range(50, 60)], [0.7, 0.3], seed=5
                ),
            ),
            (
                "choose",
                lambda d: ff.data.Dataset.choose_from_datasets(
                    [d, ff.data.Dataset.range(-9, 0)], ff.data.Dataset.range(2).repeat(), False
                ),
            ),
            (
                "random",
                lambda d: ff.data.Dataset.zip((d, ff.data.Dataset.random(seed=2))).map(
                    lambda x, r: x * 1000 + r % 1000
                ),
            ),
            ("ragged_batch-unbatch", lambda d: d.ragged_batch(3).unbatch()),
        ]
    )


def _regroup(key, window):
    return window.map(lambda x: x * 10 + key)


_EXAMPLES = itertools.count()
# The folder of the example being built, and how many cache files its pipeline names so far.
_CACHES: dict = {"folder": "", "count": 0}


def _cache_name() -> str:
    """A cache file of its own for each cache step of an example's pipeline, the same each
    time the pipeline is built (a file caching another pipeline is refused)."""
    _CACHES["count"] += 1
    return os.path.join(_CACHES["folder"], f"cache-{_CACHES['count']}")


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from(["range", "slices", "records", "parquet", "generator"]),
    steps=st.lists(_steps(), max_size=4),
    cut=st.integers(0, 60),
)
def test_random_pipelines_resume_element_for_element(tmp_path, source, steps, cut):
    """Seekable sources (range, tensor slices, TFRecord files, Parquet row groups) and one
    that is not (a generator, replayed), under random compositions of transformations."""
    folder = tmp_path / f"example-{next(_EXAMPLES)}"
    folder.mkdir()
    paths = _write_records(tmp_path, 3, 4) if source == "records" else []
    if source == "parquet":
        paths = _write_parquet(tmp_path, [9, 14])

    def make():
        _CACHES.update(folder=str(folder), count=0)
        if source == "range":
            ds = ff.data.Dataset.range(23)
        elif source == "slices":
            ds = ff.data.Dataset.from_tensor_slices(np.arange(100, 123))
        elif source == "records":
            ds = ff.data.TFRecordDataset(paths, num_parallel_reads=2).map(
                lambda r: ff.cast(ff.strings.length(r), ff.int64)
            )
        elif source == "parquet":
            ds = ff.data.ParquetDataset(paths, shuffle_row_groups=True, seed=3).map(
                lambda row: row["id"]
            )
        else:
            ds = ff.data.Dataset.from_generator(
                lambda: iter(range(40, 63)), output_signature=ff.TensorSpec([], ff.int64)
            )
        for _, step in steps:
            ds = step(ds)
        return ds

    try:
        total = sum(1 for _ in make())
    except ff.errors.InvalidArgumentError as e:
        # A function whose output spec is found by running it, over no element at all.
        assume("cannot infer element_spec" not in str(e))
        raise
    reference, resumed = _cut_and_resume(make, min(cut, total))
    assert resumed == reference, [name for name, _ in steps]


@pytest.mark.parametrize("initial_dist", [None, [0.9, 0.1]])
def test_rejection_resampling_resumes(initial_dist):
    labels = np.array([0] * 90 + [1] * 10, np.int64)
    np.random.default_rng(0).shuffle(labels)

    def make():
        ds = ff.data.Dataset.from_tensor_slices((np.arange(100, dtype=np.float32), labels))
        return ds.rejection_resample(lambda f, label: label, [0.5, 0.5], initial_dist, seed=4)

    for cut in (0, 3, 11, 20):
        reference, resumed = _cut_and_resume(make, cut)
        assert resumed == reference and resumed


def test_padded_buckets_resume():
    def make():
        lengths = ff.data.Dataset.range(1, 40).shuffle(8, seed=3)
        return lengths.map(lambda n: ff.fill([n % 9 + 1], n)).bucket_by_sequence_length(
            lambda x: ff.shape(x)[0], [3, 6], [3, 2, 4], pad_to_bucket_boundary=False
        )

    for cut in (0, 2, 7, 12):
        reference, resumed = _cut_and_resume(make, cut)
        assert resumed == reference and resumed


def test_learning_the_element_structure_takes_no_epoch_of_seeds():
    """A Python function's output structure is learned by running it on a first element;
    that look ahead takes none of the shuffle's epochs, so a Python map sees the same
    orders as a traced one, however late the look happens (as after a restore)."""

    def epochs(func):
        ds = ff.data.Dataset.range(12).shuffle(12, seed=8).map(func)
        return [[int(x) for x in ds] for _ in range(3)]

    traced = epochs(lambda x: x)
    assert epochs(lambda x: np.int64(x)) == traced
    assert len({tuple(e) for e in traced}) == 3


@pytest.mark.parametrize("compression", [None, "GZIP"])
@pytest.mark.parametrize("reads", [None, 3])
def test_record_files_resume_at_their_byte_offsets(tmp_path, compression, reads):
    paths = _write_records(tmp_path, 4, 6, compression)

    def make():
        return ff.data.TFRecordDataset(paths, compression, num_parallel_reads=reads).repeat(2)

    for cut in (0, 1, 5, 13, 27, 40, 54):
        reference, resumed = _cut_and_resume(make, cut)
        assert resumed == reference


def _write_parquet(folder, rows: list[int], row_group_size: int = 4) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = []
    for i, n in enumerate(rows):
        path = str(folder / f"part-{i}.parquet")
        ids = np.arange(i * 100, i * 100 + n)
        pq.write_table(pa.table({"id": ids, "sq": ids * ids}), path, row_group_size=row_group_size)
        paths.append(path)
    return paths


@pytest.mark.parametrize("shuffled", [False, True])
def test_parquet_resumes_at_its_row_group_and_row(tmp_path, shuffled):
    paths = _write_parquet(tmp_path, [37, 42, 47], row_group_size=8)

    def make():
        return (
            ff.data.ParquetDataset(paths, num_parallel_reads=2, shuffle_row_groups=shuffled, seed=4)
            .shuffle(10, seed=1)
            .batch(7)
            .repeat(2)
        )

    for cut in (0, 1, 9, 18, 30, 36):
        reference, resumed = _cut_and_resume(make, cut)
        assert resumed == reference


def test_text_lines_resume(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"line {i}\r\n" for i in range(40)))

    def make():
        return ff.data.TextLineDataset(str(path)).shuffle(6, seed=2).batch(4)

    for cut in (0, 3, 7, 10):
        reference, resumed = _cut_and_resume(make, cut)
        assert resumed == reference


def test_a_non_deterministic_map_loses_and_repeats_nothing():
    def make():
        return ff.data.Dataset.range(200).map(
            lambda x: x * 2, num_parallel_calls=4, deterministic=False
        )

    for cut in (0, 17, 101, 199):
        reference, resumed = _cut_and_resume(make, cut)
        assert Counter(map(tuple, resumed)) == Counter(map(tuple, reference))


def test_the_state_counts_only_what_python_took():
    ds = ff.data.Dataset.range(1000).map(lambda x: x, num_parallel_calls=4).prefetch(64)
    it = iter(ds)
    assert [int(next(it)) for _ in range(3)] == [0, 1, 2]
    time.sleep(0.2)  # the stages run ahead and fill their buffers meanwhile
    resumed = iter(ds)
    resumed.set_state(it.get_state())
    assert int(next(resumed)) == 3


def test_a_shuffle_state_holds_positions_not_elements():
    big = np.zeros((50, 100_000), np.uint8)
    big[:, 0] = np.arange(50)
    ds = ff.data.Dataset.from_tensor_slices(big).shuffle(20, seed=1)
    it = iter(ds)
    [next(it) for _ in range(10)]
    state = it.get_state()
    assert len(json.dumps(state)) < 2_000
    resumed = iter(ds)
    resumed.set_state(state)
    assert [int(e[0]) for e in resumed] == [int(e[0]) for e in it]


def test_a_state_of_another_definition_is_refused_naming_the_call():
    it = iter(ff.data.Dataset.range(10).batch(2))
    next(it)
    state = it.get_state()
    other = iter(ff.data.Dataset.range(10).batch(3))
    with pytest.raises(ff.errors.InvalidArgumentError, match="call 2, Dataset.batch, had other"):
        other.set_state(state)
    other = iter(ff.data.Dataset.range(10).shuffle(3, seed=1))
    with pytest.raises(ff.errors.InvalidArgumentError, match="call 2 was Dataset.batch"):
        other.set_state(state)


def test_a_file_list_that_differs_is_refused(tmp_path):
    paths = _write_records(tmp_path, 2, 3)
    it = iter(ff.data.TFRecordDataset(paths))
    next(it)
    with pytest.raises(ff.errors.InvalidArgumentError, match="TFRecordDataset"):
        iter(ff.data.TFRecordDataset(paths[:1])).set_state(it.get_state())


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_malformed_states_are_invalid_arguments_never_crashes(data):
    ds = ff.data.Dataset.range(30).shuffle(6, seed=1).batch(2).prefetch(2)
    it = iter(ds)
    next(it)
    state = it.get_state()

    def mutate(value):
        if isinstance(value, list) and value and data.draw(st.booleans()):
            i = data.draw(st.integers(0, len(value) - 1))
            choice = data.draw(st.integers(0, 3))
            if choice == 0:
                return value[:i]
            if choice == 1:
                return value[:i] + [mutate(value[i])] + value[i + 1 :]
            if choice == 2:
                return value[:i] + [data.draw(st.integers(-(2**63), 2**63 - 1))] + value[i + 1 :]
            return value[:i] + ["Range"] + value[i + 1 :]
        if isinstance(value, int):
            return value + data.draw(st.integers(-3, 3))
        return value

    position = mutate(state["position"])
    broken = dict(state, position=position)
    resumed = iter(ds)
    try:
        resumed.set_state(broken)
    except ff.errors.InvalidArgumentError:
        return
    # Some mutations keep a valid position (an offset moved within range): it must then be
    # a position the pipeline can be at, yielding elements of the dataset.
    assert all(0 <= int(v) < 30 for b in resumed for v in b)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({}, "malformed iterator state"),
        ([], "malformed iterator state"),
        ({"ferroflow_iterator_state": 2}, "malformed iterator state"),
    ],
)
def test_a_value_that_is_no_state_is_refused(bad, match):
    with pytest.raises(ff.errors.InvalidArgumentError, match=match):
        iter(ff.data.Dataset.range(3)).set_state(bad)


def test_a_generator_resumes_by_replay_and_must_replay_the_same():
    calls = []

    def numbers(n):
        calls.append(n)
        yield from range(n)

    def make(n):
        return ff.data.Dataset.from_generator(
            numbers, output_signature=ff.TensorSpec([], ff.int64), args=(n,)
        ).batch(3)

    it = iter(make(20))
    assert [list(next(it)) for _ in range(2)] == [[0, 1, 2], [3, 4, 5]]
    state = it.get_state()
    resumed = iter(make(20))
    resumed.set_state(state)
    assert [list(b) for b in resumed] == [list(b) for b in it]
    # A generator that yields less than the state passed cannot be resumed by replay.
    with pytest.raises(ff.errors.InvalidArgumentError):
        short = iter(make(4))
        short.set_state(state)
        next(short)


def test_windows_iterated_as_datasets_resume():
    def make():
        return ff.data.Dataset.range(13).shuffle(4, seed=2).window(4, 3, 2)

    for cut in (0, 1, 3, 4):
        reference, resumed = _cut_and_resume(make, cut)
        assert resumed == reference and resumed


def test_fixed_length_records_resume(tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"part-{i}.bin"
        path.write_bytes(b"HEAD" + bytes(range(i, i + 6 * (5 + i))) + b"F")
        paths.append(str(path))

    def make():
        return ff.data.FixedLengthRecordDataset(
            paths, 6, header_bytes=4, footer_bytes=1, num_parallel_reads=2
        ).map(lambda r: ff.io.decode_raw(r, ff.uint8))

    for cut in (0, 1, 7, 14, 18):
        reference, resumed = _cut_and_resume(make, cut)
        assert resumed == reference


@pytest.mark.parametrize("keep_file", [True, False])
def test_a_file_cache_resumes_whether_or_not_its_file_survived(tmp_path, keep_file):
    """After a restart the cache file may be complete (the first epoch had finished) or
    absent (the process died while writing it): either way the epochs after the cut are
    those of the uninterrupted run, every epoch in the first epoch's order."""
    name = str(tmp_path / "cached")

    def make():
        return ff.data.Dataset.range(10).shuffle(10, seed=6).cache(name).repeat(3)

    for cut in (3, 10, 17):
        for path in tmp_path.glob("cached*"):
            path.unlink()
        it = iter(make())
        [next(it) for _ in range(cut)]
        state = it.get_state()
        reference = [int(e) for e in it]
        if not keep_file:
            os.unlink(name + ".ffcache")
        resumed = iter(make())
        resumed.set_state(state)
        assert [int(e) for e in resumed] == reference


def test_non_deterministic_options_lose_and_repeat_nothing(tmp_path):
    paths = _write_records(tmp_path, 4, 9)
    options = ff.data.Options()
    options.deterministic = False

    def make():
        return (
            ff.data.Dataset.from_tensor_slices(paths)
            .interleave(ff.data.TFRecordDataset, cycle_length=3, num_parallel_calls=3)
            .map(ff.strings.length, num_parallel_calls=2)
            .with_options(options)
        )

    for cut in (0, 5, 22, 40):
        reference, resumed = _cut_and_resume(make, cut)
        assert Counter(map(tuple, resumed)) == Counter(map(tuple, reference))


def test_state_dict_aliases():
    ds = ff.data.Dataset.range(6)
    it = iter(ds)
    next(it)
    resumed = iter(ds)
    resumed.load_state_dict(it.state_dict())
    assert [int(x) for x in resumed] == [1, 2, 3, 4, 5]


def test_checkpoint_as_in_the_tf_data_guide(tmp_path):
    # tf.data guide, "Iterator checkpointing".
    range_ds = ff.data.Dataset.range(20)
    iterator = iter(range_ds)
    ckpt = ff.train.Checkpoint(step=iterator, iterator=iterator)
    manager = ff.train.CheckpointManager(ckpt, str(tmp_path / "tmp/my_ckpt"), max_to_keep=3)
    print([next(iterator) for _ in range(5)])
    save_path = manager.save()
    assert [int(next(iterator)) for _ in range(5)] == [5, 6, 7, 8, 9]
    ckpt.restore(manager.latest_checkpoint)
    assert [int(next(iterator)) for _ in range(5)] == [5, 6, 7, 8, 9]
    assert manager.latest_checkpoint == save_path
    for _ in range(4):
        manager.save()
    assert len(manager.checkpoints) == 3
    assert sorted(os.listdir(tmp_path / "tmp/my_ckpt")) == [
        "checkpoint",
        "ckpt-3.ffckpt",
        "ckpt-4.ffckpt",
        "ckpt-5.ffckpt",
    ]
    # A manager made after a restart finds them.
    again = ff.train.CheckpointManager(
        ff.train.Checkpoint(iterator=iter(range_ds)), str(tmp_path / "tmp/my_ckpt"), 3
    )
    assert again.latest_checkpoint == manager.latest_checkpoint
    assert ff.train.latest_checkpoint(str(tmp_path / "tmp/my_ckpt")) == again.latest_checkpoint
    # write/read: one file at the path given, no number.
    path = ckpt.write(str(tmp_path / "single"))
    assert os.path.exists(path + ".ffckpt")
    ckpt.read(path).assert_consumed()


def test_checkpoint_refuses_what_is_not_an_iterator():
    with pytest.raises(ff.errors.InvalidArgumentError, match="iterators only"):
        ff.train.Checkpoint(step=3)


_KILLED_CHILD = """
import sys, time
import ferroflow as ff
paths, folder, log = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
ds = (ff.data.TFRecordDataset(paths, num_parallel_reads=2)
      .map(lambda r: ff.strings.length(r), num_parallel_calls=2)
      .shuffle(16, seed=7).batch(3).prefetch(2))
it = iter(ds)
ckpt = ff.train.Checkpoint(iterator=it)
manager = ff.train.CheckpointManager(ckpt, folder, max_to_keep=2)
restored = manager.latest_checkpoint
ckpt.restore(restored)
with open(log, "a") as out:
    if restored:
        out.write("resumed\\n")
    for step, batch in enumerate(it):
        out.write(" ".join(map(str, batch.tolist())) + "\\n")
        out.flush()
        if step % 4 == 3:
            manager.save()
            out.write("saved\\n")
            out.flush()
        time.sleep(0.05)
"""


def test_a_killed_process_resumes_from_its_last_checkpoint(tmp_path):
    paths = _write_records(tmp_path, 4, 30)
    folder, log = str(tmp_path / "ckpt"), tmp_path / "log.txt"
    argv = [sys.executable, "-c", textwrap.dedent(_KILLED_CHILD), ",".join(paths), folder, str(log)]
    child = subprocess.Popen(argv)

    def saves() -> int:
        return log.read_text().count("saved") if log.exists() else 0

    deadline = time.time() + 60
    while time.time() < deadline and saves() < 3:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    subprocess.run(argv, check=True, timeout=120)

    lines = log.read_text().splitlines()
    first, second = lines[: lines.index("resumed")], lines[lines.index("resumed") + 1 :]
    # The first run's batches up to its last save, then the second run's: one whole pass.
    kept = first[: len(first) - first[::-1].index("saved")]
    batches = [line for line in kept + second if line != "saved"]
    reference = (
        ff.data.TFRecordDataset(paths, num_parallel_reads=2)
        .map(lambda r: ff.strings.length(r), num_parallel_calls=2)
        .shuffle(16, seed=7)
        .batch(3)
    )
    assert batches == [" ".join(map(str, b.tolist())) for b in reference]
