"""The live progress line: trial i/N, seed, epoch, best so far, ETA.

On a terminal the line is redrawn in place every epoch; in a log file (CI,
nohup) one line is printed per finished run, so logs stay short. The same
counts go to the report that a sweep rewrites while it runs
(`search.sweep.live`): `snapshot` is what its banner shows, and
`on_run_done` hears of every run that ends.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Callable, TextIO

from rundir.durations import clock
from rundir.manifest import now
from rundir.progress import SweepProgress


@dataclass
class Progress:
    planned_runs: int | None  # trials x seeds, None when the tuner decides (hyperband)
    objective: str
    mode: str = "max"
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    quiet: bool = False
    parallel: int = 1  # runs trained at the same time (workers), for the ETA
    done_runs: int = 0
    round_label: str = ""  # "round 2" in a sweep with seed rounds, else ""
    round_number: int = 1
    on_run_done: Callable[[], None] | None = None  # told after every run that trained here ends (not resumed ones)
    run_seconds: list[float] = field(default_factory=list)
    best: float | None = None
    _live: bool = False

    def __post_init__(self):
        self._live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._started = time.perf_counter()

    def note_best(self, value: float | None) -> None:
        if value is None:
            return
        if self.best is None or (value > self.best if self.mode == "max" else value < self.best):
            self.best = value

    def eta_seconds(self) -> float | None:
        """The rest of the round at the mean run time so far; None before a run ended or without a plan."""
        if not self.run_seconds or self.planned_runs is None:
            return None
        remaining = max(0, self.planned_runs - self.done_runs)
        return remaining * sum(self.run_seconds) / len(self.run_seconds) / self.parallel

    def eta(self) -> str:
        seconds = self.eta_seconds()
        return "?" if seconds is None else clock(seconds)

    def snapshot(self, event: str) -> SweepProgress:
        """Where the sweep stands now, for progress.json."""
        eta = self.eta_seconds()
        return SweepProgress(now(), round(time.perf_counter() - self._started, 1), self.round_number,
                             self.planned_runs, self.done_runs, None if eta is None else round(eta, 1),
                             self.parallel, event)

    def say(self, message: str) -> None:
        """A whole line: a finished run, or news of the sweep itself (workers starting or dying)."""
        if not self.quiet:
            self.stream.write(("\r\033[K" if self._live else "") + message + "\n")
            self.stream.flush()

    def start_round(self, label: str, planned_runs: int | None, done_runs: int, number: int = 1) -> None:
        """A new round of seeds: its own run count and ETA, its name on every line."""
        self.round_label, self.planned_runs, self.done_runs = label, planned_runs, done_runs
        self.round_number = number

    def _prefix(self, trial_id: str, seed: int, seeds: int, fold: int | None = None) -> str:
        total = "?" if self.planned_runs is None else str(self.planned_runs)
        where = f"{self.round_label} " if self.round_label else ""
        return (f"{where}run {self.done_runs + 1}/{total} trial {trial_id} seed {seed + 1}/{seeds}"
                + (f" fold {fold + 1}" if fold is not None else ""))

    def epoch(self, trial_id: str, seed: int, seeds: int, epoch: int, epochs: int, value: float,
              fold: int | None = None) -> None:
        if self.quiet or not self._live:
            return
        best = "-" if self.best is None else f"{self.best:.4f}"
        line = (f"{self._prefix(trial_id, seed, seeds, fold)} epoch {epoch}/{epochs} "
                f"{self.objective} {value:.4f} best {best} ETA {self.eta()}")
        self.stream.write("\r\033[K" + line)
        self.stream.flush()

    def run_done(self, trial_id: str, seed: int, seeds: int, status: str, score: float | None,
                 seconds: float, reused: bool = False, worker: str = "", fold: int | None = None) -> None:
        if status == "completed":
            self.note_best(score)
        if not reused:
            self.run_seconds.append(seconds)
        line = self._prefix(trial_id, seed, seeds, fold) + (f" [{worker}] " if worker else " ")
        if reused:
            line += "already done (resumed)"
        elif status == "completed":
            line += f"{self.objective} {score:.4f} in {clock(seconds)}"
        else:
            line += f"FAILED in {clock(seconds)}"
        self.done_runs += 1
        best = "-" if self.best is None else f"{self.best:.4f}"
        line += f" | best {best} | ETA {self.eta()}"
        self.say(line)
        if not reused and self.on_run_done is not None:
            self.on_run_done()
