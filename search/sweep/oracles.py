"""Keras Tuner oracles for the sweep's `tuner` setting, made resumable.

Keras Tuner's GridSearchOracle keeps the frontier of its grid walk only in
memory, so a reloaded grid search believes it is finished after the first
trials (keras-team/keras-tuner#1055); `ResumableGridSearchOracle` rebuilds
that frontier from the trials on disk, so a killed or extended grid sweep
carries on where it stopped. The private names it needs are in
`search.sweep.keras_tuner_private`.

Keras Tuner also writes its state files (oracle.json, trial_*/trial.json) in
place, truncating first: a sweep killed or a disk filling up in between
leaves an empty or cut-off file, and the resume dies on a JSONDecodeError.
`AtomicState` writes them the way the run records are written.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import keras_tuner

from search.sweep import keras_tuner_private as kt_private
from rundir.errors import SweepError
from rundir.files import atomic_write_text, make_write_errors_fatal
from rundir.manifest import objective_mode
from search.sweep.spec import Sweep

# A write that fails (a full disk) must stop the search, not fail one trial.
make_write_errors_fatal(keras_tuner.errors.FatalError)


class AtomicState(kt_private.TrialStateHook):
    """Mixed into a Keras Tuner oracle: its state files are written to a
    temporary file and renamed into place (a full disk is a one-line
    SweepError naming the file), and a damaged one found on resume is a
    one-line SweepError saying how to recover, not a JSONDecodeError."""

    def save(self):
        atomic_write_text(Path(kt_private.oracle_file(self)), json.dumps(self.get_state()))

    def write_trial_state(self, trial):
        atomic_write_text(Path(kt_private.trial_dir(self, trial.trial_id)) / "trial.json",
                          json.dumps(trial.get_state()))

    def reload(self):
        check_state_files(Path(kt_private.oracle_project_dir(self)))
        super().reload()
        # create_trial writes trial.json before oracle.json: a sweep killed in
        # between leaves a trial that was never handed out (so has no runs).
        # Forget it, or the next trial would take the following id.
        started = set(self.start_order)
        for trial_id in [t for t in self.trials if t not in started]:
            del self.trials[trial_id]


def check_state_files(project_dir: Path) -> None:
    """Raise SweepError if a state file Keras Tuner is about to reload is damaged.

    The run records hold every result; Keras Tuner's state only says which
    trial comes next. A fresh grid search walks the same configurations in
    the same order and reuses each finished run from its record (see
    tests/test_tuner_state.py); the seeded random, Bayesian and Hyperband
    oracles should do the same, but that is not tested.
    """
    files = [project_dir / "oracle.json", *sorted(project_dir.glob("trial_*/trial.json")),
             *sorted(p for p in project_dir.glob("*.json") if p.name != "oracle.json")]
    for path in files:
        try:
            json.loads(path.read_bytes())
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            if isinstance(exc, json.JSONDecodeError):
                why = "empty" if not exc.doc.strip() else f"cut off or not JSON: {exc.msg} at line {exc.lineno}"
            else:
                why = f"unreadable: {exc}"
            raise SweepError(
                f"Keras Tuner's state file {path} is damaged ({why}); the finished runs are safe in their "
                f"records: delete {project_dir} and rerun the same command to rebuild it from them"
            ) from None


class ResumableGridSearchOracle(AtomicState, keras_tuner.oracles.GridSearchOracle):
    """Keras Tuner's grid search, resumable: works around
    keras-team/keras-tuner#1055 (a reloaded GridSearchOracle forgets its
    walk and stops early). Drop `set_state` here once upstream fixes it."""

    def set_state(self, state):
        super().set_state(state)
        tried = [tid for tid in self.start_order if tid in self.trials]
        order = sorted(
            tried,
            key=functools.cmp_to_key(
                lambda a, b: kt_private.grid_compare(self, self.trials[a].hyperparameters.values,
                                                     self.trials[b].hyperparameters.values)
            ),
        )
        kt_private.rebuild_grid_walk(self, order)


class RandomSearchOracle(AtomicState, keras_tuner.oracles.RandomSearchOracle):
    pass


class BayesianOptimizationOracle(AtomicState, keras_tuner.oracles.BayesianOptimizationOracle):
    pass


class HyperbandOracle(AtomicState, keras_tuner.oracles.HyperbandOracle):
    pass


def make_oracle(sweep: Sweep, hyperparameters: keras_tuner.HyperParameters, epochs: int,
                tune_new_entries: bool = False):
    """The Keras Tuner oracle for the sweep's `tuner` setting. `tune_new_entries`: a build's
    conditional hyperparameters, found only as trials build, are searched too (your own model)."""
    objective = keras_tuner.Objective(sweep.objective, direction=objective_mode(sweep.objective))
    common = dict(
        objective=objective,
        hyperparameters=hyperparameters,
        tune_new_entries=tune_new_entries,
        allow_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=sweep.max_consecutive_failures,
    )
    if sweep.tuner == "grid":
        return ResumableGridSearchOracle(max_trials=sweep.max_trials, **common)
    if sweep.tuner == "random":
        return RandomSearchOracle(max_trials=sweep.max_trials or 10, seed=0, **common)
    if sweep.tuner == "bayesian":
        return BayesianOptimizationOracle(max_trials=sweep.max_trials or 10, seed=0, **common)
    return HyperbandOracle(max_epochs=epochs, factor=3, seed=0, **common)


