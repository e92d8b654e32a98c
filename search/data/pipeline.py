"""How a run's in-memory arrays reach `model.fit`.

On TensorFlow, a plain `tf.data` pipeline (the row numbers in a seeded full
shuffle each epoch, batches gathered from a tensor over the arrays' own
memory, prefetch) trains faster than handing `fit` the NumPy arrays,
whose adapter gathers each batch by index: HollywoodCNN at 64 px on a
2-core CPU took 1.25 s per steady epoch against 1.36 s (median of 8
alternating pairs in one process, paired ratio 1.09x). The other backends
(JAX, torch; the GPU machine has no TensorFlow) get the same batches from a
`PyDataset` over the arrays, rather than the arrays with `shuffle=True`:
Keras draws that shuffle from NumPy's global generator, and a model's first
`fit` draws from it once more than a later `fit` of the same model does (it
peeks at a batch to build itself), so a seed's run would see other batches
when it trains a kept model (see search.training.reuse) than when it trains a fresh one.

Either way every epoch sees all training images in a fresh order fixed by
the run's seed alone, and validation uses the same batch size, as `fit` on
arrays with `shuffle=True` would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np


@dataclass
class FitInputs:
    """What to pass to `model.fit`: `x` (and `y`), plus keyword arguments."""

    x: Any
    y: Any = None
    kwargs: dict[str, Any] = field(default_factory=dict)


class SeededBatches(keras.utils.PyDataset):
    """Batches of in-memory arrays, in a new order after every epoch (when
    `shuffle`), the orders drawn from a generator of the run's own seed."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, shuffle: bool = True):
        super().__init__()
        self.x, self.y, self.batch_size, self.shuffle = x, y, batch_size, shuffle
        self._rng = np.random.RandomState(seed)
        self._order = self._next_order()

    def _next_order(self) -> np.ndarray:
        return self._rng.permutation(len(self.y)) if self.shuffle else np.arange(len(self.y))

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def order(self) -> np.ndarray:
        """This epoch's order of the rows (for `search.training.fused_jax`, which gathers the batches itself)."""
        return self._order

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]

    def on_epoch_end(self) -> None:
        self._order = self._next_order()


def fit_inputs(x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, batch_size: int,
               seed: int, backend: str, skip_epochs: int = 0) -> FitInputs:
    """`skip_epochs`: the run resumes after that many epochs (search.training.checkpoints),
    so its first epoch here gets the order the uninterrupted run's next one had."""
    if backend != "tensorflow":
        train_batches = SeededBatches(x, y, batch_size, seed)
        for _ in range(skip_epochs):
            train_batches.on_epoch_end()  # the one new order Keras asks for after each epoch
        return FitInputs(train_batches,
                         kwargs={"validation_data": SeededBatches(x_val, y_val, batch_size, seed, shuffle=False),
                                 "shuffle": False})
    import tensorflow as tf

    # The shuffle draws the same order of rows as one over the images themselves would (it depends on the
    # seed and the count alone), so the batches, and every number, are those of `from_tensor_slices((x, y))`
    # shuffled with this seed.
    order = tf.data.Dataset.range(len(y)).shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    train = rows_of(x, y, order, batch_size).prefetch(tf.data.AUTOTUNE)
    # Each iterator made of `train` draws the next shuffle, and Keras' epoch
    # iterator (steps_per_epoch unset) makes two per epoch: one as the epoch
    # starts, the one it trains on, and one more as it ends, left unused.
    for _ in range(2 * skip_epochs):
        iter(train)
    val = rows_of(x_val, y_val, tf.data.Dataset.range(len(y_val)), batch_size).prefetch(tf.data.AUTOTUNE)
    # The pipeline shuffles; `fit`'s own default (`shuffle=True`) would only
    # warn that it is ignored for a dataset.
    return FitInputs(train, None, {"validation_data": val, "shuffle": False})


