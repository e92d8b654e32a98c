"""Whole-sweep wall time: this project vs a plain Keras Tuner sweep.

Both sides run the same grid configurations (BENCH_SPACE, batch 32, no
early stopping), each --seeds times (ours: seeds; plain Keras Tuner:
executions_per_trial, a fresh model each), for the same epochs on the same
folder, with the same split, in the same process. Each side's clock starts
before the data is read and stops when its search returns: reading and decoding the
images, building, training, validating, and the side's own bookkeeping
(Keras Tuner's oracle files and best-epoch checkpoints; our run records)
are all inside. Our HTML report is not (it has its own benchmark, `report`),
unless --with-report. `details` splits each side's time into epochs (begin
-> end of every epoch, the first one's tracing included) and the rest (data
loading, building, checkpoints, records).

Before either side runs, every file of the folder is read once (so neither
pays the cold disk) and one tiny model is fitted (so neither pays
TensorFlow's start-up). With --repeat N the pair runs N times, alternating
which side goes first, and the medians are reported.
"""

from __future__ import annotations

import gc
import sys
import tempfile
from pathlib import Path

from benchmarks.common import (
    Measurement, bench_sweep, check, config_key, instrument_sweep_epochs, median, require_folder, timed,
    warm_page_cache, warm_up_keras,
)

TARGET = ">= 2"


def _trials(records) -> list[dict]:
    """One row per configuration, scored by the mean over its seeds, as
    Keras Tuner scores a trial over its executions."""
    by_trial: dict[str, list] = {}
    for r in records:
        by_trial.setdefault(r.trial_id, []).append(r)
    return [{"values": runs[0].hyperparameters, "score": sum(r.score for r in runs) / len(runs)}
            for runs in by_trial.values()]


def _ours(args, data: Path, out: Path) -> dict:
    from search.sweep.prepare import prepare
    from search.study import run_study

    sweep = bench_sweep(data, model=args.model, image_size=args.image_size, trials=args.trials, epochs=args.epochs,
                        batch_size=args.batch_size, validation_split=args.validation_split, name="sweep",
                        median_stopping_after=args.median_stopping, seeds=args.seeds)
    with instrument_sweep_epochs() as timing:
        prepared, prepare_s = timed(prepare, sweep)
        result, sweep_s = timed(run_study, prepared, out, quiet=True, write_report=args.with_report)
    records = result.records
    failed = [r.error for r in records if r.status != "completed"]
    if failed:
        raise RuntimeError(f"our sweep had failed runs: {failed[:3]}")
    trials = _trials(records)
    return {
        "seconds": prepare_s + sweep_s,
        "prepare_s": prepare_s,
        "first_epoch_s": median(c.end[0] - c.begin[0] for c in timing.clocks if c.end),
        "steady_epoch_s": median(x for c in timing.clocks for x in c.steady_intervals()),
        "in_epochs_s": sum(c.total() for c in timing.clocks),
        "trials": trials,
        "best": max(t["score"] for t in trials),
        "epochs_run": sum(r.epochs_run for r in records),
        "pruned": sum(r.pruned for r in records),
        "n_train": len(prepared.data.y_train),
        "n_val": len(prepared.data.y_val),
    }


def _plain(args, data: Path, out: Path) -> dict:
    from benchmarks.baseline import plain_keras_tuner_sweep

    r = plain_keras_tuner_sweep(data, model=args.model, image_size=args.image_size, trials=args.trials,
                                epochs=args.epochs, batch_size=args.batch_size,
                                validation_split=args.validation_split, directory=out, executions=args.seeds)
    return {
        "seconds": r.seconds,
        "dataset_s": r.dataset_s,
        "first_epoch_s": median(c.end[0] - c.begin[0] for c in r.clocks if c.end),
        "first_run_first_epoch_s":
            (r.clocks[0].end[0] - r.clocks[0].begin[0]) if r.clocks and r.clocks[0].end else None,
        "steady_epoch_s": median(x for c in r.clocks for x in c.steady_intervals()),
        "in_epochs_s": sum(c.total() for c in r.clocks),
        "trials": r.trials,
        "best": r.best,
        "n_train": r.n_train,
        "n_val": r.n_val,
    }


