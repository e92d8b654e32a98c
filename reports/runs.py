"""Load a run directory into one table of runs plus the sweep's metadata.

Every section of the report starts from `SweepRuns`: the records are read
once (through `rundir.records.RunDirectory`, so half-written files are
skipped the same way the engine skips them) and flattened into a pandas
DataFrame with one row per (trial, seed). Sections then group and filter
that frame instead of re-reading files, which keeps a 1,000-trial report fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rundir.errors import SweepError
from rundir.manifest import Manifest, read_manifest
from rundir import ranking
from rundir.ranking import rank_trials
from rundir.records import RunDirectory, RunRecord

# Keras Tuner's Hyperband bookkeeping: `tuner/trial_id` names the parent trial
# and differs between otherwise identical runs, so it is never a setting.
BOOKKEEPING_HPS = ("tuner/trial_id",)
HP_PREFIX = "hp_"


@dataclass
class SweepRuns:
    """Everything the report knows about one sweep, read from disk once."""

    run_dir: Path
    manifest: Manifest
    records: list[RunRecord]
    frame: pd.DataFrame  # one row per run; hyperparameters as `hp_<name>` columns
    hp_names: list[str]  # every hyperparameter seen, tuned ones first
    tuned: list[str]  # hyperparameters the sweep varied
    objective: str
    mode: str  # "max" or "min": which direction of the objective is better

    def hp_column(self, name: str) -> str:
        return HP_PREFIX + name

    @property
    def completed(self) -> pd.DataFrame:
        """Runs with a finite score: the only ones any statistic may use."""
        frame = self.frame
        return frame[(frame["status"] == "completed") & frame["score"].notna()]

    def varying(self) -> list[str]:
        """Hyperparameters worth a table column: tuned ones, then any other that differs."""
        others = [n for n in self.hp_names if n not in self.tuned
                  and self.frame[self.hp_column(n)].nunique(dropna=False) > 1]
        return self.tuned + others


def hashable(value: Any) -> Any:
    """Hyperparameter values must group and compare; lists and dicts become text."""
    if isinstance(value, (list, dict, set, tuple)):
        return repr(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def load_runs(run_dir: str | Path) -> SweepRuns:
    """Read sweep.json and every run record; raise SweepError if it is no run directory."""
    root = Path(run_dir)
    if not root.exists():
        raise SweepError(f"run directory {root} does not exist")
    if not root.is_dir():
        raise SweepError(f"{root} is a file, not a run directory")
    manifest = read_manifest(root)
    records = RunDirectory(root).read_runs()
    hp_names = _hp_names(records, manifest)
    tuned = _tuned(records, manifest, hp_names)
    hp_names = tuned + [n for n in hp_names if n not in tuned]
    frame = _frame(records, hp_names, manifest.defaults)
    return SweepRuns(root, manifest, records, frame, hp_names, tuned, manifest.objective, manifest.objective_mode)


def _hp_names(records: list[RunRecord], manifest: Manifest) -> list[str]:
    names: dict[str, None] = {}
    for rec in records:
        for name in rec.hyperparameters:
            if name not in BOOKKEEPING_HPS:
                names[name] = None
    for name in manifest.defaults:
        if name not in BOOKKEEPING_HPS and not records:
            names[name] = None
    return list(names)


def _tuned(records: list[RunRecord], manifest: Manifest, hp_names: list[str]) -> list[str]:
    """The sweep's declared tuned list, plus anything that in fact varied."""
    defaults = manifest.defaults
    declared = list(manifest.tuned)
    varied = []
    for name in hp_names:
        if name.startswith("tuner/"):  # Hyperband's budget bookkeeping, not a setting to study
            continue
        values = {hashable(rec.hyperparameters.get(name, defaults.get(name))) for rec in records}
        if len(values) > 1:
            varied.append(name)
    return declared + [n for n in varied if n not in declared]


def _frame(records: list[RunRecord], hp_names: list[str], defaults: dict[str, Any]) -> pd.DataFrame:
    """Flatten records; a hyperparameter a record lacks takes the sweep's default.

    Keras Tuner may record only the hyperparameters registered so far (the
    first trial can lack ones declared later in `build`); those ran at their
    default, and filling them in keeps such runs pairable with the rest.
    """
    rows = []
    for rec in records:
        row = {
            "trial_id": str(rec.trial_id),
            "seed": int(rec.seed),
            "fold": -1 if rec.fold is None else int(rec.fold),  # -1: the source's own split
            "status": rec.status,
            "score": _float(rec.score),
            "best_epoch": rec.best_epoch,
            "epochs_run": rec.epochs_run,
            "stopped_epoch": rec.stopped_epoch,
            "wall_time_s": _float(rec.wall_time_s),
            "error": rec.error or "",
            "worker": rec.worker or "",
        }
        for name in hp_names:
            row[HP_PREFIX + name] = hashable(rec.hyperparameters.get(name, defaults.get(name)))
        rows.append(row)
    columns = ["trial_id", "seed", "fold", "status", "score", "best_epoch", "epochs_run", "stopped_epoch",
               "wall_time_s", "error", "worker"] + [HP_PREFIX + n for n in hp_names]
    frame = pd.DataFrame(rows, columns=columns)
    frame["score"] = frame["score"].astype(float)
    frame["wall_time_s"] = frame["wall_time_s"].astype(float)
    return frame


def _float(value: Any) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return math.nan
    return result if math.isfinite(result) else math.nan


def trial_scores(runs: SweepRuns) -> pd.DataFrame:
    """One row per trial, best first: mean/std/n of the score over completed runs, by `rundir.ranking`'s rule.

    Ranking by the mean over seeds (not the single luckiest seed) is what a
    reader means by "the best configuration". Trials with no completed run
    sort last. `best_seed` and `best_fold` name the trial's best run, the one
    whose curves represent it.
    """
    columns = ["mean", "std", "n", "best_seed", "best_fold", "rank"]
    rows = {}
    for rank in rank_trials(runs.records, runs.objective):
        run = ranking.best_run(runs.records, rank.trial_id, runs.objective)
        rows[rank.trial_id] = [rank.mean, rank.sd, rank.runs, run.seed, -1 if run.fold is None else run.fold]
    for trial_id in runs.frame["trial_id"].unique():  # nothing completed: last, in trial order
        rows.setdefault(str(trial_id), [math.nan, math.nan, 0, None, None])
    stats = pd.DataFrame.from_dict(rows, orient="index", columns=columns[:-1])
    stats.index.name = "trial_id"
    stats["n"] = stats["n"].astype(int)
    stats["rank"] = range(1, len(stats) + 1)
    return stats


def best_run(runs: SweepRuns) -> tuple[str, int] | None:
    """(trial_id, seed) of the best configuration's best run (`rundir.ranking`), or None when nothing completed.
    With folds the report shows that seed's every fold: each image validated once."""
    ranks = rank_trials(runs.records, runs.objective)
    if not ranks:
        return None
    run = ranking.best_run(runs.records, ranks[0].trial_id, runs.objective)
    return run.trial_id, run.seed
