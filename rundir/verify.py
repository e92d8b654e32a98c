"""Verify a run directory without training (`python -m search.run --check-run RUN_DIR`).

A resume trusts what is on disk, so before relying on a run directory
(copied from another machine, restored from a backup, left by a crash) a
user can ask whether it is whole: every record parses, every completed run
has its history and predictions, and Keras Tuner's state agrees with the
records (a trial it holds as done has all its runs on disk). Reads files
only: no Keras, no Keras Tuner, nothing written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rundir.errors import SweepError
from rundir.manifest import Manifest, has_manifest, read_manifest
from rundir.records import MACHINE, RunDirectory, find_damaged

ENDED = ("COMPLETED", "FAILED", "INVALID")  # Keras Tuner's statuses of a trial it will not hand out again


@dataclass
class RunCheck:
    """What the check found: problems make it fail; notes are facts a resume takes care of."""

    root: Path
    records: int = 0
    completed: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        head = (f"check-run {self.root}: {self.records} run records ({self.completed} completed); "
                + ("whole" if self.ok else f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"))
        return [head, *(f"problem: {p}" for p in self.problems), *(f"note: {n}" for n in self.notes)]


def check_run(root: str | Path) -> RunCheck:
    """Check the run directory at `root`. Raises SweepError when it is not one (no sweep.json)."""
    directory = RunDirectory(root)
    result = RunCheck(directory.root)
    if not has_manifest(directory.root):
        raise SweepError(f"{directory.root} is not a sweep's run directory (it has no sweep.json)")
    manifest = read_manifest(directory.root)  # a damaged one is a one-line SweepError with the way out
    damaged = find_damaged(directory)
    for path, why in damaged:
        result.problems.append(f"{path} is damaged ({why}); the next run of the sweep moves it to "
                               f"{directory.root / 'damaged'}/ and trains the run again")
    damaged_paths = {path for path, _ in damaged}
    runs = [r for r in directory.read_runs() if directory.run_path(r.trial_id, r.seed, r.fold) not in damaged_paths]
    result.records, result.completed = len(runs), sum(r.status == "completed" for r in runs)
    for run in runs:
        path = directory.run_path(run.trial_id, run.seed, run.fold)
        if run.status == "completed":
            for companion in (path.with_name(f"{run.name}_history.csv"), directory.predictions_path(
                    run.trial_id, run.seed, run.fold)):
                if not companion.exists():
                    result.problems.append(f"{path} is completed but {companion.name} is missing")
        elif run.status == "running":
            result.notes.append(f"{path} was cut short (status running); a resume trains it again")
        elif run.status == "failed":
            cause = ("the machine's doing: a resume trains it again" if run.failure == MACHINE else
                     "its own training: it stays failed (--retry-failed trains it again)")
            result.notes.append(f"{path} failed: {run.error or 'no reason recorded'} ({cause})")
    _check_tuner_state(directory, manifest, runs, result)
    return result


def _check_tuner_state(directory: RunDirectory, manifest: Manifest, runs: list, result: RunCheck) -> None:
    """Each round's Keras Tuner project (tuner/, tuner/round_<n>/) against the records of its seeds."""
    on_disk = {(int(r.trial_id), r.seed, r.fold) for r in runs if r.trial_id.isdigit()
               and r.status in ("completed", "failed")}
    fold_ids = list(range(manifest.folds.k)) if manifest.folds else [None]
    known: set[int] = set()
    left_out = manifest.left_out  # never trained (search.sweep.feasible)
    for rnd in manifest.planned_rounds():
        number = rnd.number
        project = directory.tuner_dir if number == 1 else directory.tuner_dir / f"round_{number}"
        for state in sorted(project.glob("trial_*/trial.json")):
            try:
                trial = json.loads(state.read_text(encoding="utf-8"))
                trial_id, status = int(trial["trial_id"]), str(trial["status"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                result.problems.append(f"Keras Tuner's state file {state} is damaged ({exc}); delete {project} "
                                       f"and rerun the same command to rebuild it from the records")
                continue
            known.add(trial_id)
            values = ((trial.get("hyperparameters") or {}).get("values") or {})
            if status not in ENDED or any(all(values.get(k) == v for k, v in c.items()) for c in left_out):
                continue
            seeds = range(rnd.seeds if rnd.trains(f"{trial_id:04d}") else rnd.first_seed)
            missing = [(s, f) for s in seeds for f in fold_ids if (trial_id, s, f) not in on_disk]
            if missing:
                s, f = missing[0]
                result.problems.append(
                    f"Keras Tuner holds trial {trial_id:04d} of round {number} as {status.lower()}, but "
                    f"{len(missing)} of its runs {'has' if len(missing) == 1 else 'have'} no finished record "
                    f"(first: seed {s}"
                    + (f" fold {f}" if f is not None else "") + "); a resume trains them again")
    unknown = sorted({int(r.trial_id) for r in runs if r.trial_id.isdigit()} - known)
    if unknown and directory.tuner_dir.exists():
        result.notes.append(f"records of trial{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(f'{t:04d}' for t in unknown[:5])}{'...' if len(unknown) > 5 else ''} "
                            f"are not in Keras Tuner's state; a grid resume reuses them, another oracle may not")
