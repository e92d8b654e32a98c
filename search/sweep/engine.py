"""Run a sweep: lock its run directory, record its manifest, and train round after round.

Like Optuna's `study/_optimize.py`, the loop is kept apart from everything
around it: the checks before training (`search.sweep.prepare`), the
console's header (`search.sweep.header`), what the manifest holds
(`search.sweep.manifest`), the rounds of seeds (`search.sweep.seed_rounds`)
and the chief/worker service (`search.sweep.service`). Judging and the
report come after, from the records (`search.study`).
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from pathlib import Path
from typing import Callable

from rundir.errors import SweepError
from rundir.lock import RunLock
from rundir.manifest import has_manifest, now as manifest_now, objective_mode, read_manifest, write_manifest
from rundir.records import RunDirectory, quarantine_damaged, set_aside_failed
from search.sweep import thread_plan
from search.sweep.manifest import check_resumable, sweep_manifest
from search.sweep.live import LivePage
from search.sweep.prepare import Prepared
from search.sweep.progress import Progress
from search.sweep.result import SweepResult
from search.sweep.rounds import RoundLog, first_round
from search.sweep.seed_rounds import SeedRounds
from search.sweep.service import Parallel, serve_workers
from search.sweep.tuner import RunOptions
from search.training import device


def train_sweep(prepared: Prepared, out: Path, sweep_file: str = "", quiet: bool = False,
                parallel: "Parallel | None" = None, options: RunOptions | None = None,
                draw: Callable[[Path], object] | None = None) -> SweepResult:
    """Train the sweep in this process, or as the chief of `parallel` workers; its records are the result.

    Judging and the report come after, from the records (search.study,
    which both front ends call); `search.run_sweep` is the entry for users.
    `draw(run_dir)`, when given, writes the report: the sweep then keeps it
    current while it runs (`search.sweep.live`).
    """
    records = RunDirectory(out)
    records.prepare()
    with RunLock(records.root):
        return _run_locked(prepared, records, sweep_file, quiet, parallel, options or RunOptions(), draw)


def _run_locked(prepared: Prepared, records: RunDirectory, sweep_file: str, quiet: bool,
                parallel: Parallel | None, options: RunOptions,
                draw: Callable[[Path], object] | None = None) -> SweepResult:
    sweep = prepared.sweep
    check_resumable(records, sweep, prepared.searched)
    records.remove_temp_files()
    damaged = quarantine_damaged(records)  # moved aside: their runs train again below
    retried = set_aside_failed(records, every=options.retry_failed)  # the machine's failures, or every one
    started = (read_manifest(records.root).started if has_manifest(records.root) else "") or manifest_now()
    log = RoundLog([first_round(sweep.seeds)])
    threads = thread_plan.recorded(records.root) or thread_plan.for_new_sweep(parallel.workers if parallel else 0)
    if parallel is None:  # this process trains the runs
        thread_plan.check(records.root, threads)

    def save_manifest(status: str) -> None:
        write_manifest(records.root, sweep_manifest(prepared, sweep_file, started, status, log, threads))

    save_manifest("running")
    device.allow_gpu_memory_growth()

    progress = Progress(None, sweep.objective, objective_mode(sweep.objective), quiet=quiet,
                        parallel=max(1, parallel.workers) if parallel else 1)
    for message in damaged:  # shown even with --quiet: a warning is never progress
        print(f"warning: {message}", file=sys.stderr, flush=True)
    for message in retried:
        progress.say(f"retrying: {message}")
    from search.data.datacheck import check_for_sweep

    check_for_sweep(prepared.data, sweep.image_size, sweep.resize, records.root, progress.say,
                    prepared.folds.k if prepared.folds else None)
    if options.tensorboard:
        from search.sweep import tensorboard_log
        tensorboard_log.write_experiment(records.root, list(prepared.values), sweep.objective)
    page = LivePage(records.root, draw, progress) if draw is not None else None
    if page is not None:
        page.start()
    rounds = SeedRounds(prepared, records, progress, log, save_manifest, options, page)
    try:
        lost = _search(rounds, parallel, records, progress)
    except BaseException:
        # Keep the sweep's own error (a full disk, say) the one the user sees.
        with contextlib.suppress(SweepError):
            records.write_summary()
        with contextlib.suppress(SweepError):
            save_manifest("interrupted")  # Ctrl-C, SIGTERM, a full disk: finished runs are kept, a rerun resumes
            if page is not None:
                page.stopped()
        raise
    records.write_summary()
    if lost:
        save_manifest("interrupted")
        if page is not None:
            page.stopped()
        raise SweepError(f"{lost}; finished runs are saved: rerun the same command to resume", exit_code=1)
    save_manifest("finished")
    return SweepResult(records.root, records.read_runs(), objective=sweep.objective, prepared=prepared)


def _search(rounds: SeedRounds, parallel: Parallel | None, records: RunDirectory, progress: Progress) -> str:
    """Run Keras Tuner's search, round after round, here or through workers; "" if every trial ran."""
    if parallel is not None:
        return serve_workers(rounds, parallel, records, progress)
    while True:
        tuner = rounds.tuner()
        rounds.announce()
        try:
            tuner.search(verbose=0)
        except RuntimeError:
            # Keras Tuner ends a search that hit its failure limit with a bare
            # RuntimeError; whether that is what happened is read from the
            # oracle's own state, not from the message's wording.
            limit = tuner.oracle.max_consecutive_failed_trials
            if not limit or longest_failure_streak(tuner.oracle) < limit:
                raise
            errors = Counter(r.error for r in records.read_runs() if r.status == "failed")
            raise SweepError(
                f"stopped after {limit} failed trials in a row; errors: "
                + "; ".join(f"{e} (x{n})" for e, n in errors.most_common(3))
            ) from None
        if not rounds.advance():
            return ""


def longest_failure_streak(oracle) -> int:
    """The most trials in a row (in the order they ended) that failed: Keras
    Tuner stops the search when this reaches `max_consecutive_failed_trials`."""
    from keras_tuner.engine.trial import TrialStatus

    longest = run = 0
    for trial_id in oracle.end_order:
        run = run + 1 if oracle.trials[trial_id].status == TrialStatus.FAILED else 0
        longest = max(longest, run)
    return longest
