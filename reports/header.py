"""The report's header: what ran, on what, and how far along it is.

A reader opening a report first needs to know whether the numbers below are
final. `HeaderInfo` therefore counts completed, failed, in-progress and
missing runs and states plainly when the sweep is still running (or was
stopped without finishing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.runs import SweepRuns
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
    meta = runs.meta
    data = meta.get("data") or {}
    model = meta.get("model") or {}
    counts = runs.frame["status"].value_counts()
    seeds = _seeds(meta)
    planned = _int(meta.get("planned_trials"))
    folds = meta.get("folds") if isinstance(meta.get("folds"), dict) else None
    per_seed = _int(folds.get("k")) or 1 if folds else 1
    expected = _expected(meta, planned, seeds) * per_seed if planned is not None else None
    missing = max(expected - len(runs.frame), 0) if expected is not None else None
    status = str(meta.get("status") or "unknown")
    started, updated = str(meta.get("started") or ""), str(meta.get("updated") or "")
    return HeaderInfo(
        name=str(meta.get("name") or runs.run_dir.name),
        description=str(meta.get("description") or ""),
        sweep_file=str(meta.get("sweep_file") or ""),
        status=status,
        running=status != "finished",
        started=started,
        updated=updated,
        duration=_duration(started, updated),
        data_source=str(data.get("source") or data.get("description") or "unknown"),
        classes=_classes(data),
        n_train=_int(data.get("n_train")),
        n_val=_int(data.get("n_val")),
        image_size=_image_size(data),
        model_name=str(model.get("name") or "unknown"),
        model_article=str(model.get("article") or ""),
        model_params=_int(model.get("params")),
        tuner=str(meta.get("tuner") or "unknown"),
        objective=runs.objective,
        objective_mode=runs.mode,
        budget=_budget(meta, planned, seeds),
        backend=str(meta.get("backend") or "unknown"),
        device=str(meta.get("device") or "unknown"),
        versions=", ".join(f"{k} {meta[k]}" for k in ("keras", "keras_tuner") if meta.get(k)),
        n_runs=len(runs.frame),
        n_completed=int(counts.get("completed", 0)),
        n_failed=int(counts.get("failed", 0)),
        n_in_progress=int(counts.get("running", 0)),
        n_expected=expected,
        n_missing=missing,
        folds=_folds(folds),
        space=[str(line).strip() for line in meta.get("space") or []],
        fixed=_fixed(runs),
        damaged=_damaged(runs.run_dir),
    )


def _damaged(run_dir: Path) -> list[str]:
    """Files a resume moved into RUN/damaged/ (their runs trained again), and records damaged now."""
    directory = RunDirectory(run_dir)
    out = [f"{DAMAGED_DIR}/{name} (moved aside; its run was trained again on resume)"
           for name in damaged_files(run_dir)]
    out += [f"{path.relative_to(run_dir)}: {why} (the next run of the sweep moves it aside and trains the run again)"
            for path, why in find_damaged(directory)]
    return out


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _classes(data: dict[str, Any]) -> list[ClassCount]:
    counts = data.get("class_counts") or {}
    names = [str(c) for c in data.get("classes") or counts.keys()]
    result = []
    for name in names:
        count = counts.get(name) or {}
        result.append(ClassCount(name, _int(count.get("train")), _int(count.get("val"))))
    return result


def _image_size(data: dict[str, Any]) -> str:
    shape = data.get("input_shape")
    if isinstance(shape, list) and len(shape) == 3:
        return f"{shape[0]}x{shape[1]} pixels, {shape[2]} channel{'s' if shape[2] != 1 else ''}"
    size = data.get("image_size")
    return f"{size}x{size} pixels" if size else "unknown"


def _seeds(meta: dict[str, Any]) -> int:
    """Seeds per configuration so far: the fixed count, or with rounds of
    seeds (`Seeds(min, max)`) the count of the latest round."""
    plan = meta.get("seeds")
    if isinstance(plan, dict):
        rounds = meta.get("rounds") or []
        return _int(rounds[-1].get("seeds")) if rounds and isinstance(rounds[-1], dict) else _int(plan.get("min")) or 1
    return _int(plan) or 1


def _expected(meta: dict[str, Any], planned: int, seeds: int) -> int:
    """Runs per fold the rounds so far asked for: a targeted round (its `trials`) trains only some
    configurations, every other round all `planned`."""
    rounds = [r for r in meta.get("rounds") or [] if isinstance(r, dict)]
    if not isinstance(meta.get("seeds"), dict) or not rounds:
        return planned * seeds
    return sum((len(r["trials"]) if isinstance(r.get("trials"), list) else planned)
               * ((_int(r.get("seeds")) or 0) - (_int(r.get("first_seed")) or 0)) for r in rounds)


def _folds(folds: dict[str, Any] | None) -> str:
    if not folds:
        return ""
    return (f"{folds.get('k')}-fold cross-validation over all {folds.get('images')} images, training and validation "
            f"together, with a fresh stratified partition per seed: each configuration and seed validates every "
            f"image once, in {folds.get('k')} runs. {folds.get('duplicate_groups', 0)} group(s) of duplicate images "
            f"({folds.get('images_in_groups', 0)} images) were kept within one fold.")


def _budget(meta: dict[str, Any], planned: int | None, seeds: int) -> str:
    trials = f"{planned} trials" if planned is not None else (
        f"up to {meta['max_trials']} trials" if meta.get("max_trials") else "trials chosen by the tuner")
    parts = [f"{trials} x {seeds} seed{'s' if seeds != 1 else ''}"]
    folds = meta.get("folds")
    if isinstance(folds, dict) and folds.get("k"):
        parts[0] += f" x {folds['k']} folds"
    plan = meta.get("seeds")
    if isinstance(plan, dict):
        parts[0] += (f" (rounds of seeds, {plan.get('min')} to {plan.get('max')}, while a claim is undecided"
                     + (f"; stopped: {meta['seed_stop']}" if meta.get("seed_stop") else "") + ")")
    if meta.get("epochs"):
        parts.append(f"up to {meta['epochs']} epochs per run")
    stop = meta.get("early_stopping")
    if isinstance(stop, dict):
        parts.append(f"early stopping on {stop.get('monitor')} (patience {stop.get('patience')}, "
                     f"min delta {stop.get('min_delta')})")
    else:
        parts.append("no early stopping")
    return ", ".join(parts)


def _duration(started: str, updated: str) -> str:
    try:
        seconds = (dt.datetime.fromisoformat(updated) - dt.datetime.fromisoformat(started)).total_seconds()
    except (ValueError, TypeError):
        return ""
    if seconds < 0:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


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
        fixed = [(k, v) for k, v in (runs.meta.get("defaults") or {}).items()]
    return fixed
