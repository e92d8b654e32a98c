"""How many CPU threads each run of a sweep uses: fixed when it starts, so that workers never change a number.

A run's numbers depend on its intra-op thread count (search.training.threads).
The sweep therefore takes one count when it is created, the machine's cores
shared among the processes that train (all of them for one process, a share
for each of `--workers N`), and writes it into sweep.json. Every later
process that trains its runs, a resume with or without workers or a worker
on another machine, uses that count: a sweep started with 2 workers and
resumed in one process trains its remaining runs on 1 thread, as the
workers did. Each run's record says how many it had.
"""

from __future__ import annotations

from pathlib import Path

from rundir.errors import SweepError
from rundir.manifest import has_manifest, read_manifest
from search.training import threads


def recorded(run_dir: Path) -> int | None:
    """sweep.json's count; None for a new sweep, or one started before the count was kept."""
    if not has_manifest(run_dir):
        return None
    try:
        value = read_manifest(run_dir).threads
    except SweepError:  # a damaged sweep.json: the sweep's own checks say so
        return None
    return value if value is not None and value > 0 else None


def for_new_sweep(workers: int) -> int:
    """The count a sweep started now takes: this process's, or each worker's share of the cores."""
    return max(1, threads.machine_cores() // workers) if workers else threads.in_use()


def settle(run_dir: Path) -> None:
    """Pin this process, before its backend starts, to the count a started sweep's runs use.

    Front ends call it before anything builds a model. A new sweep takes
    this process's own count (`for_new_sweep`), so there is nothing to pin.
    """
    count = recorded(run_dir)
    if count is not None:
        threads.pin(count)


def check(run_dir: Path, count: int | None) -> None:
    """Refuse to train runs of a sweep whose count this process cannot run with."""
    if count is not None and threads.in_use() != count:
        raise SweepError(
            f"{Path(run_dir) / 'sweep.json'}: this sweep's runs use {count} CPU threads each, and this process "
            f"already runs {threads.in_use()} (another thread count changes a run's numbers): run it again "
            "in a new process, e.g. python -m search.run SWEEP_FILE --out " + str(run_dir))
