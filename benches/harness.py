"""Benchmark plumbing. A workload runs through several systems (ferroflow and the anchors
that are installed); every measurement is a fresh process running one system, the systems
take turns (the order rotates each round), and each system runs ``--rounds`` times. What is
printed is the median with the range, never the best run: the time to the first batch, the
first epoch (start-up included) and the steady state (the epochs after it) apart, with the
CPU time and context switches per item, and ferroflow's ratio to each anchor taken round by
round. See ``benches/README.md``.

A bench script describes its workloads and calls ``main``:

    WORKLOADS = {"images": Workload("...", "images", [System("ferroflow", ff_epochs), ...])}
    if __name__ == "__main__":
        main(WORKLOADS)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass
class System:
    """One way of running a workload. ``setup()`` runs in the measured process (imports
    included) and returns a function that makes one epoch's iterable of batches; ``count``
    says how many items a batch holds. ``requires`` are the modules it imports: a system
    whose modules are not installed is skipped."""

    name: str
    setup: Callable[[], Callable[[], Iterable[Any]]]
    count: Callable[[Any], int] = len
    requires: tuple[str, ...] = ()

    def missing(self) -> list[str]:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    def versions(self) -> str:
        """The installed versions of the distributions that provide its modules."""
        providers = importlib.metadata.packages_distributions()
        found = []
        for module in self.requires:
            top = module.split(".")[0]
            for dist in providers.get(top, [top]):
                try:
                    found.append(f"{dist} {importlib.metadata.version(dist)}")
                except importlib.metadata.PackageNotFoundError:
                    pass
        return ", ".join(dict.fromkeys(found))


@dataclass
class Workload:
    """The same job through several systems; the first is the one ratios are taken of."""

    title: str
    unit: str
    systems: list[System]
    epochs: int = 3
    notes: list[str] = field(default_factory=list)
    # The files the workload reads: read through before every run, so every run starts
    # with them in the page cache rather than the first one paying for the disk.
    files: Callable[[], list[str]] | None = None
    # Whether ``count`` is the training loop's step: then the share of each epoch the loop
    # spent waiting for batches (outside ``count``) is reported too.
    loop_step: bool = False


def _warm(paths: list[str]) -> None:
    for path in paths:
        with open(path, "rb") as f:
            while f.read(1 << 22):
                pass


# The systems' top-level modules: a process measuring one must not have loaded another.
SYSTEM_MODULES = ("ferroflow", "tensorflow", "torch", "grain", "spdl")


def optional(module: str):
    """The module if it can be imported, else None."""
    try:
        return importlib.import_module(module)
    except Exception:
        return None


def spread(values: list[float], fmt: str, scale: float = 1.0) -> str:
    """The median of ``values`` with their range, as ``median (low-high)``, each divided by
    ``scale`` and formatted with ``fmt``."""
    lo, mid, hi = min(values) / scale, statistics.median(values) / scale, max(values) / scale
    return f"{mid:{fmt}} ({lo:{fmt}}-{hi:{fmt}})"


def run_fresh(script: str, *args: str) -> Any:
    """Runs ``python script --child args...`` in a fresh process and returns the JSON value
    the child printed last."""
    path = Path(script).resolve()  # the child runs in the script's folder
    out = subprocess.run(
        [sys.executable, str(path), "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=path.parent,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def batch_rows(batch: Any) -> int:
    """The items in a batch that is one array: its first dimension."""
    return int(batch.shape[0])


def mapped(dataset: Any, fn: Callable[..., Any], processes: int, threads: int) -> Any:
    """``dataset.map(fn)`` in ``processes`` worker processes, or on ``threads`` threads when
    ``processes`` is 0."""
    if processes:
        return dataset.map(fn, processes=processes)
    return dataset.map(fn, num_parallel_calls=threads)


def burn(seconds: float) -> None:
    """Uses this thread's CPU for ``seconds``, as a training step on the CPU would."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def _usage() -> tuple[float, int]:
    """CPU seconds and context switches so far, of this process and its reaped children."""
    cpu, switches = 0.0, 0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        cpu += r.ru_utime + r.ru_stime
        switches += r.ru_nvcsw + r.ru_nivcsw
    return cpu, switches


