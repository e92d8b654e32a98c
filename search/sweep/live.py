"""The report a sweep rewrites while it runs: when to draw it, and what it is told.

A long sweep's report used to appear only at its end. Now the sweep writes
progress.json and redraws report.html (atomically: a browser never sees
half a page) at its start, after a run ends (at most once a minute), at the
end of every round of seeds, and when it is stopped (Ctrl-C, SIGTERM, a
full disk). The drawing itself belongs to the report (`reports.html`), which
sits above the sweep, so the study hands it in as `draw`.

What the page shows of the claims is decided by the records and sweep.json
alone (`claims.looks`): the verdicts of the last planned look. Drawing reads
the run directory and writes report.html, claims.csv and progress.json,
nothing the sweep reads back, so watching never changes what the sweep does.

Cost: a run's end redraws only when at least a minute has passed and at
least 40 times the last drawing's own time, so the rewrites after runs take
at most 2.5% of the sweep's time whatever the run directory's size, and
the whole overhead stays under 5%. `python -m benchmarks live` measures it.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rundir.progress import write_progress
from search.sweep.progress import Progress

EVERY_S = 60.0  # the least time between two redraws after a run's end
SHARE = 0.025  # and the most of the sweep's time those redraws may take: half the 5% budget, the other half
# left to the few redraws no rule spaces out (the start, each round's end, the stop)


@dataclass
class LivePage:
    """Redraws one run directory's report while its sweep runs; `draw(run_dir)` writes the page."""

    root: Path
    draw: Callable[[Path], object]
    progress: Progress
    every_s: float = EVERY_S
    share: float = SHARE
    clock: Callable[[], float] = time.monotonic
    drawn: int = 0  # pages written
    spent_s: float = 0.0  # time spent writing them
    _last_at: float | None = field(default=None, repr=False)
    _last_cost: float = field(default=0.0, repr=False)
    _failed: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.progress.on_run_done = self.run_ended

    @property
    def path(self) -> Path:
        return self.root / "report.html"

    def start(self) -> None:
        """The first page, before any training: the console names it, so a user can open it at once."""
        self._redraw("start")
        if self.path.exists():  # said even with --quiet, whose promise is errors and the report's path
            print(f"report: {self.path} (rewritten while the sweep runs)", file=self.progress.stream, flush=True)

    def run_ended(self) -> None:
        """A run ended: redraw when both the minute and the 5% budget allow."""
        if self._last_at is None or self.clock() - self._last_at >= max(self.every_s, self._last_cost / self.share):
            self._redraw("run")

    def round_ended(self) -> None:
        """A round of seeds is on disk and another follows: a planned look, so always redraw."""
        self._redraw("round")

    def stopped(self) -> None:
        """Ctrl-C, SIGTERM or a fault stopped the sweep: the page shows where it stopped."""
        self._redraw("stop")

    def _redraw(self, event: str) -> None:
        """Write progress.json and the page. A failure to draw warns once and never stops the sweep."""
        started = self.clock()
        try:
            write_progress(self.root, self.progress.snapshot(event))
            self.draw(self.root)
        except Exception as exc:  # the page only reports: the sweep goes on without it
            if not self._failed:
                print(f"warning: the live report could not be written ({exc}); the sweep goes on, and the "
                      "report is drawn again at its end", file=sys.stderr, flush=True)
            self._failed = True
        finally:
            self._last_cost = self.clock() - started
            self._last_at = self.clock()
            self.spent_s += self._last_cost
            self.drawn += 1
