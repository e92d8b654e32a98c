"""Run a sweep end to end: data -> HyperModel -> Keras Tuner -> run directory.

`prepare` does everything that can fail on bad input (data folder, unknown
hyperparameters, image size too small for the model) before any training,
so mistakes surface in seconds as one-line errors, not an hour in.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import sys
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import keras
import keras_tuner
import numpy as np

from search.sweep.schedule import schedule_claims
from search.training import device, stop
from search.sweep import keras_tuner_private as kt_private
from search.data.folds import FoldPlan, plan_folds
from search.data.images import format_bytes
from search.data.sources import DataNotFound, ImageData
from search.sweep.cost import Cost, estimate_wanted, sweep_counts
from search.sweep.decidable import resolution_line
from search.sweep.feasible import LeftOut, left_out, warning_line
from search.sweep import thread_plan
from search.training.step_time import StepTime, dry_run
from rundir.errors import SweepError
from search.training.fusion import sweep_choice
from search.models.articles import ArticleHyperModel
from rundir.lock import RunLock
from search.models.own import OwnHyperModel, check_fits_data, is_article_model, is_own, model_name
from search.sweep.progress import Progress
from rundir.records import RunDirectory, quarantine_damaged, set_aside_failed
from rundir.manifest import objective_mode
from rundir.manifest import DataInfo, Manifest, ModelInfo, has_manifest, read_manifest, write_manifest
from rundir.manifest import now as manifest_now
from search.sweep.rounds import (Round, RoundLog, current_round, describe_plan, first_round, next_round, seed_plan,
                                 open_after, stop_reason)
from search.sweep.seeds import Seeds
from search.sweep.space import build_ranges, default_model, describe_space, search_space
from search.sweep.spec import Range, Sweep
from search.sweep.oracles import make_oracle
from search.sweep.result import SweepResult  # noqa: F401  (search.sweep.engine.SweepResult, as before)
from search.sweep.tuner import RunOptions, SweepTuner, training_arrays

# Settings that define what a run directory's records mean; rerunning with a
# different value would mix incomparable trials, so it is refused.
FINGERPRINT_KEYS = ("hypermodel", "space", "tuner", "objective", "image_size", "epochs", "data", "early_stopping",
                    "median_stopping", "precision", "seeds", "resize", "folds", "build_ranges")


@dataclass
class Prepared:
    sweep: Sweep
    data: ImageData
    hypermodel: ArticleHyperModel
    values: dict  # every hyperparameter's value in the sweep's first trial
    article_defaults: dict  # the article model's own values
    params: int
    epochs: int
    folds: FoldPlan | None = None  # Sweep(folds=K): every image pooled, a partition per seed
    searched: dict[str, str] = field(default_factory=dict)  # your own model: knobs searched at the build's range
    data_here: bool = True  # False: --describe without the data (stand-in images)
    cost: Cost | None = None
    left_out: list[LeftOut] = field(default_factory=list)  # grid configurations the image size cannot hold

    @property
    def planned_trials(self) -> int | None:
        """The configurations the sweep trains: the grid's, less those left out."""
        planned = self.sweep.planned_trials()
        return None if planned is None else planned - len(self.left_out)

    @property
    def runs_per_seed(self) -> int:
        """Runs of one configuration and seed: one, or one per fold."""
        return self.folds.k if self.folds is not None else 1