#: The process id of a server the systems talk to (an object store on loopback), set by a
#: benchmark that starts one: its CPU time per item is reported beside the system's own.
HELPER_PID = "BENCH_HELPER_PID"


def _helper_cpu() -> float | None:
    """CPU seconds so far of the helper process, if a benchmark named one (Linux)."""
    pid = os.environ.get(HELPER_PID)
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _child(system: System, epochs: int, burn_ms: float) -> dict[str, Any]:
    """Runs ``epochs`` epochs of one system in this (fresh) process and times them: the
    setup (imports and building the pipeline), then each epoch from the moment the loop
    asks for its iterator, with the first batch's arrival."""
    start = time.perf_counter()
    make_epoch = system.setup()
    setup = time.perf_counter() - start
    foreign = [m for m in SYSTEM_MODULES if m in sys.modules and m not in system.requires]
    if foreign:
        raise SystemExit(f"{system.name} loaded {', '.join(foreign)}: one system per process")
    first_batch = None
    measured = []
    for _ in range(epochs):
        began = time.perf_counter()
        cpu0, switches0 = _usage()
        helper0 = _helper_cpu()
        items, in_loop = 0, 0.0
        for batch in make_epoch():
            arrived = time.perf_counter()
            if first_batch is None:
                first_batch = arrived - began
            items += system.count(batch)
            if burn_ms:
                burn(burn_ms / 1000)
            in_loop += time.perf_counter() - arrived
        cpu1, switches1 = _usage()
        helper1 = _helper_cpu()
        measured.append(
            {
                "s": time.perf_counter() - began,
                "items": items,
                "cpu_s": cpu1 - cpu0,
                "switches": switches1 - switches0,
                "loop_s": in_loop,
                "helper_cpu_s": None if helper0 is None or helper1 is None else helper1 - helper0,
            }
        )
    return {"setup_s": setup, "first_batch_s": first_batch, "epochs": measured}


def _steady(run: dict[str, Any]) -> dict[str, float]:
    later = run["epochs"][1:] or run["epochs"]
    items = sum(e["items"] for e in later)
    seconds = sum(e["s"] for e in later)
    return {
        "rate": items / seconds,
        "cpu_us": 1e6 * sum(e["cpu_s"] for e in later) / items,
        "switches": sum(e["switches"] for e in later) / items,
        "waited": 1 - sum(e["loop_s"] for e in later) / seconds,
    }


def _first_rate(run: dict[str, Any]) -> float:
    first = run["epochs"][0]
    return first["items"] / first["s"]


