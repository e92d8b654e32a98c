"""How long does the report take for a big sweep? 1,000 trials x 60 epochs.

A study builds the report (search.study) at the end of every sweep, and people rebuild
it while a sweep runs, so it must stay fast for large sweeps (target: under
10 s on a 2-core machine). This writes a synthetic run directory with the
project's own RunDirectory/RunRecord in a temporary folder, builds the
report, and prints one JSON line:

    python -m benchmarks report [--report-trials N] [--report-epochs E] [--report-seeds S]
    python -m benchmarks.report_speed [--trials N] [--epochs E] [--seeds S]   (old entry, bare line)

`build_s` is the time of `reports.html.write_report` (reading every record,
computing, plotting, rendering, writing) in a process where the libraries
are already imported, as in the engine; `import_s` is the one-off cost of
importing the report modules (matplotlib, pandas, scipy); `cli_s` is a cold
`python -m reports RUN_DIR` in a fresh process, everything included (most
of it is importing `search`, whose package __init__ loads Keras/TensorFlow).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


LIMIT_S = 10.0


def measure(trials: int = 1000, epochs: int = 60, seeds: int = 1, repeat: int = 1, cli: bool = True) -> dict:
    """Time the report of a synthetic sweep; `cli=False` skips the cold `python -m reports` run."""
    import rundir.records  # noqa: F401  (untimed: the engine has it loaded already)

    start = time.perf_counter()
    import reports.html  # timed: matplotlib, pandas, scipy, jinja2 and the report modules

    import_s = time.perf_counter() - start
    from rundir.synthetic import write_synthetic_run

    with tempfile.TemporaryDirectory(prefix="report_speed_") as tmp:
        root = Path(tmp) / "big"
        start = time.perf_counter()
        write_synthetic_run(root, n_trials=trials, seeds=seeds, epochs=epochs,
                            failed=range(7, trials, 37), n_val=300, with_images=True,
                            predictions_for="best", classes=[f"class {i}" for i in range(10)])
        generate_s = time.perf_counter() - start
        timings = []
        for _ in range(max(repeat, 1)):
            start = time.perf_counter()
            path = reports.html.write_report(root)
            timings.append(time.perf_counter() - start)
        size = path.stat().st_size
        cli_s = None
        if cli:
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "reports", str(root)], capture_output=True, text=True)
            cli_s = time.perf_counter() - start
            if done.returncode != 0:
                raise RuntimeError(f"python -m reports failed: {done.stderr.strip()[-500:]}")
    return {
        "benchmark": "report_speed",
        "trials": trials,
        "seeds": seeds,
        "epochs": epochs,
        "build_s": round(min(timings), 3),
        "import_s": round(import_s, 3),
        "generate_s": round(generate_s, 3),
        "cli_s": None if cli_s is None else round(cli_s, 3),
        "report_bytes": size,
        "limit_s": LIMIT_S,
        "ok": min(timings) < LIMIT_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="build this many times, report the fastest")
    args = parser.parse_args(argv)
    try:
        result = measure(args.trials, args.epochs, args.seeds, args.repeat)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
