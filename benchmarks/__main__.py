"""`python -m benchmarks NAME [options]`: this project side by side with a baseline.

NAME is one of

  overhead   seconds per epoch inside a sweep vs bare model.fit on the same
             arrays (target ratio <= 1.1)
  sweep      whole-sweep wall time vs a plain Keras Tuner sweep as the
             articles' readers write it (target >= 2x faster, no accuracy lost)
  memory     peak RSS per extra trial vs the decoded images' size (the data is
             held once per sweep), and peak RSS vs the plain sweep
  precision  mixed_bfloat16 vs float32 training throughput and accuracy
  report     time to build the HTML report of a 1,000-trial sweep (<= 10 s)
  live       the report a sweep rewrites while it runs: the demo with it vs
             without (wall ratio <= 1.05), and the share of a simulated
             sweep's time spent redrawing a 1,000-run directory (<= 5%)
  workers    the same sweep with --workers N vs one process (wall time of
             the whole command; N from --worker-counts, default 2)
  pruning    epochs median stopping would save, and whether the sweep would
             still find its winner, replayed on a finished sweep (--runs DIR,
             or a grid it trains first)
  calibration  not a timing: false definitive verdict rate (target <= 5%),
             95% interval coverage (93-97%), power and the runs Seeds(3, 20)
             saves, on thousands of synthetic sweeps fed through the claims
             code; the tuned comparison (each side at its best settings) on
             worlds where it and the averaged answer differ, beside the naive
             best-of-both; claims a user states (Compare) on a numeric knob,
             a categorical one and a model's own metric; with --runs DIR
             also how often a finished sweep's decided claims keep their
             verdict when its seeds are resampled (>= 9/10)
  datacheck  what the data check adds to decoding the folder: the
             check's CPU time vs decoding's (target <= 10%), at 224 and
             64 px, with plain decoding (no file properties) beside it
  fused      fused seeds (a trial's seeds as one Keras program): the eyes
             claims sweep's wall time with fuse_seeds on vs off (target
             >= 1.4x, same claim verdicts), auto vs off, vs plain Keras
             Tuner; Hollywood at 64 px auto vs off (>= 0.97x) and what auto
             chose; with --gpu: fused vs plain Keras Tuner on one device
             (>= 10x), the largest K that fits, memory and compile time
             (--data: the eyes folder; --hollywood-data)
  tuning     not a timing: simultaneous coverage of the report's 95%
             tuning-curve bands (opda) on simulated sweeps of 4-64
             configurations, continuous and tied scores (--tuning-reps)
  stability  not a timing: one sweep file (--sweep-file, default
             sweeps/shoes_pooling.py on Fashion-MNIST) on --draws
             draws of its images (run folders under --runs); how often each claim's decided answer
             agrees across draws (target >= 9/10), today's two answers
             beside the single answer before issue 44 (trains; not in all)
  all        every one of the above but stability, in that order

Each measurement prints one JSON line (see benchmarks/common.py for its
keys) as soon as it is done, and a short table follows at the end. Progress
goes to stderr. Benchmarks that need --data skip, with a JSON line saying
why, where the folder is absent. Timings depend on what else the machine
runs: `machine.load_avg` in each line says how busy it was.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

NAMES = ("overhead", "sweep", "memory", "precision", "report", "live", "workers", "pruning", "calibration", "datacheck",
         "fused", "tuning")
TRAINING_ONLY = ("stability",)  # asked for by name only: `all` does not train K sweeps

# Per-benchmark defaults where one size does not fit all (each fits a few
# minutes on 2 CPU cores with the 1,800-image Hollywood folder).
DEFAULTS = {
    "overhead": {"image_size": 64, "trials": 4, "epochs": 4},
    "sweep": {"image_size": 64, "trials": 4, "epochs": 3},
    "memory": {"image_size": 128, "trials": 4, "epochs": 1},
    "precision": {"image_size": 224, "epochs": 3},
    "workers": {"image_size": 64, "trials": 8, "epochs": 3},
    "pruning": {"image_size": 64, "trials": 8, "epochs": 8},
    # fused: the eyes sweep file's own size, epochs and seeds unless given;
    # trials 0 = its whole grid (the Hollywood part: --hollywood-*).
    "fused": {"trials": 0},
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from benchmarks.common import DEFAULT_DATA

    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("name", choices=(*NAMES, *TRAINING_ONLY, "all"))
    p.add_argument("--data", type=Path,
                   help=f"folder of class sub-folders (default {DEFAULT_DATA}; fused: the eyes folder beside it)")
    p.add_argument("--model", default="HollywoodCNN", help="article HyperModel (default HollywoodCNN)")
    p.add_argument("--image-size", type=int, help="pixels per side (default: overhead/sweep 64, memory 128, precision 224)")
    p.add_argument("--trials", type=int, help="configurations per sweep (default 4)")
    p.add_argument("--epochs", type=int, help="epochs per trial (default: overhead 4, sweep/precision 3, memory 1)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--validation-split", type=float, default=0.1, help="as sweeps/hollywood.py (default 0.1)")
    p.add_argument("--repeat", type=int, default=1, help="sweep/precision/live: run both sides N times, alternating which goes first (medians "
                        "reported); report: build N times, fastest kept")
    p.add_argument("--images", type=int, default=300, help="precision: training images (default 300)")
    p.add_argument("--memory-fraction", type=float, default=0.25,
                   help="memory: share of each class folder in the smaller second run (default 0.25)")
    p.add_argument("--tolerance", type=float, default=0.05,
                   help="best validation accuracy ours may lose before a speed-up stops counting (default 0.05)")
    p.add_argument("--with-report", action="store_true", help="sweep: include writing our HTML report in our time")
    p.add_argument("--report-trials", type=int, default=1000)
    p.add_argument("--report-epochs", type=int, default=60)
    p.add_argument("--report-seeds", type=int, default=1)
    p.add_argument("--no-cli", action="store_true", help="report: skip the cold `python -m reports` timing")
    p.add_argument("--live-runs", type=int, default=1000, help="live: runs of the simulated sweep (default 1000)")
    p.add_argument("--live-run-seconds", type=float, default=3.0,
                   help="live: seconds per run of the simulated sweep (default 3)")
    p.add_argument("--worker-counts", default="2", help="workers: comma-separated worker counts (default 2)")
    p.add_argument("--median-stopping", type=int, default=0, metavar="E",
                   help="sweep: our side stops runs behind the median from epoch E (default 0: off)")
    p.add_argument("--runs", type=Path, help="pruning: replay on this finished sweep's run folder instead of training "
                        "one; calibration: resample this finished sweep's seeds")
    p.add_argument("--sweeps", type=int, default=1000,
                   help="calibration: synthetic sweeps per correlation, effect and design (default 1000)")
    p.add_argument("--auto-sweeps", type=int, default=300,
                   help="calibration: synthetic sweeps per case under Seeds(3, 20), each judged after every look "
                        "(default 300)")
    p.add_argument("--tuned-sweeps", type=int, default=1000,
                   help="calibration: synthetic sweeps per world and fixed design of the tuned comparison "
                        "(each side at its best settings; default 1000, 0 skips it)")
    p.add_argument("--stated-sweeps", type=int, default=1000,
                   help="calibration: synthetic sweeps per true effect and fixed design of claims a user states "
                        "(Compare: a numeric knob, a categorical one and a model's own metric; default 1000, 0 "
                        "skips it)")
    p.add_argument("--binary-sweeps", type=int, default=2000,
                   help="calibration: synthetic parts per world of a 0/1 outcome (did a run diverge?), where seeds "
                        "often all agree (default 2000, 0 skips it)")
    p.add_argument("--sd", type=float, default=0.03, help="calibration: spread of one paired difference (default 0.03)")
    p.add_argument("--correlations", default="0,0.2,0.4,0.6,0.8",
                   help="calibration: within-seed correlations of the paired differences (default 0,0.2,0.4,0.6,0.8)")
    p.add_argument("--partitions", default="0,0.5,1,2", metavar="SDS",
                   help="calibration: partition effects of the fold sweeps, in units of --sd (default 0,0.5,1,2; "
                        "'' for none): 5 folds, a fresh partition per seed against one partition for every seed")
    p.add_argument("--schedules", default="", metavar="LOOKS;LOOKS",
                   help="calibration: also compare sequential designs with these looks on the same sweeps, e.g. "
                        "'3,5,8,12,18,20;3,4,5,6,8,10,12,15,20' (default: none)")
    p.add_argument("--resamples", type=int, default=20, help="calibration --runs: seed resamples (default 20)")
    p.add_argument("--effects", default="", metavar="NAMES",
                   help="calibration: true effects to simulate, comma-separated from 'zero', 'half the margin', "
                        "'margin', 'twice the margin' (default all)")
    p.add_argument("--calibration-seed", type=int, default=0, help="calibration: random seed (default 0)")
    p.add_argument("--after-epochs", default="1,2,3,4",
                   help="pruning: comma-separated after_epochs values to replay (default 1,2,3,4)")
    p.add_argument("--seeds", type=int, help="sweep, pruning: seeds per configuration (default 1); the plain sweep "
                        "of `sweep` runs each trial as many times (executions_per_trial); fused: default the sweep "
                        "files' 5")
    p.add_argument("--eyes-sides", default="on,off,auto,plain",
                   help="fused: which sides of the eyes sweep run: on,off and any of auto,plain (default all four)")
    p.add_argument("--hollywood-data", type=Path, help="fused: the Hollywood folder (default the shared one)")
    p.add_argument("--hollywood-size", type=int, help="fused: Hollywood pixels per side (default 64; --gpu 224)")
    p.add_argument("--hollywood-epochs", type=int, default=3, help="fused: Hollywood epochs per run (default 3)")
    p.add_argument("--hollywood-trials", type=int,
                   help="fused: Hollywood grid configurations (default 2; --gpu 0 = the whole grid)")
    p.add_argument("--gpu", action="store_true", help="fused: the GPU measurements (fused vs plain Keras Tuner, "
                        "largest K); runs on a CPU too, and says so")
    p.add_argument("--keep-runs", type=Path, metavar="DIR",
                   help="fused: write the sides' run folders into DIR and keep them (default: a temporary folder)")
    p.add_argument("--max-k", type=int, default=64, help="fused --gpu: largest K tried (default 64)")
    p.add_argument("--k-steps", type=int, default=20, help="fused --gpu: training steps per fit of each K (default 20)")
    p.add_argument("--tuning-reps", type=int, default=400, help="tuning: simulated sweeps per case (default 400)")
    p.add_argument("--sweep-file", type=Path, help="stability: the sweep file (default sweeps/shoes_pooling.py)")
    p.add_argument("--stability-seed", type=int, default=0, help="stability: the first draw's data seed (default 0)")
    p.add_argument("--draws", type=int, default=5, help="stability: draws of the images, one sweep each (default 5)")
    p.add_argument("--jsonl", type=Path, help="also append the JSON lines to this file")
    p.add_argument("--strict", action="store_true", help="exit with status 1 if a measurement misses its target")
    return p.parse_args(argv)


def _with_defaults(args: argparse.Namespace, name: str) -> argparse.Namespace:
    from benchmarks.common import DEFAULT_DATA

    values = dict(vars(args))
    for key, value in DEFAULTS.get(name, {}).items():
        if values.get(key) is None:
            values[key] = value
    if values["trials"] is None:
        values["trials"] = 4
    values["data_given"] = values["data"] is not None
    if name != "fused":
        values["data"] = values["data"] or DEFAULT_DATA
        values["seeds"] = values["seeds"] or 1
    return argparse.Namespace(**values)


def _report(args) -> list:
    from benchmarks.common import Measurement, check
    from benchmarks.report_speed import LIMIT_S, measure

    r = measure(args.report_trials, args.report_epochs, args.report_seeds, repeat=args.repeat, cli=not args.no_cli)
    ratio = r["build_s"] / LIMIT_S
    target = "<= 1"
    return [Measurement(
        name="report",
        data=f"synthetic run directory: {r['trials']} trials x {r['seeds']} seed(s) x {r['epochs']} epochs",
        metric="seconds to build the HTML report (reports.html.write_report, libraries loaded)",
        unit="s",
        baseline_is="none: nothing else builds this report; the target is a 10 s budget",
        ours_is="reports.html.write_report",
        baseline=None,
        ours=r["build_s"],
        ratio=ratio,
        ratio_means=f"ours / {LIMIT_S:g} s budget",
        target=target,
        passed=check(ratio, target),
        trials=r["trials"],
        epochs=r["epochs"],
        details={k: r[k] for k in ("import_s", "generate_s", "cli_s", "report_bytes", "seeds")},
    )]


def _runner(name: str):
    if name == "overhead":
        from benchmarks.overhead import run
    elif name == "sweep":
        from benchmarks.sweep_speed import run
    elif name == "memory":
        from benchmarks.memory import run
    elif name == "precision":
        from benchmarks.precision import run
    elif name == "workers":
        from benchmarks.workers import run
    elif name == "datacheck":
        from benchmarks.datacheck import run
    elif name == "pruning":
        from benchmarks.pruning import run
    elif name == "calibration":
        from benchmarks.calibration import run
    elif name == "fused":
        from benchmarks.fused import run
    elif name == "tuning":
        from benchmarks.tuning_coverage import run
    elif name == "stability":
        from benchmarks.stability import run
    elif name == "live":
        from benchmarks.live_report import run
    else:
        run = _report
    return run


def _quiet_libraries() -> None:
    """Keep stderr to our progress lines: Keras' notice that tf.data ignores
    fit's default shuffle=True (the plain side), TensorFlow's retracing notes."""
    warnings.filterwarnings("ignore", message=".*`shuffle=True` was passed.*")
    try:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    except ImportError:  # pragma: no cover
        pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _quiet_libraries()
    from benchmarks.common import Skip, machine, skipped, summary_table

    names = NAMES if args.name == "all" else (args.name,)
    lines: list[str] = []
    for name in names:
        bench_args = _with_defaults(args, name)
        started = time.perf_counter()
        info = machine()  # load average as the measurement starts
        try:
            # Only JSON lines and the table go to stdout; library chatter
            # (Keras Tuner's "Reloading Tuner from ...") goes to stderr.
            with contextlib.redirect_stdout(sys.stderr):
                measurements = _runner(name)(bench_args)
        except Skip as exc:
            print(f"{name}: skipped: {exc}", file=sys.stderr)
            out = [skipped(name, str(exc))]
        else:
            out = []
            for m in measurements:
                m.machine = info
                m.details.setdefault("benchmark_s", round(time.perf_counter() - started, 1))
                out.append(m.to_json())
        for line in out:
            print(line, flush=True)
            if args.jsonl:
                with open(args.jsonl, "a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
        lines += out
    print()
    print(summary_table(lines))
    if "calibration" in names:
        from benchmarks.binary_calibration import table as binary_table
        from benchmarks.calibration import table
        from benchmarks.stated_calibration import table as stated_table
        from benchmarks.tuned_calibration import table as tuned_table

        print()
        print(table(lines))
        print()
        print(tuned_table(lines))
        print()
        print(stated_table(lines))
        print()
        print(binary_table(lines))
    if "stability" in names:
        from benchmarks.stability import table as stability_table

        print()
        print(stability_table(lines))
    if args.strict and any('"pass": false' in line for line in lines):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
