"""A lever: median stopping, replayed on a sweep that trained every epoch.

A live pair of sweeps (with and without the rule) differs by training noise
as much as by the rule: one run's seed can flip which configuration wins.
Replaying the rule on one finished sweep has no such noise. Every run's
curve is known, so cutting each run where the rule would have stopped it
(judged against the earlier runs as cut, exactly as a live sweep judges)
gives the epochs saved and whether the pruned sweep would still have found
the winner (`regret`: the full sweep's best score minus the full score of
the run the pruned sweep picks).

With --runs DIR it replays a finished sweep of yours (say, to pick
`after_epochs` before turning the rule on); without it, it first trains the
benchmarks' grid (BENCH_SPACE, --trials x --seeds runs of --epochs each) on
--data. One measurement per `after_epochs` in --after-epochs. Epochs are
not seconds: each run also pays a fixed cost (build, first-epoch tracing),
which the `sweep` benchmark with --median-stopping E measures live.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks.common import Measurement, Skip, bench_sweep, check, require_folder

TARGET = ">= 2"


def _full_sweep(args, out: Path) -> Path:
    from search.sweep.engine import train_sweep
    from search.sweep.prepare import prepare
    data = require_folder("pruning", args.data)
    sweep = bench_sweep(data, model=args.model, image_size=args.image_size, trials=args.trials, epochs=args.epochs,
                        batch_size=args.batch_size, validation_split=args.validation_split, name="pruning",
                        seeds=args.seeds)
    print(f"pruning: training {args.trials} configurations x {args.seeds} seed(s) x {args.epochs} epochs on {data}",
          file=sys.stderr, flush=True)
    result = train_sweep(prepare(sweep), out, quiet=True)
    failed = [r.error for r in result.records if r.status != "completed"]
    if failed:
        raise RuntimeError(f"the full sweep had failed runs: {failed[:3]}")
    return out


def _after_epochs(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise Skip(f"--after-epochs must be comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise Skip(f"--after-epochs needs integers >= 1, got {text!r}")
    return values


def run(args) -> list[Measurement]:
    from reports.runs import load_runs
    from search.training.pruning import MedianStopping, replay

    afters = _after_epochs(args.after_epochs)
    with tempfile.TemporaryDirectory(prefix="bench_pruning_") as tmp:
        if args.runs is not None:
            if not (args.runs / "sweep.json").is_file():
                raise Skip(f"{args.runs} is not a sweep's run folder (no sweep.json)")
            folder = args.runs
        else:
            folder = _full_sweep(args, Path(tmp) / "full")
        runs = load_runs(folder)
        sign = 1.0 if runs.mode == "max" else -1.0
        replays = [replay(runs.records, MedianStopping(after_epochs=a), runs.objective, sign) for a in afters]
    described, objective = runs.manifest, runs.objective

    out = []
    for r in replays:
        accuracy_ok = r.regret <= args.tolerance
        speed_ok = check(r.epoch_ratio, TARGET)
        out.append(Measurement(
            name="pruning",
            data=f"{folder if args.runs else args.data}: {r.runs} finished runs, {described.name or '?'}",
            metric=f"epochs trained, replayed on the same runs ({objective})",
            unit="epochs",
            baseline_is="every run trains every epoch",
            ours_is=f"MedianStopping(after_epochs={r.rule.after_epochs}, min_runs={r.rule.min_runs})",
            baseline=r.epochs_full,
            ours=r.epochs_kept,
            ratio=r.epoch_ratio,
            ratio_means="epochs without the rule / with it",
            target=TARGET,
            passed=None if speed_ok is None else (speed_ok and accuracy_ok),
            image_size=described.fingerprint.get("image_size"),
            trials=r.runs,
            epochs=described.epochs,
            baseline_best=r.best_full,
            ours_best=r.chosen_full,
            details={
                "speed_ok": speed_ok,
                "accuracy_ok": accuracy_ok,
                "accuracy_tolerance": args.tolerance,
                "regret": r.regret,
                "runs_stopped": r.runs_stopped,
                "best_run": list(r.best_run),
                "chosen_run": list(r.chosen_run),
                "best_found_while_pruned": r.best_found,
                "replayed_folder": str(folder) if args.runs else None,
            },
        ))
    return out
