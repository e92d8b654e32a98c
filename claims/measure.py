"""Metrics of one run, as the claims need them, read from its record.

A metric may need something computed once over all the runs of a claim
(`Metric.context`): "epochs to 95%" is measured against one target shared by
every run compared, not against each run's own best, or a run that
plateaus low would look fast.

`scale` says which accuracy a metric rests on ("val" or "train"), so the
claims know when the data cannot resolve it (one validation image is
1/n_val of accuracy) or when the runs sit at the ceiling or at chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from rundir.manifest import Manifest, objective_mode
from rundir.records import RunRecord

TARGET_SHARE = 0.95  # "converged": 95% of a good run's best validation accuracy


def history(record: RunRecord, key: str) -> list[float]:
    return [row.get(key) if row.get(key) is not None else math.nan for row in record.history]


def diverged(record: RunRecord) -> bool:
    """A run that failed because its loss became NaN or infinite (a learning rate too large)."""
    return record.status == "failed" and ("nan" in (record.error or "").lower()
                                          or "infinite" in (record.error or "").lower())


def planned_epochs(record: RunRecord) -> int:
    hp = record.hyperparameters
    return int(hp.get("tuner/epochs") or hp.get("epochs") or len(record.history) or 0)


def chance_rate(manifest: Manifest) -> float | None:
    """Accuracy of always answering the validation set's largest class."""
    return manifest.data.chance_rate()


def seed_weight(run: RunRecord) -> float:
    """A fold's share of its seed's images (every run alike on a fixed split): a seed's value over its
    folds is then the difference over all the images it validated."""
    return float(run.val_images) if run.fold is not None and run.val_images else 1.0


def weighted_mean(pairs: list[tuple[float, float]]) -> float:
    """The mean of (value, weight) pairs."""
    return math.fsum(v * w for v, w in pairs) / math.fsum(w for _, w in pairs)


# -- per-run values --------------------------------------------------------

def common_target(runs: list[RunRecord], manifest: Manifest) -> float | None:
    """95% of the median best validation accuracy of the runs compared: one bar for every run."""
    best = [r.best_val_accuracy for r in runs if r.best_val_accuracy is not None and math.isfinite(r.best_val_accuracy)]
    return TARGET_SHARE * float(np.median(best)) if best else None


def epochs_to_target(record: RunRecord, manifest: Manifest, target: float | None) -> float | None:
    """First epoch whose validation accuracy reaches the common target.

    A run that never reaches it is censored: it counts as one epoch past its
    planned budget (the least it would have needed), never as fast.
    """
    acc = history(record, "val_accuracy")
    if not acc or target is None:
        return None
    reached = next((i for i, a in enumerate(acc, start=1) if a >= target), None)
    return float(reached) if reached is not None else float(max(planned_epochs(record), len(acc)) + 1)


def censored(record: RunRecord, target: float | None) -> bool:
    """Whether the run never reached the common target (see `epochs_to_target`)."""
    return target is not None and not any(a >= target for a in history(record, "val_accuracy"))


def first_epoch_val_accuracy(record: RunRecord, manifest: Manifest, context: Any) -> float | None:
    acc = history(record, "val_accuracy")
    return acc[0] if acc else None


def final_val_accuracy(record: RunRecord, manifest: Manifest, context: Any) -> float | None:
    """The last epoch's validation accuracy: where the run *ends*, not its best epoch."""
    if record.final_val_accuracy is not None:
        return record.final_val_accuracy
    acc = history(record, "val_accuracy")
    return acc[-1] if acc else None


def did_not_converge(record: RunRecord, manifest: Manifest, context: Any) -> float | None:
    """1 for a run that diverged (NaN loss) or ended no better than always answering the largest class; else 0."""
    if diverged(record):
        return 1.0
    if record.status != "completed":
        return None
    chance = chance_rate(manifest)
    final = final_val_accuracy(record, manifest, None)
    if chance is None or final is None:
        return 0.0
    n_val = manifest.data.n_val or 0
    return 1.0 if final <= chance + (0.5 / n_val if n_val else 1e-9) else 0.0


def log_seconds_per_epoch(record: RunRecord, manifest: Manifest, context: Any) -> float | None:
    s = record.seconds_per_epoch
    return math.log(s) if s and s > 0 else None


def lr_start_drop(record: RunRecord, manifest: Manifest, context: Any) -> float | None:
    """Relative change of the logged rate at the last epoch's start vs the initial rate.

    0 if the schedule restarted every epoch; negative if it kept decaying
    across epochs. Runs too short to reach one decay step tell nothing.
    """
    hp = record.hyperparameters
    starts = history(record, "lr_epoch_start")
    if len(starts) < 2 or (hp.get("decay_rate") or 1.0) >= 1.0 or not hp.get("learning_rate"):
        return None
    n_train = manifest.data.n_train
    if not n_train or not hp.get("batch_size"):
        return None
    steps_per_epoch = math.ceil(n_train / hp["batch_size"])
    if steps_per_epoch * (len(starts) - 1) < (hp.get("decay_steps") or math.inf):
        return None
    return starts[-1] / hp["learning_rate"] - 1.0


