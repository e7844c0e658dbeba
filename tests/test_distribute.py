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
from hypothesis import given, settings
from hypothesis import strategies as st

import ferroflow as ff
from ferroflow.errors import InvalidArgumentError
from helpers import stopped_and_resumed

Policy = ff.data.experimental.AutoShardPolicy
# Records per file: uneven on purpose.
SIZES = [3, 5, 2, 7, 4, 6, 1]


@pytest.fixture
def record_files(tmp_path):
    return _sized_files(tmp_path, SIZES)


def _sized_files(directory, sizes):
    """Files of ``sizes`` records, record j of file i being ``i-j``."""
    paths = []
    for i, n in enumerate(sizes):
        path = str(directory / f"part-{i}.tfrecord")
        with ff.io.TFRecordWriter(path) as writer:
            for j in range(n):
                writer.write(f"{i}-{j}".encode())
        paths.append(path)
    return paths


def _records(ds):
    return [bytes(r) for r in ds.as_numpy_iterator()]


def _batches(ds):
    return [[bytes(x) for x in batch] for batch in ds.as_numpy_iterator()]


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
    every = {i for k in range(3) for i in range(k * 100, k * 100 + 30 + 10 * k)}

    def group(i):  # row groups of 8 rows, the last of a file shorter
        return i // 100, (i % 100) // 8

    for remainder in ("pad", "drop"):
        ranks = [
            ff.data.ParquetDataset(files)
            .batch(5)
            .distribute(num_replicas=3, rank=r, seed=4, remainder=remainder)
            for r in range(3)
        ]
        epochs = []
        for _ in range(2):
            got = [[int(i) for b in ds for i in b["id"]] for ds in ranks]
            assert len({len(g) for g in got}) == 1  # as many rows on every rank
            if remainder == "pad":
                assert {i for g in got for i in g} == every
            else:
                assert len({i for g in got for i in g}) == sum(len(g) for g in got)
            # Whole row groups go to one rank each.
            owners = {}
            for r, g in enumerate(got):
                for i in g:
                    assert owners.setdefault(group(i), r) == r
            epochs.append(owners)
        assert epochs[0] != epochs[1]  # with a seed, each epoch deals the row groups afresh
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


# A rank of a torch.distributed job (gloo, on loopback): argv is the rank, the number of
# ranks, the port, then the script's own arguments.
JOIN = """
import datetime, json, sys
import torch, torch.distributed as dist
rank, world, port = (int(a) for a in sys.argv[1:4])
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                        world_size=world, timeout=datetime.timedelta(seconds=60))
import ferroflow as ff

def pipeline(pattern, **distribute):
    return (
        ff.data.Dataset.list_files(pattern)
        .interleave(ff.data.TFRecordDataset, cycle_length=2, num_parallel_calls=2)
        .batch(3)
        .distribute(seed=5, **distribute)
    )
"""

