"""best_model.keras: the best configuration's best run, saved while the sweep runs (`save_best_model=True`).

The best model is the best configuration's best run (`rundir.ranking`), so
it agrees with `best_hyperparameters`. A run's weights are not kept on disk;
while its trial trains, the trial's best run so far is held in memory, and
once the trial's runs are all done it is saved if the trial is now the best.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from rundir.files import atomic_write_text
from rundir.manifest import objective_sign
from rundir.ranking import best_run, rank_trials
from rundir.records import RunDirectory, RunRecord
from search.training import one_run

BEST_MODEL = "best_model.keras"
BEST_MODEL_INFO = "best_model.json"  # which run best_model.keras is, and its score


class BestModel:
    """Holds each trial's best run's best-epoch weights until the trial is done, then saves the best."""

    def __init__(self, records: RunDirectory, objective: str, hypermodel: Any, precision: str,
                 say: Callable[[str], None]):
        self.records, self.objective, self.hypermodel, self.precision, self.say = (
            records, objective, hypermodel, precision, say)
        self._held: dict[str, tuple[RunRecord, list]] = {}  # per trial: its best run so far and its weights

    def hold(self, record: RunRecord, model) -> None:
        """Keep this run's best-epoch weights if it is the best run of its trial so far (a tie
        keeps the lower seed and fold, as `rundir.ranking.best_run` does)."""
        held = self._held.get(record.trial_id)
        sign = objective_sign(self.objective)
        if held is None or (-sign * record.score, record.key) < (-sign * held[0].score, held[0].key):
            self._held[record.trial_id] = (record, [w.copy() for w in model.get_weights()])

    def save_if_best(self, trial_id: str, hp) -> None:
        """Once a trial's runs are all done, save its best run as best_model.keras if the trial is
        now the best configuration.

        Trials with a run still running (another worker's) are not compared: their mean is not
        known yet. A file lock keeps two workers from both deciding they are best. The trial's
        best run may be one trained in an earlier session or round, whose weights are not here:
        then nothing is saved, and `SweepResult.saved_run_is_best` says so.
        """
        from filelock import FileLock

        held = self._held.pop(trial_id, None)
        if held is None:
            return
        record, weights = held
        root = self.records.root
        with FileLock(str(root / ".best_model.lock")):
            runs = self.records.read_runs()
            ranks = rank_trials(runs, self.objective, complete_only=True)
            best = best_run(runs, trial_id, self.objective)
            if not ranks or ranks[0].trial_id != trial_id or best is None or best.key != record.key:
                return
            path, tmp = root / BEST_MODEL, root / f".{BEST_MODEL}.tmp.keras"
            try:
                model = one_run.build(self.hypermodel, hp, record.seed, self.precision)
                model.set_weights(weights)
                if getattr(model, "optimizer", None) is not None and not model.optimizer.built:
                    model.optimizer.build(model.trainable_variables)  # so loading finds its variables (fresh ones)
                model.save(tmp)
                tmp.replace(path)
            except Exception as exc:  # a model Keras cannot serialise (or a full disk) must not fail the run
                tmp.unlink(missing_ok=True)  # never leave a half-written model behind
                self.say(f"warning: could not save the best model: {one_run.describe_failure(exc)}")
                return
            atomic_write_text(root / BEST_MODEL_INFO, json.dumps(
                {"trial_id": record.trial_id, "seed": record.seed, "fold": record.fold, "score": record.score,
                 "trial_mean": ranks[0].mean, "objective": self.objective}, indent=2))