EARLY_EPOCH, LATE_EPOCH = 10, 100  # article 002: 10 epochs vs 100


def epoch_100_minus_10(record: RunRecord, manifest: Manifest, context: Any) -> float | None:
    """Validation accuracy after epoch 100 minus after epoch 10, as article 002 compared them.

    Only runs that trained 100 epochs without being stopped early; anything
    shorter is a different question.
    """
    acc = history(record, "val_accuracy")
    if len(acc) < LATE_EPOCH or record.stopped_epoch is not None:
        return None
    return acc[LATE_EPOCH - 1] - acc[EARLY_EPOCH - 1]


def _field(name: str) -> Callable[[RunRecord, Manifest, Any], float | None]:
    return lambda record, manifest, context: getattr(record, name)


def _no_context(runs: list[RunRecord], manifest: Manifest) -> None:
    return None


@dataclass(frozen=True)
class Metric:
    name: str
    value: Callable[[RunRecord, Manifest, Any], float | None]
    scale: str | None = "val"  # the accuracy it rests on: "val", "train" or None (time, learning rate, AUC)
    context: Callable[[list[RunRecord], Manifest], Any] = _no_context
    takes_diverged: bool = False  # diverged runs count (as runs that did not converge)
    needs: tuple[str, ...] = ("val_accuracy",)  # what each epoch must log for it to have a value
    exact: bool = False  # a deterministic reading (the logged rate): equal values across seeds are no chance
    points: bool = True  # in accuracy points (an accuracy or a difference of two), which the data's resolution limits
    bounds: tuple[float, float] | None = None  # the range a run's value can take (a 0/1 outcome: (0, 1))

    def values(self, runs: list[RunRecord], manifest: Manifest) -> list[tuple[RunRecord, float]]:
        """(run, value) for every run with a finite value, the shared context computed once."""
        context = self.context(runs, manifest)
        out = []
        for run in runs:
            value = self.value(run, manifest, context)
            if value is not None and math.isfinite(value):
                out.append((run, float(value)))
        return out


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("best_val_accuracy", _field("best_val_accuracy")),
    Metric("final_val_accuracy", final_val_accuracy),
    Metric("train_val_gap", _field("train_val_gap"), needs=("accuracy", "val_accuracy")),
    Metric("final_train_accuracy", _field("final_train_accuracy"), scale="train", needs=("accuracy",)),
    Metric("epochs_to_target", epochs_to_target, context=common_target, points=False),
    Metric("first_epoch_val_accuracy", first_epoch_val_accuracy),
    Metric("did_not_converge", did_not_converge, takes_diverged=True, points=False, bounds=(0.0, 1.0)),
    Metric("seconds_per_epoch", _field("seconds_per_epoch"), scale=None, needs=(), points=False),
    Metric("log_seconds_per_epoch", log_seconds_per_epoch, scale=None, needs=(), points=False),
    Metric("lr_start_drop", lr_start_drop, scale=None, needs=(), exact=True, points=False),
    Metric("epoch_100_minus_10", epoch_100_minus_10),
)}


# -- any metric the model logs ---------------------------------------------

EPOCHS = {"best_": "best", "final_": "final", "first_epoch_": "first"}  # which epoch of a logged metric


def _epoch_value(key: str, which: str) -> Callable[[RunRecord, Manifest, Any], float | None]:
    """The logged `key` at the run's best epoch for it (its own direction, `objective_mode`), its last or its first."""
    def value(record: RunRecord, manifest: Manifest, context: Any) -> float | None:
        seen = [v for v in history(record, key) if math.isfinite(v)]
        if not seen:
            return None
        if which == "best":
            return min(seen) if objective_mode(key) == "min" else max(seen)
        return seen[-1] if which == "final" else seen[0]
    return value


def logged_metric(name: str) -> Metric:
    """A metric the user's model logs each epoch, as a claim reads it: `val_auc` or `best_val_auc` (its best
    epoch), `final_val_auc` (the last), `first_epoch_val_auc` (the first). One ending in "accuracy" is in
    accuracy units (the data's resolution and the ceiling apply); any other is in its own."""
    which, key = "best", name
    for prefix, epoch in EPOCHS.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            which, key = epoch, name[len(prefix):]
            break
    scale = ("val" if key.startswith("val_") else "train") if key.endswith("accuracy") else None
    return Metric(name, _epoch_value(key, which), scale=scale, needs=(key,), points=scale is not None)


def metric_named(name: str) -> Metric:
    """The built-in metric of that name, or else the logged one it names (`logged_metric`)."""
    return METRICS.get(name) or logged_metric(name)
