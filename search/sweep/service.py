"""Trials shared out over processes and machines: the chief serves each round's oracle, workers pull trials.

Keras Tuner's own distributed mode (`KERASTUNER_ORACLE_IP`): the chief
runs the oracle behind a gRPC server (`search.sweep.distributed`) and
watches the records; each worker (local processes, or `--worker
HOST:PORT` on other machines) trains trials into the same run directory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rundir.errors import SweepError
from rundir.manifest import has_manifest, objective_mode, read_manifest
from rundir.records import RunDirectory
from search.sweep import keras_tuner_private as kt_private
from search.sweep import thread_plan
from search.sweep.manifest import check_resumable
from search.sweep.prepare import Prepared
from search.sweep.progress import Progress
from search.sweep.rounds import current_round
from search.sweep.seed_rounds import SeedRounds, sweep_tuner
from search.sweep.tuner import RunOptions
from search.training import device


@dataclass
class Parallel:
    """How a chief shares out trials: `workers` local processes (0: only
    remote ones) started with `worker_args`, listening on host:port."""

    workers: int
    worker_args: list[str]
    host: str = "127.0.0.1"
    port: int = 0
    remote: bool = False  # workers on other machines may join (--chief)


def serve_workers(rounds: SeedRounds, parallel: Parallel, records: RunDirectory, progress: Progress) -> str:
    """Serve the oracle of each round to the workers until the last round is over.

    Returns "" when every trial ran, else why the sweep stopped short. A
    local worker that dies has its trial requeued and is replaced (at most
    `workers` times in all), so one killed process costs one rerun trial.
    Between rounds the workers are told to wait (`RoundOracle`), not to
    stop; each reads the new round's seeds from sweep.json.
    """
    from search.sweep import distributed
    tuner = _round_tuner(rounds)
    served = distributed.RoundOracle(tuner.oracle)
    server = distributed.serve_oracle(served, parallel.host, parallel.port)
    watcher = distributed.RecordWatcher(records)
    watcher.new_finished()  # runs already on disk (resume) are not news
    local = distributed.LocalWorkers([*parallel.worker_args, "--out", str(records.root)], server.address,
                                     parallel.workers, thread_plan.recorded(records.root), gpus=device.gpu_count())
    local.start()
    if parallel.workers:
        progress.say(f"chief: {parallel.workers} workers on {server.address}")
    if parallel.remote:
        progress.say(f"chief: waiting for workers on {server.address} "
                     f"(start them with --worker HOST:{server.address.port})")

    def show_finished_runs() -> None:
        for record in watcher.new_finished():
            progress.run_done(record.trial_id, record.seed, rounds.current.seeds, record.status, record.score,
                              record.wall_time_s, worker=record.worker, fold=record.fold)

    lost = ""
    try:
        while True:
            time.sleep(0.5)
            show_finished_runs()
            _replace_dead(local, tuner.oracle, progress, parallel.workers)
            if served.round_over():
                show_finished_runs()
                tuner.save()
                if rounds.advance():
                    tuner = _round_tuner(rounds)
                    served.switch(tuner.oracle)
                else:
                    served.finish()
            if parallel.remote:  # Keras Tuner's rule: the oracle is done and no worker holds a trial
                if server.stop_triggered and distributed.search_finished(served):
                    break
            elif not local.alive():
                break
        show_finished_runs()
        unfinished = ([t.trial_id for t in tuner.oracle.ongoing_trials.values()]
                      + kt_private.retry_queue(tuner.oracle))
        if unfinished:
            lost = f"trials {', '.join(sorted(set(unfinished)))} did not finish"
        elif not served.finished:
            lost = f"{rounds.current.label().split(':')[0]} did not finish (no worker left)"
    finally:
        local.stop()
        server.stop()
        tuner.save()
    return lost


def _round_tuner(rounds: SeedRounds):
    """The current round's tuner as the chief serves it: its state saved before any worker asks, and the
    round announced with the runs a resume finds on disk."""
    tuner = rounds.tuner()
    tuner.oracle.verbose = 0
    tuner.save()
    rounds.announce(rounds.runs_on_disk())
    return tuner


def _replace_dead(local, oracle, progress: Progress, workers: int) -> None:
    """A local worker that died: its trial goes back to the queue, and another takes its place while
    replacements are left (`workers` in all)."""
    from search.sweep import distributed

    for dead in local.newly_dead():
        trial = distributed.requeue_trial_of(oracle, dead.worker_id)
        what = f"worker {dead.worker_id} {distributed.describe_exit(dead.process.returncode)}"
        if local.restarts_left > 0:
            local.restarts_left -= 1
            replacement = local.spawn()
            progress.say(f"{what}; trial {trial or '-'} goes back to the queue, "
                         f"worker {replacement.worker_id} takes its place")
        else:
            progress.say(f"{what}; trial {trial or '-'} goes back to the queue, no replacement "
                         f"(already replaced {workers} workers)")


def run_worker(prepared: Prepared, out: Path, address: str, worker_id: str | None, quiet: bool,
               options: RunOptions | None = None) -> int:
    """Pull trials from the chief at `address` until it says the search is over.

    The worker writes its records into the chief's run directory, which must
    be this same folder on every machine (a shared file system): the records
    are the sweep's only results, so nothing needs sending back.
    """
    import os
    import socket

    import grpc

    from search.sweep import distributed
    where = distributed.Address.parse(address, "--worker")
    worker_id = worker_id or os.environ.get("KERASTUNER_TUNER_ID") or f"{socket.gethostname()}-{os.getpid()}"
    os.environ.update(distributed.worker_environment(where, worker_id))
    distributed.exit_with_chief()
    records = RunDirectory(out)
    records.prepare()
    device.allow_gpu_memory_growth()
    sweep = prepared.sweep
    progress = Progress(None, sweep.objective, objective_mode(sweep.objective), quiet=quiet)
    tuner = sweep_tuner(prepared, records, progress, f"tuner/workers/{worker_id}", options, worker=worker_id)
    # The chief writes each round into sweep.json before it serves that round's trials.
    tuner.current_round = lambda: current_round(read_manifest(records.root), sweep.seeds)
    distributed.wait_for_chief(where)
    if not has_manifest(records.root):
        raise SweepError(f"{records.root} has no sweep.json from the chief at {where}: every worker must write "
                         "into the chief's run directory (a shared folder), passed with --out")
    check_resumable(records, sweep, prepared.searched)
    thread_plan.check(records.root, thread_plan.recorded(records.root))
    tuner.oracle = distributed.PatientClient(tuner.oracle)
    try:
        tuner.search(verbose=0)
    except grpc.RpcError as exc:
        raise SweepError(f"lost the chief at {where} ({exc.code().name}); finished runs are saved", exit_code=1) from None
    return sum(1 for r in records.read_runs() if r.worker == worker_id)
