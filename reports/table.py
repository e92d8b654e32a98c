"""The trials table: every run, best configuration first, failures with their reason.

Rows are runs (trial x seed) so a failed seed is visible next to its
successful sibling; they are ordered by the trial's mean score over seeds,
then by the run's own score, which is the order a reader scans for "what won".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from reports.runs import SweepRuns, trial_scores

TRACEBACK_CHARS = 1500  # the tail is where the cause is; a whole traceback per row bloats the page


@dataclass
class TrialRow:
    rank: int  # rank of the trial (by mean score over seeds); shared by its seeds
    trial_id: str
    seed: int
    fold: int | None
    status: str
    hyperparameters: list[Any]  # values in TrialsTableInfo.hp_columns order
    score: float | None
    trial_mean: float | None
    trial_std: float | None
    n_seeds: int  # completed seeds behind trial_mean
    best_epoch: int | None
    epochs_run: int | None
    stopped_epoch: int | None
    wall_time_s: float | None
    worker: str  # who trained it: "main", or a worker id with --workers
    error: str
    traceback: str
    is_best: bool  # the run the best-trial section describes (with folds: each fold of its seed)


@dataclass
class TrialsTableInfo:
    objective: str
    mode: str
    hp_columns: list[str]
    rows: list[TrialRow]
    n_failed: int
    show_worker: bool = False  # several workers ran the sweep


def trials_table_info(runs: SweepRuns, best: tuple[str, int] | None = None) -> TrialsTableInfo:
    """Order every run best first and attach its trial's mean and spread."""
    columns = runs.varying()
    stats = trial_scores(runs)
    frame = runs.frame.copy()
    if frame.empty:
        return TrialsTableInfo(runs.objective, runs.mode, columns, [], 0)
    workers = set(frame["worker"])
    frame["rank"] = frame["trial_id"].map(stats["rank"])
    frame["trial_mean"] = frame["trial_id"].map(stats["mean"])
    frame["trial_std"] = frame["trial_id"].map(stats["std"])
    frame["n_seeds"] = frame["trial_id"].map(stats["n"])
    frame = frame.sort_values(["rank", "score", "seed"], ascending=[True, runs.mode == "min", True],
                              na_position="last", kind="stable")
    tracebacks = {r.key: r.traceback for r in runs.records if r.traceback}
    hp_cols = [runs.hp_column(n) for n in columns]
    rows = []
    for row in frame.to_dict("records"):
        key = (row["trial_id"], row["seed"], row["fold"])
        rows.append(TrialRow(
            rank=int(row["rank"]),
            trial_id=row["trial_id"],
            seed=int(row["seed"]),
            fold=None if int(row["fold"]) < 0 else int(row["fold"]),
            status=row["status"],
            hyperparameters=[row[c] for c in hp_cols],
            score=_num(row["score"]),
            trial_mean=_num(row["trial_mean"]),
            trial_std=_num(row["trial_std"]),
            n_seeds=int(row["n_seeds"]),
            best_epoch=_int(row["best_epoch"]),
            epochs_run=_int(row["epochs_run"]),
            stopped_epoch=_int(row["stopped_epoch"]),
            wall_time_s=_num(row["wall_time_s"]),
            worker=row["worker"],
            error=row["error"],
            traceback=tracebacks.get(key, "")[-TRACEBACK_CHARS:],
            is_best=best == key[:2],
        ))
    return TrialsTableInfo(runs.objective, runs.mode, columns, rows, int((frame["status"] == "failed").sum()),
                           show_worker=workers != {"main"})


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)

