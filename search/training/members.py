"""A fused program's members: one run each (a seed, and with folds a fold), with the outcome of a lone run.

Both ways of training seeds together, the tower (`search.training.fused`) and JAX's
vmapped step (`search.training.fused_jax`), hand each member's epoch to the same
one-run callbacks through the same two calls, so a member's log, early
stopping and NaN failure mean what they mean for a seed trained alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from rundir.records import run_name
from search.training.callbacks import EpochLog


def member_name(seed: int, fold: int | None = None) -> str:
    """The tower's name, and so the prefix of its losses and metrics in Keras' logs: the run's
    record name ('seed_3', 'seed_3_fold_1')."""
    return run_name(seed, fold)


class MemberView:
    """What a one-run callback (EpochLog, EarlyStopping) sees as its `model`:
    this member's weights, the shared optimizer (its learning rate is every
    member's), and a stop flag of the member's own."""

    def __init__(self, model: keras.Model, optimizer):
        self._model = model
        self.optimizer = optimizer
        self.stop_training = False

    def get_weights(self) -> list[np.ndarray]:
        return self._model.get_weights()


@dataclass
class Member:
    seed: int
    model: keras.Model  # the seed's own model; its variables are the tower's
    log: EpochLog
    stopper: keras.callbacks.EarlyStopping | None = None
    view: MemberView | None = None
    active: bool = True  # False once it stopped (early stopping, NaN): it rides along, unrecorded
    fold: int | None = None  # with folds, the fold it trains on: its own training and validation images

    @property
    def name(self) -> str:
        return member_name(self.seed, self.fold)


def begin_members(members: list[Member], view) -> None:
    """Give each member's callbacks their `model`: `view(k, member)` (a MemberView)."""
    for k, m in enumerate(members):
        m.view = view(k, m)
        m.log.set_model(m.view)
        if m.stopper is not None:
            m.stopper.set_model(m.view)
            m.stopper.on_train_begin()


def end_member_epoch(m: Member, epoch: int, logs: dict[str, float], seconds: float) -> None:
    """A member's epoch end, with its own logs: its EpochLog and early stopping see
    them as a lone run's, and a member that stops (early stopping, NaN) is masked."""
    m.log.on_epoch_end(epoch, logs)
    m.log.rows[-1]["seconds"] = seconds
    if m.stopper is not None and not m.view.stop_training:
        m.stopper.on_epoch_end(epoch, logs)
    if m.view.stop_training:  # EpochLog stops a NaN loss, EarlyStopping a stalled one
        m.active = False
