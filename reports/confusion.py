"""Confusion matrix of the best run on the validation set.

Read from the run's `seed_<s>_predictions.csv` (validation predictions made
with its best weights), so the report needs no model and no training. With
folds the seed's K runs together validated every image once: their files
(`seed_<s>_fold_<f>_predictions.csv`) are read as one. Which
classes get confused tells more than one accuracy number, especially for
imbalanced folders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reports.runs import SweepRuns
from rundir.records import RunDirectory


@dataclass
class ConfusionInfo:
    trial_id: str
    seed: int
    classes: list[str]
    matrix: list[list[int]]  # rows: true class, columns: predicted class
    n: int
    accuracy: float | None
    note: str = ""
    per_class_recall: list[float | None] = field(default_factory=list)

    @property
    def max_count(self) -> int:
        return max((max(row) for row in self.matrix if row), default=0)


def predictions_paths(runs: SweepRuns, trial_id: str, seed: int) -> list[Path]:
    """The run's predictions file, or with folds every fold's of that seed that is on disk (the records
    say which folds ran; rundir names their files)."""
    directory = RunDirectory(runs.run_dir)
    folds = sorted({r.fold for r in runs.records
                    if str(r.trial_id) == str(trial_id) and r.seed == seed and r.fold is not None})
    if not folds:
        return [directory.predictions_path(trial_id, seed)]
    return [p for p in (directory.predictions_path(trial_id, seed, f) for f in folds) if p.exists()]


def read_predictions(runs: SweepRuns, trial_id: str, seed: int) -> pd.DataFrame | None:
    """The predictions table with `true`/`predicted` as class indices, or None if absent."""
    paths = predictions_paths(runs, trial_id, seed)
    try:
        frame = pd.concat([pd.read_csv(p, dtype={"path": str}, keep_default_na=False) for p in paths],
                          ignore_index=True)
    except (OSError, ValueError, pd.errors.ParserError):
        return None
    if not {"true", "predicted"} <= set(frame.columns):
        return None
    if "path" not in frame.columns:
        frame["path"] = ""
    return frame


def class_names(runs: SweepRuns) -> list[str]:
    return [str(c) for c in runs.manifest.data.classes]


def to_index(values: pd.Series, classes: list[str]) -> np.ndarray:
    """Predictions store class indices; accept class names too, -1 when neither."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.astype(int).to_numpy()
    lookup = {name: i for i, name in enumerate(classes)}
    names = values.astype(str).map(lookup)
    return numeric.where(numeric.notna(), names).fillna(-1).astype(int).to_numpy()


def confusion_info(runs: SweepRuns, best: tuple[str, int] | None) -> ConfusionInfo | None:
    """Count (true, predicted) pairs for the best run; None when there is no best run."""
    if best is None:
        return None
    trial_id, seed = best
    classes = class_names(runs)
    frame = read_predictions(runs, trial_id, seed)
    if frame is None or frame.empty:
        return ConfusionInfo(trial_id, seed, classes, [], 0, None,
                             note=f"No validation predictions on disk for trial {trial_id} seed {seed}.")
    true, predicted = to_index(frame["true"], classes), to_index(frame["predicted"], classes)
    size = max(len(classes), int(true.max()) + 1, int(predicted.max()) + 1)
    classes = classes + [str(i) for i in range(len(classes), size)]
    valid = (true >= 0) & (predicted >= 0)
    matrix = np.zeros((size, size), dtype=int)
    np.add.at(matrix, (true[valid], predicted[valid]), 1)
    n = int(valid.sum())
    correct = int(np.trace(matrix))
    totals = matrix.sum(axis=1)
    recall = [float(matrix[i, i] / totals[i]) if totals[i] else None for i in range(size)]
    return ConfusionInfo(trial_id, seed, classes, matrix.tolist(), n, correct / n if n else None,
                         per_class_recall=recall)
