"""Iterator checkpoints: get_state/set_state resume exactly after the last element Python
took, in a new dataset object (as after a restart), across epochs and with parallel stages;
states of another definition or malformed ones are refused; ff.train.Checkpoint and
CheckpointManager behave as in the tf.data guide; a process killed mid-epoch resumes from its
last checkpoint."""

from __future__ import annotations

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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ferroflow as ff


def _flat(element) -> list:
    if isinstance(element, tuple | list):
        return [v for e in element for v in _flat(e)]
    if isinstance(element, dict):
        return [v for k in sorted(element) for v in _flat(element[k])]
    return np.asarray(element).ravel().tolist()


def _cut_and_resume(make, cut: int):
    """(the elements after `cut` of an uninterrupted pass, those of a new dataset's
    iterator restored from the JSON state taken at the cut)."""
    it = iter(make())
    for _ in range(cut):
        next(it)
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
            ("zip", lambda d: ff.data.Dataset.zip((d, d.skip(1))).map(lambda a, b: a - b)),
            ("concatenate", lambda d: d.concatenate(ff.data.Dataset.range(3))),
            ("shard", lambda d: d.shard(2, 1)),
            ("take_while", lambda d: d.take_while(lambda x: x < 110)),
            ("ignore_errors", lambda d: d.ignore_errors()),
        ]
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from(["range", "slices", "records"]),
    steps=st.lists(_steps(), max_size=4),
    cut=st.integers(0, 60),
)
def test_random_pipelines_resume_element_for_element(tmp_path, source, steps, cut):
    paths = _write_records(tmp_path, 3, 4) if source == "records" else []

    def make():
        if source == "range":
            ds = ff.data.Dataset.range(23)
        elif source == "slices":
            ds = ff.data.Dataset.from_tensor_slices(np.arange(100, 123))
        else:
            ds = ff.data.TFRecordDataset(paths, num_parallel_reads=2).map(
                lambda r: ff.cast(ff.strings.length(r), ff.int64)
            )
        for _, step in steps:
            ds = step(ds)
        return ds

    total = sum(1 for _ in make())
    reference, resumed = _cut_and_resume(make, min(cut, total))
    assert resumed == reference, [name for name, _ in steps]


@pytest.mark.parametrize("compression", [None, "GZIP"])
@pytest.mark.parametrize("reads", [None, 3])
def test_record_files_resume_at_their_byte_offsets(tmp_path, compression, reads):
    paths = _write_records(tmp_path, 4, 6, compression)

    def make():
        return ff.data.TFRecordDataset(paths, compression, num_parallel_reads=reads).repeat(2)

    for cut in (0, 1, 5, 13, 27, 40, 54):
        reference, resumed = _cut_and_resume(make, cut)
        assert resumed == reference


@pytest.mark.parametrize("shuffled", [False, True])
def test_parquet_resumes_at_its_row_group_and_row(tmp_path, shuffled):
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = []
    for i in range(3):
        path = str(tmp_path / f"part-{i}.parquet")
        ids = np.arange(i * 100, i * 100 + 37 + 5 * i)
        pq.write_table(pa.table({"id": ids, "sq": ids * ids}), path, row_group_size=8)
        paths.append(path)

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


def test_operations_without_state_say_so():
    it = iter(ff.data.Dataset.range(6).window(2).flat_map(lambda w: w.batch(2)))
    next(it)
    with pytest.raises(ff.errors.UnimplementedError, match="Window does not support"):
        it.get_state()


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