def run(args) -> list[Measurement]:
    import keras

    data = require_folder("sweep", args.data)
    warm_page_cache(data)
    warm_up_keras()
    ours_runs, plain_runs = [], []
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        for i in range(max(args.repeat, 1)):
            order = ("plain", "ours") if i % 2 == 0 else ("ours", "plain")
            for side in order:
                print(f"sweep: repeat {i + 1}/{args.repeat}, {'plain Keras Tuner' if side == 'plain' else 'ours'}",
                      file=sys.stderr, flush=True)
                out = Path(tmp) / f"{side}_{i}"
                if side == "plain":
                    plain_runs.append(_plain(args, data, out))
                else:
                    ours_runs.append(_ours(args, data, out))
                keras.backend.clear_session()
                gc.collect()

    base_s = median(r["seconds"] for r in plain_runs)
    ours_s = median(r["seconds"] for r in ours_runs)
    ratio = base_s / ours_s if base_s and ours_s else None
    plain, ours = plain_runs[0], ours_runs[0]
    same = (sorted(config_key(t["values"]) for t in plain["trials"])
            == sorted(config_key(t["values"]) for t in ours["trials"]))
    base_best = median(r["best"] for r in plain_runs if r["best"] is not None)
    ours_best = median(r["best"] for r in ours_runs)
    accuracy_ok = None if base_best is None else ours_best >= base_best - args.tolerance
    speed_ok = check(ratio, TARGET)
    return [Measurement(
        name="sweep",
        data=f"{Path(data)}: {ours['n_train']} train / {ours['n_val']} val images "
             f"(plain side read {plain['n_train']} / {plain['n_val']}), {args.model}",
        metric="whole sweep wall time, data loading included",
        unit="s",
        baseline_is="plain Keras Tuner: image_dataset_from_directory + cache + prefetch, kt.GridSearch, "
                    f"executions_per_trial={args.seeds}, default best-epoch checkpointing",
        ours_is=f"search.sweep.engine.prepare + run_sweep (seeds={args.seeds}, records on disk"
                + (", HTML report" if args.with_report else ", no HTML report")
                + (f", median stopping from epoch {args.median_stopping}" if args.median_stopping else "") + ")",
        baseline=base_s,
        ours=ours_s,
        ratio=ratio,
        ratio_means="baseline / ours wall time (speed-up)",
        target=TARGET,
        passed=None if speed_ok is None or accuracy_ok is None else (speed_ok and accuracy_ok),
        image_size=args.image_size,
        trials=len(ours["trials"]),
        epochs=args.epochs,
        baseline_best=base_best,
        ours_best=ours_best,
        details={
            "speed_ok": speed_ok,
            "accuracy_ok": accuracy_ok,
            "accuracy_tolerance": args.tolerance,
            "same_configurations": same,
            "repeats": len(ours_runs),
            "baseline_seconds": [r["seconds"] for r in plain_runs],
            "ours_seconds": [r["seconds"] for r in ours_runs],
            "baseline_dataset_setup_s": plain["dataset_s"],
            "baseline_first_epoch_s": plain["first_epoch_s"],
            "baseline_first_run_first_epoch_s": plain["first_run_first_epoch_s"],
            "baseline_steady_epoch_s": plain["steady_epoch_s"],
            "baseline_in_epochs_s": plain["in_epochs_s"],
            "baseline_outside_epochs_s": plain["seconds"] - plain["in_epochs_s"],
            "ours_prepare_s": ours["prepare_s"],
            "ours_in_epochs_s": ours["in_epochs_s"],
            "ours_outside_epochs_s": ours["seconds"] - ours["in_epochs_s"],
            "ours_first_epoch_s": ours["first_epoch_s"],
            "ours_steady_epoch_s": ours["steady_epoch_s"],
            "baseline_scores": [t["score"] for t in plain["trials"]],
            "ours_scores": [t["score"] for t in ours["trials"]],
            "ours_median_stopping_after": args.median_stopping or None,
            "ours_epochs_run": ours["epochs_run"],
            "ours_runs_pruned": ours["pruned"],
            "seeds": args.seeds,
            "batch_size": args.batch_size,
            "validation_split": args.validation_split,
        },
    )]
