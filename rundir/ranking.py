"""Which configuration is best, and which of its runs: one rule for every place that asks.

Keras Tuner scores a trial by its objective; here a trial is a configuration
trained with several seeds (and folds), so its score is the mean over its
completed runs. The best model is the best configuration's best run, so it
agrees with the best hyperparameters. Ties go to the first trial id, and
within a trial to the lowest seed and fold, everywhere: `SweepResult`, the
saved best model and `results_summary`.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Iterable

from rundir.records import RunRecord
from rundir.manifest import objective_sign


@dataclass(frozen=True)
class TrialRank:
    """One configuration's standing: mean and spread of its completed runs."""

    trial_id: str
    mean: float
    sd: float  # sample standard deviation over the runs (nan with one run)
    runs: int
    failed: int
    hyperparameters: dict


def rank_trials(records: Iterable[RunRecord], objective: str, complete_only: bool = False) -> list[TrialRank]:
    """Configurations best first. `complete_only`: leave out a trial with a run still running
    (another worker's, or a later seed's), whose mean is not known yet."""
    by_trial: dict[str, list[RunRecord]] = {}
    for r in records:
        by_trial.setdefault(str(r.trial_id), []).append(r)
    sign = objective_sign(objective)
    ranks = []
    for trial_id in sorted(by_trial):
        runs = by_trial[trial_id]
        if complete_only and any(r.status == "running" for r in runs):
            continue
        scores = [r.score for r in runs if r.status == "completed" and r.score is not None]
        if not scores:
            continue
        done = min((r for r in runs if r.status == "completed"), key=lambda r: r.key)
        values = {k: v for k, v in done.hyperparameters.items() if v is not None and not k.startswith("tuner/")}
        ranks.append(TrialRank(trial_id, statistics.fmean(scores),
                               statistics.stdev(scores) if len(scores) > 1 else math.nan, len(scores),
                               sum(r.status == "failed" for r in runs), values))
    # sorted() is stable: equal means keep trial id order
    return sorted(ranks, key=lambda t: -sign * t.mean)


def best_run(records: Iterable[RunRecord], trial_id: str, objective: str) -> RunRecord | None:
    """The trial's best completed run; the lowest seed (then fold) on a tie."""
    sign = objective_sign(objective)
    runs = [r for r in records if str(r.trial_id) == str(trial_id) and r.status == "completed" and r.score is not None]
    if not runs:
        return None
    return min(runs, key=lambda r: (-sign * r.score, r.key))
