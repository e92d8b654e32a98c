"""Run a sweep end to end: data -> HyperModel -> Keras Tuner -> run directory.

`prepare` does everything that can fail on bad input (data folder, unknown
hyperparameters, image size too small for the model) before any training,
so mistakes surface in seconds as one-line errors, not an hour in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import keras_tuner

from claims.schedule import schedule_claims
from search import device
from search.data import ImageData
from search.errors import SweepError
from search.hypermodels import ArticleHyperModel
from search.lock import RunLock
from search.progress import Progress
from search.records import RunDirectory, RunRecord
from search.space import declare_space, default_model, describe_space
from search.sweep import Range, Sweep
from search.oracles import make_oracle, objective_mode
from search.tuner import SweepTuner

# Settings that define what a run directory's records mean; rerunning with a
# different value would mix incomparable trials, so it is refused.
FINGERPRINT_KEYS = ("hypermodel", "space", "tuner", "objective", "image_size", "epochs", "data", "early_stopping")


@dataclass
class Prepared:
    sweep: Sweep
    data: ImageData
    hypermodel: ArticleHyperModel
    values: dict  # every hyperparameter's value in the sweep's first trial
    article_defaults: dict  # the article model's own values
    params: int
    epochs: int


@dataclass
class SweepResult:
    run_dir: Path
    records: list[RunRecord]
    report: Path | None = None  # None with --no-report

    @property
    def all_failed(self) -> bool:
        return bool(self.records) and all(r.status == "failed" for r in self.records)


def prepare(sweep: Sweep) -> Prepared:
    sweep = schedule_claims(sweep)
    data = sweep.data.load(sweep.image_size)
    hypermodel = sweep.hypermodel(data.input_shape, data.num_classes, label_mode=sweep.data.label_mode,
                                  **sweep.hypermodel_args)
    model, values, article_defaults = default_model(hypermodel, sweep)
    params = int(model.count_params())
    del model
    keras.backend.clear_session()
    return Prepared(sweep, data, hypermodel, values, article_defaults, params, int(values["epochs"]))


def describe(prepared: Prepared) -> str:
    s, d = prepared.sweep, prepared.data
    planned = s.planned_trials()
    lines = [
        f"sweep      {s.name}" + (f": {s.description}" if s.description else ""),
        f"data       {d.source}: {d.num_classes} classes, {len(d.y_train)} training / {len(d.y_val)} validation images "
        f"at {d.input_shape[0]}x{d.input_shape[1]}x{d.input_shape[2]}",
        f"model      {type(prepared.hypermodel).__name__} (article {prepared.hypermodel.article}), "
        f"{prepared.params:,} parameters with default hyperparameters",
        f"tuner      {s.tuner}, objective {s.objective}, "
        f"{planned if planned is not None else 'hyperband-scheduled'} trials x {s.seeds} seed(s), "
        f"up to {prepared.epochs} epochs"
        + (f", early stopping on {s.early_stopping.monitor} (patience {s.early_stopping.patience})"
           if s.early_stopping else ""),
        f"backend    {device.backend()} on {device.describe_device()}",
        "hyperparameters:",
        *describe_space(s, prepared.values),
    ]
    return "\n".join(lines)


def fingerprint(sweep: Sweep) -> dict:
    space = {k: (asdict(v) if isinstance(v, Range) else v) for k, v in sweep.space.items()}
    return {
        "hypermodel": sweep.hypermodel.__name__,
        "space": json.loads(json.dumps(space, default=str)),
        "tuner": sweep.tuner,
        "objective": sweep.objective,
        "image_size": sweep.image_size,
        "epochs": sweep.epochs,
        "data": repr(sweep.data),
        "early_stopping": repr(sweep.early_stopping),
    }


def _check_resumable(records: RunDirectory, sweep: Sweep) -> None:
    if not (records.root / "sweep.json").exists():
        return
    old = records.read_json("sweep.json").get("fingerprint", {})
    new = fingerprint(sweep)
    changed = [k for k in FINGERPRINT_KEYS if k in old and old[k] != new[k]]
    if changed:
        raise SweepError(
            f"run directory {records.root} holds sweep {sweep.name!r} with other settings "
            f"(changed: {', '.join(changed)}); pass --out NEW_DIR or delete the directory to start over"
        )


def sweep_metadata(prepared: Prepared, sweep_file: str, started: str, status: str) -> dict:
    s, d = prepared.sweep, prepared.data
    return {
        "name": s.name,
        "description": s.description,
        "sweep_file": sweep_file,
        "status": status,
        "started": started,
        "updated": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "data": {
            "source": d.source,
            "description": s.data.describe(),
            "classes": d.class_names,
            "class_counts": d.class_counts(),
            "n_train": int(len(d.y_train)),
            "n_val": int(len(d.y_val)),
            "image_size": s.image_size,
            "input_shape": list(d.input_shape),
        },
        "model": {
            "name": type(prepared.hypermodel).__name__,
            "article": prepared.hypermodel.article,
            "params": prepared.params,
        },
        "space": describe_space(s, prepared.values),
        "defaults": dict(prepared.values),
        "article_defaults": dict(prepared.article_defaults),
        "tuned": [k for k, v in s.space.items() if isinstance(v, Range) or (isinstance(v, (list, tuple)) and len(v) > 1)],
        "tuner": s.tuner,
        "objective": s.objective,
        "objective_mode": objective_mode(s.objective),
        "max_trials": s.max_trials,
        "planned_trials": s.planned_trials(),
        "seeds": s.seeds,
        "epochs": prepared.epochs,
        "early_stopping": asdict(s.early_stopping) if s.early_stopping else None,
        "claims": list(s.claims),
        "claim_min_pairs": s.claim_min_pairs,
        "backend": device.backend(),
        "device": device.describe_device(),
        "keras": keras.__version__,
        "keras_tuner": keras_tuner.__version__,
        "fingerprint": fingerprint(s),
    }


def run_sweep(prepared: Prepared, out: Path, sweep_file: str = "", quiet: bool = False,
              write_report: bool = True) -> SweepResult:
    records = RunDirectory(out)
    records.prepare()
    with RunLock(records.root):
        return _run_locked(prepared, records, sweep_file, quiet, write_report)


def _run_locked(prepared: Prepared, records: RunDirectory, sweep_file: str, quiet: bool,
                write_report: bool) -> SweepResult:
    sweep = prepared.sweep
    _check_resumable(records, sweep)
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    if (records.root / "sweep.json").exists():
        started = records.read_json("sweep.json").get("started", started)
    records.write_json("sweep.json", sweep_metadata(prepared, sweep_file, started, "running"))
    device.allow_gpu_memory_growth()

    planned = sweep.planned_trials()
    progress = Progress(planned * sweep.seeds if planned else None, sweep.objective,
                        objective_mode(sweep.objective), quiet=quiet)
    # A fresh copy holding only the sweep's own choices: the names that the
    # default build declared must stay fixed at their defaults.
    oracle = make_oracle(sweep, declare_space(sweep), prepared.epochs)
    tuner = SweepTuner(oracle, prepared.hypermodel, sweep, prepared.data, records, progress)
    try:
        tuner.search(verbose=0)
    except RuntimeError as exc:
        if "consecutive" not in str(exc).lower():
            raise
        errors = Counter(r.error for r in records.read_runs() if r.status == "failed")
        raise SweepError(
            f"stopped after {sweep.max_consecutive_failures} failed trials in a row; errors: "
            + "; ".join(f"{e} (x{n})" for e, n in errors.most_common(3))
        ) from None
    finally:
        records.write_summary()
    records.write_json("sweep.json", sweep_metadata(prepared, sweep_file, started, "finished"))
    result = SweepResult(records.root, records.read_runs())
    if write_report:
        result.report = build_report(records.root)
    return result


def build_report(run_dir: Path) -> Path:
    """Claim verdicts (claims.csv) and the HTML report, from the records on disk."""
    from reports.html import write_report

    return write_report(run_dir)