WORKER = (
    JOIN
    + """
pattern, remainder = sys.argv[4:6]
ds = pipeline(pattern, remainder=remainder)
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
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("processes", "remainder"), [(2, "drop"), (3, "pad")])
def test_torch_distributed_ranks_read_disjoint_files_in_equal_steps(tmp_path, processes, remainder):
    sizes = [5, 9, 4, 7, 6, 8, 3]
    _sized_files(tmp_path, sizes)
    results = _run_ranks(WORKER, processes, str(tmp_path / "*.tfrecord"), remainder)
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


def _ranks(paths, ranks, remainder, **reader):
    return [
        ff.data.TFRecordDataset(paths, **reader)
        .map(lambda r: r)
        .batch(3)
        .distribute(num_replicas=ranks, rank=r, seed=4, remainder=remainder)
        for r in range(ranks)
    ]


def _first_steps(datasets, steps):
    """Every rank's records of its first ``steps`` batches, and rank 0's state after them."""
    records, state = [], None
    for ds in datasets:
        it = iter(ds)
        for _ in range(steps):
            records += [bytes(x).decode() for x in next(it)]
        state = state or json.loads(json.dumps(it.get_state()))
    return records, state


def _rest(datasets, state):
    got = []
    for ds in datasets:
        it = iter(ds)
        it.set_state(state)
        got.append([bytes(x).decode() for b in it for x in b])
    return got


@pytest.mark.parametrize("remainder", [None, "drop", "pad"])
def test_a_pass_saved_on_two_ranks_goes_on_with_three(tmp_path, remainder):
    sizes = [3, 5, 2, 7, 4, 6, 1, 9]
    paths = _sized_files(tmp_path, sizes)
    everything = {f"{i}-{j}" for i, n in enumerate(sizes) for j in range(n)}
    before, state = _first_steps(_ranks(paths, 2, remainder, num_parallel_reads=2), 2)
    three = _ranks(paths, 3, remainder, num_parallel_reads=2)
    after = _rest(three, state)
    assert len({len(a) for a in after}) == 1 or remainder is None  # even counts again
    delivered = before + [x for a in after for x in a]
    if remainder == "pad":
        assert set(delivered) == everything  # repeats only where a rank went round
    else:
        assert len(delivered) == len(set(delivered))  # nothing twice
    if remainder is None:
        assert set(delivered) == everything  # and nothing lost
    if remainder == "drop":
        assert len(everything - set(delivered)) < 3  # only the cut that evens three ranks
    # The next pass is the next epoch of a run that was never interrupted.
    reference = _ranks(paths, 3, remainder, num_parallel_reads=2)
    for ds in reference:
        list(ds)
    assert [_batches(ds) for ds in three] == [_batches(ds) for ds in reference]


def test_a_resumed_pass_can_be_saved_and_moved_again(tmp_path):
    sizes = [6, 2, 8, 5, 3, 7]
    paths = _sized_files(tmp_path, sizes)
    before, state = _first_steps(_ranks(paths, 3, None), 1)
    middle = []
    states = []
    for ds in _ranks(paths, 2, None):
        it = iter(ds)
        it.set_state(state)
        middle += [bytes(x).decode() for x in next(it)]
        states.append(json.loads(json.dumps(it.get_state())))
    assert "position" not in states[0]
    after = _rest(_ranks(paths, 4, None), states[1])
    delivered = before + middle + [x for a in after for x in a]
    assert sorted(delivered) == sorted(f"{i}-{j}" for i, n in enumerate(sizes) for j in range(n))


def test_a_pass_whose_records_move_between_elements_is_not_moved(record_files):
    def shuffled(ranks, rank):
        return (
            ff.data.TFRecordDataset(record_files)
            .shuffle(8, seed=1)
            .batch(2)
            .distribute(num_replicas=ranks, rank=rank)
        )

    it = iter(shuffled(2, 0))
    next(it)
    state = it.get_state()
    assert "distribution" not in state
    moved = iter(shuffled(3, 0))
    with pytest.raises(InvalidArgumentError, match="another dataset definition"):
        moved.set_state(state)
    # Passes of a repeat are not the distributed passes; a dataset not distributed takes
    # no distributed state.
    plain = ff.data.TFRecordDataset(record_files).batch(2)
    repeated = iter(plain.distribute(num_replicas=2, rank=0).repeat(2))
    next(repeated)
    assert "distribution" not in repeated.get_state()
    it = iter(plain.distribute(num_replicas=2, rank=0).prefetch(1))
    next(it)
    state = it.get_state()
    assert state["distribution"]["delivered"] == 1
    with pytest.raises(InvalidArgumentError, match="not made by distribute"):
        iter(plain).set_state(state)


@settings(max_examples=20, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 9), min_size=3, max_size=8),
    interleave=st.tuples(st.integers(1, 4), st.integers(1, 3)),
    ranks=st.tuples(st.integers(2, 3), st.integers(1, 4)),
    steps=st.integers(0, 3),
)
def test_any_pass_moved_to_any_number_of_ranks_loses_and_repeats_nothing(
    tmp_path_factory, sizes, interleave, ranks, steps
):
    paths = _sized_files(tmp_path_factory.mktemp("files"), sizes)
    cycle, block = interleave

    def pipeline(count, rank):
        return (
            ff.data.Dataset.from_tensor_slices(paths)
            .interleave(ff.data.TFRecordDataset, cycle_length=cycle, block_length=block)
            .batch(2)
            .distribute(num_replicas=count, rank=rank, seed=9, remainder=None)
        )

    # Every rank takes the same steps, as in a training loop: no more than the shortest has
    # (in the first pass, which a new dataset's first pass is).
    lengths = [len(_batches(pipeline(ranks[0], rank))) for rank in range(ranks[0])]
    taken = min([steps, *lengths])
    before, state = [], None
    for ds in [pipeline(ranks[0], rank) for rank in range(ranks[0])]:
        it = iter(ds)
        for _ in range(taken):
            before += [bytes(x).decode() for x in next(it)]
        state = state or json.loads(json.dumps(it.get_state()))
    after = []
    for rank in range(ranks[1]):
        it = iter(pipeline(ranks[1], rank))
        it.set_state(state)
        after += [bytes(x).decode() for b in it for x in b]
    everything = sorted(f"{i}-{j}" for i, n in enumerate(sizes) for j in range(n))
    assert sorted(before + after) == everything


ELASTIC_WORKER = (
    JOIN
    + """
pattern, state_path, steps = sys.argv[4], sys.argv[5], int(sys.argv[6])
ds = pipeline(pattern)
it = iter(ds)
if steps < 0:  # the second run: every rank takes the rest of the pass from one saved state
    with open(state_path) as f:
        it.set_state(json.load(f))
records, taken = [], 0
for batch in it:
    count = torch.ones(1)
    dist.all_reduce(count)  # waits for ever (until the timeout) on a rank with fewer steps
    records += [bytes(r).decode() for r in batch]
    taken += 1
    if taken == steps:
        break
if steps > 0 and rank == 0:
    with open(state_path, "w") as f:
        json.dump(it.get_state(), f)
everyone = [None] * world
dist.all_gather_object(everyone, {"steps": taken, "records": records})
dist.destroy_process_group()
print(json.dumps({"ranks": everyone, "per_rank": ds._distribution["epoch"]["elements_per_rank"]}))
"""
)


def _run_ranks(script, processes, *args):
    port = str(_free_port())
    running = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), str(rank), str(processes), port]
            + [str(a) for a in args],
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
    return results


def test_two_torch_distributed_ranks_checkpoint_and_three_go_on(tmp_path):
    sizes = [5, 9, 4, 7, 6, 8, 3]
    _sized_files(tmp_path, sizes)
    pattern, state = str(tmp_path / "*.tfrecord"), str(tmp_path / "state.json")
    first = _run_ranks(ELASTIC_WORKER, 2, pattern, state, 3)[0]
    assert [r["steps"] for r in first["ranks"]] == [3, 3]
    rest = _run_ranks(ELASTIC_WORKER, 3, pattern, state, -1)[0]
    steps = {r["steps"] for r in rest["ranks"]}
    assert len(steps) == 1 and steps.pop() > 0  # even again, over three ranks
    delivered = [x for run in (first, rest) for r in run["ranks"] for x in r["records"]]
    assert len(delivered) == len(set(delivered))  # no record twice
    everything = {f"{i}-{j}" for i, n in enumerate(sizes) for j in range(n)}
    # Missing: only what evening the two ranks' first pass dropped, and the cut that evens
    # what was left over three ranks.
    per_rank = first["per_rank"]
    assert len(everything - set(delivered)) <= sum(per_rank) - 2 * min(per_rank) + 2
