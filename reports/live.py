"""The report of a sweep that is still running: its progress banner, and what the claims wait for.

A sweep rewrites its report while it runs (`search.sweep.live`). This
section says where it stands (runs done, failed and planned, the round, the
elapsed time and ETA, the worker count, from the records, sweep.json and
progress.json), refreshes the page in the browser, and says which planned
look the claims show (`claims.looks`) and when the next one comes. A
finished sweep has no `LiveInfo`: its report is the final one.
"""

from __future__ import annotations

from dataclasses import dataclass

from claims.looks import Look, next_round
from reports.runs import SweepRuns
from rundir.durations import duration
from rundir.manifest import Manifest, Round
from rundir.progress import SweepProgress

REFRESH_S = 30  # the browser reloads a running sweep's page this often; the sweep rewrites it at most once a minute


@dataclass
class LiveInfo:
    """The banner of a running (or stopped) sweep's page."""

    status: str  # "running" or "interrupted", as sweep.json says
    done: int  # runs completed, every round
    failed: int
    planned: int | None  # runs the rounds so far plan; None when the tuner decides
    round: str  # "round 2 of at most 5: 3 of 8 runs", or "" for a fixed seed count
    elapsed: str  # this session of the sweep, at its last rewrite
    eta: str  # the rest of the round at the mean run time so far ("" when unknown)
    workers: int
    updated: str  # when the sweep last wrote progress.json
    refresh_s: int | None  # the page reloads itself this often; None once the sweep stopped
    look: str  # the look the claims show: "after round 1 of the plan (seeds 0-2)", or "" (none yet)
    next_look: str  # when the next verdicts come, in words


def live_info(runs: SweepRuns, look: Look | None, progress: SweepProgress | None) -> LiveInfo | None:
    """The banner while sweep.json says the sweep runs or was stopped; None once it finished.
    `progress`: the run directory's progress.json (`rundir.progress.read_progress`)."""
    manifest = runs.manifest
    if look is not None and look.final:
        return None
    current = next_round(manifest)
    # progress.json counts the round it was written in: the round before, at a round's end
    now = progress if progress is not None and current is not None and progress.round == current.number else None
    counts = runs.frame["status"].value_counts()
    running = manifest.status == "running"
    return LiveInfo(
        status=manifest.status,
        done=int(counts.get("completed", 0)),
        failed=int(counts.get("failed", 0)),
        planned=manifest.expected_runs(),
        round=_round(manifest, current, now),
        elapsed=duration(progress.elapsed_s) if progress else "",
        eta=duration(now.eta_s) if now is not None and now.eta_s is not None and running else "",
        workers=progress.workers if progress else 1,
        updated=progress.updated if progress else manifest.updated,
        refresh_s=REFRESH_S if running else None,
        look=look.label() if look is not None else "",
        next_look=next_look(manifest, now),
    )


def _round(manifest: Manifest, current: Round | None, progress: SweepProgress | None) -> str:
    """The round running and its runs, under seeds="auto"; "" for a fixed seed count. `progress`: written
    during `current`, or None."""
    if manifest.seeds is None or not manifest.seeds.in_rounds or current is None:
        return ""
    text = f"round {current.number} of at most {len(manifest.looks)}"
    if progress is not None and progress.round_runs:
        text += f": {min(progress.round_done, progress.round_runs)} of {progress.round_runs} runs"
    return text


def next_look(manifest: Manifest, progress: SweepProgress | None = None) -> str:
    """When the claims are judged next, in words, for the claims section and the banner. `progress`: written
    during the round running now, or None."""
    current = next_round(manifest)
    if current is None:
        return ""
    stopped = manifest.status != "running"
    if manifest.seeds is None or not manifest.seeds.in_rounds:
        when = (f"at the end of the sweep: a fixed count of {current.seeds} seed{'s' if current.seeds != 1 else ''} "
                "has one look")
    else:
        when = f"at the end of round {current.number} ({current.span()})"
    if stopped:
        return f"The next look comes {when}; the sweep stopped before it, and rerunning the same command resumes it."
    text = f"The next look comes {when}"
    if progress is not None and progress.round_runs:
        left = max(0, progress.round_runs - progress.round_done)
        text += f", {left} run{'s' if left != 1 else ''} from now"
        if progress.eta_s is not None:
            text += f" (about {duration(progress.eta_s)})"
    return text + "."
