"""Parallel trials: the same sweep with `--workers N` vs one process.

Each side is the real command, `python -m search.run SWEEP --quiet
--no-report`, timed from start to exit: Python and Keras start-up, data
loading and every run are inside, for the chief and for each worker. The
sweep is a grid over BENCH_SPACE with one seed per configuration, so both
sides train exactly the same runs; the best scores show that nothing was
lost. With --repeat N each pair runs N times, alternating which goes first,
and the medians are reported. On a CPU the workers split the cores between
them, so the gain comes from overlapping what one process leaves idle
(start-up, validation, small batches that cannot use every core).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import BENCH_SPACE, ROOT, Measurement, check, config_key, median, require_folder

TARGET = ">= 1.2"

SWEEP = """from search import *

sweep = Sweep(
    name="workers",
    data=ImageFolder({data!r}, validation_split={split!r}, seed=123, label_mode="categorical"),
    hypermodel={model},
    image_size={image_size},
    space={space!r},
    tuner="grid",
    max_trials={trials},
    epochs={epochs},
    seeds=1,
    early_stopping=None,
)
"""


def _sweep_file(args, data: Path, folder: Path) -> Path:
    path = folder / "workers_sweep.py"
    path.write_text(SWEEP.format(data=str(data), split=args.validation_split, model=args.model,
                                 image_size=args.image_size, space={**BENCH_SPACE, "batch_size": args.batch_size},
                                 trials=args.trials, epochs=args.epochs))
    return path


def _run(sweep_file: Path, out: Path, workers: int) -> dict:
    from rundir.records import RunDirectory

    argv = [sys.executable, "-m", "search.run", str(sweep_file), "--out", str(out), "--quiet", "--no-report"]
    if workers:
        argv += ["--workers", str(workers)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[3:])} failed: {done.stderr.strip().splitlines()[-1:]}")
    records = RunDirectory(out).read_runs()
    scores = [r.score for r in records if r.status == "completed"]
    return {
        "seconds": seconds,
        "runs": len(records),
        "configs": sorted(config_key(r.hyperparameters) for r in records),
        "workers_seen": sorted({r.worker for r in records}),
        "best": max(scores) if scores else None,
    }


def run(args) -> list[Measurement]:
    from search.sweep.thread_plan import for_new_sweep

    data = require_folder("workers", args.data)
    counts = [int(n) for n in str(args.worker_counts).split(",") if n.strip()]
    measurements = []
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        sweep_file = _sweep_file(args, data, Path(tmp))
        for n in counts:
            single, parallel = [], []
            for i in range(max(args.repeat, 1)):
                order = [(0, single), (n, parallel)] if i % 2 == 0 else [(n, parallel), (0, single)]
                for workers, results in order:
                    print(f"workers: {'one process' if not workers else f'{workers} workers'}, "
                          f"repeat {i + 1}/{args.repeat}", file=sys.stderr, flush=True)
                    results.append(_run(sweep_file, Path(tmp) / f"run-{workers}-{i}", workers))
            if single[0]["configs"] != parallel[0]["configs"]:
                raise RuntimeError("the two sides ran different configurations")
            base_s, ours_s = median(r["seconds"] for r in single), median(r["seconds"] for r in parallel)
            ratio = base_s / ours_s if base_s and ours_s else None
            measurements.append(Measurement(
                name=f"workers-{n}",
                data=f"{data}, {args.model}",
                metric="wall time of the whole `python -m search.run` command (start-up included)",
                unit="s",
                baseline_is="one process (no --workers)",
                ours_is=f"--workers {n} (chief + {n} worker processes)",
                baseline=base_s,
                ours=ours_s,
                ratio=ratio,
                ratio_means="one process seconds / --workers seconds",
                target=TARGET,
                passed=check(ratio, TARGET),
                image_size=args.image_size,
                trials=args.trials,
                epochs=args.epochs,
                baseline_best=median(r["best"] for r in single if r["best"] is not None),
                ours_best=median(r["best"] for r in parallel if r["best"] is not None),
                details={
                    "runs": single[0]["runs"],
                    "workers_used": parallel[0]["workers_seen"],
                    "single_seconds": [r["seconds"] for r in single],
                    "parallel_seconds": [r["seconds"] for r in parallel],
                    "cpu_threads_per_worker": for_new_sweep(n),
                },
            ))
    return measurements
