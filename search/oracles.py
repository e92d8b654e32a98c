"""Keras Tuner oracles for the sweep's `tuner` setting, made resumable.

Keras Tuner's GridSearchOracle keeps the frontier of its grid walk only in
memory, so a reloaded grid search believes it is finished after the first
trials; `ResumableGridSearchOracle` rebuilds that frontier from the trials
on disk, so a killed or extended grid sweep carries on where it stopped.
"""

from __future__ import annotations

import functools

import keras_tuner
from keras_tuner.src.tuners.gridsearch import LinkedList

from search.sweep import Sweep


def objective_mode(objective: str) -> str:
    return "min" if objective.endswith("loss") else "max"


class ResumableGridSearchOracle(keras_tuner.oracles.GridSearchOracle):
    def set_state(self, state):
        super().set_state(state)
        tried = [tid for tid in self.start_order if tid in self.trials]
        order = sorted(
            tried,
            key=functools.cmp_to_key(
                lambda a, b: self._compare(self.trials[a].hyperparameters.values, self.trials[b].hyperparameters.values)
            ),
        )
        self._ordered_ids = LinkedList()
        previous = None
        for trial_id in order:
            self._ordered_ids.insert(trial_id, previous)
            previous = trial_id
        # Every tried configuration may have an untried successor.
        self._populate_next = list(order)


def make_oracle(sweep: Sweep, hyperparameters: keras_tuner.HyperParameters, epochs: int):
    """The Keras Tuner oracle for the sweep's `tuner` setting."""
    objective = keras_tuner.Objective(sweep.objective, direction=objective_mode(sweep.objective))
    common = dict(
        objective=objective,
        hyperparameters=hyperparameters,
        tune_new_entries=False,
        allow_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=sweep.max_consecutive_failures,
    )
    if sweep.tuner == "grid":
        return ResumableGridSearchOracle(max_trials=sweep.max_trials, **common)
    if sweep.tuner == "random":
        return keras_tuner.oracles.RandomSearchOracle(max_trials=sweep.max_trials or 10, seed=0, **common)
    if sweep.tuner == "bayesian":
        return keras_tuner.oracles.BayesianOptimizationOracle(max_trials=sweep.max_trials or 10, seed=0, **common)
    return keras_tuner.oracles.HyperbandOracle(max_epochs=epochs, factor=3, seed=0, **common)


