"""Per-epoch overhead of training inside a sweep vs bare `model.fit`.

Both sides train the same configurations (the benchmark grid, one seed) of
the same HyperModel on the very same in-memory arrays with the same batch
size and seed; they alternate trial by trial (our sweep is resumed with one
more trial each time), so load from other processes hits both alike.

Measured per epoch, first epoch of every run excluded (it traces and
compiles): the interval from the end of one epoch to the end of the next,
which holds everything the loop does, every callback included (ours: the
epoch log with its best-weights copy, NaN check, progress). The run
records' own `seconds` column (epoch begin -> end) is reported next to it.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

from benchmarks.common import (
    Measurement, bench_sweep, check, config_key, instrument_sweep_epochs, median, require_folder, warm_up_keras,
)

TARGET = "<= 1.1"


def run(args) -> list[Measurement]:
    import keras
    import keras_tuner as kt

    from benchmarks.baseline import bare_fit
    from search.sweep.engine import train_sweep
    from search.sweep.prepare import prepare
    from search.training.one_run import training_arrays

    data = require_folder("overhead", args.data)
    epochs = max(args.epochs, 2)  # one steady-state epoch at least
    sweep = bench_sweep(data, model=args.model, image_size=args.image_size, trials=args.trials, epochs=epochs,
                        batch_size=args.batch_size, validation_split=args.validation_split, name="overhead")
    prepared = prepare(sweep)
    arrays = training_arrays(prepared.data, prepared.hypermodel.label_mode)
    warm_up_keras()

    ours_intervals, ours_seconds, ours_records_seconds, ours_first = [], [], [], []
    base_intervals, base_seconds, base_best, base_first, configs = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench_overhead_") as tmp, instrument_sweep_epochs() as timing:
        out = Path(tmp) / "ours"
        done: set[str] = set()
        for k in range(1, args.trials + 1):
            step = dataclasses.replace(prepared, sweep=dataclasses.replace(prepared.sweep, max_trials=k))
            print(f"overhead: trial {k}/{args.trials}, ours", file=sys.stderr, flush=True)
            result = train_sweep(step, out, quiet=True)
            new = [r for r in result.records if r.trial_id not in done]
            if not new:
                break  # the grid has fewer configurations than --trials
            record = new[0]
            done.add(record.trial_id)
            if record.status != "completed":
                raise RuntimeError(f"trial {record.trial_id} failed: {record.error}")
            clock = timing.clocks[-1]
            ours_intervals += clock.steady_intervals()
            ours_seconds += clock.steady_seconds()
            ours_first.append(clock.end[0] - clock.begin[0])
            ours_records_seconds += [row["seconds"] for row in record.history[1:]]

            print(f"overhead: trial {k}/{args.trials}, bare model.fit", file=sys.stderr, flush=True)
            hp = kt.HyperParameters()
            for name, value in record.hyperparameters.items():
                if value is not None:  # None: a knob this run's model does not have
                    hp.Fixed(name, value)
            keras.utils.set_random_seed(record.seed)
            model = prepared.hypermodel.build(hp)
            bare, best = bare_fit(model, arrays.x, arrays.y, arrays.x_val, arrays.y_val,
                                  batch_size=int(hp.get("batch_size")), epochs=epochs)
            del model
            base_intervals += bare.steady_intervals()
            base_seconds += bare.steady_seconds()
            base_first.append(bare.end[0] - bare.begin[0])
            base_best.append(best)
            configs.append({"trial": record.trial_id, **dict(config_key(record.hyperparameters)),
                            "ours_best": record.score, "baseline_best": best})
        ours_all = result.records

    ours_value, base_value = median(ours_intervals), median(base_intervals)
    ratio = ours_value / base_value if ours_value and base_value else None
    ours_scores = [r.score for r in ours_all if r.score is not None]
    base_scores = [b for b in base_best if b is not None]
    d = prepared.data
    return [Measurement(
        name="overhead",
        data=f"{d.source}: {len(d.y_train)} train / {len(d.y_val)} val images in memory, {args.model}",
        metric="seconds per steady-state epoch (median, first epoch of each run excluded)",
        unit="s",
        baseline_is=f"bare model.fit on the same uint8 arrays, batch {args.batch_size}, same model and seed",
        ours_is="epoch inside our sweep (search.sweep.engine.train_sweep, records written)",
        baseline=base_value,
        ours=ours_value,
        ratio=ratio,
        ratio_means="ours / baseline seconds per epoch (end-to-end epoch interval)",
        target=TARGET,
        passed=check(ratio, TARGET),
        image_size=args.image_size,
        trials=len(configs),
        epochs=epochs,
        baseline_best=max(base_scores) if base_scores else None,
        ours_best=max(ours_scores) if ours_scores else None,
        details={
            "steady_epochs_per_side": len(ours_intervals),
            "ours_intervals_s": ours_intervals,
            "baseline_intervals_s": base_intervals,
            "ours_begin_to_end_s": median(ours_seconds),
            "baseline_begin_to_end_s": median(base_seconds),
            "ours_records_seconds_median": median(ours_records_seconds),
            "begin_to_end_ratio": (median(ours_seconds) / median(base_seconds)) if base_seconds else None,
            "ours_first_epoch_s": ours_first,
            "baseline_first_epoch_s": base_first,
            "batch_size": args.batch_size,
            "configurations": configs,
        },
    )]
