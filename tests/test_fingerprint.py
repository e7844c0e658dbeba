"""Dataset.fingerprint(): one digest per dataset definition, the same in every process,
different as soon as a source, an argument, a function's code or values, or a seed differ."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ferroflow as ff

SCALE = 3

PIPELINE = """
import numpy as np
import ferroflow as ff
offset = 5
ds = (
    ff.data.Dataset.from_tensor_slices({"x": np.arange(10), "y": np.array([b"a"] * 10)})
    .map(lambda e: (e["x"] + offset, e["y"]), num_parallel_calls=2)
    .shuffle(4, seed=7)
    .batch(3, drop_remainder=True)
    .prefetch(2)
)
print(ds.fingerprint())
"""


def test_the_same_definition_has_the_same_fingerprint_in_another_process():
    def run() -> str:
        out = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(PIPELINE)],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    namespace: dict = {}
    exec(
        textwrap.dedent(PIPELINE).replace("print(ds.fingerprint())", "fp = ds.fingerprint()"),
        namespace,
    )
    first = run()
    assert len(first) == 32 and int(first, 16) >= 0
    assert run() == first
    # Defined here the function has another code location but the same code.
    assert namespace["fp"] == first


def _base(stop=10, factor=2, batch=3):
    return ff.data.Dataset.range(stop).map(lambda x: x * factor).batch(batch)


def _scaled(x):
    return x * SCALE


@pytest.mark.parametrize(
    "other",
    [
        lambda: _base(stop=11),
        lambda: _base(factor=4),
        lambda: _base(batch=4),
        lambda: ff.data.Dataset.range(10).map(lambda x: x * 2 + 0).batch(3),
        lambda: ff.data.Dataset.range(10).map(lambda x: x * 2).batch(3, drop_remainder=True),
        lambda: ff.data.Dataset.range(10).map(lambda x: x * 2).batch(3).shuffle(2),
        lambda: _base().with_options(ff.data.Options()),
    ],
)
def test_any_change_of_definition_changes_the_fingerprint(other):
    assert _base().fingerprint() == _base().fingerprint()
    assert other().fingerprint() != _base().fingerprint()


def test_the_values_a_function_reads_count(monkeypatch):
    before = ff.data.Dataset.range(4).map(_scaled).fingerprint()
    monkeypatch.setattr(sys.modules[__name__], "SCALE", 4)
    assert ff.data.Dataset.range(4).map(_scaled).fingerprint() != before


def test_seeds_count_and_op_names_do_not():
    def shuffled(seed=None, name=None):
        return ff.data.Dataset.range(8).shuffle(8, seed=seed, name=name)

    assert shuffled(1).fingerprint() != shuffled(2).fingerprint()
    assert shuffled(1).fingerprint() == shuffled(1, name="mine").fingerprint()
    try:
        ff.random.set_seed(1)
        first = shuffled().fingerprint()
        ff.random.set_seed(2)
        assert shuffled().fingerprint() != first
        ff.random.set_seed(1)
        assert shuffled().fingerprint() == first
    finally:
        ff.random.set_seed(None)


def test_files_and_array_contents_count(tmp_path):
    a = ff.data.TFRecordDataset([str(tmp_path / "a")]).fingerprint()
    assert ff.data.TextLineDataset([str(tmp_path / "a")]).fingerprint() != a
    assert ff.data.TFRecordDataset([str(tmp_path / "b")]).fingerprint() != a
    assert ff.data.TFRecordDataset([str(tmp_path / "a")]).fingerprint() == a
    x = np.arange(100.0)
    y = x.copy()
    y[57] += 1e-9
    assert (
        ff.data.Dataset.from_tensor_slices(x).fingerprint()
        != ff.data.Dataset.from_tensor_slices(y).fingerprint()
    )


def test_every_way_of_making_a_dataset_gives_one():
    base = ff.data.Dataset.range(6)
    made = [
        base,
        ff.data.Dataset.counter(),
        ff.data.Dataset.random(seed=1),
        ff.data.Dataset.from_tensors([1, 2]),
        ff.data.Dataset.from_generator(lambda: iter([1, 2]), output_types=ff.int64),
        ff.data.Dataset.zip((base, base)),
        ff.data.Dataset.sample_from_datasets([base, base], seed=1),
        ff.data.Dataset.choose_from_datasets([base, base], ff.data.Dataset.range(2)),
        base.enumerate(),
        base.filter(lambda x: x > 2),
        base.flat_map(lambda x: ff.data.Dataset.from_tensors(x)),
        base.interleave(lambda x: ff.data.Dataset.from_tensors(x), cycle_length=2),
        base.window(2),
        base.scan(0, lambda s, x: (s + x, s)),
        base.unique(),
        base.take_while(lambda x: x < 3),
        base.shard(2, 0),
        base.skip(1).take(2).repeat(2),
        base.concatenate(base),
        base.cache(),
        base.ignore_errors(),
        base.batch(2).unbatch(),
        base.padded_batch(2),
        base.ragged_batch(2),
        base.group_by_window(lambda x: x % 2, lambda k, w: w.batch(2), window_size=2),
        base.apply(lambda d: d.map(lambda x: x + 1)),
        ff.data.experimental.Counter(),
    ]
    prints = [d.fingerprint() for d in made]
    assert len(set(prints)) == len(prints)