def in_order(x: np.ndarray, y: np.ndarray, batch_size: int, backend: str):
    """Batches of `x` and `y` in their own order, for `model.predict`: given the arrays themselves, Keras
    would first cast every validation image to float32 in one copy (4 bytes a pixel)."""
    if backend != "tensorflow":
        return SeededBatches(x, y, batch_size, 0, shuffle=False)
    import tensorflow as tf

    return rows_of(x, y, tf.data.Dataset.range(len(y)), batch_size)


ALIGNMENT = 64  # bytes: what TensorFlow's CPU kernels demand of a buffer they read in place (EIGEN_MAX_ALIGN_BYTES)


def rows_of(x: np.ndarray, y: np.ndarray, order, batch_size: int):
    """A tf.data pipeline of batches of `x` and `y`'s rows, in `order` (a dataset of row numbers).

    `from_tensor_slices((x, y))` first copies the images into a tensor of
    their own, per run (per member when seeds are fused): on 3,000 eyes
    images at 128 px (140 MB) a run's peak memory grew by 1.6x the images
    beyond the arrays. Here the tensor is the NumPy array's own memory
    (`shared_tensor`) and each batch gathers its rows from it.
    """
    import tensorflow as tf

    images, labels = shared_tensor(x), shared_tensor(y)
    return order.batch(batch_size).map(lambda rows: (tf.gather(images, rows), tf.gather(labels, rows)))


def shared_tensor(array: np.ndarray):
    """A TensorFlow tensor over `array`'s own memory (DLPack), when TensorFlow can read it in place: C order,
    writeable and aligned to 64 bytes, as search.data.images allocates decoded images. Otherwise a copy."""
    import tensorflow as tf

    if array.size and array.flags.c_contiguous and array.flags.writeable and array.ctypes.data % ALIGNMENT == 0:
        try:
            return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
        except (BufferError, TypeError, ValueError, tf.errors.InvalidArgumentError):  # a dtype DLPack lacks
            pass
    return tf.convert_to_tensor(array)


class FusedBatches(keras.utils.PyDataset):
    """K members' batches side by side: batch i is every member's own batch i
    (its own order), and one member's epoch ends when all of theirs do."""

    def __init__(self, members: list[SeededBatches]):
        super().__init__()
        self.members = members

    def __len__(self) -> int:
        return len(self.members[0])

    def __getitem__(self, index: int) -> tuple[tuple, tuple]:
        batches = [m[index] for m in self.members]
        return tuple(b[0] for b in batches), tuple(b[1] for b in batches)

    def on_epoch_end(self) -> None:
        for m in self.members:
            m.on_epoch_end()


def fused_fit_inputs(member_trains: list, member_vals: list[tuple[np.ndarray, np.ndarray]], batch_size: int,
                     backend: str) -> FitInputs:
    """`fit` inputs for a tower of K members from each member's own training
    batches (`fit_inputs(...).x`, made under that member's seed: on
    TensorFlow the global seed at creation fixes a shuffle's order) and its
    own validation images (`member_vals[k]`: the same arrays for seeds on one
    split, a fold's own with folds). The members' batches are zipped, so
    each member's training and validation images must make as many batches
    as the others' (`fused_batch_count`); their last batches may differ in size."""
    if backend != "tensorflow":
        vals = [SeededBatches(x, y, batch_size, 0, shuffle=False) for x, y in member_vals]
        return FitInputs(FusedBatches(member_trains),
                         kwargs={"validation_data": FusedBatches(vals), "shuffle": False})
    import tensorflow as tf

    train = tf.data.Dataset.zip(tuple(member_trains)).map(
        lambda *pairs: (tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)))
    if all(v is member_vals[0] for v in member_vals):  # one split: one copy of its images, given to every member
        k = len(member_vals)
        val = in_order(*member_vals[0], batch_size, backend).map(lambda a, b: ((a,) * k, (b,) * k))
    else:
        val = tf.data.Dataset.zip(tuple(in_order(*v, batch_size, backend) for v in member_vals)).map(
            lambda *pairs: (tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)))
    val = val.prefetch(tf.data.AUTOTUNE)
    return FitInputs(train.prefetch(tf.data.AUTOTUNE), None, {"validation_data": val, "shuffle": False})
