"""What a sweep will cost, said before it starts: runs, epochs in all, and time on this machine.

A 224 px sneakers sweep is hours on two CPU cores; a user should read that in
the header (and in `--describe`) rather than find it out. The counts come from
the sweep alone; the time comes from a few batches timed here
(`search.training.step_time`), priced at the data's size. Early stopping can
end runs sooner, so the epochs and the time are upper bounds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rundir.durations import duration
from search.sweep.seeds import Seeds
from search.sweep.spec import Sweep
from search.training.step_time import StepTime

ESTIMATE_ENV = "SEARCH_NO_ESTIMATE"  # set to 1: skip timing batches (the test suite does; a few seconds per sweep)


def estimate_wanted() -> bool:
    return os.environ.get(ESTIMATE_ENV, "") in ("", "0")


@dataclass(frozen=True)
class Cost:
    """The sweep's size up front; `runs` and `epochs` are (least, most): Seeds(min, max) adds rounds."""

    runs: tuple[int, int] | None  # None: Hyperband decides its trials as it goes
    epochs: tuple[int, int] | None
    steps: tuple[StepTime, ...] = ()  # one per batch size the sweep tries (each is as common in a grid)
    train_images: int | None = None  # None: the data is not here
    val_images: int | None = None

    @property
    def epoch_s(self) -> float | None:
        """An epoch, averaged over the batch sizes the sweep tries."""
        if not self.steps or self.train_images is None:
            return None
        return sum(s.epoch_s(self.train_images, self.val_images or 0) for s in self.steps) / len(self.steps)

    @property
    def compile_s(self) -> float:
        return sum(s.compile_s for s in self.steps) / len(self.steps) if self.steps else 0.0

    def seconds(self) -> tuple[float, float] | None:
        """Upper-bound seconds of the whole sweep: every epoch runs, each run compiles once."""
        if self.epoch_s is None or self.epochs is None or self.runs is None:
            return None
        return tuple(e * self.epoch_s + r * self.compile_s for e, r in zip(self.epochs, self.runs))

    def lines(self) -> list[str]:
        runs = "Hyperband decides the runs as it goes" if self.runs is None else _counted(self.runs, "run")
        epochs = "" if self.epochs is None else f", at most {_counted(self.epochs, 'epoch')} in all"
        out = [f"cost       {runs}{epochs}"]
        if not self.steps:
            return out
        timed = ("timed here: " + ", ".join(f"{s.train_step_s:.3g} s per training batch of {s.batch_size}"
                                            for s in self.steps)
                 + f"; compiling {self.compile_s:.1f} s per run")
        if self.epoch_s is None:
            per_1000 = sum(s.epoch_s(1000, 0) for s in self.steps) / len(self.steps)
            out.append(f"estimate   without the data no total: an epoch of 1,000 training images takes about "
                       f"{duration(per_1000)} here ({timed})")
            return out
        total = self.seconds()
        out.append(f"estimate   {duration(self.epoch_s)} per epoch"
                   + (f", the sweep up to {_span(total, duration)} (less if early stopping ends runs sooner)"
                      if total else "") + f"; {timed}")
        return out


def sweep_counts(sweep: Sweep, epochs: int, runs_per_seed: int = 1, configs: int | None = None
                 ) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """(runs, epochs in all), each (least, most), from the sweep file alone (or `configs`, the
    configurations it trains); None under Hyperband."""
    configs = sweep.planned_trials() if configs is None else configs
    if configs is None:
        return None, None
    seeds = (sweep.seeds.min, sweep.seeds.max) if isinstance(sweep.seeds, Seeds) else (sweep.seeds, sweep.seeds)
    runs = tuple(configs * s * runs_per_seed for s in seeds)
    varied = sweep.space.get("epochs")
    if isinstance(varied, (list, tuple)) and len(varied) > 1:
        # a grid walks every epoch count equally often; other tuners may pick the largest each time
        per_run = sum(varied) / len(varied) if sweep.tuner == "grid" else max(varied)
    else:
        per_run = epochs
    return runs, tuple(int(round(r * per_run)) for r in runs)


def _count(n: int) -> str:
    return f"{n:,}"


def _counted(pair: tuple[int, int], noun: str) -> str:
    return f"{_span(pair, _count)} {noun}{'' if pair == (1, 1) else 's'}"


def _span(pair, form=str) -> str:
    low, high = pair
    return form(low) if low == high else f"{form(low)} to {form(high)}"


