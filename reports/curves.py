"""Learning curves of the best few trials: accuracy, loss and learning rate per epoch.

Only the top trials are drawn (each by its best seed): fifty overlapping
curves say nothing, and drawing every run would make a 1,000-trial report
slow. The curves show whether the winner was still improving when training
stopped and whether it overfits (training far above validation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from reports.runs import SweepRuns, trial_scores

TOP_TRIALS = 5


@dataclass
class CurveSeries:
    label: str
    trial_id: str
    seed: int
    score: float | None
    epochs: list[int]
    accuracy: list[float]
    val_accuracy: list[float]
    loss: list[float]
    val_loss: list[float]
    learning_rate: list[float]
    stopped_epoch: int | None = None


@dataclass
class CurvesInfo:
    objective: str
    series: list[CurveSeries] = field(default_factory=list)

    @property
    def has_learning_rate(self) -> bool:
        return any(not math.isnan(v) for s in self.series for v in s.learning_rate)


def curves_info(runs: SweepRuns, top: int = TOP_TRIALS) -> CurvesInfo:
    """Histories of the `top` best trials' best seeds, NaN where a value is missing."""
    stats = trial_scores(runs)
    stats = stats[stats["n"] > 0].head(top)
    by_key = {r.key: r for r in runs.records}
    series = []
    for trial_id, row in stats.iterrows():
        rec = by_key.get((str(trial_id), int(row["best_seed"]), int(row["best_fold"])))
        if rec is None or not rec.history:
            continue
        history = sorted(rec.history, key=lambda h: _f(h.get("epoch")))
        series.append(CurveSeries(
            label=f"#{int(row['rank'])} trial {trial_id} (seed {rec.seed}"
                  + (f" fold {rec.fold})" if rec.fold is not None else ")"),
            trial_id=str(trial_id),
            seed=rec.seed,
            score=rec.score,
            epochs=[int(_f(h.get("epoch"), i + 1)) for i, h in enumerate(history)],
            accuracy=[_f(h.get("accuracy")) for h in history],
            val_accuracy=[_f(h.get("val_accuracy")) for h in history],
            loss=[_f(h.get("loss")) for h in history],
            val_loss=[_f(h.get("val_loss")) for h in history],
            learning_rate=[_f(h.get("learning_rate")) for h in history],
            stopped_epoch=rec.stopped_epoch,
        ))
    return CurvesInfo(runs.objective, series)


def _f(value, default: float = math.nan) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
