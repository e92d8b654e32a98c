"""Peak memory of a sweep: the images are held once per sweep, not per trial.

Each side (ours, and the plain Keras Tuner sweep) runs the same N-trial
sweep in a fresh subprocess, so nothing else of the benchmark process
counts, and records its peak RSS (VmHWM in /proc/self/status; not
`ru_maxrss`, which a child inherits from its parent across exec) after each
trial, everything of it done (our validation predictions and records, Keras
Tuner's checkpoint): as the next trial starts, and when the sweep returns.
Peak RSS also grows per trial for reasons that have nothing to do with the
data (TensorFlow's per-model functions and buffers, allocator caches; a
stock Keras Tuner sweep shows it too), so each side runs twice: on the
folder, and on a copy holding a fraction of its images (--memory-fraction,
0.25: same image size, so the same model and activations; only the data
differs). The difference between the two runs, divided by the difference
in decoded image bytes, counts the copies of the data a sweep holds:

    copies(k) = (peak_full(k) - peak_part(k)) / (data_full - data_part)

after trial k. Held once per sweep, copies(N) == copies(1); held per trial,
copies(N) == copies(1) + N - 1. (copies(k) counts everything that grows
with the number of images, e.g. the activations of a whole-validation-set
predict batch, so it is an upper bound on the copies of the data proper.)
Two JSON lines:

- `memory.per_trial`: (copies(N) - copies(1)) / (N - 1), the copies of the
  data each extra trial adds; target <= 0.25 (zero in theory).
- `memory.peak`: our peak RSS vs the plain sweep's, full folder (the plain
  sweep's `.cache()` holds the images as float32, 4x their uint8 size).
- `memory.slope`: copies(N), what peak RSS grows by per byte of decoded
  images over the whole sweep (issue 40: the images held once, so peak RSS
  is the framework's baseline plus at most 1.5x the raw uint8 pixels;
  `--memory-fraction 0.1` on a 3,000-image folder measures it between 300
  and 3,000 images).

The children run two at a time (peak RSS is per process; this changes no
number, only the wait). The child is
`python -m benchmarks.memory --child ours|plain ARGS_JSON`.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

from benchmarks.common import ROOT, Measurement, check, require_folder

TARGET_PER_TRIAL = "<= 0.25"
TARGET_PEAK = "<= 1.0"
TARGET_SLOPE = "<= 1.5"
MB = 1024 * 1024


def _status(key: str) -> int | None:
    """A size from /proc/self/status (Linux), in bytes."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes.

    Linux's VmHWM starts afresh at exec; `ru_maxrss` does not (getrusage(2):
    it survives execve), so a child started by a parent that had already
    trained would report the parent's peak as its own.
    """
    hwm = _status("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def current_rss() -> int:
    rss = _status("VmRSS")
    return rss if rss is not None else peak_rss()


# ---------------------------------------------------------------- child


def _child(side: str, opts: dict) -> dict:
    import keras  # noqa: F401  (imported before the first sample, like both sides' libraries)
    import keras_tuner  # noqa: F401

    from benchmarks.common import bench_sweep, instrument_sweep_epochs, warm_up_keras

    args = SimpleNamespace(**opts)
    if opts.get("warm_up", True):
        warm_up_keras()
    start_rss = current_rss()
    start_peak = peak_rss()
    peaks: list[int] = []
    rss: list[int] = []
    runs = [0]

    def sample():
        peaks.append(peak_rss())
        rss.append(current_rss())

    def run_start():
        # A run starting means the previous one is over, its predictions,
        # records and checkpoints included: sample "after trial k" here.
        if runs[0]:
            sample()
        runs[0] += 1

    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        if side == "ours":
            from search.sweep.engine import train_sweep
            from search.sweep.prepare import prepare
            sweep = bench_sweep(Path(args.data), model=args.model, image_size=args.image_size, trials=args.trials,
                                epochs=args.epochs, batch_size=args.batch_size,
                                validation_split=args.validation_split, name="memory")
            with instrument_sweep_epochs(on_run_start=run_start):
                prepared = prepare(sweep)
                loaded_rss = current_rss()
                d = prepared.data
                data_bytes = int(d.x_train.nbytes + d.x_val.nbytes)
                images = len(d.y_train) + len(d.y_val)
                result = train_sweep(prepared, Path(tmp) / "ours", quiet=True)
            sample()
            scores = [r.score for r in result.records]
        else:
            from benchmarks.baseline import plain_keras_tuner_sweep

            r = plain_keras_tuner_sweep(Path(args.data), model=args.model, image_size=args.image_size,
                                        trials=args.trials, epochs=args.epochs, batch_size=args.batch_size,
                                        validation_split=args.validation_split, directory=Path(tmp),
                                        on_run_start=run_start)
            sample()
            loaded_rss = None  # the tutorial pipeline decodes during the first epoch
            data_bytes = (r.n_train + r.n_val) * args.image_size * args.image_size * 3
            images = r.n_train + r.n_val
            scores = [t["score"] for t in r.trials]
    return {"side": side, "start_rss": start_rss, "start_peak": start_peak, "loaded_rss": loaded_rss,
            "peaks": peaks, "rss": rss, "final_peak": peak_rss(), "data_bytes": data_bytes, "scores": scores, "images": images}


def _spawn(jobs: dict[str, tuple[str, dict]]) -> dict[str, dict]:
    """Run the children {key: (side, opts)}, two at a time."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    results: dict[str, dict] = {}
    keys = list(jobs)
    for batch in (keys[i:i + 2] for i in range(0, len(keys), 2)):
        procs = {}
        for key in batch:
            side, opts = jobs[key]
            procs[key] = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.memory", "--child", side, json.dumps(opts)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for key, proc in procs.items():
            stdout, stderr = proc.communicate()
            lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
            if proc.returncode != 0 or not lines:
                raise RuntimeError(f"memory child ({key}) failed with status {proc.returncode}: "
                                   f"{stderr.strip()[-800:]}")
            results[key] = json.loads(lines[-1])
    return results


