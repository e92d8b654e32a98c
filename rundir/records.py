"""The run directory: every result of a sweep as plain files on disk.

Layout (all readable with pandas or a text editor):

    runs/<sweep>/sweep.json                   what ran: data, model, space, tuner, machine
    runs/<sweep>/trials.csv                   one row per (trial, seed[, fold]), rebuilt after each run
    runs/<sweep>/trials/<id>/seed_<s>.json    one run: status, hyperparameters, scores, error
                                              (seed_<s>_fold_<f>.json with cross-validation folds)
    runs/<sweep>/trials/<id>/seed_<s>_history.csv      per-epoch metrics and learning rate
    runs/<sweep>/trials/<id>/seed_<s>_predictions.csv  validation predictions of the best epoch
    runs/<sweep>/trials/<id>/seed_<s>.checkpoint/      a running run's last checkpoint (search.training.checkpoints)
    runs/<sweep>/tuner/                        Keras Tuner's own oracle state (for resuming)
    runs/<sweep>/damaged/                      files that could not be parsed, moved aside (`quarantine_damaged`)

The report reads only these files, so it can be rebuilt without training.
Every write goes to a temporary file first and is renamed into place, so a
killed sweep never leaves a half-written record that reads as complete.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rundir.errors import SweepError
from rundir.manifest import read_manifest
from rundir.files import (TEMP_SUFFIX, atomic_write_text, clean, permission_hint, read_json, to_csv, write_error,
                          write_json)


HISTORY_COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "lr_epoch_start", "seconds"]
STATUSES = ("running", "completed", "failed")
CHECK_FILE = "data_check.json"  # the data check of search.data.datacheck, read by the report


@dataclass
class RunRecord:
    """One training run: a configuration (trial) with one seed (and, with folds, one fold)."""

    trial_id: str
    seed: int
    status: str  # running, completed or failed
    hyperparameters: dict[str, Any]
    # With Sweep(folds=K): which of the seed's K folds this run validated on
    # (the seed draws the partition, search.data.folds); None on a fixed split.
    fold: int | None = None
    val_images: int | None = None  # how many images it validated on: a fold's weight in its seed's value
    objective: str = "val_accuracy"
    score: float | None = None  # best value of the objective over epochs
    best_val_accuracy: float | None = None
    final_val_accuracy: float | None = None
    best_epoch: int | None = None  # 1-based epoch of the best objective value
    epochs_run: int = 0
    stopped_epoch: int | None = None  # 1-based epoch where early or median stopping fired, else None
    pruned: bool = False  # stopped by median stopping: behind the other runs at stopped_epoch
    final_train_accuracy: float | None = None
    train_val_gap: float | None = None  # train minus val accuracy at the best epoch
    wall_time_s: float = 0.0
    seconds_per_epoch: float | None = None
    params: int | None = None
    error: str = ""  # one line: why the run failed
    # A failed run's cause: "model" (its own training: NaN, a build or fit error) or "machine" (out of memory,
    # TensorFlow's state broken by the process): the next run of the sweep trains a machine's failure again.
    failure: str = ""
    traceback: str = ""
    worker: str = "main"
    fused: int = 1  # how many seeds trained together in this run's program (search.training.fused); 1: on its own
    threads: int | None = None  # the CPU threads its arithmetic had (search.training.threads); None: not recorded
    started: str = ""
    finished: str = ""
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The file stem of this run's record: 'seed_3', or 'seed_3_fold_1' with folds."""
        return run_name(self.seed, self.fold)

    @property
    def key(self) -> tuple[str, int, int]:
        """(trial, seed, fold) with -1 for no fold: what identifies a run, and sorts it."""
        return (str(self.trial_id), self.seed, -1 if self.fold is None else self.fold)

    def summary_row(self) -> dict[str, Any]:
        row = {k: v for k, v in asdict(self).items() if k not in ("history", "hyperparameters", "traceback")}
        for name, value in self.hyperparameters.items():
            row[f"hp_{name}"] = value
        return row


def run_name(seed: int, fold: int | None = None) -> str:
    return f"seed_{seed}" if fold is None else f"seed_{seed}_fold_{fold}"


