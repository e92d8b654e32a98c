"""One batch of `fit` and `evaluate` before a sweep: a check, and a clock.

A user's own model can compile a loss its labels do not fit (categorical
cross-entropy with integer labels); Keras finds that inside the first step, so
without this every run of the sweep failed on it. Running one training and one
evaluation batch on the first configuration finds it in seconds, before any run
is recorded, and `explain_failure` turns Keras' shape message into the fix.

The same `fit` times the machine: the first epoch traces the steps (compile),
a second one of a few batches is the steady cost of a batch, of validation and
of an epoch's own overhead, which is what a sweep's epochs pay.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass

import keras
import numpy as np

from rundir.errors import SweepError


@dataclass(frozen=True)
class StepTime:
    """Seconds measured on this machine with `fit` itself, at one batch size."""

    batch_size: int
    compile_s: float  # what the first epoch cost beyond a later one: tracing and compiling the steps
    train_step_s: float  # a training batch of a later epoch (median)
    eval_step_s: float  # a validation batch: a forward pass, taken as a third of a training step
    epoch_overhead_s: float = 0.0  # a later epoch beyond its batches: callbacks, logs
    validation_overhead_s: float = 0.0  # a validation beyond its batches: its iterator, its callbacks

    def epoch_s(self, train_images: int, val_images: int) -> float:
        """One epoch: every training batch, then validation at the same batch size, as the engine's fit runs it."""
        return (self.epoch_overhead_s + math.ceil(train_images / self.batch_size) * self.train_step_s
                + (self.validation_overhead_s + math.ceil(val_images / self.batch_size) * self.eval_step_s
                   if val_images else 0.0))


class _Clock(keras.callbacks.Callback):
    """Wall time of each epoch, each training batch and the validation that ends an epoch."""

    def __init__(self):
        super().__init__()
        self.epochs: list[float] = []
        self.batches: list[list[float]] = []
        self.validation: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = time.perf_counter()
        self.batches.append([])

    def on_train_batch_begin(self, batch, logs=None):
        self._batch = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.batches[-1].append(time.perf_counter() - self._batch)

    def on_test_begin(self, logs=None):
        self._test = time.perf_counter()

    def on_test_end(self, logs=None):
        self.validation.append(time.perf_counter() - self._test)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(time.perf_counter() - self._epoch)


def batches(x: np.ndarray, y: np.ndarray, batch_size: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` full batches where the data has them (repeating the images if needed), so each timed step is real."""
    rows = np.arange(batch_size * count) % len(y)
    return x[rows], y[rows]


def dry_run(model, x: np.ndarray, y: np.ndarray, batch_size: int, steps: int = 1, name: str = "the model") -> StepTime:
    """`fit` `model` (a throwaway: its weights change) on one batch and validate on one; with
    `steps` > 1 also a second epoch of `steps` batches, which is the one timed.

    Raises SweepError with the likely fix when the loss does not fit the labels;
    any other error passes to the caller."""
    count = max(1, steps)
    bx, by = batches(x, y, batch_size, count)
    clock = _Clock()
    try:
        model.fit(bx[:batch_size], by[:batch_size], batch_size=batch_size, epochs=1, verbose=0,
                  validation_data=(bx[:batch_size], by[:batch_size]), callbacks=[clock])
        if steps > 1:
            model.fit(bx, by, batch_size=batch_size, epochs=1, verbose=0, validation_data=(bx, by), callbacks=[clock])
    except Exception as exc:
        hint = explain_failure(exc, y)
        if hint is None:
            raise
        raise SweepError(f"{name}: one batch of training failed before the sweep: {hint}") from None
    later = clock.batches[-1][1:] or clock.batches[-1]
    step = statistics.median(later)
    evaluate = step / 3  # Keras reports no per-batch time of validation; a forward pass is about a third of a step
    validation = max(0.0, clock.validation[-1] - count * evaluate)
    overhead = max(0.0, clock.epochs[-1] - sum(clock.batches[-1]) - clock.validation[-1])
    first = clock.epochs[0] - (step + evaluate + validation + overhead) if steps > 1 else clock.epochs[0]
    return StepTime(batch_size, max(0.0, first), step, evaluate, overhead, validation)


def explain_failure(exc: BaseException, y: np.ndarray) -> str | None:
    """The fix for a loss that does not fit the labels, or None when the error is something else."""
    text = " ".join(str(exc).split())
    integer_labels = y.ndim == 1
    # Keras' and the backends' words for a loss comparing labels and outputs of other shapes; an error about
    # the model's input or anything else is not explained here (it would get the wrong fix).
    about_labels = any(k in text for k in ("target", "label", "logits", "y_true", "Shapes (", "Incompatible shapes"))
    if not about_labels or "shape" not in text.lower() and "rank" not in text:
        return None
    short = text if len(text) <= 160 else text[:157] + "..."
    if integer_labels and ("target.shape" in text or "must have the same shape" in text or "Shapes" in text
                           or "Incompatible shapes" in text or "logits and labels" in text):
        return (f"the loss wants one-hot labels but the data gives class numbers ({short}); compile with "
                "loss=\"sparse_categorical_crossentropy\", or load the data with label_mode=\"categorical\"")
    if not integer_labels:
        return (f"the loss wants class numbers but the data gives one-hot labels ({short}); compile with "
                "loss=\"categorical_crossentropy\", or load the data with label_mode=\"int\"")
    return (f"the model's output does not fit the labels ({short}); check the last layer's units and the loss "
            "(from_logits=True when the last layer has no softmax)")