def _report(
    workload: Workload, runs: dict[str, list[dict[str, Any]]], epochs: int, burn_ms: float
) -> None:
    rounds = max(len(r) for r in runs.values())
    print(f"\n{workload.title}")
    busy = f"; the loop burns {burn_ms:g} ms of CPU per batch" if burn_ms else ""
    print(
        f"  {rounds} rounds, a fresh process per run, systems alternating; "
        f"{epochs} epochs per run{busy}; median (range)"
    )
    for note in workload.notes:
        print(f"  {note}")
    unit = workload.unit
    width = max(len(name) for name in runs) + 2
    print(
        f"  {'system':<{width}}  {'setup s':>22}  {'first batch s':>22}  "
        f"{f'first epoch {unit}/s':>34}  {f'steady {unit}/s':>38}  {'CPU us/item':>24}  "
        f"{'switches/item':>24}"
    )
    for name, got in runs.items():
        steady = [_steady(r) for r in got]
        print(
            f"  {name:<{width}}  {spread([r['setup_s'] for r in got], '.3f'):>22}  "
            f"{spread([r['first_batch_s'] for r in got], '.3f'):>22}  "
            f"{spread([_first_rate(r) for r in got], ',.0f'):>34}  "
            f"{spread([s['rate'] for s in steady], ',.0f'):>38}  "
            f"{spread([s['cpu_us'] for s in steady], '.3f'):>24}  "
            f"{spread([s['switches'] for s in steady], '.4f'):>24}"
        )
    helped = {
        name: [r for r in got if r["epochs"][-1].get("helper_cpu_s") is not None]
        for name, got in runs.items()
    }
    if any(helped.values()):
        print("  CPU us/item of the server the system reads from (steady epochs):")
        for name, got in helped.items():
            if not got or not any(e["helper_cpu_s"] for r in got for e in r["epochs"][1:]):
                continue
            per_item = [
                1e6
                * sum(e["helper_cpu_s"] for e in r["epochs"][1:])
                / sum(e["items"] for e in r["epochs"][1:])
                for r in got
            ]
            print(f"    {name:<{width}}  {spread(per_item, '.3f')}")
    if workload.loop_step:
        print("  share of the steady epochs' time the training loop waited for batches:")
        for name, got in runs.items():
            waited = [100 * _steady(r)["waited"] for r in got]
            print(f"    {name:<{width}}  {spread(waited, '.1f')} %")
    base_name = workload.systems[0].name
    base = runs.get(base_name)
    for name, got in runs.items():
        if base is None or name.startswith("ferroflow"):
            continue
        pairs = list(zip(base, got))
        first = [_first_rate(b) / _first_rate(o) for b, o in pairs]
        steady = [_steady(b)["rate"] / _steady(o)["rate"] for b, o in pairs]
        print(
            f"  {base_name} / {name}: first epoch {spread(first, '.2f')}x, "
            f"steady {spread(steady, '.2f')}x"
        )


def main(workloads: dict[str, Workload]) -> None:
    """Runs the script's workloads (or, with ``--child``, one system of one of them)."""
    script = sys.argv[0]
    parser = argparse.ArgumentParser(description=(sys.modules["__main__"].__doc__ or "").strip())
    parser.add_argument("names", nargs="*", help=f"workloads to run: {', '.join(workloads)}")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, help="epochs per run (each workload has its own)")
    parser.add_argument("--burn-ms", type=float, default=0.0, help="CPU the loop uses per batch")
    parser.add_argument("--systems", help="comma-separated names of the systems to run")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, system_name, epochs, burn_ms = args.child
        system = next(s for s in workloads[name].systems if s.name == system_name)
        print(json.dumps(_child(system, int(epochs), float(burn_ms))))
        return
    unknown = set(args.names) - set(workloads)
    if unknown:
        parser.error(f"no such workload: {', '.join(sorted(unknown))}")
    chosen = set(args.systems.split(",")) if args.systems else None
    for name in args.names or list(workloads):
        workload = workloads[name]
        epochs = args.epochs or workload.epochs
        systems = []
        for s in workload.systems:
            if chosen is not None and s.name not in chosen:
                continue
            if s.missing():
                print(f"  ({s.name} skipped: {', '.join(s.missing())} not installed)")
            else:
                systems.append(s)
        if not systems:
            print(f"\n{name}: no system to run (--systems, or none installed)")
            continue
        print(
            "\nversions: "
            + "; ".join(f"{s.name}: {s.versions() or 'n/a'}" for s in systems)
            + f"; Python {sys.version.split()[0]}"
        )
        runs: dict[str, list[dict[str, Any]]] = {s.name: [] for s in systems}
        for round_ in range(args.rounds):
            turn = round_ % max(len(systems), 1)
            for s in systems[turn:] + systems[:turn]:
                if workload.files is not None:
                    _warm(workload.files())
                child = (name, s.name, str(epochs), str(args.burn_ms))
                runs[s.name].append(run_fresh(script, *child))
        _report(workload, runs, epochs, args.burn_ms)