class RunDirectory:
    """Reads and writes one sweep's run directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def tuner_dir(self) -> Path:
        return self.root / "tuner"

    @property
    def trials_dir(self) -> Path:
        return self.root / "trials"

    def run_path(self, trial_id: str, seed: int, fold: int | None = None) -> Path:
        return self.trials_dir / str(trial_id) / f"{run_name(seed, fold)}.json"

    def predictions_path(self, trial_id: str, seed: int, fold: int | None = None) -> Path:
        return self.trials_dir / str(trial_id) / f"{run_name(seed, fold)}_predictions.csv"

    # -- writing ---------------------------------------------------------

    def prepare(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise SweepError(f"output path {self.root} is a file, not a folder")
        try:
            self.trials_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweepError(f"cannot create run directory {self.root}: {exc.strerror or exc}"
                             f"{permission_hint(exc)}") from None
        for folder in (self.root, self.trials_dir):
            try:  # a read-only disk or a folder without write permission: say so now, not mid-sweep
                fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-probe.", suffix=TEMP_SUFFIX)
                os.close(fd)
                os.unlink(probe)
            except OSError as exc:
                raise SweepError(f"cannot write in run directory {folder}: {exc.strerror or exc}"
                                 f"{permission_hint(exc)}") from None

    def remove_temp_files(self) -> int:
        """Delete temporary files left by writes that a kill cut short.

        Only safe while nothing else writes here: the engine calls it holding
        the run lock, before any worker starts.
        """
        removed = 0
        for path in self.root.rglob(f".*{TEMP_SUFFIX}"):
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
        return removed

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        write_json(self.root / name, data)

    def write_run(self, record: RunRecord, predictions: list[dict[str, Any]] | None = None) -> None:
        """Write history and predictions first, the record last: a record
        marked completed always has its companions on disk."""
        path = self.run_path(record.trial_id, record.seed, record.fold)
        if record.history:
            own = [k for row in record.history for k in row if k not in HISTORY_COLUMNS]  # the model's own metrics
            atomic_write_text(path.with_name(f"{record.name}_history.csv"),
                              to_csv(record.history, HISTORY_COLUMNS + list(dict.fromkeys(own))))
        if predictions is not None:
            atomic_write_text(self.predictions_path(record.trial_id, record.seed, record.fold), to_csv(predictions))
        atomic_write_text(path, json.dumps(clean(asdict(record)), indent=2, default=str))

    def write_summary(self) -> None:
        rows = [r.summary_row() for r in self.read_runs()]
        atomic_write_text(self.root / "trials.csv", to_csv(rows, self.summary_columns(rows)))

    def summary_columns(self, rows: list[dict[str, Any]]) -> list[str]:
        """Run fields, then hyperparameters in the model's own order (sweep.json),
        so the table reads the same whoever ran the trials (a worker receives
        them from the chief in another order)."""
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        try:
            model_order = list(read_manifest(self.root).defaults)
        except (SweepError, OSError):  # no sweep.json yet, or unreadable: first-seen order
            model_order = []
        rank = {f"hp_{name}": i for i, name in enumerate(model_order)}
        hps = sorted((c for c in columns if c.startswith("hp_")), key=lambda c: (rank.get(c, len(rank)), c))
        return [c for c in columns if not c.startswith("hp_")] + hps

    # -- reading ---------------------------------------------------------

    def read_json(self, name: str) -> Any:
        return read_json(self.root / name)

    def read_run(self, trial_id: str, seed: int, fold: int | None = None) -> RunRecord | None:
        path = self.run_path(trial_id, seed, fold)
        if not path.exists():
            return None
        return _record_from_json(path)

    def read_record(self, path: Path) -> RunRecord | None:
        """The record in `path`, or None if it is missing or unreadable."""
        return _record_from_json(path)

    def record_paths(self) -> list[Path]:
        """The run record files (not their history or predictions, not temp files)."""
        return sorted(self.trials_dir.glob("*/seed_*.json"))

    def read_runs(self) -> list[RunRecord]:
        """Every run record on disk, in trial, seed then fold order; unreadable ones skipped."""
        records = []
        for path in self.record_paths():
            record = _record_from_json(path)
            if record is not None:
                records.append(record)
        return sorted(records, key=lambda r: r.key)


DAMAGED_DIR = "damaged"
RETRIED_DIR = "retried"  # failed runs set aside to be trained again (the machine's failures, --retry-failed)


def _why_unreadable(path: Path) -> str:
    """Why a record cannot be read ("" when it can): cut off, not JSON, or not a run record."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if not text.strip():
        return "empty"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"cut off or not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    try:
        RunRecord(**data)
    except TypeError as exc:
        return f"not a run record: {exc}"
    return ""


