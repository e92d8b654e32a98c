"""One study from start to end: train the sweep, then judge its claims and draw its report.

The one owner of open -> train -> judge -> report. The engine (search.sweep.engine) only
trains and leaves its records on disk; the verdicts (claims.csv) and the
report (report.html) are made from those records alone, here, so both
front ends (the command line, search.run_sweep) end a sweep the same way
and `python -m reports RUN_DIR` rebuilds the same page without training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from search.sweep import thread_plan
from search.sweep.engine import train_sweep
from search.sweep.prepare import Prepared, prepare
from search.sweep.result import SweepResult
from search.sweep.service import Parallel
from search.sweep.tuner import RunOptions
from search.sweep.spec import Sweep


def open_study(sweep: Sweep, out: str | Path | None = None, *, without_data: bool = False,
               estimate: bool | None = None) -> tuple[Prepared, Path]:
    """The sweep checked and prepared for its run directory (default runs/<name>): what both front ends
    do before training. The process is pinned first to the thread count a started sweep's runs use
    (`search.sweep.thread_plan`), before `prepare` builds a model. See `prepare` for the rest."""
    run_dir = Path(out) if out is not None else Path("runs") / sweep.name
    thread_plan.settle(run_dir)
    return prepare(sweep, without_data=without_data, estimate=estimate), run_dir


def run_study(prepared: Prepared, out: Path, *, sweep_file: str = "", quiet: bool = False, write_report: bool = True,
              parallel: Parallel | None = None, options: RunOptions | None = None) -> SweepResult:
    """Train `prepared` into `out` (resuming what is there), then judge and report unless `write_report` is off.
    With the report on, the sweep also rewrites it while it runs (`search.sweep.live`)."""
    result = train_sweep(prepared, out, sweep_file=sweep_file, quiet=quiet, parallel=parallel, options=options,
                         draw=judge_and_report if write_report else None)
    if write_report:
        result.report = judge_and_report(result.run_dir)
    return result


def judge_and_report(run_dir: Path) -> Path:
    """Claim verdicts (claims.csv) and the HTML report, from the records on disk."""
    from reports.html import write_report  # matplotlib and Jinja2 load only when a report is drawn

    return write_report(run_dir)


# The sweep-file overrides a worker repeats after its sweep file, as `python -m search.run` flags.
OVERRIDES = ("data", "max_trials", "epochs", "image_size", "seeds", "folds", "precision", "resize", "fuse_seeds")


def worker_args(sweep_file: str | Path, options: RunOptions, overrides: dict[str, Any] | None = None,
                debug: bool = False, claims: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The `python -m search.run` arguments of a worker process: the chief's sweep, overrides and options.

    Workers load the sweep from its file and take the rest from these
    flags (a `--claim` too, whose values join the space), so whichever front end started the chief (the command line or
    `search.run_sweep`), its workers train exactly the chief's sweep.
    """
    args = [str(Path(sweep_file).resolve())]
    for name in OVERRIDES:
        value = (overrides or {}).get(name)
        if value is not None:
            args += [f"--{name.replace('_', '-')}", str(value)]
    for line in claims:  # --claim adds its values to the space, which a worker must find the same
        args += ["--claim", line]
    every = options.checkpoint_every_s
    args += ["--checkpoint-every", "off" if every is None else str(every)]
    args += [flag for flag, on in (("--debug", debug), ("--tensorboard", options.tensorboard),
                                   ("--save-best-model", options.save_best_model)) if on]
    return args
