"""`python -m search.run SWEEP_FILE`: run a sweep, write its records and report.

Mistakes the user can fix print one line and exit with status 2; `--debug`
shows the traceback as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

DEFAULT_SWEEP = Path(__file__).resolve().parent.parent / "sweeps" / "digits.py"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit 2, like every other user error
        self.exit(2, f"error: {message} (see --help)\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = _Parser(prog="python -m search.run", description="Run a hyperparameter sweep described by a sweep file.")
    p.add_argument("sweep_file", nargs="?", default=None,
                   help="a sweep file such as sweeps/sneakers.py (default: the digits demo)")
    p.add_argument("--data", help="data folder to use instead of the sweep file's")
    p.add_argument("--out", help="run directory (default runs/<sweep name>)")
    p.add_argument("--max-trials", type=int, help="stop after this many configurations")
    p.add_argument("--epochs", type=int, help="epochs per run (overrides the article default)")
    p.add_argument("--image-size", type=int, help="resize images to N x N pixels")
    p.add_argument("--seeds", type=int, help="runs per configuration, with seeds 0..N-1")
    p.add_argument("--describe", action="store_true", help="print the search space and model size, then exit")
    p.add_argument("--no-report", action="store_true", help="do not write the HTML report")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return p.parse_args(argv)


def _one_line_warnings(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.showwarning = _one_line_warnings
    from search.errors import SweepError

    try:
        return _main(args)
    except SweepError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\ninterrupted: finished runs are saved; rerun the same command to resume", file=sys.stderr)
        return 130


def _main(args: argparse.Namespace) -> int:
    from search.engine import describe, prepare, run_sweep
    from search.sweep import load_sweep_file

    sweep_file = Path(args.sweep_file) if args.sweep_file else DEFAULT_SWEEP
    sweep = load_sweep_file(sweep_file).with_overrides(
        data=args.data, max_trials=args.max_trials, epochs=args.epochs, image_size=args.image_size, seeds=args.seeds
    )
    prepared = prepare(sweep)
    print(describe(prepared), file=sys.stderr if not args.describe else sys.stdout)
    if args.describe:
        return 0
    out = Path(args.out) if args.out else Path("runs") / sweep.name
    result = run_sweep(prepared, out, sweep_file=str(sweep_file), quiet=args.quiet, write_report=not args.no_report)
    done = sum(r.status == "completed" for r in result.records)
    failed = sum(r.status == "failed" for r in result.records)
    print(f"{done} runs completed, {failed} failed; records in {result.run_dir}", file=sys.stderr)
    if result.all_failed:
        errors = sorted({r.error for r in result.records})
        print("error: every run failed: " + "; ".join(errors[:5]), file=sys.stderr)
        return 1
    if result.report is not None:
        print(result.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