def _why_bad_table(path: Path, needed: tuple[str, ...]) -> str:
    """Why a history or prediction table cannot be parsed ("" when it can): every row has every column."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return f"unreadable: {exc}"
    missing = [c for c in needed if c not in header]
    if missing:
        return f"no {missing[0]} column"
    if any(None in row or any(row.get(c) is None for c in header) for row in rows):
        return "cut off: a row has fewer or more cells than the header"
    return ""


def find_damaged(directory: "RunDirectory") -> list[tuple[Path, str]]:
    """Every run whose record, history or predictions cannot be parsed: (the record's path, why).

    A completed run must have its history table and its predictions (written
    before the record, `write_run`), so a completed record whose companions
    are cut off stands for a run whose results are not all on disk."""
    out = []
    for path in directory.record_paths():
        why = _why_unreadable(path)
        if not why:
            companions = ((path.with_name(f"{path.stem}_history.csv"), ("epoch",)),
                          (path.with_name(f"{path.stem}_predictions.csv"), ("true", "predicted")))
            for table, needed in companions:
                if table.exists():
                    bad = _why_bad_table(table, needed)
                    if bad:
                        why = f"{table.name} is {bad}"
                        break
        if why:
            out.append((path, why))
    return out


def quarantine_damaged(directory: "RunDirectory") -> list[str]:
    """Move every damaged run's files into RUN/damaged/ (same relative paths) and say so, one line each.

    The run is then missing, so a resume trains it again (the tuner puts its
    trial back in Keras Tuner's queue) and the report lists what was moved.
    Call it only while holding the run lock.
    """
    messages = []
    for path, why in find_damaged(directory):
        moved = _move_aside(directory, path, DAMAGED_DIR)
        messages.append(f"{path} is damaged ({why}); moved to {moved.parent}/ and its run will be trained again")
    return messages


MACHINE, MODEL = "machine", "model"  # RunRecord.failure


def set_aside_failed(directory: "RunDirectory", every: bool = False) -> list[str]:
    """Move each failed run that the machine failed (or, with `every`, each failed run: --retry-failed) into
    RUN/retried/, one line each: the run is then missing, so this run of the sweep trains it again, as a
    damaged one. A run its own training failed (NaN, a build error) stays failed. Hold the run lock."""
    messages = []
    for path in directory.record_paths():
        record = _record_from_json(path)
        if record is None or record.status != "failed" or not (every or record.failure == MACHINE):
            continue
        moved = _move_aside(directory, path, RETRIED_DIR)
        cause = "the machine's doing" if record.failure == MACHINE else "--retry-failed"
        messages.append(f"trial {record.trial_id} {record.name.replace('_', ' ')} failed ({record.error or 'no reason'}; "
                        f"{cause}): moved to {moved.parent}/ and trained again")
    return messages


def _move_aside(directory: "RunDirectory", path: Path, folder: str) -> Path:
    """A record and its companion files moved under RUN/`folder`/ at the same relative paths; the record's new path."""
    moved = []
    for f in [path, *sorted(path.parent.glob(f"{path.stem}_*"))]:
        target = directory.root / folder / f.relative_to(directory.root)
        n = 1
        while target.exists():
            target = target.with_name(f"{f.name}.{n}")
            n += 1
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, target)
        except OSError as exc:
            raise write_error(f"cannot move {f} aside to {target}: {exc.strerror or exc}") from None
        moved.append(target)
    return moved[0]


def damaged_files(root: str | Path) -> list[str]:
    """The files moved into RUN/damaged/, relative to it (for the report)."""
    folder = Path(root) / DAMAGED_DIR
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _record_from_json(path: Path) -> RunRecord | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RunRecord(**data)
    except (OSError, json.JSONDecodeError, TypeError):
        return None


def load_results(run_dir: str | Path):
    """Every run of a run directory as a pandas DataFrame, one row per run, columns as trials.csv.

    Read from the run records themselves, so it is current also while the
    sweep is still running. Needs no TensorFlow: the records are the layer
    everything else reads.
    """
    import pandas as pd

    records = RunDirectory(run_dir)
    if not (records.root / "sweep.json").exists():
        raise SweepError(f"{records.root} is not a sweep's run directory (it has no sweep.json)")
    rows = [r.summary_row() for r in records.read_runs()]
    return pd.DataFrame(rows, columns=records.summary_columns(rows))
