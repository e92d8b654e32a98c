"""Feeding a run: every image once per epoch, in an order the seed fixes."""

from __future__ import annotations

import numpy as np
import pytest

from search.data.pipeline import fit_inputs

X = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1) * np.ones((1, 2, 2, 3), np.uint8)
Y = np.arange(10)
X_VAL, Y_VAL = X[:3], Y[:3]


def _epoch_order(dataset) -> list[int]:
    return [int(v) for _, y in dataset for v in np.asarray(y)]


def test_tensorflow_gets_a_seeded_reshuffled_pipeline():
    pytest.importorskip("tensorflow")
    inputs = fit_inputs(X, Y, X_VAL, Y_VAL, batch_size=4, seed=3, backend="tensorflow")
    assert inputs.y is None and set(inputs.kwargs) == {"validation_data", "shuffle"}
    first, second = _epoch_order(inputs.x), _epoch_order(inputs.x)
    assert sorted(first) == sorted(second) == list(range(10))  # every image, once per epoch
    assert first != second  # a fresh order each epoch
    assert [len(np.asarray(y)) for _, y in inputs.x] == [4, 4, 2]  # the last batch is partial, as fit's
    for images, labels in inputs.x:
        assert (np.asarray(images)[:, 0, 0, 0] == np.asarray(labels)).all()  # images stay with their labels
    again = fit_inputs(X, Y, X_VAL, Y_VAL, batch_size=4, seed=3, backend="tensorflow")
    assert _epoch_order(again.x) == first  # the seed fixes the order
    other = fit_inputs(X, Y, X_VAL, Y_VAL, batch_size=4, seed=4, backend="tensorflow")
    assert _epoch_order(other.x) != first
    assert _epoch_order(inputs.kwargs["validation_data"]) == [0, 1, 2]  # validation in order


def test_fit_on_the_pipeline_warns_nothing():
    """`fit` defaults to `shuffle=True` and warns that it ignores it for a
    dataset; the sweep's one-line output turned that into a stray line."""
    pytest.importorskip("tensorflow")
    import warnings

    import keras

    inputs = fit_inputs(X, Y, X_VAL, Y_VAL, batch_size=4, seed=3, backend="tensorflow")
    model = keras.Sequential([keras.Input(X.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(10)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(inputs.x, inputs.y, epochs=1, verbose=0, **inputs.kwargs)
    assert [str(w.message) for w in caught] == []


def _batches_order(batches) -> list[int]:
    order = [int(v) for i in range(len(batches)) for v in batches[i][1]]
    batches.on_epoch_end()
    return order


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_backends_get_seeded_batches_of_the_arrays(backend):
    inputs = fit_inputs(X, Y, X_VAL, Y_VAL, batch_size=4, seed=3, backend=backend)
    batches = inputs.x
    assert inputs.y is None and inputs.kwargs["shuffle"] is False
    assert [len(batches[i][1]) for i in range(len(batches))] == [4, 4, 2]
    for i in range(len(batches)):
        images, labels = batches[i]
        assert (images[:, 0, 0, 0] == labels).all()
    first, second = _batches_order(batches), _batches_order(batches)
    assert sorted(first) == sorted(second) == list(range(10)) and first != second
    again = fit_inputs(X, Y, X_VAL, Y_VAL, batch_size=4, seed=3, backend=backend).x
    assert _batches_order(again) == first  # the run's seed alone fixes the orders
    np.random.seed(0)  # NumPy's global generator plays no part
    assert _batches_order(again) == second
    val = inputs.kwargs["validation_data"]
    assert _batches_order(val) == _batches_order(val) == [0, 1, 2]


def test_tensorflow_trains_from_the_arrays_memory_in_the_order_a_pipeline_over_the_images_had():
    """Issue 40: the pipeline gathers rows from a tensor over the images' own memory (no per-run copy),
    and its batches are those of the earlier `from_tensor_slices((x, y))` pipeline, epoch after epoch,
    so the change moves no number of an existing run directory."""
    tf = pytest.importorskip("tensorflow")
    from search.data.images import aligned_empty
    from search.data.pipeline import shared_tensor

    rng = np.random.default_rng(0)
    x, y = aligned_empty((23, 4, 4, 3)), rng.integers(0, 3, 23).astype(np.int32)
    x[:] = rng.integers(0, 255, x.shape, dtype=np.uint8)
    ours = fit_inputs(x, y, x[:5], y[:5], batch_size=4, seed=7, backend="tensorflow", skip_epochs=1)
    before = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(23, seed=7, reshuffle_each_iteration=True).batch(4)
    iter(before), iter(before)  # the skipped epoch's two iterators
    for _ in range(3):
        for (a, b), (c, d) in zip(ours.x, before, strict=True):
            assert np.array_equal(a, c) and np.array_equal(b, d)
        iter(ours.x), iter(before)
    assert np.array_equal(np.concatenate([np.asarray(a) for a, _ in ours.kwargs["validation_data"]]), x[:5])

    tensor = shared_tensor(x)
    x[0, 0, 0, 0] = 200 - x[0, 0, 0, 0]
    assert int(tensor[0, 0, 0, 0]) == x[0, 0, 0, 0]  # the array's own memory
    raw = np.empty(4 * 4 * 3 * 2 + 2, np.uint8)
    start = 1 if (raw.ctypes.data + 1) % 64 else 2
    unaligned = raw[start:start + 4 * 4 * 3 * 2].reshape(2, 4, 4, 3)
    unaligned[:] = 1
    copied = shared_tensor(unaligned)
    unaligned[:] = 2
    assert int(copied[0, 0, 0, 0]) == 1  # TensorFlow cannot read it in place: a copy