def part_of_folder(src: Path, dst: Path, fraction: float) -> Path:
    """Copy every class folder's first `fraction` of files (at least 2) to `dst`."""
    for folder in sorted(p for p in src.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(f for f in folder.rglob("*") if f.is_file() and not f.name.startswith("."))
        (dst / folder.name).mkdir(parents=True, exist_ok=True)
        for f in files[:max(2, int(len(files) * fraction))]:
            shutil.copyfile(f, dst / folder.name / f.name)
    return dst


# ---------------------------------------------------------------- parent


def _copies(full: dict, part: dict) -> list[float] | None:
    """Data copies held after each trial, from the full and the part run."""
    delta = full["data_bytes"] - part["data_bytes"]
    if delta <= 0:
        return None
    return [(a - b) / delta for a, b in zip(full["peaks"], part["peaks"])]


def _per_trial(copies: list[float] | None) -> float | None:
    if not copies or len(copies) < 2:
        return None
    return (copies[-1] - copies[0]) / (len(copies) - 1)


def run(args) -> list[Measurement]:
    data = require_folder("memory", args.data)
    opts = {"model": args.model, "image_size": args.image_size, "trials": max(args.trials, 2),
            "epochs": args.epochs, "batch_size": args.batch_size, "validation_split": args.validation_split}
    with tempfile.TemporaryDirectory(prefix="bench_memory_part_") as tmp:
        part = part_of_folder(Path(data), Path(tmp) / "part", args.memory_fraction)
        print(f"memory: ours and plain Keras Tuner, on the folder and on {args.memory_fraction:g} of it, "
              "each in a subprocess", file=sys.stderr, flush=True)
        runs = _spawn({
            "ours": ("ours", {**opts, "data": str(data)}),
            "plain": ("plain", {**opts, "data": str(data)}),
            "ours_part": ("ours", {**opts, "data": str(part)}),
            "plain_part": ("plain", {**opts, "data": str(part)}),
        })
    ours, plain = runs["ours"], runs["plain"]
    ours_copies, plain_copies = _copies(ours, runs["ours_part"]), _copies(plain, runs["plain_part"])
    ours_per_trial, plain_per_trial = _per_trial(ours_copies), _per_trial(plain_copies)
    data_bytes = ours["data_bytes"]
    ours_scores = [s for s in ours["scores"] if s is not None]
    plain_scores = [s for s in plain["scores"] if s is not None]
    common = dict(
        data=f"{data}: {data_bytes / MB:.1f} MB of decoded uint8 images (train + val), "
             f"vs {runs['ours_part']['data_bytes'] / MB:.1f} MB in the {args.memory_fraction:g} part; {args.model}",
        image_size=args.image_size,
        trials=len(ours["peaks"]),
        epochs=args.epochs,
        baseline_best=max(plain_scores) if plain_scores else None,
        ours_best=max(ours_scores) if ours_scores else None,
    )

    def mb(v):
        return None if v is None else v / MB

    details = {
        "data_mb": mb(data_bytes),
        "part_data_mb": mb(runs["ours_part"]["data_bytes"]),
        "ours_data_copies_after_each_trial": ours_copies,
        "baseline_data_copies_after_each_trial": plain_copies,
        "ours_peak_after_each_trial_mb": [mb(p) for p in ours["peaks"]],
        "ours_part_peak_after_each_trial_mb": [mb(p) for p in runs["ours_part"]["peaks"]],
        "baseline_peak_after_each_trial_mb": [mb(p) for p in plain["peaks"]],
        "baseline_part_peak_after_each_trial_mb": [mb(p) for p in runs["plain_part"]["peaks"]],
        "ours_rss_after_each_trial_mb": [mb(p) for p in ours["rss"]],
        "baseline_rss_after_each_trial_mb": [mb(p) for p in plain["rss"]],
        "ours_start_rss_mb": mb(ours["start_rss"]),
        "ours_after_load_rss_mb": mb(ours["loaded_rss"]),
        "baseline_start_rss_mb": mb(plain["start_rss"]),
    }
    peak_ratio = ours["final_peak"] / plain["final_peak"] if plain["final_peak"] else None
    return [
        Measurement(
            name="memory.per_trial",
            metric="copies of the decoded images each extra trial adds to peak RSS",
            unit="copies",
            baseline_is="plain Keras Tuner sweep (tf.data .cache())",
            ours_is="our sweep (images decoded once into uint8 arrays)",
            baseline=plain_per_trial,
            ours=ours_per_trial,
            ratio=ours_per_trial,
            ratio_means="ours: (copies after trial N - copies after trial 1) / (N - 1); 0 = held once per sweep, "
                        "1 = one more copy per trial",
            target=TARGET_PER_TRIAL,
            passed=check(ours_per_trial, TARGET_PER_TRIAL),
            details=details,
            **common,
        ),
        Measurement(
            name="memory.peak",
            metric="peak RSS of the whole sweep process",
            unit="MB",
            baseline_is="plain Keras Tuner sweep (tf.data .cache())",
            ours_is="our sweep",
            baseline=mb(plain["final_peak"]),
            ours=mb(ours["final_peak"]),
            ratio=peak_ratio,
            ratio_means="ours / baseline peak RSS",
            target=TARGET_PEAK,
            passed=check(peak_ratio, TARGET_PEAK),
            details={
                "ours_data_copies_at_end": ours_copies[-1] if ours_copies else None,
                "baseline_data_copies_at_end": plain_copies[-1] if plain_copies else None,
                "ours_start_rss_mb": details["ours_start_rss_mb"],
                "baseline_start_rss_mb": details["baseline_start_rss_mb"],
                "data_mb": details["data_mb"],
            },
            **common,
        ),
        Measurement(
            name="memory.slope",
            metric="peak RSS growth per byte of decoded uint8 images, after the last trial",
            unit="copies",
            baseline_is="plain Keras Tuner sweep (tf.data .cache())",
            ours_is="our sweep",
            baseline=plain_copies[-1] if plain_copies else None,
            ours=ours_copies[-1] if ours_copies else None,
            ratio=ours_copies[-1] if ours_copies else None,
            ratio_means="ours: (peak RSS, full folder - peak RSS, part) / (decoded bytes, full - part)",
            target=TARGET_SLOPE,
            passed=check(ours_copies[-1] if ours_copies else None, TARGET_SLOPE),
            details={"images": (ours["images"], runs["ours_part"]["images"]), "data_mb": details["data_mb"],
                     "part_data_mb": details["part_data_mb"]},
            **common,
        ),
    ]


def _main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "--child" and argv[1] in ("ours", "plain"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        result = _child(argv[1], json.loads(argv[2]))
        print(json.dumps(result), flush=True)
        return 0
    print("usage: python -m benchmarks memory [options]  (this module's own entry is the subprocess child)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
