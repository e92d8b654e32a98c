"""Fused seeds (search.training.fused): a trial's seeds as the towers of one program.

CPU mode (default), each comparison in one process, sides alternating order
with --repeat:

  fused.eyes          sweeps/eyes_claims.py (--data, default the shared
                      eyes folder; its own 24 px, epochs and 5 seeds unless
                      --image-size/--epochs/--seeds; --trials N: the first N
                      grid configurations, 0 = the whole grid): whole-sweep
                      wall time of fuse_seeds=True vs fuse_seeds=False
                      (one seed after another, the engine before fusion);
                      target >= 1.4x. `details.same_verdicts`: whether the
                      two run folders' claims.csv agree on every claim's
                      verdict and Holm-adjusted verdict.
  fused.eyes_auto     the same sweep with fuse_seeds="auto" vs False
                      (target >= 0.97: auto must not cost more than noise)
  fused.eyes_plain    fuse_seeds=True vs a plain Keras Tuner sweep as the
                      articles' readers write it (informative, no target)
                      (--eyes-sides: which of on,off,auto,plain run;
                      default all four)
  fused.hollywood     sweeps/hollywood_claims.py on --hollywood-data at
                      --hollywood-size (64) px, --hollywood-epochs (3),
                      --hollywood-trials (2): auto vs fuse_seeds=False,
                      target >= 0.97, and what auto chose and why
                      (RUN_DIR/fused_seeds.json)

--gpu mode (meant for KERAS_BACKEND=jax on an NVIDIA GPU, no TensorFlow):

  fused.gpu.hollywood Hollywood at --hollywood-size (224 in this mode) and
  fused.gpu.eyes      the eyes sweep: fuse_seeds=True vs the plain Keras
                      Tuner sweep (one execution after another) on the
                      same device; target >= 10x, with the mean and SD of
                      every run's best score on each side
  fused.gpu.max_k     programs of K = 2, 4, ... copies of the Hollywood
                      model (search.training.fused.tower_model, and on JAX the
                      vmapped program of search.training.fused_jax, which
                      fuse_seeds=True trains there; K = 1: the model
                      alone) fitted for
                      --k-steps steps each until out of memory or --max-k:
                      the largest K that fits, peak memory per K (jax:
                      peak_bytes_in_use; TensorFlow GPU: peak; CPU: peak
                      RSS, both monotonic over the process), and the split
                      of each fit into compilation (first fit minus a
                      second) and steady steps

It runs on a CPU too (with either backend), says so ("gpu": false in
details, a line on stderr) and measures nothing a GPU would.

The plain side: the reader decodes the folder to NumPy arrays (with this
project's decoder, which needs no TensorFlow, so both sides read the same
arrays and the GPU machine needs no tf.data), declares the sweep's
hyperparameters in a stock `kt.GridSearch` (executions_per_trial = seeds,
Keras Tuner's default best-epoch checkpointing on) over the same article
HyperModel's `build`, and fits with plain `model.fit(x, y, batch_size,
epochs, validation_data, shuffle=True)`. Each of our sides: the sweep file
loaded as `python -m search.run` does (`with_overrides`), `prepare` (the
decoding) and `train_sweep` without the HTML report; claims.csv is written
afterwards, outside the clock, to compare verdicts.
"""

from __future__ import annotations

import contextlib
import gc
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ROOT, Measurement, Skip, check, instrument_sweep_epochs, median, skipped, timed, warm_page_cache,
    warm_up_keras,
)

DATASETS = ROOT.parent / "shared" / "datasets"
EYES_SWEEP = ROOT / "sweeps" / "eyes_claims.py"
HOLLYWOOD_SWEEP = ROOT / "sweeps" / "hollywood_claims.py"
TARGET_FUSED = ">= 1.4"
TARGET_AUTO = ">= 0.97"
TARGET_GPU = ">= 10"
SIDES = {True: "on", False: "off", "auto": "auto"}


class SkippedPart:
    """A part of the benchmark that could not run; main() prints its JSON line like a Measurement's."""

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason
        self.machine: dict = {}
        self.details: dict = {}

    def to_json(self) -> str:
        return skipped(self.name, self.reason)


