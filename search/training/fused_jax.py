"""Fused seeds on JAX: `jit(vmap(step))` over the members' stacked state.

The tower program of `search.training.fused` gives XLA K copies of every layer, run
one after another. On JAX the members can instead be *one* batched
computation: their variables are stacked along a new leading axis (member
k's weights, seed-generator state and Adam moments at index k), one
training step written for a single model through Keras' stateless API
(`model.stateless_call`, `optimizer.stateless_apply`) is `jax.vmap`-ed over
that axis, and `jax.lax.scan` runs a whole epoch of steps in one call, the
images staying on the device and only each member's batch indices crossing
over. Each member still has its own initial weights, its own order of the
training images (drawn as its lone run draws it, see `member_orders`), its
own dropout randomness (its seed-generator state) and the shared
learning-rate schedule, so member k trains exactly as seed k would alone:
the tests compare losses epoch by epoch with lone runs under JAX.

Only models this step can reproduce take this path (`vmap_supported`): one
input and one output of two or more class scores, a plain loss, and
"accuracy" as the only compiled metric (the article models); others keep
the tower program, which runs on JAX too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np

from search.training import stop
from search.training.members import Member, MemberView, begin_members, end_member_epoch
from search.data.pipeline import SeededBatches

OBJECTIVES = {"loss", "accuracy", "val_loss", "val_accuracy"}


def vmap_supported(model: keras.Model, objective: str) -> bool:
    """Whether the batched step computes exactly what this model's `fit` logs."""
    config = model.get_compile_config() or {}
    metrics = config.get("metrics")
    return (keras.backend.backend() == "jax" and len(model.inputs) == 1 and len(model.outputs) == 1
            and (model.outputs[0].shape[-1] or 0) >= 2  # class scores: "accuracy" is the arg max's
            and config.get("loss") is not None and config.get("loss_weights") is None
            and not config.get("weighted_metrics") and metrics in (["accuracy"], ("accuracy",))
            and type(model.optimizer).__name__ != "LossScaleOptimizer" and objective in OBJECTIVES)


def batch_loss(loss, jnp):
    """The compiled loss as `fit` applies it to a batch: a Loss object reduces itself (sum over the
    batch size); a loss function or its name gives one value per image, which is averaged."""
    if isinstance(loss, keras.losses.Loss):
        return loss
    per_image = keras.losses.get(loss)
    return lambda y, y_pred: jnp.mean(per_image(y, y_pred))


def member_orders(batches: SeededBatches) -> SeededBatches:
    """A member's training order, as its lone run sees it: Keras' PyDataset adapter reads the first
    batch to learn the shapes, then ends an epoch before training, so epoch 1 trains on the second
    order a seed draws."""
    batches.on_epoch_end()
    return batches


_DEVICE: dict[str, tuple[np.ndarray, object]] = {}


def on_device(role: str, array: np.ndarray):
    """The sweep's arrays on the accelerator, copied once: every trial's program trains on the same
    decoded images (a 224 px Hollywood set is 244 MB), so a later program reuses the copy."""
    import jax.numpy as jnp

    kept = _DEVICE.get(role)
    if kept is None or kept[0] is not array:
        kept = _DEVICE[role] = (array, jnp.asarray(array))
    return kept[1]


class StackedView(MemberView):
    """A member's weights read from the stacked state, in `model.get_weights()` order."""

    def __init__(self, program: "VmapProgram", index: int):
        super().__init__(program.members[index].model, program.optimizer)
        self.program, self.index = program, index

    def get_weights(self) -> list[np.ndarray]:
        return self.program.member_weights(self.index)


@dataclass
class _Steps:
    """One epoch's batch indices, every member's own order: full batches as (steps, K, batch), the
    smaller last batch as (K, rest) (None when the batch size divides the set)."""

    full: np.ndarray
    rest: np.ndarray | None


def _epoch_steps(orders: list[np.ndarray], batch_size: int) -> _Steps:
    n = len(orders[0])
    full = n // batch_size
    stacked = np.stack(orders).astype(np.int32)
    body = stacked[:, :full * batch_size].reshape(len(orders), full, batch_size).transpose(1, 0, 2)
    return _Steps(body, stacked[:, full * batch_size:] if n % batch_size else None)


