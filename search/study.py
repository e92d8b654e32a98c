"""One study from start to end: train the sweep, then judge its claims and draw its report.

The one owner of train -> judge -> report. The engine (search.sweep.engine) only
trains and leaves its records on disk; the verdicts (claims.csv) and the
report (report.html) are made from those records alone, here, so both
front ends (the command line, search.run_sweep) end a sweep the same way
and `python -m reports RUN_DIR` rebuilds the same page without training.
"""

from __future__ import annotations

from pathlib import Path

from search.sweep.engine import Parallel, Prepared, RunOptions, SweepResult
from search.sweep.engine import run_sweep as train


def run_study(prepared: Prepared, out: Path, *, sweep_file: str = "", quiet: bool = False, write_report: bool = True,
              parallel: Parallel | None = None, options: RunOptions | None = None) -> SweepResult:
    """Train `prepared` into `out` (resuming what is there), then judge and report unless `write_report` is off."""
    result = train(prepared, out, sweep_file=sweep_file, quiet=quiet, parallel=parallel, options=options)
    if write_report:
        result.report = judge_and_report(result.run_dir)
    return result


def judge_and_report(run_dir: Path) -> Path:
    """Claim verdicts (claims.csv) and the HTML report, from the records on disk."""
    from reports.html import write_report  # matplotlib and Jinja2 load only when a report is drawn

    return write_report(run_dir)
