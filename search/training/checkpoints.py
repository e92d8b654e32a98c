"""Mid-run checkpoints: a killed run resumes at its last saved epoch, not at epoch 1.

A run's record is written when it starts and when it ends, so without this
a sweep killed an hour into a 224 px run (55 s an epoch on 2 CPU cores, up
to 100 epochs) would train that hour again. `RunCheckpoint` saves, at the
end of an epoch, everything the rest of the run depends on: the model's
weights and the optimizer's variables (Adam's moments and its step, hence
the learning-rate schedule) as plain NumPy arrays, the dropout layers'
seed-generator states, the epoch log (rows, best epoch and its weights),
early and median stopping's counters. The run resumed from it, with the
same data order from that epoch on (`search.data.pipeline.fit_inputs`'s
`skip_epochs`), trains the epochs an uninterrupted run would have.

Saving costs a write of about three times the model's size, so a checkpoint
is taken only once `every_s` seconds have passed since the run's last one
(60 s by default): a run of short epochs pays nothing, and a killed run
loses at most that long plus one epoch.

Layout, beside the run's record:

    trials/<id>/seed_<s>.checkpoint/latest.json    which epoch folder is whole (written last, atomically)
    trials/<id>/seed_<s>.checkpoint/epoch_0012/    model.npz, seeds.npz, best.npz, state.json

An epoch folder is written under a temporary name (`.epoch_0012.partial`)
and renamed once whole, so a half-written checkpoint is never loaded. The
weights are NumPy arrays, not Keras' HDF5 `.weights.h5`: on a full disk
h5py left half-written files with open handles, then tracebacks and a
segfault (issue 28); `np.savez` fails with a plain OSError, which becomes a
`RecordWriteError` that stops the sweep (exit 1) with nothing recorded as
failed. Folders written by earlier versions (model.weights.h5) still load.

A checkpoint belongs to one configuration: one saved under other
hyperparameter values is ignored. It is deleted once the run's record is
final (completed or failed).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from search.training.callbacks import EpochLog
from rundir.files import RESUME_HINT, atomic_write_text, write_error

LATEST = "latest.json"
PARTIAL = ".partial"  # an epoch folder still being written
DEFAULT_EVERY_S = 60.0


def checkpoint_dir(run_path: Path) -> Path:
    """The checkpoint folder of the run whose record is `run_path` (trials/<id>/seed_<s>.json)."""
    return run_path.with_name(f"{run_path.stem}.checkpoint")


def _seed_states(model: keras.Model) -> list:
    """The dropout layers' seed-generator states: in `model.variables`, not in
    its weights, so `save_weights` leaves them out."""
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in weights]


@dataclass
class Saved:
    """A run's last checkpoint, as read back."""

    epoch: int  # epochs trained (the next fit starts at this 0-based epoch)
    folder: Path
    state: dict[str, Any]


