"""The report's header: what ran, on what, and how far along it is.

A reader opening a report first needs to know whether the numbers below are
final. `HeaderInfo` therefore counts completed, failed, in-progress and
missing runs and states plainly when the sweep is still running (or was
stopped without finishing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.runs import SweepRuns
from rundir.durations import between, duration
from rundir.manifest import DataInfo, Manifest
from rundir.records import DAMAGED_DIR, RunDirectory, damaged_files, find_damaged


@dataclass
class ClassCount:
    name: str
    train: int | None
    val: int | None


@dataclass
class HeaderInfo:
    name: str
    description: str
    sweep_file: str
    status: str  # "running" or "finished" as sweep.json says
    running: bool
    started: str
    updated: str
    duration: str  # started -> updated, human readable; "" if unknown
    data_source: str
    classes: list[ClassCount]
    n_train: int | None
    n_val: int | None
    image_size: str
    model_name: str
    model_article: str
    model_params: int | None
    tuner: str
    objective: str
    objective_mode: str
    budget: str  # planned trials x seeds, epochs, early stopping, in words
    backend: str
    device: str
    versions: str
    n_runs: int
    n_completed: int
    n_failed: int
    n_in_progress: int
    n_expected: int | None  # planned_trials * seeds, None when the tuner decides
    n_missing: int | None  # None means "unknown"
    folds: str = ""  # the cross-validation in words; "" on the source's own split
    space: list[str] = field(default_factory=list)
    fixed: list[tuple[str, Any]] = field(default_factory=list)  # hyperparameters equal in every run
    damaged: list[str] = field(default_factory=list)  # damaged files, in words: moved aside, or found now

    @property
    def missing_text(self) -> str:
        return "unknown" if self.n_missing is None else str(self.n_missing)


def header_info(runs: SweepRuns) -> HeaderInfo:
    """Collect the header facts from sweep.json and the counted records."""
    manifest = runs.manifest
    data, model = manifest.data, manifest.model
    counts = runs.frame["status"].value_counts()
    expected = manifest.expected_runs()
    missing = max(expected - len(runs.frame), 0) if expected is not None else None
    return HeaderInfo(
        name=manifest.name or runs.run_dir.name,
        description=manifest.description,
        sweep_file=manifest.sweep_file,
        status=manifest.status,
        running=manifest.status != "finished",
        started=manifest.started,
        updated=manifest.updated,
        duration=_span(manifest.started, manifest.updated),
        data_source=data.source or data.description or "unknown",
        classes=_classes(data),
        n_train=data.n_train,
        n_val=data.n_val,
        image_size=_image_size(data),
        model_name=model.name or "unknown",
        model_article=model.article,
        model_params=model.params,
        tuner=manifest.tuner or "unknown",
        objective=runs.objective,
        objective_mode=runs.mode,
        budget=_budget(manifest),
        backend=manifest.backend or "unknown",
        device=manifest.device or "unknown",
        versions=", ".join(f"{k} {v}" for k, v in (("keras", manifest.keras), ("keras_tuner", manifest.keras_tuner))
                           if v),
        n_runs=len(runs.frame),
        n_completed=int(counts.get("completed", 0)),
        n_failed=int(counts.get("failed", 0)),
        n_in_progress=int(counts.get("running", 0)),
        n_expected=expected,
        n_missing=missing,
        folds=manifest.folds.describe() if manifest.folds else "",
        space=[line.strip() for line in manifest.space],
        fixed=_fixed(runs),
        damaged=_damaged(runs.run_dir),
    )


def _span(started: str, updated: str) -> str:
    """The sweep's time from start to its last update; "" when unknown."""
    seconds = between(started, updated)
    return duration(seconds) if seconds is not None and seconds >= 0 else ""


def _damaged(run_dir: Path) -> list[str]:
    """Files a resume moved into RUN/damaged/ (their runs trained again), and records damaged now."""
    directory = RunDirectory(run_dir)
    out = [f"{DAMAGED_DIR}/{name} (moved aside; its run was trained again on resume)"
           for name in damaged_files(run_dir)]
    out += [f"{path.relative_to(run_dir)}: {why} (the next run of the sweep moves it aside and trains the run again)"
            for path, why in find_damaged(directory)]
    return out


def _classes(data: DataInfo) -> list[ClassCount]:
    names = list(data.classes or data.class_counts)
    return [ClassCount(name, _count(data, name, "train"), _count(data, name, "val")) for name in names]


def _count(data: DataInfo, name: str, side: str) -> int | None:
    value = (data.class_counts.get(name) or {}).get(side)
    return int(value) if value is not None else None


def _image_size(data: DataInfo) -> str:
    shape = data.input_shape
    if shape is not None and len(shape) == 3:
        return f"{shape[0]}x{shape[1]} pixels, {shape[2]} channel{'s' if shape[2] != 1 else ''}"
    return f"{data.image_size}x{data.image_size} pixels" if data.image_size else "unknown"


def _budget(manifest: Manifest) -> str:
    seeds = manifest.seeds_so_far
    planned, plan = manifest.planned_trials, manifest.seeds
    trials = f"{planned} trials" if planned is not None else (
        f"up to {manifest.max_trials} trials" if manifest.max_trials else "trials chosen by the tuner")
    parts = [f"{trials} x {seeds} seed{'s' if seeds != 1 else ''}"]
    if manifest.folds:
        parts[0] += f" x {manifest.folds.k} folds"
    if plan is not None and plan.in_rounds:
        parts[0] += (f" (rounds of seeds, {plan.min} to {plan.max}, while a claim is undecided"
                     + (f"; stopped: {manifest.seed_stop}" if manifest.seed_stop else "") + ")")
    if manifest.epochs:
        parts.append(f"up to {manifest.epochs} epochs per run")
    stop = manifest.early_stopping
    if stop is not None:
        parts.append(f"early stopping on {stop.get('monitor')} (patience {stop.get('patience')}, "
                     f"min delta {stop.get('min_delta')})")
    else:
        parts.append("no early stopping")
    return ", ".join(parts)


def _fixed(runs: SweepRuns) -> list[tuple[str, Any]]:
    """Hyperparameters with one value in every run: shown once, not as a table column."""
    fixed = []
    for name in runs.hp_names:
        if name in runs.tuned:
            continue
        values = runs.frame[runs.hp_column(name)].drop_duplicates()
        if len(values) == 1:
            fixed.append((name, values.iloc[0]))
    if runs.frame.empty:
        fixed = list(runs.manifest.defaults.items())
    return fixed
