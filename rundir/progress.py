"""progress.json: where a running sweep stands, for the report it rewrites while it runs.

The report reads only what is on disk. The runs done and failed are in the
records, but what the running process alone knows (the runs the current
round plans, its ETA, its worker count, how long this session has run) is
written here by the sweep as it goes (`search.sweep.live`), and read by the
report's progress banner (`reports.live`). A finished sweep leaves its last
state; the report shows the banner only while sweep.json says the sweep is
running or was stopped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

from rundir.errors import SweepError
from rundir.files import read_json, write_json

PROGRESS = "progress.json"


@dataclass(frozen=True)
class SweepProgress:
    """One moment of a running sweep, as its console's progress line has it."""

    updated: str  # local time with its offset, to the second
    elapsed_s: float  # since this session of the sweep started (a resume starts a new session)
    round: int  # the round of seeds running (1 for a fixed seed count)
    round_runs: int | None  # runs the round plans (None: the tuner decides, as Hyperband does)
    round_done: int  # runs of the round ended so far, resumed ones included
    eta_s: float | None  # the rest of the round at the mean run time so far; None before a run has ended
    workers: int  # runs trained at the same time
    event: str = ""  # what made the sweep write it: "start", "run", "round" or "stop"


def write_progress(root: str | Path, progress: SweepProgress) -> None:
    """Write progress.json atomically: a browser or a reader never sees half of it."""
    write_json(Path(root) / PROGRESS, asdict(progress))


def read_progress(root: str | Path) -> SweepProgress | None:
    """The run directory's progress.json; None when there is none or it cannot be read (it only decorates)."""
    path = Path(root) / PROGRESS
    if not path.exists():
        return None
    try:
        data = read_json(path, regenerated=True)
        known = {f.name for f in fields(SweepProgress)}
        return SweepProgress(**{k: v for k, v in data.items() if k in known})
    except (SweepError, TypeError, AttributeError):
        return None
