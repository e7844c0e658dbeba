"""Hypothesis properties of the ops' algebra, checked against plain Python lists."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ferroflow.data import Dataset
from helpers import collect

sizes = st.integers(min_value=0, max_value=60)
counts = st.integers(min_value=-1, max_value=70)
settings.register_profile("ferroflow", max_examples=60, deadline=None)
settings.load_profile("ferroflow")


@given(n=sizes, k=counts)
def test_take_then_skip_partition(n, k):
    ds = Dataset.range(n)
    taken, rest = collect(ds.take(k)), collect(ds.skip(k))
    expected = list(range(n))
    if k == -1:
        assert taken == expected and rest == []
    else:
        assert taken == expected[:k] and rest == expected[k:]
        assert taken + rest == expected


@given(n=sizes, k=counts)
def test_take_skip_cardinality(n, k):
    ds = Dataset.range(n)
    assert ds.take(k).cardinality() == len(collect(ds.take(k)))
    assert ds.skip(k).cardinality() == len(collect(ds.skip(k)))


@given(n=sizes, b=st.integers(1, 70), drop=st.booleans())
def test_batch_unbatch_round_trip(n, b, drop):
    batched = Dataset.range(n).batch(b, drop_remainder=drop)
    kept = (n // b) * b if drop else n
    assert collect(batched.unbatch()) == list(range(kept))
    assert batched.cardinality() == len(collect(batched))
    assert all(len(x) == b for x in collect(batched)[:-1])


@given(n=sizes, b1=st.integers(1, 20), b2=st.integers(1, 20))
def test_rebatching_equals_direct_batching(n, b1, b2):
    rebatched = collect(Dataset.range(n).batch(b1).unbatch().batch(b2))
    assert rebatched == collect(Dataset.range(n).batch(b2))


@given(n=sizes, shards=st.integers(1, 8))
def test_shards_partition_the_dataset(n, shards):
    ds = Dataset.range(n)
    parts = [collect(ds.shard(shards, i)) for i in range(shards)]
    assert sorted(x for p in parts for x in p) == list(range(n))
    for i, p in enumerate(parts):
        assert p == list(range(i, n, shards))
        assert ds.shard(shards, i).cardinality() == len(p)


@given(lengths=st.lists(sizes, min_size=1, max_size=4))
def test_zip_length_is_the_shortest(lengths):
    ds = Dataset.zip(tuple(Dataset.range(n) for n in lengths))
    out = collect(ds)
    assert len(out) == min(lengths) == ds.cardinality()
    assert all(e == tuple([i] * len(lengths)) for i, e in enumerate(out))


@given(n=sizes, buf=st.integers(1, 80), seed=st.integers(0, 2**32))
def test_shuffle_is_a_permutation(n, buf, seed):
    out = collect(Dataset.range(n).shuffle(buf, seed=seed))
    assert sorted(out) == list(range(n))


@given(n=sizes, times=st.integers(0, 4))
def test_repeat_concatenates(n, times):
    assert collect(Dataset.range(n).repeat(times)) == list(range(n)) * times


@given(n=sizes, cycle=st.integers(1, 5), block=st.integers(1, 5))
def test_interleave_keeps_every_element_in_per_input_order(n, cycle, block):
    ds = Dataset.range(n).interleave(
        lambda x: Dataset.range(x * 100, x * 100 + x % 7), cycle_length=cycle, block_length=block
    )
    out = collect(ds)
    assert sorted(out) == sorted(x * 100 + j for x in range(n) for j in range(x % 7))
    for x in range(n):
        mine = [v for v in out if v // 100 == x]
        assert mine == sorted(mine)
