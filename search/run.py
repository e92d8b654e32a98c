"""`python -m search.run SWEEP_FILE`: run a sweep, write its records and report.

Mistakes the user can fix print one line and exit with status 2; `--debug`
shows the traceback as well.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import warnings
from pathlib import Path

from claims.stated import EXAMPLE as CLAIM_EXAMPLE
from rundir.errors import OneLineParser

DEFAULT_SWEEP = Path(__file__).resolve().parent.parent / "sweeps" / "digits.py"
FUSE_FLAG = {"auto": "auto", "on": True, "off": False}  # --fuse-seeds to Sweep(fuse_seeds=...)


EPILOG = """\
examples:
  python -m search.run                                    the digits demo (no download, about 1.5 min on 2 cores)
  python -m search.run sweeps/sneakers.py --data path/to/sneakers
  python -m search.run SWEEP_FILE --describe              space, model size, runs, estimated time; trains nothing
  python -m search.run SWEEP_FILE --epochs 2 --max-trials 3 --out runs/try
  python -m search.run SWEEP_FILE --workers 2             two trials at once on this machine
  python -m search.run SWEEP_FILE --claim "dropout: 0.5 > 0.25 on best_val_accuracy by 0.02, because 2 points matter"
                                                          judge a claim of your own too (> higher, < lower, = the same)
  python -m search.run SWEEP_FILE --tensorboard           then: tensorboard --logdir runs/NAME/tensorboard
  python -m search.run --check-run runs/NAME               is a run directory whole? trains nothing

results: RUN_DIR (default runs/NAME, NAME from the sweep file) holds sweep.json, trials.csv,
trials/, report.html; rerunning the same command resumes.

exit status:
  0    the sweep finished (or --describe; or --check-run found the run directory whole)
  1    it ran but could not finish (every run failed, workers lost, a full disk); --check-run found a problem
  2    a mistake in the input: a flag, the sweep file, the data folder, an unwritable run directory (error: ...)
  130  interrupted with Ctrl-C; finished runs are kept, rerun to resume
  143  stopped by SIGTERM, as Ctrl-C
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line; building it imports nothing heavy, so --help is instant."""
    prog = "cnn-sweep" if Path(sys.argv[0]).name == "cnn-sweep" else "python -m search.run"
    p = OneLineParser(prog=prog, description="Run a hyperparameter sweep described by a sweep file.",
                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sweep_file", nargs="?", default=None, metavar="SWEEP_FILE",
                   help="a sweep file such as sweeps/sneakers.py (default: the digits demo, sweeps/digits.py)")
    p.add_argument("--data", metavar="PATH", help="data folder to use instead of the sweep file's")
    p.add_argument("--out", metavar="RUN_DIR", help="run directory (default runs/NAME)")
    p.add_argument("--max-trials", type=int, metavar="N",
                   help="stop after N configurations (Hyperband ignores it: it sets its own count)")
    p.add_argument("--epochs", type=int, metavar="N", help="epochs per run (overrides the article default)")
    p.add_argument("--image-size", type=int, metavar="N", help="resize images to N x N pixels")
    p.add_argument("--seeds", type=_seeds_flag, metavar="N|auto",
                   help="runs per configuration, with seeds 0..N-1; auto: rounds of seeds while a claim is undecided")
    p.add_argument("--folds", type=int, metavar="K",
                   help="K-fold cross-validation over all the images (training and validation together), "
                        "a fresh partition per seed: K times the runs")
    p.add_argument("--precision", choices=("float32", "mixed_bfloat16"),
                   help="Keras dtype policy of each run (mixed_bfloat16: faster on bf16 hardware)")
    p.add_argument("--fuse-seeds", choices=("auto", "on", "off"),
                   help="train each trial's seeds as one program: on, off, or auto (measured on the first trial)")
    p.add_argument("--resize", choices=("stretch", "crop", "pad"),
                   help="how non-square images become square: stretch (the articles'), crop the centre, or pad")
    p.add_argument("--claim", action="append", default=[], metavar="CLAIM",
                   help="judge a claim of your own too, beside the sweep file's (repeatable): "
                        f"\"{CLAIM_EXAMPLE}\"; > higher, < lower, = the same; the two values join the space")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="train N trials at once in N worker processes on this machine")
    p.add_argument("--chief", metavar="HOST:PORT",
                   help="serve trials to workers on other machines at HOST:PORT (with --workers N, also run N here)")
    p.add_argument("--worker", metavar="HOST:PORT", help="take trials from the chief at HOST:PORT")
    p.add_argument("--worker-id", metavar="NAME", help="this worker's name in the records (default: host name and pid)")
    p.add_argument("--tensorboard", action="store_true",
                   help="also write each run's curves and the HParams dashboard into RUN_DIR/tensorboard/")
    p.add_argument("--save-best-model", action="store_true",
                   help="save the best run's model (its best epoch) as RUN_DIR/best_model.keras")
    p.add_argument("--checkpoint-every", metavar="SECONDS", type=_seconds_or_off,
                   help="save a running run at an epoch's end once SECONDS have passed since its last save, so a "
                        "killed sweep resumes it there (default 60; 0: every epoch; off: never)")
    p.add_argument("--retry-failed", action="store_true",
                   help="train every failed run again on this resume (without it, only the runs the machine "
                        "failed, out of memory say, are trained again; a model's own NaN or error stays failed)")
    p.add_argument("--describe", action="store_true",
                   help="print the search space, model size, runs, epochs and an estimated time, then exit; "
                        "works without the data folder (no time estimate then)")
    p.add_argument("--check-run", type=Path, metavar="RUN_DIR",
                   help="verify a run directory without training: every record parses, every completed run has "
                        "its files, Keras Tuner's state agrees with the records (exit 1 on a problem)")
    p.add_argument("--no-report", action="store_true",
                   help="do not write the HTML report (neither while the sweep runs nor at its end)")
    p.add_argument("--quiet", action="store_true", help="no description or progress lines: only errors and the report path")
    p.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def _seeds_flag(text: str) -> int | str:
    """--seeds N or --seeds auto (Seeds(min=3, max=20)); argparse turns the error into one line."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants a whole number or auto, got {text!r}") from None


