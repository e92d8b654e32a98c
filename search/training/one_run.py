"""One run: built from its seed, fitted with its callbacks, scored from its epochs, and failed in words.

Keras Tuner's own `run_trial` hands a trial to a short `_build_and_fit_model`;
here the sweep's tuner (`search.sweep.tuner`) hands each run to these steps,
and so do a fused group of seeds (each member is built and scored the same
way) and `SweepResult.get_best_models`, which trains a recorded run again.
One path, so a run trained again is the run the sweep trained: the same
seed, precision, callbacks and early stopping.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from rundir.errors import SweepError
from rundir.manifest import objective_mode
from rundir.records import MACHINE, MODEL, RunRecord
from search.data.pipeline import in_order
from search.data.sources import ImageData, one_hot
from search.training import device
from search.training.callbacks import EpochLog, StopAtSafePoint
from search.training.checkpoints import RunCheckpoint
from search.training.pruning import MedianStoppingCallback

PREDICT_BATCH = 32  # a batch's activations, not the images, bound the memory of predicting


@dataclass
class TrainingData:
    """The arrays `fit` takes: labels one-hot where the model's loss wants them."""

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def training_arrays(data: ImageData, label_mode: str) -> TrainingData:
    if label_mode == "categorical":
        return TrainingData(data.x_train, one_hot(data.y_train, data.num_classes),
                            data.x_val, one_hot(data.y_val, data.num_classes))
    return TrainingData(data.x_train, data.y_train, data.x_val, data.y_val)


def early_stopping(rule: Any) -> keras.callbacks.EarlyStopping | None:
    """The sweep's early stopping (`search.EarlyStopping`, or None) as Keras' callback: built here alone."""
    if rule is None:
        return None
    return keras.callbacks.EarlyStopping(monitor=rule.monitor, min_delta=rule.min_delta, patience=rule.patience,
                                         mode=objective_mode(rule.monitor))


def build(hypermodel: Any, hp: Any, seed: int, precision: str) -> keras.Model:
    """The run's model: its seed fixes the initial weights and dropout seeds (and on TensorFlow the data
    order), under the sweep's precision."""
    with device.precision(precision):
        keras.utils.set_random_seed(seed)
        return hypermodel.build(hp)


@dataclass
class RunCallbacks:
    """One run's callbacks, in the order they must run: the epoch log first (every other reads it), then
    early and median stopping, the checkpoint (it saves and restores their state), and the safe stop last
    (an epoch's checkpoint is written before a stop ends the run)."""

    log: EpochLog
    stopper: keras.callbacks.EarlyStopping | None = None
    pruner: MedianStoppingCallback | None = None
    checkpoint: RunCheckpoint | None = None
    extra: list[keras.callbacks.Callback] = field(default_factory=list)

    @property
    def initial_epoch(self) -> int:
        """The epoch a checkpoint resumes after (0: from the start)."""
        resume = self.checkpoint.resume if self.checkpoint is not None else None
        return resume.epoch if resume is not None else 0

    def in_order(self, safe_stop: bool = True) -> list[keras.callbacks.Callback]:
        ordered = [self.log, self.stopper, self.pruner, self.checkpoint, *self.extra]
        return [c for c in ordered if c is not None] + ([StopAtSafePoint()] if safe_stop else [])


def fit(hypermodel: Any, hp: Any, model: keras.Model, arrays: TrainingData, seed: int, callbacks: RunCallbacks,
        safe_stop: bool = True) -> None:
    """Fit the run through its HyperModel (which sets batch size and epochs from `hp`), from a checkpoint's
    epoch when there is one."""
    resume = {"initial_epoch": callbacks.initial_epoch} if callbacks.initial_epoch else {}
    hypermodel.fit(hp, model, arrays.x, arrays.y, validation_data=(arrays.x_val, arrays.y_val), seed=seed,
                   callbacks=callbacks.in_order(safe_stop), verbose=0, **resume)


