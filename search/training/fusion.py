"""Whether a trial's seeds train fused (`search.training.fused`) or one after another.

`fuse_seeds=True` or `False` is the user's word. `"auto"` on a CPU keeps
seeds one after another, by a rule fitted to `python -m benchmarks fused`
on the 2-core CPU. There a fused steady epoch cost 0.76x per seed what a
lone one does (a 24 px CNN's step is mostly compute), but tracing a program
of K towers costs K lone tracings while the unfused engine traces once per
trial (search.training.reuse), so fusion pays only over many epochs: the whole eyes
claims sweep (16 configurations x 5 seeds x 8 epochs) took 1/1.10 of the
time fused, the same sweep cut to 3 epochs 1/0.87, and Hollywood at 64 px
over 3 epochs 1/0.98. A gain of 10% at best against a loss of 13% is not
worth guessing at, and a measurement made under a changing load once chose
fusion wrongly; `fuse_seeds=True` is there for long sweeps of small models.

On a GPU, where a small CNN's step is mostly overhead, auto measures
instead of guessing, with runs the sweep needs anyway: the first trial with at
least three seeds to train runs its first seed alone (exactly as without
fusion) and the others fused. From the lone seed comes what one after
another would have cost the fused seeds: its build and tracing once, plus
its steady seconds per epoch times their epochs. If the fused program beat
that by at least `MARGIN`, later trials fuse; otherwise they do not. So auto
costs at most one trial's fused part when fusion loses, and a sweep stays
unfused until fusion has shown it pays.

The choice is kept in RUN_DIR/fused_seeds.json: a resumed sweep and every
worker use it without measuring again.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

import keras

from rundir.files import atomic_write_text
from rundir.records import RunRecord

FILE = "fused_seeds.json"
MARGIN = 1.1  # fuse only when measured at least this much faster: timing noise must not make auto slower


@dataclass
class FusionChoice:
    fuse: bool | None  # None: auto, not measured yet
    reason: str
    one_by_one_s: float | None = None  # the fused seeds' estimated time one after another
    fused_s: float | None = None  # their measured time as one program

    def line(self) -> str:
        state = {True: "on", False: "off", None: "auto"}[self.fuse]
        return f"fused seeds: {state}: {self.reason}"


def initial_choice(fuse_seeds, backend: str, gpu: bool, median_stopping: bool, own_fit: bool) -> FusionChoice:
    """The choice before any run: the user's, or why auto need not measure."""
    if backend == "torch" and fuse_seeds is not False:
        # Not tried on torch (the machines here lack it), so torch keeps the path that is tested there.
        return FusionChoice(False, "on torch each seed trains on its own (fused seeds are for TensorFlow and JAX)")
    if fuse_seeds is True:
        return FusionChoice(True, "fuse_seeds=True: each trial's seeds train as one program")
    if fuse_seeds is False:
        return FusionChoice(False, "fuse_seeds=False: each seed trains on its own")
    if own_fit:
        return FusionChoice(False, "your HyperModel has its own fit(), which trains one model at a time")
    if median_stopping:
        return FusionChoice(False, "median stopping judges each run on its own")
    if not gpu:
        return FusionChoice(False, "on a CPU tracing K seeds as one program costs what it saves per epoch unless "
                                   "runs are long (benchmarks fused: 1.10x at best, 0.87x at worst), so each seed "
                                   "trains on its own; fuse_seeds=True for long sweeps of small models")
    return FusionChoice(None, "the first trial with 3 or more seeds runs one seed alone and the others fused; "
                              "the faster way trains the rest")


def sweep_choice(sweep, hypermodel) -> FusionChoice:
    """`initial_choice` for a sweep on this machine's backend and device."""
    from search.training import device
    from search.models.own import is_own, overrides_fit

    own_fit = is_own(hypermodel) and overrides_fit(hypermodel.user)
    return initial_choice(sweep.fuse_seeds, keras.backend.backend(), device.gpu_count() > 0,
                          sweep.median_stopping is not None, own_fit)


def steady_epoch_seconds(record: RunRecord) -> float:
    """Seconds per epoch once traced: the median over epochs after the first."""
    seconds = [row["seconds"] for row in record.history]
    return statistics.median(seconds[1:] if len(seconds) > 1 else seconds)