def _one_line_warnings(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """The command line. While it runs, SIGINT and SIGTERM stop the sweep at the next safe point
    (`search.training.stop`; a second one at once), and the handlers it found come back after."""
    from search.training.stop import deferred_signals

    with deferred_signals():
        return _command(argv)


def _command(argv: list[str] | None) -> int:
    args = parse_args(argv)
    from search.quiet import quiet_retracing

    quiet_retracing()
    warnings.showwarning = _one_line_warnings
    from rundir.errors import SweepError

    try:
        if args.check_run is not None:
            return _check_run(args.check_run)
        from search.quiet import import_backend_quietly

        import_backend_quietly()
        return _main(args)
    except SweepError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:  # search.training.stop.Interrupted, or a KeyboardInterrupt from elsewhere
        terminated = getattr(exc, "terminated", False)
        if not args.worker or not args.quiet:  # the chief of local workers says it once for all
            print(f"\n{'terminated' if terminated else 'interrupted'}: finished runs and running runs' last "
                  "checkpoints are saved; rerun the same command to resume", file=sys.stderr)
        return 143 if terminated else 130


def _check_run(run_dir: Path) -> int:
    """--check-run: reads files only, so it imports no Keras."""
    from rundir.verify import check_run

    result = check_run(run_dir)
    print("\n".join(result.lines()))
    return 0 if result.ok else 1


def _main(args: argparse.Namespace) -> int:
    from search.sweep.header import describe
    from search.study import open_study, run_study
    from search.sweep.spec import load_sweep_file

    from claims.stated import parse_claim

    sweep_file = Path(args.sweep_file) if args.sweep_file else DEFAULT_SWEEP
    loaded = load_sweep_file(sweep_file)
    sweep = loaded.with_overrides(
        data=args.data, max_trials=args.max_trials, epochs=args.epochs, image_size=args.image_size, seeds=args.seeds,
        folds=args.folds, precision=args.precision, resize=args.resize, fuse_seeds=FUSE_FLAG.get(args.fuse_seeds),
        claims=(*loaded.claims, *(parse_claim(line) for line in args.claim)) if args.claim else None,
    )
    _check_parallel_flags(args)
    if sweep.tuner == "hyperband" and sweep.max_trials and not args.worker:
        print(f"warning: max_trials={sweep.max_trials} is ignored: Hyperband sets its own number of trials "
              f"from the epochs ({sweep.epochs or 'the article default'}) and its factor 3", file=sys.stderr)
    # a worker prints no header: its chief printed the estimate
    prepared, out = open_study(sweep, args.out, without_data=args.describe, estimate=False if args.worker else None)
    if args.describe or not args.quiet:
        print(describe(prepared), file=sys.stderr if not args.describe else sys.stdout)
    if args.describe:
        return 0
    if args.worker:
        from search.sweep.service import run_worker
        runs = run_worker(prepared, out, args.worker, args.worker_id, quiet=args.quiet,
                          options=_options(args))
        if not args.quiet:
            print(f"worker done: {runs} runs; records in {out}", file=sys.stderr)
        return 0
    result = run_study(prepared, out, sweep_file=str(sweep_file), quiet=args.quiet, write_report=not args.no_report,
                       parallel=_parallel(args, sweep_file), options=_options(args))
    done = sum(r.status == "completed" for r in result.records)
    failed = sum(r.status == "failed" for r in result.records)
    print(f"{done} runs completed, {failed} failed; records in {result.run_dir}", file=sys.stderr)
    if result.all_failed:
        errors = sorted({r.error for r in result.records})
        print("error: every run failed: " + "; ".join(errors[:5]), file=sys.stderr)
        return 1
    if args.save_best_model:
        best, run = result.best_model_path, result.best_run
        print(f"best model: {best} (trial {run.trial_id} {run.name.replace('_', ' ')}, the best configuration's best "
              "run)" if best else "best model: not saved: the best configuration's best run"
              + (f" (trial {run.trial_id} {run.name.replace('_', ' ')})" if run else "")
              + " was trained in an earlier session or round, whose weights are not kept; "
              "search.run_sweep(...).get_best_models() trains it again", file=sys.stderr)
    if result.report is not None:
        print(result.report)
    return 0


def _seconds_or_off(text: str) -> float:
    """--checkpoint-every's value: seconds, "off" being never (infinity)."""
    if text == "off":
        return math.inf
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise argparse.ArgumentTypeError(f"want seconds (0 or more) or 'off', got {text!r}")
    return seconds


def _options(args: argparse.Namespace) -> "RunOptions":
    from search.sweep.tuner import RunOptions
    # --checkpoint-every unset keeps RunOptions' default interval; "off" (infinity) is None, never.
    checkpoint = {} if args.checkpoint_every is None else {
        "checkpoint_every_s": None if math.isinf(args.checkpoint_every) else args.checkpoint_every}
    return RunOptions(tensorboard=args.tensorboard, save_best_model=args.save_best_model,
                      retry_failed=args.retry_failed, **checkpoint)


def _check_parallel_flags(args: argparse.Namespace) -> None:
    from rundir.errors import SweepError

    if args.workers < 0:
        raise SweepError(f"--workers must be 0 or more, got {args.workers}")
    if args.worker and (args.workers or args.chief):
        raise SweepError("--worker takes trials from a chief; it cannot be combined with --workers or --chief")
    if args.worker_id and not args.worker:
        raise SweepError("--worker-id names a worker; use it with --worker HOST:PORT")


def _parallel(args: argparse.Namespace, sweep_file: Path):
    """The chief's settings, or None for a plain single-process sweep."""
    from search.study import OVERRIDES, worker_args
    from search.sweep.distributed import LOOPBACK, Address
    from search.sweep.service import Parallel
    if not args.workers and not args.chief:
        return None
    overrides = {name: getattr(args, name) for name in OVERRIDES}
    where = Address.parse(args.chief, "--chief") if args.chief else Address(LOOPBACK, 0)
    return Parallel(args.workers, worker_args(sweep_file, _options(args), overrides, debug=args.debug,
                                              claims=args.claim),
                    where.host, where.port, remote=bool(args.chief))


def cli() -> None:
    """The process's entry (`python -m search.run`, `cnn-sweep`): `main`, then an exit with its status that
    a late SIGINT or SIGTERM cannot change. One landing after the sweep's work, while the interpreter and
    TensorFlow shut down (a second or more), used to kill the process by that signal though sweep.json said
    "finished" (2 of 20 SIGTERMs at random moments of a tiny sweep). Ignored, not handled: Python puts
    its own handlers back to the default as it shuts down, but leaves an ignored signal ignored."""
    code = main()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    cli()