def best_epoch_weights(model: keras.Model, log: EpochLog) -> keras.Model:
    """The model with its best epoch's weights (the log keeps them), as the run's record scores it."""
    if log.best_weights is not None:
        model.set_weights(log.best_weights)
    return model


def score(record: RunRecord, log: EpochLog, stopper: keras.callbacks.EarlyStopping | None) -> None:
    """The run's result from its epochs: completed with its scores, or failed when a loss was not finite."""
    rows = log.rows
    losses = [r["loss"] for r in rows]
    if not rows or any(not math.isfinite(v) for v in losses) or log.best_value is None:
        bad = next((r["epoch"] for r in rows if not math.isfinite(r["loss"])), None)
        record.status, record.failure = "failed", MODEL
        record.error = f"loss became NaN or infinite at epoch {bad}" if bad else "no finite objective value"
        return
    record.status = "completed"
    record.score = log.best_value
    record.best_epoch = log.best_epoch
    best = rows[log.best_epoch - 1]
    record.best_val_accuracy = max(r["val_accuracy"] for r in rows)
    record.final_val_accuracy = rows[-1]["val_accuracy"]
    record.final_train_accuracy = rows[-1]["accuracy"]
    record.train_val_gap = best["accuracy"] - best["val_accuracy"]
    if stopper is not None and getattr(stopper, "stopped_epoch", 0):
        record.stopped_epoch = int(stopper.stopped_epoch) + 1


def predictions(model: keras.Model, log: EpochLog, data: ImageData) -> list[dict]:
    """Validation predictions with the best epoch's weights, for the report. `index` is the
    image's place in the validation set, or with folds among all the images: one id per image."""
    best_epoch_weights(model, log)
    # Batches of 32: a batch's activations, not the images, bound this memory (256 images at 128 px held
    # 280 MB of HollywoodCNN's activations at once, twice what the 3,000 images themselves take).
    probs = model.predict(in_order(data.x_val, data.y_val, PREDICT_BATCH, keras.backend.backend()), verbose=0)
    predicted = np.argmax(probs, axis=-1)
    paths = data.val_paths or [""] * len(predicted)
    ids = data.val_index or range(len(predicted))
    return [
        {"index": ids[i], "path": paths[i], "true": int(t), "predicted": int(p)}
        for i, (t, p) in enumerate(zip(data.y_val, predicted))
    ]


# -- a run's failure ---------------------------------------------------------------------------------

# Failures no model causes: the machine's memory, or TensorFlow's state broken in this process (a signal
# that once landed inside a trace leaves "Nesting violated" and "could not be lifted out of a tf.function"
# for every later run). Such a run is retried; a model's own errors are not.
MACHINE_ERRORS = (MemoryError, SystemError, OSError)
MACHINE_MARKERS = ("resourceexhausted", "nesting violated", "could not be lifted out of a tf.function",
                   "returned a result with an exception set", "failed to allocate", "cannot allocate memory")


def machine_failure(exc: BaseException) -> bool:
    """Whether the machine, not the model, failed this run (see MACHINE_MARKERS)."""
    text = f"{type(exc).__name__}: {exc}".lower()
    return isinstance(exc, MACHINE_ERRORS) or out_of_memory(exc) or any(m in text for m in MACHINE_MARKERS)


def out_of_memory(exc: BaseException) -> bool:
    """The one test for memory running out: a run's error line says so, and it is the machine's failure."""
    return ("ResourceExhausted" in type(exc).__name__ or "out of memory" in str(exc).lower()
            or isinstance(exc, MemoryError))


def fail(record: RunRecord, exc: BaseException) -> None:
    """A run's failure in its record: the one-line reason, its cause, and the traceback for anything unexpected."""
    record.status = "failed"
    record.failure = MACHINE if machine_failure(exc) else MODEL
    if isinstance(exc, SweepError):
        record.error = str(exc)
        return
    record.error = describe_failure(exc)
    record.traceback = "".join(traceback.format_exception(exc))[-4000:]


def describe_failure(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    if out_of_memory(exc):
        text = f"out of memory: {text}"
    lines = text.splitlines()
    return lines[0][:500] if lines else type(exc).__name__