class VmapProgram:
    """The members of one trial as a single vmapped JAX program; `fit` mirrors `FusedProgram.fit`."""

    def __init__(self, members: list[Member], trains: list[SeededBatches], x_val: np.ndarray, y_val: np.ndarray,
                 batch_size: int):
        import jax
        import jax.numpy as jnp

        self.members = members
        self.trains = [member_orders(t) for t in trains]
        self.batch_size = batch_size
        first = members[0].model
        self.model, self.optimizer = first, first.optimizer
        for m in members:
            m.model.optimizer.build(m.model.trainable_variables)
        stack = lambda lists: [jnp.stack(values) for values in zip(*lists)]  # noqa: E731
        self.trainable = stack([[v.value for v in m.model.trainable_variables] for m in members])
        self.non_trainable = stack([[v.value for v in m.model.non_trainable_variables] for m in members])
        self.opt_state = stack([[v.value for v in m.model.optimizer.variables] for m in members])
        # model.get_weights() order, as positions in the trainable / non-trainable lists
        where = {id(v): ("t", i) for i, v in enumerate(first.trainable_variables)}
        where.update({id(v): ("n", i) for i, v in enumerate(first.non_trainable_variables)})
        self._weights = [where[id(v)] for v in first.weights]
        self.x, self.y = on_device("x", trains[0].x), on_device("y", trains[0].y)
        self.x_val, self.y_val = on_device("x_val", x_val), on_device("y_val", y_val)
        self._epoch, self._step, self._evaluate = _compile(first, batch_loss(first.loss, jnp), jax, jnp)
        self.steps_done = 0

    def member_weights(self, k: int) -> list[np.ndarray]:
        lists = {"t": self.trainable, "n": self.non_trainable}
        return [np.asarray(lists[kind][i][k]) for kind, i in self._weights]

    def _sync_rate(self) -> None:
        """The shared optimizer's step count, so that its schedule reads each member's current rate."""
        self.optimizer.iterations.assign(self.steps_done)

    def _train_epoch(self):
        steps = _epoch_steps([t.order() for t in self.trains], self.batch_size)
        state = (self.trainable, self.non_trainable, self.opt_state)
        state, loss, correct = self._epoch(state, self.x, self.y, steps.full)
        if steps.rest is not None:
            state, rest_loss, rest_correct = self._step(state, self.x, self.y, steps.rest)
            loss, correct = loss + rest_loss, correct + rest_correct
        self.trainable, self.non_trainable, self.opt_state = state
        self.steps_done += len(steps.full) + (steps.rest is not None)
        for t in self.trains:
            t.on_epoch_end()
        return np.asarray(loss), np.asarray(correct)

    def _validate(self):
        order = [np.arange(len(self.y_val))] * len(self.members)
        steps = _epoch_steps(order, self.batch_size)
        loss, correct = self._evaluate(self.trainable, self.non_trainable, self.x_val, self.y_val, steps.full[:, 0])
        if steps.rest is not None:
            rest_loss, rest_correct = self._evaluate(self.trainable, self.non_trainable, self.x_val, self.y_val,
                                                     steps.rest[:1])
            loss, correct = loss + rest_loss, correct + rest_correct
        return np.asarray(loss), np.asarray(correct)

    def fit(self, epochs: int, extra_callbacks: list | None = None) -> None:
        if extra_callbacks:
            raise ValueError("the vmapped program takes no extra callbacks")
        begin_members(self.members, lambda k, m: StackedView(self, k))
        n, n_val = len(self.y), len(self.y_val)
        for epoch in range(epochs):
            stop.check()  # a safe point: between two epochs of the jitted program
            self._sync_rate()
            t0 = time.perf_counter()
            for m in self.members:
                if m.active:
                    m.log.on_epoch_begin(epoch)
            loss, correct = self._train_epoch()
            val_loss, val_correct = self._validate()
            self._sync_rate()
            seconds = (time.perf_counter() - t0) / max(1, sum(m.active for m in self.members))
            for k, m in enumerate(self.members):
                if m.active:
                    logs = {"loss": float(loss[k]) / n, "accuracy": float(correct[k]) / n,
                            "val_loss": float(val_loss[k]) / n_val, "val_accuracy": float(val_correct[k]) / n_val}
                    end_member_epoch(m, epoch, logs, seconds)
            if not any(m.active for m in self.members):
                break


def _compile(model: keras.Model, loss_fn, jax, jnp):
    """The jitted functions of a program: a scan over an epoch's full batches, one step (the smaller last
    batch), and a validation pass; each vmapped over the members' stacked state."""
    optimizer = model.optimizer

    def correct(y, y_pred):
        labels = jnp.argmax(y, axis=-1) if y.ndim == y_pred.ndim else y.astype("int32").reshape(-1)
        return jnp.sum(jnp.argmax(y_pred, axis=-1) == labels)

    def member_step(trainable, non_trainable, opt_state, x, y):
        def objective(trainable, non_trainable):
            y_pred, non_trainable, losses = model.stateless_call(trainable, non_trainable, x.astype("float32"),
                                                                 training=True, return_losses=True)
            value = loss_fn(y, y_pred)
            for extra in losses:  # regularisers, as compute_loss adds them
                value = value + extra
            return value, (y_pred, non_trainable)

        (value, (y_pred, non_trainable)), grads = jax.value_and_grad(objective, has_aux=True)(trainable,
                                                                                              non_trainable)
        trainable, opt_state = optimizer.stateless_apply(opt_state, grads, trainable)
        return trainable, non_trainable, opt_state, value * x.shape[0], correct(y, y_pred)

    batched = jax.vmap(member_step)

    def step(state, x_all, y_all, rows):  # rows: (K, batch) indices into the training images
        trainable, non_trainable, opt_state, loss, right = batched(*state, x_all[rows], y_all[rows])
        return (trainable, non_trainable, opt_state), loss, right

    def epoch(state, x_all, y_all, steps):  # steps: (steps, K, batch)
        def body(state, rows):
            state, loss, right = step(state, x_all, y_all, rows)
            return state, (loss, right)

        state, (loss, right) = jax.lax.scan(body, state, steps)
        return state, loss.sum(axis=0), right.sum(axis=0)

    def member_eval(trainable, non_trainable, x, y):
        y_pred, _ = model.stateless_call(trainable, non_trainable, x.astype("float32"), training=False)
        return loss_fn(y, y_pred) * x.shape[0], correct(y, y_pred)

    members_eval = jax.vmap(member_eval, in_axes=(0, 0, None, None))

    def evaluate(trainable, non_trainable, x_all, y_all, chunks):  # chunks: (chunks, batch), shared
        def body(total, rows):
            loss, right = members_eval(trainable, non_trainable, x_all[rows], y_all[rows])
            return (total[0] + loss, total[1] + right), None

        k = jax.tree_util.tree_leaves(trainable)[0].shape[0]
        (loss, right), _ = jax.lax.scan(body, (jnp.zeros(k), jnp.zeros(k, "int32")), chunks)
        return loss, right

    return jax.jit(epoch), jax.jit(step), jax.jit(evaluate)