def say(text: str) -> None:
    print(f"fused: {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- devices


def gpu_found() -> tuple[bool, str]:
    from search.training import device
    described = device.describe_device()
    return device.gpu_count() > 0, described


def peak_memory() -> tuple[int | None, str]:
    """Peak memory so far and what it is: the accelerator's where the backend says, else the process's RSS."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            dev = jax.devices()[0]
            if dev.platform != "cpu":
                stats = dev.memory_stats() or {}
                if "peak_bytes_in_use" in stats:
                    return int(stats["peak_bytes_in_use"]), "jax device peak_bytes_in_use"
        elif backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                return int(tf.config.experimental.get_memory_info("GPU:0")["peak"]), "tensorflow GPU:0 peak"
    except Exception:  # informative only
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "process peak RSS (ru_maxrss)"


def _is_out_of_memory(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return isinstance(exc, MemoryError) or any(
        s in text for s in ("resource_exhausted", "resourceexhausted", "out of memory", "oom", "failed to allocate"))


# ---------------------------------------------------------------- the sides


def load_sweep(file: Path, data: Path, *, image_size=None, epochs=None, seeds=None, trials=None, fuse=None):
    """The sweep file with command-line overrides, as `python -m search.run` applies them."""
    from search.sweep.spec import load_sweep_file

    return load_sweep_file(file).with_overrides(data=str(data), image_size=image_size, epochs=epochs, seeds=seeds,
                                                max_trials=trials or None, fuse_seeds=fuse)


def _spread(values: list[float]) -> dict[str, Any]:
    values = [float(v) for v in values if v is not None]
    return {"n": len(values), "mean": statistics.fmean(values) if values else None,
            "sd": statistics.stdev(values) if len(values) > 1 else None}


def _epoch_split(clocks) -> dict[str, Any]:
    """Compilation vs steady: the first epoch of each run (tracing included) vs its later ones."""
    return {
        "first_epoch_s": median(c.end[0] - c.begin[0] for c in clocks if c.end),
        "steady_epoch_s": median(x for c in clocks for x in c.steady_seconds()),
        "in_epochs_s": sum(c.total() for c in clocks),
    }


def run_ours(sweep, out: Path, verdicts: bool = False) -> dict[str, Any]:
    """Prepare and run the sweep into `out`; claims.csv (when asked) is written after the clock stops."""
    from search.sweep.engine import train_sweep
    from search.sweep.prepare import prepare
    from search.study import judge_and_report

    with instrument_sweep_epochs() as timing:
        prepared, prepare_s = timed(prepare, sweep)
        result, sweep_s = timed(train_sweep, prepared, out, quiet=True)
    records = result.records
    failed = [r.error for r in records if r.status != "completed"]
    if failed:
        raise RuntimeError(f"our sweep ({out.name}) had failed runs: {failed[:3]}")
    # A fused program's members each time the program's epochs: count them once (runs one after
    # another never overlap; members of one program do).
    clocks: list = []
    for c in timing.clocks:
        if not c.begin or not c.end:
            continue
        if clocks and c.begin[0] < clocks[-1].end[0]:
            continue
        clocks.append(c)
    by_trial: dict[str, list[float]] = {}
    for r in records:
        by_trial.setdefault(r.trial_id, []).append(r.score)
    choice_file = out / "fused_seeds.json"  # a measured choice; otherwise the rule's, as the sweep header says it
    if choice_file.exists():
        choice = json.loads(choice_file.read_text())
    else:
        from dataclasses import asdict

        from search.training.fusion import sweep_choice

        choice = asdict(sweep_choice(prepared.sweep, prepared.hypermodel))
    row = {
        "seconds": prepare_s + sweep_s,
        "prepare_s": prepare_s,
        "runs": len(records),
        "trials": len(by_trial),
        "configs": sorted({_config(r.hyperparameters, prepared.sweep.space) for r in records}),
        "run_best": [r.score for r in records],
        "best": max(statistics.fmean(v) for v in by_trial.values()),
        "fused_counts": {str(k): v for k, v in sorted(Counter(r.fused for r in records).items())},
        "choice": choice,
        "n_train": len(prepared.data.y_train),
        "n_val": len(prepared.data.y_val),
        **_epoch_split(clocks),
    }
    if verdicts:
        from claims.verdicts import read_claims_csv

        judge_and_report(out)
        row["verdicts"] = [(c.claim, c.verdict, c.adjusted_verdict) for c in read_claims_csv(out / "claims.csv")]
    return row


def _config(values: dict, space: dict) -> tuple:
    """A configuration as a hashable key over the sweep's tuned names."""
    tuned = sorted(k for k, v in space.items() if isinstance(v, (list, tuple)) and len(v) > 1)
    return tuple((k, str(values.get(k))) for k in tuned)


def run_plain(sweep, out: Path) -> dict[str, Any]:
    """The readers' Keras Tuner sweep on the same arrays (see the module docstring)."""
    import keras_tuner as kt

    from benchmarks.common import clock_callback
    from search.sweep.schedule import schedule_claims
    from search.sweep.space import declare_space
    from search.training.one_run import training_arrays

    start = time.perf_counter()
    data = sweep.data.load(sweep.image_size, sweep.resize)
    arrays = training_arrays(data, sweep.data.label_mode)
    load_s = time.perf_counter() - start
    scheduled = schedule_claims(sweep)  # the claims' configurations (e.g. pooling_3), as our side trains them
    cls = scheduled.hypermodel

    def fit(self, hp, model, x, y, validation_data=None, **kwargs):
        batch_size, epochs = self.batch_and_epochs(hp)
        return model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=validation_data, shuffle=True,
                         **kwargs)

    plain = type(f"Plain{cls.__name__}", (cls,), {"fit": fit})
    hypermodel = plain(data.input_shape, data.num_classes, label_mode=sweep.data.label_mode,
                       **scheduled.hypermodel_args)
    best_per_run: list[float] = []
    objective = sweep.objective
    import keras

    class RunBest(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.values = []

        def on_epoch_end(self, epoch, logs=None):
            if logs and objective in logs:
                self.values.append(float(logs[objective]))

        def on_train_end(self, logs=None):
            if self.values:
                best_per_run.append(max(self.values))

    clocks: list = []
    tuner = kt.GridSearch(hypermodel, objective=objective, max_trials=sweep.max_trials or None,
                          hyperparameters=declare_space(scheduled), executions_per_trial=int(sweep.seeds),
                          tune_new_entries=False, directory=str(out), project_name="plain_keras_tuner",
                          overwrite=True)
    tuner.search(arrays.x, arrays.y, validation_data=(arrays.x_val, arrays.y_val), verbose=0,
                 callbacks=[RunBest(), clock_callback(clocks)])
    seconds = time.perf_counter() - start
    trials = list(tuner.oracle.trials.values())
    scores = [t.score for t in trials if t.score is not None]
    return {
        "seconds": seconds,
        "prepare_s": load_s,
        "runs": len(best_per_run),
        "trials": len(trials),
        "configs": sorted({_config(t.hyperparameters.values, scheduled.space) for t in trials}),
        "run_best": best_per_run,
        "best": max(scores) if scores else None,
        **_epoch_split(clocks),
    }


def _cleanup() -> None:
    import keras

    keras.backend.clear_session()
    gc.collect()


def alternate(sides: dict[str, Any], repeat: int, tmp: Path, label: str) -> dict[str, list[dict]]:
    """Run every side `repeat` times, the order reversed on every other repeat."""
    names = list(sides)
    results: dict[str, list[dict]] = {n: [] for n in names}
    for i in range(max(1, repeat)):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            say(f"{label}: repeat {i + 1}/{repeat}, {name}")
            results[name].append(sides[name](tmp / f"{label}_{name}_{i}"))
            _cleanup()
    return results


def _seconds(runs: list[dict]) -> float | None:
    return median(r["seconds"] for r in runs)


def _side_details(prefix: str, runs: list[dict]) -> dict[str, Any]:
    first = runs[0]
    out = {
        f"{prefix}_seconds": [r["seconds"] for r in runs],
        f"{prefix}_prepare_s": first["prepare_s"],
        f"{prefix}_first_epoch_s": first["first_epoch_s"],
        f"{prefix}_steady_epoch_s": first["steady_epoch_s"],
        f"{prefix}_in_epochs_s": first["in_epochs_s"],
        f"{prefix}_runs": first["runs"],
        f"{prefix}_run_best": _spread(first["run_best"]),
    }
    if "fused_counts" in first:
        out[f"{prefix}_fused_counts"] = first["fused_counts"]
    if first.get("choice") is not None:
        out[f"{prefix}_choice"] = first["choice"]
    return out


def _speedup(name, *, data, metric, baseline_is, ours_is, base, ours, target, image_size, trials, epochs,
             details) -> Measurement:
    base_s, ours_s = _seconds(base), _seconds(ours)
    ratio = base_s / ours_s if base_s and ours_s else None
    return Measurement(
        name=name, data=data, metric=metric, unit="s", baseline_is=baseline_is, ours_is=ours_is,
        baseline=base_s, ours=ours_s, ratio=ratio, ratio_means="baseline / ours wall time (speed-up)",
        target=target, passed=check(ratio, target) if target else None, image_size=image_size, trials=trials,
        epochs=epochs, baseline_best=median(r["best"] for r in base if r["best"] is not None),
        ours_best=median(r["best"] for r in ours if r["best"] is not None), details=details,
    )


# ---------------------------------------------------------------- CPU mode


def eyes_cpu(args, folder: Path, tmp: Path) -> list[Measurement]:
    def sweep(fuse):
        return load_sweep(EYES_SWEEP, folder, image_size=args.image_size, epochs=args.epochs, seeds=args.seeds,
                          trials=args.trials, fuse=fuse)

    base = sweep(False)
    every = {
        "plain": lambda out: run_plain(base, out),
        "off": lambda out: run_ours(sweep(False), out, verdicts=True),
        "on": lambda out: run_ours(sweep(True), out, verdicts=True),
        "auto": lambda out: run_ours(sweep("auto"), out),
    }
    wanted = [x for x in args.eyes_sides.split(",") if x]
    unknown = sorted(set(wanted) - set(every))
    if unknown or not {"on", "off"} <= set(wanted):
        raise SystemExit(f"error: --eyes-sides takes on,off and any of auto,plain; got {args.eyes_sides!r}")
    r = alternate({k: v for k, v in every.items() if k in wanted}, args.repeat, tmp, "eyes")
    on, off = r["on"][0], r["off"][0]
    same_verdicts = on["verdicts"] == off["verdicts"]
    data = f"{folder}: {on['n_train']} train / {on['n_val']} val images, {EYES_SWEEP.relative_to(ROOT)}"
    common = dict(data=data, image_size=base.image_size, trials=on["trials"], epochs=base.epochs)
    seeds = int(base.seeds)
    details = {
        "seeds": seeds,
        "same_verdicts": same_verdicts,
        "verdicts_on": on["verdicts"],
        "verdicts_off": off["verdicts"],
        "same_configurations": on["configs"] == off["configs"] == (r["plain"][0]["configs"] if "plain" in r
                                                                   else on["configs"]),
        **_side_details("off", r["off"]), **_side_details("on", r["on"]),
        "auto_seconds": [x["seconds"] for x in r.get("auto", [])],
        "plain_seconds": [x["seconds"] for x in r.get("plain", [])],
        "repeats": len(r["on"]),
    }
    fused = _speedup("fused.eyes", metric="whole sweep wall time (decoding included, HTML report not)",
                     baseline_is="fuse_seeds=False: each seed fits on its own (the engine before fused seeds)",
                     ours_is=f"fuse_seeds=True: each trial's {seeds} seeds fit as one program", base=r["off"],
                     ours=r["on"], target=TARGET_FUSED, details=details, **common)
    if fused.passed is not None:
        fused.passed = fused.passed and same_verdicts
    out = [fused]
    if "auto" in r:
        out.append(_speedup("fused.eyes_auto", metric="whole sweep wall time", baseline_is="fuse_seeds=False",
                            ours_is="fuse_seeds='auto' (measures on the first trial, keeps the faster way)",
                            base=r["off"], ours=r["auto"], target=TARGET_AUTO,
                            details={**_side_details("auto", r["auto"]), "seeds": seeds}, **common))
    if "plain" in r:
        out.append(_speedup(
            "fused.eyes_plain", metric="whole sweep wall time",
            baseline_is=f"plain Keras Tuner: kt.GridSearch on decoded arrays, executions_per_trial={seeds}, "
                        "default best-epoch checkpointing",
            ours_is="fuse_seeds=True", base=r["plain"], ours=r["on"], target="",
            details={**_side_details("plain", r["plain"]), **_side_details("on", r["on"]), "seeds": seeds}, **common))
    return out


def hollywood_cpu(args, folder: Path, tmp: Path) -> list[Measurement]:
    def sweep(fuse):
        return load_sweep(HOLLYWOOD_SWEEP, folder, image_size=args.hollywood_size, epochs=args.hollywood_epochs,
                          seeds=args.seeds, trials=args.hollywood_trials, fuse=fuse)

    sides = {"off": lambda out: run_ours(sweep(False), out), "auto": lambda out: run_ours(sweep("auto"), out)}
    r = alternate(sides, args.repeat, tmp, "hollywood")
    auto = r["auto"][0]
    choice = auto.get("choice") or {}
    s = sweep("auto")
    return [_speedup(
        "fused.hollywood", data=f"{folder}: {auto['n_train']} train / {auto['n_val']} val images, "
                                f"{HOLLYWOOD_SWEEP.relative_to(ROOT)}",
        metric="whole sweep wall time (decoding included, HTML report not)", baseline_is="fuse_seeds=False",
        ours_is="fuse_seeds='auto'", base=r["off"], ours=r["auto"], target=TARGET_AUTO, image_size=s.image_size,
        trials=auto["trials"], epochs=s.epochs,
        details={"auto_fused": choice.get("fuse"), "auto_reason": choice.get("reason"), "seeds": int(s.seeds),
                 "repeats": len(r["auto"]), **_side_details("off", r["off"]), **_side_details("auto", r["auto"])},
    )]


# ---------------------------------------------------------------- GPU mode


def gpu_sweep(name: str, sweep, folder: Path, tmp: Path, args, gpu: bool, described: str) -> Measurement:
    fused = sweep.with_overrides(fuse_seeds=True)
    sides = {"plain": lambda out: run_plain(sweep, out), "fused": lambda out: run_ours(fused, out)}
    r = alternate(sides, args.repeat, tmp, name)
    plain, ours = r["plain"][0], r["fused"][0]
    details = {
        "gpu": gpu, "device": described, "seeds": int(sweep.seeds), "repeats": len(r["fused"]),
        "same_configurations": plain["configs"] == ours["configs"],
        **_side_details("plain", r["plain"]), **_side_details("fused", r["fused"]),
    }
    a, b = details["plain_run_best"], details["fused_run_best"]
    if a["mean"] is not None and b["mean"] is not None:
        # Same distribution of best scores: the means' gap against the runs' spread.
        details["run_best_mean_gap"] = b["mean"] - a["mean"]
        details["run_best_gap_within_tolerance"] = abs(b["mean"] - a["mean"]) <= args.tolerance
    if not gpu:
        details["note"] = "no GPU found: measured on the CPU, says nothing about a GPU"
    return _speedup(
        f"fused.gpu.{name}", data=f"{folder}: {ours['n_train']} train / {ours['n_val']} val images",
        metric="whole sweep wall time on one device (decoding included); best = median over trials of the mean "
               "seed score, details.*_run_best = every run's best score",
        baseline_is=f"plain Keras Tuner, executions_per_trial={int(sweep.seeds)} one after another, same arrays",
        ours_is="fuse_seeds=True: each trial's seeds as one program", base=r["plain"], ours=r["fused"],
        target=TARGET_GPU, image_size=sweep.image_size, trials=ours["trials"], epochs=sweep.epochs, details=details)


def _fit_k(program: str, hm, hp, k: int, x, y, batch_size: int, steps: int) -> dict:
    """Build K seeds' models as `program` ("tower" or "vmap") and fit it twice for `steps` steps."""
    import keras

    from search.training.callbacks import EpochLog
    from search.training.fused import tower_model
    from search.training.members import Member, member_name
    from search.training.fused_jax import VmapProgram
    from search.data.pipeline import SeededBatches

    models = []
    for seed in range(k):
        keras.utils.set_random_seed(seed)
        models.append(hm.build(hp))
    if program == "vmap":
        members = [Member(seed, m, EpochLog("val_accuracy")) for seed, m in enumerate(models)]
        prog = VmapProgram(members, [SeededBatches(x, y, batch_size, seed) for seed in range(k)],
                           x[:batch_size], y[:batch_size], batch_size)  # one validation batch per epoch
        fit = lambda: prog.fit(1)  # noqa: E731
    else:  # K=1 is the model alone (a tower needs two seeds or more)
        tower = tower_model(models, [member_name(i) for i in range(k)]) if k > 1 else models[0]
        xs, ys = ([x] * k, [y] * k) if k > 1 else (x, y)
        fit = lambda: tower.fit(xs, ys, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)  # noqa: E731
    _, first = timed(fit)
    _, again = timed(fit)
    peak, what = peak_memory()
    return {"k": k, "program": program, "first_fit_s": first, "steady_fit_s": again,
            "compile_s": max(0.0, first - again), "steady_step_s": again / steps,
            "steady_step_per_seed_s": again / steps / k, "peak_bytes": peak, "peak_is": what}


def k_scaling(sweep, max_k: int, steps: int, gpu: bool, described: str,
              programs: tuple[str, ...] | None = None) -> Measurement:
    """The largest K whose program of K seeds fits, and per K its memory and compile/steady split: the
    towers on any backend, and on JAX the vmapped program too (search.training.fused_jax), which fuse_seeds uses
    there for the article models."""
    import keras
    import numpy as np

    from search.sweep.prepare import prepare
    from search.sweep.space import declare_space
    from search.training.one_run import training_arrays

    prepared = prepare(sweep)
    hm = prepared.hypermodel
    arrays = training_arrays(prepared.data, prepared.sweep.data.label_mode)
    hp = declare_space(prepared.sweep)
    hm.build(hp)  # declares the model's own knobs at their defaults
    batch_size, _ = hm.batch_and_epochs(hp)
    n = batch_size * steps
    rows_idx = np.resize(np.arange(len(arrays.y)), n)  # repeat the images when the folder is small
    x, y = arrays.x[rows_idx], arrays.y[rows_idx]
    if programs is None:
        programs = ("tower", "vmap") if keras.backend.backend() == "jax" else ("tower",)
    _cleanup()
    rows, largest, stopped = [], {}, {}
    for program in programs:
        k = 1 if program == "tower" else 2
        stopped[program] = f"cap --max-k {max_k} reached"
        while k <= max_k:
            say(f"max_k: {program} K={k}")
            try:
                rows.append(_fit_k(program, hm, hp, k, x, y, batch_size, steps))
                largest[program] = k
            except Exception as exc:  # out of memory ends the climb; anything else is reported as is
                stopped[program] = ("out of memory" if _is_out_of_memory(exc) else "error") + \
                    f" at K={k}: {str(exc)[:200]}"
                break
            finally:
                _cleanup()
            k *= 2
    one = next((r["steady_step_s"] for r in rows if r["k"] == 1), None)
    best_per_seed = min((r["steady_step_per_seed_s"] for r in rows), default=None)
    main = programs[-1]
    return Measurement(
        name="fused.gpu.max_k", data=f"{type(hm).__name__} at {sweep.image_size} px, batch {batch_size}, "
                                     f"{len(arrays.y)} training images",
        metric=f"largest K (seeds per fused program) that fits, {main} program; ratio = steady step seconds per "
               "seed at K=1 over the best K's (either program)",
        unit="K", baseline_is="K=1 (one seed: the model alone)",
        ours_is="programs of K seeds: " + ", ".join(programs), baseline=1 if one else None, ours=largest.get(main),
        ratio=(one / best_per_seed) if one and best_per_seed else None,
        ratio_means="seconds per seed-step at K=1 / at the best K", target="", passed=None,
        image_size=sweep.image_size, trials=None, epochs=None,
        details={"gpu": gpu, "device": described, "steps_per_fit": steps, "largest_k": largest, "stopped": stopped,
                 "per_k": rows, **({} if gpu else {"note": "no GPU found: CPU memory (RSS) and CPU times"})},
    )


# ---------------------------------------------------------------- entry


def folders(args) -> tuple[Path, Path]:
    eyes = Path(args.data) if args.data else DATASETS / "eyes"
    hollywood = Path(args.hollywood_data) if args.hollywood_data else DATASETS / "hollywood"
    return eyes, hollywood


def run(args) -> list:
    eyes, hollywood = folders(args)
    if args.hollywood_size is None:
        args.hollywood_size = 224 if args.gpu else 64
    if args.hollywood_trials is None:
        args.hollywood_trials = 0 if args.gpu else 2
    have = {"eyes": eyes.is_dir(), "hollywood": hollywood.is_dir()}
    if not any(have.values()):
        raise Skip(f"data folders {eyes} and {hollywood} not found (pass --data EYES and --hollywood-data "
                   "HOLLYWOOD, folders of class sub-folders)")
    if args.keep_runs and Path(args.keep_runs).exists() and any(Path(args.keep_runs).iterdir()):
        raise Skip(f"--keep-runs {args.keep_runs} is not empty: a run folder there would resume, not be timed")
    for name, folder in (("eyes", eyes), ("hollywood", hollywood)):
        if have[name]:
            warm_page_cache(folder)
    warm_up_keras()
    out: list = []
    missing = "data folder {} not found (pass {} PATH to a folder of class sub-folders)"
    with contextlib.ExitStack() as stack:
        if args.keep_runs:  # the sides' run folders stay, e.g. to replay a finished sweep's verdicts
            tmp = Path(args.keep_runs)
            tmp.mkdir(parents=True, exist_ok=True)
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_fused_")))
        if not args.gpu:
            if have["eyes"]:
                out += eyes_cpu(args, eyes, tmp)
            else:
                out.append(SkippedPart("fused.eyes", missing.format(eyes, "--data")))
            if have["hollywood"]:
                out += hollywood_cpu(args, hollywood, tmp)
            else:
                out.append(SkippedPart("fused.hollywood", missing.format(hollywood, "--hollywood-data")))
            return out
        gpu, described = gpu_found()
        if not gpu:
            say(f"no GPU found ({described}): --gpu measures on the CPU, which says nothing about a GPU")
        else:
            say(f"device: {described}")
        if have["hollywood"]:
            s = load_sweep(HOLLYWOOD_SWEEP, hollywood, image_size=args.hollywood_size, epochs=args.hollywood_epochs,
                           seeds=args.seeds, trials=args.hollywood_trials, fuse=True)
            out.append(gpu_sweep("hollywood", s, hollywood, tmp, args, gpu, described))
        else:
            out.append(SkippedPart("fused.gpu.hollywood", missing.format(hollywood, "--hollywood-data")))
        if have["eyes"]:
            s = load_sweep(EYES_SWEEP, eyes, image_size=args.image_size, epochs=args.epochs, seeds=args.seeds,
                           trials=args.trials, fuse=True)
            out.append(gpu_sweep("eyes", s, eyes, tmp, args, gpu, described))
        else:
            out.append(SkippedPart("fused.gpu.eyes", missing.format(eyes, "--data")))
        if have["hollywood"]:
            s = load_sweep(HOLLYWOOD_SWEEP, hollywood, image_size=args.hollywood_size, trials=1)
            out.append(k_scaling(s, args.max_k, args.k_steps, gpu, described))
        else:
            out.append(SkippedPart("fused.gpu.max_k", missing.format(hollywood, "--hollywood-data")))
    return out

