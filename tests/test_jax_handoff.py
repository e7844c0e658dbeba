"""``Dataset.as_jax``: batches become ``jax.Array``s on the devices, laid out by a sharding;
over several processes (JAX's distributed runtime on loopback, CPU devices) each process's
batch becomes its part of one global array."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import jax
import pytest

import ferroflow as ff


def _batches():
    ds = ff.data.Dataset.range(16).map(
        lambda x: {"x": ff.cast(x, ff.float32), "name": ff.strings.as_string(x)}
    )
    return ds.batch(4)


def test_batches_arrive_as_jax_arrays_and_resume_where_they_stopped():
    got = list(_batches().as_jax())
    assert len(got) == len(_batches().as_jax()) == 4
    assert isinstance(got[0]["x"], jax.Array) and got[0]["x"].tolist() == [0, 1, 2, 3]
    assert got[0]["name"].numpy().tolist() == [b"0", b"1", b"2", b"3"]  # strings stay numpy
    it = iter(_batches().as_jax(prefetch=3))
    next(it)
    state = it.state_dict()  # after the batch returned, not the three on their way
    rest = [b["x"].tolist() for b in it]
    resumed = iter(_batches().as_jax())
    resumed.load_state_dict(state)
    assert (
        [b["x"].tolist() for b in resumed]
        == rest
        == [[4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]
    )


def _fails_at_three(x):
    if int(x) == 3:
        raise ValueError("element 3")
    return x


def _outcomes(iterator):
    got = []
    for _ in range(8):
        try:
            got.append(int(next(iterator)))
        except ValueError:
            got.append("error")
        except StopIteration:
            got.append("end")
            break
    return got


def test_an_error_comes_after_the_batches_before_it():
    # As the plain iterator gives them: the batches before the error, then the error.
    ds = ff.data.Dataset.range(6).map(_fails_at_three)
    plain = _outcomes(iter(ds))
    assert plain[:4] == [0, 1, 2, "error"]
    assert _outcomes(iter(ds.as_jax(prefetch=2))) == plain


def _run(code: str, *args: str, devices: int = 1) -> subprocess.Popen:
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _result(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


SHARDED = """
import json
import jax, numpy as np, ferroflow as ff
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
sharding = NamedSharding(Mesh(np.array(jax.devices()), ("data",)), P("data"))
batch = next(iter(ff.data.Dataset.range(8).batch(8).as_jax(sharding=sharding)))
shards = sorted((s.index[0].start, s.data.tolist()) for s in batch.addressable_shards)
print(json.dumps({"devices": len(jax.devices()), "shards": shards, "whole": batch.tolist()}))
"""


def test_a_sharding_spreads_each_batch_over_the_devices():
    got = _result(_run(SHARDED, devices=4))
    assert got["devices"] == 4 and got["whole"] == list(range(8))
    assert got["shards"] == [[0, [0, 1]], [2, [2, 3]], [4, [4, 5]], [6, [6, 7]]]


PROCESS = """
import json, sys
import jax
jax.config.update("jax_cpu_collectives_implementation", "gloo")
index, count, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
jax.distributed.initialize(f"127.0.0.1:{port}", num_processes=count, process_id=index)
import numpy as np, ferroflow as ff
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
sharding = NamedSharding(Mesh(np.array(jax.devices()), ("data",)), P("data"))
ds = ff.data.Dataset.range(48).map(lambda x: ff.cast(x, ff.float32) * 10).batch(4)
local = ds.distribute()  # the ranks are JAX's processes
assert local._distribution["ranks_from"] == "jax", local._distribution
batches = []
for batch in local.as_jax(sharding=sharding):
    whole = multihost_utils.process_allgather(batch, tiled=True)
    batches.append({"shape": list(batch.shape), "global": np.asarray(whole).tolist()})
print(json.dumps({
    "local": [b.tolist() for b in local.as_numpy_iterator()],
    "batches": batches,
    "devices": len(jax.devices()),
}))
jax.distributed.shutdown()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("processes", [2, 3])
def test_each_process_batch_is_its_part_of_the_global_batch(processes):
    port = str(_free_port())
    running = [_run(PROCESS, str(i), str(processes), port, devices=2) for i in range(processes)]
    results = [_result(p) for p in running]
    steps = len(results[0]["batches"])
    assert steps == 12 // processes
    for step in range(steps):
        want = [v for r in results for v in r["local"][step]]  # in process order
        for r in results:
            assert r["devices"] == 2 * processes
            assert r["batches"][step]["shape"] == [4 * processes]
            assert r["batches"][step]["global"] == want
    seen = sorted(v for r in results for b in r["local"] for v in b)
    assert seen == [10.0 * i for i in range(48)]
