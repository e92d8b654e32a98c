"""Median stopping: give up on a run that is already behind the pack.

The rule of Google Vizier (Golovin et al., 2017): at epoch e, stop a run
whose best objective so far is worse than the median of the other runs'
best-so-far at epoch e. Hopeless configurations then cost a few epochs
instead of all of them, while the best ones still train to the end.

It is off by default and refused together with claims: a stopped run has
fewer epochs than its pair, so paired differences would measure the rule,
not the hyperparameter. `replay` answers "what would it have saved, and
would it have kept the winner?" from a finished sweep's records, without
training anything, so a user can pick `after_epochs` on their own data.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace

import keras

from rundir.errors import SweepError
from rundir.records import RunRecord


@dataclass(frozen=True)
class MedianStopping:
    """Stop at epoch >= after_epochs a run behind the median of at least
    `min_runs` earlier runs at that epoch."""

    after_epochs: int = 3
    min_runs: int = 3

    def stops(self, epoch: int, best: float, curve: dict[int, tuple[float, int]]) -> bool:
        """Whether a run whose best-so-far after `epoch` (1-based, sign
        applied) is `best` stops there, given the finished runs' `curve`."""
        median, n = curve.get(epoch, (None, 0))
        return epoch >= self.after_epochs and n >= self.min_runs and best < median


def best_so_far(history: list[dict], objective: str, sign: float) -> list[float]:
    """The run's best objective after each epoch (sign +1: higher is better)."""
    out, best = [], -math.inf
    for row in history:
        value = row.get(objective)
        if value is not None and math.isfinite(value):
            best = max(best, sign * value)
        out.append(best)
    return out


def median_curve(records: list[RunRecord], objective: str, sign: float) -> dict[int, tuple[float, int]]:
    """For each epoch (1-based): (median best-so-far of finished runs that reached it, how many)."""
    curves = [best_so_far(r.history, objective, sign) for r in records if r.status == "completed" and r.history]
    out = {}
    for epoch in range(1, max((len(c) for c in curves), default=0) + 1):
        values = [c[epoch - 1] for c in curves if len(c) >= epoch and math.isfinite(c[epoch - 1])]
        if values:
            out[epoch] = (statistics.median(values), len(values))
    return out


class MedianStoppingCallback(keras.callbacks.Callback):
    """Sets `model.stop_training` when the rule says so; `stopped_epoch` says when."""

    def __init__(self, rule: MedianStopping, curve: dict[int, tuple[float, int]], objective: str, sign: float):
        super().__init__()
        self.rule, self.curve, self.objective, self.sign = rule, curve, objective, sign
        self.best = -math.inf
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.objective)
        if value is not None and math.isfinite(float(value)):
            self.best = max(self.best, self.sign * float(value))
        if self.rule.stops(epoch + 1, self.best, self.curve):
            self.stopped_epoch = epoch + 1
            self.model.stop_training = True


@dataclass(frozen=True)
class Replay:
    """What the rule would have done to a sweep that trained every epoch.

    `regret` is what trusting the pruned sweep costs: the full sweep's best
    score minus the full score of the run the pruned sweep would pick
    (0 when it picks the same winner; in the objective's units, >= 0).
    """

    rule: MedianStopping
    runs: int
    runs_stopped: int
    epochs_full: int
    epochs_kept: int
    best_full: float  # the best score of the whole sweep
    best_run: tuple[str, int]  # its (trial_id, seed)
    best_found: float  # the best score the pruned sweep would have seen
    chosen_run: tuple[str, int]  # the run the pruned sweep would pick
    chosen_full: float  # that run's score with every epoch trained
    regret: float

    @property
    def epoch_ratio(self) -> float:
        """Epochs trained without the rule / with it (the speed-up in epochs)."""
        return self.epochs_full / self.epochs_kept


def replay(records: list[RunRecord], rule: MedianStopping, objective: str, sign: float) -> Replay:
    """Apply the rule to finished runs in the order they started.

    Each run is cut where the rule would have stopped it, judged against the
    runs before it as they would have been cut, exactly as a live sweep with
    the rule judges against the records on disk. Runs trained with the rule
    already (pruned) cannot be replayed: their missing epochs are unknown.
    """
    finished = [r for r in records if r.status == "completed" and r.history]
    if not finished:
        raise SweepError("no completed runs to replay median stopping on")
    if any(r.pruned for r in finished):
        raise SweepError("this sweep already ran with median stopping; replay needs runs that trained every epoch")
    finished.sort(key=lambda r: (r.started or "", r.trial_id, r.seed))
    kept: list[RunRecord] = []
    for record in finished:
        curve = median_curve(kept, objective, sign)
        best = best_so_far(record.history, objective, sign)
        stop = next((e for e in range(1, len(best) + 1) if rule.stops(e, best[e - 1], curve)), len(best))
        kept.append(replace(record, history=record.history[:stop]))

    def score(history: list[dict]) -> float:
        return max(best_so_far(history, objective, sign))

    def key(r: RunRecord) -> tuple[str, int]:
        return (r.trial_id, r.seed)

    full_best = max(finished, key=lambda r: score(r.history))
    chosen = max(kept, key=lambda r: score(r.history))
    chosen_full = next(r for r in finished if key(r) == key(chosen))
    return Replay(
        rule=rule,
        runs=len(finished),
        runs_stopped=sum(len(k.history) < len(f.history) for k, f in zip(kept, finished)),
        epochs_full=sum(len(r.history) for r in finished),
        epochs_kept=sum(len(r.history) for r in kept),
        best_full=sign * score(full_best.history),
        best_run=key(full_best),
        best_found=sign * score(chosen.history),
        chosen_run=key(chosen),
        chosen_full=sign * score(chosen_full.history),
        regret=score(full_best.history) - score(chosen_full.history),
    )
