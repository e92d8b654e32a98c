"""The seeds of one configuration share one compiled model.

A trial trains the same architecture once per seed, and every fresh Keras
model traces its train, test and predict functions again: on a 2-core CPU
that is about a second per run for the small article CNNs, and on a GPU,
where an epoch of them takes milliseconds, tracing and compiling is most of
a run's time.

So the first seed's model is kept for the trial's other seeds. Each later
run still builds its own fresh model under its own seed, since that is where
its initial weights and its dropout seeds come from; then `adopt_state`
copies the fresh model's whole state into the kept one: every variable
(weights, seed-generator states, any moving statistics) and the variables of
a freshly built optimizer (step count zero, empty moments). The kept model
trains from there with the functions it has already traced, exactly as the
fresh model would have: the tests compare the two histories value for value.

The price is memory for a moment: the fresh model's optimizer is built to
read its initial state, so both models' training state exist at once until
the fresh one is dropped.
"""

from __future__ import annotations

import keras


def _same_layout(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        tuple(x.shape) == tuple(y.shape) and str(x.dtype) == str(y.dtype) for x, y in zip(a, b)
    )


def adopt_state(kept: keras.Model, fresh: keras.Model) -> bool:
    """Give `kept` the initial training state of `fresh`; False (and `kept`
    untouched) when their variables or optimizers do not line up, or when
    `kept` never trained (it has traced nothing worth keeping)."""
    if kept.optimizer is None or fresh.optimizer is None or type(kept.optimizer) is not type(fresh.optimizer):
        return False
    if not kept.optimizer.built:
        return False
    if not _same_layout(kept.variables, fresh.variables):
        return False
    if not fresh.optimizer.built:
        fresh.optimizer.build(fresh.trainable_variables)
    if not _same_layout(kept.optimizer.variables, fresh.optimizer.variables):
        return False
    for target, source in zip(kept.variables, fresh.variables):
        target.assign(source.numpy())
    for target, source in zip(kept.optimizer.variables, fresh.optimizer.variables):
        target.assign(source.numpy())
    return True


class TrialModel:
    """The compiled model one trial hands from seed to seed."""

    def __init__(self) -> None:
        self.model: keras.Model | None = None
        self.reused = 0  # runs that trained the kept model instead of their fresh one

    def take(self, fresh: keras.Model) -> keras.Model:
        """The model this run should train: the kept one, now in `fresh`'s
        initial state, or `fresh` itself (which is then kept)."""
        if self.model is not None and adopt_state(self.model, fresh):
            self.reused += 1
            return self.model
        self.model = fresh
        return fresh

    def forget(self) -> None:
        """Drop the kept model: at the trial's end, or after a failed run,
        whose model may be in any state."""
        self.model = None
