"""The seeds of one trial trained as one Keras program ("fused seeds").

A trial's seeds share every shape and setting; only their initial weights,
data order and dropout randomness differ. So instead of K `fit`s one after
another, the K seed models become the K towers of one functional model:
tower k takes seed k's batches and has its own loss, and the losses are
summed. Gradients of a sum split per tower and Adam updates every weight
on its own, so each tower trains exactly as its seed would alone (the tests
compare per-epoch losses with sequential runs). What is saved is per-step
overhead: one traced step, one dispatch and one set of callbacks per step
instead of K, which is most of a small CNN's step on a CPU or a GPU.

It is plain Keras, so the same code runs on TensorFlow, JAX (one jitted
XLA program) and torch. On JAX the article models take a faster path of the
same meaning, one batched step over the members' stacked state
(`search.training.fused_jax`). Each member keeps its own outcome: its own
`EpochLog`, its own early stopping (a member that stops rides along,
masked, its best weights already kept) and its own NaN failure. The program
ends when every member has stopped.

With folds (`Sweep(folds=K)`) a member is a (seed, fold) run: its own
training batches and its own validation images, zipped beside the others'
(`search.data.pipeline.fused_fit_inputs`), so a fold fuses like a seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from search.training.callbacks import StopAtSafePoint
from search.training.members import Member, MemberView, begin_members, end_member_epoch
from search.data.pipeline import fused_fit_inputs


MEMBER_LOSS = "member_loss"


def tower_model(models: list[keras.Model], names: list[str]) -> keras.Model:
    """One functional model whose k-th input and output are member k's model (named `names[k]`),
    compiled with the first model's compile settings once per output."""
    if len(models) < 2:
        raise ValueError("a fused program needs at least two seeds")
    inputs, outputs = [], []
    for model, name in zip(models, names):
        model.name = name  # unique names: Keras' logs read seed_3_loss, val_seed_3_accuracy
        x = keras.Input(tuple(model.input_shape[1:]), name=f"x_{name}")
        inputs.append(x)
        outputs.append(model(x))
    tower = keras.Model(inputs, outputs, name="fused_seeds")
    config = keras.saving.deserialize_keras_object(dict(models[0].get_compile_config()))
    if config.get("loss_weights") is not None:
        raise ValueError("fused seeds need a model compiled without loss_weights")
    loss = keras.losses.get(config["loss"])
    k = len(models)
    config["loss"] = [loss] * k
    config["metrics"] = [[*(config.get("metrics") or []), member_loss_metric(loss)] for _ in range(k)]
    if config.get("weighted_metrics") is not None:
        config["weighted_metrics"] = [config["weighted_metrics"]] * k
    tower.compile(**config)
    return tower


def member_loss_metric(loss) -> keras.metrics.Metric:
    """A member's loss as a one-model fit reports it: the mean over samples.

    Keras' own per-output loss weighs each batch by its static size, which
    a traced TensorFlow step does not know, so a last, smaller batch would
    count as much as a full one and the epoch's loss would differ from the
    member's lone run (training itself is the same)."""
    per_sample = loss.call if isinstance(loss, keras.losses.Loss) else loss
    return keras.metrics.MeanMetricWrapper(per_sample, name=MEMBER_LOSS)


def member_logs(logs: dict[str, Any], name: str) -> dict[str, float]:
    """Member `name`'s entries of the tower's logs, under the names a one-model fit uses."""
    out = {}
    for key, value in logs.items():
        for prefix in ("", "val_"):
            if key.startswith(f"{prefix}{name}_"):
                out[prefix + key[len(prefix) + len(name) + 1:]] = float(value)
    for prefix in ("", "val_"):  # the sample-weighted loss replaces Keras' batch-weighted one
        if f"{prefix}{MEMBER_LOSS}" in out:
            out[f"{prefix}loss"] = out.pop(f"{prefix}{MEMBER_LOSS}")
    return out


class FusedMonitor(keras.callbacks.Callback):
    """Hands each member its own logs every epoch, masks members that stop
    (early stopping, NaN), and ends the program when none is left."""

    def __init__(self, members: list[Member]):
        super().__init__()
        self.members = members
        self._t0 = 0.0

    def on_train_begin(self, logs=None):
        begin_members(self.members, lambda k, m: MemberView(m.model, self.model.optimizer))

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()
        for m in self.members:
            if m.active:
                m.log.on_epoch_begin(epoch)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        active = [m for m in self.members if m.active]
        # The program's epoch, shared out: each member's seconds are its part of the cost.
        seconds = (time.perf_counter() - self._t0) / max(1, len(active))
        for m in active:
            end_member_epoch(m, epoch, member_logs(logs, m.name), seconds)
        if not any(m.active for m in self.members):
            self.model.stop_training = True


@dataclass
class FusedProgram:
    """The members and their tower, built and compiled, ready to fit."""

    members: list[Member]
    tower: keras.Model
    inputs: Any = field(default=None)

    def fit(self, epochs: int, extra_callbacks: list | None = None) -> None:
        self.tower.fit(self.inputs.x, self.inputs.y, epochs=epochs,
                       callbacks=[FusedMonitor(self.members), *(extra_callbacks or []), StopAtSafePoint()], verbose=0,
                       **self.inputs.kwargs)


def fused_program(members: list[Member], member_trains: list, member_vals: list[tuple[np.ndarray, np.ndarray]],
                  batch_size: int, objective: str = "val_accuracy"):
    """The members' program: on JAX, where the model allows it and the members share their
    images (seeds on one split), one vmapped step over their stacked state (`search.training.fused_jax`);
    otherwise the tower over the members' models (each built under its own seed), fed each member's own
    training batches (made under its seed) and its own validation images (a fold's differ from another's;
    see `search.data.pipeline.fused_fit_inputs`)."""
    from search.training.fused_jax import VmapProgram, vmap_supported

    shared = all(m.fold is None for m in members) and all(v is member_vals[0] for v in member_vals)
    if shared and vmap_supported(members[0].model, objective):
        return VmapProgram(members, member_trains, *member_vals[0], batch_size)
    tower = tower_model([m.model for m in members], [m.name for m in members])
    inputs = fused_fit_inputs(member_trains, member_vals, batch_size, keras.backend.backend())
    return FusedProgram(members, tower, inputs)
