"""Keras callbacks that observe one training run.

`EpochLog` records what the report and the claims need and Keras' own
History lacks: the learning rate the optimizer actually used at the start
and end of each epoch (the lr-resets-each-epoch claim is decided from it),
seconds per epoch, and the best epoch's weights, kept in memory rather than
written to disk every epoch as the articles' ModelCheckpoint does.

It also ends a run whose loss is no longer finite, at the end of the epoch.
Keras' TerminateOnNaN checks after every batch, and any callback with a
batch hook makes Keras wait for each step's result before queueing the
next (no asynchronous dispatch): 1.16x slower per epoch in a paired
measurement, to save at most one epoch of a run that has already failed.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import keras
import numpy as np

from rundir.manifest import objective_sign
from search.training import stop


def current_learning_rate(optimizer) -> float:
    """The rate the optimizer applies at its current step (schedules included)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


class EpochLog(keras.callbacks.Callback):
    def __init__(self, objective: str, on_epoch: Callable[[int, dict], None] | None = None):
        super().__init__()
        self.objective = objective
        self.sign = objective_sign(objective)
        self.on_epoch = on_epoch
        self.rows: list[dict[str, float]] = []
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self._lr_start = math.nan
        self._t0 = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._lr_start = current_learning_rate(self.model.optimizer)
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        row = {"epoch": epoch + 1}
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            row[key] = float(logs[key]) if key in logs else math.nan
        for key, value in logs.items():  # the model's own metrics (val_auc, ...), which a stated claim may read
            if key not in row and key != "learning_rate":
                try:
                    row[key] = float(value)
                except (TypeError, ValueError):
                    pass  # not a number: nothing a claim could read
        row["learning_rate"] = current_learning_rate(self.model.optimizer)
        row["lr_epoch_start"] = self._lr_start
        row["seconds"] = time.perf_counter() - self._t0
        self.rows.append(row)
        if not math.isfinite(row["loss"]):
            self.model.stop_training = True
        value = logs.get(self.objective)
        if value is not None and math.isfinite(float(value)):
            if self.best_value is None or self.sign * float(value) > self.sign * self.best_value:
                self.best_value = float(value)
                self.best_epoch = epoch + 1
                self.best_weights = self.model.get_weights()
        if self.on_epoch is not None:
            self.on_epoch(epoch + 1, row)


class StopAtSafePoint(keras.callbacks.Callback):
    """Raises `search.training.stop.Interrupted` between epochs once a signal asked for a stop: the run
    is left "running" on disk (with its last checkpoint), and a resume trains it again.

    Not between batches: a callback with batch hooks makes Keras hand every step's logs back to Python,
    which cost 25-35% of a small model's training time (measured on 2 CPU cores); an epoch boundary costs
    nothing. A second signal still stops at once."""

    def on_epoch_begin(self, epoch, logs=None):
        stop.check()

    def on_epoch_end(self, epoch, logs=None):
        stop.check()
