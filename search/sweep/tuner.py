"""Keras Tuner, with one trial = one configuration run once per seed.

Keras Tuner's oracles choose the configurations (grid, random, Bayesian,
Hyperband) and keep their own state for resuming; `SweepTuner.run_trial`
replaces the stock one to train each configuration with seeds 0..n-1, write
a record per run, reuse runs already on disk, and turn any failure (NaN loss,
an exception, out of memory) into a failed record instead of a dead sweep.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import keras
import keras_tuner
import numpy as np

from search.training import device, stop, threads
from search.sweep import keras_tuner_private as kt_private
from search.training import one_run
from search.training.callbacks import EpochLog
from search.training.one_run import TrainingData, training_arrays
from search.training.checkpoints import DEFAULT_EVERY_S, RunCheckpoint, checkpoint_dir, read_checkpoint, remove_checkpoint
from search.data.folds import FoldPlan
from search.data.sources import ImageData
from rundir.errors import SweepError
from search.training.fusion import FusionPolicy
from search.models.articles import ArticleHyperModel
from search.models.own import is_own
from search.sweep.knobs import knob_universe, record_values, used_knobs
from search.training.members import Member
from search.sweep.progress import Progress
from search.training.pruning import MedianStoppingCallback, median_curve
from rundir.files import RecordWriteError, atomic_write_text
from rundir.manifest import objective_mode, objective_sign
from rundir.records import RunDirectory, RunRecord
from rundir.verify import ENDED
from rundir.records import MACHINE
from search.training.reuse import TrialModel
from search.sweep.rounds import Round, first_round
from search.sweep.best_model import BestModel
from search.sweep.spec import Sweep
from search.sweep.feasible import LeftOut


@dataclass(frozen=True)
class RunOptions:
    """What a sweep writes besides its records. Opt-in, and not part of what
    the records mean, so a resume may switch either on or off."""

    tensorboard: bool = False  # RUN_DIR/tensorboard/: each run's curves and the HParams dashboard
    save_best_model: bool = False  # RUN_DIR/best_model.keras: the best run's model at its best epoch
    # A running run saves itself at an epoch's end once this many seconds have
    # passed since its last save (search.training.checkpoints); None: never.
    checkpoint_every_s: float | None = DEFAULT_EVERY_S
    retry_failed: bool = False  # --retry-failed: every failed run is trained again, not only the machine's




Unit = tuple[int, "int | None"]  # one run of a trial: (seed, fold), fold None on a fixed split


def record_id(trial_id: str) -> str:
    """Keras Tuner pads trial ids to the width of max_trials ("0", "00",
    "0000" for none), which changes when a resumed sweep gets a new
    --max-trials; records use one fixed width so a trial keeps its folder."""
    return f"{int(trial_id):04d}" if str(trial_id).isdigit() else str(trial_id)


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _display_value(value):
    return round(value, 6) if isinstance(value, float) else value


class SweepTuner(keras_tuner.Tuner):
    """A Keras Tuner `Tuner` whose trials are seed-repeated, recorded runs."""

    def __init__(self, oracle, hypermodel: ArticleHyperModel, sweep: Sweep, data: ImageData,
                 records: RunDirectory, progress: Progress, worker: str = "main", project_name: str = "tuner",
                 options: RunOptions | None = None, folds: FoldPlan | None = None,
                 left_out: list[LeftOut] | None = None, **kwargs):
        # Keras Tuner prints "Reloading Tuner from ..." to stdout on resume;
        # stdout is kept for the report's path.
        with contextlib.redirect_stdout(io.StringIO()):
            super().__init__(oracle=oracle, hypermodel=hypermodel, directory=str(records.root),
                             project_name=project_name, overwrite=False, **kwargs)
        # Keras Tuner prints the traceback of every failed trial when DEBUG is
        # on (its default); the run record keeps it, the console stays quiet.
        kt_private.quiet_failed_trials()
        self.sweep = sweep
        self.data = data
        self.arrays = training_arrays(data, hypermodel.label_mode)
        self._split_val = (self.arrays.x_val, self.arrays.y_val)  # one object: fused seeds keep one copy
        self.folds = folds  # with folds, `data` is every image and each run trains on its fold's split
        self._fold_data: tuple[Unit, ImageData, TrainingData] | None = None
        self.records = records
        self.progress = progress
        self.left_out = list(left_out or [])  # configurations the image size cannot hold (search.sweep.feasible)
        self.worker = worker
        self.options = options or RunOptions()
        # Which seeds a trial trains: the round the engine runs, or for a
        # worker the round the chief's sweep.json names (see run_trial).
        self.current_round: Callable[[], Round] = lambda: first_round(sweep.seeds)
        self.seed_count = first_round(sweep.seeds).seeds  # of the trial being run, for the progress lines
        self.fusion = FusionPolicy.for_sweep(sweep, hypermodel, records.root)
        self.best_model = BestModel(records, sweep.objective, hypermodel, sweep.precision, progress.say)
        self._machine_failures: list[str] = []  # the errors of the machine failures in a row (`_watch_machine`)

    def save(self):
        """Keras Tuner's save, with the tuner's own file written atomically too
        (the oracle's files are, see search.sweep.oracles.AtomicState)."""
        if not kt_private.is_worker(self):
            self.oracle.save()
        atomic_write_text(Path(kt_private.tuner_file(self)), json.dumps(self.get_state()))

    # Keras Tuner would checkpoint every epoch of every trial; the best
    # weights live in memory instead (see EpochLog), so these are no-ops.
    def save_model(self, trial_id, model, step=0):
        return None

    def load_model(self, trial):
        raise NotImplementedError("models are not kept on disk; see the run records")

    def search(self, *args, **kwargs):
        """Keras Tuner's search, with what exists before the first trial
        frozen out of Python's garbage collector (`gc.freeze`).

        Each run ends with `gc.collect()` so that a finished model's memory
        goes back at once (Keras models hold reference cycles). A full
        collection walks every tracked object, and TensorFlow and Keras alone
        make half a million of them: 0.3-0.5 s per collection on a 2-core
        CPU, a tenth of a short run. Frozen, they are not walked (0.03-0.08 s).
        """
        gc.collect()
        gc.freeze()
        try:
            return super().search(*args, **kwargs)
        finally:
            gc.unfreeze()

    def run_trial(self, trial, *args, **kwargs):
        """Train the configuration with seeds 0..n-1 of the current round, reusing runs on disk.

        A later round's trial has the id and configuration of the same
        grid point in round 1 (a fresh grid walk), so its earlier seeds are
        on disk: they count towards the trial's score silently, and only the
        round's own seeds are trained (or reported as resumed). A targeted
        round leaves out the configurations no undecided part reads: those
        report their earlier seeds' score and train nothing.
        """
        hp = trial.hyperparameters
        if self._left_out(hp.values):
            # Trains nothing and has no records; Keras Tuner is told the worst score, so it ends the trial
            # as done (not failed: no failure streak) and no ranking ever picks it (ours reads the records).
            return {self.sweep.objective: -math.inf if objective_mode(self.sweep.objective) == "max" else math.inf}
        trial_id = record_id(trial.trial_id)
        round_ = self.current_round()
        self.seed_count = round_.seeds
        done: dict[Unit, RunRecord] = {}
        units = self._units(range(round_.seeds if round_.trains(trial_id) else round_.first_seed))
        for seed, fold in units:
            record = self.records.read_run(trial_id, seed, fold)
            if record is not None and record.status in ("completed", "failed") and _same_config(record, hp):
                done[(seed, fold)] = record
                if seed >= round_.first_seed:
                    self.progress.run_done(trial_id, seed, round_.seeds, record.status, record.score,
                                           record.wall_time_s, reused=True, fold=fold)
        done.update(self._train_seeds(trial_id, hp, [u for u in units if u not in done]))
        if self.options.save_best_model:
            self.best_model.save_if_best(trial_id, hp)
        gc.collect()
        scores = [r.score for _, r in sorted(done.items()) if r.status == "completed"]
        errors = [r.error or "failed" for _, r in sorted(done.items()) if r.status != "completed"]
        if not scores:
            raise keras_tuner.errors.FailedTrialError(f"every seed failed: {errors[0]}")
        return {self.sweep.objective: float(np.mean(scores))}

    def requeue_incomplete(self) -> list[str]:
        """Put the trials Keras Tuner holds as ended whose runs are not all on disk back in its retry
        queue, so they train again: a damaged record moved aside (`quarantine_damaged`), a record deleted
        by hand. Without this the oracle would count them done and the runs would be lost for good."""
        if kt_private.is_worker(self):
            return []
        round_ = self.current_round()
        waiting = set(kt_private.retry_queue(self.oracle))
        again = []
        for trial_id, trial in self.oracle.trials.items():
            if trial.status not in ENDED or trial_id in waiting or self._left_out(trial.hyperparameters.values):
                continue
            rid = record_id(trial_id)
            units = self._units(range(round_.seeds if round_.trains(rid) else round_.first_seed))
            if any(self.records.read_run(rid, seed, fold) is None for seed, fold in units):
                kt_private.requeue(self.oracle, trial_id)
                again.append(rid)
        return again

    def _left_out(self, values: dict) -> bool:
        return any(item.matches(values) for item in self.left_out)

    def _units(self, seeds) -> list[Unit]:
        """The runs of `seeds`: one per seed, or with folds one per seed and fold."""
        folds = range(self.folds.k) if self.folds is not None else [None]
        return [(seed, fold) for seed in seeds for fold in folds]

    def _run_data(self, seed: int, fold: int | None) -> tuple[ImageData, TrainingData]:
        """What one run trains and validates on: the source's split, or its fold of its seed's partition.
        The last run's fold is kept: opening the record, fitting and predicting each ask for it, and
        consecutive runs are other folds or seeds, so a larger cache would only hold memory."""
        if fold is None or self.folds is None:
            return self.data, self.arrays
        if self._fold_data is None or self._fold_data[0] != (seed, fold):
            data = self.folds.fold(seed, fold)
            self._fold_data = ((seed, fold), data, training_arrays(data, self.hypermodel.label_mode))
        return self._fold_data[1], self._fold_data[2]

    # -- one run and one fused group share these steps --------------------
    # _open_runs (records marked running) -> build under used_knobs ->
    # _describe_model (the knobs and size) -> fit -> _conclude (score,
    # predictions, best model) -> _close (the final record on disk).

    def _open_runs(self, trial_id: str, hp, units: list[Unit], fused: int = 1) -> dict[Unit, RunRecord]:
        """A "running" record per run, on disk before training starts, so a kill leaves a trace."""
        values = {k: _display_value(v) for k, v in hp.values.items()}
        records = {(s, f): RunRecord(trial_id=trial_id, seed=s, fold=f, status="running",
                                     hyperparameters=dict(values), objective=self.sweep.objective,
                                     worker=self.worker, started=_now(), fused=fused, threads=threads.in_use(),
                                     val_images=len(self._run_data(s, f)[0].y_val))
                   for s, f in units}
        for record in records.values():
            self.records.write_run(record)
        return records

    def _describe_model(self, record: RunRecord, hp, used: set[str], model) -> None:
        """Every knob of the model family, None where this model lacks it: Keras Tuner's values
        are not what the model had (search.sweep.knobs); the build declares the knobs the
        oracle did not set, so this reads them after it."""
        record.hyperparameters = record_values({k: _display_value(v) for k, v in hp.values.items()}, used,
                                               self._knob_universe())
        record.params = int(model.count_params())

    def _conclude(self, record: RunRecord, model, log: EpochLog, stopper, pruner=None) -> list[dict] | None:
        """Score a trained run from its epoch log; a completed one's predictions (and the best model)."""
        one_run.score(record, log, stopper)
        if pruner is not None and pruner.stopped_epoch and record.status == "completed":
            record.stopped_epoch, record.pruned = pruner.stopped_epoch, True
        if record.status != "completed":
            return None
        predictions = one_run.predictions(model, log, self._run_data(record.seed, record.fold)[0])  # best weights stay
        if self.options.save_best_model:
            self.best_model.hold(record, model)
        return predictions

    def _train(self, trial_id: str, hp, unit: Unit, kept: TrialModel) -> RunRecord:
        seed, fold = unit
        stop.check()  # a safe point: no run is opened once a stop was asked
        record = self._open_runs(trial_id, hp, [unit])[unit]
        start = time.perf_counter()
        calls = one_run.RunCallbacks(EpochLog(self.sweep.objective,
                                              on_epoch=self._epoch_progress(trial_id, seed, hp, fold)))
        predictions = None
        try:
            with used_knobs(hp) as used:
                model = one_run.build(self.hypermodel, hp, seed, self.sweep.precision)
            stop.check()  # a signal during the build was only recorded: stop here, the model whole
            self._describe_model(record, hp, used, model)
            model = kept.take(model)  # the trial's traced model, in this seed's initial state
            calls.stopper = one_run.early_stopping(self.sweep.early_stopping)
            calls.pruner = self._median_stopping()
            calls.checkpoint = self._checkpoint(record, calls.log, calls.stopper, calls.pruner)
            if calls.initial_epoch:
                self.progress.say(f"trial {trial_id} {record.name.replace('_', ' ')}: resumed after epoch "
                                  f"{calls.initial_epoch}")
            one_run.fit(self.hypermodel, hp, model, self._run_data(seed, fold)[1], seed, calls)
            predictions = self._conclude(record, model, calls.log, calls.stopper, calls.pruner)
        except RecordWriteError:  # the disk, not the run: stop the sweep, record nothing as failed
            raise
        except Exception as exc:  # a failing trial must never end the sweep
            stop.raise_if_pending(exc)  # ... but one that fails while a stop is pending was stopped, not failed
            one_run.fail(record, exc)
        finally:
            if record.status != "completed":
                kept.forget()  # a failed run's model may be in any state
            model = None
            gc.collect()
        earlier = calls.checkpoint.earlier_wall_s if calls.checkpoint is not None else 0.0
        self._close(record, calls.log, earlier + time.perf_counter() - start, predictions)
        self._watch_machine(record)
        return record

    def _watch_machine(self, record: RunRecord) -> None:
        """Stop the sweep once BROKEN_STREAK runs in a row failed with one machine error: the process, not
        the models, is broken, and every later run would fail the same way."""
        if record.status != "failed" or record.failure != MACHINE:
            self._machine_failures = []
            return
        self._machine_failures.append(record.error)
        if len(self._machine_failures) >= BROKEN_STREAK and len(set(self._machine_failures[-BROKEN_STREAK:])) == 1:
            raise BrokenProcess(f"{BROKEN_STREAK} runs in a row failed with the same error, which no model causes "
                                f"({record.error}): this process is broken; rerun the same command to train them "
                                "again in a fresh one", exit_code=1)

    def _checkpoint(self, record: RunRecord, log: EpochLog, stopper, pruner) -> RunCheckpoint | None:
        """The run's checkpointing callback, holding its last checkpoint if one
        of this configuration is on disk (search.training.checkpoints)."""
        every = self.options.checkpoint_every_s
        if every is None:
            return None
        folder = checkpoint_dir(self.records.run_path(record.trial_id, record.seed, record.fold))
        resume = read_checkpoint(folder, record.hyperparameters)
        return RunCheckpoint(folder, record.hyperparameters, log, stopper, pruner, every_s=every, resume=resume)

    def _train_seeds(self, trial_id: str, hp, units: list[Unit]) -> dict[Unit, RunRecord]:
        """Train `units` alone or as fused programs, as the fusion policy groups them. With folds a
        program's members may be folds too: each trains and validates on its own images, and only
        runs whose images make as many batches fuse (`_batchable`)."""
        out: dict[Unit, RunRecord] = {}
        kept = TrialModel()
        alone = None  # the lone run a measuring program is compared with (search.training.fusion)
        groups = [part for group in self.fusion.groups(units) for part in self._batchable(hp, group)]
        for group in groups:
            if len(group) == 1:
                out[group[0]] = alone = self._train(trial_id, hp, group[0], kept)
            else:
                out.update(self._train_fused(trial_id, hp, group, alone))
        kept.forget()
        return out

    def _batchable(self, hp, group: list[Unit]) -> list[list[Unit]]:
        """`group` split into runs whose training and validation images make as many batches: a
        program zips its members' batches, so one with a batch more would lose it. Seeds on one split
        always agree; a seed's folds differ by a few images, which seldom changes a batch count."""
        if self.folds is None or len(group) < 2:
            return [group]
        batch_size = self.hypermodel.batch_and_epochs(hp)[0]
        parts: dict[tuple[int, int], list[Unit]] = {}
        for seed, fold in group:
            n_train, n_val = self.folds.sizes(seed, fold)
            parts.setdefault((-(-n_train // batch_size), -(-n_val // batch_size)), []).append((seed, fold))
        return list(parts.values())

    def _train_fused(self, trial_id: str, hp, units: list[Unit], alone: RunRecord | None) -> dict[Unit, RunRecord]:
        """Train `units` as one program (search.training.fused), one record per run.

        A member whose loss turns NaN fails alone; if the program itself
        fails (out of memory, say), its runs train one after another
        instead, so a failure there is each run's own, as without fusion.
        """
        from search.training import fused
        from search.data.pipeline import fit_inputs

        stop.check()
        records = self._open_runs(trial_id, hp, units, fused=len(units))
        start = time.perf_counter()
        members: list[Member] = []
        try:
            batch_size, epochs = self.hypermodel.batch_and_epochs(hp)
            trains, vals = [], []
            with used_knobs(hp) as used:
                for seed, fold in units:
                    # A fold's arrays are its own; seeds on one split share the split's (vals then
                    # holds one object, which the program keeps once).
                    a = self.arrays if fold is None else training_arrays(self.folds.fold(seed, fold),
                                                                         self.hypermodel.label_mode)
                    model = one_run.build(self.hypermodel, hp, seed, self.sweep.precision)  # as a lone run has it
                    trains.append(fit_inputs(a.x, a.y, a.x_val, a.y_val, batch_size, seed, keras.backend.backend()).x)
                    vals.append(self._val_arrays(a))
                    log = EpochLog(self.sweep.objective, on_epoch=self._epoch_progress(trial_id, seed, hp, fold))
                    members.append(Member(seed, model, log, one_run.early_stopping(self.sweep.early_stopping),
                                          fold=fold))
                with device.precision(self.sweep.precision):
                    program = fused.fused_program(members, trains, vals, batch_size, self.sweep.objective)
            program.fit(epochs)
        except RecordWriteError:
            raise
        except SweepError as exc:  # the configuration itself is wrong: every run fails alike
            stop.raise_if_pending(exc)
            for record in records.values():
                one_run.fail(record, exc)
                self._close(record, None, (time.perf_counter() - start) / len(units), None)
            return records
        except Exception as exc:
            stop.raise_if_pending(exc)
            self.fusion.shrink(len(units))
            half = self.fusion.max_members or 1
            self.progress.say(f"warning: trial {trial_id}: {len(units)} {'runs' if self.folds else 'seeds'} as "
                              f"one program failed ({one_run.describe_failure(exc)}); from now on at most {half} per program")
            members = program = trains = vals = None
            gc.collect()
            return self._train_seeds(trial_id, hp, units)
        trains = vals = None
        wall = time.perf_counter() - start
        for member in members:
            record = records[(member.seed, member.fold)]
            self._describe_model(record, hp, used, member.model)
            predictions = self._conclude(record, member.model, member.log, member.stopper)
            self._close(record, member.log, wall / len(units), predictions)
        members = program = None
        gc.collect()
        decided = self.fusion.observe(alone, list(records.values()), wall) if self.fusion.measuring(units) else None
        if decided is not None:
            self.progress.say(decided.line())
        return records

    def _val_arrays(self, a: TrainingData) -> tuple[np.ndarray, np.ndarray]:
        """A run's validation arrays as one pair: the same object for every seed on the sweep's split."""
        return self._split_val if a is self.arrays else (a.x_val, a.y_val)

    def _close(self, record: RunRecord, log: EpochLog | None, wall_s: float, predictions) -> None:
        """Finish a run's record from its epoch log and write it (with its predictions)."""
        record.wall_time_s = round(wall_s, 3)
        if log is not None:
            record.history = log.rows
            record.epochs_run = len(log.rows)
            if log.rows:
                record.seconds_per_epoch = round(float(np.median([r["seconds"] for r in log.rows])), 4)
        record.finished = _now()
        self.records.write_run(record, predictions)
        remove_checkpoint(checkpoint_dir(self.records.run_path(record.trial_id, record.seed, record.fold)))  # final
        self.records.write_summary()
        if self.options.tensorboard:
            from search.sweep import tensorboard_log
            tensorboard_log.write_run(self.records.root, record)
        self.progress.run_done(record.trial_id, record.seed, self.seed_count, record.status, record.score,
                               record.wall_time_s, fold=record.fold)

    def _knob_universe(self) -> list[str]:
        """The knobs every record holds (search.sweep.knobs): the article family's, or
        for your own model only the ones it declares (no empty article columns)."""
        if is_own(self.hypermodel):
            return []
        return knob_universe(self.hypermodel, self.sweep.space)

    def _median_stopping(self) -> MedianStoppingCallback | None:
        """The median-stopping callback, against the runs finished so far."""
        rule = self.sweep.median_stopping
        if rule is None:
            return None
        sign = objective_sign(self.sweep.objective)
        curve = median_curve(self.records.read_runs(), self.sweep.objective, sign)
        return MedianStoppingCallback(rule, curve, self.sweep.objective, sign)

    def _epoch_progress(self, trial_id: str, seed: int, hp, fold: int | None = None):
        epochs = hp.values.get("tuner/epochs", hp.values.get("epochs", 0))

        def show(epoch: int, row: dict) -> None:
            self.progress.epoch(trial_id, seed, self.seed_count, epoch, epochs,
                                row.get(self.sweep.objective, math.nan), fold=fold)

        return show


def _same_config(record: RunRecord, hp) -> bool:
    """Whether a record on disk is a run of this trial's configuration.

    Trial ids are reused only for the same configuration while Keras Tuner's
    state survives; if it was deleted and rebuilt, a random or Bayesian
    oracle may give an old id a new configuration, which must be trained,
    not answered with the old record.
    """
    # None: a knob this run's model does not have (search.sweep.knobs); its value cannot differ.
    shared = {k for k in set(record.hyperparameters) & set(hp.values) if record.hyperparameters[k] is not None}
    return all(record.hyperparameters[k] == _display_value(hp.values[k]) for k in shared if not k.startswith("tuner/"))


BROKEN_STREAK = 3  # machine failures in a row, one error: the process is broken, stop it


class BrokenProcess(SweepError, keras_tuner.errors.FatalError):
    """Several runs in a row failed with one machine error: stop the sweep (Keras Tuner re-raises a
    FatalError); a rerun of the same command, a fresh process, trains them again."""
