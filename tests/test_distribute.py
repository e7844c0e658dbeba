"""``Dataset.distribute``: each rank reads its own part of the data, every rank yields as many
elements per epoch, and the ranks agree on each epoch's file order. Checked in one process
rank by rank, and across real processes joined by ``torch.distributed`` (gloo) on loopback,
where a rank with a batch more than the others would leave a collective waiting."""

import json
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ferroflow as ff
from ferroflow.errors import InvalidArgumentError
from helpers import stopped_and_resumed

Policy = ff.data.experimental.AutoShardPolicy
# Records per file: uneven on purpose.
SIZES = [3, 5, 2, 7, 4, 6, 1]


@pytest.fixture
def record_files(tmp_path):
    paths = []
    for i, n in enumerate(SIZES):
        path = str(tmp_path / f"part-{i}.tfrecord")
        with ff.io.TFRecordWriter(path) as writer:
            for j in range(n):
                writer.write(f"{i}-{j}".encode())
        paths.append(path)
    return paths


def _records(ds):
    return [bytes(r) for r in ds.as_numpy_iterator()]


def _file_of(record):
    return int(record.split(b"-")[0])


def test_ranks_come_from_the_arguments_or_the_environment(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    ds = ff.data.Dataset.range(12)
    assert ds.distribute()._distribution["ranks"] == 1
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    assert [int(x) for x in ds.distribute()] == [3, 7, 11]
    assert [int(x) for x in ds.distribute(num_replicas=2, rank=0)] == list(range(0, 12, 2))
    monkeypatch.setenv("RANK", "4")
    with pytest.raises(InvalidArgumentError, match=r"rank 4 of 4 \(from WORLD_SIZE and RANK\)"):
        ds.distribute()
    with pytest.raises(InvalidArgumentError, match="both num_replicas and rank"):
        ds.distribute(num_replicas=2)
    with pytest.raises(InvalidArgumentError, match="remainder"):
        ds.distribute(num_replicas=2, rank=0, remainder="keep")


@pytest.mark.parametrize("remainder", ["drop", "pad"])
def test_file_sharding_gives_each_rank_its_own_files_and_equal_counts(record_files, remainder):
    ranks = [
        _records(
            ff.data.TFRecordDataset(record_files).distribute(
                num_replicas=3, rank=r, remainder=remainder
            )
        )
        for r in range(3)
    ]
    # Without a seed, rank r reads files r, r + 3, ...: 3 + 7 + 1, 5 + 4, 2 + 6 records.
    per_rank = [11, 9, 8]
    want = min(per_rank) if remainder == "drop" else max(per_rank)
    assert [len(r) for r in ranks] == [want] * 3
    for r, got in enumerate(ranks):
        assert {_file_of(x) for x in got} <= set(range(r, len(SIZES), 3))
    if remainder == "drop":
        assert len({x for got in ranks for x in got}) == 3 * want  # disjoint
    else:
        everything = {f"{i}-{j}".encode() for i, n in enumerate(SIZES) for j in range(n)}
        assert {x for got in ranks for x in got} == everything  # complete
        assert ranks[2][8:] == ranks[2][:3]  # the short rank goes round its own data again


def test_with_a_seed_every_epoch_the_ranks_split_a_new_file_order_between_them(tmp_path):
    for i in range(12):
        with ff.io.TFRecordWriter(str(tmp_path / f"f{i:02d}.tfrecord")) as writer:
            for j in range(4):
                writer.write(f"{i}-{j}".encode())
    pattern = str(tmp_path / "*.tfrecord")
    ranks = [
        ff.data.Dataset.list_files(pattern)
        .interleave(ff.data.TFRecordDataset, cycle_length=2)
        .batch(4)
        .distribute(num_replicas=3, rank=r, seed=11)
        for r in range(3)
    ]
    epochs = []
    for _ in range(3):
        files = []
        for ds in ranks:
            batches = list(ds.as_numpy_iterator())
            assert len(batches) == 4  # 16 records in 4 batches on every rank
            files.append(sorted({_file_of(bytes(x)) for b in batches for x in b}))
        assert sorted(f for fs in files for f in fs) == list(range(12))  # a partition
        epochs.append(files)
    assert epochs[0] != epochs[1] != epochs[2]  # a new split each epoch
    again = ff.data.Dataset.list_files(pattern).interleave(ff.data.TFRecordDataset).batch(4)
    same = again.distribute(num_replicas=3, rank=0, seed=11)
    assert [sorted({_file_of(bytes(x)) for b in same for x in b.numpy()}) for _ in range(3)] == [
        e[0] for e in epochs
    ]


def test_a_pass_resumes_from_its_state(record_files):
    ds = (
        ff.data.TFRecordDataset(record_files, num_parallel_reads=2)
        .map(lambda r: ff.strings.join([r, r]))
        .shuffle(4, seed=1)
        .distribute(num_replicas=2, rank=1, seed=3, remainder="pad")
        .repeat(2)
    )
    first, rest, resumed = stopped_and_resumed(ds, 9, bytes)
    assert resumed == rest and len(first + rest) % 2 == 0


def test_parquet_is_split_by_row_group(tmp_path):
    files = []
    for k in range(3):
        table = pa.table({"id": np.arange(k * 100, k * 100 + 30 + 10 * k)})
        files.append(str(tmp_path / f"p{k}.parquet"))
        pq.write_table(table, files[-1], row_group_size=8)
    ranks = [
        ff.data.ParquetDataset(files).distribute(num_replicas=3, rank=r, remainder="pad")
        for r in range(3)
    ]
    got = [[int(e["id"]) for e in ds] for ds in ranks]
    assert len({len(g) for g in got}) == 1
    every = {i for k in range(3) for i in range(k * 100, k * 100 + 30 + 10 * k)}
    assert {i for g in got for i in g} == every
    # Whole row groups of 8 rows (the last of a file shorter) go to one rank each.
    for g in got:
        groups = {(i // 100, (i % 100) // 8) for i in g}
        assert all(
            len([r for r in got if any((i // 100, (i % 100) // 8) == gr for i in r)]) == 1
            for gr in groups
        )
    with pytest.raises(InvalidArgumentError, match="sharded already"):
        ff.data.ParquetDataset(files, shard=(2, 0)).distribute(Policy.FILE, 2, 0)


def test_data_sharding_evens_known_and_unknown_counts():
    for total in (10, 11):
        known = [ff.data.Dataset.range(total).distribute(Policy.DATA, 3, r) for r in range(3)]
        assert [[int(x) for x in ds] for ds in known] == [list(range(r, 9, 3)) for r in range(3)]
        unknown = [
            ff.data.Dataset.range(total).filter(lambda x: x >= 0).distribute(Policy.DATA, 3, r)
            for r in range(3)
        ]
        assert [[int(x) for x in ds] for ds in unknown] == [list(range(r, 9, 3)) for r in range(3)]
    padded = [
        [
            int(x)
            for x in ff.data.Dataset.range(10)
            .filter(lambda x: x >= 0)
            .distribute(Policy.DATA, 3, r, remainder="pad")
        ]
        for r in range(3)
    ]
    assert padded == [[0, 3, 6, 9], [1, 4, 7, 9], [2, 5, 8, 9]]
    known_padded = [
        [int(x) for x in ff.data.Dataset.range(10).distribute(Policy.DATA, 3, r, remainder="pad")]
        for r in range(3)
    ]
    assert known_padded == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert [
        int(x) for x in ff.data.Dataset.range(10).distribute(Policy.DATA, 3, 1, remainder=None)
    ] == [1, 4, 7]


def test_auto_reads_files_when_it_can_and_says_what_it_did(record_files):
    it = iter(ff.data.TFRecordDataset(record_files).batch(2).distribute(num_replicas=3, rank=1))
    next(it)
    notes = it.stats()[0]["notes"]
    assert any(
        n.startswith(
            "rank 1 of 3 (the arguments), FILE over 7 files; this epoch 2 of them; "
            "8 elements, 1 dropped"
        )
        for n in notes
    ), notes
    few = ff.data.TFRecordDataset(record_files[:2]).distribute(num_replicas=3, rank=2)
    assert few._distribution["policy"] == "DATA"
    assert "fewer than the 3 ranks" in few._distribution["why_not_file"]
    with pytest.raises(InvalidArgumentError, match="FILE policy cannot split"):
        ff.data.Dataset.range(5).distribute(Policy.FILE, 2, 0)
    options = ff.data.Options()
    options.experimental_distribute.auto_shard_policy = Policy.OFF
    off = ff.data.Dataset.range(5).with_options(options)
    assert [int(x) for x in off.distribute(num_replicas=2, rank=1)] == list(range(5))


WORKER = """
import datetime, json, sys
import torch, torch.distributed as dist
rank, world, port, pattern, remainder = sys.argv[1:6]
rank, world = int(rank), int(world)
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                        world_size=world, timeout=datetime.timedelta(seconds=60))
import ferroflow as ff
ds = (
    ff.data.Dataset.list_files(pattern)
    .interleave(ff.data.TFRecordDataset, cycle_length=2, num_parallel_calls=2)
    .batch(3)
    .distribute(seed=5, remainder=remainder)
)
epochs = []
for epoch in range(2):
    records, steps = [], 0
    for batch in ds.as_torch():
        # Every rank takes part in each step's collective: a rank with a batch more would
        # wait here for the others until the timeout.
        count = torch.ones(1)
        dist.all_reduce(count)
        assert int(count) == world
        records += [bytes(r).decode() for r in batch]
        steps += 1
    everyone = [None] * world
    dist.all_gather_object(everyone, {"steps": steps, "records": records})
    epochs.append(everyone)
dist.destroy_process_group()
print(json.dumps({"epochs": epochs, "from": ds._distribution["ranks_from"]}))
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("processes", "remainder"), [(2, "drop"), (3, "pad")])
def test_torch_distributed_ranks_read_disjoint_files_in_equal_steps(tmp_path, processes, remainder):
    sizes = [5, 9, 4, 7, 6, 8, 3]
    for i, n in enumerate(sizes):
        with ff.io.TFRecordWriter(str(tmp_path / f"part-{i}.tfrecord")) as writer:
            for j in range(n):
                writer.write(f"{i}-{j}".encode())
    port = str(_free_port())
    args = [str(processes), port, str(tmp_path / "*.tfrecord"), remainder]
    running = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WORKER), str(rank), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in range(processes)
    ]
    results = []
    for p in running:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["from"] == "torch.distributed" for r in results)
    everything = {f"{i}-{j}" for i, n in enumerate(sizes) for j in range(n)}
    splits = []
    for epoch in range(2):
        seen = results[0]["epochs"][epoch]
        assert all(r["epochs"][epoch] == seen for r in results)  # gathered alike everywhere
        steps = {s["steps"] for s in seen}
        assert len(steps) == 1 and steps.pop() > 0
        files = [{int(x.split("-")[0]) for x in s["records"]} for s in seen]
        assert sum(len(f) for f in files) == len(set().union(*files))  # no file on two ranks
        records = [x for s in seen for x in s["records"]]
        if remainder == "drop":
            assert len(records) == len(set(records)) and set(records) <= everything
        else:
            assert set(records) == everything and set().union(*files) == set(range(len(sizes)))
        splits.append(files)
    assert splits[0] != splits[1]  # the seed gives a new split each epoch
