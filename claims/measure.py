"""Metrics of one run, as the claims need them, read from its record alone."""

from __future__ import annotations

import math
from typing import Any, Callable

from search.records import RunRecord


def _history(record: RunRecord, key: str) -> list[float]:
    return [row.get(key) if row.get(key) is not None else math.nan for row in record.history]


def epochs_to_95(record: RunRecord, meta: dict[str, Any]) -> float | None:
    """First epoch whose validation accuracy reaches 95% of the run's best."""
    acc = _history(record, "val_accuracy")
    if not acc or record.best_val_accuracy is None:
        return None
    target = 0.95 * record.best_val_accuracy
    return float(next(i for i, a in enumerate(acc, start=1) if a >= target))


def first_epoch_val_accuracy(record: RunRecord, meta: dict[str, Any]) -> float | None:
    acc = _history(record, "val_accuracy")
    return acc[0] if acc else None


def log_seconds_per_epoch(record: RunRecord, meta: dict[str, Any]) -> float | None:
    s = record.seconds_per_epoch
    return math.log(s) if s and s > 0 else None


def lr_start_drop(record: RunRecord, meta: dict[str, Any]) -> float | None:
    """Relative change of the logged rate at the last epoch's start vs the initial rate.

    0 if the schedule restarted every epoch; negative if it kept decaying
    across epochs. Runs too short to reach one decay step tell nothing.
    """
    hp = record.hyperparameters
    starts = _history(record, "lr_epoch_start")
    if len(starts) < 2 or hp.get("decay_rate", 1.0) >= 1.0 or not hp.get("learning_rate"):
        return None
    steps_per_epoch = math.ceil(meta["data"]["n_train"] / hp["batch_size"])
    if steps_per_epoch * (len(starts) - 1) < hp.get("decay_steps", math.inf):
        return None
    return starts[-1] / hp["learning_rate"] - 1.0


def late_minus_early(record: RunRecord, meta: dict[str, Any]) -> float | None:
    """Final validation accuracy minus the one at a tenth of the epochs (10 of 100)."""
    acc = _history(record, "val_accuracy")
    if len(acc) < 20 or record.stopped_epoch is not None:
        return None
    return acc[-1] - acc[max(1, round(len(acc) / 10)) - 1]


def _field(name: str) -> Callable[[RunRecord, dict], float | None]:
    return lambda record, meta: getattr(record, name)


METRICS: dict[str, Callable[[RunRecord, dict], float | None]] = {
    "best_val_accuracy": _field("best_val_accuracy"),
    "train_val_gap": _field("train_val_gap"),
    "final_train_accuracy": _field("final_train_accuracy"),
    "epochs_to_95": epochs_to_95,
    "first_epoch_val_accuracy": first_epoch_val_accuracy,
    "log_seconds_per_epoch": log_seconds_per_epoch,
    "lr_start_drop": lr_start_drop,
    "late_minus_early": late_minus_early,
}
