"""What the report a sweep rewrites while it runs costs: the demo side by side, and a 1,000-run directory.

A sweep redraws report.html at its start, after runs end (at most once a
minute, and never more than 5% of its time: `search.sweep.live`), at each
round's end and when it stops. Two measurements:

- **demo**: `sweeps/digits.py` trained twice in this process, once with the
  live page and once without (the baseline: the report drawn only at the
  end, as before), alternating which goes first with --repeat. Both sides
  end with the same final report. `ratio` is the median wall time with the
  live page over the median without (target <= 1.05); `details.share` is the
  time spent drawing over the sweep's wall time, measured directly.
- **1,000 runs**: a synthetic run directory of 1,000 runs (status running,
  two rounds of seeds) and a sweep of --live-runs runs of --live-run-seconds
  each, simulated on a virtual clock: each run's end calls the real
  `LivePage`, which draws the real page of the 1,000-run directory when its
  rule allows. `ratio` is the share of the sweep's time spent drawing
  (target <= 0.05).

    python -m benchmarks live [--repeat N] [--live-runs 1000] [--live-run-seconds 3]
"""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, Measurement, check, median

DEMO = ROOT / "sweeps" / "digits.py"
SHARE_TARGET = "<= 0.05"
RATIO_TARGET = "<= 1.05"


class TimedDraw:
    """`reports.html.write_report`, timing every call."""

    def __init__(self) -> None:
        from reports.html import write_report

        self.write_report = write_report
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, run_dir: Path) -> Path:
        start = time.perf_counter()
        try:
            return self.write_report(run_dir)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def _demo_once(out: Path, live: bool) -> dict:
    """Train the demo into `out` (fresh) with or without the live page, then draw its final report."""
    from search.study import judge_and_report, open_study
    from search.sweep.engine import train_sweep
    from search.sweep.spec import load_sweep_file

    shutil.rmtree(out, ignore_errors=True)
    prepared, _ = open_study(load_sweep_file(DEMO), out)
    draw = TimedDraw() if live else None
    start = time.perf_counter()
    result = train_sweep(prepared, out, sweep_file=str(DEMO), quiet=True, draw=draw)
    judge_and_report(result.run_dir)
    wall = time.perf_counter() - start
    best = max((r.score for r in result.records if r.status == "completed"), default=None)
    return {"wall_s": wall, "draws": draw.calls if draw else 0, "draw_s": draw.seconds if draw else 0.0,
            "best": best, "runs": len(result.records)}


def demo(repeat: int = 1) -> Measurement:
    live, plain = [], []
    with tempfile.TemporaryDirectory(prefix="live_demo_") as tmp:
        for i in range(max(1, repeat)):
            order = (True, False) if i % 2 == 0 else (False, True)
            for side in order:
                (live if side else plain).append(_demo_once(Path(tmp) / ("live" if side else "plain"), side))
    ours, base = median(r["wall_s"] for r in live), median(r["wall_s"] for r in plain)
    ratio = ours / base if ours and base else None
    share = median(r["draw_s"] / r["wall_s"] for r in live)
    return Measurement(
        name="live",
        data=f"the demo, {DEMO.relative_to(ROOT)} ({live[0]['runs']} runs)",
        metric="whole-sweep wall time (training and the final report) with the report rewritten while it runs",
        unit="s",
        baseline_is="the same sweep without the live page (the report drawn once, at the end)",
        ours_is="the sweep rewriting report.html at its start and after runs end (search.sweep.live)",
        baseline=base, ours=ours, ratio=ratio, ratio_means="ours / baseline",
        target=RATIO_TARGET, passed=check(ratio, RATIO_TARGET),
        baseline_best=max(r["best"] for r in plain), ours_best=max(r["best"] for r in live),
        details={"share": round(share, 4), "draws": [r["draws"] for r in live],
                 "draw_s": [round(r["draw_s"], 2) for r in live], "repeat": max(1, repeat),
                 "live_wall_s": [round(r["wall_s"], 1) for r in live],
                 "plain_wall_s": [round(r["wall_s"], 1) for r in plain]},
    )


def synthetic(runs: int = 1000, run_seconds: float = 3.0, trials: int = 500) -> Measurement:
    """A sweep of `runs` runs of `run_seconds` each on a virtual clock, drawing a 1,000-run directory's page."""
    from rundir.manifest import Round, SeedPlan, read_manifest, write_manifest
    from rundir.synthetic import write_synthetic_run
    from search.sweep.live import LivePage
    from search.sweep.progress import Progress

    with tempfile.TemporaryDirectory(prefix="live_big_") as tmp:
        root = Path(tmp) / "big"
        write_synthetic_run(root, n_trials=trials, seeds=2, epochs=30, failed=range(7, trials, 37), n_val=300,
                            with_images=True, predictions_for="best", classes=[f"class {i}" for i in range(10)],
                            status="running", planned_trials=trials)
        write_manifest(root, read_manifest(root).with_changes(
            seeds=SeedPlan(2, 4, (2, 3, 4), in_rounds=True), rounds=(Round(1, 0, 2), Round(2, 2, 3)),
            rounds_finished=1, claims=("pooling-texture", "mixed-pooling")))
        virtual = [0.0]
        draw = TimedDraw()
        progress = Progress(runs, "val_accuracy", stream=io.StringIO(), quiet=True)
        page = LivePage(root, draw, progress, clock=lambda: virtual[0] + time.perf_counter())
        page.start()
        for _ in range(runs):
            virtual[0] += run_seconds
            progress.run_seconds.append(run_seconds)
            progress.done_runs += 1
            page.run_ended()
        total = runs * run_seconds + draw.seconds
        first = draw.seconds / max(draw.calls, 1)
    share = draw.seconds / total
    return Measurement(
        name="live",
        data=f"synthetic run directory: {trials} trials x 2 seeds x 30 epochs ({trials * 2} runs, 10 classes), "
             f"a simulated sweep of {runs} runs of {run_seconds:g} s",
        metric="share of the sweep's time spent rewriting report.html after runs end",
        unit="share",
        baseline_is="none: the rule's own budget (5% of the sweep's time)",
        ours_is="search.sweep.live.LivePage drawing reports.html.write_report",
        baseline=None, ours=share, ratio=share, ratio_means="drawing time / sweep time",
        target=SHARE_TARGET, passed=check(share, SHARE_TARGET),
        details={"draws": draw.calls, "draw_s_each": round(first, 3), "draw_s_total": round(draw.seconds, 2),
                 "sweep_s": round(total, 1)},
    )


def run(args) -> list[Measurement]:
    return [demo(args.repeat), synthetic(args.live_runs, args.live_run_seconds)]
