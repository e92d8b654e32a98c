"""The Python API: run a sweep and read its results without the command line.

    import search
    result = search.run_sweep(sweep)              # a Sweep, or the path of a sweep file
    result.best_hyperparameters                   # {"pooling_1": "max", "batch_size": 16, ...}
    frame = search.load_results(result.run_dir)   # one row per run, as trials.csv

Mistakes raise `search.SweepError` with the same one-line message the
command line prints; Ctrl-C raises KeyboardInterrupt after marking sweep.json
"interrupted" (finished runs are kept; running it again resumes).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Union

from rundir.errors import SweepError
from rundir.records import load_results  # noqa: F401  (search.load_results; needs no TensorFlow)

if TYPE_CHECKING:  # the real imports load TensorFlow, so only when needed
    from search.sweep.result import SweepResult
    from search.sweep.spec import Sweep


def run_sweep(sweep: Union["Sweep", str, Path], out: str | Path | None = None, workers: int = 0, quiet: bool = False,
              *, save_best_model: bool = False, tensorboard: bool = False, report: bool = True,
              checkpoint_every: float | None = 60.0, retry_failed: bool = False) -> "SweepResult":
    """Run `sweep` (a Sweep, or a sweep file's path) into `out` (default `runs/NAME`) and return its result.

    `workers=N` trains N trials at once in N processes; they load the sweep
    from its file, so pass a path then. `save_best_model=True` writes the
    best run's model (at its best epoch) as RUN_DIR/best_model.keras;
    `tensorboard=True` writes RUN_DIR/tensorboard/ (curves and the HParams
    dashboard); `report=False` skips report.html. A running run saves a
    checkpoint at an epoch's end once `checkpoint_every` seconds have passed
    since its last one (0: every epoch; None: never), so a killed sweep
    resumes mid-run, as `--checkpoint-every` on the command line.
    `retry_failed=True` trains every failed run again (`--retry-failed`); without it
    only the runs the machine failed (out of memory, say) are.
    """
    from search.quiet import import_backend_quietly, quiet_retracing

    quiet_retracing()  # as on the command line
    import_backend_quietly()  # no TensorFlow start-up lines if this is what loads it
    from search.sweep.tuner import RunOptions
    from search.study import open_study, run_study, worker_args
    from search.sweep.spec import Sweep, load_sweep_file

    sweep_file = ""
    if isinstance(sweep, (str, Path)):
        sweep_file = str(Path(sweep).resolve())
        sweep = load_sweep_file(sweep)
    if not isinstance(sweep, Sweep):
        raise SweepError(f"run_sweep wants a search.Sweep or a sweep file's path, not {type(sweep).__name__}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
        raise SweepError(f"workers must be 0 or more, got {workers!r}")
    if checkpoint_every is not None and (isinstance(checkpoint_every, bool)
                                         or not isinstance(checkpoint_every, (int, float)) or not checkpoint_every >= 0):
        raise SweepError(f"checkpoint_every must be seconds (0 or more) or None, got {checkpoint_every!r}")
    if workers and not sweep_file:
        raise SweepError("workers load the sweep from its file: pass the sweep file's path, "
                         "run_sweep('sweeps/my_sweep.py', workers=2)")
    options = RunOptions(tensorboard=tensorboard, save_best_model=save_best_model, checkpoint_every_s=checkpoint_every,
                         retry_failed=retry_failed)
    parallel = None
    if workers:
        from search.sweep.distributed import LOOPBACK
        from search.sweep.service import Parallel
        parallel = Parallel(workers, worker_args(sweep_file, options), LOOPBACK, 0)
    prepared, run_dir = open_study(sweep, out)
    if not quiet:
        from search.sweep.header import describe
        print(describe(prepared), file=sys.stderr)
    from search.training.stop import deferred_signals

    with deferred_signals():  # Ctrl-C (a notebook's interrupt too) stops at a safe point, as on the command line
        return run_study(prepared, run_dir, sweep_file=sweep_file, quiet=quiet, write_report=report,
                         parallel=parallel, options=options)
