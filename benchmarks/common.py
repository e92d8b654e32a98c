"""What every benchmark shares: the machine, the JSON line, the summary table,
the benchmark sweep, and epoch timing callbacks.

One measurement is one `Measurement`, printed as one JSON line with the same
keys for every benchmark, so lines from different machines and commits can
be collected in one file and compared:

    name, machine {cores, cpu, backend, keras, tensorflow, load_avg}, data,
    image_size, trials, epochs, metric, unit, baseline_is, ours_is, baseline,
    ours, ratio, ratio_means, target, pass, baseline_best, ours_best, details

`ratio` is always the quantity `target` applies to; `ratio_means` says how it
is computed (ours / baseline, or baseline / ours for speed-ups). The best
scores are the best validation accuracy each side reached: a speed-up that
costs accuracy does not count. `load_avg` is the 1-minute load average when
the measurement started: above the core count, other work shared the CPU.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "hollywood"

# What the benchmark sweeps vary: the pooling layers and the dropout rate of
# the article CNNs (both models declare them). The batch size is fixed (the
# articles' 32 by default, --batch-size) so that the plain Keras Tuner side
# can batch its datasets once, and the learning rate is a constant 1e-3: at
# the articles' decaying 1e-4 a few-epoch sweep learns nothing and every
# trial on either side scores the majority class, which would make the
# accuracy comparison empty.
BENCH_SPACE: dict[str, Any] = {
    "pooling_1": ["avg", "max"],
    "pooling_2": ["avg", "max"],
    "dropout": [0.3, 0.5],
    "learning_rate": 1e-3,
    "decay_rate": 1.0,
}


class Skip(Exception):
    """A benchmark that cannot run here (e.g. its data folder is absent)."""


# ---------------------------------------------------------------- machine


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def machine() -> dict[str, Any]:
    import keras

    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": cpu_name(),
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
    }
    try:
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
    except ImportError:  # pragma: no cover - tensorflow is a dependency
        pass
    try:
        from search.training import device
        info["device"] = device.describe_device()
    except Exception:  # informative only
        pass
    try:
        info["load_avg"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    return info


# ---------------------------------------------------------------- measurement


@dataclass
class Measurement:
    name: str
    data: str
    metric: str
    unit: str
    baseline_is: str  # what the baseline side is, in words
    ours_is: str
    baseline: float | None
    ours: float | None
    ratio: float | None
    ratio_means: str
    target: str  # e.g. "<= 1.1"
    passed: bool | None
    image_size: int | None = None
    trials: int | None = None
    epochs: int | None = None
    baseline_best: float | None = None
    ours_best: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        row = {
            "name": self.name,
            "machine": self.machine,
            "data": self.data,
            "image_size": self.image_size,
            "trials": self.trials,
            "epochs": self.epochs,
            "metric": self.metric,
            "unit": self.unit,
            "baseline_is": self.baseline_is,
            "ours_is": self.ours_is,
            "baseline": _num(self.baseline),
            "ours": _num(self.ours),
            "ratio": _num(self.ratio),
            "ratio_means": self.ratio_means,
            "target": self.target,
            "pass": self.passed,
            "baseline_best": _num(self.baseline_best),
            "ours_best": _num(self.ours_best),
            "details": _clean(self.details),
        }
        return json.dumps(row)


def skipped(name: str, reason: str) -> str:
    """The JSON line of a benchmark that did not run, and why."""
    return json.dumps({"name": name, "skipped": reason, "pass": None})


def _num(value):
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return round(value, 4) if abs(value) >= 1e-3 else float(f"{value:.4g}")


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, (str, int)):
        return obj
    if isinstance(obj, float):
        return _num(obj)
    if hasattr(obj, "item"):  # numpy scalars
        return _clean(obj.item())
    if dataclasses.is_dataclass(obj):
        return _clean(dataclasses.asdict(obj))
    return str(obj)


def check(ratio: float | None, target: str) -> bool | None:
    """Whether `ratio` meets a target written as '<= 1.1' or '>= 2'."""
    if ratio is None or not math.isfinite(ratio):
        return None
    op, value = target.split()
    return ratio <= float(value) if op == "<=" else ratio >= float(value)


def median(values) -> float | None:
    values = sorted(float(v) for v in values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def summary_table(lines: list[str]) -> str:
    """A short human table of the JSON lines printed so far."""
    rows = [("benchmark", "baseline", "ours", "ratio", "target", "pass", "best acc (base/ours)")]
    for line in lines:
        m = json.loads(line)
        if "skipped" in m:
            rows.append((m["name"], "-", "-", "-", "-", "skipped", m["skipped"][:60]))
            continue

        def fmt(v):
            return "-" if v is None else f"{v:.4g}"

        def with_unit(v):
            return "-" if v is None else fmt(v) + (f" {m['unit']}" if m.get("unit") else "")

        best = "-" if m["baseline_best"] is None and m["ours_best"] is None else \
            f"{fmt(m['baseline_best'])} / {fmt(m['ours_best'])}"
        verdict = {True: "PASS", False: "FAIL", None: "-"}[m["pass"]]
        rows.append((m["name"], with_unit(m["baseline"]), with_unit(m["ours"]), fmt(m["ratio"]),
                     m["target"] or "-", verdict, best))
    return text_table(rows)


def text_table(rows: list[tuple[str, ...]]) -> str:
    """Rows of text (the first the header) as aligned columns with a rule under the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


# ---------------------------------------------------------------- the benchmark sweep