def prepare(sweep: Sweep, without_data: bool = False, estimate: bool | None = None) -> Prepared:
    """Everything that can fail on bad input, before any training. `without_data` (--describe):
    a data folder that is not here is described from the sweep file, on stand-in images.
    `estimate`: time a few batches for the cost estimate (None: unless SEARCH_NO_ESTIMATE=1, as in
    the test suite); a worker, whose chief printed it, passes False."""
    try:
        data, data_here = sweep.data.load(sweep.image_size, sweep.resize), True
    except DataNotFound:
        if not without_data:
            raise
        data, data_here = stand_in_data(sweep), False
    except MemoryError:  # the machine's, before any run: one line, and nothing was recorded
        raise SweepError(f"out of memory while loading the images of {sweep.data.describe()} at {sweep.image_size} "
                         "px: lower image_size, use fewer images, or free memory") from None
    if is_article_model(sweep.hypermodel):
        sweep = schedule_claims(sweep)
        hypermodel = sweep.hypermodel(data.input_shape, data.num_classes, label_mode=sweep.data.label_mode,
                                      **sweep.hypermodel_args)
    else:
        hypermodel = OwnHyperModel(sweep.hypermodel, data.input_shape, data.num_classes, sweep.data.label_mode,
                                   sweep.hypermodel_args)
        sweep = schedule_own_claims(sweep, hypermodel)
    model, values, article_defaults = default_model(hypermodel, sweep)
    impossible = left_out(sweep, hypermodel, values)
    for item in impossible:
        warnings.warn(warning_line(item, sweep.image_size, model_name(hypermodel)), UserWarning, stacklevel=2)
    if is_own(hypermodel):
        check_fits_data(model, hypermodel.model_name, data.input_shape, data.num_classes)
    check_objective(sweep, model)
    params = int(model.count_params())
    searched = {name: words for name, words in build_ranges(search_space(sweep, hypermodel)).items()
                if name not in sweep.space} if is_own(hypermodel) else {}
    timing = estimate_wanted() if estimate is None else estimate
    steps = first_batches(model, hypermodel, data, batch_sizes(sweep, values), sweep.data.label_mode, timing)
    del model
    keras.backend.clear_session()
    folds = plan_folds(data, sweep.folds) if sweep.folds is not None and data_here else None
    prepared = Prepared(sweep, data, hypermodel, values, article_defaults, params, int(values["epochs"]), folds,
                        searched=searched, data_here=data_here, left_out=impossible)
    runs, epochs = sweep_counts(sweep, prepared.epochs, sweep.folds or 1, prepared.planned_trials)
    n_train, n_val = ((folds.n - folds.n // folds.k, folds.n // folds.k) if folds is not None
                      else (len(data.y_train), len(data.y_val)))
    prepared.cost = Cost(runs, epochs, steps, n_train if data_here else None, n_val if data_here else None)
    return prepared


def stand_in_data(sweep: Sweep) -> ImageData:
    """Blank images in the sweep's shape, two classes: enough to build the model and time a batch."""
    channels = 1 if getattr(sweep.data, "color_mode", "rgb") == "grayscale" else 3
    x = np.zeros((4, sweep.image_size, sweep.image_size, channels), dtype=np.uint8)
    y = np.array([0, 1, 0, 1], dtype=np.int32)
    return ImageData(x, y, x[:2], y[:2], ["class 0", "class 1"], f"{sweep.data.describe()}")


def batch_sizes(sweep: Sweep, values: dict) -> list[int]:
    """The batch sizes to time: each the sweep lists (the cost of an epoch depends on it most), or the first trial's."""
    listed = sweep.space.get("batch_size")
    if isinstance(listed, (list, tuple)) and all(isinstance(b, int) for b in listed):
        return sorted(set(listed))[:4]
    return [int(values.get("batch_size") or 32)]


def first_batches(model: keras.Model, hypermodel: ArticleHyperModel, data: ImageData, sizes: list[int],
                  label_mode: str, timing: bool) -> tuple[StepTime, ...]:
    """One batch of fit and evaluate on the first configuration (search.training.step_time):
    always for your own model, whose loss may not fit the labels; for an article model (whose
    loss follows label_mode) only to time the machine for the estimate (`timing`), at each batch size."""
    if not timing and not is_own(hypermodel):
        return ()
    arrays = training_arrays(data, label_mode)
    name = getattr(hypermodel, "model_name", type(hypermodel).__name__)
    steps = []
    for size in sizes if timing else sizes[:1]:
        try:
            steps.append(dry_run(model, arrays.x, arrays.y, size, steps=3 if timing else 0, name=name))
        except SweepError:
            raise
        except Exception as exc:  # not a mismatch we can explain: the runs will say it, one by one
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            warnings.warn(f"one batch of {name}'s first configuration at batch size {size} failed before the "
                          f"sweep ({type(exc).__name__}: {first[:200]}); the sweep goes on and records such runs "
                          "as failed")
            return ()
    return tuple(steps) if timing else ()


def schedule_own_claims(sweep: Sweep, hypermodel: OwnHyperModel) -> Sweep:
    """The claims' contrasts, for your own model: only on knobs it declares.

    A claim about the article's knobs (pooling, depth, learning rate) cannot
    be tested on a model that has none of them; it is left out of the space
    and its verdict reads "not tested: needs ...". batch-size can be tested,
    since the engine's fit declares `batch_size` for every model.
    """
    if not sweep.claims:
        return sweep
    probe = keras_tuner.HyperParameters()
    with device.precision(sweep.precision):
        hypermodel.build(probe)
    keras.backend.clear_session()
    declared = set(probe.values)
    stand_in = replace(sweep, hypermodel=type(hypermodel))
    scheduled = schedule_claims(stand_in).space
    space = dict(sweep.space)
    space.update({k: v for k, v in scheduled.items() if k in declared})
    return replace(sweep, space=space)


def check_objective(sweep: Sweep, model: keras.Model) -> None:
    """The objective must be something each epoch logs, known before any training.

    A misspelt objective ("val_acc") would otherwise train the whole sweep
    and then find no value to score any run by.
    """
    logged = logged_metrics(model)
    for label, name in (("objective", sweep.objective),
                        ("early_stopping monitor", sweep.early_stopping.monitor if sweep.early_stopping else None)):
        if name is None or name in logged:
            continue
        close = difflib.get_close_matches(name, logged, n=1)
        raise SweepError(f"unknown {label} {name!r}; " + (f"did you mean {close[0]!r}? " if close else "")
                         + f"each epoch logs {', '.join(logged)}")


def logged_metrics(model: keras.Model) -> list[str]:
    """The names `fit` logs each epoch for this compiled model: loss, its metrics, and their val_ twins."""
    names = ["loss"]
    config = model.get_compile_config() or {}
    metrics = config.get("metrics") or []
    if isinstance(metrics, dict):  # per output: {output: [metrics]}
        metrics = [m for ms in metrics.values() for m in (ms if isinstance(ms, list) else [ms])]
    for metric in metrics if isinstance(metrics, list) else [metrics]:
        name = _metric_name(metric)
        if name and name not in names:
            names.append(name)
    return names + [f"val_{n}" for n in names]


def _metric_name(metric) -> str:
    if isinstance(metric, str):
        return {"acc": "accuracy"}.get(metric, metric)
    if isinstance(metric, dict):
        inner = metric.get("config") or {}
        return str(inner.get("name") or metric.get("class_name") or "")
    return str(getattr(metric, "name", "") or "")


def describe(prepared: Prepared) -> str:
    s, d = prepared.sweep, prepared.data
    planned = prepared.planned_trials
    lines = [
        f"sweep      {s.name}" + (f": {s.description}" if s.description else ""),
        (f"data       {d.source}: {d.num_classes} classes, {len(d.y_train)} training / {len(d.y_val)} validation "
         f"images at {d.input_shape[0]}x{d.input_shape[1]}x{d.input_shape[2]}, "
         f"{format_bytes(d.x_train.nbytes + d.x_val.nbytes)} in memory (held once for every run)"
         if prepared.data_here else
         f"data       {d.source}: not on this machine; described from the sweep file, the model built for "
         f"2 classes at {d.input_shape[0]}x{d.input_shape[1]}x{d.input_shape[2]}"),
        *([f"left out   {len(prepared.left_out)} of the grid's {s.planned_trials()} configurations, which image size "
           f"{s.image_size} cannot hold (each named in a warning above); the claims pair only what is trained"]
          if prepared.left_out else []),
        *([f"folds      {prepared.folds.describe()}: {prepared.folds.k}x the runs and epochs of the fixed split "
           f"({planned * prepared.folds.k if planned else '?'} runs per seed instead of {planned or '?'})"]
          if prepared.folds is not None else []),
        f"model      {model_label(prepared.hypermodel)}, "
        f"{prepared.params:,} parameters with default hyperparameters",
        f"tuner      {s.tuner}, objective {s.objective}, "
        f"{planned if planned is not None else 'hyperband-scheduled'} trials x {describe_plan(s.seeds, s.claims)}"
        + (f" x {prepared.folds.k} folds" if prepared.folds is not None else "") + ", "
        f"up to {prepared.epochs} epoch{'' if prepared.epochs == 1 else 's'}"
        + (f", early stopping on {s.early_stopping.monitor} (min_delta {s.early_stopping.min_delta}, patience "
           f"{s.early_stopping.patience}; early_stopping=None turns it off)" if s.early_stopping and is_own(prepared.hypermodel)
           else f", early stopping on {s.early_stopping.monitor} (patience {s.early_stopping.patience})"
           if s.early_stopping else ", no early stopping")
        + (f", median stopping from epoch {s.median_stopping.after_epochs}" if s.median_stopping else ""),
        f"backend    {device.backend()} on {device.describe_device()}",
        *([f"seeds      {sweep_choice(s, prepared.hypermodel).line()}"] if first_round(s.seeds).seeds > 1 else []),
        *(prepared.cost.lines() if prepared.cost is not None else []),
        *_resolution_lines(prepared),
        "hyperparameters:" + (" (searched: your model's own ranges, as Keras Tuner searches them; space narrows or "
                              "fixes them)" if prepared.searched else ""),
        *describe_space(s, prepared.values, prepared.searched),
    ]
    return "\n".join(lines)


def _resolution_lines(prepared: Prepared) -> list[str]:
    """The header's word on claims the split cannot measure (`search.sweep.decidable`), with the data here."""
    if not prepared.data_here:
        return []
    d, folds = prepared.data, prepared.folds
    n_all = len(d.y_train) + len(d.y_val)
    line = resolution_line(tuple(prepared.sweep.claims), folds.n if folds else len(d.y_val), n_all,
                           folds.k if folds else None, prepared.planned_trials)
    return [line] if line else []


def model_label(hypermodel: ArticleHyperModel) -> str:
    """'DigitsCNN (article demo)' or 'build_model (your own)'."""
    if is_own(hypermodel):
        return f"{hypermodel.model_name} (your own)"
    return f"{type(hypermodel).__name__} (article {hypermodel.article})"


def fingerprint(sweep: Sweep, searched: dict[str, str] | None = None) -> dict:
    """`searched`: your own model's ranges the sweep searches (Prepared.searched): editing one in the
    build is another search space. Absent for article models and in older run directories."""
    space = {k: (asdict(v) if isinstance(v, Range) else v) for k, v in sweep.space.items()}
    return {
        **({"build_ranges": dict(searched)} if searched else {}),
        "hypermodel": model_name(sweep.hypermodel),
        "space": json.loads(json.dumps(space, default=str)),
        "tuner": sweep.tuner,
        "objective": sweep.objective,
        "image_size": sweep.image_size,
        "epochs": sweep.epochs,
        "data": repr(sweep.data),
        "early_stopping": repr(sweep.early_stopping),
        "median_stopping": repr(sweep.median_stopping),
        "precision": sweep.precision,
        "seeds": seed_plan(sweep.seeds).to_json(),  # the seed plan fixes the claims' looks: a resume must keep it
        "resize": sweep.resize,  # crop/pad change every image; absent in older run directories, which still resume
        "folds": sweep.folds,  # another K is another partition of every seed
    }


def _check_resumable(records: RunDirectory, sweep: Sweep, searched: dict[str, str] | None = None) -> None:
    if not has_manifest(records.root):
        return
    old = read_manifest(records.root).fingerprint
    new = fingerprint(sweep, searched)
    changed = [k for k in FINGERPRINT_KEYS if k in old and old[k] != new.get(k)]
    if changed:
        raise SweepError(
            f"run directory {records.root} holds sweep {sweep.name!r} with other settings "
            f"(changed: {', '.join(changed)}); pass --out NEW_DIR or delete the directory to start over"
        )


def sweep_manifest(prepared: Prepared, sweep_file: str, started: str, status: str,
                   log: RoundLog | None = None, threads: int | None = None) -> Manifest:
    """The sweep's sweep.json: what runs, on what, and its rounds so far."""
    s, d = prepared.sweep, prepared.data
    log = log or RoundLog([first_round(s.seeds)])
    folds = prepared.folds
    manifest = Manifest(
        name=s.name,
        description=s.description,
        sweep_file=sweep_file,
        status=status,
        started=started,
        updated=manifest_now(),
        data=DataInfo(
            source=d.source,
            description=s.data.describe(),
            classes=tuple(d.class_names),
            # With folds every image is validated once per configuration and
            # seed: the claims' resolution and chance rate are over all of them.
            class_counts=(folds.pool if folds else d).class_counts(),
            n_train=int(folds.n - folds.n // folds.k) if folds else int(len(d.y_train)),
            n_val=int(folds.n if folds else len(d.y_val)),
            split={"n_train": int(len(d.y_train)), "n_val": int(len(d.y_val))} if folds else None,
            image_size=s.image_size,
            resize=s.resize,
            input_shape=tuple(d.input_shape),
        ),
        model=ModelInfo(model_name(prepared.hypermodel),
                        prepared.hypermodel.article, prepared.params),
        space=tuple(describe_space(s, prepared.values)),
        defaults=dict(prepared.values),
        article_defaults=dict(prepared.article_defaults),
        tuned=tuple(k for k, v in s.space.items()
                    if isinstance(v, Range) or (isinstance(v, (list, tuple)) and len(v) > 1)),
        tuner=s.tuner,
        objective=s.objective,
        max_trials=s.max_trials,
        planned_trials=prepared.planned_trials,
        left_out=tuple(item.values for item in prepared.left_out),
        seeds=seed_plan(s.seeds),
        folds=folds.info() if folds else None,
        epochs=prepared.epochs,
        early_stopping=asdict(s.early_stopping) if s.early_stopping else None,
        median_stopping=asdict(s.median_stopping) if s.median_stopping else None,
        precision=s.precision,
        claims=tuple(s.claims),
        claim_min_pairs=s.claim_min_pairs,
        backend=device.backend(),
        device=device.describe_device(),
        threads=threads,
        keras=keras.__version__,
        keras_tuner=keras_tuner.__version__,
        fingerprint=fingerprint(s, prepared.searched),
    )
    return log.into(manifest)


def train_sweep(prepared: Prepared, out: Path, sweep_file: str = "", quiet: bool = False,
                parallel: "Parallel | None" = None, options: RunOptions | None = None) -> SweepResult:
    """Train the sweep in this process, or as the chief of `parallel` workers; its records are the result.

    Judging and the report come after, from the records (search.study,
    which both front ends call); `search.run_sweep` is the entry for users.
    """
    records = RunDirectory(out)
    records.prepare()
    with RunLock(records.root):
        return _run_locked(prepared, records, sweep_file, quiet, parallel, options or RunOptions())


@dataclass
class Parallel:
    """How a chief shares out trials: `workers` local processes (0: only
    remote ones) started with `worker_args`, listening on host:port."""

    workers: int
    worker_args: list[str]
    host: str = "127.0.0.1"
    port: int = 0
    remote: bool = False  # workers on other machines may join (--chief)


def _run_locked(prepared: Prepared, records: RunDirectory, sweep_file: str, quiet: bool,
                parallel: Parallel | None, options: RunOptions) -> SweepResult:
    sweep = prepared.sweep
    _check_resumable(records, sweep, prepared.searched)
    records.remove_temp_files()
    damaged = quarantine_damaged(records)  # moved aside: their runs train again below
    retried = set_aside_failed(records, every=options.retry_failed)  # the machine's failures, or every one
    started = (read_manifest(records.root).started if has_manifest(records.root) else "") or manifest_now()
    log = RoundLog([first_round(sweep.seeds)])
    threads = thread_plan.recorded(records.root) or thread_plan.for_new_sweep(parallel.workers if parallel else 0)
    if parallel is None:  # this process trains the runs
        thread_plan.check(records.root, threads)

    def save_manifest(status: str) -> None:
        write_manifest(records.root, sweep_manifest(prepared, sweep_file, started, status, log, threads))

    save_manifest("running")
    device.allow_gpu_memory_growth()

    progress = Progress(None, sweep.objective, objective_mode(sweep.objective), quiet=quiet,
                        parallel=max(1, parallel.workers) if parallel else 1)
    for message in damaged:  # shown even with --quiet: a warning is never progress
        print(f"warning: {message}", file=sys.stderr, flush=True)
    for message in retried:
        progress.say(f"retrying: {message}")
    from search.data.datacheck import check_for_sweep

    check_for_sweep(prepared.data, sweep.image_size, sweep.resize, records.root, progress.say,
                    prepared.folds.k if prepared.folds else None)
    if options.tensorboard:
        from search.sweep import tensorboard_log
        tensorboard_log.write_experiment(records.root, list(prepared.values), sweep.objective)
    rounds = SeedRounds(prepared, records, progress, log, save_manifest, options)
    try:
        lost = _search(rounds, parallel, records, progress)
    except BaseException as exc:
        # Keep the sweep's own error (a full disk, say) the one the user sees.
        with contextlib.suppress(SweepError):
            records.write_summary()
        with contextlib.suppress(SweepError):
            save_manifest("interrupted")  # Ctrl-C, SIGTERM, a full disk: finished runs are kept, a rerun resumes
        raise
    records.write_summary()
    if lost:
        save_manifest("interrupted")
        raise SweepError(f"{lost}; finished runs are saved: rerun the same command to resume", exit_code=1)
    save_manifest("finished")
    return SweepResult(records.root, records.read_runs(), objective=sweep.objective, prepared=prepared)


@dataclass
class SeedRounds:
    """The rounds of seeds of one sweep run (one round for a fixed seed count).

    Each round is a fresh grid walk in its own Keras Tuner project (`tuner/`
    for round 1, `tuner/round_<n>/` after it): the walk hands out the same
    configurations under the same trial ids, so a trial of round n finds its
    earlier seeds on disk and trains only the round's new ones, and each
    round's oracle keeps its own state for a resume. Whether a round follows
    is decided from the records on disk alone (`search.sweep.rounds`), so a rerun
    re-derives the same rounds.
    """

    prepared: Prepared
    records: RunDirectory
    progress: Progress
    log: RoundLog
    save_manifest: Callable[[str], None]
    options: RunOptions = RunOptions()

    @property
    def current(self) -> Round:
        return self.log.rounds[-1]

    def tuner(self) -> SweepTuner:
        """A tuner with a fresh (or, on resume, reloaded) grid oracle for the current round."""
        sweep, rnd = self.prepared.sweep, self.current
        # A fresh copy of what is searched: for an article model only the sweep's own
        # choices (the names its default build declared stay at their defaults).
        oracle = make_oracle(sweep, search_space(sweep, self.prepared.hypermodel), self.prepared.epochs,
                             tune_new_entries=is_own(self.prepared.hypermodel))
        project = "tuner" if rnd.number == 1 else f"tuner/round_{rnd.number}"
        tuner = SweepTuner(oracle, self.prepared.hypermodel, sweep, self.prepared.data, self.records, self.progress,
                           project_name=project, options=self.options, folds=self.prepared.folds,
                           left_out=self.prepared.left_out)
        tuner.current_round = lambda: rnd
        again = tuner.requeue_incomplete()
        if again:
            self.progress.say(f"trial{'s' if len(again) > 1 else ''} {', '.join(again)}: runs missing on disk, "
                              f"trained again")
        return tuner

    def announce(self, done_runs: int = 0) -> None:
        """Progress counts restart with each round; a sweep with Seeds names it."""
        sweep, rnd = self.prepared.sweep, self.current
        planned = self.prepared.planned_trials
        rounds = isinstance(sweep.seeds, Seeds)
        expected = rnd.runs(planned, self.prepared.runs_per_seed) if planned or rnd.trials else None
        self.progress.start_round(f"round {rnd.number}" if rounds else "", expected or None, done_runs)
        if rounds:
            self.progress.say(rnd.label())

    def runs_on_disk(self) -> int:
        """Finished runs of the current round already on disk (a resume)."""
        rnd = self.current
        return sum(1 for r in self.records.read_runs()
                   if r.status in ("completed", "failed") and rnd.first_seed <= r.seed < rnd.seeds
                   and rnd.trains(r.trial_id))

    def advance(self) -> bool:
        """The current round is on disk: add the next one if a requested claim is still undecided."""
        stop.check()  # a safe point: a stop asked during the round's last run ends the sweep here
        sweep, done = self.prepared.sweep, self.current
        self.log.finished = len(self.log.rounds)
        undecided: list[str] = []
        trials: tuple[str, ...] | None = None
        if isinstance(sweep.seeds, Seeds) and sweep.claims:
            undecided, trials = open_after(done, self.records.read_runs(), read_manifest(self.records.root))
        following = next_round(sweep.seeds, done, undecided, trials)
        if following is None:
            self.log.stop = stop_reason(sweep.seeds, done, undecided, sweep.claims)
            self.save_manifest("running")
            if isinstance(sweep.seeds, Seeds):
                self.progress.say(f"seeds: {self.log.stop}")
            return False
        self.log.rounds.append(following)
        self.save_manifest("running")
        return True


def _search(rounds: SeedRounds, parallel: Parallel | None, records: RunDirectory, progress: Progress) -> str:
    """Run Keras Tuner's search, round after round, here or through workers; "" if every trial ran."""
    if parallel is not None:
        return _serve_workers(rounds, parallel, records, progress)
    while True:
        tuner = rounds.tuner()
        rounds.announce()
        try:
            tuner.search(verbose=0)
        except RuntimeError:
            # Keras Tuner ends a search that hit its failure limit with a bare
            # RuntimeError; whether that is what happened is read from the
            # oracle's own state, not from the message's wording.
            limit = tuner.oracle.max_consecutive_failed_trials
            if not limit or longest_failure_streak(tuner.oracle) < limit:
                raise
            errors = Counter(r.error for r in records.read_runs() if r.status == "failed")
            raise SweepError(
                f"stopped after {limit} failed trials in a row; errors: "
                + "; ".join(f"{e} (x{n})" for e, n in errors.most_common(3))
            ) from None
        if not rounds.advance():
            return ""


def longest_failure_streak(oracle) -> int:
    """The most trials in a row (in the order they ended) that failed: Keras
    Tuner stops the search when this reaches `max_consecutive_failed_trials`."""
    from keras_tuner.engine.trial import TrialStatus

    longest = run = 0
    for trial_id in oracle.end_order:
        run = run + 1 if oracle.trials[trial_id].status == TrialStatus.FAILED else 0
        longest = max(longest, run)
    return longest


def _serve_workers(rounds: SeedRounds, parallel: Parallel, records: RunDirectory, progress: Progress) -> str:
    """Serve the oracle of each round to the workers until the last round is over.

    Returns "" when every trial ran, else why the sweep stopped short. A
    local worker that dies has its trial requeued and is replaced (at most
    `workers` times in all), so one killed process costs one rerun trial.
    Between rounds the workers are told to wait (`RoundOracle`), not to
    stop; each reads the new round's seeds from sweep.json.
    """
    from search.sweep import distributed
    tuner = rounds.tuner()
    tuner.oracle.verbose = 0
    tuner.save()
    served = distributed.RoundOracle(tuner.oracle)
    server = distributed.serve_oracle(served, parallel.host, parallel.port)
    watcher = distributed.RecordWatcher(records)
    watcher.new_finished()  # runs already on disk (resume) are not news
    rounds.announce(rounds.runs_on_disk())
    local = distributed.LocalWorkers([*parallel.worker_args, "--out", str(records.root)], server.address,
                                     parallel.workers, thread_plan.recorded(records.root), gpus=device.gpu_count())
    local.start()
    if parallel.workers:
        progress.say(f"chief: {parallel.workers} workers on {server.address}")
    if parallel.remote:
        progress.say(f"chief: waiting for workers on {server.address} "
                     f"(start them with --worker HOST:{server.address.port})")

    def show_finished_runs() -> None:
        for record in watcher.new_finished():
            progress.run_done(record.trial_id, record.seed, rounds.current.seeds, record.status, record.score,
                              record.wall_time_s, worker=record.worker, fold=record.fold)

    lost = ""
    try:
        while True:
            time.sleep(0.5)
            show_finished_runs()
            for dead in local.newly_dead():
                trial = distributed.requeue_trial_of(tuner.oracle, dead.worker_id)
                what = f"worker {dead.worker_id} {distributed.describe_exit(dead.process.returncode)}"
                if local.restarts_left > 0:
                    local.restarts_left -= 1
                    replacement = local.spawn()
                    progress.say(f"{what}; trial {trial or '-'} goes back to the queue, "
                                 f"worker {replacement.worker_id} takes its place")
                else:
                    progress.say(f"{what}; trial {trial or '-'} goes back to the queue, no replacement "
                                 f"(already replaced {parallel.workers} workers)")
            if served.round_over():
                show_finished_runs()
                tuner.save()
                if rounds.advance():
                    tuner = rounds.tuner()
                    tuner.oracle.verbose = 0
                    tuner.save()
                    rounds.announce(rounds.runs_on_disk())
                    served.switch(tuner.oracle)
                else:
                    served.finish()
            if parallel.remote:  # Keras Tuner's rule: the oracle is done and no worker holds a trial
                if server.stop_triggered and distributed.search_finished(served):
                    break
            elif not local.alive():
                break
        show_finished_runs()
        unfinished = ([t.trial_id for t in tuner.oracle.ongoing_trials.values()]
                      + kt_private.retry_queue(tuner.oracle))
        if unfinished:
            lost = f"trials {', '.join(sorted(set(unfinished)))} did not finish"
        elif not served.finished:
            lost = f"{rounds.current.label().split(':')[0]} did not finish (no worker left)"
    finally:
        local.stop()
        server.stop()
        tuner.save()
    return lost


def run_worker(prepared: Prepared, out: Path, address: str, worker_id: str | None, quiet: bool,
               options: RunOptions | None = None) -> int:
    """Pull trials from the chief at `address` until it says the search is over.

    The worker writes its records into the chief's run directory, which must
    be this same folder on every machine (a shared file system): the records
    are the sweep's only results, so nothing needs sending back.
    """
    import os
    import socket

    import grpc

    from search.sweep import distributed
    where = distributed.Address.parse(address, "--worker")
    worker_id = worker_id or os.environ.get("KERASTUNER_TUNER_ID") or f"{socket.gethostname()}-{os.getpid()}"
    os.environ.update(distributed.worker_environment(where, worker_id))
    distributed.exit_with_chief()
    records = RunDirectory(out)
    records.prepare()
    device.allow_gpu_memory_growth()
    sweep = prepared.sweep
    progress = Progress(None, sweep.objective, objective_mode(sweep.objective), quiet=quiet)
    oracle = make_oracle(sweep, search_space(sweep, prepared.hypermodel), prepared.epochs,
                         tune_new_entries=is_own(prepared.hypermodel))
    tuner = SweepTuner(oracle, prepared.hypermodel, sweep, prepared.data, records, progress, worker=worker_id,
                       project_name=f"tuner/workers/{worker_id}", options=options, folds=prepared.folds,
                       left_out=prepared.left_out)
    # The chief writes each round into sweep.json before it serves that round's trials.
    tuner.current_round = lambda: current_round(read_manifest(records.root), sweep.seeds)
    distributed.wait_for_chief(where)
    if not has_manifest(records.root):
        raise SweepError(f"{records.root} has no sweep.json from the chief at {where}: every worker must write "
                         "into the chief's run directory (a shared folder), passed with --out")
    _check_resumable(records, sweep, prepared.searched)
    thread_plan.check(records.root, thread_plan.recorded(records.root))
    tuner.oracle = distributed.PatientClient(tuner.oracle)
    try:
        tuner.search(verbose=0)
    except grpc.RpcError as exc:
        raise SweepError(f"lost the chief at {where} ({exc.code().name}); finished runs are saved", exit_code=1) from None
    return sum(1 for r in records.read_runs() if r.worker == worker_id)
