"""Median stopping: give up on a run that is already behind the pack.

The rule of Google Vizier (Golovin et al., 2017): at epoch e, stop a run
whose best objective so far is worse than the median of the other runs'
best-so-far at epoch e. Hopeless configurations then cost a few epochs
instead of all of them, while the best ones still train to the end.

It is off by default and refused together with claims: a stopped run has
fewer epochs than its pair, so paired differences would measure the rule,
not the hyperparameter.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import keras

from search.records import RunRecord


@dataclass(frozen=True)
class MedianStopping:
    """Stop at epoch >= after_epochs a run behind the median of at least
    `min_runs` earlier runs at that epoch."""

    after_epochs: int = 3
    min_runs: int = 3


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
        done = epoch + 1
        median, n = self.curve.get(done, (None, 0))
        if done >= self.rule.after_epochs and n >= self.rule.min_runs and self.best < median:
            self.stopped_epoch = done
            self.model.stop_training = True