def measured_choice(alone: RunRecord, fused: list[RunRecord], fused_wall_s: float) -> FusionChoice:
    """Compare the fused program with what the lone seed says one after another would cost."""
    steady = steady_epoch_seconds(alone)
    setup = max(0.0, alone.wall_time_s - steady * alone.epochs_run)  # build and tracing, paid once per trial
    one_by_one = setup + steady * sum(r.epochs_run for r in fused)
    ratio = one_by_one / fused_wall_s if fused_wall_s > 0 else 0.0
    if all(r.fold is None for r in fused):
        runs = "seeds " + ", ".join(str(r.seed) for r in fused)
    else:
        runs = ", ".join(r.name.replace("_", " ") for r in fused)  # seed 0 fold 1, ...
    detail = (f"{runs} of trial {alone.trial_id} took {fused_wall_s:.1f} s as one program; one after another "
              f"about {one_by_one:.1f} s ({alone.name.replace('_', ' ')} alone: {setup:.1f} s to build and trace, "
              f"{steady:.2f} s per epoch): {ratio:.2f}x")
    fuse = ratio >= MARGIN
    why = detail + ("" if fuse else f", under the {MARGIN:g}x it takes")
    return FusionChoice(fuse, why, round(one_by_one, 3), round(fused_wall_s, 3))


class FusionPolicy:
    """Which seeds of a trial train together; measured once per run directory under auto."""

    def __init__(self, choice: FusionChoice, root: Path):
        self.root = root
        self.choice = choice
        self.max_members: int | None = None  # set when a program of more seeds did not fit (`shrink`)
        if choice.fuse is None:
            self.refresh()

    @classmethod
    def for_sweep(cls, sweep, hypermodel, root: Path) -> FusionPolicy:
        return cls(sweep_choice(sweep, hypermodel), root)

    def refresh(self) -> None:
        """Take a choice measured earlier (a resume) or by another worker."""
        path = self.root / FILE
        if self.choice.fuse is None and path.exists():
            try:
                self.choice = FusionChoice(**json.loads(path.read_text()))
            except (OSError, ValueError, TypeError):  # half-written or foreign: measure again
                pass

    def groups(self, seeds: list) -> list[list]:
        """The runs to train (seeds, or (seed, fold) pairs), as the programs that train them."""
        self.refresh()
        if self.choice.fuse is True and len(seeds) >= 2:
            return self._chunks(list(seeds))
        if self.choice.fuse is None and len(seeds) >= 3:
            return [[seeds[0]], *self._chunks(list(seeds[1:]))]  # the measurement
        return [[s] for s in seeds]

    def _chunks(self, seeds: list) -> list[list]:
        size = self.max_members or len(seeds)
        if size < 2:
            return [[s] for s in seeds]
        return [seeds[i:i + size] for i in range(0, len(seeds), size)]

    def shrink(self, failed_members: int) -> None:
        """A program of `failed_members` seeds failed (out of memory, say): later ones hold at most half as many."""
        self.max_members = min(self.max_members or failed_members, failed_members) // 2

    def measuring(self, group: list) -> bool:
        return self.choice.fuse is None and len(group) >= 2

    def observe(self, alone: RunRecord | None, fused: list[RunRecord], fused_wall_s: float) -> FusionChoice | None:
        """Decide from a measurement trial; the new choice, or None if nothing was decided."""
        if self.choice.fuse is not None or alone is None or alone.status != "completed" or not alone.history:
            return None
        if not any(r.status == "completed" for r in fused):
            return None
        if alone.epochs_run < 2:
            # One epoch holds the tracing too: no steady epoch to tell them apart, so no
            # estimate that could not favour fusing wrongly. Auto must never be slower.
            self.choice = FusionChoice(False, f"trial {alone.trial_id} ran one epoch: nothing steady to measure, "
                                              "so seeds train one after another")
        else:
            self.choice = measured_choice(alone, fused, fused_wall_s)
        atomic_write_text(self.root / FILE, json.dumps(asdict(self.choice), indent=2))
        return self.choice