def hypermodel_class(name: str):
    from search.models.articles import HYPERMODELS

    if name not in HYPERMODELS:
        raise SystemExit(f"error: unknown model {name!r}; choose one of {', '.join(HYPERMODELS)}")
    return HYPERMODELS[name]


def require_folder(name: str, path: Path) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise Skip(f"data folder {path} not found (pass --data PATH to a folder of class sub-folders)")
    return path


def bench_sweep(data: Path, *, model: str, image_size: int, trials: int, epochs: int, batch_size: int,
                validation_split: float, name: str = "bench", median_stopping_after: int = 0, seeds: int = 1):
    """The sweep both sides run: a grid over BENCH_SPACE, one seed (unless
    told), no early stopping."""
    from search.data.sources import ImageFolder
    from search.training.pruning import MedianStopping
    from search.sweep.spec import Sweep

    return Sweep(
        name=name,
        data=ImageFolder(str(data), validation_split=validation_split, seed=123, label_mode="categorical"),
        hypermodel=hypermodel_class(model),
        image_size=image_size,
        space={**BENCH_SPACE, "batch_size": batch_size},
        tuner="grid",
        max_trials=trials,
        epochs=epochs,
        seeds=seeds,
        early_stopping=None,
        median_stopping=MedianStopping(after_epochs=median_stopping_after) if median_stopping_after else None,
    )


def config_key(values: dict, keys=None) -> tuple:
    """A configuration as a hashable key, over the tuned names only."""
    keys = sorted(keys or BENCH_SPACE)
    return tuple((k, values.get(k)) for k in keys)


# ---------------------------------------------------------------- timing callbacks


class EpochClock:
    """Epoch timestamps: `begin[i]`, `end[i]` (perf_counter, end taken after
    the epoch's callbacks that run before it) for epoch i of one fit."""

    def __init__(self):
        self.begin: list[float] = []
        self.end: list[float] = []

    def total(self) -> float:
        """Seconds inside epochs (begin -> end), all epochs."""
        return sum(e - b for b, e in zip(self.begin, self.end))

    def steady_seconds(self) -> list[float]:
        """begin -> end of every epoch but the first (the first compiles)."""
        return [e - b for b, e in zip(self.begin[1:], self.end[1:])]

    def steady_intervals(self) -> list[float]:
        """end -> end between consecutive epochs, first epoch excluded:
        everything the loop does per epoch, every callback included."""
        return [b - a for a, b in zip(self.end, self.end[1:])]


def clock_callback(clocks: list[EpochClock], on_run_end: Callable[[], None] | None = None,
                   on_run_start: Callable[[], None] | None = None):
    """A callback that appends one EpochClock per fit to `clocks`.

    Keras Tuner deep-copies the callbacks of every trial; the copies still
    append to the same `clocks` list (the methods close over it).
    """
    import keras

    class _Clock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            if on_run_start is not None:
                on_run_start()
            clocks.append(EpochClock())

        def on_epoch_begin(self, epoch, logs=None):
            clocks[-1].begin.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            clocks[-1].end.append(time.perf_counter())

        def on_train_end(self, logs=None):
            if on_run_end is not None:
                on_run_end()

    return _Clock()


def timed(fn: Callable, *args, **kwargs) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def warm_page_cache(folder: Path) -> int:
    """Read every file once so neither side pays the first disk read."""
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            try:
                total += len((Path(dirpath) / name).read_bytes())
            except OSError:
                pass
    return total


def warm_up_keras() -> None:
    """One tiny fit, so TensorFlow's one-off start-up is charged to neither side."""
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    x = np.zeros((8, 8, 8, 3), np.uint8)
    model.fit(x, np.zeros(8, np.int32), batch_size=4, epochs=1, verbose=0, validation_data=(x, np.zeros(8, np.int32)))
    keras.backend.clear_session()


class instrument_sweep_epochs:
    """Time every epoch of every run our sweep trains, from outside the engine.

    `search.sweep.tuner` builds one `EpochLog` per run; inside this context it
    builds a subclass that also fills an `EpochClock` (the end timestamp is
    taken after EpochLog's own work: copying the best weights, progress),
    calls `on_run_start` as a run starts (before its model is built) and
    `on_run_end` when its fit returns. Nothing else changes.
    """

    def __init__(self, on_run_end: Callable[[], None] | None = None,
                 on_run_start: Callable[[], None] | None = None):
        self.clocks: list[EpochClock] = []
        self.on_run_end = on_run_end
        self.on_run_start = on_run_start

    def __enter__(self):
        import search.sweep.tuner as tuner_module

        self._module = tuner_module
        self._original = tuner_module.EpochLog
        clocks, on_run_end, on_run_start, original = self.clocks, self.on_run_end, self.on_run_start, self._original

        class TimedEpochLog(original):
            def __init__(self, *args, **kwargs):
                if on_run_start is not None:
                    on_run_start()
                super().__init__(*args, **kwargs)
                self.clock = EpochClock()
                clocks.append(self.clock)

            def on_epoch_begin(self, epoch, logs=None):
                self.clock.begin.append(time.perf_counter())
                super().on_epoch_begin(epoch, logs)

            def on_epoch_end(self, epoch, logs=None):
                super().on_epoch_end(epoch, logs)
                self.clock.end.append(time.perf_counter())

            def on_train_end(self, logs=None):
                super().on_train_end(logs)
                if on_run_end is not None:
                    on_run_end()

        tuner_module.EpochLog = TimedEpochLog
        return self

    def __exit__(self, *exc):
        self._module.EpochLog = self._original
        return False