def read_checkpoint(folder: Path, hyperparameters: dict[str, Any]) -> Saved | None:
    """The run's last whole checkpoint, or None (none, damaged, or of another configuration)."""
    try:
        latest = json.loads((folder / LATEST).read_text())
        epoch_dir = folder / latest["folder"]
        state = json.loads((epoch_dir / "state.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if state.get("hyperparameters") != _jsonable(hyperparameters) or state.get("epoch") != latest.get("epoch"):
        return None
    return Saved(int(state["epoch"]), epoch_dir, state)


def remove_checkpoint(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, default=str))


class RunCheckpoint(keras.callbacks.Callback):
    """Saves the run every `every_s` seconds (at an epoch's end) and, given
    `resume`, puts a saved run back at the start of `fit`.

    Must come after the callbacks whose state it saves (EpochLog, the
    stoppers): Keras calls them in list order, so at an epoch's end they
    have counted it, and at the start they have reset before it restores.
    """

    def __init__(self, folder: Path, hyperparameters: dict[str, Any], log: EpochLog, stopper=None, pruner=None,
                 every_s: float = DEFAULT_EVERY_S, resume: Saved | None = None):
        super().__init__()
        self.folder, self.hyperparameters = folder, _jsonable(hyperparameters)
        self.log, self.stopper, self.pruner = log, stopper, pruner
        self.every_s, self.resume = every_s, resume
        self.earlier_wall_s = float(resume.state.get("wall_s", 0.0)) if resume else 0.0
        self._start = self._last = time.perf_counter()

    def on_train_begin(self, logs=None):
        self._start = self._last = time.perf_counter()
        if self.resume is None:
            return
        folder, state = self.resume.folder, self.resume.state
        if not self.model.optimizer.built:  # its variables must exist before they are loaded
            self.model.optimizer.build(self.model.trainable_variables)
        if (folder / "model.npz").exists():
            with np.load(folder / "model.npz") as saved:
                for i, variable in enumerate(self.model.weights):
                    variable.assign(saved[f"w{i}"])
                for i, variable in enumerate(self.model.optimizer.variables):
                    variable.assign(saved[f"o{i}"])
        else:  # written before checkpoints were NumPy arrays
            self.model.load_weights(folder / "model.weights.h5")
        with np.load(folder / "seeds.npz") as seeds:
            for i, variable in enumerate(_seed_states(self.model)):
                variable.assign(seeds[f"s{i}"])
        self.log.rows = [dict(r) for r in state["rows"]]
        self.log.best_value, self.log.best_epoch = state["best_value"], state["best_epoch"]
        if (folder / "best.npz").exists():
            with np.load(folder / "best.npz") as best:
                self.log.best_weights = [best[f"w{i}"] for i in range(len(best.files))]
        if self.stopper is not None and state.get("stopper"):
            for name, value in state["stopper"].items():
                setattr(self.stopper, name, value)
        if self.pruner is not None and state.get("pruner_best") is not None:
            self.pruner.best = state["pruner_best"]

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        last = epoch + 1 >= self.params.get("epochs", math.inf)
        if now - self._last < self.every_s or self.model.stop_training or last:
            return  # too soon, or the run ends now anyway: its record follows
        self.save(epoch + 1, self.earlier_wall_s + now - self._start)
        self._last = time.perf_counter()

    def save(self, epochs: int, wall_s: float) -> None:
        """Write epoch `epochs`' folder under a temporary name, rename it whole, then point latest.json at
        it and drop older ones. A failed write (disk full, EIO) raises RecordWriteError: the sweep stops."""
        name = f"epoch_{epochs:04d}"
        target, partial = self.folder / name, self.folder / f".{name}{PARTIAL}"
        try:
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            to_numpy = keras.ops.convert_to_numpy
            np.savez(partial / "model.npz", **{f"w{i}": to_numpy(v) for i, v in enumerate(self.model.weights)},
                     **{f"o{i}": to_numpy(v) for i, v in enumerate(self.model.optimizer.variables)})
            np.savez(partial / "seeds.npz", **{f"s{i}": to_numpy(v) for i, v in enumerate(_seed_states(self.model))})
            if self.log.best_weights is not None:
                np.savez(partial / "best.npz", **{f"w{i}": w for i, w in enumerate(self.log.best_weights)})
            atomic_write_text(partial / "state.json", json.dumps(self._state(epochs, wall_s)))
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise write_error(f"cannot write checkpoint {target}: {exc.strerror or exc}{RESUME_HINT}") from None
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        atomic_write_text(self.folder / LATEST, json.dumps({"epoch": epochs, "folder": name}))
        for old in self.folder.glob("epoch_*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    def _state(self, epochs: int, wall_s: float) -> dict[str, Any]:
        stopper = None
        if self.stopper is not None:
            stopper = {"wait": int(self.stopper.wait), "best": _number(self.stopper.best),
                       "best_epoch": int(self.stopper.best_epoch)}
        return {"epoch": epochs, "hyperparameters": self.hyperparameters, "rows": self.log.rows,
                "best_value": self.log.best_value, "best_epoch": self.log.best_epoch, "stopper": stopper,
                "pruner_best": None if self.pruner is None else float(self.pruner.best), "wall_s": wall_s}


def _number(value) -> float | None:
    return None if value is None else float(keras.ops.convert_to_numpy(value))
